"""Waiting, with a bound, for what happens elsewhere (another replica, a background task)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["eventually"]


async def eventually(check: Callable[[], bool | Awaitable[bool]], *, within: float = 10.0) -> bool:
    """Poll `check` (plain or async) until it holds or `within` seconds passed; its last answer."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.005)
