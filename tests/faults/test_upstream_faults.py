"""The site's GraphQL API misbehaves: each fault gives a clear 502 (or a partial answer), stale
copies answer where the cache policy says so, and no other request is affected."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest

from adapter.app import create_app
from adapter.cache import MemoryCache
from tests.servers import refused_port
from tests.sites import Fault, FaultySite, slow_server
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client, assert_error_shape

pytestmark = [pytest.mark.faults, pytest.mark.slow]

USERS = "/imbachat/v1/users?user_ids="


def _json(status: int, body: object) -> Fault:
    return lambda _: httpx.Response(status, content=orjson.dumps(body))


def _raw(status: int, body: bytes, content_type: str = "application/json") -> Fault:
    return lambda _: httpx.Response(status, content=body, headers={"content-type": content_type})


def _raise(error: type[httpx.TransportError]) -> Fault:
    def fault(request: httpx.Request) -> httpx.Response:
        raise error("injected", request=request)

    return fault


HTML_PAGE = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"

# Every one of these is the site failing: a 502 for the chat, and never cached.
FAILURES: dict[str, Fault] = {
    "connect error": _raise(httpx.ConnectError),
    "read timeout": _raise(httpx.ReadTimeout),
    "HTTP 500": _raw(500, b'{"message":"Internal Server Error"}'),
    "HTTP 502": _raw(502, b"Bad Gateway", "text/plain"),
    "HTTP 503": _raw(503, b"", "text/plain"),
    "HTML error page (200)": _raw(200, HTML_PAGE, "text/html"),
    "HTML error page (500)": _raw(500, HTML_PAGE, "text/html"),
    "truncated JSON": _raw(200, b'{"data":{"users":[{"id":"1","displayName":"Ann'),
    "JSON but not GraphQL": _json(200, ["not", "a", "graphql", "answer"]),
    "data of the wrong type": _json(200, {"data": [1, 2, 3]}),
}
GRAPHQL_ERRORS_ONLY = _json(200, {"errors": [{"message": "Internal server error"}], "data": None})


def _ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [user["user_id"] for user in response.json()]


@pytest.mark.parametrize("fault", [*FAILURES, "GraphQL errors only"])
async def test_each_site_failure_is_a_502_in_the_chat_error_shape_and_never_cached(
    fault_settings: SettingsFactory, fault: str
) -> None:
    """A failing site gives 502 with the JSON error shape; once it recovers, the same call works."""
    site = FaultySite()
    app = create_app(fault_settings(), upstream_transport=site)
    async with asgi_client(app) as client:
        warm = await client.get(USERS + "7,8", auth=CHAT_AUTH)
        site.fault = FAILURES.get(fault, GRAPHQL_ERRORS_ONLY)

        failed = await client.get(USERS + "1,2,3", auth=CHAT_AUTH)
        body = assert_error_shape(failed, 502)
        assert "nginx" not in body["error"]
        assert "Ann" not in body["error"]
        # Cached users still answer while the site fails: other requests are not affected.
        assert _ids(await client.get(USERS + "7,8", auth=CHAT_AUTH)) == _ids(warm) == [7, 8]

        site.fault = None
        assert _ids(await client.get(USERS + "1,2,3", auth=CHAT_AUTH)) == [1, 2, 3]
        assert (await client.get("/healthz")).status_code == 200


@pytest.mark.parametrize("fault", [*FAILURES, "GraphQL errors only"])
async def test_a_failing_site_is_answered_from_stale_copies(
    fault_settings: SettingsFactory, fault: str
) -> None:
    """Past their fresh and stale windows, cached profiles still answer when the site fails."""
    site = FaultySite()
    settings = fault_settings({"cache": {"fresh_seconds": 0, "stale_seconds": 0}})
    app = create_app(settings, upstream_transport=site)
    async with asgi_client(app) as client:
        first = await client.get(USERS + "1,2,3", auth=CHAT_AUTH)
        site.fault = FAILURES.get(fault, GRAPHQL_ERRORS_ONLY)
        asked_before = site.requests
        again = await client.get(USERS + "1,2,3", auth=CHAT_AUTH)
    assert site.requests > asked_before  # the site was asked, failed, and the copies answered
    assert again.status_code == 200
    assert again.content == first.content


async def test_a_refused_connection_is_a_502(fault_settings: SettingsFactory) -> None:
    """Nothing listens at the site's address: 502 in the JSON error shape, naming no address."""
    url = f"http://127.0.0.1:{refused_port()}/graphql"
    app = create_app(fault_settings({"upstream": {"url": url}}))
    async with asgi_client(app) as client:
        body = assert_error_shape(await client.get(USERS + "1", auth=CHAT_AUTH), 502)
        assert "127.0.0.1" not in body["error"]
        assert (await client.get("/imbachat/v1")).status_code == 200


