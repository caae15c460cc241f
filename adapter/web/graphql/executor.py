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

from typing import Any

from graphql import GraphQLObjectType
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

__all__ = ["Collected", "DocumentExecutor"]

# Collected selections of one document: by the object type and the ids of the field nodes.
Collected = dict[tuple[object, ...], CollectedFields]


class DocumentExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context (resolvers get its `Info`); `collected` is the document's
    store, or None to collect per request."""

    def __init__(self, *args: Any, collected: Collected | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.collected = collected

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
