"""The path readers: `dig` for one value, `dig_each` through lists, `read_answer` strictly."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapter.errors import UpstreamProtocolError
from adapter.paths import dig, dig_each, read_answer

keys = st.text(alphabet="abcxyz", min_size=1, max_size=3)
paths = st.lists(keys, max_size=4)
scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
# Objects only: no lists, so that `dig` and `dig_each` must agree.
objects = st.recursive(
    scalars, lambda inner: st.dictionaries(keys, inner, max_size=4), max_leaves=12
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=12,
)


def nest(path: list[str], leaf: Any) -> Any:
    for key in reversed(path):
        leaf = {key: leaf}
    return leaf


@given(path=paths, leaf=json_values)
def test_dig_finds_what_was_put_at_the_path(path: list[str], leaf: Any) -> None:
    """Whatever stands at a path of objects is what `dig` returns, lists and nulls included."""
    assert dig(nest(path, leaf), path) == leaf


@given(path=paths, leaf=scalars | st.lists(scalars, max_size=3), more=st.lists(keys, min_size=1))
def test_dig_stops_at_anything_not_an_object(path: list[str], leaf: Any, more: list[str]) -> None:
    """A step into a scalar, a null or a list finds nothing, without raising."""
    assert dig(nest(path, leaf), [*path, *more]) is None


def test_dig_missing_key() -> None:
    """A key that is not there finds nothing, however deep the path goes on."""
    assert dig({"a": {"b": 1}}, ("a", "c")) is None
    assert dig({"a": {"b": 1}}, ("x", "y", "z")) is None
    assert dig({"a": {"b": 1}}, ()) == {"a": {"b": 1}}


@given(value=objects, path=paths)
def test_dig_each_agrees_with_dig_without_lists(value: Any, path: list[str]) -> None:
    """Without lists on the way there is at most one value, the one `dig` finds."""
    found = dig(value, path)
    assert dig_each(value, path) == ([] if found is None else [found])


def test_dig_each_steps_into_lists_on_the_way_and_at_the_end() -> None:
    """A connection's edges fan out in order; a list at the end is flattened, nulls left out."""
    answer = {
        "members": {
            "edges": [
                {"node": {"id": 1}},
                {"node": None},
                {"other": 2},
                {"node": [{"id": 3}, [{"id": 4}]]},
            ]
        }
    }
    assert dig_each(answer, ["members", "edges", "node"]) == [{"id": 1}, {"id": 3}, {"id": 4}]
    assert dig_each([{"a": 1}, {"a": 2}, 5], ["a"]) == [1, 2]
    assert dig_each({"a": 1}, ["a", "b"]) == []


@given(value=json_values, path=paths, copies=st.integers(min_value=0, max_value=3))
def test_dig_each_of_a_list_answers_for_each_item(value: Any, path: list[str], copies: int) -> None:
    """A list fans out: each item answers in turn, as it would alone."""
    assert dig_each([value] * copies, path) == dig_each(value, path) * copies


def test_read_answer_stops_at_a_null_and_fans_out_through_lists() -> None:
    """A null on the way reads as None; a list on the way reads the rest in each item."""
    assert read_answer({"a": {"b": None}}, ("a", "b", "c")) is None
    edges = {"edges": [{"node": 1}, None, {"node": None}]}
    assert read_answer(edges, ("edges", "node")) == [1, None, None]


@pytest.mark.parametrize("answer", [{"a": {}}, {"a": 1}, {"a": [{"c": 1}]}])
def test_read_answer_refuses_what_is_not_the_documents_shape(answer: Any) -> None:
    """A missing key, or a step into a scalar, is not an answer: an UpstreamProtocolError."""
    with pytest.raises(UpstreamProtocolError, match=r"has no 'a\.b'"):
        read_answer(answer, ("a", "b"))


def test_lists_nested_past_pythons_recursion_are_walked_or_refused() -> None:
    """orjson decodes lists 1,000 deep, past Python's recursion limit: `dig_each` walks them
    (a feed's junk event finds nothing, and the connection stays up), `read_answer` refuses
    them as not the document's shape (a site's junk is a 502, never a RecursionError's 500)."""
    deep = orjson.loads(b'{"user": ' + b"[" * 1000 + b'{"id": 1}' + b"]" * 1000 + b"}")
    assert dig_each(deep, ["user", "id"]) == [1]
    with pytest.raises(UpstreamProtocolError, match="too deeply"):
        read_answer(deep, ["user", "friends"])
