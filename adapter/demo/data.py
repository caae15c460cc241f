"""Deterministic demo users: 1,000 people generated from a fixed seed, and their edits."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import itertools
import random
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import strawberry

SEED = 2024
COUNT = 1000
CDN_BASE = "https://cdn.example.com"
MAX_FRIENDS_LIMIT = 1000

_FIRST_NAMES = (
    "Alice", "Boris", "Chloe", "Daniel", "Elena", "Farid", "Grace", "Hiro", "Ingrid", "Jonas",
    "Kira", "Liam", "Maya", "Nikolai", "Olivia", "Pedro", "Quinn", "Rosa", "Sven", "Tara",
    "Umar", "Vera", "Wei", "Ximena", "Yusuf", "Zoe",
)  # fmt: skip
_LAST_NAMES = (
    "Anderson", "Bauer", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ivanova",
    "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "O'Brien", "Petrov", "Rossi", "Schmidt",
    "Tanaka", "Novak", "Weber", "Yilmaz", "Zhang",
)  # fmt: skip
# Middle initials that tell apart two users who drew the same first and last name.
_INITIALS = tuple("ABCDEFGHJKLMNPRSTVW")
_BADGES = ("VIP", "Moderator", "Top poster")
_LOGIN_EPOCH = datetime(2024, 6, 1, tzinfo=UTC)
_LOGIN_WINDOW_SECONDS = 180 * 24 * 3600
_FULL_USERS = frozenset({1, 2, 3})
_BARE_USERS = frozenset({4})
_PROFILE_USERS = frozenset({6, 11})
# Friends differ in id by one of these; user 4 has none and is nobody's friend.
_FRIEND_OFFSETS = (-10, -2, -1, 1, 2, 10)
_FRIENDLESS_USERS = frozenset({4})
# When every generated user was last changed; an edit stamps the time it was made.
GENERATED_AT = "2024-06-01T00:00:00.000000Z"
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
# Edits a subscriber has not read yet; past this a slow subscriber misses the newest.
_MAX_PENDING_CHANGES = 1000


@strawberry.enum
class Role(enum.Enum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


@strawberry.type
class Avatar:
    """An uploaded avatar: public URL and storage path."""

    url: str
    file: str


@strawberry.type
class SubProfile:
    """A secondary persona owned by a user (e.g. a shop or a character)."""

    id: strawberry.ID
    key: str
    name: str
    avatar_url: str | None


def _friends(root: DemoUser, info: strawberry.Info[Any, None], limit: int = 100) -> list[DemoUser]:
    directory: DemoDirectory = info.context["directory"]
    return directory.friends(root.id, max(0, min(limit, MAX_FRIENDS_LIMIT)))


@strawberry.type(name="User")
class DemoUser:
    """One member of the demo site, as its database holds them and its API shows them. Never
    changed in place: an edit replaces the object (`DemoDirectory.rename`)."""

    id: int = strawberry.field(graphql_type=strawberry.ID)
    username: str
    display_name: str | None
    email: str
    avatar: Avatar | None
    last_login_at: str | None
    last_seen_ms: int | None = strawberry.field(graphql_type=float | None)
    badge: str | None
    role: Role
    profiles: tuple[SubProfile, ...]
    updated_at: str = strawberry.field(
        default=GENERATED_AT,
        description="When the member last changed (ISO 8601, microseconds, UTC).",
    )
    friends: list[DemoUser] = strawberry.field(
        resolver=_friends, description="Friends ordered by id; limit <= 1000."
    )


def _unique(name: str, user_id: int, taken: set[str]) -> str:
    """`name`, or with a middle initial when an earlier user has it: two members with one name
    would look like one person twice. The draws stay as they were, so other users stay stable."""
    if name not in taken:
        return name
    first, last = name.split(" ", 1)
    start = user_id % len(_INITIALS)
    for initial in _INITIALS[start:] + _INITIALS[:start]:
        candidate = f"{first} {initial}. {last}"
        if candidate not in taken:
            return candidate
    # Beyond 598 names times 20 spellings each: a count this large keeps a repeated name.
    return name


def _make_user(user_id: int, rng: random.Random, avatar_base: str, taken: set[str]) -> DemoUser:
    """Build one user; all draws happen regardless of overrides, so later users stay stable.

    `taken`: the display names of the users before it; this user's is added.
    """
    name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
    has_name = rng.random() >= 0.10
    has_avatar = rng.random() < 0.85
    has_login = rng.random() < 0.90
    login_offset = rng.randrange(_LOGIN_WINDOW_SECONDS)
    badge_roll = rng.random()
    badge_pick = rng.choice(_BADGES)
    has_profiles = rng.random() < 0.03
    profile_count = rng.randint(1, 2)
    profile_avatar_rolls = (rng.random(), rng.random())

    badge = badge_pick if badge_roll < 0.04 else None
    if user_id in _FULL_USERS:
        has_name = has_avatar = has_login = True
        badge = _BADGES[(user_id - 1) % len(_BADGES)]
    if user_id in _BARE_USERS:
        has_name = has_avatar = False

    username = f"user{user_id}"
    display_name = _unique(name, user_id, taken) if has_name else None
    if display_name is not None:
        taken.add(display_name)
    file = f"avatars/{user_id}.png"
    avatar = Avatar(file=file, url=f"{avatar_base}/{file}") if has_avatar else None
    last_login_at: str | None = None
    last_seen_ms: int | None = None
    if has_login:
        instant = _LOGIN_EPOCH - timedelta(seconds=login_offset)
        last_login_at = instant.strftime("%Y-%m-%dT%H:%M:%SZ")
        last_seen_ms = int(instant.timestamp()) * 1000
    profiles: tuple[SubProfile, ...] = ()
    if has_profiles or user_id in _PROFILE_USERS:
        profiles = tuple(
            SubProfile(
                id=strawberry.ID(f"P{user_id}-{letter}"),
                key=str(user_id * 10 + n),
                name=f"P{user_id}-{display_name or username}",
                avatar_url=(
                    f"{avatar_base}/profiles/{user_id}-{letter}.png"
                    if profile_avatar_rolls[n - 1] < 0.7
                    else None
                ),
            )
            for n, letter in ((1, "A"), (2, "B"))[:profile_count]
        )
    return DemoUser(
        id=user_id,
        username=username,
        display_name=display_name,
        email=f"{username}@example.com",
        avatar=avatar,
        last_login_at=last_login_at,
        last_seen_ms=last_seen_ms,
        badge=badge,
        role=Role.ADMIN if user_id in (1, 2) else Role.MEMBER,
        profiles=profiles,
    )


@functools.cache
def generate_users(avatar_base: str = CDN_BASE) -> tuple[DemoUser, ...]:
    """Users 1..COUNT, always the same, their avatar files under `avatar_base`. Made once per
    process: a directory edits only its own mapping, so every directory may start from the same
    users (each app, each test, builds one)."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, not cryptography
    taken: set[str] = set()
    return tuple(_make_user(user_id, rng, avatar_base, taken) for user_id in range(1, COUNT + 1))


