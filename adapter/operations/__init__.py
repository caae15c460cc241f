"""The upstream operation documents in `resolvers/` (a site edits them to fit its schema),
loaded and checked at start-up into what each call sends and reads: `build_operations(settings)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from graphql import NonNullTypeNode

from adapter.config import (
    FriendsOperation,
    LoginOperation,
    NotifyOperation,
    SearchOperation,
    Settings,
    UsersOperation,
    ViewerOperation,
)
from adapter.errors import ConfigError
from adapter.globalids import build_global_ids
from adapter.operations.batches import AliasBatch, ListBatch, UsersBatch
from adapter.operations.document import IdWireType, Operation, is_list, load_operation, wire_type
from adapter.operations.queries import FriendsQuery, LoginQuery, NotifyMutation, SearchQuery

__all__ = ["Operations", "build_operations"]

Config = TypeVar("Config")
Built = TypeVar("Built")


def _friends_query(settings: Settings, config: FriendsOperation) -> FriendsQuery:
    operation = load_operation(settings.resolve(config.document))
    name = operation.variable(config.user_variable, role="user id")
    if is_list(operation.variables[name].type):
        raise operation.problem(f"${name} must be a single user id")
    result = operation.result_path(config.result_path)
    return FriendsQuery(
        operation,
        name,
        wire_type(operation.variables[name]),
        result,
        operation.selected_paths(result),
        config,
        build_global_ids(settings.upstream.global_id),
    )


def _notify_mutation(settings: Settings, config: NotifyOperation) -> NotifyMutation:
    operation = load_operation(settings.resolve(config.document))
    if operation.definition.operation.value != "mutation":
        raise operation.problem("the notify document must be a mutation")
    declared = operation.variables
    required = [
        name
        for name, definition in declared.items()
        if isinstance(definition.type, NonNullTypeNode) and definition.default_value is None
    ]
    problems = [
        f"the operation declares no variable ${name} (upstream.operations.notify)"
        for name in (*config.variables, *config.constants)
        if name not in declared
    ]
    problems += [
        f"${name} is required by the mutation but neither mapped nor constant"
        for name in required
        if name not in config.variables and name not in config.constants
    ]
    if problems:
        raise ConfigError(
            [f"{operation.source}: {p}" for p in problems], source="operation document"
        )
    user_variables = [n for n, source in config.variables.items() if source == "user_id"]
    wire: IdWireType = wire_type(declared[user_variables[0]]) if user_variables else "str"
    return NotifyMutation(
        operation,
        config,
        operation.result_path(config.result_path),
        frozenset(config.variables[name] for name in required if name in config.variables),
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
    if global_ids is not None and wire_type(definition) == "int":
        raise operation.problem(
            f"${name} is declared Int, but upstream.global_id sends global ids, which are text"
        )
    batch: type[UsersBatch] = ListBatch
    if strategy == "list" and not is_list(definition.type):
        raise operation.problem(f"${name} must be a list for the list strategy")
    if strategy == "alias":
        if is_list(definition.type):
            raise operation.problem(f"${name} must be a single id for the alias strategy")
        if (
            len(operation.top_fields) != 1
            or len(operation.definition.selection_set.selections) != 1
        ):
            raise operation.problem(
                "the alias strategy needs exactly one top-level field to repeat"
            )
        # selected_paths() above has checked that `result` starts at the only top-level field.
        batch, result = AliasBatch, result[1:]
    return batch(
        operation,
        name,
        wire_type(definition),
        result,
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
        for name in ("search", "login", "viewer", "friends", "notify"):
            query = getattr(self, name)
            if query is not None:
                yield name, query if isinstance(query, Operation) else query.operation

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


def _search_query(settings: Settings, config: SearchOperation) -> SearchQuery:
    operation = load_operation(settings.resolve(config.document))
    variable = operation.variable(config.query_variable, role="search text")
    result = operation.result_path(config.result_path)
    return SearchQuery(operation, variable, result, operation.selected_paths(result), config)


def _login_query(settings: Settings, config: LoginOperation) -> LoginQuery:
    operation = load_operation(settings.resolve(config.document))
    for name in (config.username_variable, config.password_variable):
        operation.variable(name, role="login")
    result = tuple(config.result_path.split("."))
    return LoginQuery(operation, config, result, operation.selected_paths(result))


def _viewer_query(settings: Settings, config: ViewerOperation) -> Operation:
    return load_operation(settings.resolve(config.document))


def build_operations(settings: Settings) -> Operations:
    """Load and check every configured document; raise ConfigError listing every problem."""
    problems: list[str] = []

    def built(build: Callable[[Settings, Config], Built], config: Config | None) -> Built | None:
        if config is None:
            return None
        try:
            return build(settings, config)
        except ConfigError as exc:
            problems.extend(exc.problems)
            return None

    configured = settings.upstream.operations
    users = built(_users_batch, configured.users)
    search = built(_search_query, configured.search)
    login = built(_login_query, configured.login)
    viewer = built(_viewer_query, configured.viewer)
    friends = built(_friends_query, configured.friends)
    notify = built(_notify_mutation, configured.notify)
    if problems or users is None:
        raise ConfigError(problems, source="operation documents")
    return Operations(users, search, login, viewer, friends, notify)
