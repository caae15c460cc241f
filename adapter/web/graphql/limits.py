"""What a document may cost before it runs, parsed and validated once per distinct document.

Tokens (the parser's limit), then depth, aliases and fields (`cost.py`), then graphql-core's rules
with introspection off when it is off; errors are masked by `MaskErrors`. A SPA sends a handful of
documents again and again: each distinct text is parsed and validated once and remembered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache, partial

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    parse,
    specified_rules,
    validate,
)
from strawberry.extensions import DisableIntrospection, MaskErrors, SchemaExtension
from strawberry.schema import BaseSchema

from adapter.config import GraphQLSettings
from adapter.web.graphql.cost import CostLimits, cost_errors
from adapter.web.graphql.errors import MASKED_MESSAGE, should_mask

__all__ = ["graphql_core_schema", "schema_extensions"]

# Distinct documents remembered parsed and validated. A SPA sends a handful; documents past
# this are parsed and validated again, never refused.
_CACHED_DOCUMENTS = 256


def graphql_core_schema(schema: BaseSchema) -> GraphQLSchema:
    """graphql-core's schema inside Strawberry's, which validation needs.

    Strawberry keeps it in a private attribute (its own ValidationCache reads it there); this is
    the one place the adapter reads it, and tests/test_dependency_contracts.py fails if it moves.
    """
    core = schema._schema  # type: ignore[attr-defined]  # see the docstring
    assert isinstance(core, GraphQLSchema)
    return core


class _Documents:
    """Each document text parsed within `max_tokens`, then validated: cost first, so no rule
    walks a document over it (graphql-core's rules are not all linear in what fragments expand
    to), then the rules. Both remembered for the last `_CACHED_DOCUMENTS` texts."""

    def __init__(self, settings: GraphQLSettings) -> None:
        self._max_tokens = settings.max_tokens
        self._limits = CostLimits(settings.max_depth, settings.max_aliases, settings.max_fields)
        rules: list[type[ASTValidationRule]] = [*specified_rules]
        if not settings.introspection:
            rules.extend(DisableIntrospection().validation_rules)
        self._rules = rules
        self.parse = lru_cache(maxsize=_CACHED_DOCUMENTS)(self._parse)
        self.errors = lru_cache(maxsize=_CACHED_DOCUMENTS)(self._errors)

    def _parse(self, query: str) -> DocumentNode:
        return parse(query, max_tokens=self._max_tokens)

    def _errors(self, schema: GraphQLSchema, query: str) -> list[GraphQLError]:
        document = self.parse(query)
        return cost_errors(document, self._limits) or validate(schema, document, self._rules)


class _KnownDocuments(SchemaExtension):
    """Strawberry's parse and validation steps, from `_Documents`."""

    def __init__(self, documents: _Documents) -> None:
        super().__init__()
        self._documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        assert context.query is not None  # Strawberry refuses a request without one first
        context.graphql_document = self._documents.parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.query is not None
        core = graphql_core_schema(context.schema)
        context.pre_execution_errors = self._documents.errors(core, context.query)
        yield


def schema_extensions(settings: GraphQLSettings) -> list[Callable[[], SchemaExtension]]:
    """Factories (one extension per request) for the configured limits and masking; the
    documents' memory is built once, here, and shared by every request."""
    return [
        partial(_KnownDocuments, _Documents(settings)),
        partial(MaskErrors, should_mask_error=should_mask, error_message=MASKED_MESSAGE),
    ]
