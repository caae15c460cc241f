"""The interop matrix's heavy sites (Strapi 4 and 5, Directus): installed, started, seeded.

Each site's start script (scripts/npm/<name>/site/start.js) makes a project in a temporary
folder over the folder `scripts/ensure-npm <name>` installed, seeds 20 members (some without a
first or a last name, some with an avatar) and writes `seed.json` once the site answers: the
adapter's credential (`apiToken`), a signed-in member's session (`viewer`) and the members as the
site stores them (`users`). The site is stopped by its pid. The entries are driven through
`tests/interop/support.py` like every other; these installs take minutes, so they run under
`make interop` only.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.npm import npm_tool
from tests.servers import free_port, stop_process
from tests.support import ROOT

__all__ = ["Site", "expected_name", "running_site"]

_START_SECONDS = 300.0
# Measured cold here: Strapi 5 1,170 s, Strapi 4 1,146 s, Directus 1,680 s plus 414 s for
# isolated-vm, on two cores shared with other test runs.
_INSTALL_SECONDS = 3600.0


@dataclass(frozen=True)
class Site:
    """A started site: its GraphQL URL, what its seed wrote, and where it is installed."""

    url: str
    seed: dict[str, Any]
    installed: Path

    def member(self, number: int) -> dict[str, Any]:
        member: dict[str, Any] = self.seed["users"][number - 1]
        return member

    @property
    def credential(self) -> dict[str, str]:
        """The adapter's credential as `init --header` takes it and as the operator sets it."""
        return {"IMBACHAT_UPSTREAM_AUTHORIZATION": f"Bearer {self.seed['apiToken']}"}

    @property
    def header(self) -> str:
        return f"Authorization: Bearer {self.seed['apiToken']}"


@contextmanager
def running_site(name: str, tmp: Path, *, path: str = "/graphql") -> Iterator[Site]:
    """Install (cached), start and seed the site `name`; stop it by its pid afterwards."""
    installed = npm_tool(name, timeout=_INSTALL_SECONDS)
    app = tmp / "app"
    app.mkdir()
    port = free_port()
    script = ROOT / "scripts" / "npm" / name / "site" / "start.js"
    log = tmp / "site.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["node", str(script), str(installed), str(app), str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        seed_file = app / "seed.json"
        deadline = time.monotonic() + _START_SECONDS
        while not seed_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} did not start:\n{tail}")
            time.sleep(0.5)
        seed = json.loads(seed_file.read_text())
        yield Site(f"http://127.0.0.1:{port}{path}", seed, installed)
    finally:
        stop_process(process)


def expected_name(first: object, last: object, fallback: object = None) -> str:
    """The name the chat should show: first and last, either alone, else the fallback."""
    return " ".join(str(p) for p in (first, last) if p) or str(fallback)


def names(
    site: Site, keys: Mapping[int, Any], first: str, last: str, fallback: str
) -> dict[Any, str]:
    """Each member's expected name by the chat id `keys` gives them."""
    return {
        keys[n]: expected_name(
            site.member(n)[first], site.member(n)[last], site.member(n).get(fallback)
        )
        for n in keys
    }
