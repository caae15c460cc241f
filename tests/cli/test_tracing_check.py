"""check-config's tracing test: the `otel` extra imported as `serve` imports it, never a tracer
built."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

from adapter.checks.startup import tracing_problems
from adapter.config import TelemetrySettings
from adapter.web.telemetry import INSTALL_HINT, tracing_modules

_real_import = importlib.import_module


def test_tracing_off_needs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """With tracing off nothing is imported, whatever is installed."""
    imported: list[str] = []
    monkeypatch.setattr(importlib, "import_module", imported.append)
    assert tracing_problems(TelemetrySettings()) == []
    assert imported == []


@pytest.mark.parametrize("exporter", ["console", "otlp"])
def test_every_module_present_passes(monkeypatch: pytest.MonkeyPatch, exporter: str) -> None:
    """When every module tracing needs imports, the check passes, having imported each one."""
    settings = TelemetrySettings(enabled=True, exporter=exporter)
    imported: list[str] = []

    def present(name: str) -> ModuleType:
        imported.append(name)
        return ModuleType(name)

    monkeypatch.setattr(importlib, "import_module", present)
    assert tracing_problems(settings) == []
    assert imported == list(tracing_modules(settings))


def test_a_missing_package_is_named_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A package that is not installed is named, with what to install."""

    def no_httpx_instrumentation(name: str) -> ModuleType:
        if name == "opentelemetry.instrumentation.httpx":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return ModuleType(name)

    monkeypatch.setattr(importlib, "import_module", no_httpx_instrumentation)
    (problem,) = tracing_problems(TelemetrySettings(enabled=True))
    assert "(opentelemetry.instrumentation.httpx is not installed)" in problem
    assert INSTALL_HINT in problem
    assert problem.startswith("telemetry.enabled: ")


def test_a_package_that_fails_to_import_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed but broken (a version mismatch): the module and its error are named."""

    def broken(name: str) -> ModuleType:
        raise ImportError("cannot import name 'Sampler'")

    monkeypatch.setattr(importlib, "import_module", broken)
    (problem,) = tracing_problems(TelemetrySettings(enabled=True))
    assert "opentelemetry.sdk.resources fails to import" in problem
    assert "cannot import name 'Sampler'" in problem


def test_the_installed_extra_passes_for_real() -> None:
    """In this environment the `otel` extra is installed: the real import finds every module."""
    assert importlib.import_module is _real_import
    assert tracing_problems(TelemetrySettings(enabled=True, exporter="otlp")) == []
