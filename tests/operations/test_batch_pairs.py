"""Batch strategies through the `UsersBatch` protocol: each object paired with its requested id."""

from __future__ import annotations

from typing import Any

from adapter.operations import build_operations
from adapter.operations.batches import UsersBatch
from tests.support import SettingsFactory


def site_id(obj: Any) -> str | None:
    """The test's id reader: the object's `id`, as text."""
    value = obj.get("id")
    return None if value is None else str(value)


def batch_for(make_settings: SettingsFactory, strategy: str) -> UsersBatch:
    document = "resolvers/users.graphql" if strategy == "list" else "resolvers/user_by_id.graphql"
    settings = make_settings(
        {
            "upstream": {
                "batch": {"strategy": strategy},
                "operations": {"users": {"document": document}},
            }
        }
    )
    return build_operations(settings).users


def test_list_pairs_objects_by_their_id_in_any_order(make_settings: SettingsFactory) -> None:
    """The list strategy pairs each object with the requested id it carries, whatever its place;
    an object with an id nobody asked for, or none at all, answers no id."""
    batch = batch_for(make_settings, "list")
    data = {"users": [{"id": "3"}, {"id": "77"}, {"id": "1"}, {"name": "no id"}]}
    pairs = list(batch.pairs(data, [1, 2, 3], site_id))
    assert pairs == [
        (3, {"id": "3"}),
        (None, {"id": "77"}),
        (1, {"id": "1"}),
        (None, {"name": "no id"}),
    ]


def test_list_pairs_keep_the_requested_id_type(make_settings: SettingsFactory) -> None:
    """The pair carries the id as it was requested (an int stays an int, text stays text)."""
    batch = batch_for(make_settings, "list")
    data = {"users": [{"id": "5"}, {"id": "A-1"}]}
    assert [i for i, _ in batch.pairs(data, [5, "A-1"], site_id)] == [5, "A-1"]


def test_alias_pairs_each_field_with_its_own_id(make_settings: SettingsFactory) -> None:
    """The alias strategy pairs `u{i}` with the i-th id; a null field (no such user) yields
    nothing, and an object answering another requested id than its field's answers none."""
    batch = batch_for(make_settings, "alias")
    data = {"u0": {"id": "5"}, "u1": None, "u2": {"id": "5"}, "u3": {"id": "12"}}
    pairs = list(batch.pairs(data, [5, 9, 11, 12], site_id))
    assert pairs == [(5, {"id": "5"}), (None, {"id": "5"}), (12, {"id": "12"})]
