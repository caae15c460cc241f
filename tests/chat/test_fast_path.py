"""The users-info fast path against FastAPI's routes: the same requests, the same answers.

Two apps from the same configuration: one as served (the plain ASGI handler in front), one with
the fast path taken out, so FastAPI's routes and middleware answer everything. Each request of
the table goes to both; status, the headers that matter, body, access line and HTTP metrics must
be the same.
"""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning

from adapter.app import create_app
from adapter.config import Settings
from adapter.errors import UpstreamError
from adapter.logs import configure_logging
from adapter.web.fast_path import UsersFastPath
from tests.support import SettingsFactory, asgi_client

P = "/imbachat/v1"
GOOD = "Basic " + base64.b64encode(b"root:abc").decode()
_COMPARED_HEADERS = ("content-type", "content-length", "www-authenticate", "location", "allow")

# (method, path with query, headers): good, bad and edge requests.
CASES: list[tuple[str, str, dict[str, str]]] = [
    ("GET", f"{P}/users?user_ids=1,2,3", {"authorization": GOOD}),
    ("GET", f"{P}/users?ids=4,5", {"authorization": GOOD}),
    ("GET", f"{P}/users?user_ids=1&ids=2&user_ids=3", {"authorization": GOOD}),
    ("GET", f"{P}/users?user_ids=3,%202,3,1", {"authorization": GOOD}),
    ("GET", f"{P}/users?user_ids=1%2C2", {"authorization": GOOD}),
    ("GET", f"{P}/users?user_ids=", {"authorization": GOOD}),
    ("GET", f"{P}/users?user_ids=1,,2,", {"authorization": GOOD}),
    ("GET", f"{P}/users?user_ids=999999999", {"authorization": GOOD}),
    ("GET", f"{P}/users?user_ids=1a", {"authorization": GOOD}),
    ("GET", f"{P}/users?user_ids=-1", {"authorization": GOOD}),
    ("GET", f"{P}/users?user_ids=99999999999999999999", {"authorization": GOOD}),
    ("GET", f"{P}/users?user_ids=" + ",".join(map(str, range(1, 1002))), {"authorization": GOOD}),
    ("GET", f"{P}/users", {"authorization": GOOD}),
    ("GET", f"{P}/users?other=1", {"authorization": GOOD}),
    ("GET", f"{P}/users?user_ids=1", {}),
    ("GET", f"{P}/users?user_ids=1a", {}),
    ("GET", f"{P}/users?user_ids=1", {"authorization": "Basic " + "cm9vdDp3cm9uZw=="}),
    ("GET", f"{P}/users?user_ids=1", {"authorization": "Bearer abc"}),
    ("GET", f"{P}/users?user_ids=1", {"authorization": "Basic !!!"}),
    ("GET", f"{P}/users?user_ids=1", {"authorization": "Basic " + "A" * 2000}),
    ("GET", f"{P}/users?user_ids=1", {"authorization": "basic " + GOOD[6:]}),
    ("GET", f"{P}/users?user_ids=1", {"authorization": GOOD, "x-request-id": "abc-123"}),
    ("GET", f"{P}/users?user_ids=1", {"authorization": GOOD, "x-request-id": "x" * 65}),
    ("GET", f"{P}/users?user_ids=1", {"authorization": GOOD, "content-length": "0"}),
    ("GET", f"{P}/users?user_ids=1", {"authorization": GOOD, "content-length": "99999999"}),
    ("GET", f"{P}/users?user_ids=1", {"authorization": GOOD, "x-big": "h" * 9000}),
    ("GET", f"{P}/users?user_ids=1&pad=" + "p" * 17000, {"authorization": GOOD}),
    ("GET", f"{P}/users/", {"authorization": GOOD}),
    ("HEAD", f"{P}/users?user_ids=1", {"authorization": GOOD}),
    ("POST", f"{P}/users?user_ids=1", {"authorization": GOOD}),
    ("GET", f"{P}/getusers/1,2,3", {"authorization": GOOD}),
    ("GET", f"{P}/getusers/7", {"authorization": GOOD}),
    ("GET", f"{P}/getusers/1%2C2", {"authorization": GOOD}),
    ("GET", f"{P}/getusers/1,x", {"authorization": GOOD}),
    ("GET", f"{P}/getusers/1,2?user_ids=9", {"authorization": GOOD}),
    ("GET", f"{P}/getusers/1,2", {}),
    ("GET", f"{P}/getusers/", {"authorization": GOOD}),
    ("GET", f"{P}/getusers/1/2", {"authorization": GOOD}),
    ("GET", f"{P}/getusersx/1", {"authorization": GOOD}),
    ("GET", f"{P}/usersx?user_ids=1", {"authorization": GOOD}),
    ("GET", f"{P}", {}),
]


@pytest.fixture(autouse=True)
def _served_logging(json_logs: None) -> None:
    """Every test here logs as `serve` does."""


