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
MAX_FRIENDS_LIMIT = 1000
MAX_NOTIFICATION_TITLE = 1000
MAX_NOTIFICATION_BODY = 100_000
MAX_DISPLAY_NAME = 100
_MAX_ID_DIGITS = 12

strawberry.enum(Role, name="Role")


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
class Avatar:
    """An uploaded avatar."""

    url: str
    file: str


@strawberry.type
class SubProfile:
    """A secondary persona owned by a user."""

    id: strawberry.ID
    key: str
    name: str
    avatar_url: str | None


def resolve_friends(root: User, info: DemoInfo, limit: int = 100) -> list[User]:
    """A user's friends, ordered by id; the limit is capped at 1000."""
    capped = max(0, min(limit, MAX_FRIENDS_LIMIT))
    found = info.context["directory"].friends(int(root.id), capped)
    return [User.from_demo(user) for user in found]


@strawberry.type
class User:
    """A member of the demo site."""

    id: strawberry.ID
    username: str
    display_name: str | None
    email: str
    avatar: Avatar | None
    last_login_at: str | None
    last_seen_ms: float | None
    badge: str | None
    role: Role
    profiles: list[SubProfile]
    updated_at: str = strawberry.field(
        description="When the member last changed (ISO 8601, microseconds, UTC)."
    )

    friends: list[User] = strawberry.field(
        resolver=resolve_friends,
        description="Friends ordered by id; limit <= 1000.",
    )

    @classmethod
    def from_demo(cls, user: DemoUser) -> User:
        """Convert a stored demo user to its GraphQL shape."""
        return cls(
            id=strawberry.ID(str(user.id)),
            username=user.username,
            display_name=user.display_name,
            email=user.email,
            avatar=Avatar(url=user.avatar.url, file=user.avatar.file) if user.avatar else None,
            last_login_at=user.last_login_at,
            last_seen_ms=float(user.last_seen_ms) if user.last_seen_ms is not None else None,
            badge=user.badge,
            role=user.role,
            profiles=[
                SubProfile(id=strawberry.ID(p.id), key=p.key, name=p.name, avatar_url=p.avatar_url)
                for p in user.profiles
            ],
            updated_at=user.updated_at,
        )


@strawberry.type
class LoginPayload:
    """A fresh session token and the user it belongs to."""

    token: str
    user: User


@strawberry.type
class Notification:
    """A notification the site took for one of its users."""

    user_id: strawberry.ID
    email: str
    title: str | None
    body: str
    received_at: float

    @classmethod
    def from_demo(cls, notification: DemoNotification) -> Notification:
        """Convert a recorded notification to its GraphQL shape."""
        return cls(
            user_id=strawberry.ID(str(notification.user_id)),
            email=notification.email,
            title=notification.title,
            body=notification.body,
            received_at=notification.received_at,
        )


def parse_user_id(raw: str) -> int | None:
    """A numeric GraphQL ID as int, or None when it is not a plain positive number."""
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > _MAX_ID_DIGITS:
        return None
    return int(text)


