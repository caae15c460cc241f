"""WordPress + WPGraphQL, read from a schema of its shape (the plugin is on none of the
registries this project installs from, so no real WordPress runs here): `uri` for the profile,
the session cookie with its REST nonce for the viewer, and the hint that an anonymous
credential sees fewer users than the site has."""

from __future__ import annotations

from pathlib import Path

import yaml
from graphql import build_schema

from adapter.checks.schema import is_wpgraphql, sees_less_hint
from adapter.config import UpstreamViewerSettings
from adapter.init.discover import discover
from adapter.init.plan import Plan
from adapter.init.propose import propose
from adapter.init.render import render
from adapter.init.sessions import viewer_session
from adapter.operations.document import load_operation
from adapter.viewer import UpstreamViewer

# The parts of WPGraphQL 1.x's schema that init reads (as `printSchema` shows them).
WPGRAPHQL = """
interface Node { id: ID! }
type Avatar { url: String size: Int }
type User implements Node {
  id: ID!
  databaseId: Int!
  name: String
  username: String
  nicename: String
  firstName: String
  lastName: String
  url: String
  uri: String
  avatar(size: Int = 96): Avatar
  email: String
}
input RootQueryToUserConnectionWhereArgs { include: [Int] search: String }
type RootQueryToUserConnection { nodes: [User!]! }
type Query {
  users(first: Int, where: RootQueryToUserConnectionWhereArgs): RootQueryToUserConnection
  user(id: ID!): User
  viewer: User
  node(id: ID!): Node
}
"""


def _plan() -> Plan:
    schema = build_schema(WPGRAPHQL)
    discovery = discover(schema)
    return Plan(
        url="https://blog.example/graphql",
        header_names=("Authorization",),
        discovery=discovery,
        fetcher=discovery.fetcher,
        search=None,
        viewer=discovery.viewers[0],
        proposal=propose(discovery, [], site="https://blog.example/graphql"),
        session=viewer_session(schema, discovery.viewers[0]),
    )


def test_wpgraphql_users_by_database_id_with_uri_profiles() -> None:
    """`users(where: {include:})` with the page size, `uri` on the site's address for the
    profile (not `url`, the member's own website)."""
    plan = _plan()
    assert plan.fetcher.signature == "users(where: {include: [Int!]})"
    assert plan.fetcher.limit_argument == ("first",)
    assert plan.proposal.fields()["profile_url"] == "https://blog.example{uri}"


def test_wpgraphql_viewer_forwards_the_session_cookie_and_the_nonce() -> None:
    """The viewer section forwards WordPress's logged-in cookie and its X-WP-Nonce."""
    assert is_wpgraphql(build_schema(WPGRAPHQL))
    files = render(_plan())
    viewer = yaml.safe_load(files["config.yaml"])["viewer"]
    assert viewer["mode"] == "upstream"
    assert viewer["upstream"]["forward_headers"] == ["X-WP-Nonce"]
    assert viewer["upstream"]["forward_cookies"] == ["wordpress_logged_in_*"]


def test_a_cookie_name_ending_in_a_star_forwards_the_cookies_it_begins(tmp_path: Path) -> None:
    """`wordpress_logged_in_*` passes the site-hashed session cookie and nothing else."""
    document = tmp_path / "viewer.graphql"
    document.write_text("query ChatViewer { viewer { databaseId } }\n")
    settings = UpstreamViewerSettings(
        forward_headers=["X-WP-Nonce"], forward_cookies=["wordpress_logged_in_*"]
    )
    viewer = UpstreamViewer(
        settings,
        operation=load_operation(document),
        result_path=("viewer", "databaseId"),
        client=None,  # type: ignore[arg-type]  # forwarded() never calls the site
    )
    page = {
        "Cookie": "theme=dark; wordpress_logged_in_5f4dcc3b=ada%7C1; wp-settings-1=x",
        "X-WP-Nonce": "a1b2c3",
    }
    assert viewer.forwarded(page) == {
        "x-wp-nonce": "a1b2c3",
        "cookie": "wordpress_logged_in_5f4dcc3b=ada%7C1",
    }


def test_an_anonymous_credential_on_wordpress_is_named_with_its_fix() -> None:
    """Without an Authorization header WPGraphQL hides users without posts: the hint says so
    and names application passwords; with one, or on another site, there is no hint."""
    schema = build_schema(WPGRAPHQL)
    hint = sees_less_hint(schema, [])
    assert hint is not None
    assert "application password" in hint
    assert sees_less_hint(schema, ["Authorization"]) is None
    assert sees_less_hint(build_schema("type Query { a: Int }"), []) is None
