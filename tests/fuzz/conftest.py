"""Fuzzing: one app per module (the embedded demo site, memory cache), many generated requests.

Examples are few on purpose (the `fuzz` profile) so the suite stays fast; raise them for a deeper
run with IMBACHAT_FUZZ_EXAMPLES=1000.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, settings

from adapter.app import create_app
from adapter.config import settings_from_mapping
from tests.conftest import ROOT, asgi_client, deep_merge, reference_data

__all__ = ["WEBHOOK_SECRET", "WEBHOOK_TOLERANCE", "FuzzClient", "assert_no_crash", "fuzz_client"]

settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("IMBACHAT_FUZZ_EXAMPLES", "60")),
    deadline=None,
    database=None,  # no .hypothesis folder in the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

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


@pytest.fixture(scope="module")
def fuzz_client() -> Iterator[FuzzClient]:
    """The reference configuration with the webhook on, served in-process for the module."""
    data = deep_merge(
        reference_data(),
        {"webhooks": {"secret": WEBHOOK_SECRET, "tolerance_seconds": WEBHOOK_TOLERANCE}},
    )
    app = create_app(settings_from_mapping(data, environ={}, base_dir=ROOT))

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[httpx.AsyncClient]:
        async with asgi_client(app) as client:
            yield client

    with start_blocking_portal() as portal, portal.wrap_async_context_manager(opened()) as client:
        yield FuzzClient(portal, client)


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
