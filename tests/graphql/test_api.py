"""The GraphQL API end to end: tokens for the signed-in viewer only, the widget, the profiles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from adapter.app import create_app
from adapter.directory import Directory, UserId
from adapter.web.graphql.schema import ChatUser
from tests.graphql.support import ADMIN_TOKEN, ISSUE, USERS, WIDGET, error_code, session_cookie
from tests.servers import DemoUpstream, refused_port
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client, gql, verify_widget_token

Api = Any


async def test_issue_chat_token_for_the_signed_in_viewer(
    api: Api, make_settings: SettingsFactory
) -> None:
    """A viewer signed in on the site gets a token that verifies and carries their own id."""
    tokens = make_settings().tokens
    assert tokens is not None
    async with api() as client:
        body = await gql(client, ISSUE, headers=session_cookie(6))
    issued = body["data"]["issueChatToken"]
    claims = verify_widget_token(tokens, issued["token"])
    assert claims == {"exp": issued["expiresAt"], "user_id": 6}
    assert issued["userId"] == "6"


async def test_the_site_bearer_token_works_too(api: Api) -> None:
    """The forwarded Authorization header identifies the viewer as well as the cookie does."""
    from adapter.demo.sessions import issue_session

    async with api() as client:
        body = await gql(client, ISSUE, headers={"Authorization": f"Bearer {issue_session(7)}"})
    assert body["data"]["issueChatToken"]["userId"] == "7"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Cookie": "demo_session=6.9999999999.forged-signature"},
        {"Cookie": "other=6"},
        {"Authorization": "Bearer 6"},
    ],
    ids=["nothing", "forged-session", "unforwarded-cookie", "claimed-id"],
)
async def test_anonymous_callers_get_unauthenticated(api: Api, headers: dict[str, str]) -> None:
    """Without a session the site accepts, issueChatToken answers UNAUTHENTICATED and no data."""
    async with api() as client:
        body = await gql(client, ISSUE, headers=headers)
    assert body["data"] is None
    assert error_code(body) == "UNAUTHENTICATED"


async def test_a_claimed_user_id_is_not_even_expressible(api: Api) -> None:
    """issueChatToken takes no user id: asking for one is a validation error, not a token."""
    async with api() as client:
        body = await gql(client, "mutation { issueChatToken(userId: 6) { token } }")
    assert "Unknown argument 'userId'" in body["errors"][0]["message"]
    assert body["data"] is None


async def test_chat_widget_for_anonymous_viewers(api: Api) -> None:
    """Anonymous viewers get the script URL and empty options (ImbaChat.load() bare)."""
    async with api() as client:
        body = await gql(client, WIDGET)
    assert body["data"]["chatWidget"] == {
        "scriptUrl": "/demo/stand-in/widget.js",
        "options": {},
        "userId": None,
        "expiresAt": None,
    }


async def test_chat_widget_for_a_signed_in_viewer(api: Api, make_settings: SettingsFactory) -> None:
    """Signed in, the options carry user_id, a token for that id and the configured options."""
    tokens = make_settings().tokens
    assert tokens is not None
    async with api({"widget": {"options": {"resizable": True, "foo": [1]}}}) as client:
        body = await gql(client, WIDGET, headers=session_cookie(6))
    widget = body["data"]["chatWidget"]
    options = widget["options"]
    assert verify_widget_token(tokens, options.pop("token"))["user_id"] == 6
    assert options == {
        "user_id": 6,
        "language": "eng",
        "theme": "default",
        "position": "right",
        "resizable": True,
        "foo": [1],
    }
    assert widget["userId"] == "6"


async def test_vendor_script_url_by_default(api: Api) -> None:
    """The default script URL is the vendor's, with the widget id escaped into it."""
    overrides = {
        "chat": {"widget_id": "a/b 1"},
        "widget": {"script_url": "https://api.imbachat.com/imbachat/v1/{widget_id}/widget"},
    }
    async with api(overrides) as client:
        body = await gql(client, WIDGET)
    url = body["data"]["chatWidget"]["scriptUrl"]
    assert url == "https://api.imbachat.com/imbachat/v1/a%2Fb%201/widget"


