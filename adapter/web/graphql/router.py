"""The GraphQL endpoint: Strawberry's FastAPI router, stricter about what it accepts.

- POST with `Content-Type: application/json` and a JSON object body; GET only for GraphiQL
  (and for queries when `queries_via_get` is on), so mutations never travel over GET;
- documents larger than `max_document_bytes`, or off the trusted list when that is on, are
  refused before parsing;
- every refusal is a GraphQL-shaped JSON error with a 4xx status and no traceback;
- no WebSocket route: nothing here needs one, and sockets are outside CORS.
"""

from __future__ import annotations

from dataclasses import replace

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi.routing import APIWebSocketRoute
from starlette.requests import Request
from starlette.responses import Response
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema import BaseSchema
from strawberry.types.unset import UNSET

from adapter.config import GraphQLSettings
from adapter.errors import UnsupportedBody
from adapter.web.graphql.context import ChatContext, get_context
from adapter.web.graphql.errors import (
    RequestRefused,
    graphql_error_response,
    refused_response,
)
from adapter.web.graphql.ide import graphiql_page
from adapter.web.graphql.trusted import TrustedDocuments

__all__ = ["ChatGraphQLRouter"]

_JSON = "application/json"
_HTTP_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class ChatGraphQLRouter(GraphQLRouter[ChatContext, None]):
    """`settings.path` on a FastAPI app; the context comes from `request.state`."""

    def __init__(
        self,
        schema: BaseSchema,
        settings: GraphQLSettings,
        *,
        trusted: TrustedDocuments | None = None,
    ) -> None:
        super().__init__(
            schema,
            path=settings.path,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=settings.queries_via_get,
            context_getter=get_context,
            multipart_uploads_enabled=False,
            include_in_schema=False,
        )
        self.routes[:] = [r for r in self.routes if not isinstance(r, APIWebSocketRoute)]
        self._max_document_bytes = settings.max_document_bytes
        self._trusted = trusted
        self._ide_html = graphiql_page(settings.path)

        @self.api_route(settings.path, methods=["PUT", "PATCH", "DELETE"])
        async def other_methods() -> Response:
            return graphql_error_response(
                405, "GraphQL is served over POST with a JSON body", "METHOD_NOT_ALLOWED"
            )

    @property
    def graphql_ide_html(self) -> str:
        # The vendored GraphiQL, not Strawberry's page that loads it from a CDN.
        return self._ide_html

    def decode_json(self, data: str | bytes) -> object:
        # orjson: invalid UTF-8 and absurd nesting are JSONDecodeErrors, not 500s.
        return orjson.loads(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            media_type, _ = parse_content_type(request.content_type or "")
            if media_type != _JSON:
                raise UnsupportedBody("send the operation as JSON (Content-Type: application/json)")
            if not isinstance(self.parse_json(await request.get_body()), dict):
                raise RequestRefused("the body must be one JSON object (no batches)")
        parsed = await super().parse_http_body(request)
        if not isinstance(parsed, GraphQLRequestData):  # pragma: no cover - batching is off
            raise RequestRefused("batched operations are not accepted")
        query = parsed.query
        if self._trusted is not None:
            query = self._trusted.resolve(query, parsed.extensions)
        if query is not None and len(query.encode()) > self._max_document_bytes:
            raise RequestRefused(
                f"the document is larger than {self._max_document_bytes} bytes",
                "DOCUMENT_TOO_LARGE",
            )
        return replace(parsed, query=query)

    async def run(  # type: ignore[override]  # HTTP only: the WebSocket route is removed
        self, request: Request, context: ChatContext = UNSET, root_value: None = UNSET
    ) -> Response:
        try:
            return await super().run(request, context, root_value)
        except (RequestRefused, UnsupportedBody) as exc:
            return refused_response(exc)
        except HTTPException as exc:
            code = _HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
            return graphql_error_response(exc.status_code, exc.reason, code)
