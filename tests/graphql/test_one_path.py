"""One path for every document: each distinct document parsed and validated once, every request
observed once, unexpected errors masked and logged once, token outcomes counted by one service."""

from __future__ import annotations

import json
from typing import Any

import graphql
import pytest

from adapter.app import create_app
from adapter.web.graphql.trusted import document_hash
from tests.graphql.support import (
    ISSUE,
    WIDGET,
    RecordingSite,
    error_code,
    manifest,
    session_cookie,
    site_settings,
)
from tests.support import SettingsFactory, asgi_client

ORIGIN = "https://site.example"
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
    (_body("mutation { issueChatToken { token } issueChatToken { userId } }"), SIGNED_IN),
    (_body("mutation { issueChatToken { token nope } }"), SIGNED_IN),
    (_body("mutation { issueChatToken { token }"), SIGNED_IN),
    (_body("mutation ($x: Int) { issueChatToken { token } }", variables={"x": 1}), SIGNED_IN),
    (_body(extensions={"persistedQuery": {"sha256Hash": "00"}}), SIGNED_IN),
    (_body(variables=[]), SIGNED_IN),
    (_body(operationName=5), SIGNED_IN),
    (_body(None), SIGNED_IN),
    (_body(WIDGET), SIGNED_IN),
    (_body(), JSON_TYPE),
    (_body(), {**JSON_TYPE, "Cookie": "imbachat_demo_session=forged"}),
    (_body(), {**SIGNED_IN, "content-type": "application/json; charset=utf-8"}),
    (_body(), {**SIGNED_IN, "content-type": "text/plain"}),
    (_body(), {**SIGNED_IN, "accept": "multipart/mixed"}),
    (_body(), {**SIGNED_IN, "origin": ORIGIN}),
    (_body(), {**SIGNED_IN, "origin": "https://elsewhere.example"}),
    (b"not json", SIGNED_IN),
    (b"[1, 2]", SIGNED_IN),
    (b'{"query": 5}', SIGNED_IN),
    (_body("mutation { issueChatToken { " + "token " * 3000 + "} }"), SIGNED_IN),
]


@pytest.fixture(autouse=True)
def _served_logging(json_logs: None) -> None:
    """Every test here logs as `serve` does."""


