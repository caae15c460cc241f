"""Optional OpenTelemetry tracing: a server span per request, a client span per upstream call.

Switched on by `telemetry.enabled` in the configuration. The OpenTelemetry packages are the
optional extra `otel` and are imported only here, only when tracing is on; switched on without
them, the adapter refuses to start with a configuration error that says what to install.

Query strings never reach a span: the chat's `jwt_token` parameter is a credential, and the
ids are in the metrics already. The ASGI instrumentation is therefore given the request without
its query string, and the application gets it back just inside.
"""

from __future__ import annotations

import importlib
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapter.config import TelemetrySettings
from adapter.errors import ConfigError
from adapter.logs import current_request_id
from adapter.web.edge import route_template

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span

__all__ = [
    "INSTALL_HINT",
    "Tracing",
    "build_tracing",
    "import_tracing",
    "tracing_modules",
]

log = structlog.get_logger(__name__)

INSTALL_HINT = "pip install 'imbachat-adapter[otel]'"
_HIDDEN_QUERY = "imbachat.query_string"


def _name_span(scope: Scope) -> None:
    from opentelemetry import trace

    span = trace.get_current_span()
    if span.is_recording():
        # A path such as /getusers/6,7,12 would make a span name per call; the template does not.
        route = route_template(scope)
        span.update_name(f"{scope['method']} {route}")
        span.set_attribute("http.route", route)


def _tag_request_id(span: Span, _: MutableMapping[str, Any]) -> None:
    request_id = current_request_id()
    if request_id and span.is_recording():
        span.set_attribute("imbachat.request_id", str(request_id))


def _span_details(scope: Scope) -> tuple[str, dict[str, str]]:
    # The route is not known yet; the span is renamed when it is.
    return str(scope.get("method", "HTTP")), {}


class Tracing:
    """Tracing switched on: one tracer provider for the app's requests and upstream calls."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self._instrumented = False

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """`app` (for HTTP requests) inside a server span (the edge wraps its dispatch, after
        the bounds and the request id, so that the span carries the request id)."""
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        async def inside(scope: Scope, receive: Receive, send: Send) -> None:
            # The application gets its query string back, and the span is named after the
            # route template once the router has chosen the route.
            scope["query_string"] = scope.pop(_HIDDEN_QUERY)

            async def naming_send(message: Message) -> None:
                # The span ends with the last body chunk; the route is known by the first.
                if message["type"] == "http.response.start":
                    _name_span(scope)
                await send(message)

            await app(scope, receive, naming_send)

        traced = OpenTelemetryMiddleware(
            inside,
            tracer_provider=self.provider,
            exclude_spans=["receive", "send"],
            default_span_details=_span_details,
            server_request_hook=_tag_request_id,
        )

        async def outside(scope: Scope, receive: Receive, send: Send) -> None:
            # The query string is put aside (in the same scope dict) before the span sees it.
            scope[_HIDDEN_QUERY] = scope.get("query_string", b"")
            scope["query_string"] = b""
            await traced(scope, receive, send)

        return outside

    def start(self) -> None:
        """Trace outgoing httpx calls (the upstream client is the process's only httpx user)."""
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument(tracer_provider=self.provider)
        self._instrumented = True

    def shutdown(self) -> None:
        """Stop tracing httpx and flush the spans still buffered."""
        if self._instrumented:
            from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

            HTTPXClientInstrumentor().uninstrument()
            self._instrumented = False
        self.provider.shutdown()


def tracing_modules(settings: TelemetrySettings) -> tuple[str, ...]:
    """The modules tracing imports with these settings (all from the `otel` extra)."""
    exporter = (
        "opentelemetry.sdk.trace.export"
        if settings.exporter == "console"
        else "opentelemetry.exporter.otlp.proto.http.trace_exporter"
    )
    return (
        "opentelemetry.sdk.resources",
        "opentelemetry.sdk.trace",
        "opentelemetry.sdk.trace.export",
        "opentelemetry.sdk.trace.sampling",
        exporter,
        "opentelemetry.instrumentation.asgi",
        "opentelemetry.instrumentation.httpx",
    )


def _exporter(settings: TelemetrySettings) -> SpanExporter:
    if settings.exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter(service_name=settings.service_name)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=settings.endpoint)


def import_tracing(settings: TelemetrySettings) -> None:
    """Import what tracing needs when it is on, building nothing (the start-up check's test and
    `build_tracing`'s first step); ConfigError when a package is missing or fails to import."""
    if not settings.enabled:
        return
    for module in tracing_modules(settings):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            problem = (
                "tracing needs the optional OpenTelemetry packages "
                f"({exc.name or module} is not installed): {INSTALL_HINT}"
            )
        except Exception as exc:  # installed, but broken: a version mismatch, say
            problem = (
                f"{module} fails to import ({type(exc).__name__}: {exc}): "
                f"reinstall with {INSTALL_HINT}"
            )
        else:
            continue
        raise ConfigError(
            [f"telemetry.enabled: {problem}, or set telemetry.enabled: false"], source="telemetry"
        )


def build_tracing(settings: TelemetrySettings) -> Tracing | None:
    """Tracing as configured, or None when it is off; ConfigError when its packages are missing
    or fail to import."""
    if not settings.enabled:
        return None
    # Imported now so that a broken or missing package is a start-up error, not a failed request.
    import_tracing(settings)
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.service_name}),
        sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
    )
    provider.add_span_processor(BatchSpanProcessor(_exporter(settings)))
    log.info("tracing_enabled", exporter=settings.exporter, sample_ratio=settings.sample_ratio)
    return Tracing(provider)
