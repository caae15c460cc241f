"""The change feed: the site tells the adapter which users changed, with no webhook."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, JsonValue, model_validator

from adapter.config.base import Model

__all__ = ["FeedSettings"]


class FeedSettings(Model):
    """`subscription`: a GraphQL subscription over WebSocket; `poll`: a users document with a
    "changed since" variable, asked every `interval_seconds`."""

    kind: Literal["subscription", "poll"]
    document: Path
    variables: dict[str, JsonValue] = {}
    # subscription: where it connects (default: upstream.url as ws:// or wss://). A poll is sent
    # like every other operation, by the upstream client.
    url: str | None = None
    # auto: offer both subprotocols and speak the one the server picks.
    protocol: Literal["auto", "graphql-transport-ws", "graphql-ws"] = "auto"
    # Where the changes are in each event's (or answer's) data: an id, a list of ids, a user
    # object or a list of them. Default: the response key of the document's only field.
    ids: str | None = None
    # true: the objects there are whole users, mapped and written into the cache; false: only
    # their id (`mapping.id`) is read and the cached copy evicted.
    users: bool = False
    # poll: the variable that takes the last change seen (default: the document's only one),
    # and the path in each changed user to its updated-at value or cursor.
    since_variable: str | None = None
    cursor: str | None = None
    interval_seconds: float = Field(5.0, gt=0, le=3600)
    # With Redis, one replica holds the feed; another takes over this long after it dies.
    lease_seconds: float = Field(10.0, ge=1, le=300)
    reconnect_min_seconds: float = Field(0.5, gt=0)
    reconnect_max_seconds: float = Field(10.0, gt=0)
    # While the feed is down a cached copy counts as fresh this long only (not fresh_seconds);
    # once a subscription is back, every copy made before counts as stale (refreshed when read).
    gap_fresh_seconds: float = Field(5.0, ge=0)
    # A flood: past this many changes in one event (or answer), every cached copy counts as
    # stale instead of one eviction per id.
    max_ids_per_event: int = Field(1000, ge=1, le=100_000)

    @model_validator(mode="after")
    def _consistent(self) -> FeedSettings:
        if self.url is not None and not re.match(r"^(https?|wss?)://[^\s/]+", self.url):
            raise ValueError(f"url must be a ws(s) or http(s) URL, got {self.url!r}")
        if self.kind == "poll" and self.cursor is None:
            raise ValueError("kind poll needs `cursor`: the path to each user's updated-at value")
        if self.kind == "subscription" and (self.cursor or self.since_variable):
            raise ValueError("`cursor` and `since_variable` are for kind poll")
        if self.kind == "poll" and (self.url or self.protocol != "auto"):
            raise ValueError("`url` and `protocol` are for kind subscription")
        if self.reconnect_max_seconds < self.reconnect_min_seconds:
            raise ValueError("reconnect_max_seconds must be at least reconnect_min_seconds")
        return self

    def websocket_url(self, upstream_url: str | None) -> str | None:
        """Where a subscription connects: `url`, else the upstream's, as ws:// or wss://."""
        url = self.url or upstream_url
        return None if url is None else re.sub(r"^http", "ws", url)
