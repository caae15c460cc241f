"""graphql-yoga with the tutorial schema (`user(id: ID!)`, string ids, `me`), by `init` alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.support import (
    NodeServer,
    check_token,
    check_users,
    init_site,
    package_version,
    record,
    start_node,
    tutorial_sign_in,
)

pytestmark = [pytest.mark.interop, pytest.mark.slow]


@pytest.fixture(scope="module")
def yoga(light_sites: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeServer]:
    """graphql-yoga serving the tutorial schema over the 20 seeded members."""
    log = tmp_path_factory.mktemp("yoga") / "yoga.log"
    server = start_node(light_sites, "yoga.mjs", "tutorial", log=log)
    try:
        yield server
    finally:
        server.stop()


async def test_init_alone_serves_yoga_users_and_tokens(
    yoga: NodeServer, light_sites: Path, tmp_path: Path
) -> None:
    """init --yes picks `user(id:)` (alias), 15 scrambled ids come back right, `me` gives tokens."""
    configured = init_site(yoga.url, tmp_path / "site")
    assert configured.fetcher == "user(id: ID) [alias]"
    assert configured.viewer_mode == "upstream"
    await check_users(configured)
    await check_token(configured, tutorial_sign_in(yoga.url, 6))
    record(
        "graphql-yoga (tutorial)", package_version(light_sites, "graphql-yoga"), configured, "pass"
    )
