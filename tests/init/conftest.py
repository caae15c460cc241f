"""Fixtures for `init`: run the real command, serve the test sites."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.commands import cli, environment
from tests.init.schemas import CountingSite, member_site, relay_site
from tests.init.support import InitRunner, SiteServer
from tests.servers import LiveServer


@pytest.fixture
def run_init(tmp_path: Path) -> InitRunner:
    """Run `init ...` in tmp_path with nothing on stdin, in this process (tests/commands.cli);
    the interop entries and the wheel test run it as its own process."""

    def run(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return cli("init", *args, env=environment(**(env or {})), cwd=tmp_path)

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
