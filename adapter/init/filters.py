"""Lists of ids inside filter arguments: `allMembers(filter: {id: {in: $ids}})` and its kin.

Generated GraphQL APIs fetch many rows by id through an input object rather than an `ids`
argument: PostGraphile's connection filter (`filter: {id: {in: …}}`), Hasura and Directus
(`where: {id: {_in: …}}`), Strapi and Prisma (`filters: {id: {in: …}}`, `where: {id_in: …}`),
WPGraphQL (`where: {include: …}`), JSON-backed servers (`filter: {ids: …}`). Pure: a field in,
the places where a list of ids fits out, best first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLScalarType,
    get_named_type,
    get_nullable_type,
    is_required_input_field,
)

from adapter.init.vocabulary import normalise, required_arguments

__all__ = ["IdList", "id_lists", "scalar_list"]

_MAX_DEPTH = 4
_ID_KEYS = ("id", "uid", "pk", "key", "databaseid", "rowid", "userid", "documentid", "chatid")
_MEMBERSHIP = ("in", "oneof", "anyof")
_PLURAL_KEYS = ("ids", "idin", "idsin", "include", "includes", "uids", "pks", "keys")


@dataclass(frozen=True)
class IdList:
    """Where a list of ids goes: `argument` then `path` through its input objects."""

    argument: str
    path: tuple[str, ...]
    scalar: str
    rank: int


def scalar_list(type_: GraphQLInputType) -> str | None:
    """The element scalar of a flat list type, `[Int!]` -> Int."""
    inner = get_nullable_type(type_)
    if not isinstance(inner, GraphQLList):
        return None
    element = get_nullable_type(inner.of_type)
    return element.name if isinstance(element, GraphQLScalarType) else None


def _rank(parent: str | None, key: str, type_name: str) -> int | None:
    """How id-like a list field is by its name and its parent's; None: not one."""
    name, type_key = normalise(key), normalise(type_name)
    parent_key = normalise(parent) if parent is not None else None
    if name in _MEMBERSHIP and parent_key in (*_ID_KEYS, f"{type_key}id"):
        return 0 if parent_key == "id" else 1
    if name in _PLURAL_KEYS[:3]:
        return 0
    if name in _PLURAL_KEYS or name == f"{type_key}ids":
        return 2
    return None


def _walk(
    obj: GraphQLInputObjectType,
    path: tuple[str, ...],
    seen: frozenset[str],
    type_name: str,
) -> Iterator[tuple[tuple[str, ...], str, int]]:
    required = {name for name, f in obj.fields.items() if is_required_input_field(f)}
    for name, input_field in obj.fields.items():
        if required - {name}:
            continue  # another field must be given too: we cannot fill it in
        scalar = scalar_list(input_field.type)
        if scalar is not None:
            rank = _rank(path[-1] if path else None, name, type_name)
            if rank is not None:
                yield (*path, name), scalar, rank
            continue
        inner = get_nullable_type(input_field.type)
        deeper = len(path) + 1 < _MAX_DEPTH
        if isinstance(inner, GraphQLInputObjectType) and inner.name not in seen and deeper:
            yield from _walk(inner, (*path, name), seen | {inner.name}, type_name)


def id_lists(field: GraphQLField, type_name: str) -> list[IdList]:
    """Every place in `field`'s input-object arguments where a list of ids goes, best first."""
    required = set(required_arguments(field))
    found: list[IdList] = []
    for argument, arg in field.args.items():
        named = get_named_type(arg.type)
        if not isinstance(named, GraphQLInputObjectType) or required - {argument}:
            continue
        if isinstance(get_nullable_type(arg.type), GraphQLList):
            continue
        for path, scalar, rank in _walk(named, (), frozenset({named.name}), type_name):
            found.append(IdList(argument, path, scalar, rank + len(path)))
    return sorted(found, key=lambda item: item.rank)
