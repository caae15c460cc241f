"""The chat's user search and password login: asked of the site each time, never cached.

Search results vary with the text and a login proves a password, so neither goes through the
directory's profile cache; both map the site's user objects as users-info does (`site_users`).
"""

from __future__ import annotations

from adapter.config import Settings
from adapter.errors import LoginRejected
from adapter.mapping import ChatUser
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
