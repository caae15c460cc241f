"""The GraphQL API's own errors: each expected failure has a code; everything else is masked.

Errors here are GraphQL-shaped (`{"errors": [{"message", "extensions": {"code"}}]}`), never the
chat's REST shape: a single page app reads them with the same client that reads the data.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from graphql import GraphQLError, GraphQLSyntaxError
from starlette.responses import Response

from adapter.errors import AdapterError, CacheError, UpstreamError

__all__ = [
    "MASKED_MESSAGE",
    "ExpectedError",
    "RequestRefused",
    "code_document_error",
    "expected_from",
    "graphql_error_response",
    "hide_suggestion",
    "should_mask",
]

MASKED_MESSAGE = "Unexpected error."


class ExpectedError(GraphQLError):
    """A failure the caller can act on: its message and code are shown as they are."""

    def __init__(self, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


def expected_from(exc: AdapterError) -> ExpectedError:
    """The GraphQL face of a domain error: its message and a code, nothing more."""
    if isinstance(exc, UpstreamError):
        return ExpectedError(exc.message, "UPSTREAM_UNAVAILABLE")
    if isinstance(exc, CacheError):
        return ExpectedError(exc.message, "CACHE_UNAVAILABLE")
    return ExpectedError(exc.message, "BAD_REQUEST")


def should_mask(error: GraphQLError) -> bool:
    """Mask what we did not mean to say: any error raised by code rather than by the rules."""
    original = error.original_error
    # No original error: a syntax or validation error about the document, which the caller
    # needs to see to fix it.
    return original is not None and not isinstance(original, ExpectedError)


_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.DOTALL)


def hide_suggestion(error: GraphQLError) -> None:
    """Drop graphql-core's "Did you mean 'chatWidget'?": with introspection off it would list
    the schema's names one typo at a time."""
    error.message = _SUGGESTION.sub("", error.message)


def code_document_error(error: GraphQLError) -> None:
    """Give a syntax or validation error about the document a code, as expected errors have.

    Such errors (a typo, an unknown field, too many tokens, aliases or levels) come from the
    parser and the validation rules, which set no `extensions.code`; a SPA should not have to
    match their messages. Apollo's names are used, which GraphQL clients already know.
    """
    if error.original_error is not None or (error.extensions or {}).get("code"):
        return
    code = (
        "GRAPHQL_PARSE_FAILED"
        if isinstance(error, GraphQLSyntaxError)
        else "GRAPHQL_VALIDATION_FAILED"
    )
    error.extensions = {**(error.extensions or {}), "code": code}


class RequestRefused(Exception):
    """A request refused before execution (transport, size, trusted documents, origin)."""

    def __init__(self, status: int, message: str, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def graphql_error_response(status: int, message: str, code: str) -> Response:
    """A request-level error in the GraphQL response shape (no `data`: nothing was executed)."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")
