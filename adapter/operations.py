"""The upstream operation documents in `resolvers/`: load, check, and build what is sent.

A site edits these documents to fit its own schema. They are parsed at start-up, so a typo is a
start-up error naming the file and line, not a failed request. For the `alias` strategy the users
document asks for one user; `AliasBatch` repeats its field once per id (`u0: user(id: $id_0)`),
so a chunk of ids still costs one HTTP request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from adapter.config import (
    FriendsOperation,
    LoginOperation,
    NotifyField,
    NotifyOperation,
    SearchOperation,
    Settings,
    UsersOperation,
)
from adapter.errors import ConfigError, UpstreamProtocolError
from adapter.globalids import GlobalIds, build_global_ids
from adapter.paths import dig

__all__ = [
    "ROUND_PAGE_SIZES",
    "AliasBatch",
    "FriendsQuery",
    "ListBatch",
    "LoginQuery",
    "NotifyMutation",
    "Operation",
    "SearchQuery",
    "UserPair",
    "UsersBatch",
    "build_operations",
    "cut_short",
    "load_operation",
    "user_list",
    "walk_selection",
]

IdWireType = Literal["int", "str"]
Within = TypeVar("Within")


def _at(data: Mapping[str, Any], path: Sequence[str], *, where: str) -> Any:
    """The value at `path`, None where a nullable field on the way is null.

    A key that is missing, or a step into something that is not an object, is not an answer to
    the document we sent: an `UpstreamProtocolError`, so that no id is taken for unknown.
    """
    value: Any = data
    for key in path:
        if value is None:
            return None
        if not isinstance(value, Mapping) or key not in value:
            raise UpstreamProtocolError(f"the site's answer has no {where!r}")
        value = value[key]
    return value


def _user_or_none(value: Any, *, where: str) -> Any:
    if value is not None and not isinstance(value, Mapping):
        raise UpstreamProtocolError(
            f"the site's answer has a value that is not a user object at {where!r}"
        )
    return value


def user_list(data: Mapping[str, Any], path: Sequence[str]) -> list[Any]:
    """The user objects at `path`, nulls left out; anything else is an UpstreamProtocolError.

    The list may stand at the end of the path (`allMembers.nodes`) or on the way to it
    (`allMembers.edges.node`: each edge holds one user). A null where the list should be is
    not an answer either: it would take every requested id for unknown.
    """
    where = ".".join(path)
    value: Any = data
    for position, key in enumerate(path):
        if isinstance(value, list):
            rest = path[position:]
            found = [_user_or_none(_at(item, rest, where=where), where=where) for item in value]
            return [user for user in found if user is not None]
        if not isinstance(value, Mapping) or key not in value or value[key] is None:
            raise UpstreamProtocolError(f"the site's answer has no list of users at {where!r}")
        value = value[key]
    if not isinstance(value, list):
        raise UpstreamProtocolError(f"the site's answer has no list of users at {where!r}")
    return [user for item in value if (user := _user_or_none(item, where=where)) is not None]


def _null_before_a_list(data: Mapping[str, Any], path: Sequence[str]) -> bool:
    """Whether a field on `path` is null before any list is reached (`user: null`)."""
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return False
        value = value[key]
        if value is None:
            return True
        if isinstance(value, list):
            return False
    return False


# Page sizes that sites default to or cap at: fewer users than ids, exactly this many, is a page.
ROUND_PAGE_SIZES = frozenset({10, 20, 25, 30, 50, 100, 200, 250, 500, 1000})


def _next_page(data: Mapping[str, Any], path: Sequence[str]) -> bool:
    """Whether an object on the way to the users says more follow: a connection's
    `pageInfo.hasNextPage`, or Strapi's `meta.pagination` with pages after this one."""
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping):
            return False
        page_info = value.get("pageInfo")
        if isinstance(page_info, Mapping) and page_info.get("hasNextPage") is True:
            return True
        meta = value.get("meta")
        pagination = meta.get("pagination") if isinstance(meta, Mapping) else None
        if isinstance(pagination, Mapping):
            page, count = pagination.get("page"), pagination.get("pageCount")
            if isinstance(page, int) and isinstance(count, int) and count > page:
                return True
        value = value.get(key)
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


