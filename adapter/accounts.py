"""The chat's user search and password login: asked of the site each time, never cached.

Search results vary with the text and a login proves a password, so neither goes through the
directory's profile cache; both map the site's user objects as users-info does (`site_users`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adapter.config import Settings
from adapter.errors import LoginRejected
from adapter.operations import Operations
from adapter.site_users import SiteUsers, shape_checked
from adapter.upstream import UpstreamClient

__all__ = ["Accounts"]


class Accounts:
    """Finds the site's users by text and signs them in by password, through its GraphQL API."""

    def __init__(
        self, *, settings: Settings, operations: Operations, upstream: UpstreamClient
    ) -> None:
        self._operations = operations
        self._upstream = upstream
        self._users = SiteUsers(settings)

    async def search(self, text: str) -> list[dict[str, Any]]:
        """Users matching `text`, mapped as the chat expects; none without a search document."""
        query = self._operations.search
        if query is None:
            return []
        document, variables = query.request(text)
        result = await self._upstream.execute(document, variables)
        with shape_checked(result):
            objects = query.users(result.data)
        return self._map_many(objects)

    async def login(self, username: str, password: str) -> dict[str, Any]:
        """The chat's password login: the signed-in user, or LoginRejected."""
        query = self._operations.login
        if query is None:
            raise LoginRejected("password login is not configured")
        document, variables = query.request(username, password)
        result = await self._upstream.execute(document, variables, mutation=True)
        users = self._map_many([query.user(result.data)])
        if not users:
            raise LoginRejected("Wrong login or password")
        return users[0]

    def _map_many(self, objects: Iterable[Any]) -> list[dict[str, Any]]:
        """The objects with an id the chat accepts and a name, as the chat's users."""
        users = []
        for obj in objects:
            user_id = self._users.chat_id(obj)
            if user_id is None:
                continue
            user = self._users.profile(obj, user_id)
            if user is not None:
                users.append(user)
        return users
