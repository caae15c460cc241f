"""`python -m bench.feed`: the change feed's figures (issue 23), printed; never part of `make test`.

The demo site is served by uvicorn on a loopback port (a thread of this process, so that it can
be stopped and served again on the same port with its data, and its subscribers counted); three
adapter replicas run in this process, each its own app with its own lifespan, local layer and
Redis connections, on the Redis at 127.0.0.1:6379 under a key prefix of this run's own (its keys
are deleted at the end). No webhook is configured.

- change -> every replica's next answer: a member is renamed over the site's GraphQL API; the
  time is until all three replicas answer the new name (each asked every 2 ms), over `--changes`
  renames; p50, p99 and max, for each feed kind;
- upstream feeds for 3 replicas: the site's open subscriptions (or polls a second);
- after a site restart: the time from the site listening again to the feed being up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import redis
import uvicorn
import yaml

from adapter.app import create_app, served_in_process
from adapter.config import settings_from_mapping
from adapter.demo import create_demo_upstream_app
from adapter.demo.sessions import issue_session
from adapter.feed import Feed
from bench.run import REDIS_URL

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
FIELDS = "id username displayName avatar { url } lastLoginAt badge role "
FIELDS += "profiles { id key name avatarUrl }"
KINDS: dict[str, dict[str, Any]] = {
    "subscription, users written": {
        "kind": "subscription",
        "document": f"subscription {{ usersChanged {{ {FIELDS} }} }}",
        "users": True,
    },
    "subscription, ids evicted": {
        "kind": "subscription",
        "document": "subscription { usersChanged { id } }",
    },
    "poll every 0.2 s, users written": {
        "kind": "poll",
        "document": "query($since: String) { users(updatedSince: $since) { "
        + FIELDS
        + " updatedAt } }",
        "users": True,
        "cursor": "updatedAt",
        "interval_seconds": 0.2,
    },
}
RENAME = "mutation($id: ID!, $name: String!) { renameMember(id: $id, displayName: $name) { id } }"


class Site:
    """The demo site on one loopback port, kept across restarts."""

    def __init__(self) -> None:
        self.app = create_demo_upstream_app()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def start(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(128)
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_config=None, lifespan="off"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def stop(self) -> None:
        assert self.server is not None
        assert self.thread is not None
        self.server.should_exit = True
        self.thread.join(timeout=15)

    @property
    def subscribers(self) -> int:
        count: int = self.app.state.directory.subscribers
        return count

    @property
    def requests(self) -> int:
        count: int = self.app.state.graphql_counter.value
        return count


@contextlib.asynccontextmanager
async def replica(data: dict[str, Any]) -> AsyncIterator[tuple[httpx.AsyncClient, Feed]]:
    app = create_app(settings_from_mapping(data, environ={}, base_dir=ROOT))
    async with served_in_process(app) as (serve, state):
        transport = httpx.ASGITransport(app=serve)
        async with httpx.AsyncClient(transport=transport, base_url="http://adapter") as client:
            feed = state["feed"]
            assert feed is not None  # the data has a feed
            yield client, feed


async def _name(client: httpx.AsyncClient, user_id: int) -> str:
    answer = await client.get(f"/imbachat/v1/users?user_ids={user_id}", auth=("root", "abc"))
    name: str = answer.json()[0]["name"]
    return name


async def _until(check: Callable[[], bool], within: float = 30.0) -> float:
    started = time.perf_counter()
    while not check():
        if time.perf_counter() - started > within:
            raise RuntimeError("the feed did not come up")
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


def _config(site: Site, folder: Path, prefix: str, feed: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "config.yaml").read_text())
    document = folder / f"{uuid.uuid4().hex}.graphql"
    document.write_text(feed["document"])
    data["upstream"] = {**data["upstream"], "embedded_demo": False, "url": site.url}
    data["cache"] = {**data.get("cache", {}), "backend": "redis", "prefix": prefix}
    data["cache"]["redis"] = {"url": REDIS_URL}
    data["feed"] = {**feed, "document": str(document), "lease_seconds": 3}
    data["logging"] = {"level": "warning", "format": "console"}
    return data


async def _run_kind(site: Site, name: str, feed: dict[str, Any], changes: int) -> dict[str, Any]:
    prefix = f"imbachat-bench:{uuid.uuid4().hex[:12]}:"
    folder = ROOT / "bench" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    data = _config(site, folder, prefix, feed)
    figures: dict[str, Any] = {"kind": name}
    try:
        async with (
            replica(data) as (one, f1),
            replica(data) as (two, f2),
            replica(data) as (three, f3),
            httpx.AsyncClient() as site_client,
        ):
            feeds, clients = (f1, f2, f3), (one, two, three)
            await _until(lambda: sum(f.status == "up" for f in feeds) == 1)
            await asyncio.sleep(1.0)
            before = site.requests
            await asyncio.sleep(2.0)
            figures["holders"] = sum(f.status == "up" for f in feeds)
            figures["site subscriptions"] = site.subscribers
            figures["site requests/s while idle"] = (site.requests - before) / 2.0
            times = []
            for i in range(changes):
                user_id = 1 + i % 20
                for client in clients:
                    await _name(client, user_id)
                new = f"Bench {i}"
                started = time.perf_counter()
                answer = await site_client.post(
                    site.url,
                    json={"query": RENAME, "variables": {"id": str(user_id), "name": new}},
                    headers={"Authorization": f"Bearer {issue_session(user_id)}"},
                )
                assert "errors" not in answer.json(), answer.text
                pending = set(clients)
                while pending:
                    pending = {c for c in pending if await _name(c, user_id) != new}
                    if pending:
                        await asyncio.sleep(0.002)
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            figures["change -> 3 replicas, ms p50"] = round(statistics.median(times), 1)
            figures["p99"] = round(times[max(0, int(len(times) * 0.99) - 1)], 1)
            figures["max"] = round(times[-1], 1)

            site.stop()
            await _until(lambda: all(f.status != "up" for f in feeds))
            site.start()
            figures["back after a site restart, s"] = round(
                await _until(lambda: sum(f.status == "up" for f in feeds) == 1), 2
            )
    finally:
        shared = redis.Redis.from_url(REDIS_URL)
        keys = list(shared.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            shared.delete(*keys)
        shared.close()
    return figures


async def _measure(changes: int) -> list[dict[str, Any]]:
    site = Site()
    site.start()
    try:
        return [await _run_kind(site, name, feed, changes) for name, feed in KINDS.items()]
    finally:
        site.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feed", description=__doc__)
    parser.add_argument("--changes", type=int, default=200)
    args = parser.parse_args(argv)
    for figures in asyncio.run(_measure(args.changes)):
        print("  ".join(f"{key}: {value}" for key, value in figures.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
