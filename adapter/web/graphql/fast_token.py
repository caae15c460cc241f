"""`issueChatToken` for known documents, without FastAPI's stack or GraphQL's general pipeline.

A single page app sends the same few documents again and again. The first time a document
arrives it is parsed; when it is a plain `mutation { issueChatToken { <fields> } }` (no
variables, arguments, aliases on the root, fragments or directives) it is then checked against
the cost limits, validated with the schema's own rules, and compiled (any other document is left
to the pipeline unvalidated, so it is validated once); from then on a request carrying it is
answered here:

- the request is read from the scope and body as the router reads it (POST, JSON content type,
  one JSON object, the trusted-documents list when that is on);
- the very resolver Strawberry would call (`resolve_issue_chat_token`) runs with a
  `ChatContext`, so the viewer rules, the budgets and the metrics are those of the schema;
- its value is serialised with the schema's scalar types in the document's field order, and an
  error becomes the error graphql-core would locate, logged by the schema's `process_errors`
  and masked by the same rule as the `MaskErrors` extension;
- CORS is the endpoint's; the bounds, the request id, the access line and the metrics are the
  edge's (`web/edge.py`), which routes the endpoint's path here.

Anything else (another document, variables, a refused request, a browser `Origin` that is not
allowed, a streaming `Accept`) goes on to FastAPI unchanged, body included.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson
import structlog
from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    OperationDefinitionNode,
    OperationType,
    located_error,
    parse,
    specified_rules,
    validate,
)
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http.parse_content_type import parse_content_type

from adapter.bounded import declared_size
from adapter.config import Settings
from adapter.metrics import Metrics
from adapter.web.graphql.context import ChatContext
from adapter.web.graphql.cors import GraphQLCors
from adapter.web.graphql.cost import cost_errors
from adapter.web.graphql.errors import MASKED_MESSAGE, RequestRefused, should_mask
from adapter.web.graphql.limits import cost_limits, validation_rules
from adapter.web.graphql.router import ChatGraphQLRouter
from adapter.web.graphql.schema import resolve_issue_chat_token
from adapter.web.graphql.trusted import TrustedDocuments

__all__ = ["TokenFastPath"]

log = structlog.get_logger("adapter.app")

_FIELD = "issueChatToken"
_REQUEST_KEYS = frozenset({"query", "variables", "operationName", "extensions"})
_STREAMING = ("multipart/", "text/event-stream")
_REMEMBERED = 256
_JSON_TYPE = "application/json"


@dataclass(frozen=True)
class _Leaf:
    key: str  # the response key (alias or name)
    node: FieldNode
    attribute: str | None  # None: __typename
    scalar: GraphQLScalarType | None
    non_null: bool
    parent: str


@dataclass(frozen=True)
class _Compiled:
    node: FieldNode
    key: str
    leaves: tuple[_Leaf, ...]
    operation_name: str | None


class _Info:
    """What the resolver reads of Strawberry's `Info`: the context."""

    __slots__ = ("context",)

    def __init__(self, context: ChatContext) -> None:
        self.context = context


