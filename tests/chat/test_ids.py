"""Id lists: the fast path for the chat's usual `6,7,12` agrees with the general parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapter.config import IdSettings
from adapter.config.chat import MAX_CHAT_ID
from adapter.errors import InvalidUserIds
from adapter.web.ids import parse_ids

IDS = IdSettings(max_per_call=50)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.integers(min_value=0, max_value=10**18)
        | st.sampled_from([MAX_CHAT_ID, MAX_CHAT_ID + 1, 2**64 - 1, 2**64]),
        max_size=60,
    ),
    st.sampled_from([",", ";", "::"]),
)
def test_fast_path_agrees_with_the_general_parser(ids: list[int], separator: str) -> None:
    """Plain digit lists (fast path) parse as the same list padded with spaces (general path)."""
    config = IdSettings(separator=separator, max_per_call=50)
    plain = separator.join(str(i) for i in ids)
    padded = separator.join(f" {i} " for i in ids)
    results: list[object] = []
    for raw in (plain, padded):
        try:
            results.append(parse_ids(raw, config))
        except InvalidUserIds as exc:
            results.append(exc.message)
    assert results[0] == results[1]
    if len(set(ids)) <= 50 and all(i <= MAX_CHAT_ID for i in ids):
        assert results[0] == list(dict.fromkeys(ids))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1,,2", [1, 2]), (",1", [1]), ("1,", [1]), ("01,1", [1]), ("007,7,08", [7, 8])],
)
def test_edge_lists(raw: str, expected: list[int]) -> None:
    """Empty items are skipped and leading zeros collapse to the same id."""
    assert parse_ids(raw, IDS) == expected


def test_string_ids_accept_global_ids() -> None:
    """String ids take base64's `+`, `/` and `=` (global ids) and gid URIs by default."""
    config = IdSettings(type="str")
    raw = "VXNlcjo1,a+b/c==,gid://shopify/Customer/5"
    assert parse_ids(raw, config) == ["VXNlcjo1", "a+b/c==", "gid://shopify/Customer/5"]


@pytest.mark.parametrize("item", ["a b", "é", "x" * 129, "a?b", "<a>"])
def test_string_ids_refuse_other_characters(item: str) -> None:
    """A string id with a space, non-ASCII, `?` or `<`, or over 128 characters is refused."""
    with pytest.raises(InvalidUserIds, match="expected an id matching"):
        parse_ids(f"ok,{item}x", IdSettings(type="str"))
