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

    async def set_many(self, items: Mapping[str, bytes], ttl_seconds: float) -> None:
        """Store every item for `ttl_seconds`."""
        ...

    async def delete_many(self, keys: Sequence[str]) -> None:
        """Forget `keys` (absent keys are fine)."""
        ...

    async def acquire_lock(self, key: str, ttl_seconds: float) -> bool:
        """Take a short lock shared by every replica; False when someone else holds it."""
        ...

    async def release_lock(self, key: str) -> None:
        """Give the lock back early."""
        ...

    async def ping(self) -> None:
        """Raise CacheError when the backend cannot be used."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
