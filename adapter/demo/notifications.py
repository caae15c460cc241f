"""The demo site's notification outbox: what the chat asked it to tell its users, newest last."""

from __future__ import annotations

import time
from collections import deque

import strawberry

MAX_KEPT = 200


@strawberry.type(name="Notification")
class DemoNotification:
    """One notification the site took for a user."""

    user_id: int = strawberry.field(graphql_type=strawberry.ID)
    email: str
    title: str | None
    body: str
    received_at: float


class NotificationLog:
    """A bounded record of the notifications the demo site took."""

    def __init__(self, max_kept: int = MAX_KEPT) -> None:
        self._kept: deque[DemoNotification] = deque(maxlen=max_kept)

    def record(self, user_id: int, email: str, title: str | None, body: str) -> None:
        """Keep one notification for a known user; past `max_kept` the oldest falls off."""
        notification = DemoNotification(
            user_id=user_id, email=email, title=title, body=body, received_at=time.time()
        )
        self._kept.append(notification)

    def recent(self, limit: int) -> list[DemoNotification]:
        """The newest `limit` notifications, newest first."""
        return list(reversed(self._kept))[: max(0, limit)]

    def clear(self) -> None:
        self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)
