"""The composition root: parts opened in order and closed in reverse, also when a step fails;
what a caller passes in stays the caller's; the embedded demo is one app for client and mount."""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any

import httpx
import pytest
import redis
import stamina
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from structlog.testing import capture_logs

from adapter import runtime as runtime_module
from adapter.app import create_app
from adapter.cache import MemoryCache
from adapter.demo import create_demo_upstream_app
from adapter.directory import Directory
from adapter.runtime import (
    EMBEDDED_URL,
    UpstreamTarget,
    open_runtime,
    prepare_runtime,
    upstream_target,
)
from adapter.upstream import UpstreamClient
from adapter.web.graphql import FrontendApi
from adapter.web.telemetry import Tracing
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client

SITE = {"upstream": {"embedded_demo": False, "url": "http://site.test/graphql"}}

Event = tuple[str, object]


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[Event]:
    """What was opened and closed, in order, as ("open" | "close", part); every step still runs."""
    seen: list[Event] = []

    def method(cls: type, name: str, action: str) -> None:
        original = getattr(cls, name)
        if inspect.iscoroutinefunction(original):

            async def spied_async(self: object, *args: Any, **kwargs: Any) -> Any:
                seen.append((action, self))
                return await original(self, *args, **kwargs)

            monkeypatch.setattr(cls, name, spied_async)
        else:

            def spied(self: object, *args: Any, **kwargs: Any) -> Any:
                seen.append((action, self))
                return original(self, *args, **kwargs)

            monkeypatch.setattr(cls, name, spied)

    def factory(name: str) -> None:
        original = getattr(runtime_module, name)

        def spied(*args: Any, **kwargs: Any) -> Any:
            part = original(*args, **kwargs)
            seen.append(("open", part))
            return part

        monkeypatch.setattr(runtime_module, name, spied)

    method(Tracing, "start", "open")
    method(Tracing, "shutdown", "close")
    method(UpstreamClient, "__init__", "open")
    method(UpstreamClient, "aclose", "close")
    factory("build_cache")
    method(MemoryCache, "aclose", "close")
    method(Directory, "__init__", "open")
    method(Directory, "aclose", "close")
    factory("open_frontend")
    method(FrontendApi, "aclose", "close")
    return seen


def _tracing() -> Tracing:
    """Tracing into a provider that exports nothing."""
    return Tracing(TracerProvider())


async def test_parts_open_in_order_and_close_in_reverse(
    make_settings: SettingsFactory, events: list[Event]
) -> None:
    """Tracing, upstream, cache, directory, frontend open in this order and close in reverse."""
    blueprint = replace(prepare_runtime(make_settings()), tracing=_tracing())
    async with open_runtime(blueprint) as runtime:
        parts = {
            "tracing": blueprint.tracing,
            "upstream": runtime.upstream,
            "cache": runtime.cache,
            "directory": runtime.directory,
            "frontend": runtime.frontend,
        }
        assert len(await runtime.directory.lookup([1, 2])) == 2
    # The viewer's own upstream client opens and closes inside the frontend's steps.
    named = [(action, name) for action, part in events for name, p in parts.items() if part is p]
    assert named == [
        ("open", "tracing"),
        ("open", "upstream"),
        ("open", "cache"),
        ("open", "directory"),
        ("open", "frontend"),
        ("close", "frontend"),
        ("close", "directory"),
        ("close", "cache"),
        ("close", "upstream"),
        ("close", "tracing"),
    ]


async def test_a_step_that_fails_closes_what_was_opened_before_it(
    make_settings: SettingsFactory, events: list[Event]
) -> None:
    """A cache that cannot be built: the upstream client and the tracing are closed again, the
    error reaches the caller and the runtime never says it started."""
    settings = make_settings({"cache": {"backend": "redis", "redis": {"url": "ftp://nowhere"}}})
    blueprint = replace(prepare_runtime(settings), tracing=_tracing())
    with capture_logs() as logs, pytest.raises(ValueError, match="Redis URL"):
        async with open_runtime(blueprint):
            pytest.fail("the runtime opened without its cache")
    assert [(action, type(part).__name__) for action, part in events] == [
        ("open", "Tracing"),
        ("open", "UpstreamClient"),
        ("close", "UpstreamClient"),
        ("close", "Tracing"),
    ]
    assert not HTTPXClientInstrumentor().is_instrumented_by_opentelemetry
    assert "started" not in {line["event"] for line in logs}


