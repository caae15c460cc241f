"""Token budgets: per signed-in viewer and per client address, in memory or shared in Redis."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

import pytest
from limits import parse_many
from structlog.testing import capture_logs

from adapter.app import create_app
from adapter.config import RateLimitSettings
from adapter.errors import RateLimited
from adapter.web.graphql.ratelimit import TokenRateLimiter, _MemoryWindows
from tests.graphql.support import ISSUE, WIDGET, error_code, session_cookie
from tests.servers import PrivateRedis, refused_port
from tests.support import SettingsFactory, asgi_client, gql

Api = Any


def budget(
    per_viewer: str = "1000/hour", per_ip: str = "1000/hour", **extra: Any
) -> dict[str, Any]:
    return {"graphql": {"rate_limit": {"per_viewer": per_viewer, "per_ip": per_ip, **extra}}}


async def test_per_viewer_budget(api: Api) -> None:
    """After its budget a viewer gets RATE_LIMITED with a retry time; others are unaffected."""
    async with api(budget(per_viewer="3/hour")) as client:
        answers = [await gql(client, ISSUE, headers=session_cookie(6)) for _ in range(4)]
        other = await gql(client, ISSUE, headers=session_cookie(7))
    assert [a["data"] is not None for a in answers] == [True, True, True, False]
    refused = answers[3]["errors"][0]
    assert refused["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < refused["extensions"]["retryAfterSeconds"] <= 3600
    assert other["data"]["issueChatToken"]["userId"] == "7"


async def test_chat_widget_spends_the_same_budget(api: Api) -> None:
    """chatWidget issues a token too, so it draws on the viewer's budget."""
    async with api(budget(per_viewer="2/hour")) as client:
        await gql(client, WIDGET, headers=session_cookie(6))
        await gql(client, ISSUE, headers=session_cookie(6))
        body = await gql(client, WIDGET, headers=session_cookie(6))
    assert error_code(body) == "RATE_LIMITED"


async def test_per_address_budget_covers_anonymous_attempts(api: Api) -> None:
    """Guessing sessions from one address is bounded: each attempt spends its budget."""
    forged = {"Cookie": "demo_session=1.9999999999.guess"}
    async with api(budget(per_ip="3/hour")) as client:
        answers = [await gql(client, ISSUE, headers=forged) for _ in range(3)]
        after = await gql(client, ISSUE, headers=session_cookie(6))
    assert [error_code(a) for a in answers] == ["UNAUTHENTICATED"] * 3
    assert error_code(after) == "RATE_LIMITED"


async def test_the_address_budget_is_spent_once_per_request(api: Api) -> None:
    """A request that needs the viewer in several fields spends one unit, not one per field."""
    query = '{ chatWidget { userId } chatUsers(ids: ["6"]) { name } }'
    async with api(budget(per_ip="2/hour")) as client:
        first = await gql(client, query, headers=session_cookie(6))
        second = await gql(client, query, headers=session_cookie(6))
        third = await gql(client, query, headers=session_cookie(6))
    assert "errors" not in first
    assert "errors" not in second
    assert error_code(third) == "RATE_LIMITED"


@pytest.mark.parametrize(
    "document",
    [
        "{ a: chatWidget { options } b: chatWidget { options } c: chatWidget { options } }",
        "mutation { a: issueChatToken { token } b: issueChatToken { token } "
        "c: issueChatToken { token } }",
    ],
    ids=["chatWidget", "issueChatToken"],
)
async def test_one_token_per_request_however_many_fields_ask(api: Api, document: str) -> None:
    """Aliased token fields in one request share one token: one unit of the viewer's budget
    spent and one token counted per request, and a refusal counted once."""
    async with api(budget(per_viewer="2/hour")) as client:
        answers = [await gql(client, document, headers=session_cookie(6)) for _ in range(3)]
        metrics = (await client.get("/metrics")).text
    for answer in answers[:2]:
        assert "errors" not in answer
        fields = answer["data"].values()
        assert len({field.get("token") or field["options"]["token"] for field in fields}) == 1
    assert error_code(answers[2]) == "RATE_LIMITED"
    assert 'adapter_tokens_total{outcome="issued"} 2.0' in metrics
    assert 'adapter_tokens_total{outcome="rate_limited"} 1.0' in metrics