# Where the objects sit below a connection field, in the order tried.
_CONNECTION_PATHS = (("nodes",), ("edges", "node"))


@dataclass(frozen=True)
class Operation:
    """One parsed document with its single operation and its fragments."""

    source: str
    document: DocumentNode
    definition: OperationDefinitionNode
    fragments: Mapping[str, FragmentDefinitionNode]

    @property
    def text(self) -> str:
        return print_ast(self.document)

    @property
    def variables(self) -> dict[str, VariableDefinitionNode]:
        definitions = self.definition.variable_definitions or ()
        return {var.variable.name.value: var for var in definitions}

    @property
    def top_fields(self) -> list[FieldNode]:
        return [s for s in self.definition.selection_set.selections if isinstance(s, FieldNode)]

    def problem(self, message: str) -> ConfigError:
        return ConfigError([f"{self.source}: {message}"], source="operation document")

    def variable(self, name: str | None, *, role: str) -> str:
        """The named variable, or the only one when no name is configured."""
        names = list(self.variables)
        if name is None:
            if len(names) != 1:
                raise self.problem(
                    f"cannot tell which variable carries the {role}: "
                    f"the operation declares {names or 'none'}; configure it by name"
                )
            return names[0]
        if name not in names:
            raise self.problem(f"the operation declares no variable ${name} for the {role}")
        return name

    def result_path(self, configured: str | None) -> tuple[str, ...]:
        """The configured path, else the only top-level field, followed into `nodes` or
        `edges.node` when it is a connection that selects them."""
        if configured:
            return tuple(configured.split("."))
        fields = self.top_fields
        if len(fields) != 1:
            raise self.problem("more than one top-level field: configure result_path")
        top = (_response_key(fields[0]),)
        for below in _CONNECTION_PATHS:
            if self._selects_objects((*top, *below)):
                return (*top, *below)
        return top

    def _selects_objects(self, path: Sequence[str]) -> bool:
        selection: SelectionSetNode | None = self.definition.selection_set
        for key in path:
            selection = _find_field_selection(selection, key, self.fragments)
            if selection is None:
                return False
        return True

    def selected_under(self, path: str, result: Sequence[str]) -> str | None:
        """The result path to use when `path` is selected not under `result` but under its
        connection's `nodes` or `edges.node`, or under a shorter result path."""
        everything = self.selected_paths(())
        candidates = [(*result, *below) for below in _CONNECTION_PATHS]
        candidates += [tuple(result[:end]) for end in range(len(result) - 1, 0, -1)]
        for candidate in candidates:
            if ".".join((*candidate, path)) in everything:
                return ".".join(candidate)
        return None

    def selected_paths(self, below: Sequence[str]) -> frozenset[str]:
        """Dotted paths of every field selected under the response path `below`."""
        selection: SelectionSetNode | None = self.definition.selection_set
        for key in below:
            selection = _find_field_selection(selection, key, self.fragments)
            if selection is None:
                raise self.problem(f"result path {'.'.join(below)!r} is not selected")
        return _collect_paths(selection, self.fragments)


