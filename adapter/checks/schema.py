"""The documents and the mapping compared with the site's introspected schema.

Each parsed document is validated against the schema; each path the mapping reads is followed
through the documents returning users (the selection walked by `operations.walk_selection`,
aliases and fragments included), and a field the schema's type lacks is named.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    validate,
)

from adapter.config import MappingSettings
from adapter.mapping import referenced_paths
from adapter.operations import Operation, Operations, walk_selection

__all__ = ["schema_problems"]


def schema_problems(
    operations: Operations, mapping: MappingSettings, schema: GraphQLSchema
) -> list[str]:
    """Every way the documents or the mapping do not fit `schema`, each said once."""
    problems: list[str] = []
    for name, operation in operations.documents():
        for error in validate(schema, operation.document):
            where = ""
            if error.locations:
                where = f"line {error.locations[0].line}: "
            problems.append(f"{name} ({Path(operation.source).name}): {where}{error.message}")
    # The mapping reads the objects of every document returning users.
    for _, _, operation, result in operations.returning_users():
        known = _field_paths(schema, operation)
        for where, read in referenced_paths(mapping):
            lacking = _lacking(known, [*result, *read.split(".")])
            message = f"{where}: reads {read!r}, but {lacking}"
            if lacking and message not in problems:
                problems.append(message)
    return problems


def _lacking(known: Mapping[str, str | None], segments: list[str]) -> str | None:
    for end in range(1, len(segments) + 1):
        prefix = ".".join(segments[:end])
        if prefix not in known:
            return None  # below a selected leaf, or not selected (the mapping check says so)
        if known[prefix] is not None:
            return known[prefix]
    return None


def _field_paths(schema: GraphQLSchema, operation: Operation) -> dict[str, str | None]:
    """Each selected response path -> None, or why the schema has no such field."""
    found: dict[str, str | None] = {}

    def enter_field(
        node: FieldNode, path: str, parent: GraphQLNamedType
    ) -> GraphQLNamedType | None:
        fields = (
            parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
        )
        definition = fields.get(node.name.value)
        if definition is None and not node.name.value.startswith("__"):
            found[path] = f"type {parent.name} has no field {node.name.value!r}"
            return None
        found[path] = None
        return get_named_type(definition.type) if definition is not None else None

    def enter_fragment(condition: str, parent: GraphQLNamedType) -> GraphQLNamedType | None:
        return schema.get_type(condition)

    root: GraphQLNamedType | None = schema.get_root_type(operation.definition.operation)
    if root is not None:
        walk_selection(
            operation.definition.selection_set,
            operation.fragments,
            root,
            enter_field,
            enter_fragment,
        )
    return found
