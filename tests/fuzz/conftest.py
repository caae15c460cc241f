"""Fuzzing: one app per module (the embedded demo site, memory cache), many generated requests.

Examples are few on purpose (the `fuzz` profile) so the suite stays fast; raise them for a deeper
run with IMBACHAT_FUZZ_EXAMPLES=1000.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, settings

from adapter.app import create_app
from tests.fuzz.support import WEBHOOK_SECRET, WEBHOOK_TOLERANCE, FuzzClient
from tests.support import asgi_client, deep_merge, reference_data, settings_from

settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("IMBACHAT_FUZZ_EXAMPLES", "60")),
    deadline=None,
    database=None,  # no .hypothesis folder in the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def fuzz_client() -> Iterator[FuzzClient]:
    """The reference configuration with the webhook on, served in-process for the module."""
    data = deep_merge(
        reference_data(),
        {"webhooks": {"secret": WEBHOOK_SECRET, "tolerance_seconds": WEBHOOK_TOLERANCE}},
    )
    app = create_app(settings_from(data))

    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[httpx.AsyncClient]:
        async with asgi_client(app) as client:
            yield client

    with start_blocking_portal() as portal, portal.wrap_async_context_manager(opened()) as client:
        yield FuzzClient(portal, client)
