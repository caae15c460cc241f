"""How a site's signed-in members prove who they are, for the viewer query `init` writes.

The viewer query runs with the page's own credentials (`viewer.mode: upstream`), so `init` must
name the ones the site reads. A few families say so in their schema: KeystoneJS's
`authenticatedItem` (a sealed `keystonejs-session` cookie, or its token as a Bearer header),
Directus's `users_me` (the `directus_session_token` cookie, or a Bearer token), WordPress's
`viewer` (the `wordpress_logged_in_*` cookie with its `X-WP-Nonce`). Any other site
gets `Authorization`, which the page's own API calls carry; its cookie, if it signs in with one,
is for the operator to add.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import GraphQLSchema

from adapter.checks.schema import is_wpgraphql
from adapter.init.discover import Viewer
from adapter.init.vocabulary import normalise

__all__ = ["BEARER_ONLY", "Session", "viewer_session"]


@dataclass(frozen=True)
class Session:
    """The request headers and cookies that carry a member's session, and why."""

    headers: tuple[str, ...]
    cookies: tuple[str, ...]
    reason: str


BEARER_ONLY = Session(
    ("Authorization",),
    (),
    "the query runs with the page's own Authorization header (add the site's session cookie "
    "to forward_cookies if it signs in with one)",
)


def viewer_session(schema: GraphQLSchema, viewer: Viewer) -> Session:
    """The credentials the viewer query needs on `schema`'s site."""
    name = normalise(viewer.name)
    mutation = schema.mutation_type
    mutations = {normalise(field) for field in mutation.fields} if mutation else set()
    if name == "authenticateditem" and "endsession" in mutations:
        return Session(
            ("Authorization",),
            ("keystonejs-session",),
            "KeystoneJS (`authenticatedItem`, `endSession`): its session is the sealed "
            "keystonejs-session cookie, or the session token as `Authorization: Bearer`",
        )
    if is_wpgraphql(schema):
        return Session(
            ("X-WP-Nonce",),
            ("wordpress_logged_in_*",),
            "WordPress signs members in with its wordpress_logged_in_<hash> cookie, which "
            "counts only with the REST nonce beside it: the page sends X-WP-Nonce "
            "(wp_create_nonce('wp_rest')) with its issueChatToken call",
        )
    if name == "usersme" and "authlogin" in mutations:
        return Session(
            ("Authorization",),
            ("directus_session_token",),
            "Directus (`users_me`, `auth_login`): its session is the directus_session_token "
            "cookie, or an access token as `Authorization: Bearer`",
        )
    return BEARER_ONLY
