"""The one edge (web/edge.py): every request passes it, whatever answers, and tracing changes
nothing but the spans.

Each request of the table goes to the app as served and to the same app with tracing on (spans
to an in-memory exporter): the status and the route the access line names are the table's, and
status, the headers that matter, body, access line and HTTP metrics are the same both ways.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from adapter.app import AdapterApp, create_app
from adapter.config import Settings, TelemetrySettings
from adapter.errors import UpstreamError
from adapter.logs import configure_logging
from adapter.web import telemetry
from tests.support import SettingsFactory, asgi_client

P = "/imbachat/v1"
GOOD = "Basic " + base64.b64encode(b"root:abc").decode()
_COMPARED_HEADERS = ("content-type", "content-length", "www-authenticate", "location", "allow")
U, G, N = f"{P}/users", f"{P}/getusers/{{user_ids}}", "(unmatched)"

# (method, path with query, headers, status, the route the access line names): good, bad and
# edge requests.
CASES: list[tuple[str, str, dict[str, str], int, str]] = [
    ("GET", f"{P}/users?user_ids=1,2,3", {"authorization": GOOD}, 200, U),
    ("GET", f"{P}/users?ids=4,5", {"authorization": GOOD}, 200, U),
    ("GET", f"{P}/users?user_ids=1&ids=2&user_ids=3", {"authorization": GOOD}, 200, U),
    ("GET", f"{P}/users?user_ids=3,%202,3,1", {"authorization": GOOD}, 200, U),
    ("GET", f"{P}/users?user_ids=1%2C2", {"authorization": GOOD}, 200, U),
    ("GET", f"{P}/users?user_ids=", {"authorization": GOOD}, 200, U),
    ("GET", f"{P}/users?user_ids=1,,2,", {"authorization": GOOD}, 200, U),
    ("GET", f"{P}/users?user_ids=999999999", {"authorization": GOOD}, 200, U),
    ("GET", f"{P}/users?user_ids=1a", {"authorization": GOOD}, 400, U),
    ("GET", f"{P}/users?user_ids=-1", {"authorization": GOOD}, 400, U),
    ("GET", f"{P}/users?user_ids=99999999999999999999", {"authorization": GOOD}, 400, U),
    (
        "GET",
        f"{P}/users?user_ids=" + ",".join(map(str, range(1, 1002))),
        {"authorization": GOOD},
        400,
        U,
    ),
    ("GET", f"{P}/users", {"authorization": GOOD}, 400, U),
    ("GET", f"{P}/users?other=1", {"authorization": GOOD}, 400, U),
    ("GET", f"{P}/users?user_ids=1", {}, 401, U),
    ("GET", f"{P}/users?user_ids=1a", {}, 401, U),
    ("GET", f"{P}/users?user_ids=1", {"authorization": "Basic " + "cm9vdDp3cm9uZw=="}, 401, U),
    ("GET", f"{P}/users?user_ids=1", {"authorization": "Bearer abc"}, 401, U),
    ("GET", f"{P}/users?user_ids=1", {"authorization": "Basic !!!"}, 401, U),
    ("GET", f"{P}/users?user_ids=1", {"authorization": "Basic " + "A" * 2000}, 401, U),
    ("GET", f"{P}/users?user_ids=1", {"authorization": "basic " + GOOD[6:]}, 200, U),
    ("GET", f"{P}/users?user_ids=1", {"authorization": GOOD, "x-request-id": "abc-123"}, 200, U),
    ("GET", f"{P}/users?user_ids=1", {"authorization": GOOD, "x-request-id": "x" * 65}, 200, U),
    ("GET", f"{P}/users?user_ids=1", {"authorization": GOOD, "content-length": "0"}, 200, U),
    ("GET", f"{P}/users?user_ids=1", {"authorization": GOOD, "content-length": "99999999"}, 413, N),
    ("GET", f"{P}/users?user_ids=1", {"authorization": GOOD, "x-big": "h" * 9000}, 431, N),
    ("GET", f"{P}/users?user_ids=1&pad=" + "p" * 17000, {"authorization": GOOD}, 414, N),
    ("GET", f"{P}/users/", {"authorization": GOOD}, 404, N),
    ("HEAD", f"{P}/users?user_ids=1", {"authorization": GOOD}, 405, U),
    ("POST", f"{P}/users?user_ids=1", {"authorization": GOOD}, 405, U),
    ("GET", f"{P}/getusers/1,2,3", {"authorization": GOOD}, 200, G),
    ("GET", f"{P}/getusers/7", {"authorization": GOOD}, 200, G),
    ("GET", f"{P}/getusers/1%2C2", {"authorization": GOOD}, 200, G),
    ("GET", f"{P}/getusers/1,x", {"authorization": GOOD}, 400, G),
    ("GET", f"{P}/getusers/1,2?user_ids=9", {"authorization": GOOD}, 200, G),
    ("GET", f"{P}/getusers/1,2", {}, 401, G),
    ("GET", f"{P}/getusers/", {"authorization": GOOD}, 404, N),
    ("GET", f"{P}/getusers/1/2", {"authorization": GOOD}, 404, N),
    ("GET", f"{P}/getusersx/1", {"authorization": GOOD}, 404, N),
    ("GET", f"{P}/usersx?user_ids=1", {"authorization": GOOD}, 404, N),
    ("GET", f"{P}", {}, 200, P),
]


@pytest.fixture(autouse=True)
def _served_logging(json_logs: None) -> None:
    """Every test here logs as `serve` does."""


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """Where the spans of a traced app go."""
    spans = InMemorySpanExporter()
    monkeypatch.setattr(telemetry, "_exporter", lambda _: spans)
    return spans


@pytest.fixture
def both_ways(exporter: InMemorySpanExporter) -> Callable[[Settings], tuple[AdapterApp, ...]]:
    """The app from `settings` as served, and the same with tracing on."""

    def build(settings: Settings) -> tuple[AdapterApp, ...]:
        traced = settings.model_copy(update={"telemetry": TelemetrySettings(enabled=True)})
        return create_app(settings), create_app(traced)

    return build


@pytest.fixture
async def clients(
    make_settings: SettingsFactory, both_ways: Callable[[Settings], tuple[AdapterApp, ...]]
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The app as served and the same app traced, from one configuration."""
    plain, traced = both_ways(make_settings())
    async with asgi_client(plain) as one, asgi_client(traced) as other:
        yield one, other


