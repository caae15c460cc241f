"""Helpers for the chat-facing tests: the chat's route prefix, configuration, answers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.servers import DemoUpstream
from tests.support import deep_merge, reference_data, remote

PREFIX = "/imbachat/v1"


def demo_site_data(demo: DemoUpstream, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The reference configuration data pointed at the demo upstream process, plus `overrides`."""
    return deep_merge(deep_merge(reference_data(), remote(demo.graphql_url)), overrides or {})


def ids_of(response: httpx.Response) -> list[Any]:
    assert response.status_code == 200, response.text
    return [user["user_id"] for user in response.json()]


def assert_error(response: httpx.Response, status: int, *fragments: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"code", "version", "error", "debug"}
    assert body["code"] == status
    assert body["version"] == 1
    assert body["debug"] == ""
    for fragment in fragments:
        assert fragment in body["error"]
