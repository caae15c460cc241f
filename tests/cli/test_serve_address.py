"""`serve` on a port that is taken: one plain line and exit code 4, before uvicorn starts."""

from __future__ import annotations

import socket

from tests.commands import cli_process


def test_serve_on_a_port_in_use_says_so_in_one_line() -> None:
    """With the port held by another listener, serve prints one line naming it and exits 4."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli_process("serve", "--config", "config.yaml", "--port", str(port))
    assert result.returncode == 4
    assert result.stderr.strip().splitlines() == [
        f"port {port} is in use; set --port, or PORT= for make demo"
    ]
    assert "Traceback" not in result.stderr + result.stdout


def test_serve_on_an_address_not_ours_says_so_in_one_line() -> None:
    """An address this machine does not have is one line naming it, exit 4."""
    result = cli_process(
        "serve", "--config", "config.yaml", "--host", "192.0.2.1", "--port", "8000"
    )
    assert result.returncode == 4
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("cannot listen on 192.0.2.1:8000: ")
