"""Finding the user type and ranking the root fields, on schemas written as SDL."""

from __future__ import annotations

import pytest
from graphql import build_schema

from adapter.errors import InitError
from adapter.init.discover import discover

USER = """
type User { id: ID! username: String! displayName: String email: String }
"""


def test_list_field_is_preferred_over_one_id_field() -> None:
    """With both `users(ids:)` and `user(id:)`, the list strategy ranks first."""
    schema = build_schema(USER + "type Query { user(id: ID!): User  users(ids: [ID!]!): [User!]! }")
    found = discover(schema)
    assert [f.strategy for f in found.fetchers] == ["list", "alias"]
    assert found.fetcher.result_path == "users"
    assert found.fetcher.signature == "users(ids: [ID!])"


def test_list_field_returning_a_connection_with_nodes() -> None:
    """A list field answering a connection reads its users from `nodes`."""
    schema = build_schema(
        USER
        + """
        type UserConnection { nodes: [User!]! totalCount: Int! }
        type Query { usersByIds(userIds: [Int!]!): UserConnection! }
        """
    )
    fetcher = discover(schema).fetcher
    assert (fetcher.strategy, fetcher.argument, fetcher.scalar) == ("list", "userIds", "Int")
    assert fetcher.result_path == "usersByIds.nodes"


def test_one_id_field_returning_a_union() -> None:
    """A field returning a union asks for the user type with an inline fragment."""
    schema = build_schema(
        """
        type Member { id: Int! login: String! }
        type NotFound { message: String! }
        union MemberResult = Member | NotFound
        type Query { member(memberId: Int!): MemberResult }
        """
    )
    found = discover(schema)
    assert found.user_type.name == "Member"
    assert (found.fetcher.fragment, found.fetcher.argument) == ("Member", "memberId")
    assert "abstract type" in found.fetcher.reason


def test_fields_needing_more_than_ids_are_left_out() -> None:
    """A fetch field with a second required argument cannot be filled in, so it is not used."""
    schema = build_schema(
        USER
        + """
        type Query {
          user(id: ID!, tenant: String!): User
          nested(ids: [[ID!]!]!): [User]
          byEmail(email: String!): User
        }
        """
    )
    with pytest.raises(InitError, match=r"found user-like types \(User\), but no Query field"):
        discover(schema)


def test_no_user_like_type() -> None:
    """Types without an id, or with names and images only, are not users."""
    schema = build_schema(
        """
        type Product { id: ID! name: String image: String }
        type Note { text: String username: String }
        type UserConnection { id: ID! username: String }
        type Query { product(id: ID!): Product  note: Note  c: UserConnection }
        """
    )
    with pytest.raises(InitError, match="found no user-like type") as caught:
        discover(schema)
    assert "Note, Product, UserConnection" in caught.value.message


def test_schema_without_query() -> None:
    """A schema with no Query type is refused plainly."""
    schema = build_schema("type Mutation { ping: Boolean }  schema { mutation: Mutation }")
    with pytest.raises(InitError, match="no Query type"):
        discover(schema)


def test_search_viewer_and_listing() -> None:
    """Search, viewer and listing fields are recognised by their names and arguments."""
    schema = build_schema(
        USER
        + """
        type UserEdge { node: User! }
        type UserConnection { edges: [UserEdge!]! }
        type Query {
          users(ids: [ID!]!): [User]!
          searchUsers(input: String!, take: Int): [User!]!
          people(name: String, first: Int): [User!]!
          byCountry(country: String!): [User!]!
          allUsers(first: Int): UserConnection!
          everyone: [User!]!
          currentUser: User
          me(token: String!): User
        }
        """
    )
    found = discover(schema)
    assert [s.name for s in found.searches] == ["searchUsers", "people"]
    assert found.searches[0].limit_argument == ("take",)
    assert found.searches[0].signature == "searchUsers(input: String)"
    assert [v.signature for v in found.viewers] == ["currentUser"]
    listed = {listing.name: listing.below for listing in found.listings}
    assert listed == {"people": (), "allUsers": ("edges", "node")}


def test_best_user_type_wins() -> None:
    """The most user-like type with a fetch field is chosen; the others are named."""
    schema = build_schema(
        """
        type Author { id: ID! title: String }
        type Account { id: ID! handle: String email: String lastLoginAt: String }
        type Query { author(id: ID!): Author  account(id: ID!): Account }
        """
    )
    found = discover(schema)
    assert found.user_type.name == "Account"
    assert found.runners_up == ("Author",)