async def test_a_site_slower_than_the_read_timeout_is_a_502_and_blocks_no_one(
    fault_settings: SettingsFactory,
) -> None:
    """A site that answers after the read timeout: 502; a warm call meanwhile is answered first."""
    shared = MemoryCache(max_entries=100)
    primer = create_app(fault_settings(), upstream_transport=FaultySite(), cache=shared)
    async with asgi_client(primer) as client:
        assert _ids(await client.get(USERS + "5", auth=CHAT_AUTH)) == [5]
    async with slow_server(delay=5) as url:
        app = create_app(fault_settings({"upstream": {"url": url}}), cache=shared)
        async with asgi_client(app) as client:
            slow = asyncio.ensure_future(client.get(USERS + "1,2", auth=CHAT_AUTH))
            assert _ids(await client.get(USERS + "5", auth=CHAT_AUTH)) == [5]
            assert not slow.done()
            assert_error_shape(await slow, 502)


async def test_partial_data_answers_the_users_present_and_remembers_no_absence(
    fault_settings: SettingsFactory,
) -> None:
    """`data` with `errors`: the users present are served; the missing one is asked again later."""
    site = FaultySite()
    app = create_app(fault_settings(), upstream_transport=site)
    async with asgi_client(app) as client:
        upstream_user_2 = await _upstream_user(site, "2")
        site.fault = _json(
            200,
            {
                "data": {"users": [upstream_user_2]},
                "errors": [{"message": "user 9 is private", "path": ["users", 1]}],
            },
        )
        assert _ids(await client.get(USERS + "2,9", auth=CHAT_AUTH)) == [2]
        site.fault = None
        assert _ids(await client.get(USERS + "2,9", auth=CHAT_AUTH)) == [2, 9]
    assert site.asked[-2:] == [["2", "9"], ["9"]]  # 2 was kept, the absence of 9 was not


async def _upstream_user(site: FaultySite, user_id: str) -> dict[str, object]:
    """The demo site's own user object, as the users document selects it."""
    request = httpx.Request(
        "POST",
        "http://site.test/graphql",
        content=orjson.dumps(
            {
                "query": "query($ids:[ID!]!){users(ids:$ids){id username displayName "
                "avatar{url} lastLoginAt badge role profiles{id key name avatarUrl}}}",
                "variables": {"ids": [user_id]},
            }
        ),
        headers={"content-type": "application/json"},
    )
    response = await site.site.handle_async_request(request)
    await response.aread()
    user: dict[str, object] = orjson.loads(response.content)["data"]["users"][0]
    return user


async def test_users_missing_required_fields_are_left_out(fault_settings: SettingsFactory) -> None:
    """A user object without a name, or without an id, is dropped; the rest are served."""
    site = FaultySite()
    app = create_app(fault_settings(), upstream_transport=site)
    async with asgi_client(app) as client:
        complete = await _upstream_user(site, "3")
        site.fault = _json(
            200,
            {
                "data": {
                    "users": [
                        {"id": "1"},
                        {"displayName": "No Id", "username": "noid"},
                        None,
                        complete,
                        {"id": "2", "displayName": None, "username": None, "profiles": "x"},
                    ]
                }
            },
        )
        answer = await client.get(USERS + "1,2,3", auth=CHAT_AUTH)
    assert _ids(answer) == [3]


async def test_users_the_chat_did_not_ask_for_are_never_served_or_cached(
    fault_settings: SettingsFactory,
) -> None:
    """More or other ids than asked: only the asked ones answer; a forged user 99 is not kept."""
    site = FaultySite()
    app = create_app(fault_settings(), upstream_transport=site)
    async with asgi_client(app) as client:
        one, two = await _upstream_user(site, "1"), await _upstream_user(site, "2")
        forged = {**one, "id": "99", "displayName": "Forged"}
        site.fault = _json(200, {"data": {"users": [two, forged, one, {**one, "id": "1000"}]}})
        assert _ids(await client.get(USERS + "1,2", auth=CHAT_AUTH)) == [1, 2]
        site.fault = None
        real = (await client.get(USERS + "99", auth=CHAT_AUTH)).json()
    assert [user["user_id"] for user in real] == [99]
    assert real[0]["name"] != "Forged"


async def test_an_open_breaker_fails_fast_without_asking_the_site(
    fault_settings: SettingsFactory,
) -> None:
    """Past the failure threshold calls get 502 without reaching the site; cached ids still 200."""
    site = FaultySite()
    settings = fault_settings(
        {"upstream": {"retry": {"attempts": 1}, "breaker": {"failure_threshold": 3}}}
    )
    app = create_app(settings, upstream_transport=site)
    async with asgi_client(app) as client:
        assert _ids(await client.get(USERS + "4", auth=CHAT_AUTH)) == [4]
        site.fault = FAILURES["HTTP 500"]
        for first in range(10, 13):
            assert_error_shape(await client.get(USERS + str(first), auth=CHAT_AUTH), 502)
        reached = site.requests
        for first in range(20, 30):
            assert_error_shape(await client.get(USERS + str(first), auth=CHAT_AUTH), 502)
        assert site.requests == reached
        assert _ids(await client.get(USERS + "4", auth=CHAT_AUTH)) == [4]
