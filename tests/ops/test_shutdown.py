"""Graceful shutdown: SIGTERM lets the calls in flight finish, then the pools close."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.commands import SITE_AUTH, real_site, write_config
from tests.ops.support import Served
from tests.servers import start_demo_upstream, stop_process

LATENCY = "1.5"


def wait_for_site_requests(base_url: str, count: int) -> None:
    """Block until the demo site has received `count` GraphQL requests (it counts on arrival)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if httpx.get(f"{base_url}/stats").json()["graphql_requests"] >= count:
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"the site never received {count} request(s)")


def test_sigterm_during_a_slow_site_call_lets_it_finish(
    tmp_path: Path, serve_adapter: Callable[..., Served]
) -> None:
    """SIGTERM while the site is answering: the chat's call still gets its 200, serve exits 0."""
    site = start_demo_upstream("--latency", LATENCY)
    try:
        served = serve_adapter(write_config(tmp_path, real_site(site.graphql_url)))
        answers: list[httpx.Response] = []

        def chat_call() -> None:
            answers.append(
                httpx.get(
                    f"{served.url}/imbachat/v1/users?user_ids=1,2", auth=SITE_AUTH, timeout=30
                )
            )

        caller = threading.Thread(target=chat_call)
        caller.start()
        wait_for_site_requests(site.base_url, 1)
        code, log = served.stop()
        caller.join(timeout=30)
    finally:
        stop_process(site.process)
    (answer,) = answers
    assert answer.status_code == 200
    assert [user["user_id"] for user in answer.json()] == [1, 2]
    assert code == 0
    events = [json.loads(line)["event"] for line in log.splitlines() if line.strip()]
    # The call was answered before the lifespan closed the upstream pool and the cache.
    assert events.index("request") < events.index("stopped")
