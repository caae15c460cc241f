"""The interface every cache backend implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

__all__ = ["Cache"]


class Cache(Protocol):
    """Bytes by key, with a time to live; backends raise CacheError when they fail."""

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values for `keys`, in order; None for each key that is not there."""
        ...

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None: ...

    async def replace_many(
        self, items: Mapping[str, bytes], seen: Mapping[str, bytes | None], ttl_seconds: float
    ) -> list[str]:
        """Store each item for `ttl_seconds` only if its key still holds what `seen` says it
        held (None: nothing), atomically per key; the keys stored.

        A write of what was fetched after reading `seen` never undoes an eviction made
        meanwhile, on any replica.
        """
        ...

    async def delete_many(self, keys: Sequence[str]) -> None:
        """Forget `keys` (absent keys are fine). A shared backend leaves a short eviction
        marker where it can (`entries.EVICTED`), so a `replace_many` that read a key before
        finds it changed; where it cannot write (a full Redis) it deletes."""
        ...

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        """Take a short lock shared by every replica; False when someone else holds it."""
        ...

    async def release_lock(self, key: str) -> None: ...

    async def ping(self) -> None:
        """Raise CacheError when the backend cannot be used."""
        ...

    async def aclose(self) -> None: ...
