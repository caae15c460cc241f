"""The GraphQL text `init` writes into resolvers/ and sends while sampling.

Documents select exactly the paths the mapping reads, so start-up's check that every mapped path
is selected holds by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeAlias

from adapter.config import BatchSettings
from adapter.init.discover import Fetcher, Listing, RootField, Search, Viewer
from adapter.init.feeds import Feed
from adapter.page_sizes import page_size_text

__all__ = [
    "feed_document",
    "listing_query",
    "sample_query",
    "search_document",
    "users_document",
    "viewer_document",
]

_INDENT = "  "
# The batch size init writes, and the users document's page size: the configuration's default.
BATCH_SIZE = BatchSettings().size
Tree: TypeAlias = dict[str, "Tree"]


def _tree(paths: Iterable[str]) -> Tree:
    root: Tree = {}
    for path in paths:
        node = root
        for part in path.split("."):
            node = node.setdefault(part, {})
    return root


def _lines(tree: Tree, depth: int) -> list[str]:
    """The selection `tree`, in first-seen order, indented `depth` levels."""
    out: list[str] = []
    pad = _INDENT * depth
    for name, children in tree.items():
        if children:
            out += [f"{pad}{name} {{", *_lines(children, depth + 1), f"{pad}}}"]
        else:
            out.append(f"{pad}{name}")
    return out


def _field(root: RootField, arguments: str, paths: Sequence[str], alias: str = "") -> list[str]:
    """`alias: name(arguments) { below... { ... on Type { paths } } }` as lines."""
    tree = _tree(paths)
    if root.fragment:
        tree = {f"... on {root.fragment}": tree}
    for key in reversed(root.below):
        tree = {key: tree}
    head = f"{alias}: " if alias else ""
    call = f"({arguments})" if arguments else ""
    return _lines({f"{head}{root.name}{call}": tree}, 1)


def _operation(head: str, lines: list[str]) -> str:
    """`head { lines }`: one operation's text."""
    return "\n".join([f"{head} {{", *lines, "}"]) + "\n"


def _variable_type(fetcher: Fetcher) -> str:
    return f"[{fetcher.scalar}!]!" if fetcher.strategy == "list" else f"{fetcher.scalar}!"


def users_document(fetcher: Fetcher, paths: Sequence[str]) -> str:
    """The users operation: one field taking the ids (list) or one id (alias); a list field's
    page size, when it has one, is the batch size."""
    variable = "ids" if fetcher.strategy == "list" else "id"
    name = "ChatUsers" if fetcher.strategy == "list" else "ChatUser"
    arguments = fetcher.call(f"${variable}")
    if fetcher.limit_argument:
        arguments += f", {page_size_text(fetcher.limit_argument, str(BATCH_SIZE))}"
    head = f"query {name}(${variable}: {_variable_type(fetcher)})"
    return _operation(head, _field(fetcher, arguments, paths))


def search_document(search: Search, paths: Sequence[str], *, limit: int = 20) -> str:
    """The search operation: the chat's search text arrives as $query."""
    arguments = f"{search.argument}: $query"
    if search.limit_argument:
        arguments += f", {page_size_text(search.limit_argument, str(limit))}"
    return _operation("query ChatSearch($query: String!)", _field(search, arguments, paths))


def viewer_document(viewer: Viewer, id_field: str) -> str:
    """The viewer operation: who is signed in, by the id the chat knows them by."""
    return _operation("query ChatViewer", _field(viewer, "", [id_field]))


def feed_document(feed: Feed, paths: Sequence[str]) -> str:
    """The feed's operation: the subscription, or the poll with `$since` in its filter (and a
    page of 100 on a paged field, oldest change first where the field sorts); whole users
    select every mapped path and the poll's cursor."""
    if not feed.users:
        return _operation("subscription ChatFeed", [f"{_INDENT}{feed.name}"])
    if feed.kind == "subscription":
        return _operation("subscription ChatFeed", _field(feed, "", paths))
    arguments = page_size_text(feed.argument, "$since")
    if feed.limit:
        arguments += f", {page_size_text(feed.limit, '100')}"
    if feed.order:
        arguments += f", {feed.order}"
    selected = list(dict.fromkeys([*paths, feed.cursor or ""]))
    return _operation(f"query ChatFeed($since: {feed.scalar})", _field(feed, arguments, selected))


def sample_query(fetcher: Fetcher, count: int, paths: Sequence[str]) -> tuple[str, list[str]]:
    """A query for `count` users by id, and its variable names in id order."""
    if fetcher.strategy == "list":
        return users_document(fetcher, paths), ["ids"]
    names = [f"id{i}" for i in range(count)]
    declared = ", ".join(f"${name}: {_variable_type(fetcher)}" for name in names)
    lines = []
    for i, name in enumerate(names):
        lines += _field(fetcher, fetcher.call(f"${name}"), paths, alias=f"u{i}")
    return _operation(f"query InitSample({declared})", lines), names


def listing_query(listing: Listing, id_field: str, count: int) -> str:
    """A query listing the first `count` users' ids."""
    size = page_size_text(listing.limit_argument, str(count))
    return _operation("query InitListing", _field(listing, size, [id_field]))
