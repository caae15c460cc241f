"""The feed's background task: hold the lease, follow the source, and say when it is down.

Every tick (a second) each replica takes or renews the lease and reads since when cached copies
count as stale. The holder follows the source (a subscription or a poll) and reconnects with
backoff when it ends. While it is down the holder marks every copy older than
`gap_fresh_seconds` stale, each tick, and once a subscription is back every copy written before
(what changed meanwhile is unknown): the directory then asks the site again, and keeps the old
copy only to answer if the site fails. Nothing here ever fails a chat call: each error is
logged (once per interval while the feed stays down) and the feed goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import structlog
from graphql import OperationType

from adapter.config import FeedSettings, Settings
from adapter.directory import Directory
from adapter.feed.poll import Poll
from adapter.feed.store import FeedStore, feed_store
from adapter.feed.subscription import Connect, Subscription
from adapter.logs import LogGate, detached_context
from adapter.mapping import referenced_paths
from adapter.mapping_check import covered
from adapter.metrics import Metrics
from adapter.operations.document import Operation, load_operation
from adapter.paths import dig_each
from adapter.upstream import UpstreamClient

__all__ = ["Feed", "FeedDocument", "feed_document", "open_feed"]

log = structlog.get_logger(__name__)

# How often a replica renews or tries the lease and reads the stale mark (a third of the lease
# at most, so that a renewal is never late).
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class FeedDocument:
    """The feed's document, checked: where its changes are, and for a poll its variable."""

    operation: Operation
    changes: tuple[str, ...]
    since_variable: str | None


def feed_document(settings: Settings) -> FeedDocument | None:
    """The configured feed's document, or None without a feed; ConfigError when it is wrong."""
    feed = settings.feed
    if feed is None:
        return None
    operation = load_operation(settings.resolve(feed.document))
    expected = OperationType.SUBSCRIPTION if feed.kind == "subscription" else OperationType.QUERY
    if operation.definition.operation != expected:
        raise operation.problem(f"feed kind {feed.kind} needs a {expected.value}")
    since = None
    if feed.kind == "poll":
        since = operation.variable(feed.since_variable, role="last change seen")
    changes = operation.result_path(feed.ids)
    if feed.users:  # written as they come: the mapping must find each field it reads
        selected = operation.selected_paths(changes)
        missing = [p for _, p in referenced_paths(settings.mapping) if not covered(p, selected)]
        if missing:
            raise operation.problem(f"feed.users: the mapping reads {missing}, not selected")
    return FeedDocument(operation, changes, since)