def _logged(err: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


@pytest.mark.parametrize(("body", "headers"), CASES)
async def test_every_request_is_answered_once_in_the_graphql_shape(
    make_settings: SettingsFactory,
    capsys: pytest.CaptureFixture[str],
    body: bytes,
    headers: dict[str, str],
) -> None:
    """Good, bad and odd requests: a GraphQL-shaped JSON answer, never a 5xx, one access line
    naming the endpoint's route, the request id echoed."""
    settings = make_settings({"graphql": {"cors": {"allowed_origins": [ORIGIN]}}})
    async with asgi_client(create_app(settings)) as client:
        capsys.readouterr()
        response = await client.post(
            "/graphql", content=body, headers={**headers, "x-request-id": "call-1"}
        )
        lines = [line for line in _logged(capsys.readouterr().err) if line["event"] == "request"]
    assert response.status_code < 500
    assert response.headers["content-type"] == "application/json"
    assert set(response.json()) <= {"data", "errors"}
    assert response.headers["x-request-id"] == "call-1"
    assert [(line["route"], line["status"]) for line in lines] == [
        ("/graphql", response.status_code)
    ]


async def test_each_distinct_document_is_parsed_and_validated_once(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped client's documents sent again and again: parsed once and validated once each,
    whoever sends them."""
    parsed: list[str] = []
    validated: list[str] = []
    parse, validate = graphql.parse, graphql.validate

    def counted_parse(text: str, **options: Any) -> Any:
        parsed.append(text)
        return parse(text, **options)

    def counted_validate(schema: Any, document: Any, rules: Any) -> Any:
        validated.append(document.loc.source.body)
        return validate(schema, document, rules)

    monkeypatch.setattr("adapter.web.graphql.limits.parse", counted_parse)
    monkeypatch.setattr("adapter.web.graphql.limits.validate", counted_validate)
    async with asgi_client(create_app(make_settings())) as client:
        for headers in (SIGNED_IN, JSON_TYPE, SIGNED_IN):
            for document in (ISSUE, WIDGET):
                answer = await client.post("/graphql", content=_body(document), headers=headers)
                assert answer.status_code == 200
    assert sorted(parsed) == sorted(validated) == sorted([ISSUE, WIDGET])


async def test_selections_are_collected_once_per_document_without_variables(
    make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fields under each object are collected the first time a document runs, then found
    again; a document with variables has them collected on every run."""
    collected: list[str] = []
    collect = graphql.execution.collect_fields.collect_subfields

    def counted(*args: Any) -> Any:
        collected.append(args[4].name)  # the object type (the embedded demo site's too)
        return collect(*args)

    monkeypatch.setattr("graphql.execution.executor.collect_subfields", counted)
    with_variables = "mutation ($x: Boolean!) { issueChatToken { token @include(if: $x) } }"
    async with asgi_client(create_app(make_settings())) as client:
        for _ in range(3):
            for document in (ISSUE, WIDGET):
                answer = await client.post("/graphql", content=_body(document), headers=SIGNED_IN)
                assert "errors" not in answer.json()
        for shown in (True, False):
            answer = await client.post(
                "/graphql", content=_body(with_variables, variables={"x": shown}), headers=SIGNED_IN
            )
            token = answer.json()["data"]["issueChatToken"]
            assert ("token" in token) is shown
    ours = [name for name in collected if name.startswith("Chat")]
    assert ours == ["ChatToken", "ChatWidget", "ChatToken", "ChatToken"]


async def test_an_unexpected_error_is_masked_and_logged_once(
    make_settings: SettingsFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug while signing is "Unexpected error.", logged once, secret-free."""

    def broken(*_: Any) -> Any:
        raise RuntimeError("signing failed with secret=hunter2")

    monkeypatch.setattr("adapter.web.graphql.services.widget_token", broken)
    async with asgi_client(create_app(make_settings())) as client:
        capsys.readouterr()
        response = await client.post("/graphql", content=_body(), headers=SIGNED_IN)
        err = capsys.readouterr().err
    assert "hunter2" not in response.text
    assert "hunter2" not in err
    assert [line["event"] for line in _logged(err)].count("graphql_unexpected_error") == 1
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Unexpected error.",
                "locations": [{"line": 1, "column": 12}],
                "path": ["issueChatToken"],
            }
        ],
    }


async def test_a_trusted_document_runs_by_its_hash(make_settings: SettingsFactory) -> None:
    """With the trusted list on, the shipped token document runs from its hash alone."""
    listed = next(text for text in manifest().values() if "issueChatToken" in text)
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": document_hash(listed)}}
    settings = make_settings({"graphql": {"trusted_documents": {"enabled": True}}})
    async with asgi_client(create_app(settings)) as client:
        answered = await client.post(
            "/graphql", content=_body(None, extensions=persisted), headers=SIGNED_IN
        )
        unlisted = await client.post("/graphql", content=_body(), headers=SIGNED_IN)
    assert answered.json()["data"]["issueChatToken"]["userId"] == "6"
    assert error_code(unlisted.json()) == "UNTRUSTED_DOCUMENT"


def _token_outcomes(exposition: str) -> dict[str, float]:
    return {
        line.split('"')[1]: float(line.rsplit(" ", 1)[1])
        for line in exposition.splitlines()
        if line.startswith("adapter_tokens_total{")
    }


async def test_token_outcomes_are_counted_alike_for_every_route(
    make_settings: SettingsFactory, recording_site: RecordingSite
) -> None:
    """issueChatToken, chatWidget and gettoken count each outcome, a failing site included, the
    same way (chatWidget's anonymous answer counted as unauthenticated)."""
    settings = site_settings(make_settings, recording_site.url)
    credentials = ["user-7", "anonymous", "user-abc", "status-500"]
    async with asgi_client(create_app(settings)) as client:
        for credential in credentials:
            headers = {"Authorization": f"Bearer {credential}"}
            await client.post("/graphql", json={"query": ISSUE}, headers=headers)
            await client.post("/graphql", json={"query": WIDGET}, headers=headers)
            await client.get(f"{settings.chat.prefix}/gettoken", headers=headers)
        exposition = (await client.get("/metrics")).text
    assert _token_outcomes(exposition) == {
        "issued": 3.0,
        "unauthenticated": 3.0,
        "viewer_id_invalid": 3.0,
        "upstream_unavailable": 3.0,
        "forbidden_origin": 0.0,
        "rate_limited": 0.0,
    }


async def test_a_rate_limited_chat_widget_is_counted(make_settings: SettingsFactory) -> None:
    """chatWidget over the viewer's budget counts rate_limited, as the other routes do."""
    budget = {"graphql": {"rate_limit": {"per_viewer": "1/hour", "per_ip": "1000/hour"}}}
    async with asgi_client(create_app(make_settings(budget))) as client:
        for _ in range(2):
            await client.post("/graphql", json={"query": WIDGET}, headers=SIGNED_IN)
        exposition = (await client.get("/metrics")).text
    counted = _token_outcomes(exposition)
    assert (counted["issued"], counted["rate_limited"]) == (1.0, 1.0)
