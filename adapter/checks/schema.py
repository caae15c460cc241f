"""The documents and the mapping compared with the site's introspected schema.

Each parsed document is validated against the schema; each path the mapping reads is followed
through the documents returning users (the selection walked by `walk_selection`,
aliases and fragments included), and a field the schema's type lacks is named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    validate,
    value_from_ast_untyped,
)

from adapter.config import MappingSettings
from adapter.mapping import referenced_paths
from adapter.mapping_check import covered
from adapter.operations import Operations
from adapter.operations.batches import ListBatch
from adapter.operations.document import Operation
from adapter.operations.selection import walk_selection
from adapter.page_sizes import given_page_size, page_size_paths, page_size_text
from adapter.runtime import Loaded

__all__ = [
    "feed_problems",
    "is_wpgraphql",
    "page_size_problems",
    "schema_problems",
    "sees_less_hint",
]


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


def feed_problems(loaded: Loaded, schema: GraphQLSchema) -> list[str]:
    """The feed's document as the start-up check loaded it (its shape checked offline there, by
    `feed_document`) against `schema`: valid there, selecting the changes where `ids` says and
    a poll's cursor in each."""
    found, feed = loaded.feed, loaded.settings.feed
    if found is None or feed is None:
        return []
    operation, cursor = found.operation, feed.cursor
    name = f"feed ({Path(operation.source).name})"
    problems = [f"{name}: {error.message}" for error in validate(schema, operation.document)]
    changes = ".".join(found.changes)
    if not covered(changes, operation.selected_paths(())):
        return [*problems, f"feed.ids: reads {changes!r}, which {name} does not select"]
    if cursor and not covered(cursor, operation.selected_paths(found.changes)):
        problems.append(f"feed.cursor: reads {cursor!r}, which {name} does not select")
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


def page_size_problems(operations: Operations, schema: GraphQLSchema, batch_size: int) -> list[str]:
    """A users field that takes a page size must be given one of at least `batch_size`.

    Otherwise the site answers its default page (Strapi: 10) for a chunk of more ids, and the
    users beyond it would be missing from every answer.
    """
    users = operations.users
    query = schema.query_type
    if not isinstance(users, ListBatch) or query is None:
        return []
    operation = users.operation
    variables: dict[str, object] = {
        name: value_from_ast_untyped(definition.default_value)
        for name, definition in operation.variables.items()
        if definition.default_value is not None
    }
    variables.update(users.constants)
    source = Path(operation.source).name
    problems: list[str] = []
    for node in operation.top_fields:
        definition = query.fields.get(node.name.value)
        paths = page_size_paths(definition) if definition is not None else []
        if not paths:
            continue
        given = [(path, given_page_size(node, path, variables)) for path in paths]
        found = [(path, value) for path, value in given if value != "absent"]
        wanted = page_size_text(paths[0], str(batch_size))
        if not found:
            problems.append(
                f"users ({source}): `{node.name.value}` takes a page size "
                f"(`{page_size_text(paths[0], 'N')}`) that the document does not give, so the "
                "site answers its own default page, which can be fewer users than the "
                f"{batch_size} ids of a chunk (upstream.batch.size): add `{wanted}`"
            )
            continue
        for path, value in found:
            if isinstance(value, int) and value < batch_size:
                problems.append(
                    f"users ({source}): `{node.name.value}({page_size_text(path, str(value))})` "
                    f"answers at most {value} users for a chunk of {batch_size} ids "
                    f"(upstream.batch.size): give `{page_size_text(path, str(batch_size))}` or "
                    f"lower upstream.batch.size to {value}"
                )
    return problems


def is_wpgraphql(schema: GraphQLSchema) -> bool:
    """Whether the schema is WordPress's (WPGraphQL): a `User` with `databaseId`, `uri` and
    `nicename`, and a root `viewer`."""
    user = schema.get_type("User")
    query = schema.query_type
    return (
        isinstance(user, GraphQLObjectType)
        and {"databaseId", "uri", "nicename"} <= set(user.fields)
        and query is not None
        and "viewer" in query.fields
    )


def sees_less_hint(schema: GraphQLSchema, header_names: Iterable[str]) -> str | None:
    """Why the adapter's credential may see fewer users than the site has, and the fix; None
    when nothing says so."""
    if not is_wpgraphql(schema):
        return None
    if "authorization" in {name.lower() for name in header_names}:
        return None
    return (
        "WordPress (WPGraphQL) shows anonymous requests only the users who have published "
        "posts: the others would come back as unknown. Give the adapter an application "
        "password (Users > Profile > Application Passwords) as a header, "
        "`Authorization: Basic base64(user:application-password)` (init: --header; "
        "config.yaml: upstream.headers)"
    )
