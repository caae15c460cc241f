"""The poll kind: a users document with a "changed since" variable, asked every interval.

The variable takes the latest updated-at value (or cursor) seen so far, kept in the shared
store, so a replica that takes the feed over goes on from there. A first start has no cursor:
it begins a minute before the adapter's clock (ISO 8601, UTC), and the runner counts every
cached copy as stale, since what changed before is unknown. A filter of "at or after" finds the
last changes again on every round; those already applied are skipped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from adapter.feed.store import FeedStore
from adapter.paths import dig
from adapter.upstream import UpstreamClient

__all__ = ["Poll"]

_FIRST_LOOK_BACK_SECONDS = 60.0


def _order(value: Any) -> tuple[int, float, str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return 0, float(value), ""
    return 1, 0.0, str(value)


@dataclass
class Poll:
    document: str
    variables: Mapping[str, Any]
    since_variable: str
    cursor: Sequence[str]
    _: KW_ONLY
    upstream: UpstreamClient
    store: FeedStore
    interval: float
    # The changes at the cursor, already applied.
    _applied: set[bytes] = field(default_factory=set, init=False)

    async def follow(
        self,
        items_of: Callable[[Any], list[Any]],
        apply: Callable[[list[Any]], Awaitable[None]],
        connected: Callable[[bool], Awaitable[None]],
    ) -> None:
        """Poll until the site fails (raises an UpstreamError)."""
        since = await self.store.cursor()
        first_start: bool | None = since is None
        if since is None:
            start = datetime.fromtimestamp(time.time() - _FIRST_LOOK_BACK_SECONDS, UTC)
            since = start.isoformat(timespec="milliseconds")
        while True:
            variables = {**self.variables, self.since_variable: since}
            result = await self.upstream.execute(self.document, variables)
            if first_start is not None:
                await connected(first_start)
                first_start = None
            items = items_of(result.data)
            marks = {orjson.dumps(item, option=orjson.OPT_SORT_KEYS): item for item in items}
            await apply([item for mark, item in marks.items() if mark not in self._applied])
            stamps = [stamp for item in items if (stamp := dig(item, self.cursor)) is not None]
            if stamps:
                latest = max(stamps, key=_order)
                if latest != since:
                    since, self._applied = latest, set()
                    await self.store.save_cursor(since)
                self._applied |= {m for m, i in marks.items() if dig(i, self.cursor) == since}
            await asyncio.sleep(self.interval)
