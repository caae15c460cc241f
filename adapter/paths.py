"""Pure: follow a field path (`profile.avatar.url`) through decoded JSON.

One rule for every reader of nested answers: a step into something that is not an object, or
into a key that is not there, finds nothing. `dig` follows one value; `dig_each` fans out
through the lists on the way, as a connection's `edges` or a list of users does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dig", "dig_each"]


def dig(value: Any, path: Sequence[str]) -> Any:
    """The value at `path` under `value`; None where the path stops early (or the value is null)."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def dig_each(value: Any, path: Sequence[str]) -> list[Any]:
    """Every value at `path` under `value`, stepping into each list on the way and at the end.

    `dig_each({"edges": [{"node": 1}, {"node": 2}]}, ["edges", "node"])` is `[1, 2]`; a path
    that stops early, or ends at a null, contributes nothing.
    """
    if isinstance(value, list):
        return [found for item in value for found in dig_each(item, path)]
    if not path:
        return [] if value is None else [value]
    if not isinstance(value, Mapping):
        return []
    return dig_each(value.get(path[0]), path[1:])
