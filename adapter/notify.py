"""The chat's notifications, relayed to the site through its notification mutation.

The site decides how to reach the user (push, email, its own inbox); the adapter only fills the
mutation's variables from the chat's request. A mutation is retried only when it never left
(the upstream client's rule), so the user is never told twice because of a retry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import cast

from adapter.config import NotifyField
from adapter.errors import NotificationRefused, UpstreamGraphQLError
from adapter.operations.queries import NotifyMutation
from adapter.upstream import UpstreamClient

__all__ = ["Notification", "Notifier"]


@dataclass(frozen=True, slots=True)
class Notification:
    """What the chat asked the site to tell a user; checked by the web layer."""

    body: str
    title: str | None = None
    email_to: str | None = None
    user_id: int | str | None = None

    def fields(self) -> dict[NotifyField, int | str]:
        # Each field is named as the request field it holds (`NotifyField`).
        given = cast(dict[NotifyField, int | str | None], asdict(self))
        return {name: value for name, value in given.items() if value is not None}


class Notifier:
    """Sends notifications through the configured mutation."""

    def __init__(self, mutation: NotifyMutation, upstream: UpstreamClient) -> None:
        self.mutation = mutation
        self.upstream = upstream

    @property
    def recipients(self) -> frozenset[NotifyField]:
        """The request fields that can name the recipient (`email_to`, `user_id`)."""
        return frozenset(self.mutation.settings.variables.values()) & {"email_to", "user_id"}

    async def send(self, notification: Notification) -> None:
        """Return when the site took it; raise NotificationRefused or an UpstreamError."""
        document, variables = self.mutation.request(notification.fields())
        result = await self.upstream.execute(document, variables, mutation=True)
        if self.mutation.accepted(result.data):
            return
        if result.errors:
            raise UpstreamGraphQLError("the site's notification mutation answered with errors")
        raise NotificationRefused("the site did not take the notification")
