"""Tests for the embedded demo upstream GraphQL user API."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from adapter.demo import DEMO_PASSWORD, create_demo_upstream_app
from adapter.demo.data import DemoDirectory, generate_users
from adapter.demo.sessions import issue_session, read_session
from tests.support import gql

USER_FIELDS = """
  id username displayName email avatar { url file } lastLoginAt lastSeenMs badge role
  profiles { id key name avatarUrl }
"""
LOGIN = """
mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token user { id } } }
"""


@pytest.mark.asyncio
async def test_users_keeps_request_order_and_drops_unknown_and_duplicates(
    client: httpx.AsyncClient,
) -> None:
    """The list field answers in request order, omitting unknown, non-numeric and repeated ids."""
    body = await gql(
        client,
        "query($ids: [ID!]!) { users(ids: $ids) { id username } }",
        {"ids": ["12", "6", "99999", "7", "6", "abc", "12"]},
    )
    assert "errors" not in body
    assert body["data"]["users"] == [
        {"id": "12", "username": "user12"},
        {"id": "6", "username": "user6"},
        {"id": "7", "username": "user7"},
    ]


@pytest.mark.asyncio
async def test_users_rejects_more_than_1000_ids(client: httpx.AsyncClient) -> None:
    """Asking for more than 1000 ids is a GraphQL error, not a silent truncation."""
    ids = [str(n) for n in range(1, 1002)]
    body = await gql(client, "query($ids: [ID!]!) { users(ids: $ids) { id } }", {"ids": ids})
    assert body["data"] is None
    assert "at most 1000" in body["errors"][0]["message"]


@pytest.mark.asyncio
async def test_user_field_returns_full_shape(client: httpx.AsyncClient) -> None:
    """The one-user field returns every documented field for a fully populated user."""
    body = await gql(client, f'{{ user(id: "1") {{ {USER_FIELDS} }} }}')
    user = body["data"]["user"]
    assert user["id"] == "1"
    assert user["username"] == "user1"
    assert user["email"] == "user1@example.com"
    assert user["role"] == "ADMIN"
    assert user["displayName"]
    assert user["avatar"] == {
        "url": "https://cdn.example.com/avatars/1.png",
        "file": "avatars/1.png",
    }
    assert user["lastLoginAt"].endswith("Z")
    assert isinstance(user["lastSeenMs"], float)
    assert all(value is not None for value in user.values())


@pytest.mark.asyncio
@pytest.mark.parametrize("raw_id", ["424242", "abc", "-1", "", "1.5"])
async def test_user_field_is_null_for_unknown_or_non_numeric_id(
    client: httpx.AsyncClient, raw_id: str
) -> None:
    """An unknown or non-numeric id yields null without an error."""
    body = await gql(client, "query($id: ID!) { user(id: $id) { id } }", {"id": raw_id})
    assert "errors" not in body
    assert body["data"]["user"] is None


@pytest.mark.asyncio
async def test_aliased_user_fields_in_one_request(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    """Three aliased user(id:) fields resolve in a single HTTP request."""
    query = """
    { a: user(id: "6") { id displayName username profiles { id key name } }
      b: user(id: "7") { id displayName username }
      c: user(id: "12") { id displayName username } }
    """
    body = await gql(client, query)
    data = body["data"]
    assert [data[k]["id"] for k in ("a", "b", "c")] == ["6", "7", "12"]
    assert data["a"]["profiles"][0]["id"] == "P6-A"
    assert data["a"]["profiles"][0]["key"] == "61"
    stats = await client.get("/stats")
    assert stats.json() == {"graphql_requests": 1}


@pytest.mark.asyncio
async def test_null_display_name_and_avatar_for_user_4(client: httpx.AsyncClient) -> None:
    """User 4 has no display name and no avatar, so clients must fall back to the username."""
    body = await gql(client, '{ user(id: "4") { username displayName avatar { url } } }')
    assert body["data"]["user"] == {"username": "user4", "displayName": None, "avatar": None}


@pytest.mark.asyncio
async def test_search_users_is_case_insensitive_ordered_and_limited(
    client: httpx.AsyncClient,
) -> None:
    """Search matches username case-insensitively, orders by id and honours the limit."""
    body = await gql(client, '{ searchUsers(query: "USER10", limit: 5) { id } }')
    ids = [int(u["id"]) for u in body["data"]["searchUsers"]]
    assert ids == [10, 100, 101, 102, 103]
    capped = await gql(client, '{ searchUsers(query: "user", limit: 500) { id } }')
    assert len(capped["data"]["searchUsers"]) == 100
    default = await gql(client, '{ searchUsers(query: "user") { id } }')
    assert len(default["data"]["searchUsers"]) == 20


@pytest.mark.asyncio
async def test_search_users_matches_display_name(client: httpx.AsyncClient) -> None:
    """Search also matches a part of the display name."""
    name = DemoDirectory.generate().get(1)
    assert name is not None
    assert name.display_name is not None
    last_name = name.display_name.split()[-1].lower()
    body = await gql(
        client, "query($q: String!) { searchUsers(query: $q) { id displayName } }", {"q": last_name}
    )
    hits = body["data"]["searchUsers"]
    assert hits[0]["id"] == "1"
    assert all(last_name in h["displayName"].lower() for h in hits)


@pytest.mark.asyncio
async def test_login_sets_cookie_and_viewer_works_by_cookie_and_bearer(
    app: Starlette,
) -> None:
    """A good login sets an HttpOnly cookie, and viewer resolves by that cookie or by Bearer."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
        response = await client.post(
            "/graphql", json={"query": LOGIN, "variables": {"u": "User7", "p": DEMO_PASSWORD}}
        )
        payload = response.json()["data"]["login"]
        assert payload["user"] == {"id": "7"}
        set_cookie = response.headers["set-cookie"].lower()
        assert set_cookie.startswith("demo_session=")
        assert "httponly" in set_cookie
        assert "samesite=lax" in set_cookie
        assert "path=/" in set_cookie
        assert client.cookies["demo_session"] == payload["token"]

        by_cookie = await gql(client, "{ viewer { id username } }")
        assert by_cookie["data"]["viewer"] == {"id": "7", "username": "user7"}

    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as anon:
        by_bearer = await gql(
            anon, "{ viewer { id } }", headers={"Authorization": f"Bearer {payload['token']}"}
        )
        assert by_bearer["data"]["viewer"] == {"id": "7"}


