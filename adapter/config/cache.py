"""The profile cache: backend, freshness windows, Redis connection."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from adapter.config.base import Model

__all__ = ["CacheSettings", "RedisSettings"]


class RedisSettings(Model):
    url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    password: SecretStr | None = None
    socket_timeout: float = Field(0.25, gt=0)
    connect_timeout: float = Field(0.5, gt=0)
    max_connections: int = Field(64, gt=0)
    # Immediate retries of a failed command (a pooled connection that Redis closed on restart).
    # redis-py's own default (10, with backoff) would hold a request for seconds when Redis is
    # down; the cache fails open instead.
    retries: int = Field(1, ge=0, le=5)


class CacheSettings(Model):
    backend: Literal["memory", "redis", "redis-cluster"] = "memory"
    prefix: str = "imbachat:"
    fresh_seconds: int = Field(300, ge=0)
    stale_seconds: int = Field(3300, ge=0)
    keep_seconds: int = Field(86_400, ge=0)
    negative_seconds: int = Field(60, ge=0)
    memory_max_entries: int = Field(100_000, gt=0)
    local_max_entries: int = Field(10_000, ge=0)
    local_seconds: float = Field(5.0, ge=0)
    local_synced_seconds: float = Field(300.0, ge=0)
    local_invalidation: bool = True
    lock_seconds: float = Field(0.0, ge=0)
    error_log_interval_seconds: float = Field(30.0, gt=0)
    retry_after_error_seconds: float = Field(2.0, ge=0)
    redis: RedisSettings = RedisSettings()

    @model_validator(mode="after")
    def _windows_ordered(self) -> CacheSettings:
        if self.keep_seconds < self.fresh_seconds + self.stale_seconds:
            raise ValueError("keep_seconds must be at least fresh_seconds + stale_seconds")
        return self
