"""A Hasura-shaped schema (`users(where: {id: {_in: $ids}})`, Int keys), by `init` alone.

Hasura itself is a Haskell binary on none of npm, PyPI or Debian, so graphql-yoga serves the
schema Hasura generates for a `users` table (scripts/npm/sites/hasura.graphql) and answers as
Hasura does: rows in table order, whatever the order of `_in`. Hasura has no signed-in-user
field (its sessions are the site's own JWTs), so this entry has no token step.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.support import (
    NodeServer,
    check_users,
    init_site,
    package_version,
    record,
    start_node,
)

pytestmark = [pytest.mark.interop, pytest.mark.slow]


@pytest.fixture(scope="module")
def hasura(light_sites: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeServer]:
    """graphql-yoga serving the Hasura-shaped schema over the 20 seeded members."""
    log = tmp_path_factory.mktemp("hasura") / "yoga.log"
    server = start_node(light_sites, "yoga.mjs", "hasura", log=log)
    try:
        yield server
    finally:
        server.stop()


async def test_init_alone_serves_hasura_style_users(
    hasura: NodeServer, light_sites: Path, tmp_path: Path
) -> None:
    """init --yes picks `users(where: {id: {_in:}})` (list) and 15 scrambled ids come back right."""
    configured = init_site(hasura.url, tmp_path / "site")
    assert configured.fetcher == "users(where: {id: {_in: [Int!]}}) [list]"
    assert configured.viewer_mode is None
    await check_users(configured)
    version = package_version(light_sites, "graphql-yoga")
    record("Hasura-shaped (graphql-yoga)", version, configured, "pass (no viewer field)")
