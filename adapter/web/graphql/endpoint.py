"""The GraphQL endpoint: a plain ASGI app, the one execution path for every document.

- POST with `Content-Type: application/json` and one JSON object; GET only for GraphiQL (when
  on) and for queries when `queries_via_get` is on, so mutations never travel over GET, and
  never for another site's page (`Sec-Fetch-Site`; a browser's GET may carry no `Origin`);
- documents over `max_document_bytes`, or off the trusted list when that is on, are refused
  before parsing; each distinct document is prepared once (`limits.py`), then graphql-core
  executes it on Strawberry's schema with Strawberry's execution context (`executor.py`);
  errors go through the schema's `process_errors` and are masked as `errors.shown` says;
- a GET answer is never stored by a cache (`no-store`: it may carry a token); every refusal is
  a GraphQL-shaped JSON error with a 4xx status and no traceback;
- no WebSocket (the edge routes none): nothing here needs one, and sockets are outside CORS.
"""

from __future__ import annotations

from inspect import isawaitable
from typing import Any

import orjson
import strawberry
from graphql import ExecutionResult
from starlette.datastructures import Headers, QueryParams
from starlette.requests import ClientDisconnect
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from adapter.config import GraphQLSettings
from adapter.errors import UnsupportedBody
from adapter.web.graphql.context import ChatContext
from adapter.web.graphql.cors import fetched_by_another_site
from adapter.web.graphql.errors import (
    RequestRefused,
    graphql_error_response,
    refused_response,
    shown,
)
from adapter.web.graphql.executor import DocumentExecutor
from adapter.web.graphql.ide import graphiql_page
from adapter.web.graphql.limits import Documents, graphql_core_schema
from adapter.web.graphql.trusted import TrustedDocuments
from adapter.web.responses import JSON, PRIVATE, send_json

__all__ = ["GraphQLEndpoint"]


_POST = frozenset({OperationType.QUERY, OperationType.MUTATION})
_QUERIES = frozenset({OperationType.QUERY})
_NONE: frozenset[OperationType] = frozenset()
_OBJECT = (dict, type(None))
# An answer may carry the viewer's widget token. A GET query's answer is cacheable by default,
# and a shared cache would hand it to the next visitor: never stored, as gettoken's. A POST
# answer needs neither header (no cache keeps one without explicit freshness, and no page can
# load one as a script), and the two would cost a token request 2 % in uvicorn's header checks.
_PRIVATE = tuple((name.lower().encode(), value.encode()) for name, value in PRIVATE.items())