def load_operation(path: Path) -> Operation:
    """Parse a document holding exactly one operation (plus any fragments)."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [f"{path.absolute()}: cannot read: {exc.strerror}"], source="operation document"
        ) from None
    try:
        document = parse(text)
    except GraphQLError as exc:
        where = ""
        if exc.locations:
            where = f"line {exc.locations[0].line}, column {exc.locations[0].column}: "
        raise ConfigError(
            [f"{source}: {where}{exc.message}"], source="operation document"
        ) from None
    definitions = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if len(definitions) != 1:
        raise ConfigError(
            [f"{source}: must hold exactly one operation, found {len(definitions)}"],
            source="operation document",
        )
    return Operation(source, document, definitions[0], fragments)


def _response_key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


def walk_selection(
    selection: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    within: Within,
    enter_field: Callable[[FieldNode, str, Within], Within | None],
    enter_fragment: Callable[[str, Within], Within | None] | None = None,
    prefix: str = "",
) -> None:
    """Visit every field selected under `selection`, depth first in document order, through
    inline fragments and the document's named fragments.

    `enter_field(node, path, within)` sees each field with its dotted response path (aliases
    followed) and returns what its own selection is walked `within`, or None to skip it.
    `enter_fragment(type_condition, within)` does the same for a fragment with a type condition
    (without it, fragments are walked within what holds them).
    """
    if selection is None:
        return
    for node in selection.selections:
        inner: Within | None
        if isinstance(node, FieldNode):
            path = f"{prefix}{_response_key(node)}"
            inner = enter_field(node, path, within)
            if inner is not None:
                walk_selection(
                    node.selection_set, fragments, inner, enter_field, enter_fragment, f"{path}."
                )
            continue
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            below = node.selection_set
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
            fragment = fragments[node.name.value]
            condition, below = fragment.type_condition.name.value, fragment.selection_set
        else:
            continue
        inner = within
        if condition is not None and enter_fragment is not None:
            inner = enter_fragment(condition, within)
        if inner is not None:
            walk_selection(below, fragments, inner, enter_field, enter_fragment, prefix)


def _find_field_selection(
    selection: SelectionSetNode | None, key: str, fragments: Mapping[str, FragmentDefinitionNode]
) -> SelectionSetNode | None:
    """The selection of the first field answering at `key` directly under `selection`."""
    found: list[SelectionSetNode | None] = []

    def match(node: FieldNode, path: str, within: bool) -> bool | None:
        if path == key:
            found.append(node.selection_set)
        return None  # one level only

    walk_selection(selection, fragments, True, match)
    return found[0] if found else None


def _collect_paths(
    selection: SelectionSetNode | None, fragments: Mapping[str, FragmentDefinitionNode]
) -> frozenset[str]:
    paths: set[str] = set()

    def collect(node: FieldNode, path: str, within: bool) -> bool:
        paths.add(path)
        return within

    walk_selection(selection, fragments, True, collect)
    return frozenset(paths)


def _named_type(node: TypeNode) -> str:
    while isinstance(node, NonNullTypeNode | ListTypeNode):
        node = node.type
    assert isinstance(node, NamedTypeNode)  # the grammar leaves no other case
    return node.name.value


def _is_list(node: TypeNode) -> bool:
    if isinstance(node, NonNullTypeNode):
        node = node.type
    return isinstance(node, ListTypeNode)


def _wire_type(definition: VariableDefinitionNode) -> IdWireType:
    return "int" if _named_type(definition.type) == "Int" else "str"


# An answer's object paired with the requested id it answers; None: it answers none of them.
UserPair = tuple[int | str | None, Any]


class UsersBatch(Protocol):
    """A batch strategy: how to ask the site for a chunk of users, and how to pair each user
    object in the answer with the id it was requested by. A new strategy is a class here, built
    by `_users_batch` (and its name in the configuration); the directory sees only this."""

    @property
    def operation(self) -> Operation: ...

    @property
    def user_paths(self) -> frozenset[str]: ...

    @property
    def result_path(self) -> tuple[str, ...]: ...

    def request(self, ids: Sequence[int | str]) -> tuple[str, dict[str, Any]]: ...

    def cut_short(self, data: Mapping[str, Any], *, asked: int, got: int) -> str | None:
        """Why the answer's `got` users for `asked` ids look like a page of it, else None."""
        ...

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
        ...


def _requested(ids: Sequence[int | str]) -> dict[str, int | str]:
    return {str(user_id): user_id for user_id in ids}


@dataclass
class ListBatch:
    """`users(ids: $ids)`: the whole chunk goes in one list variable."""

    operation: Operation
    ids_variable: str
    wire: IdWireType
    result: tuple[str, ...]
    constants: Mapping[str, Any]
    user_paths: frozenset[str] = frozenset()
    global_ids: GlobalIds | None = None

    @property
    def result_path(self) -> tuple[str, ...]:
        return self.result

    def request(self, ids: Sequence[int | str]) -> tuple[str, dict[str, Any]]:
        wire = [_to_wire(i, self.wire, self.global_ids) for i in ids]
        return self.operation.text, {**self.constants, self.ids_variable: wire}

    def users(self, data: Mapping[str, Any], ids: Sequence[int | str]) -> list[Any]:
        """The user objects in the answer, in the site's order (any of them may be unasked)."""
        return user_list(data, self.result)

    def cut_short(self, data: Mapping[str, Any], *, asked: int, got: int) -> str | None:
        return cut_short(data, self.result, asked=asked, got=got)

    def pairs(
        self,
        data: Mapping[str, Any],
        ids: Sequence[int | str],
        site_id: Callable[[Any], str | None],
    ) -> Iterator[UserPair]:
        requested = _requested(ids)
        for obj in self.users(data, ids):
            text = site_id(obj)
            yield (requested.get(text) if text is not None else None), obj


