"""One adapter per test process, started by the systemd unit's command line, and the proxies
(Debian's nginx and Caddy, run from the shipped files) in front of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands import write_config
from tests.deploy.support import (
    PER_IP,
    Proxy,
    Served,
    Tls,
    deb_tool,
    make_tls,
    serve_from_unit,
    start_caddy,
    start_nginx,
)
from tests.servers import stop_process


@pytest.fixture(scope="session")
def deploy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("deploy")


@pytest.fixture(scope="session")
def tls(deploy_dir: Path) -> Tls:
    """A certificate for https://127.0.0.1 that the test clients trust."""
    return make_tls(deploy_dir)


@pytest.fixture(scope="session")
def unit_adapter(deploy_dir: Path) -> Iterator[Served]:
    """The adapter as deploy/systemd's ExecStart runs it: the reference configuration (embedded
    demo site), the secrets from an EnvironmentFile."""
    directory = deploy_dir / "etc"
    directory.mkdir()
    overrides = {
        "graphql": {"rate_limit": {"per_ip": f"{PER_IP}/minute", "per_viewer": "1000/minute"}}
    }
    config = write_config(directory, overrides)
    env_file = directory / "adapter.env"
    env_file.write_text(
        "# as /etc/imbachat-adapter/adapter.env\n"
        "IMBACHAT_API_LOGIN=root\n"
        "IMBACHAT_API_PASSWORD=deploy-test-password\n"
        "IMBACHAT_SECRET_KEY=deploy-test-widget-secret-key-0123456789abcdef\n"
    )
    served = serve_from_unit(config, env_file, directory / "adapter.log")
    yield served
    stop_process(served.process)


@pytest.fixture(scope="session")
def nginx_proxy(deploy_dir: Path, tls: Tls, unit_adapter: Served) -> Iterator[Proxy]:
    proxy = start_nginx(deb_tool("nginx"), deploy_dir / "nginx", tls, unit_adapter)
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def caddy_proxy(deploy_dir: Path, tls: Tls, unit_adapter: Served) -> Iterator[Proxy]:
    proxy = start_caddy(deb_tool("caddy"), deploy_dir / "caddy", tls, unit_adapter)
    yield proxy
    proxy.stop()


@pytest.fixture(params=["nginx", "caddy"])
def proxy(request: pytest.FixtureRequest) -> Proxy:
    """Each shipped proxy in turn."""
    found: Proxy = request.getfixturevalue(f"{request.param}_proxy")
    return found
