"""Running it: logs and traces."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from adapter.config.base import Model

__all__ = ["LoggingSettings", "TelemetrySettings"]


class LoggingSettings(Model):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "console"] = "json"


class TelemetrySettings(Model):
    """Optional OpenTelemetry tracing; needs `pip install 'imbachat-adapter[otel]'`."""

    enabled: bool = False
    service_name: str = Field("imbachat-adapter", min_length=1)
    # otlp: OTLP over HTTP to `endpoint` (unset: the standard OTEL_EXPORTER_OTLP_* variables);
    # console: spans as JSON on stdout, for a first look.
    exporter: Literal["otlp", "console"] = "otlp"
    endpoint: str | None = None
    sample_ratio: float = Field(1.0, ge=0, le=1)
