"""A client that trickles its headers (slowloris) is cut off at `limits.header_timeout_seconds`."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from adapter.app import create_app
from adapter.web.slow_headers import HeaderDeadlineProtocol
from tests.support import CHAT_AUTH, SettingsFactory

pytestmark = [pytest.mark.faults, pytest.mark.slow]

BASIC = base64.b64encode(":".join(CHAT_AUTH).encode())


@pytest.fixture
def port(make_settings: SettingsFactory) -> Iterator[int]:
    """The adapter under uvicorn with the header deadline protocol, on a port it bound itself."""
    app = create_app(make_settings({"limits": {"header_timeout_seconds": 0.3}}))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, lifespan="on", http=HeaderDeadlineProtocol
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the server did not start"
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    thread.join(timeout=15)


REQUEST = (
    b"GET /imbachat/v1/users?user_ids=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Basic %s\r\n\r\n"
    % BASIC
)


def answered(sock: socket.socket) -> bytes:
    """Send one whole request and read its whole answer (the connection must stay open)."""
    sock.sendall(REQUEST)
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"]"):
        chunk = sock.recv(65536)
        assert chunk, "the connection closed before the answer"
        answer += chunk
    return answer


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes the connection (recv sees EOF) within the socket's timeout."""
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False


def test_trickled_headers_are_cut_off(port: int) -> None:
    """A request line and then nothing more: the connection is closed, not held."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /imbachat/v1 HTTP/1.1\r\nHost: a\r\nX-Slow: 1\r\n")
        assert closed_by_server(sock)


def test_a_silent_connection_is_cut_off(port: int) -> None:
    """A connection that never sends a byte is closed at the same deadline."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        assert closed_by_server(sock)


def test_whole_requests_on_one_connection_still_work(port: int) -> None:
    """Headers sent at once are answered, twice on one keep-alive connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for _ in range(2):
            assert answered(sock).startswith(b"HTTP/1.1 200")


def test_idle_keep_alive_is_not_reading_headers(port: int) -> None:
    """A connection idle between two quick requests for longer than the deadline stays open:
    only headers being read count, and the second request is answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for pause in (0.0, 0.8):
            time.sleep(pause)
            assert answered(sock).startswith(b"HTTP/1.1 200")


def test_a_trickled_second_request_is_cut_off(port: int) -> None:
    """After a whole request, the next one's headers get the same deadline."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        assert answered(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /imbachat/v1 HTTP/1.1\r\nHost: a\r\n")
        started = time.monotonic()
        assert closed_by_server(sock)
        # Never before the deadline (0.3 s): the sweep first sees a request after it began.
        assert time.monotonic() - started >= 0.3
