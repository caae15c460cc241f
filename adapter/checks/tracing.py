"""Whether the tracing extra is installed, found without building a tracer.

`importlib.util.find_spec` looks each module tracing needs up: nothing is set up, and none of
those modules is run (only the packages holding them are imported, to look inside).
"""

from __future__ import annotations

import importlib.util

from adapter.config import TelemetrySettings
from adapter.web.telemetry import missing_packages, tracing_modules

__all__ = ["tracing_problems"]


def _first_missing(modules: tuple[str, ...]) -> str | None:
    for module in modules:
        try:
            if importlib.util.find_spec(module) is None:
                return module
        except ModuleNotFoundError as exc:  # a package on the way is missing
            return exc.name or module
    return None


def tracing_problems(settings: TelemetrySettings) -> list[str]:
    """What `serve` would refuse for tracing: its packages missing while it is switched on."""
    if not settings.enabled:
        return []
    missing = _first_missing(tracing_modules(settings))
    return [] if missing is None else missing_packages(missing).problems
