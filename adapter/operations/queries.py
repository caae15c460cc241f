"""The other documents' requests and answers: search, login, a user's friends, notify."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapter.config import (
    FriendsOperation,
    LoginOperation,
    NotifyField,
    NotifyOperation,
    SearchOperation,
)
from adapter.globalids import GlobalIds
from adapter.operations.batches import user_list
from adapter.operations.document import IdWireType, Operation, to_wire
from adapter.paths import dig, read_answer

__all__ = ["FriendsQuery", "LoginQuery", "NotifyMutation", "SearchQuery"]


@dataclass(frozen=True)
class SearchQuery:
    operation: Operation
    query_variable: str
    result: tuple[str, ...]
    user_paths: frozenset[str]
    settings: SearchOperation

    def request(self, text: str) -> tuple[str, dict[str, Any]]:
        return self.operation.text, {**self.settings.variables, self.query_variable: text}

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
    user_paths: frozenset[str]
    settings: FriendsOperation
    global_ids: GlobalIds | None = None

    def request(self, user_id: int | str) -> tuple[str, dict[str, Any]]:
        return self.operation.text, {
            **self.settings.variables,
            self.user_variable: to_wire(user_id, self.wire, self.global_ids),
        }

    def friends(self, data: Mapping[str, Any]) -> list[Any] | None:
        """The friends' user objects; None where the site says null on the way (no such user).

        Anything else that is not the document's shape is an UpstreamProtocolError, as for
        users-info: a malformed answer must not read as "this user has no friends".
        """
        if read_answer(data, self.result) is None:
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
                    to_wire(value, self.user_id_wire, self.global_ids)
                    if source == "user_id"
                    else value
                )
        return self.operation.text, variables

    def accepted(self, data: Mapping[str, Any]) -> bool:
        return dig(data, self.result) is True
