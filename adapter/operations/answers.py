"""The users in an answer to our own document, read strictly (`paths.read_answer`): an answer
without the document's shape is an `UpstreamProtocolError`, never "these users do not exist"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapter.errors import UpstreamProtocolError
from adapter.paths import dig, read_answer

__all__ = ["ROUND_PAGE_SIZES", "cut_short", "user_list", "user_or_none"]

# Page sizes that sites default to or cap at: fewer users than ids, exactly this many, is a page.
ROUND_PAGE_SIZES = frozenset({10, 20, 25, 30, 50, 100, 200, 250, 500, 1000})


def user_or_none(value: Any, path: Sequence[str]) -> Any:
    if value is not None and not isinstance(value, Mapping):
        raise UpstreamProtocolError(
            f"the site's answer has a value that is not a user object at {'.'.join(path)!r}"
        )
    return value


def user_list(data: Mapping[str, Any], path: Sequence[str]) -> list[Any]:
    """The user objects at `path`, nulls left out; anything else is an UpstreamProtocolError.

    The list may stand at the end of the path (`allMembers.nodes`) or on the way to it
    (`allMembers.edges.node`: each edge holds one user). A null where the list should be is
    not an answer either: it would take every requested id for unknown.
    """
    found = read_answer(data, path)
    if not isinstance(found, list):
        raise UpstreamProtocolError(f"the site's answer has no list of users at {'.'.join(path)!r}")
    return [user for item in found if (user := user_or_none(item, path)) is not None]


def _next_page(data: Mapping[str, Any], path: Sequence[str]) -> bool:
    """Whether an object on the way to the users says more follow: a connection's
    `pageInfo.hasNextPage`, or Strapi's `meta.pagination` with pages after this one."""
    for end in range(len(path)):
        here = dig(data, path[:end])
        if dig(here, ("pageInfo", "hasNextPage")) is True:
            return True
        page, count = (
            dig(here, ("meta", "pagination", "page")),
            dig(here, ("meta", "pagination", "pageCount")),
        )
        if isinstance(page, int) and isinstance(count, int) and count > page:
            return True
    return False


def cut_short(data: Mapping[str, Any], path: Sequence[str], *, asked: int, got: int) -> str | None:
    """Why a list answer with `got` users for `asked` ids looks like one page of it, or None.

    Such an answer does not say that the missing ids are unknown: a page size cut it.
    """
    if got >= asked:
        return None
    if _next_page(data, path):
        return "the answer says a next page follows"
    if got in ROUND_PAGE_SIZES:
        return f"{got} users is a round page size"
    return None