@pytest.mark.asyncio
async def test_logout_clears_cookie(client: httpx.AsyncClient) -> None:
    """Logout answers true and expires the session cookie."""
    await gql(client, LOGIN, {"u": "user3", "p": DEMO_PASSWORD})
    response = await client.post("/graphql", json={"query": "mutation { logout }"})
    assert response.json()["data"]["logout"] is True
    assert response.headers["set-cookie"].startswith("demo_session=")
    assert "demo_session" not in client.cookies
    body = await gql(client, "{ viewer { id } }")
    assert body["data"]["viewer"] is None


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("username", "password"),
    [("user7", "wrong"), ("user424242", DEMO_PASSWORD), ("admin", DEMO_PASSWORD), ("user7", "")],
)
async def test_bad_login_returns_null_without_cookie(
    client: httpx.AsyncClient, username: str, password: str
) -> None:
    """Bad credentials give a null payload, no error and no cookie."""
    response = await client.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": username, "p": password}}
    )
    body = response.json()
    assert "errors" not in body
    assert body["data"]["login"] is None
    assert "set-cookie" not in response.headers


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "headers",
    [None, {"Authorization": "Bearer garbage"}, {"Cookie": "demo_session=1.9999999999.00"}],
)
async def test_viewer_is_null_when_anonymous_or_invalid(
    client: httpx.AsyncClient, headers: dict[str, str] | None
) -> None:
    """Without a valid session the viewer is null."""
    body = await gql(client, "{ viewer { id } }", headers=headers)
    assert "errors" not in body
    assert body["data"]["viewer"] is None


@pytest.mark.asyncio
async def test_stats_counts_graphql_requests_and_resets(client: httpx.AsyncClient) -> None:
    """/stats counts HTTP requests to /graphql (GET and POST) and /stats/reset zeroes it."""
    assert (await client.get("/stats")).json() == {"graphql_requests": 0}
    await gql(client, '{ user(id: "1") { id } }')
    await gql(client, '{ user(id: "2") { id } }')
    get_response = await client.get("/graphql", params={"query": '{ user(id: "3") { id } }'})
    assert get_response.json()["data"]["user"] == {"id": "3"}
    assert (await client.get("/stats")).json() == {"graphql_requests": 3}
    reset = await client.post("/stats/reset")
    assert reset.json() == {"graphql_requests": 0}
    assert (await client.get("/stats")).json() == {"graphql_requests": 0}


