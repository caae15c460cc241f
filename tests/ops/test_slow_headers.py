"""A request's head under `serve`'s protocol: a client that trickles it (slowloris) is cut off at
`limits.header_timeout_seconds`, one that sends too much of it is refused as the bytes arrive,
and nothing of a connection is kept once it is gone (issue 20, F1 and F10)."""

from __future__ import annotations

import base64
import gc
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator

import pytest
import uvicorn

from adapter.app import create_app
from adapter.web.slow_headers import HeaderDeadlineProtocol
from tests.support import CHAT_AUTH, SettingsFactory

pytestmark = [pytest.mark.faults, pytest.mark.slow]

BASIC = base64.b64encode(":".join(CHAT_AUTH).encode())
# Long enough that a loaded machine does not starve a whole request past it.
DEADLINE = 1.0


@pytest.fixture
def port(make_settings: SettingsFactory) -> Iterator[int]:
    """The adapter under uvicorn with the header deadline protocol, on a port it bound itself."""
    app = create_app(make_settings({"limits": {"header_timeout_seconds": DEADLINE}}))
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
        for pause in (0.0, DEADLINE * 1.5):
            time.sleep(pause)
            assert answered(sock).startswith(b"HTTP/1.1 200")


def test_a_trickled_second_request_is_cut_off(port: int) -> None:
    """After a whole request, the next one's headers get the same deadline."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        assert answered(sock).startswith(b"HTTP/1.1 200")
        # Read before sending: the server times the head from its first byte, which it can
        # receive before `sendall` returns here.
        started = time.monotonic()
        sock.sendall(b"GET /imbachat/v1 HTTP/1.1\r\nHost: a\r\n")
        assert closed_by_server(sock)
        # Never before the deadline.
        assert time.monotonic() - started >= DEADLINE


UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def upgrade_refused(port: int) -> None:
    """One `Upgrade: websocket` request, answered (the app has no WebSocket route) and closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(UPGRADE)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 403")


def live_protocols() -> int:
    gc.collect()
    return sum(isinstance(o, HeaderDeadlineProtocol) for o in gc.get_objects())


def test_websocket_upgrades_are_not_kept(port: int) -> None:
    """Connections handed over to a WebSocket protocol are released: after many, neither their
    HTTP protocol objects nor their memory stay (each used to be kept for good, 7.9 kB)."""
    for _ in range(30):
        upgrade_refused(port)
    time.sleep(DEADLINE * 1.5)  # past the deadline: whatever times the heads has let go
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(300):
            upgrade_refused(port)
        time.sleep(DEADLINE * 1.5)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert live_protocols() < 20
    # 300 kept connections cost over 2 MB; a generous bound for what one run leaves behind.
    assert grown < 1_000_000, grown


def sent_before_close(sock: socket.socket, head: bytes, piece: bytes, pieces: int) -> int:
    """Send `head`, then `piece` up to `pieces` times; the bytes sent before the server closed."""
    sent = 0
    try:
        sock.sendall(head)
        for _ in range(pieces):
            sock.sendall(piece)
            sent += len(piece)
    except OSError:  # reset or broken pipe: the server closed the connection
        pass
    return sent


def answer_or_close(sock: socket.socket) -> bytes:
    """What the server answered before closing (empty when a reset discarded it)."""
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    return answer


ENDLESS = 16 * 1024 * 1024


def test_an_endless_header_is_refused_as_it_arrives(port: int) -> None:
    """A header streamed without end is cut off near the head's bound (32 KiB with the default
    limits, plus one read), with a 431 in the chat's shape or the close, and memory grows by
    about that much, not by what the client sends (16 MiB here)."""
    piece = b"a" * 65536
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start = tracemalloc.get_traced_memory()[0]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            head = b"GET /imbachat/v1/users?user_ids=1 HTTP/1.1\r\nHost: a\r\nX-Long: "
            sent = sent_before_close(sock, head, piece, ENDLESS // len(piece))
            if sent == ENDLESS:  # the whole header went in: end it and read the answer
                sock.sendall(b"\r\n\r\n")
            answer = answer_or_close(sock)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert sent < ENDLESS, "the server read the whole endless header"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431")
    if answer:
        assert answer.endswith(
            b'{"code":431,"version":1,"error":"the request headers are too large","debug":""}'
        )
    assert peak < 4 * 1024 * 1024, peak


def test_an_endless_trailer_is_refused(port: int) -> None:
    """Chunked framing and trailers count against the same bound: an endless trailer after a
    chunked body is cut off too."""
    head = (
        b"POST /imbachat/v1/users?user_ids=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Basic %s\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\nX-Trailer: " % BASIC
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sent = sent_before_close(sock, head, b"a" * 65536, ENDLESS // 65536)
        answer_or_close(sock)
    assert sent < ENDLESS, "the server read the whole endless trailer"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"G@T /imbachat/v1 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /imbachat/v1 HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n",
        b"POST /imbachat/v1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
    ],
    ids=["bad method", "negative length", "bad chunk size"],
)
def test_a_request_that_does_not_parse_is_refused_in_the_chats_shape(
    port: int, request_bytes: bytes
) -> None:
    """What httptools cannot parse gets uvicorn's 400, in the chat's JSON shape rather than
    plain text, and the connection closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request_bytes)
        answer = answer_or_close(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/json" in head.lower()
    assert body == (b'{"code":400,"version":1,"error":"Invalid HTTP request received.","debug":""}')


def test_bodies_and_large_heads_within_the_limits_are_answered(port: int) -> None:
    """A 60 KiB body (over the head's bound, within the body's) is not counted as head, plain
    or chunked, and a 9 KiB header still gets the edge's own 431 on a connection that
    stays usable before it."""
    body = b"x" * (60 * 1024)
    plain = b"POST /nowhere HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    chunked = (
        b"POST /nowhere HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (1024, body[i : i + 1024]) for i in range(0, len(body), 1024))
        + b"0\r\n\r\n"
    )
    large = b"GET /imbachat/v1 HTTP/1.1\r\nHost: a\r\nX-Big: %s\r\n\r\n" % (b"b" * 9 * 1024)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for request in (plain, chunked):
            sock.sendall(request)
            assert one_answer(sock).startswith(b"HTTP/1.1 404")
        assert answered(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(large)
        assert one_answer(sock).startswith(b"HTTP/1.1 431")


def one_answer(sock: socket.socket) -> bytes:
    """One whole answer with a Content-Length, read off a connection that stays open."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed before the answer"
        answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    length = next(
        int(line.partition(b":")[2])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed in the answer"
        body += chunk
    assert len(body) == length
    return head + b"\r\n\r\n" + body