async def test_replicas_share_the_budget_in_redis(
    make_settings: SettingsFactory, redis_url: str, redis_prefix: str
) -> None:
    """With Redis storage, two replicas draw on one budget per viewer."""
    settings = make_settings(
        {**budget(per_viewer="2/hour", storage_url=redis_url), "cache": {"prefix": redis_prefix}}
    )
    async with asgi_client(create_app(settings)) as one, asgi_client(create_app(settings)) as two:
        first = await gql(one, ISSUE, headers=session_cookie(6))
        second = await gql(two, ISSUE, headers=session_cookie(6))
        third = await gql(one, ISSUE, headers=session_cookie(6))
    assert first["data"] is not None
    assert second["data"] is not None
    assert error_code(third) == "RATE_LIMITED"


@pytest.mark.parametrize("storage", ["memory", "redis"])
async def test_one_budget_rule_in_memory_and_in_redis(
    storage: str, redis_url: str, redis_prefix: str
) -> None:
    """The same budgets allow the same hits and name the same retry time in memory (the
    adapter's windows) and in Redis (limits' strategy), each budget per address or viewer."""
    url = "memory://" if storage == "memory" else redis_url
    settings = RateLimitSettings.model_validate(
        {"per_viewer": "3/minute", "per_ip": "2/minute;5/hour", "storage_url": url}
    )
    limiter = TokenRateLimiter(settings, key_prefix=f"{redis_prefix}rl")
    calls = (
        [("viewer", "6")] * 4 + [("viewer", "7")] + [("ip", "10.0.0.1")] * 3 + [("ip", "10.0.0.2")]
    )
    outcomes: list[int | None] = []
    try:
        for kind, who in calls:
            try:
                await (limiter.hit_viewer(int(who)) if kind == "viewer" else limiter.hit_ip(who))
                outcomes.append(None)
            except RateLimited as exc:
                outcomes.append(exc.retry_after)
    finally:
        await limiter.aclose()
    # Refused for about a minute: until the first of the window's hits leaves it.
    assert outcomes == [None, None, None, 60, None, None, None, 60, None]


def test_memory_windows_slide_and_forget_idle_callers() -> None:
    """A hit stops counting once it is older than the period; a window with no hit left in it
    is dropped at the next sweep."""
    now = [1000.0]
    windows = _MemoryWindows(clock=lambda: now[0])
    (item,) = parse_many("2/minute")

    def hit(who: str) -> bool:
        return asyncio.run(windows.hit(item, "viewer", who))

    assert [hit("6"), hit("6"), hit("6")] == [True, True, False]
    now[0] += 30
    assert not hit("6")
    stats = asyncio.run(windows.get_window_stats(item, "viewer", "6"))
    assert (stats.reset_time, stats.remaining) == (1060.0, 0)
    now[0] += 30.5
    assert [hit("6"), hit("6"), hit("6")] == [True, True, False]
    assert hit("7")
    now[0] += 61
    assert hit("8")
    assert set(windows._windows) == {(id(item), "viewer", "8")}


def test_memory_windows_are_capped_least_recently_hit_first() -> None:
    """Past the cap (an IPv6 caller's /64 of addresses, say) the least recently hit window goes,
    so memory and the sweep stay bounded; the windows kept still count their hits."""
    now = [1000.0]
    windows = _MemoryWindows(clock=lambda: now[0], max_windows=3)
    (item,) = parse_many("2/minute")

    def hit(who: str) -> bool:
        return asyncio.run(windows.hit(item, "ip", who))

    assert [hit("a"), hit("b"), hit("c"), hit("a")] == [True, True, True, True]
    assert not hit("a")  # a's budget is spent, and a is now the most recently hit
    assert hit("d")  # past the cap: b, the least recently hit, goes
    assert [key[2] for key in windows._windows] == ["c", "a", "d"]
    assert not hit("a")
    assert hit("b")  # forgotten: a new window