def _bearer_token(request: HTTPConnection) -> str | None:
    """The token from `Authorization: Bearer <token>`, if present."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _found(info: DemoInfo, user_id: int | None) -> User | None:
    """The GraphQL user for an id, or None when the id is missing or unknown."""
    found = info.context["directory"].get(user_id) if user_id is not None else None
    return User.from_demo(found) if found else None


def resolve_users(
    info: DemoInfo, ids: list[strawberry.ID] | None = None, updated_since: str | None = None
) -> list[User]:
    """Many users at once, at most 1000 ids; or those changed after `updated_since`."""
    if ids is None:
        if updated_since is None:
            raise ValueError("give ids or updatedSince")
        changed = info.context["directory"].changed_since(updated_since, MAX_IDS)
        return [User.from_demo(user) for user in changed]
    if len(ids) > MAX_IDS:
        raise ValueError(f"at most {MAX_IDS} ids per request, got {len(ids)}")
    info.context["asked"].update(str(raw) for raw in ids)
    numeric = (parse_user_id(raw) for raw in ids)
    found = info.context["directory"].many(n for n in numeric if n is not None)
    return [User.from_demo(user) for user in found]


@strawberry.type
class PageInfo:
    """Whether more users matched than this page holds."""

    has_next_page: bool


@strawberry.type
class UserPage:
    """One page of the users asked for, in request order."""

    nodes: list[User]
    page_info: PageInfo


def resolve_users_page(
    info: DemoInfo, ids: list[strawberry.ID], limit: int = DEFAULT_PAGE_SIZE
) -> UserPage:
    """Users by id, at most `limit` of them (10 unless given, at most 100), as CMSs page."""
    found = resolve_users(info, ids)
    size = max(0, min(limit, MAX_PAGE_SIZE))
    return UserPage(nodes=found[:size], page_info=PageInfo(has_next_page=len(found) > size))


def resolve_user(info: DemoInfo, id: strawberry.ID) -> User | None:
    """One user by id."""
    info.context["asked"][str(id)] += 1
    return _found(info, parse_user_id(id))


def resolve_search_users(info: DemoInfo, query: str, limit: int = 20) -> list[User]:
    """Search users; the limit is capped at 100."""
    capped = max(0, min(limit, MAX_SEARCH_LIMIT))
    return [User.from_demo(u) for u in info.context["directory"].search(query, capped)]


def resolve_viewer(info: DemoInfo) -> User | None:
    """The user of the current session, or null when anonymous."""
    request = info.context["request"]
    token = _bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    return _found(info, read_session(token) if token else None)


def resolve_login(info: DemoInfo, username: str, password: str) -> LoginPayload | None:
    """Check credentials, set the session cookie and return the token."""
    name = username.strip().lower()
    user_id = parse_user_id(name.removeprefix("user")) if name.startswith("user") else None
    user = _found(info, user_id)
    if user is None or not hmac.compare_digest(password.encode(), DEMO_PASSWORD.encode()):
        return None
    token = issue_session(int(user.id))
    info.context["response"].set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_LIFETIME_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
    )
    return LoginPayload(token=token, user=user)


def resolve_send_notification(
    info: DemoInfo,
    body: str,
    title: str | None = None,
    email_to: str | None = None,
    user_id: strawberry.ID | None = None,
) -> bool:
    """Record a notification for the user with this email (or id); false when there is none."""
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


def resolve_notifications(info: DemoInfo, limit: int = 20) -> list[Notification]:
    """The newest notifications the site took, newest first."""
    recent = info.context["notifications"].recent(max(0, min(limit, 200)))
    return [Notification.from_demo(n) for n in recent]


def resolve_logout(info: DemoInfo) -> bool:
    """Expire the session cookie."""
    info.context["response"].delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return True


def resolve_rename_member(info: DemoInfo, id: strawberry.ID, display_name: str) -> User:
    """Set a member's display name (blank: none), as the member or an admin."""
    directory = info.context["directory"]
    viewer = resolve_viewer(info)
    member_id = parse_user_id(id)
    if viewer is None or (int(viewer.id) != member_id and viewer.role is not Role.ADMIN):
        raise PermissionError("sign in as this member or an admin")
    if len(display_name) > MAX_DISPLAY_NAME:
        raise ValueError(f"a display name has at most {MAX_DISPLAY_NAME} characters")
    renamed = directory.rename(member_id or 0, display_name.strip() or None)
    if renamed is None:
        raise ValueError("no such member")
    return User.from_demo(renamed)


async def resolve_users_changed(info: DemoInfo) -> AsyncGenerator[list[User]]:
    """Each edit of a member, as the list of members it changed."""
    async for user in info.context["directory"].changes():
        yield [User.from_demo(user)]


@strawberry.type
class Query:
    """Read access to the demo users."""

    users: list[User] = strawberry.field(
        resolver=resolve_users,
        description=(
            "Users in request order; unknown ids omitted; at most 1000 ids. Without ids, those"
            " changed after updatedSince (an ISO 8601 time), oldest change first."
        ),
    )
    users_page: UserPage = strawberry.field(
        resolver=resolve_users_page,
        description="Users in request order, one page: 10 unless `limit` says (at most 100).",
    )
    user: User | None = strawberry.field(
        resolver=resolve_user,
        description="One user; null when unknown or the id is not numeric.",
    )
    search_users: list[User] = strawberry.field(
        resolver=resolve_search_users,
        description="Substring search on username and display name, ordered by id; limit <= 100.",
    )
    viewer: User | None = strawberry.field(
        resolver=resolve_viewer,
        description="The signed-in user (Bearer token or demo_session cookie), else null.",
    )
    notifications: list[Notification] = strawberry.field(
        resolver=resolve_notifications,
        description="The newest notifications the site took, newest first; limit <= 200.",
    )


@strawberry.type
class Mutation:
    """Sign in and out of the demo site, and take notifications for its users."""

    login: LoginPayload | None = strawberry.mutation(
        resolver=resolve_login,
        description="Username user<ID>, password 'demo'; null on failure. Sets demo_session.",
    )
    logout: bool = strawberry.mutation(
        resolver=resolve_logout, description="Clear the demo_session cookie; always true."
    )
    send_notification: bool = strawberry.mutation(
        resolver=resolve_send_notification,
        description="Record a notification for the user with this email or id; false if none.",
    )
    rename_member: User = strawberry.mutation(
        resolver=resolve_rename_member,
        description="Set a member's display name (blank: none), signed in as them or an admin.",
    )


@strawberry.type
class Subscription:
    """The members' edits, as they happen (graphql-transport-ws and graphql-ws)."""

    users_changed: AsyncGenerator[list[User]] = strawberry.subscription(
        resolver=resolve_users_changed, description="The members each edit changed."
    )


@functools.cache
def build_schema() -> strawberry.Schema:
    """The demo upstream's schema (built once: a schema holds no request state, and every demo
    app a process starts, the adapter's embedded one among them, can share it)."""
    return strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)
