"""Fixtures for directory tests: settings over the demo upstream process and the real Redis."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from adapter.config import Settings
from tests.cache.conftest import private_redis
from tests.conftest import DemoUpstream, SettingsFactory, deep_merge
from tests.directory.support import RedisSettingsFactory

__all__ = ["private_redis", "redis_settings"]


@pytest.fixture
def redis_settings(
    make_settings: SettingsFactory, demo_upstream: DemoUpstream, redis_url: str, redis_prefix: str
) -> RedisSettingsFactory:
    """Settings against the demo upstream process and the real Redis under this test's prefix."""

    def build(overrides: Mapping[str, Any] | None = None, **environ: str) -> Settings:
        base = {
            "upstream": {
                "embedded_demo": False,
                "url": demo_upstream.graphql_url,
                "retry": {"attempts": 1, "backoff_initial": 0, "backoff_max": 0},
            },
            "cache": {"backend": "redis", "prefix": redis_prefix, "redis": {"url": redis_url}},
        }
        return make_settings(deep_merge(base, overrides or {}), **environ)

    return build