@pytest.mark.asyncio
async def test_counters_are_per_app_instance() -> None:
    """Two apps keep separate request counters."""
    first, second = create_demo_upstream_app(), create_demo_upstream_app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=first), base_url="http://demo"
    ) as client:
        await gql(client, "{ viewer { id } }")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=second), base_url="http://demo"
    ) as client:
        assert (await client.get("/stats")).json() == {"graphql_requests": 0}


@pytest.mark.asyncio
async def test_latency_delays_graphql_requests() -> None:
    """The latency option sleeps that many seconds before each GraphQL request, and only those."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    app = create_demo_upstream_app(latency=0.05, sleep=sleep)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://demo"
    ) as client:
        await gql(client, '{ user(id: "1") { id } }')
        await gql(client, '{ user(id: "2") { id } }')
        assert (await client.get("/stats")).json() == {"graphql_requests": 2}
    assert slept == [0.05, 0.05]


@pytest.mark.asyncio
async def test_graphiql_is_served(client: httpx.AsyncClient) -> None:
    """A browser GET on /graphql gets the GraphiQL page."""
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


def test_data_is_deterministic_and_shaped() -> None:
    """Two builds agree, there are 1000 users, and the fixed users have their documented shape."""
    first, second = DemoDirectory.generate(), DemoDirectory.generate()
    assert len(first) == 1000
    assert first.get(1) == second.get(1)
    assert generate_users() == generate_users()
    assert first.get(0) is None
    assert first.get(1001) is None
    for user_id in (1, 2, 3):
        user = first.get(user_id)
        assert user is not None
        assert user.display_name
        assert user.avatar
        assert user.last_login_at
        assert user.badge
    user4 = first.get(4)
    assert user4 is not None
    assert user4.display_name is None
    assert user4.avatar is None
    for user_id in (6, 11):
        user = first.get(user_id)
        assert user is not None
        assert 1 <= len(user.profiles) <= 2
        assert user.profiles[0].key == str(user_id * 10 + 1)


def test_display_names_are_unique() -> None:
    """No two demo users share a display name (users 6 and 11 were both Elena Garcia)."""
    names = [u.display_name for u in generate_users() if u.display_name is not None]
    assert len(set(names)) == len(names)
    assert generate_users()[10].display_name == "Elena M. Garcia"


def test_data_proportions_are_roughly_as_documented() -> None:
    """Nullable fields are null for about the documented share of users."""
    users = generate_users()
    no_name = sum(u.display_name is None for u in users)
    no_avatar = sum(u.avatar is None for u in users)
    no_login = sum(u.last_login_at is None for u in users)
    with_profiles = sum(bool(u.profiles) for u in users)
    assert 60 <= no_name <= 140
    assert 100 <= no_avatar <= 200
    assert 60 <= no_login <= 140
    assert 10 <= with_profiles <= 50
    assert all((u.last_login_at is None) == (u.last_seen_ms is None) for u in users)


def test_many_and_search_on_directory() -> None:
    """many() keeps order and drops unknowns and repeats; search() respects limit <= 0."""
    directory = DemoDirectory.generate()
    assert [u.id for u in directory.many([12, 6, 5000, 7, 6])] == [12, 6, 7]
    assert directory.search("user", 0) == []
    assert [u.id for u in directory.search("user1", 3)] == [1, 10, 11]


def test_sessions_round_trip_and_reject_garbage() -> None:
    """Sessions round-trip, expire after 12 hours, and garbage or tampering reads as None."""
    token = issue_session(7, now=1_000_000.0)
    assert read_session(token, now=1_000_000.0) == 7
    assert read_session(token, now=1_000_000.0 + 12 * 3600) is None
    _, expires, signature = token.split(".")
    assert read_session(f"8.{expires}.{signature}", now=1_000_000.0) is None
    for garbage in ["", "...", "a.b.c", "7.x", "7.1.2.3", "\u0667.1.abc", "x" * 10_000, None, 42]:
        assert read_session(garbage) is None
