"""A bounded memo: what is worth remembering by key, in a dict that starts again when full."""

from __future__ import annotations

from typing import TypeVar

__all__ = ["Memo"]

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict[K, V]):
    """At most `max_entries` keys: a new one past that empties it first. A hit stays one
    `dict.get`, with none of an LRU's bookkeeping, and a large working set keeps what it read
    since."""

    def __init__(self, max_entries: int) -> None:
        super().__init__()
        self.max_entries = max_entries

    def remember(self, key: K, value: V) -> V:
        if len(self) >= self.max_entries:
            self.clear()
        self[key] = value
        return value
