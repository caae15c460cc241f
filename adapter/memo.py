"""A bounded memo: what is worth remembering by key, in a dict that starts again when full.

The package's one eviction rule for memos, `functools.lru_cache` not used beside it: a
`ComputedMemo` hit, one dict subscript, costs half to two thirds of a call through lru_cache's
wrapper, and a full memo starting again costs a working set of a few keys one miss each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["ComputedMemo", "Memo"]

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


class ComputedMemo(Memo[K, V]):
    """A memo of a function: `memo[key]` is `compute(key)`, worked out on a miss and remembered
    (an error is raised, not remembered). A hit never leaves C: dict's subscript calls
    `__missing__` only on a miss."""

    def __init__(self, max_entries: int, compute: Callable[[K], V]) -> None:
        super().__init__(max_entries)
        self.compute = compute

    def __missing__(self, key: K) -> V:
        return self.remember(key, self.compute(key))
