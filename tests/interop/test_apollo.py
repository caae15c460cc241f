"""Apollo Server in production (NODE_ENV=production: introspection off), by `init --schema`.

Introspection off is Apollo Server's production default, so `init` cannot read the schema from
the site; the site owner gives it the schema from their code instead, as SDL or as the
introspection JSON their tooling exports, and `init` asks the site only for sample users.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from graphql import build_schema, introspection_from_schema

from tests.interop.support import (
    NodeServer,
    check_config,
    check_token,
    check_users,
    init_site,
    package_version,
    record,
    run_init,
    start_node,
    tutorial_sign_in,
)

pytestmark = [pytest.mark.interop, pytest.mark.slow]


@pytest.fixture(scope="module")
def apollo(light_sites: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeServer]:
    """Apollo Server, as deployed (NODE_ENV=production), serving the tutorial schema."""
    log = tmp_path_factory.mktemp("apollo") / "apollo.log"
    server = start_node(light_sites, "apollo.mjs", log=log, env={"NODE_ENV": "production"})
    try:
        yield server
    finally:
        server.stop()


def test_without_the_schema_init_says_to_give_it(apollo: NodeServer, tmp_path: Path) -> None:
    """Introspection refused: init writes nothing and names --schema FILE."""
    done = run_init(apollo.url, tmp_path / "site")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "introspection is not allowed" in done.stderr
    assert "--schema FILE" in done.stderr
    assert not (tmp_path / "site" / "config.yaml").exists()


async def test_init_with_the_sdl_serves_users_and_tokens(
    apollo: NodeServer, light_sites: Path, tmp_path: Path
) -> None:
    """init --schema schema.graphql: `user(id:)` (alias), 15 ids right, a token for `me`;
    check-config --schema checks the documents against it (without it: a warning)."""
    configured = init_site(
        apollo.url, tmp_path / "site", "--schema", str(light_sites / "tutorial.graphql")
    )
    assert configured.fetcher == "user(id: ID) [alias]"
    assert "answers; schema from the given file" in configured.stdout
    await check_users(configured)
    await check_token(configured, tutorial_sign_in(apollo.url, 12))
    checked = check_config(configured, "--schema", str(light_sites / "tutorial.graphql"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "every document and mapped field exists" in checked.stdout
    unchecked = check_config(configured)
    assert unchecked.returncode == 0, unchecked.stdout + unchecked.stderr
    assert "not checked: the site refused introspection" in unchecked.stdout
    bad = tmp_path / "bad.graphql"
    bad.write_text("type Query {")
    refused = check_config(configured, "--schema", str(bad))
    assert refused.returncode == 2
    assert "is not GraphQL SDL" in refused.stderr
    version = package_version(light_sites, "@apollo/server")
    record("Apollo Server, production (--schema SDL)", version, configured, "pass")


async def test_init_with_introspection_json_serves_users(
    apollo: NodeServer, light_sites: Path, tmp_path: Path
) -> None:
    """init --schema introspection.json (the exported answer, `data` wrapper and all) works too."""
    exported = introspection_from_schema(
        build_schema((light_sites / "tutorial.graphql").read_text())
    )
    schema_file = tmp_path / "introspection.json"
    schema_file.write_bytes(orjson.dumps({"data": exported}))
    configured = init_site(apollo.url, tmp_path / "site", "--schema", str(schema_file))
    assert configured.fetcher == "user(id: ID) [alias]"
    await check_users(configured)