class GraphQLEndpoint:
    """The handler the edge routes `graphql.path` to; the context comes from the lifespan's
    state."""

    def __init__(
        self,
        schema: strawberry.Schema,
        settings: GraphQLSettings,
        *,
        trusted: TrustedDocuments | None = None,
    ) -> None:
        self.schema = schema
        self._core = graphql_core_schema(schema)
        self._documents = Documents(self._core, settings)
        self._get = _QUERIES if settings.queries_via_get else _NONE
        self._ide = graphiql_page(settings.path) if settings.graphiql else None
        self._max_document_bytes = settings.max_document_bytes
        self._trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Read from the scope and answered with two messages, as users_info.py does: Starlette's
        # Request and Response cost a tenth of a token request and add nothing here.
        try:
            answer = await self._answer(scope, receive)
        except (RequestRefused, UnsupportedBody) as exc:
            answer = refused_response(exc)
        if isinstance(answer, Response):
            await answer(scope, receive, send)
            return
        await send_json(send, answer, _PRIVATE if scope["method"] == "GET" else ())

    async def _answer(self, scope: Scope, receive: Receive) -> bytes | Response:
        method = scope["method"]
        headers = Headers(scope=scope)
        if method == "POST":
            content_type = headers.get("content-type", "")
            if content_type != JSON and parse_content_type(content_type)[0] != JSON:
                raise UnsupportedBody("send the operation as JSON (Content-Type: application/json)")
            return await self._execute(scope, headers, _json(await _body(receive)), _POST)
        if method not in ("GET", "HEAD"):
            return graphql_error_response(
                405, "GraphQL is served over POST with a JSON body", "METHOD_NOT_ALLOWED"
            )
        params = QueryParams(scope["query_string"])
        if "query" not in params and any(
            kind in headers.get("accept", "") for kind in ("text/html", "*/*")
        ):
            if self._ide is None:
                return graphql_error_response(404, "Not Found", "NOT_FOUND")
            return HTMLResponse(self._ide)
        if "origin" not in headers and fetched_by_another_site(headers):
            # Another site's <img> or <script>: it cannot read the answer, but would still
            # have the site asked who its visitor is and spend that viewer's token budget.
            return graphql_error_response(
                403, "another site's page may not run operations here", "FORBIDDEN_ORIGIN"
            )
        data: dict[str, Any] = dict(params)
        for name in ("variables", "extensions"):
            if data.get(name):
                data[name] = _json(data[name].encode())
        return await self._execute(scope, headers, data, self._get)

    async def _execute(
        self, scope: Scope, headers: Headers, data: object, allowed: frozenset[OperationType]
    ) -> bytes:
        if not isinstance(data, dict):
            raise RequestRefused("the body must be one JSON object (no batches)")
        query, variables = data.get("query"), data.get("variables")
        operation_name, extensions = data.get("operationName"), data.get("extensions")
        _check_type("query", query, (str, type(None)), "a string")
        _check_type("operationName", operation_name, (str, type(None)), "a string")
        _check_type("variables", variables, _OBJECT, "an object")
        _check_type("extensions", extensions, _OBJECT, "an object")
        if self._trusted is not None:
            query = self._trusted.resolve(query, extensions)
        if query is not None and len(query.encode()) > self._max_document_bytes:
            raise RequestRefused(
                f"the document is larger than {self._max_document_bytes} bytes",
                "DOCUMENT_TOO_LARGE",
            )
        if not query:
            raise RequestRefused("No GraphQL query found in the request")
        document, errors, kind, built_once = self._documents.prepared[query, operation_name]
        if document is not None:
            if kind is None:
                reason = CannotGetOperationTypeError(operation_name).as_http_error_reason()
                raise RequestRefused(reason)
            if kind not in allowed:
                reason = InvalidOperationTypeError(kind).as_http_error_reason(scope["method"])
                raise RequestRefused(reason)
        if document is None or errors:
            return self._answer_with(ExecutionResult(None, errors))
        state = scope["state"]
        context = ChatContext(scope, headers, state["frontend"], state["directory"])
        # graphql-core's `execute` in two public steps, without its wrappers for `@defer`
        # and `@stream`, which the schema does not have.
        if built_once is not None:
            executor = built_once.for_context(context)
        else:
            built = DocumentExecutor.for_request(
                self._core,
                document,
                context=context,
                variables=variables,
                operation_name=operation_name,
            )
            if isinstance(built, list):
                return self._answer_with(ExecutionResult(None, built))
            executor = built
        result = executor.execute_operation()
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)  # incremental results need @defer or @stream
        return self._answer_with(result)

    def _answer_with(self, result: ExecutionResult) -> bytes:
        answer: dict[str, object] = {"data": result.data}
        if result.errors:
            # Logged (and given codes) as they are; shown masked where they must be.
            self.schema.process_errors(result.errors)
            answer["errors"] = [shown(error).formatted for error in result.errors]
        return orjson.dumps(answer)


async def _body(receive: Receive) -> bytes:
    """The request's body (the edge bounds it); ClientDisconnect if the caller hangs up."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _json(body: bytes) -> object:
    # orjson: invalid UTF-8 and absurd nesting are JSONDecodeErrors, not 500s.
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise RequestRefused("Unable to parse request body as JSON") from None


def _check_type(name: str, value: object, types: tuple[type, ...], kind: str) -> None:
    if not isinstance(value, types):
        raise RequestRefused(
            f"The GraphQL operation's `{name}` must be {kind} or null, if provided."
        )
