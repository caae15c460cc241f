"""What a document may cost before it runs: tokens, then depth, aliases and fields; introspection
on or off; and which errors are masked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache, partial

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.schema.schema import validate_document

from adapter.config import GraphQLSettings
from adapter.web.graphql.cost import CostLimits, cost_errors
from adapter.web.graphql.errors import MASKED_MESSAGE, should_mask

__all__ = ["cost_limits", "schema_extensions", "validation_rules"]

# Distinct documents remembered parsed and validated. A SPA sends a handful; documents past
# this are parsed and validated again, never refused.
_CACHED_DOCUMENTS = 256

Validator = Callable[
    [GraphQLSchema, DocumentNode, tuple[type[ASTValidationRule], ...]], list[GraphQLError]
]


def cost_limits(settings: GraphQLSettings) -> CostLimits:
    """The configured bounds on what one operation may cost."""
    return CostLimits(settings.max_depth, settings.max_aliases, settings.max_fields)


def validation_rules(settings: GraphQLSettings) -> list[type[ASTValidationRule]]:
    """The rules beside graphql-core's specified ones: no introspection, when it is off.

    The cost bounds are not rules: they are checked before any rule runs (`cost.py`).
    """
    return [] if settings.introspection else list(DisableIntrospection().validation_rules)


def bounded_validator(limits: CostLimits) -> Validator:
    """Validation that first checks the cost: a document over it is refused before any rule
    walks it (graphql-core's rules are not all linear in what fragments expand to). Remembers
    the last `_CACHED_DOCUMENTS` documents' errors."""

    @lru_cache(maxsize=_CACHED_DOCUMENTS)
    def validate(
        schema: GraphQLSchema,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        return cost_errors(document, limits) or validate_document(schema, document, rules)

    return validate


class BoundedValidation(SchemaExtension):
    """Strawberry's validation step, through `bounded_validator` (it replaces ValidationCache,
    which would validate before any cost check could run)."""

    def __init__(self, validate: Validator) -> None:
        super().__init__()
        self._validate = validate

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None  # parsing came first
        context.pre_execution_errors = self._validate(
            context.schema._schema,  # graphql-core's schema, as ValidationCache reads it
            context.graphql_document,
            tuple(context.validation_rules),
        )
        yield


def schema_extensions(settings: GraphQLSettings) -> list[Callable[[], SchemaExtension]]:
    """Factories (one extension per request) for the configured limits.

    The introspection rule and the validator are built once, here: the validation cache is
    keyed by the rule classes, so rules built per request would never hit it.
    """
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(ParserCache, maxsize=_CACHED_DOCUMENTS),
    ]
    rules = validation_rules(settings)
    if rules:
        extensions.append(partial(AddValidationRules, rules))
    return [
        *extensions,
        partial(BoundedValidation, bounded_validator(cost_limits(settings))),
        partial(MaskErrors, should_mask_error=should_mask, error_message=MASKED_MESSAGE),
    ]
