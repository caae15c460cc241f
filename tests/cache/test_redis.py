"""The Redis backend against real servers: the shared one, and private ones with a password,
TLS, or frozen to play a slow Redis."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr
from redis.asyncio.connection import SSLConnection

from adapter.cache import EVICTED, FailOpenCache, build_cache
from adapter.cache.redis import RedisCache, client_options
from adapter.config import CacheSettings, RedisSettings
from adapter.metrics import Metrics
from tests.certificates import make_tls
from tests.servers import PrivateRedis, require_redis_server, spawn_on_free_port, stop_process
from tests.support import sample

PASSWORD = "a-redis-password"


def _settings(url: str, password: str | None = None) -> RedisSettings:
    return RedisSettings(
        url=SecretStr(url), password=SecretStr(password) if password is not None else None
    )


@pytest.fixture
async def cache(redis_url: str) -> AsyncIterator[RedisCache]:
    """The backend on the machine's Redis."""
    backend = RedisCache.from_settings(_settings(redis_url))
    yield backend
    await backend.aclose()


async def test_values_round_trip_with_a_ttl(
    cache: RedisCache, redis_url: str, redis_prefix: str
) -> None:
    """set_many stores bytes as given, with the TTL; get_many keeps the order; a delete leaves
    an eviction marker in place of the value."""
    keys = [f"{redis_prefix}{i}" for i in range(5)]
    await cache.set_many({key: f"v{key}".encode() for key in keys[:4]}, 60)
    assert await cache.get_many(keys) == [f"v{key}".encode() for key in keys[:4]] + [None]
    raw = redis.Redis.from_url(redis_url)
    try:
        assert 0 < raw.pttl(keys[0]) <= 60_000
    finally:
        raw.close()
    await cache.delete_many(keys[:2])
    first, second, third = await cache.get_many(keys[:3])
    assert first is not None
    assert first.startswith(EVICTED)
    assert second == first  # one marker per eviction
    assert third == f"v{keys[2]}".encode()


async def test_a_replace_is_refused_where_the_key_changed_since_it_was_read(
    cache: RedisCache, redis_prefix: str
) -> None:
    """replace_many writes only over what was read: never over a later eviction or write."""
    same, evicted, written, absent = (f"{redis_prefix}{name}" for name in "sewa")
    await cache.set_many({same: b"1", evicted: b"1", written: b"1"}, 60)
    seen = dict(
        zip(
            [same, evicted, written, absent],
            await cache.get_many([same, evicted, written, absent]),
            strict=True,
        )
    )
    await cache.delete_many([evicted])
    await cache.set_many({written: b"2"}, 60)
    items = dict.fromkeys(seen, b"new")
    assert sorted(await cache.replace_many(items, seen, 60)) == sorted([same, absent])
    values = await cache.get_many([same, evicted, written, absent])
    assert values[0] == values[3] == b"new"
    assert values[1] is not None
    assert values[1].startswith(EVICTED)
    assert values[2] == b"2"
    assert await cache.replace_many({evicted: b"newer"}, {evicted: values[1]}, 60) == [evicted]


async def test_a_key_of_another_type_reads_as_missing_and_is_replaced(
    cache: RedisCache, redis_url: str, redis_prefix: str
) -> None:
    """A list under the prefix (written by someone else) is a miss to MGET; the fetched copy
    replaces it, instead of a WRONGTYPE error that failed the write (and paused the cache)."""
    key = f"{redis_prefix}list"
    raw = redis.Redis.from_url(redis_url)
    try:
        raw.rpush(key, "a", "b")
        assert await cache.get_many([key]) == [None]
        assert await cache.replace_many({key: b"copy"}, {key: None}, 60) == [key]
        assert await cache.get_many([key]) == [b"copy"]
    finally:
        raw.close()


async def test_empty_calls_and_zero_ttls_touch_nothing(
    cache: RedisCache, redis_prefix: str
) -> None:
    """No keys, no items or a zero TTL are no-ops."""
    assert await cache.get_many([]) == []
    await cache.set_many({}, 60)
    await cache.set_many({f"{redis_prefix}a": b"1"}, 0)
    await cache.delete_many([])
    assert await cache.get_many([f"{redis_prefix}a"]) == [None]
    await cache.ping()