class _Compiler:
    """Known documents, compiled once each (None: not one this path answers)."""

    def __init__(self, router: ChatGraphQLRouter, settings: Settings) -> None:
        schema = router.schema
        self._schema = schema._schema  # type: ignore[attr-defined]  # graphql-core's schema
        graphql = settings.graphql
        assert graphql is not None
        self._rules = [*specified_rules, *validation_rules(graphql)]
        self._limits = cost_limits(graphql)
        self._max_tokens = graphql.max_tokens
        self._max_bytes = graphql.max_document_bytes
        self._names = _python_names(schema)
        self._known: OrderedDict[str, _Compiled | None] = OrderedDict()

    def get(self, document: str) -> _Compiled | None:
        if document in self._known:
            self._known.move_to_end(document)
            return self._known[document]
        try:
            compiled = self._compile(document)
        except Exception:
            # A rule that trips over an odd document: leave it to the pipeline, which answers
            # it as it always has.
            compiled = None
        self._known[document] = compiled
        if len(self._known) > _REMEMBERED:
            self._known.popitem(last=False)
        return compiled

    def _compile(self, document: str) -> _Compiled | None:
        if len(document.encode()) > self._max_bytes:
            return None
        try:
            # The token limit as MaxTokensLimiter applies it: graphql-core's parser counts.
            ast = parse(document, max_tokens=self._max_tokens)
        except GraphQLError:
            return None
        # The shape first, then the rules: any other document (fragments, say) is validated
        # once, by the pipeline, never here too.
        if len(ast.definitions) != 1:
            return None
        operation = ast.definitions[0]
        if (
            not isinstance(operation, OperationDefinitionNode)
            or operation.operation != OperationType.MUTATION
            or operation.variable_definitions
            or operation.directives
        ):
            return None
        roots = operation.selection_set.selections
        if len(roots) != 1 or not isinstance(roots[0], FieldNode):
            return None
        root = roots[0]
        if root.name.value != _FIELD or root.arguments or root.directives or root.alias:
            return None
        mutation = self._schema.mutation_type
        field_type = mutation.fields[_FIELD].type if mutation else None
        if not isinstance(field_type, GraphQLNonNull) or root.selection_set is None:
            return None
        parent = field_type.of_type
        assert isinstance(parent, GraphQLObjectType)
        leaves: list[_Leaf] = []
        for selection in root.selection_set.selections:
            leaf = self._leaf(selection, parent)
            if leaf is None:
                return None
            leaves.append(leaf)
        if cost_errors(ast, self._limits) or validate(self._schema, ast, self._rules):
            return None
        name = operation.name.value if operation.name else None
        return _Compiled(root, _FIELD, tuple(leaves), name)

    def _leaf(self, selection: object, parent: GraphQLObjectType) -> _Leaf | None:
        if (
            not isinstance(selection, FieldNode)
            or selection.arguments
            or selection.directives
            or selection.selection_set
        ):
            return None
        name = selection.name.value
        key = selection.alias.value if selection.alias else name
        if name == "__typename":
            return _Leaf(key, selection, None, None, True, parent.name)
        field = parent.fields.get(name)
        attribute = self._names.get((parent.name, name))
        if field is None or attribute is None:
            return None
        inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
        if not isinstance(inner, GraphQLScalarType):
            return None
        return _Leaf(
            key, selection, attribute, inner, isinstance(field.type, GraphQLNonNull), parent.name
        )


def _python_names(schema: Any) -> dict[tuple[str, str], str]:
    """(GraphQL type, GraphQL field) -> the Python attribute Strawberry reads."""
    names: dict[tuple[str, str], str] = {}
    converter = schema.config.name_converter
    for concrete in schema.schema_converter.type_map.values():
        definition = concrete.definition
        for field in getattr(definition, "fields", ()):
            graphql_name = converter.get_graphql_name(field)
            names[(definition.name, graphql_name)] = field.python_name
    return names


