"""The batch strategies (`UsersBatch`). The users in an answer are read strictly
(`paths.read_answer`): an answer without the document's shape is an `UpstreamProtocolError`,
never "these users do not exist"."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from graphql import (
    DocumentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    print_ast,
    visit,
)

from adapter.errors import UpstreamProtocolError
from adapter.globalids import GlobalIds
from adapter.operations.document import IdWireType, Operation, to_wire
from adapter.operations.selection import response_key
from adapter.paths import dig, read_answer

__all__ = [
    "ROUND_PAGE_SIZES",
    "AliasBatch",
    "ListBatch",
    "UserPair",
    "UsersBatch",
    "cut_short",
    "user_list",
]


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


# An answer's object paired with the requested id it answers; None: it answers none of them.
UserPair = tuple[int | str | None, Any]


@dataclass
class UsersBatch:
    """A batch strategy: how to ask the site for a chunk of users, and how to pair each user
    object in the answer with the id it was requested by. A new strategy is a subclass here,
    built by `operations._users_batch` (and named in the configuration); the directory sees only
    this class."""

    operation: Operation
    variable: str  # the variable of the ids (list) or of the one id (alias)
    wire: IdWireType
    path: tuple[str, ...]  # the result path (list), or the path under each aliased field (alias)
    constants: Mapping[str, Any]
    user_paths: frozenset[str] = frozenset()
    global_ids: GlobalIds | None = None
    # Whether the object at each place of `users` answers the id at that place only.
    by_place: ClassVar[bool] = False

    @property
    def result_path(self) -> tuple[str, ...]:
        return self.path

    def request(self, ids: Sequence[int | str]) -> tuple[str, dict[str, Any]]:
        raise NotImplementedError

    def cut_short(self, data: Mapping[str, Any], *, asked: int, got: int) -> str | None:
        """Why the answer's `got` users for `asked` ids look like a page of it, else None."""
        return None

    def users(self, data: Mapping[str, Any], ids: Sequence[int | str]) -> list[Any]:
        """The user objects in the answer (None: a place that holds no user)."""
        raise NotImplementedError

    def pairs(
        self,
        data: Mapping[str, Any],
        ids: Sequence[int | str],
        site_id: Callable[[Any], str | None],
    ) -> Iterator[UserPair]:
        """Each user object in the answer with the requested id it answers, found by its
        `site_id` (the object's id as text); None for one that answers no requested id.

        Raises UpstreamProtocolError when the answer does not have the document's shape.
        """
        requested = {str(user_id): user_id for user_id in ids}
        users = self.users(data, ids)
        for expected, obj in zip(ids if self.by_place else [None] * len(users), users, strict=True):
            if obj is None:
                continue
            text = site_id(obj)
            found = requested.get(text) if text is not None else None
            yield (found if expected is None or found == expected else None), obj


@dataclass
class ListBatch(UsersBatch):
    """`users(ids: $ids)`: the whole chunk goes in one list variable."""

    def request(self, ids: Sequence[int | str]) -> tuple[str, dict[str, Any]]:
        wire = [to_wire(i, self.wire, self.global_ids) for i in ids]
        return self.operation.text, {**self.constants, self.variable: wire}

    def cut_short(self, data: Mapping[str, Any], *, asked: int, got: int) -> str | None:
        return cut_short(data, self.path, asked=asked, got=got)

    def users(self, data: Mapping[str, Any], ids: Sequence[int | str]) -> list[Any]:
        """The user objects in the answer, in the site's order (any of them may be unasked)."""
        return user_list(data, self.path)


@dataclass
class AliasBatch(UsersBatch):
    """`user(id: $id)`: one aliased copy of the field per id (`u0: user(id: $id_0)`), so a chunk
    still costs one request; the field `u{i}` answers `ids[i]` only (an object there with
    another id answers none)."""

    by_place = True
    _documents: dict[int, str] = field(default_factory=dict)

    @property
    def result_path(self) -> tuple[str, ...]:
        return (response_key(self.operation.top_fields[0]), *self.path)

    def request(self, ids: Sequence[int | str]) -> tuple[str, dict[str, Any]]:
        text = self._documents.get(len(ids))
        if text is None:
            text = self._documents[len(ids)] = self._build(len(ids))
        variables = {
            f"{self.variable}_{i}": to_wire(v, self.wire, self.global_ids)
            for i, v in enumerate(ids)
        }
        return text, {**self.constants, **variables}

    def users(self, data: Mapping[str, Any], ids: Sequence[int | str]) -> list[Any]:
        """The object at each id's aliased field, in the order of `ids` (None: no such user)."""
        # A null aliased field is a user the site does not have; a missing one is no answer.
        paths = [(f"u{i}", *self.path) for i in range(len(ids))]
        return [user_or_none(read_answer(data, path), path) for path in paths]

    def _build(self, count: int) -> str:
        definition = self.operation.definition
        (top,) = self.operation.top_fields
        id_definition = self.operation.variables[self.variable]
        variable_definitions: list[VariableDefinitionNode] = []
        for var in definition.variable_definitions or ():
            if var is not id_definition:
                variable_definitions.append(var)
                continue
            for i in range(count):
                renamed = VariableNode(name=NameNode(value=f"{self.variable}_{i}"))
                variable_definitions.append(replace(var, variable=renamed))
        selections = []
        for i in range(count):
            renamed_field = visit(top, _RenameVariable(self.variable, f"_{i}"))
            selections.append(replace(renamed_field, alias=NameNode(value=f"u{i}")))
        operation = OperationDefinitionNode(
            operation=definition.operation,
            name=definition.name,
            directives=definition.directives,
            variable_definitions=tuple(variable_definitions),
            selection_set=SelectionSetNode(selections=tuple(selections)),
        )
        document = DocumentNode(
            definitions=(operation, *self.operation.fragments.values()),
        )
        return print_ast(document)


class _RenameVariable(Visitor):
    def __init__(self, name: str, suffix: str) -> None:
        super().__init__()
        self.name = name
        self.suffix = suffix

    def enter_variable(self, node: VariableNode, *_: object) -> VariableNode | None:
        if node.name.value != self.name:
            return None
        return VariableNode(name=NameNode(value=node.name.value + self.suffix))
