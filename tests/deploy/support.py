"""The shipped deployment files (deploy/) run for real: the adapter started by the systemd unit's
command line, and Debian's nginx or Caddy in front of it on loopback ports.

Each file is rendered from the repository's copy with only the test's ports and paths put in
(`render` fails when a value it replaces is no longer in the file), so what is tested is what
ships.
"""

from __future__ import annotations

import getpass
import itertools
import os
import shlex
import ssl
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.certificates import Tls, make_tls
from tests.commands import environment
from tests.servers import free_port, spawn_listening, spawn_on_free_port, stop_process
from tests.support import ROOT

__all__ = [
    "CADDY_SITE",
    "DEPLOY",
    "NGINX_SITE",
    "PER_IP",
    "SYSTEMD_UNIT",
    "Proxy",
    "Served",
    "Tls",
    "client",
    "deb_tool",
    "make_tls",
    "read_unit",
    "render",
    "serve_from_unit",
    "source_address",
    "start_caddy",
    "start_nginx",
    "unit_command",
]

DEPLOY = ROOT / "deploy"
SYSTEMD_UNIT = DEPLOY / "systemd" / "imbachat-adapter.service"
NGINX_SITE = DEPLOY / "nginx" / "imbachat-adapter.conf"
CADDY_SITE = DEPLOY / "caddy" / "imbachat-adapter.caddy"

# The adapter's budget of token requests per client address in these tests (small enough to
# use up in one).
PER_IP = 5

# Where the shipped files expect the adapter; replaced by the test's own.
SHIPPED_ADAPTER = "127.0.0.1:8000"
SHIPPED_EXECUTABLE = "/opt/imbachat-adapter/bin/imbachat-adapter"
SHIPPED_CONFIG = "/etc/imbachat-adapter/config.yaml"


def deb_tool(name: str) -> Path:
    """The path of nginx, caddy or promtool (scripts/ensure-deb-tool), or skip saying why not."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "ensure-deb-tool"), name],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(result.stderr.strip() or f"scripts/ensure-deb-tool {name} failed")
    return Path(result.stdout.strip())


def render(text: str, replacements: Mapping[str, str]) -> str:
    """`text` with each key replaced by its value; a key missing from `text` is an error."""
    for old, new in replacements.items():
        assert old in text, f"the shipped file no longer contains {old!r}"
        text = text.replace(old, new)
    return text


# --- the systemd unit ----------------------------------------------------------------------------


def read_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A unit file's sections and keys, each key with every value it was given, in order."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"a key outside any section: {line!r}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def unit_command(
    unit: Mapping[str, Mapping[str, list[str]]], *, config: Path, port: int
) -> list[str]:
    """ExecStart's command line, with this venv's command, the test's config and port."""
    (exec_start,) = unit["Service"]["ExecStart"]
    argv = shlex.split(exec_start)
    assert argv[0] == SHIPPED_EXECUTABLE
    assert argv[argv.index("--config") + 1] == SHIPPED_CONFIG
    # The console script installed beside this interpreter (the venv's bin/).
    argv[0] = str(Path(sys.executable).parent / "imbachat-adapter")
    argv[argv.index("--config") + 1] = str(config)
    argv[argv.index("--port") + 1] = str(port)
    return argv


def unit_environment(unit: Mapping[str, Mapping[str, list[str]]], env_file: Path) -> dict[str, str]:
    """What systemd would give the process: Environment= lines, then the EnvironmentFile."""
    env = environment()
    for assignment in unit["Service"].get("Environment", []):
        for word in shlex.split(assignment):
            key, _, value = word.partition("=")
            env[key] = value
    for line in env_file.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


@dataclass
class Served:
    """The adapter as the unit starts it."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def serve_from_unit(config: Path, env_file: Path, log: Path) -> Served:
    """Run the unit's ExecStart (the test's config and a free port) with the unit's environment."""
    unit = read_unit(SYSTEMD_UNIT.read_text())
    env = unit_environment(unit, env_file)
    with log.open("wb") as sink:
        process, port = spawn_on_free_port(
            lambda port: unit_command(unit, config=config, port=port),
            env=env,
            stderr=sink,
            cwd=config.parent,
        )
    return Served(process, port, log)


# --- clients -----------------------------------------------------------------------------------


# Each client connects from its own loopback address, so that per-address budgets of one test
# never meet another's (Linux routes all of 127.0.0.0/8 to lo).
_ADDRESSES = (
    f"127.0.{high}.{low}" for high, low in itertools.product(range(1, 255), range(2, 255))
)


def source_address() -> str:
    """A loopback address no other client of this process has used."""
    return next(_ADDRESSES)


def client(tls: Tls, *, source: str | None = None) -> httpx.Client:
    """An HTTPS client trusting the test's certificate, connecting from `source`."""
    context = ssl.create_default_context(cafile=str(tls.certificate))
    transport = httpx.HTTPTransport(verify=context, local_address=source or source_address())
    return httpx.Client(transport=transport, timeout=10)


