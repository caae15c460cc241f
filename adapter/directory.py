"""The users pipeline: cache -> single flight -> upstream -> mapping -> encoded profile bytes.

One `Directory` per process serves the chat's users-info call, the GraphQL `chatUsers` query and
the friends call (each friend cached as users-info would cache it). Profiles are public to the
chat, so entries are keyed by user id alone (plus a fingerprint of the mapping and the
documents, so a changed `config.yaml` never serves an old shape).

Freshness, per entry: fresh -> served as is; stale (within `stale_seconds`) -> served at once and
refreshed in the background; older -> refetched, but kept to answer if the site fails
(stale-if-error). Unknown ids are remembered for `negative_seconds`. Failures are never cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import structlog

from adapter.cache import EVICTED, Cache, Entry, EntryMemo, encode_entry
from adapter.config import Settings
from adapter.errors import (
    FriendsUnavailable,
    UpstreamError,
    UpstreamGraphQLError,
    UpstreamUnavailable,
)
from adapter.logs import detached_context
from adapter.mapping import ChatUser
from adapter.memo import Memo
from adapter.metrics import Metrics
from adapter.operations import Operations
from adapter.site_users import SiteUsers, UserId, shape_checked
from adapter.upstream import UpstreamClient

__all__ = ["Directory", "UserId", "fingerprint", "join_profiles"]

log = structlog.get_logger(__name__)

_REMEMBERED_KEYS = 100_000
_REMEMBERED_KEY_LISTS = 4096
# Warm answers by the cached values they were read from; lists of at most this many ids, whose
# profiles (about 250 bytes each) the memo may keep alive after the cache let them go.
_REMEMBERED_ANSWERS = 512
_REMEMBERED_ANSWER_IDS = 100
_LOCK_POLL_SECONDS = 0.05
# Bump when the entry envelope changes, so old entries become misses rather than puzzles.
_ENTRY_FORMAT = b"entry-v1"


def fingerprint(settings: Settings, operations: Operations) -> str:
    """A short hash of everything that shapes a cached profile (part of every entry's key)."""
    document, variables = operations.users.request(["0"])
    digest = hashlib.sha256(_ENTRY_FORMAT)
    for part in (
        settings.mapping.model_dump_json(),
        settings.chat.ids.type,
        settings.upstream.operations.users.model_dump_json(),
        document,
        orjson.dumps(variables, option=orjson.OPT_SORT_KEYS).decode(),
    ):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()[:12]


def join_profiles(profiles: Sequence[bytes]) -> bytes:
    """The chat's JSON array of profiles that were encoded when they were fetched."""
    return b"[" + b",".join(profiles) + b"]"


@dataclass(frozen=True, slots=True)
class _Warm:
    """Values that all hold an entry: the profiles, their JSON array, and until when every
    profile, and every "no such user", is fresh (`inf` for none)."""

    profiles: tuple[bytes, ...]
    joined: bytes
    fresh_until: float
    negatives: int
    negative_until: float


@dataclass(frozen=True, slots=True)
class _Found:
    profile: bytes | None  # None: the site has no such user
    cacheable: bool = True


def _id_order(user_id: UserId) -> tuple[int, str]:
    text = str(user_id)
    return len(text), text


class Directory:
    """Looks users up for the chat, asking the site only for what the cache cannot answer."""

    def __init__(
        self,
        *,
        settings: Settings,
        operations: Operations,
        upstream: UpstreamClient,
        cache: Cache,
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.operations = operations
        self._upstream = upstream
        self._cache = cache
        self.metrics = metrics
        self.site_users = SiteUsers(settings, metrics)
        self._clock = clock
        self._cache_settings = settings.cache
        self._batch_size = settings.upstream.batch.size
        self._key_prefix = f"{settings.cache.prefix}{fingerprint(settings, operations)}:"
        self._in_flight: dict[str, asyncio.Future[_Found]] = {}
        self._background: set[asyncio.Task[None]] = set()
        # Evictions while fetches run: a fetch that started before an id was evicted must not
        # write its (possibly older) copy back. `_generation` counts evictions.
        self._generation = 0
        self._evicted: dict[str, int] = {}
        self._fetches = 0
        self._keys = Memo[UserId, str](_REMEMBERED_KEYS)
        self._key_lists = Memo[tuple[UserId, ...], tuple[str, ...]](_REMEMBERED_KEY_LISTS)
        self._entries = EntryMemo(8192)
        self._warm = Memo[tuple[bytes | None, ...], _Warm](_REMEMBERED_ANSWERS)
        # Set by the change feed (wall clock): a copy written before it is asked for again,
        # kept only to answer if the site fails. 0: every copy lives its windows.
        self.stale_before = 0.0

    def key(self, user_id: UserId) -> str:
        # Asked for every id of every call; the hot ids' keys are made once.
        key = self._keys.get(user_id)
        if key is None:
            key = self._keys.remember(user_id, f"{self._key_prefix}u:{user_id}")
        return key

    # --- reading ------------------------------------------------------------------------------

    async def lookup(self, ids: Sequence[UserId]) -> list[bytes]:
        """Encoded profiles for `ids` in the same order; unknown ids are left out."""
        found = await self._look_up(ids)
        return list(found.profiles) if isinstance(found, _Warm) else found

    async def lookup_joined(self, ids: Sequence[UserId]) -> bytes:
        """`lookup`'s profiles as the chat's JSON array (a warm list's is joined once)."""
        found = await self._look_up(ids)
        return found.joined if isinstance(found, _Warm) else join_profiles(found)

    async def _look_up(self, ids: Sequence[UserId]) -> _Warm | list[bytes]:
        if not ids:
            return []
        now = self._clock()
        # A page asks for the same list again and again: its keys are one look-up (a tuple's
        # hash in C), not a Python loop over the ids.
        wanted = tuple(ids)
        keys = self._key_lists.get(wanted)
        if keys is None:
            keys = self._key_lists.remember(wanted, tuple([self.key(i) for i in ids]))
        raw = await self._cache.get_many(keys)
        # The same values as last time (the same bytes, from the memory layers) are one look-up
        # too: the answer they make is known, and fresh while its earliest entry is.
        values = tuple(raw)
        warm = self._warm.get(values) or self._all_entries(values)
        if warm is not None and self._fresh(warm, now):
            if warm.profiles:
                self.metrics.cache_requests.add("hit", len(warm.profiles))
            if warm.negatives:
                self.metrics.cache_requests.add("negative", warm.negatives)
            return warm
        answers: dict[UserId, bytes | None] = {}
        fallbacks: dict[UserId, Entry] = {}
        misses: list[UserId] = []
        refresh: list[UserId] = []
        stale_until = self._cache_settings.stale_seconds
        hits = negatives = 0
        decode = self._entries.decode
        for user_id, value in zip(ids, raw, strict=True):
            entry = decode(value) if value is not None else None
            if entry is None:
                misses.append(user_id)
            elif self._before_feed_gap(entry):
                if entry.profile is not None:
                    fallbacks[user_id] = entry
                misses.append(user_id)
            elif entry.is_fresh(now):
                answers[user_id] = entry.profile
                if entry.profile is None:
                    negatives += 1
                else:
                    hits += 1
            elif entry.profile is not None and now < entry.fresh_until + stale_until:
                answers[user_id] = entry.profile
                refresh.append(user_id)
            else:
                if entry.profile is not None:
                    fallbacks[user_id] = entry
                misses.append(user_id)
        # Counted once per call, not per id: this is the warm path.
        for result, count in (
            ("hit", hits),
            ("negative", negatives),
            ("stale", len(refresh)),
            ("miss", len(misses)),
        ):
            if count:
                self.metrics.cache_requests.add(result, count)
        if refresh:
            self._refresh_in_background(refresh)
        if misses:
            answers.update(await self._fetch_or_fall_back(misses, fallbacks))
        return [profile for i in ids if (profile := answers.get(i)) is not None]

    def _all_entries(self, values: tuple[bytes | None, ...]) -> _Warm | None:
        """The answer when every value holds an entry (remembered), else None."""
        decode = self._entries.decode
        profiles: list[bytes] = []
        fresh_until = negative_until = float("inf")
        for value in values:
            entry = decode(value) if value is not None else None
            if entry is None:
                return None
            if entry.profile is None:
                negative_until = min(negative_until, entry.fresh_until)
            else:
                profiles.append(entry.profile)
                fresh_until = min(fresh_until, entry.fresh_until)
        negatives = len(values) - len(profiles)
        warm = _Warm(
            tuple(profiles), join_profiles(profiles), fresh_until, negatives, negative_until
        )
        if len(values) <= _REMEMBERED_ANSWER_IDS:
            self._warm.remember(values, warm)
        return warm

    def _fresh(self, warm: _Warm, now: float) -> bool:
        """Whether every entry of `warm` is fresh, and none was written before the feed's mark
        (the per-entry rules of `lookup`, on the earliest fresh-until of each kind)."""
        settings = self._cache_settings
        return (
            now < warm.fresh_until
            and self.stale_before + settings.fresh_seconds < warm.fresh_until
            and now < warm.negative_until
            and self.stale_before + settings.negative_seconds < warm.negative_until
        )

    def _before_feed_gap(self, entry: Entry) -> bool:
        """Whether the copy was written before `stale_before` (from its fresh-until time)."""
        settings = self._cache_settings
        window = settings.fresh_seconds if entry.profile is not None else settings.negative_seconds
        return entry.fresh_until <= self.stale_before + window

    async def _fetch_or_fall_back(
        self, ids: list[UserId], fallbacks: Mapping[UserId, Entry]
    ) -> dict[UserId, bytes | None]:
        """Fetch `ids`, sharing any fetch of the same id already under way in this process."""
        futures = self._claim(ids)
        try:
            # Shielded: one caller going away must not cancel a fetch that others wait for.
            found = await asyncio.gather(*(asyncio.shield(f) for f in futures.values()))
        except UpstreamError as exc:
            # Any failure to get data (errors-only GraphQL answers too) is served from stale
            # copies when every id has one; otherwise the chat gets the 502.
            if len(fallbacks) < len(ids):
                raise
            self.metrics.cache_requests.add("stale_if_error", len(ids))
            log.warning("serving_stale_after_upstream_error", ids=len(ids), error=exc.message)
            return {user_id: fallbacks[user_id].profile for user_id in ids}
        return {user_id: result.profile for user_id, result in zip(futures, found, strict=True)}

    async def users(self, ids: Sequence[UserId]) -> list[ChatUser]:
        """Decoded profiles, for callers that need objects (the GraphQL API)."""
        return [orjson.loads(profile) for profile in await self.lookup(ids)]

    # --- single flight ------------------------------------------------------------------------

    def _claim(
        self, ids: Sequence[UserId], context: contextvars.Context | None = None
    ) -> dict[UserId, asyncio.Future[_Found]]:
        """The pending result of each id: joined if under way, else one new fetch for the rest.

        Synchronous on purpose: nothing can run between the look-up and the registration.
        """
        mine: dict[UserId, asyncio.Future[_Found]] = {}
        futures: dict[UserId, asyncio.Future[_Found]] = {}
        loop = asyncio.get_running_loop()
        for user_id in ids:
            key = str(user_id)
            future = self._in_flight.get(key)
            if future is None:
                future = mine[user_id] = self._in_flight[key] = loop.create_future()
            futures[user_id] = future
        if mine:
            self._spawn(self._fetch_and_settle(mine, self._generation), context)
        return futures

    def _spawn(
        self, work: Coroutine[Any, Any, None], context: contextvars.Context | None = None
    ) -> None:
        task = asyncio.get_running_loop().create_task(work, context=context)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _fetch_and_settle(
        self, futures: dict[UserId, asyncio.Future[_Found]], generation: int
    ) -> None:
        # Sorted: the same ids asked in another order (on another replica) form the same chunks,
        # so they meet at the same chunk locks. Shorter first, so integers go in numeric order.
        ids = sorted(futures, key=_id_order)
        chunks = [ids[i : i + self._batch_size] for i in range(0, len(ids), self._batch_size)]
        with self._fetching():
            try:
                outcomes = await asyncio.gather(
                    *(self._fetch_chunk(chunk, generation) for chunk in chunks),
                    return_exceptions=True,
                )
                for chunk, outcome in zip(chunks, outcomes, strict=True):
                    for user_id in chunk:
                        found = outcome if isinstance(outcome, BaseException) else outcome[user_id]
                        self._settle(user_id, futures[user_id], found)
            finally:
                # Cancelled (shutdown): nobody may wait forever on a fetch that will not come.
                for user_id, future in futures.items():
                    self._settle(user_id, future, UpstreamUnavailable("the fetch was cancelled"))

    @contextlib.contextmanager
    def _fetching(self) -> Iterator[None]:
        """Counts the fetches under way: evictions are remembered only while one runs."""
        self._fetches += 1
        try:
            yield
        finally:
            self._fetches -= 1
            if not self._fetches:
                self._evicted.clear()

    def _settle(
        self, user_id: UserId, future: asyncio.Future[_Found], outcome: _Found | BaseException
    ) -> None:
        key = str(user_id)
        if self._in_flight.get(key) is future:
            del self._in_flight[key]
        if future.done():
            return
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
            future.exception()  # mark retrieved: every caller may have gone away
        else:
            future.set_result(outcome)

    async def _fetch_chunk(self, chunk: list[UserId], generation: int) -> dict[UserId, _Found]:
        async with self._chunk_lock(chunk) as filled:
            if filled is not None:
                return filled
            # What each key holds before the site is asked: the copy is stored only over that,
            # so an eviction meanwhile (the webhook, on any replica) is never undone.
            keys = [self.key(i) for i in chunk]
            seen = dict(zip(keys, await self._cache.get_many(keys), strict=True))
            found = await self._fetch_from_upstream(chunk)
            await self._store(found, generation, seen)
            return found

    @contextlib.asynccontextmanager
    async def _chunk_lock(self, chunk: list[UserId]) -> AsyncIterator[dict[UserId, _Found] | None]:
        """The chunk's lock across replicas, held while this replica fetches it, released once.

        Yields the chunk as another replica stored it meanwhile (nothing to fetch), else None.
        Without `lock_seconds` there is no lock; a replica that finds it taken waits up to
        `lock_seconds` for the other's copy, and fetches without the lock if none comes.
        """
        if self._cache_settings.lock_seconds <= 0:
            yield None
            return
        # Named by the set of ids, not their order.
        members = ",".join(sorted(map(str, chunk))).encode()
        lock = f"{self._key_prefix}lock:{hashlib.sha1(members).hexdigest()}"  # noqa: S324 - a key name, not security
        if await self._cache.acquire_lock(lock, self._cache_settings.lock_seconds):
            try:
                # Another replica may have refilled the chunk between our read and our lock.
                yield await self._fresh_entries(chunk)
            finally:
                await self._cache.release_lock(lock)
            return
        deadline = time.monotonic() + self._cache_settings.lock_seconds
        while time.monotonic() < deadline:
            await asyncio.sleep(_LOCK_POLL_SECONDS)
            filled = await self._fresh_entries(chunk)
            if filled is not None:
                yield filled
                return
        yield None

    async def _fresh_entries(self, chunk: list[UserId]) -> dict[UserId, _Found] | None:
        """The chunk from the cache if every id in it is fresh there, else None."""
        now = self._clock()
        raw = await self._cache.get_many([self.key(i) for i in chunk])
        found: dict[UserId, _Found] = {}
        for user_id, value in zip(chunk, raw, strict=True):
            entry = self._entries.decode(value) if value is not None else None
            if entry is None or not entry.is_fresh(now) or self._before_feed_gap(entry):
                return None
            found[user_id] = _Found(entry.profile)
        return found

    async def _fetch_from_upstream(self, chunk: list[UserId]) -> dict[UserId, _Found]:
        document, variables = self.operations.users.request(chunk)
        result = await self._upstream.execute(document, variables)
        users = self.site_users
        found: dict[UserId, _Found] = {}
        with shape_checked(result):
            pairs = list(self.operations.users.pairs(result.data, chunk, users.site_id))
        for user_id, obj in pairs:
            if user_id is None:
                self.metrics.users_dropped.labels("not_requested").inc()
                log.warning("upstream_user_not_requested", upstream_id=str(users.site_id(obj))[:64])
                continue
            user = users.profile(obj, user_id)
            if user is not None:
                found[user_id] = _Found(orjson.dumps(user))
        # With GraphQL errors beside the data, a missing user may be an error, not an absence;
        # an answer cut short by a page size says nothing about the ids it left out.
        remember_absence = not result.errors
        short = self.operations.users.cut_short(result.data, asked=len(chunk), got=len(pairs))
        if short is not None:
            remember_absence = False
            self.metrics.answers_cut_short.inc()
            log.warning(
                "upstream_answer_cut_short",
                asked=len(chunk),
                got=len(pairs),
                reason=short,
                fix="give the users document a page size of at least upstream.batch.size",
            )
        for user_id in chunk:
            found.setdefault(user_id, _Found(None, cacheable=remember_absence))
        return found

    async def _store(
        self,
        found: Mapping[UserId, _Found],
        generation: int,
        seen: Mapping[str, bytes | None] | None,
    ) -> None:
        """Write what was fetched, where the keys still hold what they held before (`seen`;
        None: over whatever they hold)."""
        settings = self._cache_settings
        now = self._clock()
        if self._evicted:
            found = {i: f for i, f in found.items() if self._evicted.get(str(i), -1) <= generation}
        profiles = {
            self.key(i): encode_entry(f.profile, now + settings.fresh_seconds)
            for i, f in found.items()
            if f.profile is not None
        }
        absent = {
            self.key(i): encode_entry(None, now + settings.negative_seconds)
            for i, f in found.items()
            if f.profile is None and f.cacheable
        }
        for items, ttl in ((profiles, settings.keep_seconds), (absent, settings.negative_seconds)):
            if items and ttl:
                if seen is None:
                    await self._cache.set_many(items, ttl)
                else:
                    await self._cache.replace_many(items, seen, ttl)

    def _refresh_in_background(self, ids: list[UserId]) -> None:
        fresh = [i for i in ids if str(i) not in self._in_flight]
        if not fresh:
            return
        # Detached from the request that saw the stale copy: it is answered before this ends.
        futures = self._claim(fresh, detached_context())

        async def report() -> None:
            try:
                await asyncio.gather(*futures.values())
            except UpstreamError as exc:
                log.warning("background_refresh_failed", ids=len(fresh), error=exc.message)
            except Exception as exc:  # a background task has nobody to raise to
                log.exception("background_refresh_failed", ids=len(fresh), error=type(exc).__name__)

        self._spawn(report(), detached_context())

    # --- friends ------------------------------------------------------------------------------

    async def friends(self, user_id: UserId) -> list[bytes]:
        """The user's friends as encoded profiles, in the site's order, at most `max_friends`,
        each cached as users-info caches it; FriendsUnavailable without a friends operation or
        for a user the site does not have."""
        query = self.operations.friends
        if query is None:
            raise FriendsUnavailable()
        generation = self._generation
        with self._fetching():
            document, variables = query.request(user_id)
            result = await self._upstream.execute(document, variables)
            objects = query.friends(result.data)
            if objects is None:
                if result.errors:
                    # The user may exist; the site failed to say who their friends are.
                    raise UpstreamGraphQLError(
                        "the site's GraphQL API answered friends with errors"
                    )
                raise FriendsUnavailable()
            limit = query.settings.max_friends
            if len(objects) > limit:
                log.warning("upstream_friends_truncated", count=len(objects), kept=limit)
                objects = objects[:limit]
            found = self._map_users(objects)
            # The friends are known only now: a key already evicted (its marker) is left alone,
            # and one evicted from here on is not overwritten.
            keys = [self.key(i) for i in found]
            seen = dict(zip(keys, await self._cache.get_many(keys), strict=True))
            evicted = {k for k, value in seen.items() if value and value.startswith(EVICTED)}
            await self._store(
                {i: f for i, f in found.items() if self.key(i) not in evicted}, generation, seen
            )
        return [f.profile for f in found.values() if f.profile is not None]

    def _map_users(self, objects: Sequence[Any]) -> dict[UserId, _Found]:
        found: dict[UserId, _Found] = {}
        for user_id, user in self.site_users.chat_users(objects):
            found.setdefault(user_id, _Found(orjson.dumps(user)))
        return found

    # --- invalidation ---------------------------------------------------------------------------

    async def invalidate(self, ids: Sequence[UserId]) -> None:
        """Forget `ids` in every layer, so the next look-up asks the site (a fetch under way is
        not joined and does not write back); CacheError when the shared cache could not evict
        them, for callers to report so that the site retries."""
        if not ids:
            return
        self._overtake_fetches(ids)
        await self._cache.delete_many([self.key(i) for i in ids])

    async def update(self, objects: Sequence[Any]) -> list[UserId]:
        """Write the change feed's user objects over the cached copies (a fetch under way does
        not write its older copy back); the ids of those it could not map, for the caller to evict.
        """
        found = self._map_users(objects)
        self._overtake_fetches(list(found))
        await self._store(found, self._generation, None)
        ids = (self.site_users.chat_id(obj) for obj in objects)
        return [i for i in ids if i is not None and i not in found]

    def _overtake_fetches(self, ids: Sequence[UserId]) -> None:
        """Later look-ups of `ids` do not join a fetch under way, nor may it store its copy."""
        self._generation += 1
        for user_id in ids:
            key = str(user_id)
            self._in_flight.pop(key, None)
            if self._fetches:
                self._evicted[key] = self._generation

    async def idle(self) -> None:
        """Wait until no fetch or background refresh is under way."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel background refreshes (shutdown)."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
