"""The entry envelope: a profile or an absence, with its fresh-until time, as bytes."""

from __future__ import annotations

import pytest

from adapter.cache import Entry, EntryMemo, decode_entry, encode_entry


@pytest.mark.parametrize(
    ("profile", "fresh_until", "raw"),
    [
        (
            b'{"user_id":1,"name":"A|B"}',
            1800000000.9,
            b'P1800000000.900|{"user_id":1,"name":"A|B"}',
        ),
        (None, 1800000060.0, b"N1800000060.000|"),
    ],
)
def test_entries_round_trip_byte_for_byte(
    profile: bytes | None, fresh_until: float, raw: bytes
) -> None:
    """The profile bytes are stored as the chat receives them and come back unchanged."""
    assert encode_entry(profile, fresh_until) == raw
    assert decode_entry(raw) == Entry(profile, fresh_until)


def test_whole_seconds_of_older_versions_read_as_well() -> None:
    """Entries written before the milliseconds came are still entries, not misses."""
    assert decode_entry(b"N1800000060|") == Entry(None, 1800000060.0)


@pytest.mark.parametrize(
    "raw", [b"", b"P", b"P12", b"Pabc|{}", b"P1.2.3|{}", b"X12|{}", b"P12|", b'{"user_id":1}']
)
def test_bytes_this_version_did_not_write_are_a_miss(raw: bytes) -> None:
    """Anything that is not a well-formed envelope decodes to None (treated as a miss)."""
    assert decode_entry(raw) is None


def test_freshness_is_judged_against_the_given_time() -> None:
    """An entry is fresh strictly before its fresh-until time."""
    entry = Entry(b"{}", 100.0)
    assert entry.is_fresh(99.9)
    assert not entry.is_fresh(100.0)


def test_the_memo_decodes_each_value_once_and_stays_bounded() -> None:
    """A value read again is the same Entry (one decode); foreign bytes are never kept; when
    full, the memo starts again instead of growing."""
    memo = EntryMemo(max_entries=3)
    values = [encode_entry(f'{{"user_id":{i}}}'.encode(), 1800000000.0) for i in range(4)]
    first = memo.decode(values[0])
    assert first == Entry(b'{"user_id":0}', 1800000000.0)
    assert memo.decode(values[0]) is first
    assert memo.decode(b"X12|{}") is None
    assert list(memo) == [values[0]]
    for value in values[1:3]:
        memo.decode(value)
    assert len(memo) == 3
    assert memo.decode(values[3]) == Entry(b'{"user_id":3}', 1800000000.0)
    assert list(memo) == [values[3]]


@pytest.mark.parametrize("fresh_until", [1800000000.0004, 1800000000.0006, 1800000000.9999])
def test_a_copy_is_never_stored_fresher_than_it_is(fresh_until: float) -> None:
    """The stamp drops what is below the millisecond, never rounds up: with `fresh_seconds: 0`
    a copy read a fraction of a millisecond after it was written is stale, not fresh."""
    entry = decode_entry(encode_entry(b"{}", fresh_until))
    assert entry is not None
    assert entry.fresh_until <= fresh_until
    assert fresh_until - entry.fresh_until < 0.001
    assert not entry.is_fresh(fresh_until)
