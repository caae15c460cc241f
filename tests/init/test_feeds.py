"""`init` proposes the change feed a schema offers: a subscription yielding users or their ids,
else a users field with a "changed since" filter to poll; and writes its document."""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType, build_schema, parse, validate

from adapter.init.documents import feed_document
from adapter.init.feeds import Feed, find_feed

USER = "type User { id: ID! name: String updatedAt: String }"
QUERY = "type Query { users(ids: [ID!]!): [User] }"
PATHS = ["id", "name"]


def _feed(sdl: str) -> tuple[Feed | None, str | None]:
    """The feed init finds in `sdl` (plus a User and a users field), and its document checked
    against the schema."""
    schema = build_schema(f"scalar DateTime {USER} {sdl}")
    user = schema.type_map["User"]
    assert isinstance(user, GraphQLObjectType)
    feed = find_feed(schema, user)
    if feed is None:
        return None, None
    document = feed_document(feed, PATHS)
    assert validate(schema, parse(document)) == []
    return feed, document


@pytest.mark.parametrize(
    ("sdl", "path", "selected"),
    [
        ("type Subscription { usersChanged: [User!]! }", "usersChanged", "usersChanged {"),
        ("type Subscription { userChanged: User }", "userChanged", "userChanged {"),
        (
            "type Payload { user: User } type Subscription { userUpdated: Payload }",
            "userUpdated.user",
            "userUpdated {\n    user {",
        ),
    ],
)
def test_a_subscription_yielding_users_is_proposed_with_the_mapped_paths(
    sdl: str, path: str, selected: str
) -> None:
    """Users directly or one field down a payload: the objects are written to the cache."""
    feed, document = _feed(f"{QUERY} {sdl}")
    assert feed is not None
    assert document is not None
    assert (feed.kind, feed.users, feed.result_path) == ("subscription", True, path)
    assert document.startswith("subscription ChatFeed {")
    assert selected in document
    assert "name" in document


def test_a_subscription_yielding_ids_is_proposed_as_ids() -> None:
    """`membersChanged: [ID!]` names the users by id: their copies are refreshed."""
    feed, document = _feed(f"{QUERY} type Subscription {{ usersChanged: [ID!]! }}")
    assert feed is not None
    assert (feed.kind, feed.users) == ("subscription", False)
    assert document == "subscription ChatFeed {\n  usersChanged\n}\n"


def test_a_subscription_needing_an_argument_or_yielding_other_things_is_passed_over() -> None:
    """A required topic cannot be guessed, and a post feed is not a user feed."""
    sdl = "type Post { id: ID! } type Subscription { listen(topic: String!): User posts: [Post] }"
    assert _feed(f"{QUERY} {sdl}") == (None, None)


@pytest.mark.parametrize(
    ("query", "call", "scalar"),
    [
        (
            "type Query { users(ids: [ID!], updatedSince: String): [User] }",
            "users(updatedSince: $since)",
            "String",
        ),
        (
            "input DatetimeFilter { equalTo: DateTime greaterThan: DateTime }"
            " input UserFilter { updatedAt: DatetimeFilter }"
            " type UsersConnection { nodes: [User] }"
            " type Query { users(ids: [ID!]!): [User] allUsers(filter: UserFilter):"
            " UsersConnection }",
            "allUsers(filter: {updatedAt: {greaterThan: $since}})",
            "DateTime",
        ),
        (
            "input TimeOps { _gt: String } input UserWhere { updated_at: TimeOps }"
            " type Query { users(ids: [ID!], where: UserWhere, limit: Int): [User] }",
            "users(where: {updated_at: {_gt: $since}}, limit: 100)",
            "String",
        ),
    ],
)
def test_a_users_field_with_a_changed_since_filter_is_polled(
    query: str, call: str, scalar: str
) -> None:
    """An `updatedSince` argument, or an updated-at filter's "after" operator, takes `$since`
    (a paged field a whole page); the cursor is the user's updatedAt, selected beside the
    mapped paths."""
    feed, document = _feed(query)
    assert feed is not None
    assert document is not None
    assert (feed.kind, feed.users, feed.cursor) == ("poll", True, "updatedAt")
    assert document.startswith(f"query ChatFeed($since: {scalar}) {{")
    assert call in document
    assert "updatedAt" in document


@pytest.mark.parametrize(
    ("arguments", "order"),
    [
        ("orderBy: [UsersOrderBy!]", "orderBy: UPDATED_AT_ASC"),
        ("order_by: [UserOrder!]", "order_by: {updatedAt: asc}"),
        ("sort: [String]", 'sort: "updatedAt"'),
        ("order: String", None),  # a direction, not a field: left alone
        ("orderBy: [UsersOrderBy!], sort: [String]", "orderBy: UPDATED_AT_ASC"),
    ],
)
def test_a_poll_asks_for_the_oldest_change_first_where_the_field_sorts(
    arguments: str, order: str | None
) -> None:
    """PostGraphile's order enum, Hasura's and Keystone's direction objects, Strapi's and
    Directus' sort strings: a round asks from the page's last change, so the page must be the
    oldest changes; with no sort argument init writes none."""
    feed, document = _feed(
        "enum UsersOrderBy { NATURAL ID_ASC UPDATED_AT_ASC UPDATED_AT_DESC }"
        " enum Direction { asc desc } input UserOrder { id: Direction updatedAt: Direction }"
        f" type Query {{ users(ids: [ID!], updatedSince: String, {arguments}): [User] }}"
    )
    assert feed is not None
    assert document is not None
    assert feed.order == order
    expected = f"users(updatedSince: $since, {order})" if order else "users(updatedSince: $since)"
    assert expected in document


def test_a_subscription_is_preferred_to_a_poll_and_nothing_is_proposed_without_either() -> None:
    """Both offered: the subscription (changes arrive at once). Neither: no feed."""
    poll = "type Query { users(ids: [ID!], updatedSince: String): [User] }"
    feed, _ = _feed(f"{poll} type Subscription {{ userChanged: User }}")
    assert feed is not None
    assert feed.kind == "subscription"
    assert _feed(QUERY) == (None, None)
    without_cursor = build_schema(f"type User {{ id: ID! name: String }} {poll}")
    user = without_cursor.type_map["User"]
    assert isinstance(user, GraphQLObjectType)
    assert find_feed(without_cursor, user) is None


def test_a_polled_entity_wrapper_reads_its_changes_through_attributes() -> None:
    """Strapi 4: the user is an entity (`id` beside `attributes { … }`), so each change's time
    is at `attributes.updatedAt`, selected there; the filter names the attribute itself (as
    the interop run against Strapi 4 showed when the cursor was `updatedAt`)."""
    schema = build_schema(
        "input TimeFilter { gt: String } input UserFilters { id: TimeFilter updatedAt: TimeFilter }"
        " type UserAttributes { username: String updatedAt: String }"
        " type UserEntity { id: ID attributes: UserAttributes }"
        " type UserEntities { data: [UserEntity!]! }"
        " type Query { users(filters: UserFilters): UserEntities }"
    )
    user = schema.type_map["UserEntity"]
    assert isinstance(user, GraphQLObjectType)
    feed = find_feed(schema, user)
    assert feed is not None
    assert (feed.kind, feed.cursor) == ("poll", "attributes.updatedAt")
    document = feed_document(feed, ["id", "attributes.username"])
    assert validate(schema, parse(document)) == []
    assert "users(filters: {updatedAt: {gt: $since}})" in document
