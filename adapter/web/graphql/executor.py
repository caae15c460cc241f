"""The endpoint's execution context: Strawberry's, built once for each document without
variables and copied for each request.

When the operation declares no variables, nothing graphql-core's `build` and the three
constructors do (about a tenth of a token request) depends on the request: the executor is built
once with the parsed document and copied per request with its own context and a fresh execution
state (`for_context`), as graphql-core's subscriptions copy one per event; the dependency
contract tests pin which attributes are which. Such a document's collected selections are kept
in `collected`, shared by its copies and keyed by the field nodes' ids (the remembered document
keeps them alive); and its leaf fields without a resolver of their own are read by Strawberry's
resolver and coerced by their scalar, without graphql-core's `Info` and `complete_value` (a token
request's three leaves cost 50k of its 500k instructions that way). A leaf that comes out null
or raises, and every other field, take graphql-core's `execute_field` (the read has no effects).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard, cast

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_nullable_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList
from graphql.execution.executor import CollectedErrors
from graphql.pyutils import Path, RefMap
from graphql.type import GraphQLResolveInfoHelpers
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

__all__ = ["Collected", "DocumentExecutor"]

# Collected selections of one document: by the object type and the ids of the field nodes.
Collected = dict[tuple[object, ...], CollectedFields]
# A plain attribute read: Strawberry's resolver for a field without one, and its scalar type.
_Leaf = tuple[Callable[[Any, None], Any], GraphQLLeafType]


class DocumentExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context (resolvers get its `Info`); `collected` is the document's
    store, or None to collect per request."""

    collected: Collected | None = None
    leaves: dict[tuple[GraphQLObjectType, int], _Leaf | None] | None = None

    @classmethod
    def for_request(
        cls,
        schema: GraphQLSchema,
        document: DocumentNode,
        *,
        context: object,
        variables: dict[str, Any] | None,
        operation_name: str | None,
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
        return executor

    @classmethod
    def for_document(
        cls, schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
    ) -> DocumentExecutor | None:
        """The executor of a document whose operation declares no variables, without a
        context, to copy for each request (None: it cannot be built; each request is then
        answered with why)."""
        executor = cls.for_request(
            schema, document, context=None, variables=None, operation_name=operation_name
        )
        if isinstance(executor, list):
            return None
        executor.collected = {}
        executor.leaves = {}
        return executor

    def for_context(self, context: object) -> DocumentExecutor:
        """A copy for one request: the document's part shared (the schema, the operation, its
        fragments and variables, the resolvers, `collected`), the request's part new."""
        executor = object.__new__(type(self))
        executor.__dict__ = self.__dict__.copy()  # a third of what `copy.copy` costs
        executor.context_value = context
        # What graphql-core's and Strawberry's constructors start each execution with.
        executor.collected_errors = CollectedErrors()
        executor.async_helpers = GraphQLResolveInfoHelpers(
            executor.gather_async_work, executor.track_async_work
        )
        executor.pending_incremental_futures = set()
        executor.background_futures = set()
        executor.async_work_finished_hook_task = None
        executor._relevant_sub_fields = {}
        executor._stream_usages = RefMap()
        executor.groups = []
        executor.tasks = []
        executor.streams = []
        executor._initial_execution_plans = RefMap()
        executor._deferred_execution_plans = RefMap()
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

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """A plain leaf's value read and coerced; every other field by graphql-core."""
        leaves = self.leaves
        if leaves is not None:
            node = field_details_list[0].node
            key = (parent_type, id(node))
            leaf = leaves.get(key)
            if leaf is None and key not in leaves:
                leaf = leaves[key] = self._leaf(parent_type, node.name.value)
            if leaf is not None:
                resolve, leaf_type = leaf
                try:
                    value = leaf_type.coerce_output_value(resolve(source, None))
                except Exception:
                    value = None  # graphql-core's path below reports it
                if value is not None and value is not Undefined:
                    return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _leaf(self, parent_type: GraphQLObjectType, name: str) -> _Leaf | None:
        """The resolver and scalar of a field Strawberry resolves by reading the attribute
        (`is_basic_field`: its resolver ignores the Info), else None."""
        field = self.schema.get_field(parent_type, name)
        if field is None or field.resolve is None or self.middleware_manager is not None:
            return None
        definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        leaf_type = get_nullable_type(field.type)
        if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
            return None
        if not is_leaf_type(leaf_type):
            return None
        return field.resolve, leaf_type
