"""The one composition root (ARCHITECTURE.md, "Start-up and shutdown"): `prepare_runtime` opens
nothing, as the app factory builds its routes from the blueprint before the lifespan opens it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from functools import partial

import httpx
import stamina
import structlog
from starlette.types import ASGIApp

from adapter.cache import Cache, build_cache
from adapter.config import Settings
from adapter.directory import Directory
from adapter.errors import ConfigError
from adapter.feed import Feed, FeedDocument, feed_document, open_feed
from adapter.feed.in_process import connect_in_process
from adapter.feed.subscription import Connect
from adapter.mapping_check import check_mapping_paths
from adapter.metrics import Metrics
from adapter.notify import Notifier
from adapter.operations import Operations, build_operations
from adapter.site_users import Accounts
from adapter.upstream import UpstreamClient
from adapter.viewer import viewer_operation
from adapter.web.graphql import FrontendApi, open_frontend
from adapter.web.graphql.trusted import TrustedDocuments
from adapter.web.telemetry import Tracing, build_tracing
from adapter.web.webhooks import NonceStore

__all__ = [
    "EMBEDDED_URL",
    "Blueprint",
    "Loaded",
    "Runtime",
    "UpstreamTarget",
    "check_named_files",
    "open_runtime",
    "prepare_runtime",
    "set_library_state",
    "upstream_target",
]

log = structlog.get_logger(__name__)

# The embedded demo's address for the upstream client; no request leaves the process.
EMBEDDED_URL = "http://demo-upstream.internal/graphql"


@dataclass(frozen=True)
class UpstreamTarget:
    """Where the site's GraphQL API is: `url`, served in-process by `demo` when embedded."""

    url: str | None
    demo: ASGIApp | None = None

    def transport(self) -> httpx.AsyncBaseTransport | None:
        """A new in-process transport to the embedded demo; None means the network."""
        return None if self.demo is None else httpx.ASGITransport(app=self.demo)

    def websocket(self) -> Connect | None:
        """How the feed reaches the embedded demo's subscriptions in-process; None: the network."""
        return None if self.demo is None else partial(connect_in_process, self.demo)


def upstream_target(settings: Settings) -> UpstreamTarget:
    """The configured site, or a new demo app when the configuration embeds it."""
    if settings.upstream.embedded_demo:
        from adapter.demo import create_demo_upstream_app

        return UpstreamTarget(EMBEDDED_URL, create_demo_upstream_app())
    return UpstreamTarget(settings.upstream.url)


@dataclass(frozen=True)
class Loaded:
    """What start-up read from the files the configuration names, checked, for the app to take
    as it is: the start-up check builds it for `serve`, `prepare_runtime` when given settings."""

    settings: Settings
    operations: Operations
    feed: FeedDocument | None = None
    trusted: TrustedDocuments | None = None


@dataclass(frozen=True, kw_only=True)
class Blueprint(Loaded):
    """What the adapter is built from, decided before anything is opened: what start-up loaded,
    with the metrics, the tracing and the site."""

    metrics: Metrics
    tracing: Tracing | None
    target: UpstreamTarget


def check_named_files(settings: Settings, operations: Operations) -> Loaded:
    """The files the configuration names beyond the operation documents, loaded: the feed's
    document, the viewer document (in the operations, also when it is the default one) and the
    trusted documents manifest of the token API, the demo page's folder. ConfigError listing
    each problem (start-up, and check-config's documents stage)."""
    problems: list[str] = []
    feed = trusted = None
    try:
        feed = feed_document(settings)
    except ConfigError as exc:
        problems += exc.problems
    graphql, viewer = settings.graphql, settings.viewer
    if graphql is not None and viewer is not None and viewer.mode == "upstream":
        try:
            # Kept: the viewer source takes it instead of reading the default document again.
            operations = replace(operations, viewer=viewer_operation(settings, operations)[0])
        except ConfigError as exc:
            problems += exc.problems
    manifest = graphql.trusted_documents.manifest if graphql is not None else None
    if graphql is not None and graphql.trusted_documents.enabled and manifest is not None:
        try:
            trusted = TrustedDocuments.load(settings.resolve(manifest))
        except ConfigError as exc:
            problems += exc.problems
    folder = settings.resolve(settings.demo_page.directory)
    if settings.demo_page.enabled and not folder.is_dir():
        problems.append(f"demo_page.directory: {folder} is not a folder")
    if problems:
        raise ConfigError(problems, source="files the configuration names")
    return Loaded(settings, operations, feed, trusted)


