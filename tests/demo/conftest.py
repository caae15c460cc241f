"""Fixtures for the demo site's tests: a fresh demo upstream app and a client calling it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from adapter.demo import create_demo_upstream_app


@pytest.fixture
def app() -> Starlette:
    """A fresh demo upstream app."""
    return create_demo_upstream_app()


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
        yield http
