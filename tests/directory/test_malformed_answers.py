"""A site answering 200 without the document's shape fails the call; it never erases users."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest

from adapter.app import create_app
from adapter.config import Settings
from tests.directory.support import Clock, open_directory
from tests.sites import misbehaving_site
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client

pytestmark = [pytest.mark.faults, pytest.mark.slow]

USERS = "/imbachat/v1/users?user_ids=1,2"
MALFORMED = [
    b'{"data":{"users":null}}',
    b'{"data":{}}',
    b'{"data":{"users":{}}}',
    b'{"data":{"users":"notalist"}}',
    b'{"data":{"users":[1,2]}}',
]


@pytest.fixture
def site_settings(make_settings: SettingsFactory) -> Callable[[str], Settings]:
    """Settings for a site at `url`: memory cache, one attempt, short negative caching."""

    def build(url: str) -> Settings:
        return make_settings(
            {
                "upstream": {
                    "embedded_demo": False,
                    "url": url,
                    "retry": {"attempts": 1},
                    "breaker": {"failure_threshold": 100},
                },
                "cache": {"backend": "memory", "negative_seconds": 3600},
            }
        )

    return build


@pytest.mark.parametrize("body", MALFORMED)
async def test_malformed_answer_is_a_502_and_users_come_back_when_the_site_does(
    site_settings: Callable[[str], Settings], body: bytes
) -> None:
    """A malformed 200 is a 502, not `[]`, and the ids are not stored as unknown."""
    async with misbehaving_site() as site:
        app = create_app(site_settings(site.url))
        async with asgi_client(app) as client:
            site.answer_with(body)
            failed = await client.get(USERS, auth=CHAT_AUTH)
            assert failed.status_code == 502, failed.text
            assert set(failed.json()) == {"code", "version", "error", "debug"}
            site.behave()
            recovered = await client.get(USERS, auth=CHAT_AUTH)
            assert [user["user_id"] for user in recovered.json()] == [1, 2]


async def test_malformed_answer_is_served_from_stale_copies(
    site_settings: Callable[[str], Settings],
) -> None:
    """With stale copies at hand, a malformed answer is served from them and leaves them be."""
    clock = Clock()
    async with misbehaving_site() as site:
        settings = site_settings(site.url)
        async with open_directory(settings, clock=clock) as directory:
            first = await directory.lookup([1, 2])
            clock.advance(settings.cache.fresh_seconds + settings.cache.stale_seconds + 1)
            site.answer_with(b'{"data":{"users":null}}')
            assert await directory.lookup([1, 2]) == first
            site.behave()
            assert [orjson.loads(p)["user_id"] for p in await directory.lookup([1, 2])] == [1, 2]


async def test_null_result_beside_errors_is_a_graphql_error(
    site_settings: Callable[[str], Settings],
) -> None:
    """`users: null` with `errors` is the site failing (502 naming errors), not empty."""
    async with misbehaving_site() as site:
        app = create_app(site_settings(site.url))
        async with asgi_client(app) as client:
            site.answer_with(b'{"data":{"users":null},"errors":[{"message":"boom"}]}')
            failed = await client.get(USERS, auth=CHAT_AUTH)
            assert failed.status_code == 502
            assert "error" in failed.json()["error"]


async def test_a_user_absent_from_a_well_formed_list_stays_unknown(
    site_settings: Callable[[str], Settings],
) -> None:
    """A well-formed list without an asked id still answers without it, and remembers that."""
    async with misbehaving_site() as site:
        app = create_app(site_settings(site.url))
        async with asgi_client(app) as client:
            site.answer_with(b'{"data":{"users":[{"id":"1","displayName":"One"}]}}')
            answer = await client.get(USERS, auth=CHAT_AUTH)
            assert [user["user_id"] for user in answer.json()] == [1]
            site.behave()
            again = await client.get(USERS, auth=CHAT_AUTH)
            assert [user["user_id"] for user in again.json()] == [1]  # 2 cached as unknown


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"data":{"user":null}}', 422),  # the site has no such user
        (b'{"data":{}}', 502),
        (b'{"data":{"user":{}}}', 502),
        (b'{"data":{"user":{"friends":"notalist"}}}', 502),
        (b'{"data":{"user":{"friends":null}}}', 422),
        (b'{"data":{"user":{"friends":[1,2]}}}', 502),
    ],
)
async def test_a_malformed_friends_answer_is_a_502_not_no_friends(
    site_settings: Callable[[str], Settings], body: bytes, status: int
) -> None:
    """Friends: null on the way means no such user (422); any other wrong shape is a 502."""
    async with misbehaving_site() as site:
        app = create_app(site_settings(site.url))
        async with asgi_client(app) as client:
            site.answer_with(body)
            answer = await client.get("/imbachat/v1/user/friends/6", auth=CHAT_AUTH)
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == status
