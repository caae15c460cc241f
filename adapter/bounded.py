"""Bodies read up to a limit: more bytes than allowed are refused, never buffered.

One rule for the site's answers (the upstream client, `init`), the webhook's requests and the
request bounds in front of every route: a Content-Length above the limit is refused before
anything is read, and a body that grows past the limit is refused at the chunk that crosses it.
The readers join what they were given; `web/limits.py` only counts, as its messages pass through
to the route that reads them.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable

__all__ = ["ByteCounter", "TooLarge", "declared_size", "read_bounded", "read_bounded_sync"]


class TooLarge(Exception):
    """More than `limit` bytes; each caller answers with its own error (local control flow).

    Not an `AdapterError` on purpose: raised through a route by `web/limits.py`, it must reach
    that middleware rather than the app's handler of domain errors.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


def declared_size(content_length: str | bytes | None) -> int | None:
    """The byte count a Content-Length header declares; None when it is absent or no number."""
    if content_length is None or not content_length.isascii() or not content_length.isdigit():
        return None
    return int(content_length)


class ByteCounter:
    """Counts a body's bytes as its chunks pass; `TooLarge` at the chunk that crosses `limit`."""

    __slots__ = ("limit", "size")

    def __init__(self, limit: int, *, declared: str | bytes | None = None) -> None:
        size = declared_size(declared)
        if size is not None and size > limit:
            raise TooLarge(limit)
        self.limit = limit
        self.size = 0

    def count(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if self.size > self.limit:
            raise TooLarge(self.limit)
        return chunk


async def read_bounded(
    chunks: AsyncIterable[bytes], limit: int, *, declared: str | bytes | None = None
) -> bytes:
    """The whole body, or `TooLarge`; `declared` is its Content-Length, checked first."""
    counter = ByteCounter(limit, declared=declared)
    return b"".join([counter.count(chunk) async for chunk in chunks])


def read_bounded_sync(
    chunks: Iterable[bytes], limit: int, *, declared: str | bytes | None = None
) -> bytes:
    """`read_bounded` for a synchronous stream (`init`'s client)."""
    counter = ByteCounter(limit, declared=declared)
    return b"".join([counter.count(chunk) for chunk in chunks])