def test_memory_windows_sweep_drops_only_the_idle_front() -> None:
    """Windows are kept least recently hit first; the sweep drops idle ones from that end and
    stops at the first still in use, without walking the rest (an idle window of a shorter
    period behind it waits)."""
    now = [1000.0]
    windows = _MemoryWindows(clock=lambda: now[0])
    minute, day = parse_many("5/minute; 5/day")
    asyncio.run(windows.hit(minute, "ip", "a"))
    asyncio.run(windows.hit(minute, "ip", "b"))
    asyncio.run(windows.hit(minute, "ip", "a"))
    assert [key[2] for key in windows._windows] == ["b", "a"]
    now[0] += 70  # a and b idle past their minute
    asyncio.run(windows.hit(day, "viewer", "6"))
    assert [key[2] for key in windows._windows] == ["6"]
    asyncio.run(windows.hit(minute, "ip", "c"))
    now[0] += 70  # c idle, behind 6's day
    asyncio.run(windows.hit(minute, "ip", "d"))
    assert [key[2] for key in windows._windows] == ["6", "c", "d"]


async def test_a_failing_storage_fails_open(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    """When the budget store is down, tokens are still issued and the log says why."""
    dead = f"redis://127.0.0.1:{refused_port()}/0"
    async with api(budget(per_viewer="1/hour", storage_url=dead)) as client:
        answers = [await gql(client, ISSUE, headers=session_cookie(6)) for _ in range(2)]
    assert all(a["data"]["issueChatToken"]["userId"] == "6" for a in answers)
    assert "rate_limit_storage_failed" in capsys.readouterr().out


async def test_a_failing_storage_is_logged_once_per_interval() -> None:
    """40 checks against a dead store write one warning; the next interval's says how many."""
    dead = f"redis://127.0.0.1:{refused_port()}/0"
    settings = RateLimitSettings.model_validate({"storage_url": dead})
    now = [0.0]
    limiter = TokenRateLimiter(
        settings, key_prefix="imbachat-test:rl", log_interval=30, clock=lambda: now[0]
    )
    try:
        with capture_logs() as logs:
            for _ in range(40):
                await limiter.hit_ip("192.0.2.1")
            now[0] = 31.0
            await limiter.hit_ip("192.0.2.1")
    finally:
        await limiter.aclose()
    warnings = [e for e in logs if e["event"] == "rate_limit_storage_failed"]
    assert [w["failures_since_last_log"] for w in warnings] == [0, 39]


async def test_a_hanging_storage_costs_one_bounded_wait_per_pause(
    private_redis: Callable[..., PrivateRedis],
) -> None:
    """A Redis that stops answering (SIGSTOP) holds a check for about a socket timeout, then
    the limiter leaves it alone for the pause and lets requests through at once."""
    server = private_redis()
    settings = RateLimitSettings.model_validate({"storage_url": server.url})
    now = [0.0]
    limiter = TokenRateLimiter(
        settings, key_prefix="imbachat-test:rl", pause_after_error=2, clock=lambda: now[0]
    )
    assert server.process is not None
    try:
        await limiter.hit_ip("192.0.2.1")
        server.process.send_signal(signal.SIGSTOP)
        with capture_logs() as logs:
            async with asyncio.timeout(3):  # a socket timeout of 0.25 s, retried once
                await limiter.hit_ip("192.0.2.1")
            async with asyncio.timeout(0.5):  # paused: no Redis command at all
                for _ in range(20):
                    await limiter.hit_viewer(6)
        assert [line["event"] for line in logs] == ["rate_limit_storage_failed"]
        server.process.send_signal(signal.SIGCONT)
        now[0] = 2.0  # the pause is over: Redis is asked again, and answers
        with capture_logs() as logs:
            await limiter.hit_ip("192.0.2.1")
        assert logs == []
    finally:
        if server.process is not None:
            server.process.send_signal(signal.SIGCONT)
        await limiter.aclose()


async def test_token_requests_with_a_hanging_storage_are_not_held_for_long(
    api: Api, private_redis: Callable[..., PrivateRedis]
) -> None:
    """With the budget Redis stopped (SIGSTOP), tokens are still issued: the first request
    waits about a socket timeout, the ones after it none (bounds generous)."""
    server = private_redis()
    assert server.process is not None
    async with api(budget(storage_url=server.url)) as client:
        assert (await gql(client, ISSUE, headers=session_cookie(6)))["data"] is not None
        server.process.send_signal(signal.SIGSTOP)
        try:
            async with asyncio.timeout(4):
                first = await gql(client, ISSUE, headers=session_cookie(6))
            async with asyncio.timeout(4):
                later = [await gql(client, ISSUE, headers=session_cookie(6)) for _ in range(10)]
        finally:
            server.process.send_signal(signal.SIGCONT)
    assert all(a["data"]["issueChatToken"]["userId"] == "6" for a in [first, *later])
