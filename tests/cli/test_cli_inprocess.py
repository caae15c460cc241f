"""The commands in-process (typer's runner): option handling, messages and exit codes."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from adapter import cli
from tests.commands import real_site, write_config
from tests.servers import refused_port


def test_users_table_names_the_unknown_ids(runner: CliRunner, tmp_path: Path) -> None:
    """`users` prints a table per found user and the unknown ids on stderr."""
    result = runner.invoke(cli.app, ["users", "1,999999", "-c", str(write_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "user 1" in result.stdout
    assert "profile_url" in result.stdout
    assert "1 of 2 found; unknown: 999999" in result.stderr


def test_users_json_is_a_json_array(runner: CliRunner, tmp_path: Path) -> None:
    """`users --json` prints the chat's array, ids in request order."""
    config = str(write_config(tmp_path))
    result = runner.invoke(cli.app, ["users", "3,1", "--json", "-c", config])
    assert result.exit_code == 0, result.output
    assert [user["user_id"] for user in json.loads(result.stdout)] == [3, 1]


def test_users_refuses_an_invalid_id(runner: CliRunner, tmp_path: Path) -> None:
    """An id that is not an integer exits 2 and names the item."""
    result = runner.invoke(cli.app, ["users", "1,x", "-c", str(write_config(tmp_path))])
    assert result.exit_code == 2
    assert "'x'" in result.stderr


def test_users_reports_a_failing_site(runner: CliRunner, tmp_path: Path) -> None:
    """A site on a closed port exits 5."""
    config = write_config(tmp_path, real_site(f"http://127.0.0.1:{refused_port()}/graphql"))
    result = runner.invoke(cli.app, ["users", "1", "-c", str(config)])
    assert result.exit_code == 5
    assert "the site failed" in result.stderr


def test_users_shows_the_sites_error(runner: CliRunner, tmp_path: Path) -> None:
    """A users document the site refuses: `users` shows the site's own error message."""
    config = write_config(tmp_path, own_documents=True)
    document = tmp_path / "resolvers" / "users.graphql"
    document.write_text(document.read_text().replace("username", "username\n    bogusField", 1))
    result = runner.invoke(cli.app, ["users", "1", "-c", str(config)])
    assert result.exit_code == 5, result.output
    assert "the site said: Cannot query field 'bogusField' on type 'User'." in result.stderr


