"""`python -m bench.php_sample`: the warm users-info call beside the vendor's PHP sample.

Optional, never part of `make bench` or the tests. The vendor's integration notes describe the
callback a site writes in PHP: check Basic credentials, strip the ids to digits and commas,
`SELECT * FROM users WHERE user_id IN (...)` over mysqli on every call, map each row and
`json_encode` the list. bench/php/users.php is our own script written from that description
(credit: the ImbaChat integration notes and the OctoberCMS plugin's apiChat.php).

What runs, each on loopback:
  MariaDB     the machine's server (root, empty password, socket), database `test`, a table
              `imbachat_bench_users` of 2,000 rows (created and dropped by this scenario)
  php         PHP's built-in server with PHP_CLI_SERVER_WORKERS=2 (two worker processes)
  adapter     `serve --workers 2` with config.yaml (memory cache), warmed for the 20 ids
  demo        the demo upstream behind the adapter (only the warm-up reaches it)
Load: wrk -t2 -c16, 1 s warm-up then `--seconds` per run, rounds alternating PHP and adapter.

It installs php-cli and php-mysql with apt-get when they are missing (as root only) and skips,
saying why, when it cannot: no apt, no MariaDB server answering, no mysqli.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import httpx

from bench.load import WrkResult, wrk
from bench.processes import ROOT, Service, free_port, start_service
from bench.run import AUTH, BASIC
from bench.tokens import WIDGET_SECRET

__all__ = ["main"]

TABLE = "imbachat_bench_users"
ROWS = 2000
IDS = ",".join(str(i) for i in range(1, 21))
SCRIPT = ROOT / "bench" / "php" / "users.php"
TARGET = 3.0


class Skip(Exception):
    """The scenario cannot run here; the message says why."""


def _php_ready() -> bool:
    php = shutil.which("php")
    if php is None:
        return False
    modules = subprocess.run([php, "-m"], capture_output=True, text=True, check=False).stdout
    return "mysqli" in modules.split()


def ensure_php() -> None:
    """php-cli and php-mysql from Debian's packages, when they are missing."""
    if _php_ready():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise Skip("php with mysqli is not installed, and apt-get cannot install it here")
    environ = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "php-cli", "php-mysql"],
    ):
        if subprocess.run(argv, capture_output=True, env=environ, check=False).returncode != 0:
            raise Skip(f"`{' '.join(argv)}` failed")
    if not _php_ready():
        raise Skip("php-cli and php-mysql installed, but php has no mysqli")


