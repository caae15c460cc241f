"""A client that hangs up mid-body is logged as that, not as a 500 with a traceback."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from adapter.app import create_app
from tests.servers import LiveServer
from tests.support import CHAT_AUTH, SettingsFactory

pytestmark = [pytest.mark.faults, pytest.mark.slow]

BASIC = base64.b64encode(":".join(CHAT_AUTH).encode()).decode()


def send_half_a_body(port: int, path: str, content_type: str) -> None:
    """Declare a 1000-byte body, send 10 bytes of it, and close the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: adapter.test\r\nAuthorization: Basic {BASIC}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: 1000\r\n\r\nlogin=user".encode()
        )


def requests_by_status(base_url: str, route: str) -> dict[str, float]:
    """The adapter's own request counter for `route`, by status, from /metrics."""
    counts: dict[str, float] = {}
    for line in httpx.get(f"{base_url}/metrics").text.splitlines():
        if line.startswith("adapter_http_requests_total{") and f'route="{route}"' in line:
            status = line.split('status="')[1].split('"')[0]
            counts[status] = float(line.rsplit(" ", 1)[1])
    return counts


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/imbachat/v1/auth_users", "application/x-www-form-urlencoded"),
        ("/imbachat/v1/webhooks/users-changed", "application/json"),
        # Answered by the edge's GraphQL endpoint, not by a FastAPI route.
        ("/graphql", "application/json"),
    ],
)
def test_a_client_gone_mid_body_is_a_499_and_no_error(
    make_settings: SettingsFactory,
    live_server: Callable[[Any], LiveServer],
    path: str,
    content_type: str,
) -> None:
    """auth_users, the webhook and the GraphQL endpoint count a 499 and log
    `client_disconnected`, no traceback."""
    app = create_app(make_settings({"webhooks": {"secret": "a-webhook-secret-of-32-bytes-0123"}}))
    server = live_server(app)
    with capture_logs() as logs:
        send_half_a_body(server.port, path, content_type)
        deadline = time.monotonic() + 15
        while not requests_by_status(server.url, path) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert requests_by_status(server.url, path) == {"499": 1.0}
    events = [entry["event"] for entry in logs]
    assert "client_disconnected" in events
    assert "unexpected_error" not in events
