"""What the cache holds for a user: a profile or a "no such user", with its fresh-until time.

The value is `P<fresh_until>|<profile JSON>` or `N<fresh_until>|`: the profile bytes are stored
exactly as the chat receives them, so a warm answer is joined from cached bytes, never re-encoded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

__all__ = ["Entry", "decode_entry", "encode_entry"]


@dataclass(frozen=True, slots=True)
class Entry:
    profile: bytes | None  # None: the site has no such user
    fresh_until: float

    def is_fresh(self, now: float) -> bool:
        return now < self.fresh_until


def encode_entry(profile: bytes | None, fresh_until: float) -> bytes:
    stamp = str(int(fresh_until)).encode()
    if profile is None:
        return b"N" + stamp + b"|"
    return b"P" + stamp + b"|" + profile


# Entries are immutable, and a warm answer decodes the same values again and again (from the
# memory cache, the very same bytes objects, whose hash Python keeps): a hit costs a tenth of a
# decode. Bounded, so a large directory only keeps its hottest few thousand here.
@functools.lru_cache(maxsize=8192)
def decode_entry(raw: bytes) -> Entry | None:
    """The entry, or None for bytes this version did not write (treated as a miss)."""
    kind = raw[:1]
    stamp, bar, profile = raw[1:].partition(b"|")
    if not bar or kind not in (b"P", b"N") or not stamp.isdigit():
        return None
    if kind == b"N":
        return Entry(None, float(stamp))
    return Entry(profile, float(stamp)) if profile else None
