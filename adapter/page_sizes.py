"""Page-size arguments: where a list field is told how many items to answer, and what a document
gives there.

A users document sends a chunk of ids, and a field with a page size answers at most that many
items (Strapi 10 unless told, Directus 100, Hasura and PostGraphile all): `init` writes the page
size as the batch size, and `check-config` checks it. Pure: graphql-core types and nodes in,
findings out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    GraphQLField,
    GraphQLInputObjectType,
    IntValueNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    get_nullable_type,
    is_required_input_field,
)

__all__ = ["PAGE_SIZE_NAMES", "Given", "given_page_size", "page_size_paths", "page_size_text"]

# Normalised names (lower case, no `_`), best first: Strapi's `pagination` has both `limit` and
# `pageSize`, and `limit` (with `start`) is the one that needs no page number.
PAGE_SIZE_NAMES = ("limit", "first", "take", "pagesize", "perpage", "count", "size", "max")

# A page size the document gives: a number, None (a variable the adapter does not fill, or a
# value it cannot read), or the string "absent".
Given = int | None | str


def _key(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _is_int(type_: Any) -> bool:
    return getattr(get_nullable_type(type_), "name", None) == "Int"


def page_size_paths(field: GraphQLField) -> list[tuple[str, ...]]:
    """Each place a page size goes in `field`'s arguments, best first: `("first",)`, or
    `("pagination", "limit")` inside an input object."""
    found: list[tuple[int, tuple[str, ...]]] = []
    for name, arg in field.args.items():
        key = _key(name)
        if _is_int(arg.type) and key in PAGE_SIZE_NAMES:
            found.append((PAGE_SIZE_NAMES.index(key), (name,)))
            continue
        inner = get_nullable_type(arg.type)
        if not isinstance(inner, GraphQLInputObjectType):
            continue
        required = {n for n, f in inner.fields.items() if is_required_input_field(f)}
        for inner_name, inner_field in inner.fields.items():
            inner_key = _key(inner_name)
            if required - {inner_name} or not _is_int(inner_field.type):
                continue
            if inner_key in PAGE_SIZE_NAMES:
                # Behind the plain arguments: `first: 100` reads better than a nested one.
                found.append(
                    (len(PAGE_SIZE_NAMES) + PAGE_SIZE_NAMES.index(inner_key), (name, inner_name))
                )
    return [path for _, path in sorted(found, key=lambda item: item[0])]


def page_size_text(path: Sequence[str], value: str) -> str:
    """The argument text giving `value` at `path`: `pagination: {limit: 100}`."""
    text = value
    for key in reversed(path[1:]):
        text = f"{{{key}: {text}}}"
    return f"{path[0]}: {text}"


def _value(node: ValueNode, rest: Sequence[str], variables: Mapping[str, Any]) -> Given:
    if isinstance(node, VariableNode):
        value: Any = variables.get(node.name.value)
        for key in rest:
            value = value.get(key) if isinstance(value, Mapping) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if not rest:
        return int(node.value) if isinstance(node, IntValueNode) else None
    if isinstance(node, ObjectValueNode):
        for inner in node.fields:
            if inner.name.value == rest[0]:
                return _value(inner.value, rest[1:], variables)
    return "absent"


def given_page_size(node: FieldNode, path: Sequence[str], variables: Mapping[str, Any]) -> Given:
    """What `node` gives at `path`: a number, None when it is not a number the adapter sends
    (a variable it does not fill), or "absent". `variables` are the values the adapter sends
    (the configured constants and the document's defaults)."""
    arguments: Sequence[ArgumentNode] = node.arguments or ()
    for argument in arguments:
        if argument.name.value == path[0]:
            return _value(argument.value, path[1:], variables)
    return "absent"