class KeptTransport(httpx.ASGITransport):
    """The demo site in-process, remembering whether anyone closed it."""

    closed = False

    async def aclose(self) -> None:
        self.closed = True
        await super().aclose()


async def test_a_transport_and_a_cache_passed_in_stay_the_callers(
    make_settings: SettingsFactory,
) -> None:
    """Overrides are used for every call and left open: the runtime closes only what it made."""
    transport = KeptTransport(app=create_demo_upstream_app())
    cache = MemoryCache(max_entries=100)
    blueprint = prepare_runtime(make_settings(SITE))
    async with open_runtime(blueprint, upstream_transport=transport, cache=cache) as runtime:
        assert runtime.cache is cache
        assert len(await runtime.directory.lookup([1, 2])) == 2
    assert not transport.closed
    assert len(cache) == 2  # a closed MemoryCache forgets its entries


def test_the_target_is_the_configured_url_or_the_embedded_demo(
    make_settings: SettingsFactory,
) -> None:
    """An embedded demo is one app reached through a new transport per client; a site is a URL."""
    embedded = upstream_target(make_settings())
    assert embedded.url == EMBEDDED_URL
    assert embedded.demo is not None
    assert isinstance(embedded.transport(), httpx.ASGITransport)
    assert embedded.transport() is not embedded.transport()
    site = upstream_target(make_settings(SITE))
    assert site == UpstreamTarget("http://site.test/graphql")
    assert site.transport() is None


async def _demo_requests(demo: Any, base_url: str = "http://demo") -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=demo), base_url=base_url) as c:
        count: int = (await c.get("/stats")).json()["graphql_requests"]
        return count


async def test_the_runtime_asks_the_blueprints_demo(make_settings: SettingsFactory) -> None:
    """The runtime's client calls the very demo app the blueprint holds (the one the app mounts)."""
    blueprint = prepare_runtime(make_settings())
    assert blueprint.target.demo is not None
    async with open_runtime(blueprint) as runtime:
        await runtime.directory.lookup([1, 2])
    assert await _demo_requests(blueprint.target.demo) == 1


async def test_the_app_mounts_the_demo_its_runtime_asks(make_settings: SettingsFactory) -> None:
    """A users-info call through the embedded demo shows in the mounted demo's own counter."""
    async with asgi_client(create_app(make_settings())) as client:
        response = await client.get("/imbachat/v1/users?user_ids=1,2", auth=CHAT_AUTH)
        assert response.status_code == 200
        stats = await client.get("/demo-upstream/stats")
    assert stats.json()["graphql_requests"] == 1


async def test_webhook_signatures_are_kept_in_the_cache_only_when_webhooks_are_on(
    make_settings: SettingsFactory, redis_url: str, redis_prefix: str
) -> None:
    """With a secret the runtime keeps used signatures under `{prefix}webhook:`, once each."""
    cache = {"backend": "redis", "prefix": redis_prefix, "redis": {"url": redis_url}}
    settings = make_settings({"cache": cache, "webhooks": {"secret": "0123456789abcdef-webhook"}})
    client = redis.Redis.from_url(redis_url)
    try:
        async with open_runtime(prepare_runtime(settings)) as runtime:
            assert runtime.nonces is not None
            assert await runtime.nonces.claim("f00d", 30)
            assert client.exists(f"{redis_prefix}webhook:f00d") == 1
            assert not await runtime.nonces.claim("f00d", 30)
            await runtime.nonces.forget("f00d")
            assert client.exists(f"{redis_prefix}webhook:f00d") == 0
    finally:
        client.close()
    async with open_runtime(prepare_runtime(make_settings())) as runtime:
        assert runtime.nonces is None


def test_an_app_built_without_configure_logging_has_stamina_s_hook_off(
    make_settings: SettingsFactory,
) -> None:
    """Libraries' process-wide state is the composition root's, not the logging set-up's: an
    embedder calling create_app alone still gets stamina's retry hook off."""
    stamina.instrumentation.set_on_retry_hooks(None)  # stamina's defaults, as in a new process
    assert stamina.instrumentation.get_on_retry_hooks() != ()
    create_app(make_settings())
    assert stamina.instrumentation.get_on_retry_hooks() == ()
