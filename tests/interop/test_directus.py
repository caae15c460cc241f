"""Directus (SQLite, Node 22 from npm), configured by `init` alone.

Directus keys its users by UUID, so the seed gives them the README's integer field (`chat_id`);
`init` filters on it (`users(filter: {chat_id: {_in:}})` on /graphql/system), maps it, reads it
through `users_me` for the token, makes avatars `/assets/{id}` and keeps a member missing a first
or last name named.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.heavy import (
    SCRAMBLED,
    Site,
    init_site,
    package_version,
    record,
    require_all,
    running_site,
    token_for,
    users_for,
)

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def directus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Directus 12.4 on loopback, seeded with 20 members."""
    require_all("Directus")
    with running_site(
        "directus", tmp_path_factory.mktemp("directus"), path="/graphql/system"
    ) as site:
        yield site


def _name(member: dict[str, object]) -> str:
    parts = [member.get("first_name"), member.get("last_name")]
    return " ".join(str(p) for p in parts if p)


async def test_directus_users_and_token_by_init_alone(directus: Site, tmp_path: Path) -> None:
    """init --yes: 15 scrambled chat ids back in order with their names and avatars, and the
    signed-in member's session gets a token for their integer chat id."""
    config, _ = init_site(directus, tmp_path)
    assert config["mapping"]["id"] == "chat_id"
    assert config["chat"]["ids"]["type"] == "int"
    members = [directus.member(n) for n in SCRAMBLED]
    users = await users_for(directus, tmp_path, [m["chat_id"] for m in members])
    assert [u["user_id"] for u in users] == [m["chat_id"] for m in members]
    assert [u["name"] for u in users] == [_name(m) for m in members]
    origin = directus.url.removesuffix("/graphql/system")
    avatars = [f"{origin}/assets/{m['avatar']}" if m["avatar"] else False for m in members]
    assert [u["avatar_url"] for u in users] == avatars
    viewer = directus.seed["viewer"]
    signed_in = {"Authorization": f"Bearer {viewer['jwt']}"}
    assert await token_for(directus, tmp_path, signed_in) == viewer["id"]
    record(
        {
            "family": "Directus",
            "version": package_version(directus.installed, "directus"),
            "init": "users(filter: {chat_id: {_in:}}, limit) on /graphql/system; users_me",
            "result": "15/15 in order, names and avatars right; token for the signed-in member",
        }
    )
