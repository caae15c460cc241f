"""How domain errors look in GraphQL answers, and which errors are masked."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from adapter.errors import AdapterError, CacheError, RequestRejected, UpstreamUnavailable
from adapter.web.graphql.errors import ExpectedError, expected_from, should_mask


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UpstreamUnavailable("site down"), "UPSTREAM_UNAVAILABLE"),
        (CacheError("redis down"), "CACHE_UNAVAILABLE"),
        (RequestRejected("bad"), "BAD_REQUEST"),
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
