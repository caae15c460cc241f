"""`POST {prefix}/notifications`: the chat asks the site to tell a user something.

The fields come as a form (the plugins) or as a JSON object: `title`, `body`, `email_to`, and
`user_id` when the chat sends one. Each is checked and bounded here; the site's mutation gets
only what its configured variables ask for.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from adapter.config import NotifyOperation, Settings
from adapter.errors import RequestRejected, UnsupportedBody
from adapter.notify import Notification, Notifier
from adapter.web.auth import ChatServerAuth
from adapter.web.ids import parse_ids
from adapter.web.responses import API_VERSION, JSON

__all__ = ["notifications_router"]

_FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
_MAX_EMAIL = 254
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}")
_SENT = orjson.dumps({"code": 200, "version": API_VERSION, "sent": True})


async def _fields(request: Request) -> dict[str, Any]:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type == "application/json":
        try:
            data = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            raise RequestRejected("the body is not JSON") from None
        if not isinstance(data, dict):
            raise RequestRejected("the body must be a JSON object")
        return data
    if media_type in _FORMS:
        form = await request.form(max_files=0, max_fields=16)
        return {name: value for name, value in form.items() if isinstance(value, str)}
    raise UnsupportedBody("send the fields as a form or as a JSON object")


def _text(fields: dict[str, Any], name: str, limit: int) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RequestRejected(f"{name} must be text")
    if len(value) > limit:
        raise RequestRejected(f"{name} is longer than {limit} characters")
    return value


def _notification(fields: dict[str, Any], settings: Settings, notifier: Notifier) -> Notification:
    limits: NotifyOperation = notifier.mutation.settings
    body = _text(fields, "body", limits.max_body_length)
    if not body or not body.strip():
        raise RequestRejected("give the notification's body")
    # An empty field is an absent one: a form sends every field it has, filled or not.
    email = (_text(fields, "email_to", _MAX_EMAIL) or "").strip() or None
    if email is not None and not _EMAIL.fullmatch(email):
        raise RequestRejected("email_to is not an email address")
    user_id = None
    raw_id = fields.get("user_id")
    if raw_id is not None and raw_id != "":
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
            raise RequestRejected("user_id must be one user id")
        ids = parse_ids(str(raw_id), settings.chat.ids)
        if len(ids) != 1:
            raise RequestRejected("user_id must be one user id")
        user_id = ids[0]
    notification = Notification(
        body=body,
        title=_text(fields, "title", limits.max_title_length),
        email_to=email,
        user_id=user_id,
    )
    given = set(notification.fields())
    missing = sorted(notifier.mutation.required - given)
    if missing:
        raise RequestRejected(f"give {', '.join(missing)}")
    if not notifier.recipients & given:
        raise RequestRejected(
            f"name the recipient: give {' or '.join(sorted(notifier.recipients))}"
        )
    return notification


def notifications_router(settings: Settings) -> APIRouter:
    """The notifications route under the chat's prefix (mount only when `notify` is set)."""
    router = APIRouter(prefix=settings.chat.prefix)

    @router.post(
        "/notifications",
        summary="Relay a notification to a site user",
        dependencies=[Depends(ChatServerAuth(settings.chat))],
    )
    async def notify(request: Request) -> Response:
        notifier: Notifier = request.state.notifier
        notification = _notification(await _fields(request), settings, notifier)
        await notifier.send(notification)
        return Response(_SENT, media_type=JSON)

    return router