class Feed:
    """One replica's part of the feed; `status` is what `/readyz` shows."""

    def __init__(
        self,
        settings: FeedSettings,
        document: FeedDocument,
        source: Subscription | Poll,
        *,
        store: FeedStore,
        directory: Directory,
        metrics: Metrics,
        log_interval: float,
    ) -> None:
        self.settings = settings
        self._items = partial(dig_each, path=document.changes)
        self.source = source
        self.store = store
        self.directory = directory
        self.metrics = metrics
        self.status = "starting"
        self._down_log = LogGate(log_interval)
        self._up = False
        self._delay = settings.reconnect_min_seconds
        self._up_since: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._following: asyncio.Task[None] | None = None
        self._tick_seconds = min(TICK_SECONDS, settings.lease_seconds / 3)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), context=detached_context())

    async def aclose(self) -> None:
        await stop(self._following)
        await stop(self._task)
        await self.store.aclose()

    # --- the lease and the shared stale mark ------------------------------------------------------

    async def _run(self) -> None:
        while True:
            try:
                await self._tick()
            except Exception as exc:  # Redis failing: the next tick tries again
                self._report_down(f"the shared store failed: {type(exc).__name__}")
            await asyncio.sleep(self._tick_seconds)

    async def _tick(self) -> None:
        held = await self.store.hold()
        self.metrics.feed.holder.set(1 if held else 0)
        if held and self._following is None:
            self.status = "starting"
            self._following = asyncio.get_running_loop().create_task(self._follow())
        elif not held and self._following is not None:
            await stop(self._following)  # before another replica may follow the site too
            self._following = None
            self._set_up(False)
        if not held:
            self.status = "standby: another replica holds the feed"
        elif not self._up:
            await self._mark_stale(time.time() - self.settings.gap_fresh_seconds)
            if self.status != "starting":
                self._report_down(self.status)
        shared = await self.store.stale_before()
        if shared is not None and shared > self.directory.stale_before:
            self.directory.stale_before = shared

    async def _mark_stale(self, before: float) -> None:
        self.directory.stale_before = max(self.directory.stale_before, before)
        await self.store.mark_stale(self.directory.stale_before)

    # --- following the source -------------------------------------------------------------------

    async def _follow(self) -> None:
        while True:
            try:
                await self.source.follow(self._items, self._apply, self._connected)
                reason = "the site closed the connection"
            except Exception as exc:
                reason = f"{type(exc).__name__}: {str(exc)[:200]}"
            # The backoff starts again only after a connection that lasted: a site that accepts
            # each subscription and drops it at once is retried ever more slowly, not twice a
            # second with every cached copy marked stale each time.
            lasted = self._up_since is not None and (
                time.monotonic() - self._up_since >= self.settings.reconnect_max_seconds
            )
            if lasted:
                self._delay = self.settings.reconnect_min_seconds
            self._up_since = None
            self._set_up(False)
            self.status = f"down: {reason}"
            self._report_down(reason)
            await asyncio.sleep(self._delay * random.uniform(0.5, 1.0))  # noqa: S311 - jitter
            self._delay = min(self._delay * 2, self.settings.reconnect_max_seconds)

    async def _connected(self, missed_changes: bool) -> None:
        if missed_changes:
            await self._mark_stale(time.time())
        self._up_since = time.monotonic()
        self._set_up(True)
        self.status = "up"
        log.info("feed_up", kind=self.settings.kind, missed_changes_marked_stale=missed_changes)

    def _set_up(self, up: bool) -> None:
        self._up = up
        self.metrics.feed.up.set(1 if up else 0)

    def _report_down(self, reason: str) -> None:
        if self._down_log.due() is not None:
            log.warning("feed_down", kind=self.settings.kind, reason=reason)

    # --- the changes ----------------------------------------------------------------------------

    async def _apply(self, items: list[Any]) -> None:
        """Evict or rewrite the changed users; a flood marks every copy stale instead."""
        events = self.metrics.feed.events
        users = self.directory.site_users
        objects = [item for item in items if isinstance(item, Mapping)]
        ids = [users.bare_id(item) for item in items if not isinstance(item, Mapping)]
        try:
            if len(items) > self.settings.max_ids_per_event:
                events.labels("flood").inc()
                log.warning("feed_flood", changes=len(items), limit=self.settings.max_ids_per_event)
                await self._mark_stale(time.time())
                return
            if self.settings.users:
                ids += await self.directory.update(objects)
            else:
                ids += [users.chat_id(obj) for obj in objects]
            known = list(dict.fromkeys(i for i in ids if i is not None))
            await self.directory.invalidate(known)
        except Exception as exc:  # the cache failing: every copy counts as stale instead
            events.labels("failed").inc()
            log.warning("feed_changes_not_applied", error=type(exc).__name__)
            self.directory.stale_before = max(self.directory.stale_before, time.time())
            return
        events.labels("applied").inc()
        if len(known) < len(ids):
            self.metrics.users_dropped.labels("bad_id").inc(len(ids) - len(known))


async def stop(task: asyncio.Task[None] | None) -> None:
    """Cancel `task` and wait until it ends, cancelling again while it runs: a library on the
    way (a Redis or HTTP call cut short) may take a cancellation for its own timeout."""
    while task is not None and not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)


def _malformed(metrics: Metrics, what: str) -> None:
    metrics.feed.events.labels("malformed").inc()
    log.warning("feed_event_malformed", problem=what)


def open_feed(
    settings: Settings,
    document: FeedDocument,
    *,
    upstream: UpstreamClient,
    directory: Directory,
    metrics: Metrics,
    site_url: str | None = None,
    connect: Connect | None = None,
) -> Feed:
    """The feed for `settings.feed`, started. `site_url` and `connect`: where the site is and
    how to reach it when it is not on the network (the embedded demo, in this process)."""
    feed = settings.feed
    assert feed is not None  # a FeedDocument exists for a configured feed only
    text = document.operation.text
    cursor_key = hashlib.sha256(f"{text}\0{feed.cursor}".encode()).hexdigest()[:12]
    store = feed_store(settings.cache, lease_seconds=feed.lease_seconds, cursor_key=cursor_key)
    source: Subscription | Poll
    if feed.kind == "subscription":
        url = feed.websocket_url(settings.upstream.url or site_url)
        assert url is not None  # checked by Settings
        source = Subscription(
            url,
            text,
            feed.variables,
            protocol=feed.protocol,
            headers={k: v.get_secret_value() for k, v in settings.upstream.headers.items()},
            on_malformed=lambda what: _malformed(metrics, what),
            **({"connect": connect} if connect is not None and feed.url is None else {}),
        )
    else:
        assert document.since_variable is not None
        assert feed.cursor is not None
        source = Poll(
            text,
            feed.variables,
            document.since_variable,
            feed.cursor.split("."),
            upstream=upstream,
            store=store,
            interval=feed.interval_seconds,
        )
    runner = Feed(
        feed,
        document,
        source,
        store=store,
        directory=directory,
        metrics=metrics,
        log_interval=settings.cache.error_log_interval_seconds,
    )
    runner.start()
    return runner