async def test_a_lock_released_late_never_frees_another_holders_lock(
    cache: RedisCache, redis_url: str, redis_prefix: str
) -> None:
    """Locks carry a token: after ours expired and another took it, our release leaves theirs."""
    other = RedisCache.from_settings(_settings(redis_url))
    key = f"{redis_prefix}lock"
    try:
        assert await cache.acquire_lock(key, 30)
        assert not await other.acquire_lock(key, 30)
        raw = redis.Redis.from_url(redis_url)
        try:
            raw.delete(key)  # as if our lock had expired
            assert await other.acquire_lock(key, 30)
            await cache.release_lock(key)
            assert raw.exists(key)
            await other.release_lock(key)
            assert not raw.exists(key)
        finally:
            raw.close()
        await cache.release_lock("never-taken")
    finally:
        await other.aclose()


def test_redis_commands_are_retried_once_without_backoff() -> None:
    """redis-py's default (10 retries with backoff) is replaced, so a dead Redis costs little."""
    retry = client_options(RedisSettings())["retry"]
    assert retry.get_retries() == 1
    assert client_options(_settings("redis://x", ""))["password"] is None


async def test_the_password_comes_from_settings_and_one_in_the_url_wins(
    private_redis: Callable[..., PrivateRedis],
) -> None:
    """A Redis with requirepass answers with the configured password; the URL's beats it."""
    server = private_redis("--requirepass", PASSWORD)
    with_url = f"redis://:{PASSWORD}@127.0.0.1:{server.port}/0"
    for settings in (_settings(server.url, PASSWORD), _settings(with_url, "wrong")):
        backend = RedisCache.from_settings(settings)
        try:
            await backend.set_many({"k": b"v"}, 60)
            assert await backend.get_many(["k"]) == [b"v"]
        finally:
            await backend.aclose()
    backend = RedisCache.from_settings(_settings(server.url, "wrong"))
    try:
        with pytest.raises(redis.AuthenticationError):
            await backend.ping()
    finally:
        await backend.aclose()


async def test_rediss_urls_speak_tls(tmp_path: Path) -> None:
    """A `rediss://` URL connects over TLS to a TLS-only redis-server, verifying its certificate."""
    binary = require_redis_server()
    tls = make_tls(tmp_path)
    cert_file, key_file = tls.certificate, tls.key
    process, port = spawn_on_free_port(
        lambda port: [
            binary,
            "--port", "0",
            "--tls-port", str(port),
            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path),
            "--tls-cert-file", str(cert_file),
            "--tls-key-file", str(key_file),
            "--tls-ca-cert-file", str(cert_file),
            "--tls-auth-clients", "no",
        ]
    )  # fmt: skip
    backend = RedisCache.from_settings(
        _settings(f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={cert_file}")
    )
    try:
        assert isinstance(backend.client, redis.asyncio.Redis)
        assert backend.client.connection_pool.connection_class is SSLConnection
        await backend.set_many({"k": b"over tls"}, 60)
        assert await backend.get_many(["k"]) == [b"over tls"]
    finally:
        await backend.aclose()
        stop_process(process)


async def test_a_frozen_redis_times_out_and_the_cache_fails_open(
    private_redis: Callable[..., PrivateRedis],
) -> None:
    """A Redis that stops answering (SIGSTOP) reads as empty after the socket timeout; then back."""
    server = private_redis()
    settings = CacheSettings(
        backend="redis",
        retry_after_error_seconds=0,
        local_max_entries=0,
        redis=RedisSettings(url=SecretStr(server.url), socket_timeout=0.2),
    )
    metrics = Metrics()
    cache = build_cache(settings, metrics)
    assert isinstance(cache, FailOpenCache)
    assert server.process is not None
    try:
        await cache.set_many({"k": b"v"}, 60)
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            assert await cache.get_many(["k"]) == [None]
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
        assert await cache.get_many(["k"]) == [b"v"]
    finally:
        await cache.aclose()
    assert sample(metrics, "adapter_cache_errors_total", operation="get") == 1
