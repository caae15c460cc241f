"""`python -m bench.invalidation`: how long a change takes to reach another replica's local layer.

Two caches as two replicas build them (`build_cache`, Redis on 127.0.0.1:6379, a key prefix of
this run's own whose keys are deleted by the run itself). For each of `--rounds` keys: replica
one writes it, replica two reads it (and so holds a local copy), replica one evicts it; the time
is from the start of the eviction until replica two's local copy is gone.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from pydantic import SecretStr

from adapter.cache import SyncedLocalCache, build_cache
from adapter.config import CacheSettings, RedisSettings
from adapter.metrics import Metrics
from bench.run import REDIS_URL

__all__ = ["main"]


async def _measure(rounds: int) -> list[float]:
    prefix = f"imbachat-bench:{uuid.uuid4().hex[:12]}:"
    settings = CacheSettings(
        backend="redis", prefix=prefix, redis=RedisSettings(url=SecretStr(REDIS_URL))
    )
    one, two = build_cache(settings, Metrics()), build_cache(settings, Metrics())
    assert isinstance(one, SyncedLocalCache)
    assert isinstance(two, SyncedLocalCache)
    try:
        for cache in (one, two):
            await cache.get_many([f"{prefix}start"])  # subscribes
        deadline = time.monotonic() + 10
        while not all(c.channel is not None and c.channel.up for c in (one, two)):
            if time.monotonic() > deadline:
                raise RuntimeError("the invalidation channel did not come up")
            await asyncio.sleep(0.01)
        times = []
        for i in range(rounds):
            key = f"{prefix}k{i}"
            await one.set_many({key: b"v"}, 60)
            await two.get_many([key])
            started = time.perf_counter()
            await one.delete_many([key])
            # No event to await: the other replica's state is polled.
            while await two.local.get_many([key]) != [None]:  # noqa: ASYNC110
                await asyncio.sleep(0)
            times.append((time.perf_counter() - started) * 1000)
        return times
    finally:
        await one.aclose()
        await two.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.invalidation")
    parser.add_argument("--rounds", type=int, default=200)
    times = sorted(asyncio.run(_measure(parser.parse_args(argv).rounds)))
    p99 = times[max(0, int(len(times) * 0.99) - 1)]
    print(
        f"eviction on one replica -> gone from the other's local layer: "
        f"median {statistics.median(times):.2f} ms, p99 {p99:.2f} ms, max {times[-1]:.2f} ms "
        f"({len(times)} rounds; target < 100 ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
