"""The issueChatToken fast path against Strawberry's pipeline: the same requests, the same answers.

Two apps from one configuration: one as served (known documents answered in front of FastAPI),
one with the fast paths taken out. Every request of the table goes to both; status, the headers
that matter, the body (the widget token compared by its claims, since each is signed anew), the
access line and the HTTP and token metrics must be the same.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import jwt
import pytest

from adapter.app import AdapterApp, create_app
from adapter.web.graphql.fast_token import TokenFastPath
from tests.graphql.support import ISSUE, session_cookie
from tests.support import SettingsFactory, asgi_client

ORIGIN = "https://site.example"
_COMPARED_HEADERS = (
    "content-type",
    "content-length",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "vary",
    "allow",
)
JSON_TYPE = {"content-type": "application/json"}
SIGNED_IN = {**JSON_TYPE, **session_cookie(6)}


def _body(query: str | None = ISSUE, **fields: Any) -> bytes:
    return json.dumps({"query": query, **fields}).encode()


# (body, headers): good, bad and edge requests to POST /graphql.
CASES: list[tuple[bytes, dict[str, str]]] = [
    (_body(), SIGNED_IN),
    (_body(variables={}), SIGNED_IN),
    (_body(variables=None, operationName=None, extensions=None), SIGNED_IN),
    (_body("mutation Issue { issueChatToken { token userId } }", operationName="Issue"), SIGNED_IN),
    (_body("mutation Issue { issueChatToken { token } }", operationName="Other"), SIGNED_IN),
    (_body("mutation { issueChatToken { expiresAt __typename userId token } }"), SIGNED_IN),
    (_body("mutation { issueChatToken { t: token id: userId } }"), SIGNED_IN),
    (_body("mutation { a: issueChatToken { token } }"), SIGNED_IN),
    (_body("mutation { issueChatToken { token } issueChatToken { userId } }"), SIGNED_IN),
    (_body("mutation { issueChatToken { token nope } }"), SIGNED_IN),
    (_body("mutation { issueChatToken { token }"), SIGNED_IN),
    (_body("mutation ($x: Int) { issueChatToken { token } }", variables={"x": 1}), SIGNED_IN),
    (_body(extensions={"persistedQuery": {"sha256Hash": "00"}}), SIGNED_IN),
    (_body(variables=[]), SIGNED_IN),
    (_body(other=1), SIGNED_IN),
    (_body(None), SIGNED_IN),
    (_body("{ chatWidget { userId } }"), SIGNED_IN),
    (_body(), JSON_TYPE),
    (_body(), {**JSON_TYPE, "Cookie": "imbachat_demo_session=forged"}),
    (_body(), {**SIGNED_IN, "content-type": "application/json; charset=utf-8"}),
    (_body(), {**SIGNED_IN, "content-type": "text/plain"}),
    (_body(), {**SIGNED_IN, "accept": "multipart/mixed"}),
    (_body(), {**SIGNED_IN, "x-request-id": "token-call-1"}),
    (_body(), {**SIGNED_IN, "origin": ORIGIN}),
    (_body(), {**SIGNED_IN, "origin": "https://elsewhere.example"}),
    (_body(), {**SIGNED_IN, "origin": "http://adapter.test"}),
    (b"not json", SIGNED_IN),
    (b"[1, 2]", SIGNED_IN),
    (b'{"query": 5}', SIGNED_IN),
    (b"{" * 70000, SIGNED_IN),
    (_body("mutation { issueChatToken { " + "token " * 3000 + "} }"), SIGNED_IN),
]


def _pipeline_only(app: AdapterApp) -> AdapterApp:
    """`app` with the GraphQL path handed to FastAPI's router (the fast path taken out)."""
    app.edge.route("/graphql", app.edge.fallback)
    return app


@pytest.fixture(autouse=True)
def _served_logging(json_logs: None) -> None:
    """Every test here logs as `serve` does."""