def _view(response: httpx.Response) -> dict[str, Any]:
    request_id = response.headers.get("x-request-id", "")
    sent = response.request.headers.get("x-request-id")
    return {
        "status": response.status_code,
        "headers": {name: response.headers.get(name) for name in _COMPARED_HEADERS},
        "body": response.content,
        # An id the caller sent is echoed; otherwise each answer has a new one of 32 hex digits.
        "request_id": request_id if request_id == sent else len(request_id),
    }


def _access_lines(err: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    for line in requests:
        assert line.pop("timestamp")
        assert isinstance(line.pop("duration_ms"), float)
        line.pop("request_id")
    return requests


def _http_samples(exposition: str) -> list[str]:
    return sorted(
        line
        for line in exposition.splitlines()
        if line.startswith(
            ("adapter_http_requests_total", "adapter_http_request_duration_seconds_count")
        )
    )


@pytest.mark.parametrize(("method", "url", "headers", "status", "route"), CASES)
async def test_each_request_is_answered_the_same_with_tracing_on(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    capsys: pytest.CaptureFixture[str],
    method: str,
    url: str,
    headers: dict[str, str],
    status: int,
    route: str,
) -> None:
    """Each request gets its status and one access line naming its route, and the same status,
    headers, body, access line and metrics with tracing on."""
    plain, traced = clients
    configure_logging("info")
    capsys.readouterr()
    answer = await plain.request(method, url, headers=headers)
    lines = _access_lines(capsys.readouterr().err)
    traced_answer = await traced.request(method, url, headers=headers)
    traced_lines = _access_lines(capsys.readouterr().err)
    assert answer.status_code == status
    assert [line["route"] for line in lines] == [route]
    if status >= 400 and method != "HEAD":
        assert set(answer.json()) == {"code", "version", "error", "debug"}
    assert _view(answer) == _view(traced_answer)
    assert lines == traced_lines
    metrics = [await client.get("/metrics") for client in (plain, traced)]
    assert _http_samples(metrics[0].text) == _http_samples(metrics[1].text)


async def test_every_routed_request_makes_one_server_span(
    make_settings: SettingsFactory, exporter: InMemorySpanExporter
) -> None:
    """With tracing on, each request of the table past the bounds makes one server span named
    by its method and route, carrying its request id; the users-info handler's among them."""
    settings = make_settings({"telemetry": {"enabled": True}})
    ids = []
    async with asgi_client(create_app(settings)) as client:
        for method, url, headers, status, route in CASES:
            answer = await client.request(method, url, headers=headers)
            if status not in (413, 414, 431):
                ids.append((f"{method} {route}", answer.headers["x-request-id"]))
    servers = [span for span in exporter.get_finished_spans() if span.kind == SpanKind.SERVER]
    assert [(span.name, (span.attributes or {})["imbachat.request_id"]) for span in servers] == ids


async def test_the_users_routes_never_enter_fastapi(make_settings: SettingsFactory) -> None:
    """A users-info GET is answered by its handler behind the edge; other routes go to FastAPI."""
    app = create_app(make_settings())
    entered: list[str] = []
    fastapi = app.edge.fallback

    async def counting(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            entered.append(scope["path"])
        await fastapi(scope, receive, send)

    app.edge.fallback = counting
    async with asgi_client(app) as client:
        assert (await client.get(f"{P}/users?user_ids=1", auth=("root", "abc"))).status_code == 200
        assert (await client.get(f"{P}/getusers/1", auth=("root", "abc"))).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
    assert entered == ["/healthz"]


async def _failing_lookup(*_: Any, **__: Any) -> bytes:
    raise UpstreamError("the site's API failed (ConnectError)")


async def _broken_lookup(*_: Any, **__: Any) -> bytes:
    raise RuntimeError("a bug with a secret=hunter2 in it")


@pytest.mark.parametrize(("lookup", "status"), [(_failing_lookup, 502), (_broken_lookup, 500)])
async def test_failures_answer_in_the_chat_shape(
    make_settings: SettingsFactory,
    both_ways: Callable[[Settings], tuple[AdapterApp, ...]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    lookup: Any,
    status: int,
) -> None:
    """An upstream failure (502) and an unexpected error (500) answer in the chat's shape with
    the request id, the same with tracing on, and the 500 shows no detail of the error."""
    from adapter.directory import Directory

    monkeypatch.setattr(Directory, "lookup_joined", lookup)
    views = []
    for app in both_ways(make_settings()):
        async with asgi_client(app) as client:
            configure_logging("info")
            capsys.readouterr()
            answer = await client.get(f"{P}/users?user_ids=1,2", auth=("root", "abc"))
            err = capsys.readouterr().err
        views.append((_view(answer), _access_lines(err)))
        assert "hunter2" not in answer.text
        assert "hunter2" not in err
        assert set(answer.json()) == {"code", "version", "error", "debug"}
    (plain, plain_lines), (traced, traced_lines) = views
    assert plain["status"] == status
    assert plain["request_id"] == 32
    assert plain == traced
    assert plain_lines == traced_lines


def _query_token(claims: dict[str, Any], key: str = "root:abc") -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm="HS256")


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (f"{P}/users?user_ids=1&jwt_token={_query_token({})}", {}),
        (f"{P}/getusers/1,2?jwt_token={_query_token({'imba_id': 'w1'})}", {}),
        (f"{P}/users?user_ids=1&jwt_token={_query_token({'imba_id': 'other'})}", {}),
        (f"{P}/users?user_ids=1&jwt_token={_query_token({}, 'wrong')}", {}),
        (f"{P}/users?user_ids=1&jwt_token=x&jwt_token={_query_token({})}", {}),
        (f"{P}/users?user_ids=1&jwt_token={_query_token({})}&jwt_token=x", {}),
        (f"{P}/users?user_ids=1&jwt_token={_query_token({})}", {"authorization": "Basic !!"}),
        (f"{P}/users?user_ids=1&jwt_token=not-a-jwt", {"authorization": GOOD}),
    ],
)
async def test_query_tokens_are_checked_the_same_with_tracing_on(
    make_settings: SettingsFactory,
    both_ways: Callable[[Settings], tuple[AdapterApp, ...]],
    capsys: pytest.CaptureFixture[str],
    url: str,
    headers: Any,
) -> None:
    """With `chat.query_token` on, a `jwt_token` parameter (last value wins) authenticates the
    same requests with tracing on as off."""
    settings = make_settings({"chat": {"query_token": {"enabled": True}, "widget_id": "w1"}})
    views = []
    for app in both_ways(settings):
        async with asgi_client(app) as client:
            capsys.readouterr()
            answer = await client.get(url, headers=headers)
            views.append((_view(answer), _access_lines(capsys.readouterr().err)))
    assert views[0] == views[1]