async def test_chat_users_are_the_profiles_the_chat_receives(api: Api) -> None:
    """chatUsers shows the same mapped profiles as the chat's users-info call, in order."""
    query = (
        "query ($ids: [ID!]!) { chatUsers(ids: $ids) { userId name avatarUrl profileUrl "
        "lastLogin badge chatRole profiles { key userId name avatarUrl } } }"
    )
    async with api() as client:
        body = await gql(
            client, query, {"ids": ["6", "4", "999999", "6"]}, headers=session_cookie(1)
        )
        chat = (await client.get("/imbachat/v1/users?user_ids=6,4", auth=CHAT_AUTH)).json()
    users = body["data"]["chatUsers"]
    assert [u["userId"] for u in users] == ["6", "4"]
    for user, profile in zip(users, chat, strict=True):
        assert user["name"] == profile["name"]
        assert user["avatarUrl"] == (profile["avatar_url"] or None)
        assert user["profileUrl"] == profile["profile_url"]
        assert user["lastLogin"] == profile.get("lastlogin")
        assert user["chatRole"] == profile["chat_role"]
        subs = profile.get("profiles", {})
        assert [p["key"] for p in user["profiles"]] == list(subs)
        assert [p["userId"] for p in user["profiles"]] == [s["user_id"] for s in subs.values()]


async def test_chat_users_needs_a_viewer_unless_public(api: Api) -> None:
    """chatUsers answers anonymous callers only when chat_users_public is on."""
    async with api() as client:
        closed = await gql(client, USERS, {"ids": ["6"]})
    async with api({"graphql": {"chat_users_public": True}}) as client:
        opened = await gql(client, USERS, {"ids": ["6"]})
    assert error_code(closed) == "UNAUTHENTICATED"
    assert opened["data"]["chatUsers"][0]["userId"] == "6"


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["6", "x"], "invalid user id 'x'"),
        (["6,7"], "is not one user id"),
        ([str(i) for i in range(101)], "at most 100 ids"),
    ],
)
async def test_chat_users_refuses_bad_ids(api: Api, ids: list[str], message: str) -> None:
    """Ids that are not valid user ids, or too many of them, are BAD_USER_INPUT."""
    async with api({"graphql": {"chat_users_public": True}}) as client:
        body = await gql(client, USERS, {"ids": ids})
    assert error_code(body) == "BAD_USER_INPUT"
    assert message in body["errors"][0]["message"]


async def test_one_upstream_request_per_request_for_all_chat_users_fields(
    remote_settings: Any, demo_upstream: DemoUpstream
) -> None:
    """Two chatUsers fields and chatWidget in one request: one viewer query, one users query."""
    query = (
        '{ chatWidget { userId } a: chatUsers(ids: ["1", "2"]) { userId } '
        'b: chatUsers(ids: ["2", "3"]) { userId } }'
    )
    async with asgi_client(create_app(remote_settings)) as client:
        body = await gql(client, query, headers=session_cookie(6))
    assert body["data"]["a"] == [{"userId": "1"}, {"userId": "2"}]
    assert body["data"]["b"] == [{"userId": "2"}, {"userId": "3"}]
    assert body["data"]["chatWidget"] == {"userId": "6"}
    assert demo_upstream.requests() == 2


async def test_viewer_identities_are_never_cached(
    remote_settings: Any, demo_upstream: DemoUpstream
) -> None:
    """Each request asks the site again: another session is another viewer, none is nobody."""
    async with asgi_client(create_app(remote_settings)) as client:
        first = await gql(client, ISSUE, headers=session_cookie(6))
        second = await gql(client, ISSUE, headers=session_cookie(7))
        third = await gql(client, ISSUE)
    assert first["data"]["issueChatToken"]["userId"] == "6"
    assert second["data"]["issueChatToken"]["userId"] == "7"
    assert error_code(third) == "UNAUTHENTICATED"
    assert demo_upstream.requests() == 2  # the anonymous one had nothing to ask about


