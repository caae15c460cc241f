"""Fixtures for `init`: run the real command, serve the test sites."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.commands import environment
from tests.init.schemas import CountingSite, member_site, relay_site
from tests.init.support import InitRunner, SiteServer
from tests.servers import ADAPTER_COMMAND, LiveServer


@pytest.fixture
def run_init(tmp_path: Path) -> InitRunner:
    """Run `python -m adapter init ...` in tmp_path, the way a person would."""

    def run(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ADAPTER_COMMAND, "init", *args],
            cwd=tmp_path,
            env=environment(**(env or {})),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )

    return run


@pytest.fixture
def serve_site(live_server: Callable[[Any], LiveServer]) -> SiteServer:
    """Serve a test site on a loopback port; its GraphQL URL."""

    def serve(site: CountingSite) -> str:
        return f"{live_server(site.app).url}/graphql"

    return serve


@pytest.fixture
def relay() -> CountingSite:
    return relay_site()


@pytest.fixture
def members() -> CountingSite:
    return member_site()
