"""Pure: follow a field path (`profile.avatar.url`) through decoded JSON.

Two rules. Leniently, a step into something that is not an object, or into a key that is not
there, finds nothing: `dig` for one value (a mapped field, the viewer's id, a login's user),
`dig_each` through the lists on the way, as a connection's `edges`. Strictly, for the users of an
answer to our own document (`read_answer`), a key that is not there is not an answer: no id may
be taken for unknown because of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapter.errors import UpstreamProtocolError

__all__ = ["dig", "dig_each", "read_answer"]


def dig(value: Any, path: Sequence[str]) -> Any:
    """The value at `path` under `value`; None where the path stops early (or the value is null)."""
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def dig_each(value: Any, path: Sequence[str]) -> list[Any]:
    """Every value at `path` under `value`, stepping into each list on the way and at the end
    (`edges.node` of `{"edges": [{"node": 1}, {"node": 2}]}` is `[1, 2]`); a path that stops
    early, or ends at a null, contributes nothing. A walk with a stack, not recursion: a feed's
    event or a site's answer may nest lists a thousand deep (orjson's limit, past Python's)."""
    found: list[Any] = []
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        here, step = pending.pop()
        if isinstance(here, list):
            pending.extend((item, step) for item in reversed(here))
        elif step == len(path):
            if here is not None:
                found.append(here)
        elif isinstance(here, Mapping):
            pending.append((here.get(path[step]), step + 1))
    return found


def read_answer(value: Any, path: Sequence[str]) -> Any:
    """The value at `path` in an answer: None where a nullable field on the way is null; through
    a list, the list of what the rest of the path reads in each item. A missing key, or a step
    into something that is not an object, raises an `UpstreamProtocolError` naming the path, and
    so do lists nested deeper than Python recurses (a site's junk, never a GraphQL answer)."""
    try:
        return _read_answer(value, path, 0)
    except RecursionError:
        raise UpstreamProtocolError(
            f"the site's answer nests lists too deeply at {'.'.join(path)!r}"
        ) from None


def _read_answer(value: Any, path: Sequence[str], start: int) -> Any:
    for position in range(start, len(path)):
        if value is None:
            return None
        if isinstance(value, list):
            return [_read_answer(item, path, position) for item in value]
        if not isinstance(value, Mapping) or path[position] not in value:
            raise UpstreamProtocolError(f"the site's answer has no {'.'.join(path)!r}")
        value = value[path[position]]
    return value