@pytest.fixture
async def clients(
    make_settings: SettingsFactory,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The app as served and the same app without the fast path, from one configuration."""
    settings = make_settings()
    async with (
        asgi_client(create_app(settings)) as fast,
        asgi_client(create_app(settings, fast_paths=False)) as slow,
    ):
        yield fast, slow


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


@pytest.mark.parametrize(("method", "url", "headers"), CASES)
async def test_fast_path_answers_as_fastapi_does(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    capsys: pytest.CaptureFixture[str],
    method: str,
    url: str,
    headers: dict[str, str],
) -> None:
    """Each request gets the same status, headers, body, access line and metrics both ways."""
    fast, slow = clients
    configure_logging("info")
    capsys.readouterr()
    fast_answer = await fast.request(method, url, headers=headers)
    fast_lines = _access_lines(capsys.readouterr().err)
    slow_answer = await slow.request(method, url, headers=headers)
    slow_lines = _access_lines(capsys.readouterr().err)
    assert _view(fast_answer) == _view(slow_answer)
    assert fast_lines == slow_lines
    assert len(fast_lines) == 1
    metrics = [await client.get("/metrics") for client in (fast, slow)]
    assert _http_samples(metrics[0].text) == _http_samples(metrics[1].text)


async def test_the_fast_path_answers_the_users_routes_itself(
    make_settings: SettingsFactory,
) -> None:
    """A users-info GET never enters FastAPI's stack when the fast path is on; other routes do."""
    app = create_app(make_settings())
    entered: list[str] = []
    async with asgi_client(app) as client:
        built = app.front
        assert isinstance(built, UsersFastPath)
        inner = built.app

        async def counting(scope: Any, receive: Any, send: Any) -> None:
            entered.append(scope["path"])
            await inner(scope, receive, send)

        built.app = counting
        assert (await client.get(f"{P}/users?user_ids=1", auth=("root", "abc"))).status_code == 200
        assert (await client.get(f"{P}/getusers/1", auth=("root", "abc"))).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
    assert entered == ["/healthz"]


async def _failing_lookup(*_: Any, **__: Any) -> list[bytes]:
    raise UpstreamError("the site's API failed (ConnectError)")


async def _broken_lookup(*_: Any, **__: Any) -> list[bytes]:
    raise RuntimeError("a bug with a secret=hunter2 in it")


@pytest.mark.parametrize("lookup", [_failing_lookup, _broken_lookup])
async def test_failures_answer_the_same_both_ways(
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    lookup: Any,
) -> None:
    """An upstream failure (502) and an unexpected error (500) look the same both ways,
    and the 500 shows no detail of the error."""
    from adapter.directory import Directory

    monkeypatch.setattr(Directory, "lookup", lookup)
    settings: Settings = make_settings()
    views = []
    for app in (create_app(settings), create_app(settings, fast_paths=False)):
        async with asgi_client(app) as client:
            configure_logging("info")
            capsys.readouterr()
            answer = await client.get(f"{P}/users?user_ids=1,2", auth=("root", "abc"))
            err = capsys.readouterr().err
        views.append((_view(answer), _access_lines(err)))
        assert "hunter2" not in answer.text
        assert "hunter2" not in err
    (fast, fast_lines), (slow, slow_lines) = views
    assert fast["status"] in (500, 502)
    assert fast_lines == slow_lines
    # FastAPI's outermost error layer sends its 500 around the request-id middleware; the fast
    # path's answer carries the id like every other answer.
    assert fast.pop("request_id") == 32
    assert slow.pop("request_id") == (32 if fast["status"] == 502 else 0)
    assert fast == slow


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
async def test_query_tokens_are_checked_the_same_both_ways(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str], url: str, headers: Any
) -> None:
    """With `chat.query_token` on, a `jwt_token` parameter (last value wins) authenticates the
    same requests both ways."""
    settings = make_settings({"chat": {"query_token": {"enabled": True}, "widget_id": "w1"}})
    views = []
    for app in (create_app(settings), create_app(settings, fast_paths=False)):
        async with asgi_client(app) as client:
            capsys.readouterr()
            answer = await client.get(url, headers=headers)
            views.append((_view(answer), _access_lines(capsys.readouterr().err)))
    assert views[0] == views[1]


def test_the_openapi_document_still_lists_the_users_routes(make_settings: SettingsFactory) -> None:
    """Both users-info routes, with their id parameters, stay in the OpenAPI document."""
    paths = create_app(make_settings()).openapi()["paths"]
    query = paths[f"{P}/users"]["get"]
    by_path = paths[f"{P}/getusers/{{user_ids}}"]["get"]
    assert {p["name"] for p in query["parameters"]} == {"user_ids", "ids"}
    assert [(p["name"], p["in"]) for p in by_path["parameters"]] == [("user_ids", "path")]


async def test_lines_logged_while_answering_carry_the_request_id(
    make_settings: SettingsFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A line logged while a request is answered (an upstream failure's, say) names that
    request's id, both ways in; a line logged after the answer names none."""
    import structlog

    from adapter.directory import Directory

    async def logging_lookup(self: Directory, ids: list[int]) -> list[bytes]:
        structlog.get_logger("adapter.test").warning("while_answering")
        return []

    monkeypatch.setattr(Directory, "lookup", logging_lookup)
    settings: Settings = make_settings()
    for app in (create_app(settings), create_app(settings, fast_paths=False)):
        async with asgi_client(app) as client:
            configure_logging("info")
            capsys.readouterr()
            answer = await client.get(
                f"{P}/users?user_ids=1", auth=("root", "abc"), headers={"x-request-id": "req-42"}
            )
            structlog.get_logger("adapter.test").warning("after_answering")
            lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
        assert answer.headers["x-request-id"] == "req-42"
        by_event = {line["event"]: line for line in lines}
        assert by_event["while_answering"]["request_id"] == "req-42"
        assert by_event["request"]["request_id"] == "req-42"
        assert "request_id" not in by_event["after_answering"]
