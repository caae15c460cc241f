"""Per-request state: the viewer and its token (each found at most once per request) and the users
DataLoader."""

from __future__ import annotations

import asyncio
import functools
import hmac
from collections.abc import Awaitable, Coroutine, Sequence
from typing import Any, TypeVar, cast

from starlette.datastructures import Headers
from starlette.types import Scope
from strawberry.dataloader import DataLoader

from adapter.directory import Directory, UserId
from adapter.errors import NotSignedIn
from adapter.mapping import ChatUser
from adapter.tokens import IssuedToken
from adapter.web.graphql.errors import ExpectedError
from adapter.web.graphql.services import FrontendApi, client_address

__all__ = ["ChatContext"]

T = TypeVar("T")

# One answer of a request, shared by every resolver that asks for it: `[None]` until the first
# asks, then the futures of the callers waiting for it, then `(answer, error)`.
_Shared = list[Any]


async def _shared(slot: _Shared, work: Coroutine[Any, Any, T]) -> T:
    """`work`'s answer (or error), awaited by the first caller and kept in `slot` for the others.
    Callers that come while it runs wait on futures made only then: most requests ask once, and a
    future and its await cost 3k instructions (an asyncio.Lock, 7k). Each waiter has a future of
    its own, so one cancelled leaves the others waiting."""
    state = slot[0]
    if state is None:
        waiting: list[asyncio.Future[None]] = []
        slot[0] = waiting
        try:
            answer = await work
        except Exception as exc:
            slot[0] = (None, exc)
            raise
        except BaseException:
            slot[0] = (None, asyncio.CancelledError())  # the first caller gave up
            raise
        else:
            slot[0] = (answer, None)
            return answer
        finally:
            for waiter in waiting:
                if not waiter.done():
                    waiter.set_result(None)
    work.close()  # the first caller's is the one awaited
    if isinstance(state, list):
        waiter = asyncio.get_running_loop().create_future()
        state.append(waiter)
        await waiter
        state = slot[0]
    answer, error = state
    if error is not None:
        raise error
    return cast("T", answer)


class ChatContext:
    """What every resolver finds in `info.context`; nothing here outlives the request."""

    def __init__(
        self, scope: Scope, headers: Headers, frontend: FrontendApi, directory: Directory
    ) -> None:
        self.scope = scope
        self.headers = headers
        self.frontend = frontend
        self.directory = directory
        self._viewer: _Shared = [None]
        self._token: _Shared = [None]

    @functools.cached_property
    def users(self) -> DataLoader[UserId, ChatUser | None]:
        """The request's users DataLoader, made when a resolver first asks (tokens never do)."""
        return DataLoader(load_fn=self._load_users)

    def identify(self) -> Awaitable[int | None]:
        """The signed-in user's id, or None; the per-address budget is spent once per request."""
        return _shared(
            self._viewer, self.frontend.identify(self.headers, client_address(self.scope))
        )

    def viewer_token(self) -> Awaitable[IssuedToken]:
        """The viewer's widget token, issued once per request however many fields ask (aliased
        chatWidget or issueChatToken fields): one unit of the viewer's budget spent, one outcome
        counted, and every field answered with the same token or the same refusal."""
        return _shared(self._token, self.frontend.viewer_token(self.identify))

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
