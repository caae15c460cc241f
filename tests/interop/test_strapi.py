"""Strapi 5 and Strapi 4 (users-permissions + GraphQL, SQLite), configured by `init` alone.

- Strapi 5 shows its users only by `documentId` (text); `me { id }` is the integer. `init`
  serves the users by documentId, and leaves the token API off saying why (the widget's token
  carries an integer id that no users field takes); check-config refuses it switched on.
- Strapi 4 puts the id on an entity wrapper (`data { id attributes { … } }`) and answers 10
  items unless `pagination: {limit}` says otherwise: `init` reads through the wrapper, writes
  the limit, and the viewer `me { id }` gives the signed-in member a token.
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
def strapi5(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Strapi 5.54 on loopback, seeded with 20 members."""
    require_all("Strapi 5")
    with running_site("strapi5", tmp_path_factory.mktemp("strapi5")) as site:
        yield site


@pytest.fixture(scope="module")
def strapi4(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Strapi 4.26 on loopback, seeded with 20 members."""
    require_all("Strapi 4")
    with running_site("strapi4", tmp_path_factory.mktemp("strapi4")) as site:
        yield site


async def test_strapi5_users_by_init_alone(strapi5: Site, tmp_path: Path) -> None:
    """init --yes serves 15 scrambled members by documentId, in order, every one named; the
    token API is written off, saying why."""
    configured = init_site(strapi5.url, tmp_path / "site", "--header", strapi5.header)
    assert configured.config["mapping"]["id"] == "documentId"
    assert configured.config["chat"]["ids"]["type"] == "str"
    users = (configured.directory / "resolvers" / "users.graphql").read_text()
    assert "pagination: {limit: 100}" in users
    assert configured.viewer_mode is None
    assert "token API is written switched off: the chat's ids are text" in configured.stdout
    keys = {n: strapi5.member(n)["documentId"] for n in SCRAMBLED}
    members = names(strapi5, keys, "firstName", "lastName", "username")
    await check_users(configured, members, [keys[n] for n in SCRAMBLED], strapi5.credential)
    record(
        "Strapi 5",
        package_version(strapi5.installed, "@strapi/strapi"),
        configured,
        "pass: 15/15 in order, names right; token API off (no integer users key; README)",
    )


async def test_strapi4_users_and_token_by_init_alone(strapi4: Site, tmp_path: Path) -> None:
    """init --yes reads through the entity wrapper: 15 scrambled ids back in order, and the
    signed-in member's session gets a token for their integer id."""
    configured = init_site(strapi4.url, tmp_path / "site", "--header", strapi4.header)
    assert configured.config["chat"]["ids"]["type"] == "int"
    users = (configured.directory / "resolvers" / "users.graphql").read_text()
    assert "pagination: {limit: 100}" in users
    keys = {n: strapi4.member(n)["id"] for n in SCRAMBLED}
    members = names(strapi4, keys, "firstName", "lastName", "username")
    await check_users(configured, members, [keys[n] for n in SCRAMBLED], strapi4.credential)
    viewer = strapi4.seed["viewer"]
    signed_in = SignedIn(viewer["id"], {"Authorization": f"Bearer {viewer['jwt']}"})
    await check_token(configured, signed_in, strapi4.credential)
    record(
        "Strapi 4",
        package_version(strapi4.installed, "@strapi/strapi"),
        configured,
        "pass: 15/15 in order, names right; token for the signed-in member",
    )