def _sql(statement: str) -> str:
    client = shutil.which("mariadb") or shutil.which("mysql")
    if client is None:
        raise Skip("no MariaDB client (mariadb or mysql) to prepare the table")
    done = subprocess.run(
        [client, "-uroot", "--batch", "-e", statement],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise Skip(f"MariaDB did not accept the statement: {done.stderr.strip()[:200]}")
    return done.stdout


def create_table() -> None:
    """2,000 users shaped like the notes' table (display name, last login, badge, avatar)."""
    _sql("CREATE DATABASE IF NOT EXISTS test")
    _sql(
        f"DROP TABLE IF EXISTS test.{TABLE}; CREATE TABLE test.{TABLE} ("
        "user_id INT PRIMARY KEY, display_name VARCHAR(100), last_login_date DATETIME, "
        "custom10 VARCHAR(50), avatar VARCHAR(200))"
    )
    rows = []
    for i in range(1, ROWS + 1):
        badge = "admin" if i % 50 == 0 else ""
        avatar = f"'{i}.jpg'" if i % 3 else "NULL"
        rows.append(f"({i}, 'User {i}', '2026-11-{1 + i % 28:02d} 12:00:00', '{badge}', {avatar})")
    # Every value is generated here from integers: nothing from outside reaches the SQL.
    _sql(f"INSERT INTO test.{TABLE} VALUES {','.join(rows)}")  # noqa: S608


def drop_table() -> None:
    with contextlib.suppress(Skip):
        _sql(f"DROP TABLE IF EXISTS test.{TABLE}")


def _start_python(name: str, argv: list[str], env: dict[str, str], workdir: Path) -> Service:
    port = free_port()
    return start_service(
        name,
        [*argv, "--port", str(port)],
        port=port,
        ready_path="/healthz",
        log_dir=workdir,
        env=env,
    )


def _start_php(workdir: Path) -> Service:
    php = shutil.which("php")
    assert php is not None  # ensure_php made sure
    port = free_port()
    return start_service(
        "php-sample",
        ["-S", f"127.0.0.1:{port}", str(SCRIPT)],
        port=port,
        ready_path="/",
        log_dir=workdir,
        env={
            "PHP_CLI_SERVER_WORKERS": "2",
            "BENCH_TABLE": f"test.{TABLE}",
            "BENCH_API_PASSWORD": AUTH[1],
        },
        executable=php,
        group=True,
    )


def _rounds(
    php: Service, adapter: Service, rounds: int, seconds: float
) -> tuple[list[WrkResult], list[WrkResult]]:
    php_url, adapter_url = (
        f"{php.url}/?user_ids={IDS}",
        f"{adapter.url}/imbachat/v1/users?user_ids={IDS}",
    )
    measured: tuple[list[WrkResult], list[WrkResult]] = ([], [])
    for _ in range(rounds):
        for results, url in ((measured[0], php_url), (measured[1], adapter_url)):
            wrk(url, connections=16, seconds=1, headers=BASIC, threads=2)
            results.append(wrk(url, connections=16, seconds=seconds, headers=BASIC, threads=2))
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.php_sample")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args(argv)
    workdir = ROOT / "bench" / "results" / "logs"
    workdir.mkdir(parents=True, exist_ok=True)
    services: list[Service] = []
    try:
        ensure_php()
        create_table()
        upstream = _start_python("demo-upstream", ["-m", "adapter", "demo-upstream"], {}, workdir)
        services.append(upstream)
        php = _start_php(workdir)
        services.append(php)
        adapter_env = {
            "IMBACHAT__UPSTREAM__EMBEDDED_DEMO": "false",
            "IMBACHAT__UPSTREAM__URL": f"{upstream.url}/graphql",
            # A site of its own: serve refuses the vendor's sample password and demo secret.
            "IMBACHAT_API_PASSWORD": AUTH[1],
            "IMBACHAT_SECRET_KEY": WIDGET_SECRET,
        }
        config = str(ROOT / "config.yaml")
        serve = ["-m", "adapter", "serve", "--config", config, "--workers", "2"]
        adapter = _start_python("adapter-2-workers", serve, adapter_env, workdir)
        services.append(adapter)
        check_php = httpx.get(f"{php.url}/?user_ids={IDS}", headers=BASIC)
        check_adapter = httpx.get(f"{adapter.url}/imbachat/v1/users?user_ids={IDS}", headers=BASIC)
        if check_php.status_code != 200 or len(check_php.json()) != 20:
            raise Skip(f"the PHP sample did not answer 20 users: {check_php.text[:200]}")
        check_adapter.raise_for_status()
        for _ in range(50):  # both workers warm
            httpx.get(f"{adapter.url}/imbachat/v1/users?user_ids={IDS}", headers=BASIC)
        php_runs, adapter_runs = _rounds(php, adapter, options.rounds, options.seconds)
    except Skip as exc:
        print(f"php sample: skipped: {exc}")
        return 0
    finally:
        for service in reversed(services):
            service.stop()
        drop_table()
    php_rps = [run.rps for run in php_runs]
    adapter_rps = [run.rps for run in adapter_runs]
    ratio = statistics.median(adapter_rps) / statistics.median(php_rps)
    print("warm users-info, 20 ids, 2 workers each, wrk -t2 -c16, rounds alternating")
    print(f"  PHP sample on MariaDB  req/s {', '.join(f'{r:,.0f}' for r in php_rps)}")
    print(f"  adapter (memory cache) req/s {', '.join(f'{r:,.0f}' for r in adapter_rps)}")
    # PHP's built-in server closes the connection after each answer; wrk counts every such
    # close as a read error although the answer arrived whole, so only the adapter's count.
    errors = sum(run.errors for run in adapter_runs)
    verdict = "met" if ratio >= TARGET and errors == 0 else "MISSED"
    print(f"  adapter / PHP (medians) {ratio:.2f}x  target >= {TARGET:.0f}x {verdict}")
    print(f"  adapter errors {errors} (PHP closes each connection: not counted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