class DemoDirectory:
    """Lookup over the demo users; an edit is told to every subscriber of `changes()`."""

    def __init__(self, users: Sequence[DemoUser]) -> None:
        self._by_id: dict[int, DemoUser] = {user.id: user for user in users}
        self._ids_by_email = {user.email: user.id for user in users}
        self._subscribers: set[asyncio.Queue[DemoUser]] = set()
        self._last_change = datetime.strptime(GENERATED_AT, _STAMP).replace(tzinfo=UTC)

    @classmethod
    def generate(cls, *, avatar_base: str = CDN_BASE) -> DemoDirectory:
        return cls(generate_users(avatar_base))

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, user_id: int) -> DemoUser | None:
        return self._by_id.get(user_id)

    def many(self, ids: Iterable[int]) -> list[DemoUser]:
        """Users in request order; unknown ids skipped, duplicates kept once."""
        found = (self._by_id.get(user_id) for user_id in dict.fromkeys(ids))
        return [user for user in found if user is not None]

    def friends(self, user_id: int, limit: int) -> list[DemoUser]:
        """A user's friends, ordered by id; at most `limit` (deterministic and symmetric)."""
        if user_id in _FRIENDLESS_USERS or user_id not in self._by_id:
            return []
        ids = sorted(user_id + offset for offset in _FRIEND_OFFSETS)
        return self.many(i for i in ids if i not in _FRIENDLESS_USERS)[: max(0, limit)]

    def by_email(self, email: str) -> DemoUser | None:
        """The user with this email address (case-insensitive), or None."""
        user_id = self._ids_by_email.get(email.strip().lower())
        return None if user_id is None else self._by_id[user_id]

    def search(self, text: str, limit: int) -> list[DemoUser]:
        """Case-insensitive substring match on username or display name, ordered by id."""
        needle = text.casefold()
        hits = (
            user
            for _, user in sorted(self._by_id.items())
            if needle in user.username.casefold() or needle in (user.display_name or "").casefold()
        )
        return list(itertools.islice(hits, max(0, limit)))

    def rename(self, user_id: int, display_name: str | None) -> DemoUser | None:
        """Set a user's display name (None: none), stamp `updated_at` and tell subscribers."""
        user = self._by_id.get(user_id)
        if user is None:
            return None
        # Strictly increasing stamps: a poll asking "after the last one seen" misses none.
        self._last_change = max(datetime.now(UTC), self._last_change + timedelta(microseconds=1))
        stamp = self._last_change.strftime(_STAMP)
        user = dataclasses.replace(user, display_name=display_name, updated_at=stamp)
        self._by_id[user_id] = user
        for queue in self._subscribers:
            if queue.qsize() < _MAX_PENDING_CHANGES:
                queue.put_nowait(user)
        return user

    def changed_since(self, since: str, limit: int) -> list[DemoUser]:
        """Users changed after `since` (ISO 8601; UTC unless it says), oldest change first; at
        most `limit`. ValueError when `since` is not a time."""
        try:
            after = datetime.fromisoformat(since)
        except ValueError:
            raise ValueError(f"updatedSince is not an ISO 8601 time: {since[:40]!r}") from None
        stamp = (after if after.tzinfo else after.replace(tzinfo=UTC)).astimezone(UTC)
        changed = [u for u in self._by_id.values() if u.updated_at > stamp.strftime(_STAMP)]
        return sorted(changed, key=lambda u: u.updated_at)[:limit]

    @property
    def subscribers(self) -> int:
        """How many `changes()` iterators are open."""
        return len(self._subscribers)

    async def changes(self) -> AsyncIterator[DemoUser]:
        """Every user edited from now on, as edited, until the caller stops iterating."""
        queue: asyncio.Queue[DemoUser] = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers.discard(queue)