class TokenFastPath:
    """Pure ASGI: known issueChatToken documents are answered here, the rest by `app`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: Settings,
        metrics: Metrics,
        router: ChatGraphQLRouter,
        trusted: TrustedDocuments | None,
        cors: Callable[[ASGIApp], GraphQLCors],
    ) -> None:
        assert settings.graphql is not None
        self.app = app
        self.path = settings.graphql.path
        self.router = router
        self.trusted = trusted
        self.compiler = _Compiler(router, settings)
        self.cors = cors(self._execute)
        self._schema = router.schema

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != self.path
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        state = scope.get("state")
        if not state or state.get("frontend") is None:
            await self.app(scope, receive, send)
            return
        seen = _scan(scope["headers"])
        length = declared_size(seen.get(b"content-length"))
        content_type = seen.get(b"content-type", "")
        # The common exact value skips the MIME parser; any other is parsed as the router does.
        if content_type != _JSON_TYPE:
            content_type = parse_content_type(content_type)[0]
        origin = seen.get(b"origin")
        if (
            length is None
            or content_type != _JSON_TYPE
            or any(kind in seen.get(b"accept", "") for kind in _STREAMING)
            or (origin is not None and not self.cors.allows(origin, scope))
        ):
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive, length)
        compiled = self._compiled(body) if body is not None else None
        if compiled is None:
            await self.app(scope, _replay(messages, receive), send)
            return
        scope["imbachat.compiled"] = compiled
        await self.cors(scope, receive, send)

    def _compiled(self, body: bytes) -> _Compiled | None:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict) or not _REQUEST_KEYS.issuperset(data):
            return None
        query, extensions = data.get("query"), data.get("extensions")
        if data.get("variables") not in (None, {}) or not isinstance(extensions, dict | None):
            return None
        if self.trusted is not None:
            try:
                query = self.trusted.resolve(query, extensions)
            except RequestRefused:
                return None
        elif extensions:
            return None
        if not isinstance(query, str):
            return None
        compiled = self.compiler.get(query)
        if compiled is None or data.get("operationName") not in (None, compiled.operation_name):
            return None
        return compiled

    async def _execute(self, scope: Scope, receive: Receive, send: Send) -> None:
        compiled: _Compiled = scope.pop("imbachat.compiled")
        state = scope["state"]
        context = ChatContext(Request(scope, receive), state["frontend"], state["directory"])
        try:
            value = await resolve_issue_chat_token(cast(Any, _Info(context)))
            result: dict[str, Any] = {"data": {compiled.key: self._complete(compiled, value)}}
        except _FieldFailure as failure:
            result = self._failed(failure.error)
        except Exception as exc:
            result = self._failed(located_error(exc, [compiled.node], [compiled.key]))
        body = self.router.encode_json(result)
        payload = body if isinstance(body, bytes) else body.encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(payload)).encode()),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    @staticmethod
    def _complete(compiled: _Compiled, value: object) -> dict[str, Any]:
        completed: dict[str, Any] = {}
        for leaf in compiled.leaves:
            path = [compiled.key, leaf.key]
            if leaf.attribute is None:
                completed[leaf.key] = leaf.parent
                continue
            raw = getattr(value, leaf.attribute)
            if raw is None:
                if leaf.non_null:
                    raise _FieldFailure(
                        located_error(
                            TypeError(
                                "Cannot return null for non-nullable field "
                                f"{leaf.parent}.{leaf.node.name.value}."
                            ),
                            [leaf.node],
                            path,
                        )
                    )
                completed[leaf.key] = None
                continue
            assert leaf.scalar is not None
            try:
                completed[leaf.key] = leaf.scalar.serialize(raw)
            except Exception as exc:
                raise _FieldFailure(located_error(exc, [leaf.node], path)) from exc
        return completed

    def _failed(self, error: GraphQLError) -> dict[str, Any]:
        # The field and its parents are non-null: the error nulls the whole answer.
        self._schema.process_errors([error])
        if should_mask(error):
            error = GraphQLError(
                message=MASKED_MESSAGE,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                original_error=None,
            )
        return {"data": None, "errors": [error.formatted]}


_WANTED = frozenset({b"content-length", b"content-type", b"accept", b"origin"})


def _scan(raw: list[tuple[bytes, bytes]]) -> dict[bytes, str]:
    """The first value of each header this path reads."""
    seen: dict[bytes, str] = {}
    for name, value in raw:
        if name in _WANTED and name not in seen:
            seen[name] = value.decode("latin-1")
    return seen


class _FieldFailure(Exception):
    def __init__(self, error: GraphQLError) -> None:
        self.error = error


async def _read_body(receive: Receive, length: int) -> tuple[bytes | None, list[Message]]:
    """The body and the messages it came in; None when it is not exactly `length` bytes."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > length:
            return None, messages
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if size != length:
        return None, messages
    return b"".join(chunks), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that first gives back what was already read."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed
