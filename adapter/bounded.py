"""Bodies read up to a limit: more bytes than allowed are refused, never buffered.

One rule for the site's answers (the upstream client, `init`), the webhook's requests and the
request bounds in front of every route: a Content-Length above the limit is refused before
anything is read, and a body that grows past the limit is refused at the chunk that crosses it.
The readers join what they were given; the edge (`web/edge.py`) only counts a body without a
Content-Length, as its messages pass through to the handler that reads them.

A compressed answer is counted as it is decoded, never decoded first: 64 KiB of gzip can hold
64 MiB, and a body gzipped twice gigabytes. `Decoder` undoes the `Content-Encoding` (gzip or
deflate, the ones the clients ask for) a bounded step at a time, and every layer's output counts
against the limit, so neither memory nor work grows past it whatever the body holds.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable, Iterable, Iterator

__all__ = [
    "ACCEPT_ENCODING",
    "ByteCounter",
    "Decoder",
    "TooLarge",
    "UnsupportedEncoding",
    "declared_size",
    "read_bounded",
    "read_bounded_sync",
]

# What the clients that read with `Decoder` send as Accept-Encoding (httpx would add br and zstd
# by itself once their packages are installed).
ACCEPT_ENCODING = "gzip, deflate"
# The most a compressed layer gives in one step: decoding is bounded per step, not per chunk.
_STEP = 64 * 1024
_MAX_LAYERS = 3
_GZIP_WBITS = 16 + zlib.MAX_WBITS


class TooLarge(Exception):
    """More than `limit` bytes; each caller answers with its own error (local control flow).
    Raised through a handler by the edge's counting `receive`, it is answered 413 by the edge or
    the app's handler for it, never as a domain error: hence no `AdapterError`."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


def declared_size(content_length: str | bytes | None) -> int | None:
    """The byte count a Content-Length header declares; None when it is absent or no number."""
    if content_length is None or not content_length.isascii() or not content_length.isdigit():
        return None
    return int(content_length)


class UnsupportedEncoding(Exception):
    """A Content-Encoding that `Decoder` does not undo (local control flow, as `TooLarge`)."""

    def __init__(self, encoding: str) -> None:
        super().__init__(f"Content-Encoding {encoding!r} is not one the adapter asks for")
        self.encoding = encoding


class _Inflater:
    """One gzip or deflate layer, giving at most `_STEP` bytes per step."""

    __slots__ = ("_counter", "_deflate", "_engine", "_started")

    def __init__(self, encoding: str, limit: int) -> None:
        self._deflate = encoding == "deflate"
        self._engine = zlib.decompressobj(zlib.MAX_WBITS if self._deflate else _GZIP_WBITS)
        self._counter = ByteCounter(limit)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self._engine.eof:
            try:
                piece = self._engine.decompress(data, _STEP)
            except zlib.error:
                # "deflate" is zlib-wrapped by the standard, raw in some servers (as httpx reads).
                if not (self._deflate and not self._started):
                    raise
                self._engine = zlib.decompressobj(-zlib.MAX_WBITS)
                piece = self._engine.decompress(data, _STEP)
            self._started = True
            data = self._engine.unconsumed_tail
            if piece:
                yield self._counter.count(piece)

    def flush(self) -> Iterator[bytes]:
        # Whatever zlib still holds once every byte was fed; asked for a step at a time.
        while not self._engine.eof:
            piece = self._engine.decompress(b"", _STEP)
            if not piece:
                return
            yield self._counter.count(piece)


class Decoder:
    """Undoes a body's `Content-Encoding` as its chunks come, each layer bounded by `limit`.

    `UnsupportedEncoding` for an encoding other than identity, gzip and deflate, or more than
    three layers; `TooLarge` as soon as any layer's output passes `limit`; `zlib.error` for a
    body that is not what its encoding says.
    """

    __slots__ = ("_layers",)

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        names = [
            name.strip().lower() for name in (content_encoding or "").split(",") if name.strip()
        ]
        names = [name for name in names if name != "identity"]
        if len(names) > _MAX_LAYERS:
            raise UnsupportedEncoding(content_encoding or "")
        for name in names:
            if name not in ("gzip", "x-gzip", "deflate"):
                raise UnsupportedEncoding(name)
        # Encodings are listed in the order they were applied: undone from the last.
        self._layers = [_Inflater(name, limit) for name in reversed(names)]

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """The decoded bytes of `chunk` (possibly none yet), a bounded piece at a time."""
        return self._through(0, [chunk])

    def flush(self) -> Iterator[bytes]:
        """What the layers still hold after the last chunk."""
        for index, layer in enumerate(self._layers):
            yield from self._through(index + 1, layer.flush())

    def _through(self, index: int, pieces: Iterable[bytes]) -> Iterator[bytes]:
        if index == len(self._layers):
            yield from pieces
            return
        layer = self._layers[index]
        for piece in pieces:
            yield from self._through(index + 1, layer.feed(piece))


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
    chunks: AsyncIterable[bytes],
    limit: int,
    *,
    declared: str | bytes | None = None,
    encoding: str | None = None,
) -> bytes:
    """The whole body, or `TooLarge`; `declared` is its Content-Length, checked first, and
    `encoding` its Content-Encoding, undone as the chunks come (the limit counts decoded bytes)."""
    counter = ByteCounter(limit, declared=declared)
    decoder = Decoder(encoding, limit)
    parts = [counter.count(piece) async for chunk in chunks for piece in decoder.feed(chunk)]
    parts.extend(counter.count(piece) for piece in decoder.flush())
    return b"".join(parts)


def read_bounded_sync(
    chunks: Iterable[bytes],
    limit: int,
    *,
    declared: str | bytes | None = None,
    encoding: str | None = None,
) -> bytes:
    """`read_bounded` for a synchronous stream (`init`'s client)."""
    counter = ByteCounter(limit, declared=declared)
    decoder = Decoder(encoding, limit)
    parts = [counter.count(piece) for chunk in chunks for piece in decoder.feed(chunk)]
    parts.extend(counter.count(piece) for piece in decoder.flush())
    return b"".join(parts)
