"""`users`, `token`, `serve` and `--help` through the real entry point."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest

from adapter.app import create_app
from adapter.config import Settings
from tests.cli.support import cli, environment, remote, write_config
from tests.conftest import CHAT_AUTH, DemoUpstream, LiveServer, free_port

SECRET_KEY = "cli-test-widget-secret-key-0123456789abcdef"
COMMANDS = ("serve", "check-config", "token", "users", "demo-upstream")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    """`--help` works for every command and shows its usage line."""
    result = cli(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"Usage: python -m adapter {command}" in result.stdout


def test_top_level_help_lists_the_commands() -> None:
    """`python -m adapter --help` lists every command."""
    result = cli("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_users_json_is_exactly_the_chat_answer(
    tmp_path: Path,
    demo_upstream: DemoUpstream,
    remote_settings: Settings,
    live_server: Callable[..., LiveServer],
) -> None:
    """`users --json` prints byte for byte what the users-info call answers, in one site request."""
    config = write_config(tmp_path, remote(demo_upstream.graphql_url))
    result = cli("users", "4,1,6,999999", "--json", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert demo_upstream.requests() == 1
    server = live_server(create_app(remote_settings))
    chat = httpx.get(f"{server.url}/imbachat/v1/users?user_ids=4,1,6,999999", auth=CHAT_AUTH)
    assert result.stdout.encode() == chat.content + b"\n"
    assert [user["user_id"] for user in json.loads(result.stdout)] == [4, 1, 6]


def test_users_table_shows_every_field_and_the_unknown_ids(tmp_path: Path) -> None:
    """`users` prints one table per user with each mapped field, and names the ids not found."""
    result = cli("users", "1,999999", "-c", str(write_config(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "user 1" in result.stdout
    for field in ("user_id", "name", "avatar_url", "profile_url", "chat_role"):
        assert field in result.stdout
    assert "1 of 2 found; unknown: 999999" in result.stderr


def test_users_refuses_an_invalid_id_with_exit_2(tmp_path: Path) -> None:
    """An id that is not valid for the id type exits 2 naming it, as the chat would get a 400."""
    result = cli("users", "1,2a", "-c", str(write_config(tmp_path)))
    assert result.returncode == 2
    assert "'2a'" in result.stderr


def test_users_exits_5_when_the_site_fails(tmp_path: Path) -> None:
    """A site that cannot be reached exits 5 with the reason."""
    config = write_config(tmp_path, remote(f"http://127.0.0.1:{free_port()}/graphql"))
    result = cli("users", "1", "-c", str(config))
    assert result.returncode == 5
    assert "the site failed" in result.stderr


def test_invalid_configuration_exits_2(tmp_path: Path) -> None:
    """Commands that need a configuration exit 2 when it is invalid, pointing at check-config."""
    config = write_config(tmp_path, {"upstream": {"batch": {"size": 0}}})
    for args in (["users", "1"], ["token", "--user-id", "1"], ["serve"]):
        result = cli(*args, "-c", str(config))
        assert result.returncode == 2, args
        assert "upstream.batch.size" in result.stderr


def test_token_is_the_vendors_widget_token(tmp_path: Path) -> None:
    """`token` prints an HS256 JWT with the vendor's header and {exp, user_id} for the user."""
    config = write_config(tmp_path)
    before = int(time.time())
    result = cli(
        "token", "--user-id", "6", "--ttl", "60", "-c", str(config),
        env=environment(IMBACHAT_SECRET_KEY=SECRET_KEY),
    )  # fmt: skip
    after = int(time.time())
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert jwt.get_unverified_header(token) == {"typ": "JWT", "alg": "HS256"}
    claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    assert set(claims) == {"exp", "user_id"}
    assert claims["user_id"] == 6
    assert before + 60 <= claims["exp"] <= after + 60


def test_token_json_carries_its_expiry(tmp_path: Path) -> None:
    """`token --json` prints the token with its user id and expiry."""
    result = cli("token", "--user-id", "7", "--json", "-c", str(write_config(tmp_path)))
    assert result.returncode == 0, result.stderr
    issued = json.loads(result.stdout)
    assert issued["user_id"] == 7
    claims = jwt.decode(issued["token"], options={"verify_signature": False})
    assert claims["exp"] == issued["expires_at"]


def test_token_without_a_tokens_section_exits_2(tmp_path: Path) -> None:
    """Without `tokens` there is no key to sign with: exit 2 saying what to set."""
    config = write_config(tmp_path, {"tokens": None, "graphql": None})
    result = cli("token", "--user-id", "1", "-c", str(config))
    assert result.returncode == 2
    assert "tokens.secret_key" in result.stderr
