"""The bounded memo and the memo of a function built on it."""

from __future__ import annotations

import pytest

from adapter.memo import ComputedMemo


def test_a_computed_memo_works_each_key_out_once_and_stays_bounded() -> None:
    """A key read again is not computed again; an error is raised and not kept; when full, the
    memo starts again instead of growing."""
    calls: list[int] = []

    def square(key: int) -> int:
        calls.append(key)
        if key < 0:
            raise ValueError(key)
        return key * key

    memo = ComputedMemo(max_entries=2, compute=square)
    assert [memo[3], memo[3], memo.get(4)] == [9, 9, None]
    with pytest.raises(ValueError, match="-1"):
        memo[-1]
    assert -1 not in memo
    assert memo[4] == 16
    assert memo[5] == 25
    assert list(memo) == [5]
    assert calls == [3, -1, 4, 5]
