"""What a document may cost before it runs: depth, aliases, tokens; introspection on or off;
and which errors are masked."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from graphql import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from adapter.config import GraphQLSettings
from adapter.web.graphql.errors import MASKED_MESSAGE, should_mask

__all__ = ["schema_extensions", "validation_rules"]

# Distinct documents remembered parsed and validated. A SPA sends a handful; documents past
# this are parsed and validated again, never refused.
_CACHED_DOCUMENTS = 256


def validation_rules(settings: GraphQLSettings) -> list[type[ASTValidationRule]]:
    """The depth, alias and introspection rules, beside graphql-core's specified rules."""
    limiters: list[AddValidationRules] = [
        QueryDepthLimiter(max_depth=settings.max_depth),
        MaxAliasesLimiter(max_alias_count=settings.max_aliases),
    ]
    if not settings.introspection:
        limiters.append(DisableIntrospection())
    return [rule for limiter in limiters for rule in limiter.validation_rules]


def schema_extensions(settings: GraphQLSettings) -> list[Callable[[], SchemaExtension]]:
    """Factories (one extension per request) for the configured limits.

    The depth, alias and introspection rules are built once, here: the limiter extensions
    would build new rule classes per request, and the validation cache is keyed by the rule
    classes, so it would never hit.
    """
    rules = validation_rules(settings)
    return [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(ParserCache, maxsize=_CACHED_DOCUMENTS),
        partial(AddValidationRules, rules),
        partial(ValidationCache, maxsize=_CACHED_DOCUMENTS),
        partial(MaskErrors, should_mask_error=should_mask, error_message=MASKED_MESSAGE),
    ]
