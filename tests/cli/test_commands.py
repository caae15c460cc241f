"""`users`, `token` and `--help` through the command line (`serve`: tests/ops)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import pytest
import typer.main

from adapter.app import create_app
from adapter.cli import app as cli_app
from adapter.config import Settings
from tests.commands import cli, cli_process, environment, real_site, write_config
from tests.servers import DemoUpstream, LiveServer
from tests.support import CHAT_AUTH

SECRET_KEY = "cli-test-widget-secret-key-0123456789abcdef"
# Every command the app has, so that a new one is held to the same rule.
COMMANDS = sorted(getattr(typer.main.get_command(cli_app), "commands", {}))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    """`--help` works for every command and shows its usage line."""
    result = cli(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"Usage: python -m adapter {command}" in result.stdout


def test_top_level_help_lists_the_commands() -> None:
    """`python -m adapter --help` lists every command."""
    result = cli_process("--help")
    assert result.returncode == 0
    assert {"serve", "check-config", "token", "users", "demo-upstream"} <= set(COMMANDS)
    for command in COMMANDS:
        assert command in result.stdout


def test_users_json_is_exactly_the_chat_answer(
    tmp_path: Path,
    demo_upstream: DemoUpstream,
    remote_settings: Settings,
    live_server: Callable[..., LiveServer],
) -> None:
    """`users --json` prints byte for byte what the users-info call answers, in one site request."""
    config = write_config(tmp_path, real_site(demo_upstream.graphql_url))
    result = cli("users", "4,1,6,999999", "--json", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert demo_upstream.requests() == 1
    server = live_server(create_app(remote_settings))
    chat = httpx.get(f"{server.url}/imbachat/v1/users?user_ids=4,1,6,999999", auth=CHAT_AUTH)
    assert result.stdout.encode() == chat.content + b"\n"
    assert [user["user_id"] for user in json.loads(result.stdout)] == [4, 1, 6]


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