def set_library_state() -> None:
    """The process-wide state of libraries, the same for every app: stamina's own retry hook
    off (it logs each retry with the call's internals, `callable=<context block> args=[]`; the
    upstream client logs one readable line per failed call instead)."""
    stamina.instrumentation.set_on_retry_hooks(())


def prepare_runtime(start: Settings | Loaded) -> Blueprint:
    """Sets the libraries' process-wide state; takes the files the start-up check loaded, or
    (given settings) loads and checks documents, mapping and the other files named; makes
    metrics and tracing, chooses the site. ConfigError when the files, the mapping or the
    tracing packages are wrong."""
    if isinstance(start, Loaded):
        loaded = start
    else:
        operations = build_operations(start)
        check_mapping_paths(start, operations)
        loaded = check_named_files(start, operations)
    set_library_state()
    return Blueprint(
        **vars(loaded),
        metrics=Metrics(),
        tracing=build_tracing(loaded.settings.telemetry),
        target=upstream_target(loaded.settings),
    )


@dataclass(frozen=True)
class Runtime:
    """The adapter's open parts, shared by every request while the runtime is open."""

    settings: Settings
    operations: Operations
    metrics: Metrics
    upstream: UpstreamClient
    cache: Cache
    directory: Directory
    accounts: Accounts
    notifier: Notifier | None
    nonces: NonceStore | None
    frontend: FrontendApi | None
    feed: Feed | None = None


class _Borrowed(httpx.AsyncBaseTransport):
    """A transport the caller keeps: requests pass through, closing it is left to the caller."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)


@asynccontextmanager
async def open_runtime(
    blueprint: Blueprint,
    *,
    upstream_transport: httpx.AsyncBaseTransport | None = None,
    cache: Cache | None = None,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[Runtime]:
    """Open every part in order and close them in reverse, also when a step fails.
    `upstream_transport` (the site, for the upstream client and the viewer query) and `cache`
    replace the configured ones and stay the caller's; `clock` is the directory's wall clock."""
    settings, metrics, operations = blueprint.settings, blueprint.metrics, blueprint.operations
    transport: httpx.AsyncBaseTransport | None
    if upstream_transport is not None:
        transport, url = _Borrowed(upstream_transport), settings.upstream.url
    else:
        transport, url = blueprint.target.transport(), blueprint.target.url
    async with AsyncExitStack() as parts:
        if blueprint.tracing is not None:
            blueprint.tracing.start()  # before the clients, whose calls it traces
            parts.callback(blueprint.tracing.shutdown)
        upstream = UpstreamClient(settings.upstream, metrics=metrics, transport=transport, url=url)
        parts.push_async_callback(upstream.aclose)
        # `is None`, not `or`: an empty MemoryCache is falsy (it has a length).
        if cache is None:
            cache = build_cache(settings.cache, metrics)
            parts.push_async_callback(cache.aclose)
        directory = Directory(
            settings=settings,
            operations=operations,
            upstream=upstream,
            cache=cache,
            metrics=metrics,
            clock=clock,
        )
        parts.push_async_callback(directory.aclose)
        feed = None
        if blueprint.feed is not None:
            feed = open_feed(
                settings,
                blueprint.feed,
                upstream=upstream,
                directory=directory,
                metrics=metrics,
                site_url=blueprint.target.url,
                connect=blueprint.target.websocket(),
            )
            parts.push_async_callback(feed.aclose)
        accounts = Accounts(settings=settings, operations=operations, upstream=upstream)
        notifier = Notifier(operations.notify, upstream) if operations.notify else None
        nonces = NonceStore(settings, cache) if settings.webhooks.enabled else None
        frontend = None
        if settings.graphql is not None:
            frontend = open_frontend(
                settings, operations, metrics=metrics, transport=transport, url=url
            )
            parts.push_async_callback(frontend.aclose)
        log.info(
            "started",
            upstream="embedded demo" if url == EMBEDDED_URL else url,
            strategy=settings.upstream.batch.strategy,
            cache=settings.cache.backend,
        )
        try:
            yield Runtime(
                settings=settings,
                operations=operations,
                metrics=metrics,
                upstream=upstream,
                cache=cache,
                directory=directory,
                accounts=accounts,
                notifier=notifier,
                nonces=nonces,
                frontend=frontend,
                feed=feed,
            )
        finally:
            # Closed here, not on leaving the `async with`, so that "stopped" comes after.
            await parts.aclose()
            log.info("stopped")