@pytest.mark.parametrize("command", [["serve"], ["check-config"], ["users", "1"]])
def test_no_configuration_says_how_to_get_one(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """With no config.yaml, a command names where it looked and that `init` writes one."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli.app, command, env={"IMBACHAT_ADAPTER_CONFIG": None})
    assert result.exit_code == 2
    assert f"no configuration at {tmp_path / 'config.yaml'}: `imbachat-adapter init" in (
        result.stdout + result.stderr
    )


@pytest.mark.parametrize("args", [["users", "1"], ["token", "--user-id", "1"], ["serve"]])
def test_invalid_configuration_exits_2(runner: CliRunner, tmp_path: Path, args: list[str]) -> None:
    """Every command that reads the configuration exits 2 for an invalid one."""
    config = write_config(tmp_path, {"upstream": {"batch": {"size": 0}}})
    result = runner.invoke(cli.app, [*args, "-c", str(config)])
    assert result.exit_code == 2
    assert "upstream.batch.size" in result.stderr


def test_configuration_path_from_the_environment(runner: CliRunner, tmp_path: Path) -> None:
    """Without --config the file named by IMBACHAT_ADAPTER_CONFIG is used."""
    config = write_config(tmp_path, {"upstream": {"batch": {"size": 0}}})
    result = runner.invoke(
        cli.app, ["check-config", "--offline"], env={"IMBACHAT_ADAPTER_CONFIG": str(config)}
    )
    assert result.exit_code == 2
    assert str(config) in result.stdout


def test_check_config_json(runner: CliRunner, tmp_path: Path) -> None:
    """`check-config --json` prints a report with the exit code and every check."""
    result = runner.invoke(
        cli.app, ["check-config", "--offline", "--json", "-c", str(write_config(tmp_path))]
    )
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["checks"][0] == {
        "stage": "file", "status": "ok", "message": "readable YAML", "problem": None
    }  # fmt: skip


def test_token_json(runner: CliRunner, tmp_path: Path) -> None:
    """`token --json` prints the token with its user id and expiry."""
    config = str(write_config(tmp_path))
    result = runner.invoke(
        cli.app, ["token", "--user-id", "9", "--ttl", "120", "--json", "-c", config]
    )
    assert result.exit_code == 0, result.output
    issued = json.loads(result.stdout)
    assert issued["user_id"] == 9
    assert set(issued) == {"token", "user_id", "expires_at"}


def test_token_without_tokens_section(runner: CliRunner, tmp_path: Path) -> None:
    """Without a `tokens` section `token` exits 2 naming the setting to add."""
    config = write_config(tmp_path, {"tokens": None, "graphql": None})
    result = runner.invoke(cli.app, ["token", "--user-id", "1", "-c", str(config)])
    assert result.exit_code == 2
    assert "tokens.secret_key" in result.stderr


@pytest.mark.usefixtures("restore_signals")
def test_serve_hands_uvicorn_the_shutdown_settings(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` passes host, port, level, keep-alive and the graceful timeout, and makes SIGTERM
    a clean exit."""
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    previous, previous_int = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    args = ["serve", "-c", str(write_config(tmp_path)), "--port", "8123", "--host", "127.0.0.2"]
    args += ["--log-level", "warning", "--graceful-timeout", "7", "--keep-alive", "65"]
    result = runner.invoke(cli.app, args)
    handler = signal.getsignal(signal.SIGTERM)
    handler_int = signal.getsignal(signal.SIGINT)
    assert result.exit_code == 0, result.output
    ((_, options),) = calls
    assert options["host"] == "127.0.0.2"
    assert options["port"] == 8123
    assert options["log_level"] == "warning"
    assert options["timeout_graceful_shutdown"] == 7
    assert options["timeout_keep_alive"] == 65
    assert handler is not previous
    assert callable(handler)
    assert handler_int is not previous_int


@pytest.mark.usefixtures("restore_signals")
def test_serve_keeps_idle_connections_longer_than_a_gateways_pool(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --keep-alive, idle connections stay 65 s (uvicorn's own 5 s races a gateway's
    pool that reuses a connection just as it closes: "socket hang up")."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    result = runner.invoke(cli.app, ["serve", "-c", str(write_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert calls[0]["timeout_keep_alive"] == 65


@pytest.mark.usefixtures("restore_signals")
def test_serve_with_workers_builds_apps_from_the_environment(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With --workers N, each worker builds the app from the same file and log level."""
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    # Recorded, so that what serve writes into the environment is undone after the test.
    monkeypatch.setenv("IMBACHAT_ADAPTER_CONFIG", "unused")
    monkeypatch.setenv("IMBACHAT__LOGGING__LEVEL", "warning")
    config = write_config(tmp_path)
    result = runner.invoke(
        cli.app, ["serve", "-c", str(config), "--workers", "3", "--log-level", "debug"]
    )
    assert result.exit_code == 0, result.output
    ((app, options),) = calls
    assert app == "adapter.cli:app_from_environment"
    assert options["factory"] is True
    assert options["workers"] == 3
    assert os.environ["IMBACHAT_ADAPTER_CONFIG"] == str(config.resolve())
    assert os.environ["IMBACHAT__LOGGING__LEVEL"] == "debug"


def test_demo_upstream_passes_its_latency(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`demo-upstream --latency` serves a demo app on the given port."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append(options))
    result = runner.invoke(cli.app, ["demo-upstream", "--port", "8199", "--latency", "0.5"])
    assert result.exit_code == 0, result.output
    assert calls[0]["port"] == 8199
