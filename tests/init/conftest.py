"""Fixtures for `init`: run the real command, serve the test sites, ask the written config."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest

from adapter.app import create_app
from adapter.config import load_settings
from tests.conftest import CHAT_AUTH, LiveServer, asgi_client
from tests.init.schemas import CountingSite, member_site, relay_site

# What the operator sets before serving a configuration `init` wrote with the token API on.
OPERATOR_ENVIRONMENT = {
    "IMBACHAT_SECRET_KEY": "operator-set-widget-secret-key-0123456789abcdef",
    "IMBACHAT_WIDGET_ID": "widget-7",
}
InitRunner = Callable[..., subprocess.CompletedProcess[str]]
SiteServer = Callable[[CountingSite], str]


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without adapter settings, plus `extra`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("IMBACHAT", "REDIS_URL"))}
    return {**environ, **(extra or {})}


@pytest.fixture
def run_init(tmp_path: Path) -> InitRunner:
    """Run `python -m adapter init ...` in tmp_path, the way a person would."""

    def run(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "adapter", "init", *args],
            cwd=tmp_path,
            env=clean_environment(env),
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


async def chat_users(
    config: Path, ids: Sequence[int | str], environ: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The users-info answer of an adapter built from `config`, as the chat calls it."""
    app = create_app(load_settings(config, environ={**OPERATOR_ENVIRONMENT, **(environ or {})}))
    async with asgi_client(app) as client:
        response = await client.get(
            "/imbachat/v1/users",
            params={"user_ids": ",".join(str(i) for i in ids)},
            auth=CHAT_AUTH,
        )
    assert response.status_code == 200, response.text
    answer: list[dict[str, Any]] = orjson.loads(response.content)
    return answer