@dataclass
class AliasBatch:
    """`user(id: $id)`: one aliased copy of the field per id, in one document."""

    operation: Operation
    id_variable: str
    wire: IdWireType
    below: tuple[str, ...]  # the result path under the aliased field
    constants: Mapping[str, Any]
    user_paths: frozenset[str] = frozenset()
    global_ids: GlobalIds | None = None
    _documents: dict[int, str] = field(default_factory=dict)

    @property
    def result_path(self) -> tuple[str, ...]:
        return (_response_key(self.operation.top_fields[0]), *self.below)

    def request(self, ids: Sequence[int | str]) -> tuple[str, dict[str, Any]]:
        text = self._documents.get(len(ids))
        if text is None:
            text = self._documents[len(ids)] = self._build(len(ids))
        variables = {
            f"{self.id_variable}_{i}": _to_wire(v, self.wire, self.global_ids)
            for i, v in enumerate(ids)
        }
        return text, {**self.constants, **variables}

    def cut_short(self, data: Mapping[str, Any], *, asked: int, got: int) -> str | None:
        return None  # one field per id: no page to cut

    def users(self, data: Mapping[str, Any], ids: Sequence[int | str]) -> list[Any]:
        """The object at each id's aliased field, in the order of `ids` (None: no such user)."""
        # A null aliased field is a user the site does not have; a missing one is no answer.
        users = []
        for i in range(len(ids)):
            where = ".".join((f"u{i}", *self.below))
            users.append(_user_or_none(_at(data, (f"u{i}", *self.below), where=where), where=where))
        return users

    def pairs(
        self,
        data: Mapping[str, Any],
        ids: Sequence[int | str],
        site_id: Callable[[Any], str | None],
    ) -> Iterator[UserPair]:
        # The field `u{i}` answers `ids[i]` only: an object there with another id answers none.
        requested = _requested(ids)
        for expected, obj in zip(ids, self.users(data, ids), strict=True):
            if obj is None:
                continue
            text = site_id(obj)
            found = requested.get(text) if text is not None else None
            yield (found if found == expected else None), obj

    def _build(self, count: int) -> str:
        definition = self.operation.definition
        (top,) = self.operation.top_fields
        id_definition = self.operation.variables[self.id_variable]
        variable_definitions: list[VariableDefinitionNode] = []
        for var in definition.variable_definitions or ():
            if var is not id_definition:
                variable_definitions.append(var)
                continue
            for i in range(count):
                renamed = VariableNode(name=NameNode(value=f"{self.id_variable}_{i}"))
                variable_definitions.append(replace(var, variable=renamed))
        selections = []
        for i in range(count):
            renamed_field = visit(top, _RenameVariable(self.id_variable, f"_{i}"))
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


def _to_wire(value: int | str, wire: IdWireType, global_ids: GlobalIds | None) -> int | str:
    if global_ids is not None:
        return global_ids.encode(value)
    return int(value) if wire == "int" else str(value)


@dataclass(frozen=True)
class SearchQuery:
    operation: Operation
    query_variable: str
    result: tuple[str, ...]
    constants: Mapping[str, Any]
    user_paths: frozenset[str]
    settings: SearchOperation

    def request(self, text: str) -> tuple[str, dict[str, Any]]:
        return self.operation.text, {**self.constants, self.query_variable: text}

    def users(self, data: Mapping[str, Any]) -> list[Any]:
        return user_list(data, self.result)


