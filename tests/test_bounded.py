"""Bodies read up to a limit: the one rule of the upstream client, `init`, webhooks and limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapter.bounded import ByteCounter, TooLarge, declared_size, read_bounded, read_bounded_sync

bodies = st.lists(st.binary(max_size=20), max_size=8)
limits = st.integers(min_value=0, max_value=100)


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("12", 12),
        (b"12", 12),
        ("0", 0),
        (None, None),
        ("", None),
        ("-1", None),
        ("1.5", None),
        (" 12", None),
        ("\u00b2", None),  # a digit to str.isdigit, not to int(): no number of bytes
    ],
)
def test_declared_size(header: str | bytes | None, size: int | None) -> None:
    """Only plain ASCII digits declare a size; anything else declares nothing."""
    assert declared_size(header) == size


@given(chunks=bodies, limit=limits)
def test_read_bounded_sync_joins_or_refuses(chunks: list[bytes], limit: int) -> None:
    """Everything, joined, up to the limit; more than the limit is TooLarge."""
    whole = b"".join(chunks)
    if len(whole) <= limit:
        assert read_bounded_sync(chunks, limit) == whole
    else:
        with pytest.raises(TooLarge) as raised:
            read_bounded_sync(chunks, limit)
        assert raised.value.limit == limit


@given(chunks=bodies, limit=limits)
def test_read_bounded_agrees_with_the_sync_reader(chunks: list[bytes], limit: int) -> None:
    """The asynchronous reader answers exactly as the synchronous one."""

    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    try:
        expected: bytes | None = read_bounded_sync(chunks, limit)
    except TooLarge:
        expected = None
    try:
        got: bytes | None = asyncio.run(read_bounded(stream(), limit))
    except TooLarge:
        got = None
    assert got == expected


def test_stops_at_the_chunk_that_crosses_the_limit() -> None:
    """Nothing after the crossing chunk is pulled from the stream."""
    pulled: list[bytes] = []

    def stream() -> Iterator[bytes]:
        for chunk in (b"abc", b"def", b"never"):
            pulled.append(chunk)
            yield chunk

    with pytest.raises(TooLarge):
        read_bounded_sync(stream(), 4)
    assert pulled == [b"abc", b"def"]


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    """A Content-Length above the limit is refused without pulling a chunk."""

    def stream() -> Iterator[bytes]:
        raise AssertionError("read although the declared length was too large")
        yield b""  # pragma: no cover - makes this a generator

    with pytest.raises(TooLarge):
        read_bounded_sync(stream(), 10, declared="11")
    assert read_bounded_sync([b"0123456789"], 10, declared="10") == b"0123456789"
    # A declared length is a claim, not a bound: the bytes that come are what count.
    with pytest.raises(TooLarge):
        read_bounded_sync([b"0123456789", b"!"], 10, declared="3")


def test_counter_counts_across_chunks() -> None:
    """The counter keeps the running size and hands each chunk back unchanged."""
    counter = ByteCounter(5)
    assert counter.count(b"ab") == b"ab"
    assert counter.count(b"cde") == b"cde"
    assert counter.size == 5
    with pytest.raises(TooLarge):
        counter.count(b"f")
