"""The GraphQL API's own errors: each expected failure has a code; everything else is masked.

Errors here are GraphQL-shaped (`{"errors": [{"message", "extensions": {"code"}}]}`), never the
chat's REST shape: a single page app reads them with the same client that reads the data.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

import orjson
from graphql import GraphQLError, GraphQLSyntaxError
from starlette.responses import Response

from adapter.errors import AdapterError, RequestRejected

__all__ = [
    "MASKED_MESSAGE",
    "ExpectedError",
    "RequestRefused",
    "code_document_error",
    "expected_from",
    "graphql_error_response",
    "hide_suggestion",
    "refused_response",
    "should_mask",
    "shown",
]

MASKED_MESSAGE = "Unexpected error."


class ExpectedError(GraphQLError):
    """A failure the caller can act on: its message and code are shown as they are."""

    def __init__(self, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


class RequestRefused(RequestRejected):
    """A GraphQL request refused before it runs (batches, document size, trusted documents).

    A `RequestRejected` (400) in the error tree, with the code its GraphQL error shows.
    """

    def __init__(self, message: str, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.code = code


def expected_from(exc: AdapterError) -> ExpectedError:
    """The GraphQL face of a domain error: its message, its code and extensions, nothing more."""
    return ExpectedError(exc.message, exc.code, **exc.extensions)


def _is_domain_error(original: Exception | None) -> TypeGuard[AdapterError]:
    """A domain error a resolver let through, which shows its message and code."""
    return isinstance(original, AdapterError) and original.status is not None


def should_mask(error: GraphQLError) -> bool:
    """Mask what we did not mean to say: any error raised by code rather than by the rules."""
    original = error.original_error
    # No original error: a syntax or validation error about the document, which the caller
    # needs to see to fix it. Nor is a bad variable value ours (see `_is_bad_variable`).
    return (
        original is not None
        and not isinstance(original, ExpectedError)
        and not _is_domain_error(original)
        and not _is_bad_variable(error)
    )


def shown(error: GraphQLError) -> GraphQLError:
    """The error as the caller sees it: a domain error's face (`expected_from`), or, when
    `should_mask`, only where it happened."""
    original = error.original_error
    if _is_domain_error(original):
        face = expected_from(original)
        message, extensions = face.message, face.extensions
    elif should_mask(error):
        message, extensions = MASKED_MESSAGE, None
    else:
        return error
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def _is_bad_variable(error: GraphQLError) -> bool:
    """graphql-core's refusal of a variable's value ("Variable '$ids' has invalid value at
    [0]: ..."): raised before execution (no path), it wraps the GraphQLError of the coercion
    that failed, and says only what was wrong with what the caller sent."""
    return error.path is None and isinstance(error.original_error, GraphQLError)


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
    if (error.extensions or {}).get("code"):
        return
    if _is_bad_variable(error):
        error.extensions = {**(error.extensions or {}), "code": "BAD_USER_INPUT"}
        return
    if error.original_error is not None:
        return
    code = (
        "GRAPHQL_PARSE_FAILED"
        if isinstance(error, GraphQLSyntaxError)
        else "GRAPHQL_VALIDATION_FAILED"
    )
    error.extensions = {**(error.extensions or {}), "code": code}


def graphql_error_response(status: int, message: str, code: str) -> Response:
    """A request-level error in the GraphQL response shape (no `data`: nothing was executed)."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def refused_response(exc: RequestRejected) -> Response:
    """A request refused before it ran: its class's status and code."""
    assert exc.status is not None  # every RequestRejected has one
    return graphql_error_response(exc.status, exc.message, exc.code)
