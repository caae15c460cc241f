"""How domain errors look in GraphQL answers, and which errors are masked."""

from __future__ import annotations

import orjson
import pytest
from graphql import GraphQLError

from adapter.errors import (
    AdapterError,
    CacheError,
    RequestRejected,
    UnsupportedBody,
    UpstreamUnavailable,
    ViewerIdInvalid,
)
from adapter.web.graphql.errors import (
    ExpectedError,
    RequestRefused,
    expected_from,
    refused_response,
    should_mask,
    shown,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UpstreamUnavailable("site down"), "UPSTREAM_UNAVAILABLE"),
        (CacheError("redis down"), "CACHE_UNAVAILABLE"),
        (RequestRejected("bad"), "BAD_REQUEST"),
        (ViewerIdInvalid("id out of range"), "VIEWER_ID_INVALID"),
        (RequestRefused("too big", "DOCUMENT_TOO_LARGE"), "DOCUMENT_TOO_LARGE"),
    ],
)
def test_domain_errors_keep_their_message_and_get_a_code(error: AdapterError, code: str) -> None:
    """A domain error shows its own message with a code that says what kind it is."""
    shown = expected_from(error)
    assert shown.message == error.message
    assert shown.extensions == {"code": code}


def test_what_is_masked() -> None:
    """Document errors and expected errors are shown; errors raised by code are masked."""
    assert not should_mask(GraphQLError("Cannot query field 'x'"))
    assert not should_mask(GraphQLError("x", original_error=ExpectedError("y", "Z")))
    assert should_mask(GraphQLError("x", original_error=KeyError("secret")))


def test_a_domain_error_a_resolver_lets_through_shows_its_face() -> None:
    """A domain error raised in a resolver shows its message and code, where it happened."""
    error = GraphQLError("x", path=["chatUsers"], original_error=CacheError("redis down"))
    assert not should_mask(error)
    face = shown(error)
    assert (face.message, face.extensions, face.path) == (
        "redis down",
        {"code": "CACHE_UNAVAILABLE"},
        ["chatUsers"],
    )


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (RequestRefused("no batches"), 400, "BAD_REQUEST"),
        (RequestRefused("not trusted", "UNTRUSTED_DOCUMENT"), 400, "UNTRUSTED_DOCUMENT"),
        (UnsupportedBody("send JSON"), 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_refusals_take_the_error_trees_status(
    error: RequestRejected, status: int, code: str
) -> None:
    """A request refused before it runs answers with its class's status, in the GraphQL shape."""
    response = refused_response(error)
    assert response.status_code == status
    assert orjson.loads(response.body) == {
        "errors": [{"message": error.message, "extensions": {"code": code}}]
    }
