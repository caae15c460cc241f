"""Per-request answers (the viewer, its token): worked out once, shared by every resolver asking."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from adapter.web.graphql.context import ChatContext
from adapter.web.graphql.services import FrontendApi


class _Site:
    """A frontend whose `identify` answers when the test says, counting the calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.answer: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()

    async def identify(self, headers: Any, address: str) -> int | None:
        self.calls += 1
        return await self.answer


def _context(site: _Site) -> ChatContext:
    return ChatContext(
        {"client": ("10.0.0.1", 1)}, cast(Any, {}), cast(FrontendApi, site), cast(Any, None)
    )


async def test_callers_share_one_answer_and_a_cancelled_one_leaves_the_rest() -> None:
    """The site is asked once; a caller cancelled while waiting does not cancel the others."""
    site = _Site()
    context = _context(site)
    callers = [asyncio.ensure_future(context.identify()) for _ in range(3)]
    await asyncio.sleep(0)
    callers[1].cancel()
    await asyncio.sleep(0)
    site.answer.set_result(6)
    first, cancelled, third = await asyncio.gather(*callers, return_exceptions=True)
    assert (first, third) == (6, 6)
    assert isinstance(cancelled, asyncio.CancelledError)
    assert await context.identify() == 6
    assert site.calls == 1


async def test_an_error_is_every_callers() -> None:
    """The first caller's error reaches the waiting callers and the later ones, asked once."""
    site = _Site()
    context = _context(site)
    callers = [asyncio.ensure_future(context.identify()) for _ in range(2)]
    await asyncio.sleep(0)
    site.answer.set_exception(RuntimeError("down"))
    answers = await asyncio.gather(*callers, return_exceptions=True)
    assert [str(answer) for answer in answers] == ["down", "down"]
    with pytest.raises(RuntimeError, match="down"):
        await context.identify()
    assert site.calls == 1


async def test_when_the_first_caller_gives_up_the_others_do_too() -> None:
    """The first caller cancelled: those waiting and those after are cancelled, not left hanging."""
    site = _Site()
    context = _context(site)
    first = asyncio.ensure_future(context.identify())
    await asyncio.sleep(0)
    waiting = asyncio.ensure_future(context.identify())
    await asyncio.sleep(0)
    first.cancel()
    for caller in (first, waiting):
        with pytest.raises(asyncio.CancelledError):
            await caller
    with pytest.raises(asyncio.CancelledError):
        await context.identify()
    assert site.calls == 1