async def test_unexpected_errors_are_masked(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error nobody planned for shows as 'Unexpected error.' with none of its detail."""

    async def broken(self: Directory, ids: Sequence[UserId]) -> list[dict[str, Any]]:
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(Directory, "users", broken)
    async with api({"graphql": {"chat_users_public": True}}) as client:
        response = await client.post("/graphql", json={"query": USERS, "variables": {"ids": ["1"]}})
    assert response.status_code == 200
    assert response.json()["errors"][0]["message"] == "Unexpected error."
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


async def test_upstream_failures_have_their_own_code(api: Api) -> None:
    """When the site cannot be reached, chatUsers says UPSTREAM_UNAVAILABLE (not masked)."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    overrides = {"graphql": {"chat_users_public": True}, "upstream": {"retry": {"attempts": 1}}}
    async with api(overrides, upstream_transport=httpx.MockTransport(refuse)) as client:
        body = await gql(client, USERS, {"ids": ["1"]})
        viewer = await gql(client, ISSUE, headers=session_cookie(6))
    assert error_code(body) == "UPSTREAM_UNAVAILABLE"
    assert "cannot be reached" in body["errors"][0]["message"]
    assert error_code(viewer) == "UPSTREAM_UNAVAILABLE"


INVALIDATE = 'mutation { invalidateChatUsers(ids: ["1", "2", "1"]) }'


async def test_admin_mutation_is_off_without_a_token(api: Api) -> None:
    """With no admin token configured, invalidateChatUsers refuses everyone, saying why."""
    async with api() as client:
        body = await gql(client, INVALIDATE, headers={"Authorization": "Bearer anything"})
    assert error_code(body) == "FORBIDDEN"
    assert "no graphql.admin_token is configured" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {ADMIN_TOKEN}", f"Bearer {ADMIN_TOKEN}x"],
    ids=["none", "wrong", "wrong-scheme", "longer"],
)
async def test_admin_mutation_refuses_without_the_token(
    api: Api, authorization: str | None
) -> None:
    """Only the exact admin bearer token passes; anything else is FORBIDDEN."""
    headers = {"Authorization": authorization} if authorization else {}
    async with api({"graphql": {"admin_token": ADMIN_TOKEN}}) as client:
        body = await gql(client, INVALIDATE, headers=headers)
    assert error_code(body) == "FORBIDDEN"
    assert body["data"] is None


async def test_admin_mutation_invalidates_the_cache(
    make_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """With the admin token, invalidateChatUsers forgets profiles: the next read asks the site."""
    settings = make_settings(
        {
            "upstream": {"embedded_demo": False, "url": demo_upstream.graphql_url},
            "graphql": {"admin_token": ADMIN_TOKEN, "chat_users_public": True},
        }
    )
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with asgi_client(create_app(settings)) as client:
        await gql(client, USERS, {"ids": ["1"]})
        await gql(client, USERS, {"ids": ["1"]})
        assert demo_upstream.requests() == 1
        body = await gql(client, INVALIDATE, headers=admin)
        await gql(client, USERS, {"ids": ["1"]})
    assert body == {"data": {"invalidateChatUsers": 2}}
    assert demo_upstream.requests() == 2


async def test_a_failed_eviction_is_reported(make_settings: SettingsFactory) -> None:
    """When the shared cache cannot evict, invalidateChatUsers says CACHE_UNAVAILABLE."""
    dead = f"redis://127.0.0.1:{refused_port()}/0"
    settings = make_settings(
        {
            "cache": {"backend": "redis", "redis": {"url": dead}},
            "graphql": {"admin_token": ADMIN_TOKEN},
        }
    )
    async with asgi_client(create_app(settings)) as client:
        body = await gql(client, INVALIDATE, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert error_code(body) == "CACHE_UNAVAILABLE"


async def test_token_outcomes_are_counted(api: Api) -> None:
    """`adapter_tokens_total` counts issued tokens and refusals by their code."""
    async with api() as client:
        await gql(client, ISSUE, headers=session_cookie(6))
        await gql(client, ISSUE)
        metrics = (await client.get("/metrics")).text
    assert 'adapter_tokens_total{outcome="issued"} 1.0' in metrics
    assert 'adapter_tokens_total{outcome="unauthenticated"} 1.0' in metrics


def test_a_mapped_text_field_holding_an_object_is_null_not_its_python_repr() -> None:
    """A site's object or list where the mapping reads text (avatar_url here) is no text in
    GraphQL; chatJson keeps it as the chat's users-info call receives it."""
    profile: Any = {
        "user_id": 6,
        "name": "Ann",
        "avatar_url": {"x": 1},
        "profile_url": ["/u/6"],
        "profiles": {"a": {"user_id": 7, "name": "Sub", "avatar_url": {"y": 2}}},
    }
    user = ChatUser.from_profile(profile)
    assert (user.avatar_url, user.profile_url, user.profiles[0].avatar_url) == (None, None, None)
    assert user.chat_json == profile
