"""The viewer fields families use, and the credentials `init` forwards for each family's session."""

from __future__ import annotations

import pytest
from graphql import build_schema

from adapter.init.discover import discover
from adapter.init.sessions import BEARER_ONLY, viewer_session

USER = "type User { id: ID! name: String }"
KEYSTONE = f"""{USER}
input UserWhereInput {{ id: IDFilter }}
input IDFilter {{ in: [ID!] }}
type Query {{ users(where: UserWhereInput! = {{}}): [User!] authenticatedItem: User }}
type Mutation {{ endSession: Boolean! }}
"""
DIRECTUS = f"""{USER}
input users_filter {{ id: id_filter_operators }}
input id_filter_operators {{ _in: [ID] }}
type Query {{ users(filter: users_filter): [User!]! users_me: User }}
type Mutation {{ auth_login(email: String!, password: String!): Boolean }}
"""
TUTORIAL = f"""{USER}
type Query {{ user(id: ID!): User me: User }}
"""


@pytest.mark.parametrize(
    ("sdl", "field"),
    [(KEYSTONE, "authenticatedItem"), (DIRECTUS, "users_me"), (TUTORIAL, "me")],
)
def test_the_families_viewer_fields_are_found(sdl: str, field: str) -> None:
    """`authenticatedItem` (Keystone), `users_me` (Directus) and `me` are signed-in-user fields."""
    viewers = discover(build_schema(sdl)).viewers
    assert [viewer.name for viewer in viewers] == [field]


def test_keystone_forwards_its_session_cookie() -> None:
    """Keystone's sealed cookie is forwarded by name, beside Authorization (its Bearer token)."""
    schema = build_schema(KEYSTONE)
    session = viewer_session(schema, discover(schema).viewers[0])
    assert session.cookies == ("keystonejs-session",)
    assert session.headers == ("Authorization",)
    assert "KeystoneJS" in session.reason


def test_directus_forwards_its_session_cookie() -> None:
    """Directus's session cookie is forwarded by name, beside Authorization (its access token)."""
    schema = build_schema(DIRECTUS)
    session = viewer_session(schema, discover(schema).viewers[0])
    assert session.cookies == ("directus_session_token",)
    assert session.headers == ("Authorization",)


def test_another_site_forwards_authorization_only() -> None:
    """A `me` on a site of no known family forwards the page's Authorization header only."""
    schema = build_schema(TUTORIAL)
    assert viewer_session(schema, discover(schema).viewers[0]) == BEARER_ONLY


def test_a_lone_authenticated_item_is_not_taken_for_keystone() -> None:
    """`authenticatedItem` without Keystone's `endSession` gets no Keystone cookie."""
    schema = build_schema(KEYSTONE.replace("endSession", "logout"))
    assert viewer_session(schema, discover(schema).viewers[0]) == BEARER_ONLY
