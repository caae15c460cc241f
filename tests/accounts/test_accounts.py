"""Search and password login: asked of the site each time, mapped as users-info maps users."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from adapter.config import Settings
from adapter.errors import LoginRejected
from adapter.metrics import Metrics
from adapter.operations import build_operations
from adapter.site_users import Accounts, SiteUsers
from adapter.upstream import UpstreamClient
from tests.servers import DemoUpstream
from tests.support import NO_TOKEN_API, SettingsFactory


@contextlib.asynccontextmanager
async def open_accounts(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[Accounts]:
    """Accounts over its own upstream client, as the app's lifespan builds them."""
    upstream = UpstreamClient(settings.upstream, metrics=Metrics(), transport=transport)
    try:
        yield Accounts(settings=settings, operations=build_operations(settings), upstream=upstream)
    finally:
        await upstream.aclose()


async def test_search_and_login_when_not_configured(
    make_settings: SettingsFactory, demo_upstream: DemoUpstream
) -> None:
    """Without search or login documents, search finds nobody and login is refused."""
    upstream = {"embedded_demo": False, "url": demo_upstream.graphql_url}
    settings = make_settings(
        {"upstream": {**upstream, "operations": {"search": None, "login": None}}}
    )
    async with open_accounts(settings) as accounts:
        assert await accounts.search("anyone") == []
        with pytest.raises(LoginRejected, match="not configured"):
            await accounts.login("user1", "demo")


async def test_search_and_login_against_the_demo_site(remote_settings: Settings) -> None:
    """Search and login map the site's users; a wrong password is refused, not an error."""
    async with open_accounts(remote_settings) as accounts:
        found = await accounts.search("user12")
        assert found[0]["user_id"] == 12
        assert all(str(user["user_id"]).startswith("12") for user in found)
        assert (await accounts.login("user6", "demo"))["user_id"] == 6
        with pytest.raises(LoginRejected, match="Wrong login or password"):
            await accounts.login("user6", "nope")


async def test_search_results_without_an_id_or_a_name_are_left_out(
    make_settings: SettingsFactory,
) -> None:
    """A search hit whose id is missing or not an integer, or that has no name, is dropped."""

    def answer(request: httpx.Request) -> httpx.Response:
        hits = [
            {"id": "1", "username": "user1", "displayName": "One"},
            {"id": None, "username": "ghost", "displayName": "Ghost"},
            {"id": "x9", "username": "odd", "displayName": "Odd"},
            {"id": "2", "username": None, "displayName": None},
        ]
        return httpx.Response(200, json={"data": {"searchUsers": hits}})

    settings = make_settings(
        {"upstream": {"embedded_demo": False, "url": "http://site.test/graphql"}}
    )
    async with open_accounts(settings, transport=httpx.MockTransport(answer)) as accounts:
        assert [user["user_id"] for user in await accounts.search("o")] == [1]
    users = SiteUsers(settings)
    assert users.canonical_id("x9") is None
    # Digits of other scripts are digits to str.isdigit(), and 2**63 is past the chat's range.
    assert users.canonical_id("\u0663") is None
    assert users.canonical_id(str(2**63)) is None
    assert users.canonical_id(str(2**63 - 1)) == 2**63 - 1


def test_string_ids_are_kept_as_text(make_settings: SettingsFactory) -> None:
    """With `ids.type: str`, upstream ids are used as they are."""
    users = SiteUsers(make_settings({"chat": {"ids": {"type": "str"}}, **NO_TOKEN_API}))
    assert users.canonical_id("P11-A") == "P11-A"
    assert users.canonical_id(None) is None
