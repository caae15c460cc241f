"""Mixed traffic against a served adapter process for 20 s (`make soak`: 10 minutes).

Users-info warm and cold, the path form, search, widget tokens, and bad requests, from a few
closed-loop callers: as fast as the machine answers. Every answer has the status its kind
expects, and the adapter's resident memory does not grow once it is warm.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import jwt
import pytest

from tests.conftest import (
    ADAPTER_COMMAND,
    CHAT_AUTH,
    ROOT,
    DemoUpstream,
    free_port,
    spawn_listening,
    stop_process,
)

SECONDS = float(os.environ.get("IMBACHAT_LOAD_SECONDS", "20"))
pytestmark = [pytest.mark.faults, pytest.mark.timeout(SECONDS + 90)]

WORKERS = 8
SITE_JWT_SECRET = "load-test-site-session-secret-0123456789abcdef"
# Growth allowed between the end of warm-up and the end of the run. The run keeps filling the
# profile cache with cold ids (at most 1000 demo users, well under 1 MiB of profiles).
MAX_GROWTH_MIB = 8.0
TOKEN_QUERY = {"query": "mutation { issueChatToken { token userId expiresAt } }"}


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


@pytest.fixture
def adapter_process(demo_upstream: DemoUpstream) -> Iterator[tuple[str, int]]:
    """`imbachat-adapter serve` as its own process, with the site JWT viewer mode for tokens."""
    port = free_port()
    viewer = (
        "{header: Authorization, scheme: Bearer, algorithms: [HS256], "
        f"secret: {SITE_JWT_SECRET}, issuer: load, audience: imbachat, user_id_claim: sub}}"
    )
    env = {
        **os.environ,
        "IMBACHAT__UPSTREAM__EMBEDDED_DEMO": "false",
        "IMBACHAT__UPSTREAM__URL": demo_upstream.graphql_url,
        "IMBACHAT__CACHE__BACKEND": "memory",
        # Short windows: stale answers and background refreshes happen during the run too.
        "IMBACHAT__CACHE__FRESH_SECONDS": "4",
        "IMBACHAT__CACHE__STALE_SECONDS": "4",
        "IMBACHAT__VIEWER__MODE": "jwt",
        "IMBACHAT__VIEWER__JWT": viewer,
        "IMBACHAT__GRAPHQL__RATE_LIMIT__PER_VIEWER": "1000000/second",
        "IMBACHAT__GRAPHQL__RATE_LIMIT__PER_IP": "1000000/second",
    }
    argv = [*ADAPTER_COMMAND, "serve", "--config", str(ROOT / "config.yaml")]
    process = spawn_listening([*argv, "--port", str(port), "--log-level", "warning"], port, env=env)
    try:
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        stop_process(process)


@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)


Call = Callable[[httpx.AsyncClient, random.Random], Awaitable[tuple[httpx.Response, set[int]]]]


def _ids(rng: random.Random, low: int, high: int, count: int = 20) -> str:
    first = rng.randint(low, high - count)
    return ",".join(str(i) for i in range(first, first + count))


async def warm(client: httpx.AsyncClient, rng: random.Random) -> tuple[httpx.Response, set[int]]:
    url = f"/imbachat/v1/users?user_ids={_ids(rng, 1, 60)}"
    return await client.get(url, auth=CHAT_AUTH), {200}


async def cold(client: httpx.AsyncClient, rng: random.Random) -> tuple[httpx.Response, set[int]]:
    url = f"/imbachat/v1/users?user_ids={_ids(rng, 61, 1000)}"
    return await client.get(url, auth=CHAT_AUTH), {200}


async def path_form(
    client: httpx.AsyncClient, rng: random.Random
) -> tuple[httpx.Response, set[int]]:
    return await client.get(f"/imbachat/v1/getusers/{_ids(rng, 1, 1000, 5)}", auth=CHAT_AUTH), {200}


async def search(client: httpx.AsyncClient, rng: random.Random) -> tuple[httpx.Response, set[int]]:
    text = rng.choice(["an", "user1", "zzzz", "Ma", "e"])
    return await client.get(f"/imbachat/v1/search/{text}", auth=CHAT_AUTH), {200}


async def token(client: httpx.AsyncClient, rng: random.Random) -> tuple[httpx.Response, set[int]]:
    user = rng.randint(1, 1000)
    claims = {"sub": str(user), "iss": "load", "aud": "imbachat", "exp": int(time.time()) + 600}
    session = jwt.encode(claims, SITE_JWT_SECRET, algorithm="HS256")
    response = await client.post(
        "/graphql", json=TOKEN_QUERY, headers={"Authorization": f"Bearer {session}"}
    )
    if response.status_code == 200:
        issued = response.json().get("data", {}) or {}
        if (issued.get("issueChatToken") or {}).get("userId") != user:
            return response, set()  # a 200 without this viewer's token is unexpected
    return response, {200}


async def bad(client: httpx.AsyncClient, rng: random.Random) -> tuple[httpx.Response, set[int]]:
    choice = rng.randrange(5)
    if choice == 0:
        return await client.get("/imbachat/v1/users?user_ids=1,a,3", auth=CHAT_AUTH), {400}
    if choice == 1:
        return await client.get("/imbachat/v1/users?user_ids=1", auth=("root", "nope")), {401}
    if choice == 2:
        return await client.get("/imbachat/v1/nothing-here", auth=CHAT_AUTH), {404}
    if choice == 3:
        many = ",".join(str(i) for i in range(1, 1100))
        return await client.get(f"/imbachat/v1/users?user_ids={many}", auth=CHAT_AUTH), {400}
    return await client.post("/graphql", content=b"{not json", headers=_JSON), {400}


_JSON = {"Content-Type": "application/json"}
# Twenty slots: about half warm users-info, the rest spread over the other kinds.
MIX: Sequence[Call] = (
    [warm] * 9 + [cold] * 2 + [path_form, search, search, token, token] + [bad] * 4
)


async def drive(base_url: str, seconds: float, tally: Tally, on_tick: Callable[[], None]) -> None:
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=WORKERS)

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:

        async def worker(seed: int) -> None:
            rng = random.Random(seed)
            n = seed
            while time.monotonic() < deadline:
                kind = MIX[n % len(MIX)]
                n += WORKERS
                response, expected = await kind(client, rng)
                tally.calls[kind.__name__] += 1
                if response.status_code not in expected or "Traceback" in response.text:
                    tally.unexpected.append(
                        f"{kind.__name__}: {response.status_code} {response.text[:200]}"
                    )

        async def ticker() -> None:
            while time.monotonic() < deadline:
                on_tick()
                await asyncio.sleep(1)

        await asyncio.gather(ticker(), *(worker(seed) for seed in range(WORKERS)))


async def test_mixed_traffic_has_no_unexpected_answer_and_no_memory_growth(
    adapter_process: tuple[str, int],
) -> None:
    """Mixed traffic for the whole run: every status as expected, and RSS flat after warm-up."""
    base_url, pid = adapter_process
    tally = Tally()
    samples: list[float] = []
    warm_up = max(5.0, SECONDS / 4)

    await drive(base_url, warm_up, tally, lambda: None)
    at_warm = rss_mib(pid)
    await drive(base_url, SECONDS - warm_up, tally, lambda: samples.append(rss_mib(pid)))
    at_end = rss_mib(pid)

    print(  # the soak's report (pytest -s)
        f"calls={sum(tally.calls.values())} by kind={dict(tally.calls)} "
        f"rss after warm-up={at_warm:.1f} MiB, end={at_end:.1f} MiB, "
        f"max={max(samples, default=at_end):.1f} MiB"
    )
    assert tally.unexpected == []
    assert set(tally.calls) == {"warm", "cold", "path_form", "search", "token", "bad"}
    assert at_end - at_warm < MAX_GROWTH_MIB
