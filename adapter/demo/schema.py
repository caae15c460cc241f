"""The demo site's GraphQL schema: users, friends, search, viewer, login, logout, notifications,
renaming a member, and the members' changes as a subscription."""

from __future__ import annotations

import functools
import hmac
from collections import Counter
from collections.abc import AsyncGenerator
from typing import TypedDict

import strawberry
from starlette.requests import HTTPConnection
from starlette.responses import Response

from adapter.demo.data import DemoDirectory, DemoUser, Role
from adapter.demo.notifications import DemoNotification, NotificationLog
from adapter.demo.sessions import (
    DEMO_PASSWORD,
    SESSION_COOKIE,
    SESSION_LIFETIME_SECONDS,
    issue_session,
    read_session,
)

MAX_IDS = 1000
MAX_SEARCH_LIMIT = 100
# Like the CMSs' list fields (Strapi answers 10 items unless told otherwise).
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
MAX_NOTIFICATION_TITLE = 1000
MAX_NOTIFICATION_BODY = 100_000
MAX_DISPLAY_NAME = 100
_MAX_ID_DIGITS = 12


class DemoContext(TypedDict):
    """What every resolver sees in `info.context`."""

    request: HTTPConnection
    # Over a WebSocket, one that is never sent: cookies set there go nowhere.
    response: Response
    directory: DemoDirectory
    # How often each id was asked for by `users`/`user` (the adapter's tests count refetches).
    asked: Counter[str]
    notifications: NotificationLog


DemoInfo = strawberry.Info[DemoContext, None]


@strawberry.type
class LoginPayload:
    token: str
    user: DemoUser


@strawberry.type
class PageInfo:
    has_next_page: bool


@strawberry.type
class UserPage:
    """One page of the users asked for, in request order."""

    nodes: list[DemoUser]
    page_info: PageInfo


def parse_user_id(raw: str) -> int | None:
    """A numeric GraphQL ID as int, or None when it is not a plain positive number."""
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > _MAX_ID_DIGITS:
        return None
    return int(text)


def user_by_id(info: DemoInfo, user_id: int | None) -> DemoUser | None:
    """The user with this id, or None when the id is missing or unknown."""
    return info.context["directory"].get(user_id) if user_id is not None else None


def resolve_viewer(info: DemoInfo) -> DemoUser | None:
    """The user of the current session (Bearer token or cookie), or None when anonymous."""
    request = info.context["request"]
    scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
    token = bearer.strip() if scheme.lower() == "bearer" else ""
    token = token or request.cookies.get(SESSION_COOKIE, "")
    return user_by_id(info, read_session(token) if token else None)


def _users_by_id(info: DemoInfo, ids: list[strawberry.ID]) -> list[DemoUser]:
    if len(ids) > MAX_IDS:
        raise ValueError(f"at most {MAX_IDS} ids per request, got {len(ids)}")
    info.context["asked"].update(str(raw) for raw in ids)
    numeric = (parse_user_id(raw) for raw in ids)
    return info.context["directory"].many(n for n in numeric if n is not None)


