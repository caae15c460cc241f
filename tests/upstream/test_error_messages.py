"""The site's GraphQL `errors` as short messages, for the upstream client's log and `init`."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapter.upstream import error_messages


@pytest.mark.parametrize(
    ("errors", "messages"),
    [
        ([{"message": "no such field"}, {"message": "denied"}], ["no such field", "denied"]),
        ([{"message": "x", "path": ["u0"]}, "plain text", 7], ["x", "plain text", "7"]),
        ([{"path": ["u0"]}], ["None"]),
        ({"message": "not a list"}, ["{'message': 'not a list'}"]),
        ("the site's own words", ["the site's own words"]),
        (None, []),
        ([], []),
    ],
)
def test_error_messages(errors: Any, messages: list[str]) -> None:
    """Each error's message; a non-object error, or an `errors` that is no list, as its text."""
    assert error_messages(errors, count=5, limit=100) == messages


@given(
    texts=st.lists(st.text(max_size=50), min_size=1, max_size=10),
    count=st.integers(min_value=1, max_value=10),
    limit=st.integers(min_value=0, max_value=60),
)
def test_error_messages_are_bounded(texts: list[str], count: int, limit: int) -> None:
    """At most `count` messages, in order, each its message cut to `limit` characters."""
    messages = error_messages([{"message": text} for text in texts], count=count, limit=limit)
    assert messages == [text[:limit] for text in texts[:count]]


def test_hidden_values_are_replaced_longest_first_before_the_cut() -> None:
    """A value that contains another is replaced whole, and a cut never leaves half a secret."""
    errors = [{"message": "bad token Bearer abcd-1234, token abcd-1234"}]
    messages = error_messages(errors, count=1, limit=30, hiding={"abcd-1234", "Bearer abcd-1234"})
    assert messages == ["bad token [redacted], token [r"]
