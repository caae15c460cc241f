"""Lists of ids inside filter arguments, as generated GraphQL APIs spell them, found by `init`."""

from __future__ import annotations

import base64

import pytest
from graphql import build_schema

from adapter.init.discover import discover
from adapter.init.documents import users_document
from adapter.init.propose import detect_global_ids

USER = "type User { id: Int! username: String! displayName: String }\n"


@pytest.mark.parametrize(
    ("sdl", "signature", "call"),
    [
        (  # PostGraphile with the connection-filter plugin
            """
            input IntFilter { equalTo: Int in: [Int!] notIn: [Int!] }
            input UserFilter { id: IntFilter username: StringFilter
                and: [UserFilter!] or: [UserFilter!] not: UserFilter }
            input StringFilter { in: [String!] includes: String }
            type UsersConnection { nodes: [User]! totalCount: Int! }
            type Query { allUsers(first: Int, filter: UserFilter): UsersConnection
                userById(id: Int!): User }
            """,
            "allUsers(filter: {id: {in: [Int!]}})",
            "allUsers(filter: {id: {in: $ids}}, first: 100)",
        ),
        (  # Hasura and Directus
            """
            input Int_comparison_exp { _eq: Int _in: [Int!] _nin: [Int!] }
            input user_bool_exp { id: Int_comparison_exp _and: [user_bool_exp!]
                _not: user_bool_exp }
            type Query { users(where: user_bool_exp, limit: Int): [User!]! }
            """,
            "users(where: {id: {_in: [Int!]}})",
            "users(where: {id: {_in: $ids}}, limit: 100)",
        ),
        (  # Strapi
            """
            input IDFilterInput { eq: ID in: [ID] }
            input UserFiltersInput { id: IDFilterInput and: [UserFiltersInput] }
            type Query { members(filters: UserFiltersInput): [User] }
            """,
            "members(filters: {id: {in: [ID!]}})",
            "members(filters: {id: {in: $ids}})",
        ),
        (  # Prisma 1 / JSON-backed servers / WPGraphQL
            """
            input UserWhereInput { id_in: [Int!] name_contains: String }
            type Query { users(where: UserWhereInput): [User!]! }
            """,
            "users(where: {id_in: [Int!]})",
            "users(where: {id_in: $ids})",
        ),
        (
            """
            input RootQueryToUserConnectionWhereArgs { include: [Int] search: String }
            type RootQueryToUserConnectionEdge { node: User! }
            type RootQueryToUserConnection { edges: [RootQueryToUserConnectionEdge!]! }
            type Query { users(first: Int, where: RootQueryToUserConnectionWhereArgs):
                RootQueryToUserConnection }
            """,
            "users(where: {include: [Int!]})",
            "users(where: {include: $ids}, first: 100)",
        ),
    ],
)
def test_ids_inside_input_objects(sdl: str, signature: str, call: str) -> None:
    """Each family's list of ids is found, ranked first, and written where it belongs."""
    fetcher = discover(build_schema(USER + sdl)).fetcher
    assert fetcher.strategy == "list"
    assert fetcher.signature == signature
    assert call in users_document(fetcher, ["id"])


def test_a_plain_ids_argument_beats_a_filter() -> None:
    """`usersByIds(ids:)` ranks above a filter, and the filter is still listed as an option."""
    schema = build_schema(
        USER
        + """
        input UserFilter { ids: [Int!] }
        type Query { users(filter: UserFilter): [User!]! usersByIds(ids: [Int!]!): [User!]! }
        """
    )
    found = discover(schema)
    assert [f.signature for f in found.fetchers] == [
        "usersByIds(ids: [Int!])",
        "users(filter: {ids: [Int!]})",
    ]
    assert "inside its `filter` argument" in found.fetchers[1].reason


@pytest.mark.parametrize(
    "sdl",
    [
        # a required field beside the ids that init cannot fill in
        "input F { ids: [Int!] tenant: String! } type Query { users(filter: F): [User] }",
        # a required argument beside the filter
        "input F { ids: [Int!] } type Query { users(filter: F, site: String!): [User] }",
        # a list of something that is not ids
        "input F { tags: [String!] } type Query { users(filter: F): [User] }",
        # `in` under a field that is not an id
        "input S { in: [String!] } input F { name: S } type Query { users(filter: F): [User] }",
    ],
)
def test_filters_that_cannot_carry_the_ids(sdl: str) -> None:
    """Filters needing more than ids, or without an id list, give no list fetcher."""
    schema = build_schema(USER + sdl + " extend type Query { user(id: Int!): User }")
    assert [f.strategy for f in discover(schema).fetchers] == ["alias"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("ids", "settings", "local"),
    [
        ([_b64("User:5"), _b64("User:6")], {"encoding": "relay", "type": "User"}, ("5", "6")),
        (
            [_b64('["members",5]'), _b64('["members",12]')],
            {"encoding": "postgraphile", "type": "members"},
            ("5", "12"),
        ),
        (
            ["gid://shopify/Customer/5", "gid://shopify/Customer/7"],
            {"encoding": "template", "template": "gid://shopify/Customer/{id}"},
            ("5", "7"),
        ),
    ],
)
def test_global_ids_are_recognised(
    ids: list[str], settings: dict[str, str], local: tuple[str, ...]
) -> None:
    """Sampled global ids of one kind give that encoding and the chat's ids inside them."""
    guess = detect_global_ids(ids)
    assert guess is not None
    assert guess.settings == settings
    assert guess.local_ids == local


@pytest.mark.parametrize(
    "ids",
    [
        [],
        ["5", "6"],  # plain ids
        [_b64("User:5"), _b64("Post:6")],  # two types
        [_b64("User:5"), "gid://shopify/Customer/5"],  # two encodings
        [_b64('["members", 5]')],  # spaced JSON: the adapter's encoder would not write it so
        [_b64("just text")],
        ["VXNlcjo1"[:-1]],  # truncated base64
    ],
)
def test_other_ids_are_not_taken_for_global_ids(ids: list[str]) -> None:
    """Plain ids, mixed kinds, or ids the encoder would not write back alike give no guess."""
    assert detect_global_ids(ids) is None