@dataclass(frozen=True)
class LoginQuery:
    operation: Operation
    settings: LoginOperation
    result: tuple[str, ...]
    user_paths: frozenset[str]

    def request(self, username: str, password: str) -> tuple[str, dict[str, Any]]:
        variables = {
            self.settings.username_variable: username,
            self.settings.password_variable: password,
        }
        return self.operation.text, variables

    def user(self, data: Mapping[str, Any]) -> Any:
        return dig(data, self.result)


@dataclass(frozen=True)
class FriendsQuery:
    """One user's friends: a list of user objects at `result`; null there: no such user."""

    operation: Operation
    user_variable: str
    wire: IdWireType
    result: tuple[str, ...]
    constants: Mapping[str, Any]
    user_paths: frozenset[str]
    settings: FriendsOperation
    global_ids: GlobalIds | None = None

    def request(self, user_id: int | str) -> tuple[str, dict[str, Any]]:
        return self.operation.text, {
            **self.constants,
            self.user_variable: _to_wire(user_id, self.wire, self.global_ids),
        }

    def friends(self, data: Mapping[str, Any]) -> list[Any] | None:
        """The friends' user objects; None where the site says null on the way (no such user).

        Anything else that is not the document's shape is an UpstreamProtocolError, as for
        users-info: a malformed answer must not read as "this user has no friends".
        """
        if _null_before_a_list(data, self.result):
            return None
        return user_list(data, self.result)


@dataclass(frozen=True)
class NotifyMutation:
    """The site's notification mutation; its variables are filled from the chat's request."""

    operation: Operation
    settings: NotifyOperation
    result: tuple[str, ...]
    # Request fields the mutation cannot do without (their variables are declared non-null).
    required: frozenset[NotifyField]
    user_id_wire: IdWireType
    global_ids: GlobalIds | None = None

    def request(self, fields: Mapping[NotifyField, int | str]) -> tuple[str, dict[str, Any]]:
        variables: dict[str, Any] = dict(self.settings.constants)
        for variable, source in self.settings.variables.items():
            if source in fields:
                value = fields[source]
                variables[variable] = (
                    _to_wire(value, self.user_id_wire, self.global_ids)
                    if source == "user_id"
                    else value
                )
        return self.operation.text, variables

    def accepted(self, data: Mapping[str, Any]) -> bool:
        return dig(data, self.result) is True


def _friends_query(settings: Settings, config: FriendsOperation) -> FriendsQuery:
    operation = load_operation(settings.resolve(config.document))
    name = operation.variable(config.user_variable, role="user id")
    if _is_list(operation.variables[name].type):
        raise operation.problem(f"${name} must be a single user id")
    result = operation.result_path(config.result_path)
    return FriendsQuery(
        operation,
        name,
        _wire_type(operation.variables[name]),
        result,
        config.variables,
        operation.selected_paths(result),
        config,
        build_global_ids(settings.upstream.global_id),
    )


def _notify_mutation(settings: Settings, config: NotifyOperation) -> NotifyMutation:
    operation = load_operation(settings.resolve(config.document))
    if operation.definition.operation.value != "mutation":
        raise operation.problem("the notify document must be a mutation")
    declared = operation.variables
    problems = [
        f"the operation declares no variable ${name} (upstream.operations.notify)"
        for name in (*config.variables, *config.constants)
        if name not in declared
    ]
    problems += [
        f"${name} is required by the mutation but neither mapped nor constant"
        for name, definition in declared.items()
        if isinstance(definition.type, NonNullTypeNode)
        and definition.default_value is None
        and name not in config.variables
        and name not in config.constants
    ]
    if problems:
        raise ConfigError(
            [f"{operation.source}: {p}" for p in problems], source="operation document"
        )
    required = frozenset(
        source
        for name, source in config.variables.items()
        if isinstance(declared[name].type, NonNullTypeNode) and declared[name].default_value is None
    )
    user_variables = [n for n, source in config.variables.items() if source == "user_id"]
    wire: IdWireType = _wire_type(declared[user_variables[0]]) if user_variables else "str"
    return NotifyMutation(
        operation,
        config,
        operation.result_path(config.result_path),
        required,
        wire,
        build_global_ids(settings.upstream.global_id),
    )


