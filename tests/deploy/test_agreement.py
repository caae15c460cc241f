"""The shipped proxy files and the systemd unit agree with each other and with the adapter's
settings on the numbers where a mismatch only shows in production (502s, 413s from one side)."""

from __future__ import annotations

import re
import shlex

from tests.deploy.support import CADDY_SITE, NGINX_SITE, SYSTEMD_UNIT, read_unit
from tests.support import reference_data

NGINX = NGINX_SITE.read_text()
CADDY = CADDY_SITE.read_text()
(EXEC_START,) = read_unit(SYSTEMD_UNIT.read_text())["Service"]["ExecStart"]
ARGV = shlex.split(EXEC_START)
LIMITS = reference_data()["limits"]


def _option(name: str) -> str:
    return ARGV[ARGV.index(name) + 1]


def _size(text: str) -> int:
    """nginx's `64k` / Caddy's `64KiB` as bytes."""
    number, unit = re.fullmatch(r"(\d+)\s*([kKmM]?)(?:i?B)?", text).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit.lower()]


def _seconds(text: str) -> int:
    return int(re.fullmatch(r"(\d+)s?", text).group(1))  # type: ignore[union-attr]


def test_body_limits_are_the_adapters() -> None:
    """nginx's client_max_body_size and Caddy's max_size and Content-Length check are
    limits.max_body_bytes of the reference configuration."""
    nginx = re.search(r"client_max_body_size\s+(\S+);", NGINX)
    caddy = re.search(r"max_size\s+(\S+)", CADDY)
    declared = re.search(r"int\(\{http\.request\.header\.Content-Length\}\) > (\d+)", CADDY)
    assert nginx
    assert caddy
    assert declared
    sizes = [_size(nginx.group(1)), _size(caddy.group(1)), int(declared.group(1))]
    assert sizes == [LIMITS["max_body_bytes"]] * 3


def test_nginx_fits_the_adapters_longest_url_in_one_buffer() -> None:
    """A request line of limits.max_url_bytes fits one of nginx's large header buffers."""
    buffers = re.search(r"large_client_header_buffers\s+\d+\s+(\S+);", NGINX)
    assert buffers
    assert _size(buffers.group(1)) == LIMITS["max_url_bytes"]


def test_the_adapter_keeps_connections_longer_than_the_proxies() -> None:
    """The proxies close idle upstream connections before the adapter's --keep-alive does."""
    keep_alive = int(_option("--keep-alive"))
    nginx = re.search(r"upstream imbachat_adapter \{[^}]*keepalive_timeout\s+(\S+);", NGINX)
    caddy = re.search(r"\bkeepalive\s+(\S+)", CADDY)
    assert nginx
    assert caddy
    assert _seconds(nginx.group(1)) < keep_alive
    assert _seconds(caddy.group(1)) < keep_alive


def test_the_proxies_reach_the_unit_and_the_unit_trusts_them() -> None:
    """Both proxies forward to the unit's --host:--port, and from the address it trusts."""
    address = f"{_option('--host')}:{_option('--port')}"
    assert f"server {address};" in NGINX
    assert f"reverse_proxy {address} {{" in CADDY
    assert _option("--forwarded-allow-ips") == _option("--host") == "127.0.0.1"
