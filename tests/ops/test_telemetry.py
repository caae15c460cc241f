"""Optional OpenTelemetry tracing: off by default, a clear error without its packages, and spans
without query strings when on."""

from __future__ import annotations

import sys

import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace.export import ConsoleSpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from adapter.app import create_app
from adapter.config import Settings, TelemetrySettings
from adapter.errors import ConfigError
from adapter.web import telemetry
from adapter.web.telemetry import INSTALL_HINT, build_tracing
from tests.servers import refused_port
from tests.support import CHAT_AUTH, SettingsFactory, asgi_client


def test_off_by_default() -> None:
    """Without `telemetry.enabled` nothing is built and nothing is imported for it."""
    assert build_tracing(TelemetrySettings()) is None


@pytest.mark.parametrize("missing", ["opentelemetry.sdk", "opentelemetry.instrumentation.asgi"])
def test_missing_packages_are_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    """Tracing on without the `otel` extra refuses to start and says what to install."""
    for name in [n for n in sys.modules if n == missing or n.startswith(f"{missing}.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(ConfigError) as caught:
        build_tracing(TelemetrySettings(enabled=True))
    assert INSTALL_HINT in caught.value.problems[0]
    assert caught.value.problems[0].startswith("telemetry.enabled:")


def test_otlp_exporter_is_built_for_its_endpoint() -> None:
    """The OTLP exporter is the default and shuts down cleanly with nothing to send."""
    endpoint = f"http://127.0.0.1:{refused_port()}/v1/traces"
    tracing = build_tracing(TelemetrySettings(enabled=True, endpoint=endpoint))
    assert tracing is not None
    tracing.shutdown()


async def test_spans_for_a_chat_call_and_its_site_call(
    remote_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A chat call makes a server span named by route and a client span for the site call, in
    one trace, with the request id and without the query string."""
    exporter = InMemorySpanExporter()
    monkeypatch.setattr(telemetry, "_exporter", lambda _: exporter)
    settings = remote_settings.model_copy(update={"telemetry": TelemetrySettings(enabled=True)})
    secret = "query-token-value-4b1d"
    async with asgi_client(create_app(settings)) as client:
        response = await client.get(
            f"/imbachat/v1/users?user_ids=1,2&jwt_token={secret}", auth=CHAT_AUTH
        )
        assert HTTPXClientInstrumentor().is_instrumented_by_opentelemetry
    assert not HTTPXClientInstrumentor().is_instrumented_by_opentelemetry
    assert response.status_code == 200
    found = exporter.get_finished_spans()
    assert secret not in "".join(span.to_json() for span in found)
    (server,) = [s for s in found if s.kind == SpanKind.SERVER]
    (client_span,) = [s for s in found if s.kind == SpanKind.CLIENT]
    assert server.name == "GET /imbachat/v1/users"
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/imbachat/v1/users"
    assert server.attributes["imbachat.request_id"] == response.headers["x-request-id"]
    assert client_span.context is not None
    assert server.context is not None
    assert client_span.context.trace_id == server.context.trace_id
    assert client_span.parent is not None
    assert client_span.parent.span_id == server.context.span_id
    assert server.resource.attributes["service.name"] == "imbachat-adapter"


def test_console_exporter_for_a_first_look() -> None:
    """`exporter: console` prints spans on stdout instead of sending them."""
    exporter = telemetry._exporter(TelemetrySettings(enabled=True, exporter="console"))
    assert isinstance(exporter, ConsoleSpanExporter)


async def test_tracing_leaves_the_answers_alone(make_settings: SettingsFactory) -> None:
    """With tracing on, the chat still gets its users for ids in the query and in the path."""
    settings = make_settings({"telemetry": {"enabled": True, "exporter": "console"}})
    async with asgi_client(create_app(settings)) as client:
        by_query = await client.get("/imbachat/v1/users?user_ids=3,1", auth=CHAT_AUTH)
        by_path = await client.get("/imbachat/v1/getusers/2", auth=CHAT_AUTH)
    assert [u["user_id"] for u in by_query.json()] == [3, 1]
    assert [u["user_id"] for u in by_path.json()] == [2]