@pytest.fixture
async def clients(
    make_settings: SettingsFactory,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The app as served and the same app without the fast paths (an allowed CORS origin)."""
    settings = make_settings({"graphql": {"cors": {"allowed_origins": [ORIGIN]}}})
    async with (
        asgi_client(create_app(settings)) as fast,
        asgi_client(_pipeline_only(create_app(settings))) as slow,
    ):
        yield fast, slow


def _normalised(value: Any) -> Any:
    """Widget tokens by their claims without `exp`, times by type: each call signs anew."""
    if isinstance(value, dict):
        return {key: _normalised_field(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    return value


def _normalised_field(key: str, value: Any) -> Any:
    if key in ("token", "t") and isinstance(value, str):
        claims = jwt.decode(value, options={"verify_signature": False})
        claims.pop("exp")
        return claims
    if key == "expiresAt":
        return type(value).__name__
    return _normalised(value)


def _view(response: httpx.Response) -> dict[str, Any]:
    try:
        body: Any = _normalised(response.json())
    except ValueError:
        body = response.content
    request_id = response.headers.get("x-request-id", "")
    return {
        "status": response.status_code,
        "headers": {name: response.headers.get(name) for name in _COMPARED_HEADERS},
        "body": body,
        "request_id": request_id
        if request_id == response.request.headers.get("x-request-id")
        else len(request_id),
    }


def _access_lines(err: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    for line in requests:
        line.pop("timestamp")
        line.pop("duration_ms")
        line.pop("request_id")
    return requests


def _samples(exposition: str) -> list[str]:
    wanted = ("adapter_http_requests_total", "adapter_tokens_total")
    return sorted(line for line in exposition.splitlines() if line.startswith(wanted))


async def _both(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    capsys: pytest.CaptureFixture[str],
    body: bytes,
    headers: Mapping[str, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    views = []
    for client in clients:
        capsys.readouterr()
        response = await client.post("/graphql", content=body, headers=dict(headers))
        views.append({**_view(response), "lines": _access_lines(capsys.readouterr().err)})
    return views[0], views[1]


@pytest.mark.parametrize(("body", "headers"), CASES)
async def test_fast_token_path_answers_as_strawberry_does(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    capsys: pytest.CaptureFixture[str],
    body: bytes,
    headers: dict[str, str],
) -> None:
    """Each request gets the same status, headers, body, access line and metrics both ways."""
    fast, slow = await _both(clients, capsys, body, headers)
    assert fast == slow
    assert len(fast["lines"]) == 1
    metrics = [await client.get("/metrics") for client in clients]
    assert _samples(metrics[0].text) == _samples(metrics[1].text)


def _pop_retry_after(answer: dict[str, Any]) -> int | None:
    errors = answer["body"].get("errors") or [{}]
    wait: int | None = errors[0].get("extensions", {}).pop("retryAfterSeconds", None)
    return wait


async def test_the_viewer_budget_runs_out_the_same_way(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Past per_viewer tokens a minute both ways answer RATE_LIMITED on the same call."""
    answers = [await _both(clients, capsys, _body(), SIGNED_IN) for _ in range(22)]
    for fast, slow in answers:
        # The two answers come a moment apart: a wait in whole seconds may tick over between.
        waits = [_pop_retry_after(fast), _pop_retry_after(slow)]
        assert fast == slow
        assert None not in waits or waits == [None, None]
        assert max(w or 0 for w in waits) - min(w or 0 for w in waits) <= 1
    codes = [
        (fast["body"].get("errors") or [{}])[0].get("extensions", {}).get("code")
        for fast, _ in answers
    ]
    assert codes[:20] == [None] * 20
    assert codes[20:] == ["RATE_LIMITED", "RATE_LIMITED"]


async def test_known_documents_skip_fastapi(make_settings: SettingsFactory) -> None:
    """A known token document is answered without entering FastAPI's stack; others enter it."""
    app = create_app(make_settings())
    entered: list[str] = []
    async with asgi_client(app) as client:
        route = app.edge._match("/graphql")
        token_path = route.app if route is not None else None
        assert isinstance(token_path, TokenFastPath)
        inner = token_path.app

        async def counting(scope: Any, receive: Any, send: Any) -> None:
            entered.append(json.dumps(scope["path"]))
            await inner(scope, receive, send)

        token_path.app = counting
        for _ in range(2):
            answer = await client.post("/graphql", content=_body(), headers=SIGNED_IN)
            assert answer.json()["data"]["issueChatToken"]["userId"] == "6"
        other = _body("{ chatWidget { userId } }")
        assert (await client.post("/graphql", content=other, headers=SIGNED_IN)).status_code == 200
    assert entered == ['"/graphql"']


async def test_an_unexpected_error_is_masked_and_logged_the_same_way(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug while signing is "Unexpected error." both ways, logged once each, secret-free."""

    def broken(*_: Any) -> Any:
        raise RuntimeError("signing failed with secret=hunter2")

    monkeypatch.setattr("adapter.web.graphql.services.widget_token", broken)
    views = []
    for client in clients:
        capsys.readouterr()
        response = await client.post("/graphql", content=_body(), headers=SIGNED_IN)
        err = capsys.readouterr().err
        assert "hunter2" not in response.text
        assert "hunter2" not in err
        logged = [json.loads(line)["event"] for line in err.splitlines() if line.startswith("{")]
        assert logged.count("graphql_unexpected_error") == 1
        views.append(_view(response))
    assert views[0] == views[1]
    assert views[0]["body"]["errors"][0]["message"] == "Unexpected error."


async def test_trusted_documents_answer_the_same_both_ways(
    make_settings: SettingsFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the trusted list on: a listed document, its hash alone, an unlisted document and
    an unknown hash get the same answers both ways."""
    from adapter.web.graphql.trusted import document_hash
    from tests.graphql.support import manifest

    listed = next(text for text in manifest().values() if "issueChatToken" in text)
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": document_hash(listed)}}
    unknown = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    settings = make_settings({"graphql": {"trusted_documents": {"enabled": True}}})
    async with (
        asgi_client(create_app(settings)) as fast,
        asgi_client(_pipeline_only(create_app(settings))) as slow,
    ):
        for body in (
            _body(listed),
            _body(None, extensions=persisted),
            _body(),
            _body(None, extensions=unknown),
        ):
            one, other = await _both((fast, slow), capsys, body, SIGNED_IN)
            assert one == other
        answered = await fast.post(
            "/graphql", content=_body(None, extensions=persisted), headers=SIGNED_IN
        )
        assert answered.json()["data"]["issueChatToken"]["userId"] == "6"
