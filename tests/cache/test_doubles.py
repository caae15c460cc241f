"""The suite's DelegatingCache stays a complete Cache: every protocol method is forwarded."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from adapter.cache import Cache, MemoryCache
from tests.caches import DelegatingCache


def _protocol_methods() -> list[str]:
    return sorted(
        name
        for name, member in vars(Cache).items()
        if not name.startswith("_") and inspect.isfunction(member)
    )


class Recorder:
    """Answers any method with a coroutine that records the call and returns a token of it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Callable[..., Coroutine[Any, Any, str]]:
        async def method(*args: Any) -> str:
            self.calls.append((name, args))
            return f"answer of {name}"

        return method


def test_the_protocol_is_read_from_the_cache_class() -> None:
    """The enumeration below sees the protocol's methods (so an empty list cannot pass)."""
    assert {"get_many", "set_many", "acquire_lock", "aclose"} <= set(_protocol_methods())


def test_every_protocol_method_is_defined_by_the_base() -> None:
    """A method the Cache protocol gains must be forwarded by DelegatingCache too."""
    missing = [name for name in _protocol_methods() if name not in vars(DelegatingCache)]
    assert missing == []


async def test_every_protocol_method_is_forwarded_with_its_arguments_and_answer() -> None:
    """Each call reaches the inner cache unchanged, and its answer comes back."""
    inner = Recorder()
    double = DelegatingCache(inner)  # type: ignore[arg-type]  # records instead of caching
    for name in _protocol_methods():
        parameters = list(inspect.signature(getattr(Cache, name)).parameters)[1:]
        arguments = tuple(f"{name}:{parameter}" for parameter in parameters)
        answer = await getattr(double, name)(*arguments)
        assert inner.calls[-1] == (name, arguments)
        assert answer == f"answer of {name}"
    assert len(inner.calls) == len(_protocol_methods())


async def test_the_base_is_a_cache_over_a_real_backend() -> None:
    """Forwarded to a memory backend, values and locks behave as the backend's own."""
    cache: Cache = DelegatingCache(MemoryCache(max_entries=10))
    await cache.set_many({"a": b"1"}, 60)
    assert await cache.get_many(["a", "b"]) == [b"1", None]
    assert await cache.acquire_lock("l", 5)
    assert not await cache.acquire_lock("l", 5)
    await cache.release_lock("l")
    await cache.delete_many(["a"])
    assert await cache.get_many(["a"]) == [None]
    await cache.ping()
    await cache.aclose()
