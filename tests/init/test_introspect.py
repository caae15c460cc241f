"""The endpoint client's failures (injected with MockTransport) and sampling's fallbacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from graphql import build_schema

from adapter.errors import InitError
from adapter.init import introspect
from adapter.init.discover import discover
from adapter.init.introspect import Endpoint
from adapter.init.sample import collect_samples

SECRET = "s3cret-value"
Handler = Callable[[httpx.Request], httpx.Response]


def _endpoint(handler: Handler) -> Endpoint:
    return Endpoint(
        "http://site.test/graphql?key=abc",
        {"Authorization": f"Bearer {SECRET}"},
        transport=httpx.MockTransport(handler),
    )


def _raise(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def _answer(status: int, body: Any, **headers: str) -> Handler:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return lambda request: httpx.Response(status, content=content, headers=headers)


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (_answer(401, b"no"), "answered HTTP 401: it wants credentials; pass them with --header"),
        (_answer(403, {"errors": [{"message": "x"}]}), "answered HTTP 403"),
        (_answer(500, {"errors": [{"message": "boom"}]}), "HTTP 500 to the introspection: boom"),
        (_answer(500, {"data": None}), "answered HTTP 500 to the introspection"),
        (
            _answer(400, {"errors": [{"message": "GraphQL introspection is not allowed"}]}),
            "introspection is not allowed (is introspection turned off on this server? Give "
            "init its schema instead: --schema FILE",
        ),
        (_answer(502, b"<html>bad gateway"), "did not answer with GraphQL JSON (HTTP 502)"),
        (_answer(302, b"", location="/login"), "answered with a redirect (HTTP 302)"),
        (_answer(200, [1]), "did not answer with GraphQL JSON (HTTP 200)"),
        (
            _answer(200, {"errors": ["introspection is off"]}),
            "refused the introspection: introspection is off (is introspection turned off",
        ),
        (_answer(200, {"data": None}), "refused the introspection: no data in the answer"),
        (_answer(200, {"data": {"__schema": {}}}), "but not with a usable schema"),
        (_raise(httpx.ReadTimeout("slow")), "did not answer within 10 s"),
        (_raise(httpx.ConnectError("refused")), "cannot connect to http://site.test/graphql"),
        (_raise(httpx.RemoteProtocolError("")), "failed (RemoteProtocolError)"),
    ],
)
def test_schema_failures(handler: Handler, message: str) -> None:
    """Each way a site can fail is one clear message naming it, without headers or query."""
    with _endpoint(handler) as endpoint, pytest.raises(InitError) as caught:
        endpoint.schema()
    assert message in caught.value.message
    assert SECRET not in caught.value.message
    assert "key=abc" not in caught.value.message


def test_answer_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer past the size bound is refused instead of read."""
    monkeypatch.setattr(introspect, "MAX_RESPONSE_BYTES", 10)
    with (
        _endpoint(_answer(200, {"data": {"x": "y" * 100}})) as endpoint,
        pytest.raises(InitError, match="refusing to read it"),
    ):
        endpoint.execute("{ x }")


def test_not_an_http_url() -> None:
    """Only http(s) URLs are accepted."""
    with pytest.raises(InitError, match="not an http"):
        Endpoint("ftp://site.test/graphql", {})


SAMPLE_SCHEMA = build_schema(
    """
    type User { id: Int! username: String lastSeen: Float }
    type Query {
      member(id: Int!): User
      everyone(first: Int): [User!]!
      search(q: String!): [User!]!
    }
    """
)


def _site(answers: dict[str, Any]) -> Handler:
    """Answers by the first root field the query asks for; errors where a value is missing."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        query: str = body["query"]
        for key, value in answers.items():
            if key in query:
                data = value(body["variables"]) if callable(value) else value
                return httpx.Response(200, json={"data": data} if data is not None else {})
        return httpx.Response(200, json={"errors": [{"message": "no"}]})

    return handler


def test_samples_fall_back_to_the_id_alone() -> None:
    """When the wide selection is refused, the ids alone are sampled."""

    def members(variables: dict[str, int]) -> dict[str, Any] | None:
        return {f"u{i}": {"id": v} for i, v in enumerate(variables.values())}

    site = _site({"lastSeen": None, "member(": members})
    with _endpoint(site) as endpoint:
        found = collect_samples(endpoint, discover(SAMPLE_SCHEMA), given=["4", "x", "5"])
    assert found.ids == ("4", "x", "5")
    assert found.users == ({"id": 4}, {"id": 5})
    assert found.confirmed


def test_samples_from_search_when_listing_fails() -> None:
    """Unknown 1, 2, 3 and a failing listing leave the search to name a few users."""

    def members(variables: dict[str, int]) -> dict[str, Any]:
        return {f"u{i}": ({"id": v} if v > 10 else None) for i, v in enumerate(variables.values())}

    site = _site(
        {"everyone": None, "search(": {"search": [{"id": 11}, {"id": 12}]}, "member(": members}
    )
    with _endpoint(site) as endpoint:
        found = collect_samples(endpoint, discover(SAMPLE_SCHEMA))
    assert found.ids == ("11", "12")
    assert "found by `search`" in found.note
    assert [user["id"] for user in found.users] == [11, 12]


def test_samples_from_listing() -> None:
    """A listing field with a limit names the first users."""
    site = _site(
        {
            "everyone": {"everyone": [{"id": 21}, {"id": 22}]},
            "member(": lambda v: {
                f"u{i}": {"id": x} if x > 20 else None for i, x in enumerate(v.values())
            },
        }
    )
    with _endpoint(site) as endpoint:
        found = collect_samples(endpoint, discover(SAMPLE_SCHEMA))
    assert found.ids == ("21", "22")
    assert "listed by `everyone`" in found.note


def test_no_samples() -> None:
    """A site that names no user leaves a note saying how to give ids."""
    with _endpoint(_site({"member(": lambda v: {}})) as endpoint:
        found = collect_samples(endpoint, discover(SAMPLE_SCHEMA))
    assert (found.ids, found.users, found.confirmed) == (("1", "2", "3"), (), False)
    assert "--sample-ids" in found.note
    with _endpoint(_site({"member(": lambda v: {}})) as endpoint:
        given = collect_samples(endpoint, discover(SAMPLE_SCHEMA), given=["x"])
    assert (given.users, given.confirmed) == ((), False)


def test_samples_when_the_site_fails() -> None:
    """A site failing while sampled is a note, not an error."""
    with _endpoint(_raise(httpx.ConnectError("gone"))) as endpoint:
        found = collect_samples(endpoint, discover(SAMPLE_SCHEMA))
    assert found.users == ()
    assert "would not give sample users: cannot connect" in found.note
