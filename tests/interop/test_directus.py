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

from tests.interop.heavy import Site, names, running_site
from tests.interop.support import (
    SCRAMBLED,
    SignedIn,
    check_token,
    check_users,
    init_site,
    package_version,
    record,
    require_all,
)

pytestmark = [
    pytest.mark.interop,
    pytest.mark.slow,
    pytest.mark.timeout(4200),
]  # a cold install: heavy.py


@pytest.fixture(scope="module")
def directus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Directus 12.4 on loopback, seeded with 20 members."""
    require_all("Directus")
    tmp = tmp_path_factory.mktemp("directus")
    with running_site("directus", tmp, path="/graphql/system") as site:
        yield site


async def test_directus_users_and_token_by_init_alone(directus: Site, tmp_path: Path) -> None:
    """init --yes: 15 scrambled chat ids back in order with their names and avatars, and the
    signed-in member's session gets a token for their integer chat id."""
    configured = init_site(directus.url, tmp_path / "site", "--header", directus.header)
    assert configured.config["mapping"]["id"] == "chat_id"
    assert configured.config["chat"]["ids"]["type"] == "int"
    keys = {n: directus.member(n)["chat_id"] for n in SCRAMBLED}
    members = names(directus, keys, "first_name", "last_name", "email")
    ids = [keys[n] for n in SCRAMBLED]
    answer = await check_users(configured, members, ids, directus.credential)
    origin = directus.url.removesuffix("/graphql/system")
    avatars = [directus.member(n)["avatar"] for n in SCRAMBLED]
    assert [user["avatar_url"] for user in answer] == [
        f"{origin}/assets/{avatar}" if avatar else False for avatar in avatars
    ]
    viewer = directus.seed["viewer"]
    signed_in = SignedIn(viewer["id"], {"Authorization": f"Bearer {viewer['jwt']}"})
    await check_token(configured, signed_in, directus.credential)
    record(
        "Directus",
        package_version(directus.installed, "directus"),
        configured,
        "pass: 15/15 in order, names and avatars right; token for the signed-in member",
    )