def _users_batch(settings: Settings, config: UsersOperation) -> UsersBatch:
    operation = load_operation(settings.resolve(config.document))
    strategy = settings.upstream.batch.strategy
    id_role = "list of ids" if strategy == "list" else "user id"
    name = operation.variable(config.ids_variable, role=id_role)
    definition = operation.variables[name]
    result = operation.result_path(config.result_path)
    user_paths = operation.selected_paths(result)
    global_ids = build_global_ids(settings.upstream.global_id)
    if global_ids is not None and _wire_type(definition) == "int":
        raise operation.problem(
            f"${name} is declared Int, but upstream.global_id sends global ids, which are text"
        )
    if strategy == "list":
        if not _is_list(definition.type):
            raise operation.problem(f"${name} must be a list for the list strategy")
        return ListBatch(
            operation,
            name,
            _wire_type(definition),
            result,
            config.variables,
            user_paths=user_paths,
            global_ids=global_ids,
        )
    if _is_list(definition.type):
        raise operation.problem(f"${name} must be a single id for the alias strategy")
    if len(operation.top_fields) != 1 or len(operation.definition.selection_set.selections) != 1:
        raise operation.problem("the alias strategy needs exactly one top-level field to repeat")
    # selected_paths() above has checked that `result` starts at the only top-level field.
    return AliasBatch(
        operation,
        name,
        _wire_type(definition),
        result[1:],
        config.variables,
        user_paths=user_paths,
        global_ids=global_ids,
    )


@dataclass(frozen=True)
class Operations:
    users: UsersBatch
    search: SearchQuery | None
    login: LoginQuery | None
    viewer: Operation | None
    friends: FriendsQuery | None = None
    notify: NotifyMutation | None = None

    def documents(self) -> Iterator[tuple[str, Operation]]:
        """Each configured operation's document, by its name in `upstream.operations`."""
        yield "users", self.users.operation
        for name, query in (
            ("search", self.search),
            ("login", self.login),
            ("viewer", self.viewer),
            ("friends", self.friends),
            ("notify", self.notify),
        ):
            if isinstance(query, Operation):
                yield name, query
            elif query is not None:
                yield name, query.operation

    def returning_users(
        self,
    ) -> Iterator[tuple[str, frozenset[str], Operation, tuple[str, ...]]]:
        """Name, selected user paths, document and result path of each document whose answer
        the mapping reads (users, search, friends)."""
        yield "users", self.users.user_paths, self.users.operation, self.users.result_path
        if self.search is not None:
            yield "search", self.search.user_paths, self.search.operation, self.search.result
        if self.friends is not None:
            yield "friends", self.friends.user_paths, self.friends.operation, self.friends.result


def build_operations(settings: Settings) -> Operations:
    """Load and check every configured document; raise ConfigError listing every problem."""
    problems: list[str] = []
    users: UsersBatch | None = None
    search = login = None
    viewer = None
    configured = settings.upstream.operations
    try:
        users = _users_batch(settings, configured.users)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if configured.search is not None:
        try:
            operation = load_operation(settings.resolve(configured.search.document))
            variable = operation.variable(configured.search.query_variable, role="search text")
            result = operation.result_path(configured.search.result_path)
            search = SearchQuery(
                operation,
                variable,
                result,
                configured.search.variables,
                operation.selected_paths(result),
                configured.search,
            )
        except ConfigError as exc:
            problems.extend(exc.problems)
    if configured.login is not None:
        try:
            operation = load_operation(settings.resolve(configured.login.document))
            for name in (configured.login.username_variable, configured.login.password_variable):
                operation.variable(name, role="login")
            result = tuple(configured.login.result_path.split("."))
            login = LoginQuery(
                operation, configured.login, result, operation.selected_paths(result)
            )
        except ConfigError as exc:
            problems.extend(exc.problems)
    if configured.viewer is not None:
        try:
            viewer = load_operation(settings.resolve(configured.viewer.document))
        except ConfigError as exc:
            problems.extend(exc.problems)
    friends = notify = None
    if configured.friends is not None:
        try:
            friends = _friends_query(settings, configured.friends)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if configured.notify is not None:
        try:
            notify = _notify_mutation(settings, configured.notify)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems or users is None:
        raise ConfigError(problems, source="operation documents")
    return Operations(users, search, login, viewer, friends, notify)
