"""The site's user objects read as the chat's users: one id rule and one mapping for every call.

Users-info, friends, search and login all read user objects from the site's answers: their id
as text (a global id decoded, when the site sends them), that id as the chat's id type accepts
it, and the profile the mapping makes of the object. `shape_checked` is the one rule for an
answer that lacks the document's shape. Search results vary with the text and a login proves a
password, so `Accounts` asks the site each time, never through the directory's cache.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

import structlog

from adapter.config import Settings, chat_int_id
from adapter.errors import LoginRejected, UpstreamGraphQLError, UpstreamProtocolError
from adapter.globalids import build_global_ids
from adapter.mapping import ChatUser, UserMapper
from adapter.metrics import Metrics
from adapter.operations import Operations
from adapter.upstream import GraphQLResult, UpstreamClient

__all__ = ["Accounts", "SiteUsers", "UserId", "shape_checked"]

log = structlog.get_logger(__name__)

UserId = int | str


class SiteUsers:
    """Reads the site's user objects as configured: ids by `mapping.id`, profiles by the mapping."""

    def __init__(self, settings: Settings, metrics: Metrics | None = None) -> None:
        self.mapper = UserMapper(settings.mapping)
        self._dropped = metrics.users_dropped if metrics is not None else None
        self._global_ids = build_global_ids(settings.upstream.global_id)
        self._int_ids = settings.chat.ids.type == "int"
        self._str_id = re.compile(settings.chat.ids.str_pattern)

    def site_id(self, obj: Any) -> str | None:
        """The object's id as text, a global id decoded: what requested ids are matched with."""
        text = self.mapper.upstream_id(obj)
        if text is None or self._global_ids is None:
            return text
        return self._global_ids.local_id(text)

    def canonical_id(self, text: str | None) -> UserId | None:
        """An upstream id as the chat's id type would accept it in a request (an integer in the
        chat's range, ASCII digits only, or a string matching `chat.ids.str_pattern`), else None."""
        if text is None:
            return None
        if self._int_ids:
            return chat_int_id(text)
        return text if self._str_id.fullmatch(text) else None

    def bare_id(self, value: Any) -> UserId | None:
        """An id the site sent on its own (a number, or text that may be a global id) as the
        chat's id type accepts it, else None."""
        if isinstance(value, bool) or not isinstance(value, int | str):
            return None
        text = str(value)
        return self.canonical_id(
            text if self._global_ids is None else self._global_ids.local_id(text)
        )

    def chat_id(self, obj: Any) -> UserId | None:
        """The object's id as the chat's id type accepts it, else None."""
        return self.canonical_id(self.site_id(obj))

    def profile(self, obj: Any, user_id: UserId) -> ChatUser | None:
        """The chat's user for `obj` under `user_id`, or None (counted and logged) when no name
        can be produced."""
        user = self.mapper.to_chat_user(obj, user_id)
        if user is None:
            self._drop("no_name")
            log.warning("upstream_user_without_name", user_id=user_id)
        return user

    def chat_users(self, objects: Iterable[Any]) -> Iterator[tuple[UserId, ChatUser]]:
        """The objects with an id the chat accepts and a name, as the chat's users, with their
        ids; the others are left out (and counted in `users_dropped`)."""
        for obj in objects:
            user_id = self.chat_id(obj)
            if user_id is None:
                self._drop("bad_id")
            elif (user := self.profile(obj, user_id)) is not None:
                yield user_id, user

    def _drop(self, reason: str) -> None:
        if self._dropped is not None:
            self._dropped.labels(reason).inc()


@contextlib.contextmanager
def shape_checked(result: GraphQLResult) -> Iterator[None]:
    """An answer without the document's shape is a failure, never "no such users"; with GraphQL
    errors beside it, the null or missing result is what those errors explain."""
    try:
        yield
    except UpstreamProtocolError as exc:
        log.warning("upstream_answer_malformed", problem=exc.message, errors=len(result.errors))
        if result.errors:
            raise UpstreamGraphQLError(
                f"the site's GraphQL API answered with {len(result.errors)} error(s) "
                "and no usable data"
            ) from None
        raise


class Accounts:
    """Finds the site's users by text and signs them in by password, through its GraphQL API."""

    def __init__(
        self, *, settings: Settings, operations: Operations, upstream: UpstreamClient
    ) -> None:
        self._operations = operations
        self._upstream = upstream
        self._users = SiteUsers(settings)

    async def search(self, text: str) -> list[ChatUser]:
        """Users matching `text`, mapped as the chat expects; none without a search document."""
        query = self._operations.search
        if query is None:
            return []
        document, variables = query.request(text)
        result = await self._upstream.execute(document, variables)
        with shape_checked(result):
            objects = query.users(result.data)
        return [user for _, user in self._users.chat_users(objects)]

    async def login(self, username: str, password: str) -> ChatUser:
        """The chat's password login: the signed-in user, or LoginRejected."""
        query = self._operations.login
        if query is None:
            raise LoginRejected("password login is not configured")
        document, variables = query.request(username, password)
        result = await self._upstream.execute(document, variables, mutation=True)
        for _, user in self._users.chat_users([query.user(result.data)]):
            return user
        raise LoginRejected("Wrong login or password")
