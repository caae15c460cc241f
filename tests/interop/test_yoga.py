"""graphql-yoga with the tutorial schema (`user(id: ID!)`, string ids, `me`), by `init` alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.support import (
    NodeServer,
    SignedIn,
    check_token,
    check_users,
    init_site,
    package_version,
    record,
    site_post,
    start_node,
)

pytestmark = [pytest.mark.interop, pytest.mark.slow]

LOGIN = """mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { token user { id } }
}"""


@pytest.fixture(scope="module")
def yoga(light_sites: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeServer]:
    """graphql-yoga serving the tutorial schema over the 20 seeded members."""
    log = tmp_path_factory.mktemp("yoga") / "yoga.log"
    server = start_node(light_sites, "yoga.mjs", "tutorial", log=log)
    try:
        yield server
    finally:
        server.stop()


def sign_in(url: str, number: int) -> SignedIn:
    """Sign member `number` in on the site; their page then sends the bearer token it got."""
    variables = {"email": f"user{number}@example.org", "password": "demo"}
    token = site_post(url, LOGIN, variables).json()["data"]["login"]["token"]
    return SignedIn(number, {"Authorization": f"Bearer {token}"})


async def test_init_alone_serves_yoga_users_and_tokens(
    yoga: NodeServer, light_sites: Path, tmp_path: Path
) -> None:
    """init --yes picks `user(id:)` (alias), 15 scrambled ids come back right, `me` gives tokens."""
    configured = init_site(yoga.url, tmp_path / "site")
    assert configured.fetcher == "user(id: ID) [alias]"
    assert configured.viewer_mode == "upstream"
    await check_users(configured)
    await check_token(configured, sign_in(yoga.url, 6))
    record(
        "graphql-yoga (tutorial)", package_version(light_sites, "graphql-yoga"), configured, "pass"
    )
