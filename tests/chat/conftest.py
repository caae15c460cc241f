"""Chat-facing tests: adapters served for real on loopback from configuration data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from adapter.app import create_app
from tests.chat.support import PREFIX
from tests.servers import LiveServer
from tests.support import settings_from


@pytest.fixture(scope="module")
def served() -> Iterator[Callable[[dict[str, Any]], httpx.Client]]:
    """Start adapters from configuration data; all of them stop after the module."""
    servers: list[LiveServer] = []
    clients: list[httpx.Client] = []

    def serve(data: dict[str, Any]) -> httpx.Client:
        settings = settings_from(data)
        server = LiveServer(create_app(settings)).__enter__()
        servers.append(server)
        client = httpx.Client(base_url=server.url + PREFIX, timeout=10)
        clients.append(client)
        return client

    yield serve
    for client in clients:
        client.close()
    for server in servers:
        server.__exit__()
