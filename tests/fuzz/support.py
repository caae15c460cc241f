"""Helpers for the fuzz tests: the webhook they sign for, a client hypothesis can drive."""

from __future__ import annotations

from typing import Any

import httpx
from anyio.from_thread import BlockingPortal

__all__ = ["WEBHOOK_SECRET", "WEBHOOK_TOLERANCE", "FuzzClient", "assert_no_crash"]

WEBHOOK_SECRET = "fuzzing-webhook-secret-0123456789"
# The widest window the settings allow, so every generated delivery can carry its own timestamp.
WEBHOOK_TOLERANCE = 3600


class FuzzClient:
    """Synchronous calls (hypothesis drives plain functions) into the app's own event loop."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self._portal = portal
        self._client = client

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            return await self._client.request(method, url, **options)

        return self._portal.call(call)

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)


def assert_no_crash(response: httpx.Response, allowed: set[int]) -> Any:
    """An allowed status, JSON, and no traceback; a chat error in the chat's error shape."""
    assert response.status_code in allowed, (response.status_code, response.text[:500])
    assert response.status_code != 500
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    if 300 <= response.status_code < 400:
        return None  # a trailing slash redirected to the route without it
    body = response.json()
    if response.status_code >= 400 and isinstance(body, dict) and "code" in body:
        assert body["code"] == response.status_code
        assert body["debug"] == ""
        assert isinstance(body["error"], str)
    return body
