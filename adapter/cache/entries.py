"""What the cache holds for a user: a profile or a "no such user", with its fresh-until time.

The value is `P<fresh_until>|<profile JSON>` or `N<fresh_until>|` (Unix seconds, to the
millisecond; whole seconds from older versions read as well): the profile bytes are stored
exactly as the chat receives them, so a warm answer is joined from cached bytes, never re-encoded.
An evicted key holds `E<token>` for a while (`eviction_marker`), which reads as a miss.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass

from adapter.memo import Memo

__all__ = [
    "EVICTED",
    "EVICTION_MARK_SECONDS",
    "Entry",
    "EntryMemo",
    "decode_entry",
    "encode_entry",
    "eviction_marker",
]

EVICTED = b"E"
# How long an eviction marker stays: longer than any fetch can take (its timeouts and retries),
# so a fetch that read a key before the eviction cannot find it unchanged when it stores.
EVICTION_MARK_SECONDS = 600.0


def eviction_marker() -> bytes:
    """A new marker: each eviction's own, so two evictions never look alike."""
    return EVICTED + uuid.uuid4().hex.encode()


@dataclass(frozen=True, slots=True)
class Entry:
    profile: bytes | None  # None: the site has no such user
    fresh_until: float

    def is_fresh(self, now: float) -> bool:
        return now < self.fresh_until


def encode_entry(profile: bytes | None, fresh_until: float) -> bytes:
    # Milliseconds: the change feed tells copies written before a moment from those after it.
    # Cut, not rounded: a copy rounded up would be fresh for up to half a millisecond too long.
    milliseconds = math.floor(fresh_until * 1000)
    stamp = b"%d.%03d" % divmod(milliseconds, 1000)
    if profile is None:
        return b"N" + stamp + b"|"
    return b"P" + stamp + b"|" + profile


def decode_entry(raw: bytes) -> Entry | None:
    """The entry, or None for bytes this version did not write (treated as a miss)."""
    kind = raw[:1]
    stamp, bar, profile = raw[1:].partition(b"|")
    if not bar or kind not in (b"P", b"N") or not stamp.replace(b".", b"", 1).isdigit():
        return None
    if kind == b"N":
        return Entry(None, float(stamp))
    return Entry(profile, float(stamp)) if profile else None


class EntryMemo(Memo[bytes, Entry]):
    """Entries by their bytes: the directory reads the same values again and again (a stale
    copy until its refresh lands, a list's values until they are all fresh profiles).

    From the memory cache they are the very same bytes objects, whose hash Python keeps, so a
    hit is one dict look-up (a tenth of a decode, a fifth of `functools.lru_cache`'s wrapper).
    """

    def decode(self, raw: bytes) -> Entry | None:
        entry = self.get(raw)
        if entry is None and (entry := decode_entry(raw)) is not None:
            self.remember(raw, entry)
        return entry
