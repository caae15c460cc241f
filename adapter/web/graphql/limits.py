"""What a document may cost before it runs: depth, aliases, tokens; introspection on or off;
and which errors are masked."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from adapter.config import GraphQLSettings
from adapter.web.graphql.errors import MASKED_MESSAGE, should_mask

__all__ = ["schema_extensions"]


def schema_extensions(settings: GraphQLSettings) -> list[Callable[[], SchemaExtension]]:
    """Factories (one extension per request) for the configured limits."""
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
        partial(QueryDepthLimiter, max_depth=settings.max_depth),
        partial(MaskErrors, should_mask_error=should_mask, error_message=MASKED_MESSAGE),
    ]
    if not settings.introspection:
        extensions.append(DisableIntrospection)
    return extensions