@strawberry.type
class Query:
    @strawberry.field(
        description=(
            "Users in request order; unknown ids omitted; at most 1000 ids. Without ids, those"
            " changed after updatedSince (an ISO 8601 time), oldest change first."
        )
    )
    def users(
        self,
        info: DemoInfo,
        ids: list[strawberry.ID] | None = None,
        updated_since: str | None = None,
    ) -> list[DemoUser]:
        if ids is not None:
            return _users_by_id(info, ids)
        if updated_since is None:
            raise ValueError("give ids or updatedSince")
        return info.context["directory"].changed_since(updated_since, MAX_IDS)

    @strawberry.field(
        description="Users in request order, one page: 10 unless `limit` says (at most 100)."
    )
    def users_page(
        self, info: DemoInfo, ids: list[strawberry.ID], limit: int = DEFAULT_PAGE_SIZE
    ) -> UserPage:
        found = _users_by_id(info, ids)
        size = max(0, min(limit, MAX_PAGE_SIZE))
        return UserPage(nodes=found[:size], page_info=PageInfo(has_next_page=len(found) > size))

    @strawberry.field(description="One user; null when unknown or the id is not numeric.")
    def user(self, info: DemoInfo, id: strawberry.ID) -> DemoUser | None:
        info.context["asked"][str(id)] += 1
        return user_by_id(info, parse_user_id(id))

    @strawberry.field(
        description="Substring search on username and display name, ordered by id; limit <= 100."
    )
    def search_users(self, info: DemoInfo, query: str, limit: int = 20) -> list[DemoUser]:
        capped = max(0, min(limit, MAX_SEARCH_LIMIT))
        return info.context["directory"].search(query, capped)

    @strawberry.field(
        description="The signed-in user (Bearer token or demo_session cookie), else null."
    )
    def viewer(self, info: DemoInfo) -> DemoUser | None:
        return resolve_viewer(info)

    @strawberry.field(
        description="The newest notifications the site took, newest first; limit <= 200."
    )
    def notifications(self, info: DemoInfo, limit: int = 20) -> list[DemoNotification]:
        return info.context["notifications"].recent(max(0, min(limit, 200)))


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Username user<ID>, password 'demo'; null on failure. Sets demo_session."
    )
    def login(self, info: DemoInfo, username: str, password: str) -> LoginPayload | None:
        name = username.strip().lower()
        user_id = parse_user_id(name.removeprefix("user")) if name.startswith("user") else None
        user = user_by_id(info, user_id)
        if user is None or not hmac.compare_digest(password.encode(), DEMO_PASSWORD.encode()):
            return None
        token = issue_session(user.id)
        info.context["response"].set_cookie(
            SESSION_COOKIE,
            token,
            max_age=SESSION_LIFETIME_SECONDS,
            path="/",
            httponly=True,
            samesite="lax",
        )
        return LoginPayload(token=token, user=user)

    @strawberry.mutation(description="Clear the demo_session cookie; always true.")
    def logout(self, info: DemoInfo) -> bool:
        info.context["response"].delete_cookie(
            SESSION_COOKIE, path="/", httponly=True, samesite="lax"
        )
        return True

    @strawberry.mutation(
        description="Record a notification for the user with this email or id; false if none."
    )
    def send_notification(
        self,
        info: DemoInfo,
        body: str,
        title: str | None = None,
        email_to: str | None = None,
        user_id: strawberry.ID | None = None,
    ) -> bool:
        if len(body) > MAX_NOTIFICATION_BODY or len(title or "") > MAX_NOTIFICATION_TITLE:
            raise ValueError("the notification is too long")
        directory = info.context["directory"]
        by_id = directory.get(parse_user_id(user_id) or 0) if user_id is not None else None
        by_email = directory.by_email(email_to) if email_to is not None else None
        if by_id is not None and by_email is not None and by_id.id != by_email.id:
            return False
        user = by_id or by_email
        if user is None or (user_id is not None and by_id is None):
            return False
        info.context["notifications"].record(user.id, user.email, title, body)
        return True

    @strawberry.mutation(
        description="Set a member's display name (blank: none), signed in as them or an admin."
    )
    def rename_member(self, info: DemoInfo, id: strawberry.ID, display_name: str) -> DemoUser:
        viewer = resolve_viewer(info)
        member_id = parse_user_id(id)
        if viewer is None or (viewer.id != member_id and viewer.role is not Role.ADMIN):
            raise PermissionError("sign in as this member or an admin")
        if len(display_name) > MAX_DISPLAY_NAME:
            raise ValueError(f"a display name has at most {MAX_DISPLAY_NAME} characters")
        renamed = info.context["directory"].rename(member_id or 0, display_name.strip() or None)
        if renamed is None:
            raise ValueError("no such member")
        return renamed


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The members each edit changed.")
    async def users_changed(self, info: DemoInfo) -> AsyncGenerator[list[DemoUser]]:
        async for user in info.context["directory"].changes():
            yield [user]


@functools.cache
def build_schema() -> strawberry.Schema:
    """The demo upstream's schema (built once: a schema holds no request state, and every demo
    app a process starts, the adapter's embedded one among them, can share it)."""
    return strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
