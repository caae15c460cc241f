"""`init --yes` then the chat's users-info call, against one small site of each schema family.

Each site is served for real on a loopback port; the written configuration is loaded as `serve`
would load it and must return the right users, in the order asked, in one request to the site.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from adapter.app import create_app
from adapter.config import load_settings
from tests.commands import cli, environment
from tests.graphql.support import ISSUE
from tests.init.families import VIEWER_TOKEN, edges_site, global_site, hasura_site, nodeid_site
from tests.init.support import OPERATOR_ENVIRONMENT, InitRunner, SiteServer, chat_users
from tests.support import asgi_client, gql, verify_widget_token


def _config(tmp_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((tmp_path / "config.yaml").read_text())
    return data


async def test_hasura_where_in(
    run_init: InitRunner, serve_site: SiteServer, tmp_path: Path
) -> None:
    """A Hasura-style `users(where: {id: {_in: $ids}})` is found and preferred over users_by_pk."""
    site = hasura_site()
    done = run_init("--upstream", serve_site(site), "--yes")
    assert done.returncode == 0, done.stderr + done.stdout
    config = _config(tmp_path)
    assert config["upstream"]["batch"]["strategy"] == "list"
    document = (tmp_path / "resolvers/users.graphql").read_text()
    assert "users(where: {id: {_in: $ids}}, limit: 100)" in document
    assert "$ids: [Int!]!" in document
    fields = config["mapping"]["fields"]
    assert fields["avatar_url"] == {
        "template": "https://files.example.com/avatars/{avatar_file}",
        "convert": "or_false",
    }
    assert fields["chat_role"]["lookup"] == {
        "admin": "admin",
        "moderator": "admin",
        "member": "user",
    }
    # No signed-in-user field: the token API is written switched off, and the checks say so.
    assert re.search(r"WARN\s+frontend\s+the token API is off", done.stdout)
    assert "#   mode: jwt" in (tmp_path / "config.yaml").read_text()
    site.requests = 0
    answer = await chat_users(tmp_path / "config.yaml", [9, 5, 7, 6])
    assert [u["user_id"] for u in answer] == [9, 5, 6]
    assert [u["name"] for u in answer] == ["Edsger Dijkstra", "Ada Lovelace", "grace"]
    assert [u["avatar_url"] for u in answer] == [
        False,
        "https://files.example.com/avatars/ada.png",
        False,
    ]
    assert [u["chat_role"] for u in answer] == ["user", "admin", "user"]
    assert site.requests == 1


async def test_relay_global_ids(
    run_init: InitRunner, serve_site: SiteServer, tmp_path: Path
) -> None:
    """A site fetching users only by `node(id:)` with base64("User:n") ids gets them encoded."""
    site = global_site()
    done = run_init("--upstream", serve_site(site), "--yes")
    assert done.returncode == 0, done.stderr + done.stdout
    config = _config(tmp_path)
    assert config["upstream"]["global_id"] == {"encoding": "relay", "type": "User"}
    assert config["chat"]["ids"]["type"] == "int"
    site.requests = 0
    answer = await chat_users(tmp_path / "config.yaml", [8, 5, 7])
    assert [u["user_id"] for u in answer] == [8, 5]
    assert answer[1]["name"] == "Ada Lovelace"
    assert site.requests == 1


async def test_relay_viewer_id_is_decoded_for_the_token(
    run_init: InitRunner, serve_site: SiteServer, tmp_path: Path
) -> None:
    """The token API init writes works: the viewer's global id becomes the token's integer id."""
    done = run_init("--upstream", serve_site(global_site()), "--yes")
    assert done.returncode == 0, done.stderr + done.stdout
    text = (tmp_path / "config.yaml").read_text()
    assert "secret_key: ${IMBACHAT_SECRET_KEY}" in text
    assert OPERATOR_ENVIRONMENT["IMBACHAT_SECRET_KEY"] not in text
    settings = load_settings(tmp_path / "config.yaml", environ=OPERATOR_ENVIRONMENT)
    async with asgi_client(create_app(settings)) as client:
        body = await gql(client, ISSUE, headers={"Authorization": f"Bearer {VIEWER_TOKEN}"})
    issued = body["data"]["issueChatToken"]
    assert issued["userId"] == "5"  # an ID: every chat id fits, up to 2**63-1
    assert settings.tokens is not None
    assert verify_widget_token(settings.tokens, issued["token"])["user_id"] == 5
    printed = cli(
        "token",
        "--user-id",
        "5",
        "--config",
        str(tmp_path / "config.yaml"),
        env=environment(**OPERATOR_ENVIRONMENT),
    )
    assert printed.returncode == 0, printed.stderr
    assert verify_widget_token(settings.tokens, printed.stdout.strip())["user_id"] == 5


async def test_edges_connection_with_filter_ids(
    run_init: InitRunner, serve_site: SiteServer, tmp_path: Path
) -> None:
    """A JSON-backed `allUsers(filter: {ids:})` with only `edges` returns every user asked."""
    site = edges_site()
    done = run_init("--upstream", serve_site(site), "--yes")
    assert done.returncode == 0, done.stderr + done.stdout
    config = _config(tmp_path)
    assert config["upstream"]["operations"]["users"]["result_path"] == "allUsers.edges.node"
    site.requests = 0
    answer = await chat_users(tmp_path / "config.yaml", [9, 8, 6, 5])
    assert [u["user_id"] for u in answer] == [9, 8, 6, 5]
    assert site.requests == 1


async def test_sample_ids_given_as_the_chat_knows_them(
    run_init: InitRunner, serve_site: SiteServer, tmp_path: Path
) -> None:
    """--sample-ids 5,9 on a site of global ids is tried as base64("User:n"), and found."""
    done = run_init("--upstream", serve_site(global_site()), "--yes", "--sample-ids", "5,9")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "the ids you gave (5, 9)" in done.stdout
    assert "GET /imbachat/v1/users?user_ids=5,9 (HTTP 200)" in done.stdout
    assert _config(tmp_path)["upstream"]["global_id"] == {"encoding": "relay", "type": "User"}


async def test_node_id_only_fetch(
    run_init: InitRunner, serve_site: SiteServer, tmp_path: Path
) -> None:
    """A site fetching only by PostGraphile node ids, with plain ids in its answers, is found."""
    site = nodeid_site()
    done = run_init("--upstream", serve_site(site), "--yes")
    assert done.returncode == 0, done.stderr + done.stdout
    config = _config(tmp_path)
    assert config["upstream"]["global_id"] == {"encoding": "postgraphile", "type": "members"}
    assert config["mapping"]["id"] == "id"
    site.requests = 0
    answer = await chat_users(tmp_path / "config.yaml", [8, 5, 7])
    assert [(u["user_id"], u["name"]) for u in answer] == [(8, "Alan Turing"), (5, "Ada Lovelace")]
    assert site.requests == 1
