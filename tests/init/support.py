"""Helpers for the `init` tests: the operator's environment, runner types, the chat's view."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from adapter.app import create_app
from adapter.config import load_settings
from tests.init.schemas import CountingSite
from tests.support import asgi_client

# What the operator sets before serving a configuration `init` wrote with the token API on.
OPERATOR_AUTH = ("site-chat", "operator-set-api-password")
OPERATOR_ENVIRONMENT = {
    "IMBACHAT_API_LOGIN": OPERATOR_AUTH[0],
    "IMBACHAT_API_PASSWORD": OPERATOR_AUTH[1],
    "IMBACHAT_SECRET_KEY": "operator-set-widget-secret-key-0123456789abcdef",
    "IMBACHAT_WIDGET_ID": "widget-7",
}
InitRunner = Callable[..., subprocess.CompletedProcess[str]]
SiteServer = Callable[[CountingSite], str]


async def chat_users(
    config: Path, ids: Sequence[int | str], environ: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The users-info answer of an adapter built from `config`, as the chat calls it."""
    app = create_app(load_settings(config, environ={**OPERATOR_ENVIRONMENT, **(environ or {})}))
    async with asgi_client(app) as client:
        response = await client.get(
            "/imbachat/v1/users",
            params={"user_ids": ",".join(str(i) for i in ids)},
            auth=OPERATOR_AUTH,
        )
    assert response.status_code == 200, response.text
    answer: list[dict[str, Any]] = orjson.loads(response.content)
    return answer
