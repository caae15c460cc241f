"""KeystoneJS 6 (`users(where: {id: {in:}})`, `authenticatedItem`, a sealed cookie session),
by `init` alone.

`scripts/ensure-npm keystone` installs it (SQLite through Prisma's better-sqlite3 adapter,
compiled from source) and builds it; the install takes minutes, so only `make interop` runs
this. Prisma's `db push` would download its schema engine from Prisma's own host, so the tables
are created by SQL (scripts/npm/keystone/tables.mjs). Ids are autoincrement integers, the
members are created through Keystone's own GraphQL API, and a member signs in with
`authenticateUserWithPassword`, which sets the sealed `keystonejs-session` cookie.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from tests.interop.support import (
    MEMBERS,
    NodeServer,
    SignedIn,
    check_token,
    check_users,
    init_site,
    package_version,
    record,
    require_all,
)
from tests.npm import npm_tool
from tests.servers import free_port, stop_process

# Keystone takes minutes to start on a busy machine: the start-up wait, not pytest's default
# timeout, is what bounds it (a timeout inside the wait would leave its process running).
pytestmark = [pytest.mark.interop, pytest.mark.slow, pytest.mark.timeout(900)]

PASSWORD = "interop-keystone-password"
CREATE = "mutation ($data: [UserCreateInput!]!) { createUsers(data: $data) { id } }"
SIGN_IN = """mutation ($email: String!, $password: String!) {
  authenticateUserWithPassword(email: $email, password: $password) {
    ... on UserAuthenticationWithPasswordSuccess { sessionToken item { id } }
    ... on UserAuthenticationWithPasswordFailure { message }
  }
}"""
COOKIE = "keystonejs-session"
STARTUP_SECONDS = 300.0


def _post(url: str, query: str, variables: Mapping[str, object]) -> httpx.Response:
    response = httpx.post(url, json={"query": query, "variables": dict(variables)}, timeout=30)
    response.raise_for_status()
    assert "errors" not in response.json(), response.text
    return response


def _start(folder: Path, database: Path, log: Path) -> NodeServer:
    env = {
        **os.environ,
        "KEYSTONE_DB": str(database),
        "SESSION_SECRET": "interop-keystone-session-secret-0123456789",
        "PORT": str(free_port()),
        "KEYSTONE_TELEMETRY_DISABLED": "1",
    }
    subprocess.run(["node", "tables.mjs"], cwd=folder, env=env, check=True, timeout=60)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(folder / "node_modules" / ".bin" / "keystone"), "start", "--no-ui"],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{env['PORT']}/api/graphql"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.post(url, json={"query": "{ __typename }"}, timeout=2).status_code == 200:
                return NodeServer(url, process)
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    stop_process(process)
    raise RuntimeError(f"Keystone did not start: {log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="module")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeServer, Path]]:
    """Keystone over a fresh SQLite file holding the 20 seeded members."""
    require_all("KeystoneJS")
    folder = npm_tool("keystone")
    where = tmp_path_factory.mktemp("keystone")
    server = _start(folder, where / "keystone.db", where / "keystone.log")
    try:
        # One by one: Keystone creates the items of one createUsers call concurrently, so
        # their ids would not follow the list's order.
        for number, name in MEMBERS.items():
            member = {"name": name, "email": f"user{number}@example.org", "password": PASSWORD}
            _post(server.url, CREATE, {"data": [member]})
        yield server, folder
    finally:
        server.stop()


def sign_in(url: str, number: int) -> tuple[str, str]:
    """Sign member `number` in on Keystone: its session cookie and its session token."""
    variables = {"email": f"user{number}@example.org", "password": PASSWORD}
    response = _post(url, SIGN_IN, variables)
    answer = response.json()["data"]["authenticateUserWithPassword"]
    assert answer["item"]["id"] == str(number)
    return response.cookies[COOKIE], answer["sessionToken"]


async def test_init_alone_serves_keystone_users_and_tokens(
    keystone: tuple[NodeServer, Path], tmp_path: Path
) -> None:
    """init --yes: `users(where: {id: {in:}})`, `authenticatedItem` with the cookie forwarded;
    15 scrambled ids right; a token from the session cookie and from the Bearer token."""
    server, folder = keystone
    configured = init_site(server.url, tmp_path / "site")
    assert configured.fetcher == "users(where: {id: {in: [ID!]}}) [list]"
    assert configured.viewer_mode == "upstream"
    assert configured.config["viewer"]["upstream"]["forward_cookies"] == [COOKIE]
    assert "authenticatedItem" in (tmp_path / "site" / "resolvers" / "viewer.graphql").read_text()
    await check_users(configured)
    cookie, token = sign_in(server.url, 6)
    await check_token(configured, SignedIn(6, {"Cookie": f"{COOKIE}={cookie}; other=1"}))
    await check_token(configured, SignedIn(6, {"Authorization": f"Bearer {token}"}))
    version = package_version(folder, "@keystone-6/core")
    record("KeystoneJS 6", version, configured, "pass")
