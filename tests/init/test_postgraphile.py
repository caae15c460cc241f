"""Against a real PostGraphile with the connection-filter plugin (npm), over PostgreSQL.

`init --yes` must find `allMembers(filter: {id: {in: $ids}})` and the chat must get the right
users; PostGraphile's own `nodeId`s must be what `upstream.global_id: postgraphile` writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.init.postgraphile import PostGraphile, Unavailable, start_postgraphile
from tests.init.support import InitRunner, chat_users
from tests.npm import npm_tool

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgraphile() -> Iterator[PostGraphile]:
    """One PostGraphile server (and database) for this module."""
    folder = npm_tool("postgraphile")
    try:
        with start_postgraphile(folder) as server:
            yield server
    except Unavailable as exc:
        pytest.skip(f"PostGraphile cannot run here: {exc}")


EXPECTED = [
    {"user_id": 9, "name": "Edsger Dijkstra"},
    {"user_id": 5, "name": "Ada Lovelace"},
    {"user_id": 6, "name": "grace"},
    {"user_id": 8, "name": "Alan Turing"},
]


async def test_init_finds_the_connection_filter(
    run_init: InitRunner, postgraphile: PostGraphile, tmp_path: Path
) -> None:
    """init picks allMembers(filter: {id: {in:}}) over memberById, and users-info works."""
    done = run_init("--upstream", postgraphile.url, "--yes")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "* allMembers(filter: {id: {in: [Int!]}}) [list]" in done.stdout
    assert "memberById(id: Int) [alias]" in done.stdout  # the alternative, listed after it
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    users = config["upstream"]["operations"]["users"]
    assert users["result_path"] == "allMembers.nodes"
    assert "allMembers(filter: {id: {in: $ids}}" in (tmp_path / users["document"]).read_text()
    assert config["mapping"]["fields"]["chat_role"]["lookup"]["OWNER"] == "admin"
    answer = await chat_users(tmp_path / "config.yaml", [9, 5, 7, 6, 8])
    assert [{k: u[k] for k in ("user_id", "name")} for u in answer] == EXPECTED


async def test_node_ids_as_postgraphile_writes_them(
    postgraphile: PostGraphile, tmp_path: Path
) -> None:
    """Fetching by `member(nodeId:)` with global_id postgraphile gives the chat its own ids."""
    (tmp_path / "member.graphql").write_text(
        "query ChatUser($id: ID!) { member(nodeId: $id) { nodeId username displayName } }\n"
    )
    config = {
        "chat": {"api_login": "${IMBACHAT_API_LOGIN}", "api_password": "${IMBACHAT_API_PASSWORD}"},
        "upstream": {
            "url": postgraphile.url,
            "global_id": {"encoding": "postgraphile", "type": "members"},
            "batch": {"strategy": "alias"},
            "operations": {"users": {"document": "member.graphql"}},
        },
        "mapping": {"id": "nodeId", "fields": {"name": ["displayName", "username"]}},
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    answer = await chat_users(path, [9, 5, 7, 6, 8])
    assert answer == EXPECTED
