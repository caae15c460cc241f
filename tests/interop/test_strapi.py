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

from tests.interop.heavy import (
    SCRAMBLED,
    Site,
    expected_name,
    init_site,
    record,
    require_all,
    running_site,
    token_for,
    users_for,
)
from tests.interop.heavy import package_version as version_of

pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.timeout(900)]


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
    """init --yes serves 15 scrambled members by documentId, in order, every one named."""
    config, said = init_site(strapi5, tmp_path)
    assert config["mapping"]["id"] == "documentId"
    assert config["chat"]["ids"]["type"] == "str"
    assert "pagination: {limit: 100}" in (tmp_path / "resolvers" / "users.graphql").read_text()
    assert "viewer" not in config
    assert "token API is written switched off" in said
    members = [strapi5.member(n) for n in SCRAMBLED]
    users = await users_for(strapi5, tmp_path, [m["documentId"] for m in members])
    assert [u["user_id"] for u in users] == [m["documentId"] for m in members]
    assert [u["name"] for u in users] == [expected_name(m) for m in members]
    record(
        {
            "family": "Strapi 5",
            "version": version_of(strapi5.installed, "@strapi/strapi"),
            "init": "usersPermissionsUsers(filters: {documentId: {in:}}, pagination: {limit})",
            "result": "15/15 in order, names right; token API off: no integer users key",
        }
    )


async def test_strapi4_users_and_token_by_init_alone(strapi4: Site, tmp_path: Path) -> None:
    """init --yes reads through the entity wrapper: 15 scrambled ids back in order, and the
    signed-in member's session gets a token for their integer id."""
    config, _ = init_site(strapi4, tmp_path)
    assert config["chat"]["ids"]["type"] == "int"
    assert "pagination: {limit: 100}" in (tmp_path / "resolvers" / "users.graphql").read_text()
    members = [strapi4.member(n) for n in SCRAMBLED]
    users = await users_for(strapi4, tmp_path, [m["id"] for m in members])
    assert [u["user_id"] for u in users] == [m["id"] for m in members]
    assert [u["name"] for u in users] == [expected_name(m) for m in members]
    viewer = strapi4.seed["viewer"]
    signed_in = {"Authorization": f"Bearer {viewer['jwt']}"}
    assert await token_for(strapi4, tmp_path, signed_in) == viewer["id"]
    record(
        {
            "family": "Strapi 4",
            "version": version_of(strapi4.installed, "@strapi/strapi"),
            "init": "usersPermissionsUsers(filters: {id: {in:}}, pagination: {limit}) .data; "
            "viewer me { id }",
            "result": "15/15 in order, names right; token for the signed-in member",
        }
    )