# --- the proxies ---------------------------------------------------------------------------------


@dataclass
class Proxy:
    """A proxy process serving https://127.0.0.1:port in front of the adapter."""

    process: subprocess.Popen[bytes]
    port: int
    directory: Path
    config: str
    # Where it answers plain http (with a redirect to https).
    http_port: int

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return self.url

    def stop(self) -> None:
        stop_process(self.process)


def _attempts() -> Iterator[tuple[int, int]]:
    for _ in range(5):
        yield free_port(), free_port()


def start_nginx(nginx: Path, directory: Path, tls: Tls, adapter: Served) -> Proxy:
    """nginx with deploy/nginx's file included in a minimal main configuration of the test's."""
    directory.mkdir(parents=True, exist_ok=True)
    shipped = NGINX_SITE.read_text()
    last_error: Exception | None = None
    for https_port, http_port in _attempts():
        site = render(
            shipped,
            {
                f"server {SHIPPED_ADAPTER};": f"server {adapter.address};",
                "listen 80;": f"listen 127.0.0.1:{http_port};",
                "listen [::]:80;": f"listen [::1]:{http_port};",
                "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
                "listen [::]:443 ssl http2;": f"listen [::1]:{https_port} ssl http2;",
                "/etc/ssl/certs/chat.example.com.pem": str(tls.certificate),
                "/etc/ssl/private/chat.example.com.key": str(tls.key),
            },
        )
        (directory / "imbachat-adapter.conf").write_text(site)
        # Run as whoever runs the test (as root nginx would switch its workers to `nobody`,
        # who cannot write the test's temp folders).
        user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
        main = f"""
            {user}
            daemon off;
            worker_processes 1;
            pid {directory}/nginx.pid;
            error_log {directory}/error.log info;
            events {{ worker_connections 256; }}
            http {{
                access_log {directory}/access.log;
                client_body_temp_path {directory}/body;
                proxy_temp_path {directory}/proxy;
                fastcgi_temp_path {directory}/fastcgi;
                uwsgi_temp_path {directory}/uwsgi;
                scgi_temp_path {directory}/scgi;
                include {directory}/imbachat-adapter.conf;
            }}
        """
        (directory / "nginx.conf").write_text(main)
        argv = [
            str(nginx),
            "-p",
            str(directory),
            "-c",
            str(directory / "nginx.conf"),
            "-e",
            str(directory / "error.log"),
        ]
        try:
            process = spawn_listening(argv, https_port)
        except Exception as exc:  # the port was taken meanwhile: try others
            last_error = exc
            continue
        return Proxy(process, https_port, directory, site, http_port)
    raise AssertionError(f"nginx did not start: {last_error}; {_tail(directory / 'error.log')}")


def start_caddy(caddy: Path, directory: Path, tls: Tls, adapter: Served) -> Proxy:
    """Caddy with deploy/caddy's site block imported by a main Caddyfile of the test's."""
    directory.mkdir(parents=True, exist_ok=True)
    shipped = CADDY_SITE.read_text()
    env = {
        **environment(),
        "HOME": str(directory),
        "XDG_DATA_HOME": str(directory / "data"),
        "XDG_CONFIG_HOME": str(directory / "config"),
    }
    last_error: Exception | None = None
    for https_port, http_port in _attempts():
        site = render(
            shipped,
            {
                "chat.example.com {": f"https://127.0.0.1:{https_port} {{",
                "tls admin@example.com": f"tls {tls.certificate} {tls.key}",
                f"reverse_proxy {SHIPPED_ADAPTER} {{": f"reverse_proxy {adapter.address} {{",
            },
        )
        (directory / "imbachat-adapter.caddy").write_text(site)
        # The admin API and the ports for plain HTTP are the test's own; nothing binds :80.
        main = f"""{{
	admin off
	http_port {http_port}
	https_port {https_port}
	skip_install_trust
	storage file_system {directory}/storage
}}

import {directory}/imbachat-adapter.caddy
"""
        (directory / "Caddyfile").write_text(main)
        argv = [
            str(caddy),
            "run",
            "--config",
            str(directory / "Caddyfile"),
            "--adapter",
            "caddyfile",
        ]
        log = directory / "caddy.log"
        try:
            with log.open("ab") as sink:
                process = spawn_listening(argv, https_port, env=env, stderr=sink)
        except Exception as exc:  # the port was taken meanwhile: try others
            last_error = exc
            continue
        return Proxy(process, https_port, directory, site, http_port)
    raise AssertionError(f"caddy did not start: {last_error}; {_tail(directory / 'caddy.log')}")


def _tail(path: Path) -> str:
    return path.read_text()[-2000:] if path.exists() else "(no log)"
