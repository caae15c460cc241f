"""The endpoint's execution context: Strawberry's, with each document's selections collected
once.

For every object in a result, graphql-core collects the fields selected under it (fragments
spread, `@skip`/`@include` applied) before resolving them. When the operation declares no
variables, nothing in that depends on the request, so the collections are kept with the parsed
document (`limits.Prepared.collected`, one dict per distinct document, gone with it) and found
again by the identity of the field nodes they came from, which the remembered document keeps
alive. An operation with variables is collected per request, as graphql-core does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard, cast

from graphql import DocumentNode, GraphQLError, GraphQLObjectType, GraphQLSchema
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

__all__ = ["Collected", "DocumentExecutor"]

# Collected selections of one document: by the object type and the ids of the field nodes.
Collected = dict[tuple[object, ...], CollectedFields]


class DocumentExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context (resolvers get its `Info`); `collected` is the document's
    store, or None to collect per request (set after `build`: a constructor of its own would
    pass every argument through one more layer, a tenth of building one)."""

    collected: Collected | None = None

    @classmethod
    def for_request(
        cls,
        schema: GraphQLSchema,
        document: DocumentNode,
        *,
        context: object,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        collected: Collected | None,
    ) -> DocumentExecutor | list[GraphQLError]:
        """graphql-core's `build` (the errors of the variables, if any), with Strawberry's own
        awaitable check (what `Schema.execute` passes: a set lookup for plain values first)."""
        executor = cls.build(
            schema,
            document,
            context_value=context,
            raw_variable_values=variables,
            operation_name=operation_name,
            is_awaitable=cast("Callable[[Any], TypeGuard[Awaitable[Any]]]", optimized_is_awaitable),
        )
        if isinstance(executor, list):
            return executor
        assert isinstance(executor, DocumentExecutor)  # `build` makes an instance of `cls`
        executor.collected = collected
        return executor

    def collect_subfields(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> CollectedFields:
        collected = self.collected
        if collected is None:
            return super().collect_subfields(return_type, field_details_list)
        key = (return_type, *[id(details.node) for details in field_details_list])
        found = collected.get(key)
        if found is None:
            found = collected[key] = super().collect_subfields(return_type, field_details_list)
        return found
