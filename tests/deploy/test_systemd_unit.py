"""deploy/systemd/imbachat-adapter.service: systemd accepts it, it is sandboxed, and its
ExecStart is a command line `serve` runs (the proxy tests' adapter is started by it)."""

from __future__ import annotations

import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from adapter.exit_codes import ExitCode
from tests.commands import write_config
from tests.deploy.support import (
    SHIPPED_CONFIG,
    SHIPPED_EXECUTABLE,
    SYSTEMD_UNIT,
    read_unit,
    serve_from_unit,
)

UNIT = read_unit(SYSTEMD_UNIT.read_text())
SERVICE = UNIT["Service"]


def _one(key: str) -> str:
    (value,) = SERVICE[key]
    return value


def _rendered(directory: Path) -> Path:
    """The unit with this venv's command and `directory` for /etc/imbachat-adapter."""
    executable = Path(sys.executable).parent / "imbachat-adapter"
    text = SYSTEMD_UNIT.read_text()
    assert SHIPPED_EXECUTABLE in text
    text = text.replace(SHIPPED_EXECUTABLE, str(executable))
    text = text.replace("/etc/imbachat-adapter", str(directory))
    (directory / "adapter.env").write_text("IMBACHAT_API_PASSWORD=unit-test\n")
    path = directory / SYSTEMD_UNIT.name
    path.write_text(text)
    return path


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    return found


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    """`systemd-analyze verify` finds nothing to say: no unknown key, no bad value, the command
    exists."""
    result = subprocess.run(
        [_systemd_analyze(), "verify", str(_rendered(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def test_systemd_rates_the_sandbox_ok(tmp_path: Path) -> None:
    """`systemd-analyze security` rates the unit's exposure at 2.0 or less ("OK" goes to 3.9)."""
    result = subprocess.run(
        [
            _systemd_analyze(),
            "security",
            "--offline=yes",
            "--threshold=20",
            "--no-pager",
            str(_rendered(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr


def test_the_unit_is_sandboxed_and_reads_its_secrets_from_a_file() -> None:
    """The sandboxing keys are there with their strict values; secrets come from an
    EnvironmentFile, never from the unit itself."""
    expected = {
        "DynamicUser": "yes",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "RestrictNamespaces": "yes",
        "CapabilityBoundingSet": "",
        "SystemCallArchitectures": "native",
    }
    assert {key: _one(key) for key in expected} == expected
    assert set(_one("RestrictAddressFamilies").split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert _one("EnvironmentFile") == "/etc/imbachat-adapter/adapter.env"
    for assignment in SERVICE.get("Environment", []):
        assert not any(word in assignment for word in ("PASSWORD", "SECRET", "TOKEN"))


def test_exec_start_is_the_serve_command_line() -> None:
    """ExecStart runs `serve` with the shipped config, on loopback behind the proxy, trusting
    only the proxy's address; every option it passes is one `serve --help` lists."""
    argv = shlex.split(_one("ExecStart"))
    assert argv[:2] == [SHIPPED_EXECUTABLE, "serve"]
    options = dict(zip(argv[2::2], argv[3::2], strict=True))
    assert options["--config"] == SHIPPED_CONFIG
    assert options["--host"] == "127.0.0.1"
    assert options["--forwarded-allow-ips"] == "127.0.0.1"
    assert int(options["--keep-alive"]) > 60
    help_text = _serve_help()
    for option in options:
        assert option in help_text, option


def _serve_help() -> str:
    from typer.testing import CliRunner

    from adapter.cli import app

    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    return result.output


def test_restarts_stop_on_the_codes_a_restart_cannot_fix() -> None:
    """RestartPreventExitStatus names serve's exit codes for a bad configuration and a port in
    use; stopping waits longer than the graceful timeout."""
    codes = {int(code) for code in _one("RestartPreventExitStatus").split()}
    assert codes == {ExitCode.INVALID, ExitCode.ENVIRONMENT, ExitCode.ADDRESS}
    argv = shlex.split(_one("ExecStart"))
    graceful = int(argv[argv.index("--graceful-timeout") + 1])
    assert int(_one("TimeoutStopSec")) > graceful
    assert _one("KillSignal") == "SIGTERM"


def test_the_command_line_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """ExecStart, run with the unit's environment and EnvironmentFile, answers /readyz, and
    SIGTERM ends it with 0 (so systemd does not count a stop as a failure)."""
    config = write_config(tmp_path)
    env_file = tmp_path / "adapter.env"
    env_file.write_text("IMBACHAT_API_PASSWORD=unit-test-password\n")
    served = serve_from_unit(config, env_file, tmp_path / "adapter.log")
    try:
        ready = httpx.get(f"http://{served.address}/readyz")
        users = httpx.get(
            f"http://{served.address}/imbachat/v1/users?user_ids=1",
            auth=("root", "unit-test-password"),
        )
    finally:
        served.process.send_signal(signal.SIGTERM)
        code = served.process.wait(timeout=45)
    assert ready.status_code == 200
    assert users.status_code == 200  # the password came from the EnvironmentFile
    assert code == 0
