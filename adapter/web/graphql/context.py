"""Per-request state: the viewer (found at most once per request) and the users DataLoader."""

from __future__ import annotations

import asyncio
import functools
import hmac
from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import Scope
from strawberry.dataloader import DataLoader

from adapter.directory import Directory, UserId
from adapter.errors import NotSignedIn
from adapter.mapping import ChatUser
from adapter.web.graphql.errors import ExpectedError
from adapter.web.graphql.services import FrontendApi

__all__ = ["ChatContext"]

_UNKNOWN_ADDRESS = "unknown"


class ChatContext:
    """What every resolver finds in `info.context`; nothing here outlives the request."""

    def __init__(
        self, scope: Scope, headers: Headers, frontend: FrontendApi, directory: Directory
    ) -> None:
        self.scope = scope
        self.headers = headers
        self.frontend = frontend
        self.directory = directory
        self._viewer: asyncio.Future[int | None] | None = None

    @functools.cached_property
    def users(self) -> DataLoader[UserId, ChatUser | None]:
        """The request's users DataLoader, made when a resolver first asks (tokens never do)."""
        return DataLoader(load_fn=self._load_users)

    @property
    def client_address(self) -> str:
        client = self.scope.get("client")  # (host, port), as Starlette's Request.client reads it
        return _UNKNOWN_ADDRESS if client is None else str(client[0])

    async def identify(self) -> int | None:
        """The signed-in user's id, or None; the per-address budget is spent once per request."""
        # The first caller asks and leaves the answer (or the error) in a future that the
        # others await: an asyncio.Lock cost 7k instructions a request, most of which this saves.
        viewer = self._viewer
        if viewer is None:
            viewer = self._viewer = asyncio.get_running_loop().create_future()
            try:
                viewer.set_result(await self.frontend.identify(self.headers, self.client_address))
            except Exception as exc:
                viewer.set_exception(exc)
            except BaseException:
                viewer.cancel()
                raise
        return await viewer

    async def check_profiles_readable(self) -> None:
        """Profiles are for anyone with `graphql.chat_users_public`, else for a signed-in viewer."""
        if not self.frontend.graphql.chat_users_public and await self.identify() is None:
            raise NotSignedIn()

    def require_admin(self) -> None:
        """Return when the request carries the configured admin bearer token."""
        configured = self.frontend.graphql.admin_token
        if configured is None:
            raise ExpectedError(
                "invalidateChatUsers is off: no graphql.admin_token is configured.", "FORBIDDEN"
            )
        scheme, _, given = self.headers.get("authorization", "").partition(" ")
        expected = configured.get_secret_value().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
            raise ExpectedError("An admin token is required.", "FORBIDDEN")

    async def _load_users(self, ids: Sequence[UserId]) -> list[ChatUser | None]:
        found = {str(user["user_id"]): user for user in await self.directory.users(list(ids))}
        return [found.get(str(user_id)) for user_id in ids]
