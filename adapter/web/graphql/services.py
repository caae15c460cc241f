"""What the GraphQL API holds for the life of the process: opened by the runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

import httpx
from starlette.types import Scope

from adapter.config import GraphQLSettings, IdSettings, Settings, TokenSettings, WidgetSettings
from adapter.errors import AdapterError, NotSignedIn
from adapter.metrics import TOKEN_OUTCOMES, Metrics
from adapter.operations import Operations
from adapter.tokens import IssuedToken, widget_token
from adapter.viewer import ViewerSource, build_viewer
from adapter.web.graphql.ratelimit import TokenRateLimiter

__all__ = ["FrontendApi", "client_address", "open_frontend"]


def client_address(scope: Scope) -> str:
    """The caller's address, whose budget `FrontendApi.identify` spends: the scope's `client`
    (host, port), as Starlette's `Request.client` reads it, or "unknown"."""
    client = scope.get("client")
    return "unknown" if client is None else str(client[0])


@dataclass
class FrontendApi:
    """The viewer source, the token budgets and the settings the resolvers need."""

    graphql: GraphQLSettings
    ids: IdSettings
    tokens: TokenSettings
    widget: WidgetSettings
    script_url: str  # the widget's, with its id in it
    viewer: ViewerSource
    limiter: TokenRateLimiter
    metrics: Metrics

    async def identify(self, headers: Mapping[str, str], address: str) -> int | None:
        """The signed-in user's id, or None; spends one from the client address's budget."""
        await self.limiter.hit_ip(address)
        return await self.viewer.identify(headers)

    async def viewer_token(self, identify: Callable[[], Awaitable[int | None]]) -> IssuedToken:
        """A widget token for whoever `identify` says is signed in, spending one from the viewer's
        budget, its outcome counted (the one service behind `issueChatToken`, `chatWidget` and
        `gettoken`); raises NotSignedIn for nobody (chatWidget's anonymous answer)."""
        try:
            user_id = await identify()
            if user_id is None:
                raise NotSignedIn()
            await self.limiter.hit_viewer(user_id)
            issued = widget_token(self.tokens, user_id)
        except AdapterError as exc:
            # Each outcome is its error's code (a bug is none: not counted).
            outcome = exc.code.lower()
            if outcome in TOKEN_OUTCOMES:
                self.metrics.tokens.add(outcome)
            raise
        self.metrics.tokens.add("issued")
        return issued

    async def aclose(self) -> None:
        await self.viewer.aclose()
        await self.limiter.aclose()


def open_frontend(
    settings: Settings,
    operations: Operations,
    *,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None = None,
    url: str | None = None,
) -> FrontendApi:
    """Build the services for `settings.graphql` (which must be set, with tokens and viewer)."""
    assert settings.graphql is not None
    assert settings.tokens is not None
    return FrontendApi(
        graphql=settings.graphql,
        ids=settings.chat.ids,
        tokens=settings.tokens,
        widget=settings.widget,
        script_url=settings.widget.script_url.replace(
            "{widget_id}", quote(settings.chat.widget_id or "", safe="")
        ),
        viewer=build_viewer(settings, operations, metrics=metrics, transport=transport, url=url),
        metrics=metrics,
        limiter=TokenRateLimiter(
            settings.graphql.rate_limit,
            key_prefix=f"{settings.cache.prefix}ratelimit",
            log_interval=settings.cache.error_log_interval_seconds,
            socket_timeout=settings.cache.redis.socket_timeout,
            connect_timeout=settings.cache.redis.connect_timeout,
            pause_after_error=settings.cache.retry_after_error_seconds,
        ),
    )
