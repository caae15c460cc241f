"""Through Hive Gateway 2, over a supergraph composed by Mesh Compose 1 (both from npm).

Mesh Compose reads the demo site's subgraph and the adapter's (federation on) from
`_service { sdl }`; its composition library accepts federation `@link` versions up to v2.9, so
the adapter's subgraph must name the lowest version it needs (v2.0), not the newest strawberry
knows (v2.11, which it refuses). `scripts/ensure-npm hive` installs both (pinned by
scripts/npm/hive/package-lock.json); the install takes minutes, so only `make interop` runs this.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapter.app import create_app
from tests.graphql.support import sign_in
from tests.interop.support import package_version, require_all
from tests.npm import NodeServer, npm_tool
from tests.servers import LiveServer, free_port, stop_process
from tests.support import SettingsFactory, verify_widget_token

pytestmark = [pytest.mark.interop, pytest.mark.slow]

ISSUE = "mutation { issueChatToken { token userId } }"
PROFILE = '{ user(id: "7") { id displayName chatProfile { userId name } } }'
ENTITY = {"type_name": "User", "key_field": "id", "key_type": "ID", "field": "chatProfile"}
STARTUP_SECONDS = 90.0


@pytest.fixture(scope="module")
def hive() -> Path:
    """Hive Gateway and Mesh Compose, installed (interop-only: minutes to install)."""
    require_all("Hive Gateway + Mesh Compose")
    return npm_tool("hive")


def compose(
    hive: Path, subgraphs: dict[str, str], output: Path
) -> subprocess.CompletedProcess[str]:
    """Run `mesh-compose` over the subgraphs (name -> URL), writing the supergraph to `output`."""
    return subprocess.run(
        [str(hive / "node_modules" / ".bin" / "mesh-compose"), "-o", str(output)],
        cwd=hive,
        env={**os.environ, "IMBACHAT_SUBGRAPHS": json.dumps(subgraphs)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def start_gateway(hive: Path, supergraph: Path, log: Path) -> NodeServer:
    """Serve `supergraph` with Hive Gateway on a free loopback port; wait until it is ready."""
    port = free_port()
    command = [
        str(hive / "node_modules" / ".bin" / "hive-gateway"),
        "supergraph",
        str(supergraph),
        "--config-path",
        str(hive / "gateway.config.mjs"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=hive, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/readiness", timeout=2).status_code == 200:
                return NodeServer(f"{base}/graphql", process)
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    stop_process(process)
    raise RuntimeError(f"Hive Gateway did not start: {log.read_text(errors='replace')[-2000:]}")


def subgraphs_of(adapter: LiveServer) -> dict[str, str]:
    """The demo site's subgraph (served beside the adapter) and the adapter's."""
    return {
        "site": f"{adapter.url}/demo-upstream/subgraph/graphql",
        "chat": f"{adapter.url}/graphql",
    }


def federated(make_settings: SettingsFactory, **federation: Any) -> Any:
    """Settings with federation on and the site's User entity extended."""
    return make_settings(
        {
            "graphql": {
                "introspection": False,
                "federation": {"enabled": True, "entity": ENTITY, **federation},
            }
        }
    )


@pytest.fixture
def composed(
    hive: Path,
    make_settings: SettingsFactory,
    live_server: Callable[[Any], LiveServer],
    tmp_path: Path,
) -> Iterator[tuple[NodeServer, LiveServer]]:
    """The adapter (default federation version) and the demo site, composed and served."""
    adapter = live_server(create_app(federated(make_settings)))
    supergraph = tmp_path / "supergraph.graphql"
    done = compose(hive, subgraphs_of(adapter), supergraph)
    assert done.returncode == 0, done.stdout + done.stderr
    gateway = start_gateway(hive, supergraph, tmp_path / "gateway.log")
    try:
        yield gateway, adapter
    finally:
        gateway.stop()


def test_mesh_compose_refuses_federation_v2_11(
    hive: Path,
    make_settings: SettingsFactory,
    live_server: Callable[[Any], LiveServer],
    tmp_path: Path,
) -> None:
    """Pinned to v2.11 (what the adapter wrote before), Mesh Compose refuses the subgraph."""
    adapter = live_server(create_app(federated(make_settings, version="2.11")))
    done = compose(hive, subgraphs_of(adapter), tmp_path / "supergraph.graphql")
    assert done.returncode != 0
    assert "v2.11" in done.stdout + done.stderr


def test_a_signed_in_user_gets_a_widget_token_through_hive(
    composed: tuple[NodeServer, LiveServer], make_settings: SettingsFactory, hive: Path
) -> None:
    """Composed by default (v2.0): user6's forwarded cookie gives a token for 6 through Hive."""
    gateway, adapter = composed
    cookie = sign_in(adapter, "user6")
    issued = gateway.post(ISSUE, cookie=cookie)
    assert "errors" not in issued, issued
    tokens = make_settings().tokens
    assert tokens is not None
    assert issued["data"]["issueChatToken"]["userId"] == "6"
    assert verify_widget_token(tokens, issued["data"]["issueChatToken"]["token"])["user_id"] == 6
    anonymous = gateway.post(ISSUE)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    print(f"Hive Gateway {package_version(hive, '@graphql-hive/gateway')}")


def test_the_site_user_entity_carries_its_chat_profile_through_hive(
    composed: tuple[NodeServer, LiveServer],
) -> None:
    """The site's User gets chatProfile from the adapter's subgraph, as the chat names user 7."""
    gateway, adapter = composed
    body = gateway.post(PROFILE, cookie=sign_in(adapter, "user6"))
    assert "errors" not in body, body
    chat = httpx.get(f"{adapter.url}/imbachat/v1/users?user_ids=7", auth=("root", "abc")).json()
    assert body["data"]["user"]["chatProfile"] == {"userId": "7", "name": chat[0]["name"]}
