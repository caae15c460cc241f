"""Fixtures for directory tests: settings over the demo upstream process and the real Redis."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from adapter.config import Settings
from tests.servers import DemoUpstream
from tests.support import SettingsFactory, deep_merge, remote


@pytest.fixture
def redis_settings(
    make_settings: SettingsFactory, demo_upstream: DemoUpstream, redis_url: str, redis_prefix: str
) -> SettingsFactory:
    """Settings against the demo upstream process and the real Redis under this test's prefix."""

    def build(overrides: Mapping[str, Any] | None = None, **environ: str) -> Settings:
        base = {
            **remote(demo_upstream.graphql_url, retry={"attempts": 1}),
            "cache": {"backend": "redis", "prefix": redis_prefix, "redis": {"url": redis_url}},
        }
        return make_settings(deep_merge(base, overrides or {}), **environ)

    return build