def test_the_openapi_document_still_lists_the_users_routes(make_settings: SettingsFactory) -> None:
    """The users-info routes, with their id parameters, stay in the OpenAPI document."""
    paths = create_app(make_settings()).openapi()["paths"]
    query = paths[f"{P}/users"]["get"]
    by_path = paths[f"{P}/getusers/{{user_ids}}"]["get"]
    october = paths[f"{P}/users/{{user_ids}}"]["get"]
    assert {p["name"] for p in query["parameters"]} == {"user_ids", "ids"}
    assert [(p["name"], p["in"]) for p in by_path["parameters"]] == [("user_ids", "path")]
    assert october["operationId"] != by_path["operationId"]


async def test_lines_logged_while_answering_carry_the_request_id(
    make_settings: SettingsFactory,
    both_ways: Callable[[Settings], tuple[AdapterApp, ...]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A line logged while a request is answered (an upstream failure's, say) names that
    request's id, with tracing on or off; a line logged after the answer names none."""
    import structlog

    from adapter.directory import Directory

    async def logging_lookup(self: Directory, ids: list[int]) -> bytes:
        structlog.get_logger("adapter.test").warning("while_answering")
        return b"[]"

    monkeypatch.setattr(Directory, "lookup_joined", logging_lookup)
    for app in both_ways(make_settings()):
        async with asgi_client(app) as client:
            configure_logging("info")
            capsys.readouterr()
            answer = await client.get(
                f"{P}/users?user_ids=1", auth=("root", "abc"), headers={"x-request-id": "req-42"}
            )
            structlog.get_logger("adapter.test").warning("after_answering")
            lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
        assert answer.headers["x-request-id"] == "req-42"
        by_event = {line["event"]: line for line in lines if line["event"] != "tracing_enabled"}
        assert by_event["while_answering"]["request_id"] == "req-42"
        assert by_event["request"]["request_id"] == "req-42"
        assert "request_id" not in by_event["after_answering"]


@pytest.mark.parametrize("path", ["/graphql", f"{P}/notifications"])
async def test_a_streamed_body_past_the_bound_is_a_413(
    make_settings: SettingsFactory,
    both_ways: Callable[[Settings], tuple[AdapterApp, ...]],
    path: str,
) -> None:
    """A body without Content-Length is counted as it arrives: past `limits.max_body_bytes` the
    handler reading it (the GraphQL endpoint behind the edge, a FastAPI route) gets the chat's
    413, with tracing on as off."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b" " * 600

    for app in both_ways(make_settings({"limits": {"max_body_bytes": 2048}})):
        async with asgi_client(app) as client:
            answer = await client.post(
                path,
                content=chunks(),
                headers={"content-type": "application/json", "authorization": GOOD},
            )
        assert answer.status_code == 413
        assert answer.json() == {
            "code": 413,
            "version": 1,
            "error": "the request body is too large",
            "debug": "",
        }
        assert len(answer.headers["x-request-id"]) == 32


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        (b"abc-123", True),
        (b"x" * 64, True),
        (b"!~/+=:.", True),
        (b"x" * 65, False),
        (b"\xe9abc", False),
        (b"caf\xc3\xa9", False),
        (b"a b", False),
        (b"a\tb", False),
        (b"a\x7fb", False),
    ],
)
async def test_a_request_id_is_echoed_byte_for_byte_or_replaced(
    make_settings: SettingsFactory, sent: bytes, echoed: bool
) -> None:
    """An X-Request-ID of 1 to 64 visible ASCII characters comes back with the same bytes; any
    other (a Latin-1 or UTF-8 letter, a space, a control) gets a new id of 32 hex digits."""
    async with asgi_client(create_app(make_settings())) as client:
        answer = await client.get(P, headers=[(b"x-request-id", sent)])
    (given,) = [value for name, value in answer.headers.raw if name.lower() == b"x-request-id"]
    if echoed:
        assert given == sent
    else:
        assert len(given) == 32
        assert set(given.decode()) <= set("0123456789abcdef")
