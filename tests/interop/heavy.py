"""The interop matrix's heavy sites (Strapi 4 and 5, Directus): started, seeded, driven.

Each site's start script (scripts/npm/<name>/site/) makes a project in a temporary folder over
the folder `scripts/ensure-npm <name>` installed, seeds 20 members (some without a first or a
last name, some with an avatar) and writes `seed.json` once the site answers: the adapter's
credential, a signed-in member's session and the members as the site stores them. The site is
stopped by its pid. These installs take minutes, so the entries run under `make interop` only
(IMBACHAT_INTEROP_ALL=1).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from adapter.app import create_app
from adapter.config import load_settings
from adapter.tokens import verify_widget_token
from tests.commands import environment
from tests.npm import npm_tool
from tests.servers import ADAPTER_COMMAND, free_port, stop_process
from tests.support import ROOT, asgi_client

__all__ = [
    "SCRAMBLED",
    "Site",
    "expected_name",
    "init_site",
    "package_version",
    "record",
    "require_all",
    "running_site",
    "token_for",
    "users_for",
]

# 15 of the 20 seeded members, in an order no site stores them in.
SCRAMBLED = (14, 3, 20, 7, 1, 18, 11, 5, 16, 9, 2, 13, 19, 6, 10)
ALL_VARIABLE = "IMBACHAT_INTEROP_ALL"
REPORT_VARIABLE = "IMBACHAT_INTEROP_REPORT"
OPERATOR = {
    "IMBACHAT_API_LOGIN": "interop-chat",
    "IMBACHAT_API_PASSWORD": "interop-chat-password-not-a-sample",
    "IMBACHAT_SECRET_KEY": "interop-widget-secret-key-0123456789abcdef",
    "IMBACHAT_WIDGET_ID": "widget-interop",
}
_START_SECONDS = 240.0


def require_all(family: str) -> None:
    """Skip an entry whose server installs in minutes, unless `make interop` asked for all."""
    if os.environ.get(ALL_VARIABLE) != "1":
        pytest.skip(f"{family} installs in minutes: `make interop` runs it")


@dataclass(frozen=True)
class Site:
    """A started site: its GraphQL URL and what its seed wrote."""

    url: str
    seed: dict[str, Any]
    installed: Path

    def member(self, number: int) -> dict[str, Any]:
        member: dict[str, Any] = self.seed["users"][number - 1]
        return member


@contextmanager
def running_site(name: str, tmp: Path, *, path: str = "/graphql") -> Iterator[Site]:
    """Install (cached), start and seed the site `name`; stop it by its pid afterwards."""
    installed = npm_tool(name)
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


def init_site(site: Site, directory: Path, *args: str) -> tuple[dict[str, Any], str]:
    """`imbachat-adapter init --yes` with the site's credential; it must pass."""
    directory.mkdir(parents=True, exist_ok=True)
    header = f"Authorization: Bearer {site.seed['apiToken']}"
    done = subprocess.run(
        [*ADAPTER_COMMAND, "init", "--upstream", site.url, "--yes", "--header", header, *args],
        cwd=directory,
        env=environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    config = yaml.safe_load((directory / "config.yaml").read_text())
    return config, done.stdout


def _operator(site: Site) -> dict[str, str]:
    return {
        **OPERATOR,
        "IMBACHAT_UPSTREAM_AUTHORIZATION": f"Bearer {site.seed['apiToken']}",
        "IMBACHAT_CACHE_BACKEND": "memory",
    }


def expected_name(member: Mapping[str, Any]) -> str:
    """The name the chat should show: first and last, either alone, else the username."""
    parts = [member.get("firstName"), member.get("lastName")]
    return " ".join(p for p in parts if p) or str(member["username"])


async def users_for(
    site: Site, directory: Path, chat_ids: Sequence[int | str]
) -> list[dict[str, Any]]:
    """The chat's users-info answer for `chat_ids`, served from the config init wrote."""
    settings = load_settings(directory / "config.yaml", environ=_operator(site))
    async with asgi_client(create_app(settings)) as client:
        answer = await client.get(
            "/imbachat/v1/users",
            params={"user_ids": ",".join(str(i) for i in chat_ids)},
            auth=(OPERATOR["IMBACHAT_API_LOGIN"], OPERATOR["IMBACHAT_API_PASSWORD"]),
        )
    assert answer.status_code == 200, answer.text
    users: list[dict[str, Any]] = orjson.loads(answer.content)
    return users


async def token_for(site: Site, directory: Path, headers: Mapping[str, str]) -> int:
    """The user id in the widget token `issueChatToken` gives a viewer with `headers`."""
    settings = load_settings(directory / "config.yaml", environ=_operator(site))
    async with asgi_client(create_app(settings)) as client:
        answer = await client.post(
            "/graphql",
            json={"query": "mutation { issueChatToken { token userId } }"},
            headers=dict(headers),
        )
    body = answer.json()
    assert answer.status_code == 200, answer.text
    assert not body.get("errors"), answer.text
    issued = body["data"]["issueChatToken"]
    assert settings.tokens is not None
    claims = verify_widget_token(settings.tokens, issued["token"])
    assert claims["user_id"] == int(issued["userId"])
    return int(claims["user_id"])


def package_version(folder: Path, package: str) -> str:
    """The version of an npm package installed in `folder`."""
    manifest = folder / "node_modules" / package / "package.json"
    version: str = json.loads(manifest.read_text())["version"]
    return version


def record(row: Mapping[str, Any]) -> None:
    """Append the entry's matrix row to $IMBACHAT_INTEROP_REPORT, where set."""
    where = os.environ.get(REPORT_VARIABLE)
    if where:
        with Path(where).open("a") as report:
            report.write(json.dumps(dict(row)) + "\n")
