"""The change feed a schema offers: a subscription yielding users or their ids, else a users
field with a "changed since" filter, to poll. Pure: a schema and the user type in, a `Feed` out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
)

from adapter.init.discover import RootField, returned_users
from adapter.init.vocabulary import find_leaves, is_list, leaves, normalise, required_arguments
from adapter.page_sizes import page_size_paths

__all__ = ["Feed", "find_feed"]

UPDATED_WORDS = ("updatedat", "updated", "dateupdated", "modifiedat", "changedat", "lastmodified")
_SINCE_ARGUMENTS = ("updatedsince", "changedsince", "modifiedsince", "updatedafter", "since")
_AFTER_OPERATORS = ("gt", "greaterthan", "after", "gte", "greaterthanorequalto")
_ID_SCALARS = ("ID", "Int", "String")
_ORDER_ARGUMENTS = ("orderby", "order", "sort", "sortby")
_SORT_STRINGS = ("sort", "sortby")  # a field name to sort by, not a direction


@dataclass(frozen=True)
class Feed(RootField):
    """A subscription (`users`: whole users, else ids) or a poll field with its since filter."""

    kind: Literal["subscription", "poll"] = "subscription"
    users: bool = True
    # poll: the argument taking the last change seen, through its input objects, its scalar,
    # and the path (dotted, through an entity wrapper's `attributes`) of each change's time.
    argument: tuple[str, ...] = ()
    scalar: str = "String"
    cursor: str | None = None
    # Where a paged field takes its page size (asked for a whole page of changes each round).
    limit: tuple[str, ...] = ()
    # The argument asking for the oldest change first (`orderBy: UPDATED_AT_ASC`), when the
    # field takes one: a round asks from the last change of its page, so a page in another
    # order could skip what it left out.
    order: str | None = None


def _subscriptions(schema: GraphQLSchema, user: GraphQLObjectType) -> Iterator[Feed]:
    fields = schema.subscription_type.fields if schema.subscription_type else {}
    for name, field in fields.items():
        if required_arguments(field):
            continue  # a topic or a filter init cannot fill in
        named = get_named_type(field.type)
        found = returned_users(schema, field.type, user) or _wrapped(schema, named, user)
        if found is not None:
            why = f"`{name}` yields {user.name} objects: each is mapped and written to the cache"
            yield Feed(name, *found, 2, why)
        elif isinstance(named, GraphQLScalarType) and named.name in _ID_SCALARS:
            words = ("user", "member", normalise(user.name))
            if any(word in normalise(name) for word in words):
                why = f"`{name}` yields ids of changed users: their cached copies are refreshed"
                yield Feed(name, None, (), 1, why, users=False)


def _wrapped(
    schema: GraphQLSchema, named: GraphQLNamedType, user: GraphQLObjectType
) -> tuple[str | None, tuple[str, ...]] | None:
    """A payload holding the user one field down (`{ user: User }`)."""
    if not isinstance(named, GraphQLObjectType):
        return None
    for name, field in named.fields.items():
        found = returned_users(schema, field.type, user)
        if found is not None:
            return found[0], (name, *found[1])
    return None


def _since(field: GraphQLField) -> tuple[tuple[str, ...], str] | None:
    """Where a "changed since" value goes in `field`'s arguments, and its scalar."""
    for name, arg in field.args.items():
        named = get_named_type(arg.type)
        if isinstance(named, GraphQLScalarType) and normalise(name) in _SINCE_ARGUMENTS:
            return (name,), named.name
        if not isinstance(named, GraphQLInputObjectType):
            continue
        for key, inner in named.fields.items():
            operators = get_named_type(inner.type)
            if normalise(key) not in UPDATED_WORDS or not isinstance(
                operators, GraphQLInputObjectType
            ):
                continue
            for operator in _AFTER_OPERATORS:
                match = [o for o in operators.fields if normalise(o) == operator]
                if match:
                    scalar = get_named_type(operators.fields[match[0]].type)
                    return (name, key, match[0]), scalar.name
    return None


def _oldest_first(field: GraphQLField, cursor: str) -> str | None:
    """The argument that sorts `field`'s answer by the change time `cursor` names, ascending:
    an enum value (PostGraphile's `UPDATED_AT_ASC`), an input object of directions (Keystone's
    and Hasura's `{updatedAt: asc}`), or a sort string (Strapi's and Directus' `"updatedAt"`,
    ascending unless told otherwise)."""
    leaf = cursor.rsplit(".", 1)[-1]
    time_key = normalise(leaf)
    for name, arg in field.args.items():
        if normalise(name) not in _ORDER_ARGUMENTS:
            continue
        named = get_named_type(arg.type)
        if isinstance(named, GraphQLEnumType):
            for value in named.values:
                if normalise(value) == f"{time_key}asc":
                    return f"{name}: {value}"
        elif isinstance(named, GraphQLInputObjectType):
            for key, inner in named.fields.items():
                direction = get_named_type(inner.type)
                if normalise(key) == time_key and isinstance(direction, GraphQLEnumType):
                    ascending = [v for v in direction.values if normalise(v) == "asc"]
                    if ascending:
                        return f"{name}: {{{key}: {ascending[0]}}}"
        elif named.name == "String" and normalise(name) in _SORT_STRINGS:
            return f'{name}: "{leaf}"'
    return None


def _polls(schema: GraphQLSchema, user: GraphQLObjectType) -> Iterator[Feed]:
    updated = find_leaves(leaves(user), UPDATED_WORDS)
    query = schema.query_type
    if not updated or query is None:
        return
    for name, field in query.fields.items():
        found = returned_users(schema, field.type, user)
        since = _since(field)
        if found is None or since is None or set(required_arguments(field)) - {since[0][0]}:
            continue
        if not (is_list(field.type) or found[1]):
            continue
        shown = ": {".join(since[0])
        why = (
            f"`{name}({shown}: …)` lists the users changed since a time: asked every few "
            f"seconds with the last {updated[0].name} seen"
        )
        pages = [p for p in page_size_paths(field) if p[0] != since[0][0]]
        limit = pages[0] if pages else ()
        cursor = updated[0].path
        order = _oldest_first(field, cursor)
        yield Feed(name, found[0], found[1], 0, why, "poll", True, *since, cursor, limit, order)


def find_feed(schema: GraphQLSchema, user: GraphQLObjectType) -> Feed | None:
    """The best feed the schema offers for `user`: a subscription first; None when none."""
    found = sorted([*_subscriptions(schema, user), *_polls(schema, user)], key=lambda f: -f.score)
    return found[0] if found else None
