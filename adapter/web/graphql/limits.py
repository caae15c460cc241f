"""What a document may cost before it runs, checked once per distinct document.

The parser's token limit, then the cost (`cost.py`), then graphql-core's rules (introspection
off when it is off). A SPA sends a handful of documents again and again: each distinct text
(with its operation name) is prepared once and remembered (up to `_CACHED_DOCUMENTS`, then
the memo starts again: the few a SPA sends are prepared again once).
"""

from __future__ import annotations

from typing import NamedTuple

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from strawberry.extensions import DisableIntrospection
from strawberry.schema import BaseSchema
from strawberry.types.graphql import OperationType

from adapter.config import GraphQLSettings
from adapter.memo import ComputedMemo
from adapter.web.graphql.cost import cost_errors
from adapter.web.graphql.executor import DocumentExecutor

__all__ = ["Documents", "Prepared", "graphql_core_schema"]

# Distinct documents remembered parsed and validated. A SPA sends a handful; documents past
# this are parsed and validated again, never refused.
_CACHED_DOCUMENTS = 256


def graphql_core_schema(schema: BaseSchema) -> GraphQLSchema:
    """graphql-core's schema inside Strawberry's, which validation and execution need.

    Strawberry keeps it in a private attribute (its own ValidationCache reads it there); this is
    the one place the adapter reads it, and tests/test_dependency_contracts.py fails if it moves.
    """
    core = schema._schema  # type: ignore[attr-defined]  # see the docstring
    assert isinstance(core, GraphQLSchema)
    return core


class Prepared(NamedTuple):
    """A document text parsed (None: it does not parse), what refuses it (nothing: it may
    run), the kind of the operation the request names (None: it names none there is) and its
    executor, copied for each request (None: built per request, as when the operation declares
    variables; `executor.py`)."""

    document: DocumentNode | None
    errors: list[GraphQLError]
    kind: OperationType | None
    executor: DocumentExecutor | None


class Documents:
    """Each document text parsed within `max_tokens`, then checked: the cost first, so no rule
    walks a document over it (graphql-core's rules are not all linear in what fragments expand
    to), then the rules."""

    def __init__(self, schema: GraphQLSchema, settings: GraphQLSettings) -> None:
        self._schema = schema
        self._settings = settings
        rules: list[type[ASTValidationRule]] = [*specified_rules]
        if not settings.introspection:
            rules.extend(DisableIntrospection().validation_rules)
        self._rules = rules
        # By (document text, operation name): `documents.prepared[query, operation_name]`.
        self.prepared: ComputedMemo[tuple[str, str | None], Prepared] = ComputedMemo(
            _CACHED_DOCUMENTS, self._prepare
        )

    def _prepare(self, text_and_name: tuple[str, str | None]) -> Prepared:
        query, operation_name = text_and_name
        try:
            document = parse(query, max_tokens=self._settings.max_tokens)
        except GraphQLError as error:
            return Prepared(None, [error], None, None)
        errors = cost_errors(document, self._settings) or validate(
            self._schema, document, self._rules
        )
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return Prepared(document, errors, None, None)
        kind = OperationType(operation.operation.value)
        if errors or operation.variable_definitions:
            return Prepared(document, errors, kind, None)
        executor = DocumentExecutor.for_document(self._schema, document, operation_name)
        return Prepared(document, errors, kind, executor)
