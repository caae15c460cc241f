"""check-config's tracing stage: the `otel` extra looked up, never a tracer built."""

from __future__ import annotations

import importlib.util
from importlib.machinery import ModuleSpec

import pytest

from adapter.checks.startup import tracing_problems
from adapter.config import TelemetrySettings
from adapter.web.telemetry import INSTALL_HINT, tracing_modules

_real_find_spec = importlib.util.find_spec


def test_tracing_off_needs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """With tracing off nothing is looked up, whatever is installed."""
    looked_up: list[str] = []
    monkeypatch.setattr(importlib.util, "find_spec", looked_up.append)
    assert tracing_problems(TelemetrySettings()) == []
    assert looked_up == []


@pytest.mark.parametrize("exporter", ["console", "otlp"])
def test_every_module_present_passes(monkeypatch: pytest.MonkeyPatch, exporter: str) -> None:
    """When every module tracing needs is found, the check passes, having looked up each one."""
    settings = TelemetrySettings(enabled=True, exporter=exporter)
    looked_up: list[str] = []

    def found(name: str) -> ModuleSpec:
        looked_up.append(name)
        return ModuleSpec(name, None)

    monkeypatch.setattr(importlib.util, "find_spec", found)
    assert tracing_problems(settings) == []
    assert looked_up == list(tracing_modules(settings))


def test_a_missing_module_is_named_with_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module find_spec does not find is named, with what to install."""
    absent = "opentelemetry.instrumentation.httpx"
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: None if name == absent else ModuleSpec(name, None),
    )
    (problem,) = tracing_problems(TelemetrySettings(enabled=True))
    assert f"({absent} is not installed)" in problem
    assert INSTALL_HINT in problem
    assert problem.startswith("telemetry.enabled: ")


def test_a_missing_package_on_the_way_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """When a package holding a module is missing (find_spec raises), that package is named."""

    def no_opentelemetry(name: str) -> ModuleSpec | None:
        raise ModuleNotFoundError(f"No module named {name.split('.')[0]!r}", name="opentelemetry")

    monkeypatch.setattr(importlib.util, "find_spec", no_opentelemetry)
    (problem,) = tracing_problems(TelemetrySettings(enabled=True))
    assert "(opentelemetry is not installed)" in problem


def test_the_installed_extra_passes_for_real() -> None:
    """In this environment the `otel` extra is installed: the real look-up finds every module."""
    assert importlib.util.find_spec is _real_find_spec
    assert tracing_problems(TelemetrySettings(enabled=True, exporter="otlp")) == []
