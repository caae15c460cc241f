"""The start-up check, without any network: the stages `serve` runs before it listens
(`startup_files` refuses what they fail, and hands the app what they loaded), and
`check-config` first (`stages.py` adds the stages that need the network)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from adapter.checks.report import CheckReport
from adapter.config import (
    NOT_SECTIONS,
    ConfigFile,
    GraphQLSettings,
    Settings,
    TelemetrySettings,
    build_settings,
    read_config_file,
    sample_value_problems,
)
from adapter.errors import ConfigError
from adapter.exit_codes import ExitCode
from adapter.mapping import referenced_paths
from adapter.mapping_check import check_mapping_paths
from adapter.operations import build_operations
from adapter.runtime import Loaded, check_named_files
from adapter.web.telemetry import import_tracing

__all__ = ["check_startup", "startup_files"]


def check_startup(path: Path, *, environ: Mapping[str, str] | None = None) -> CheckReport:
    """The offline stages on the file at `path`; never raises for a bad configuration.

    `environ` replaces `os.environ` for `${NAME}` references and `IMBACHAT__` overrides. The
    report's `settings` is None when the file, environment or values failed; its `operations`
    None when the documents or the mapping did.
    """
    environ = os.environ if environ is None else environ
    report = CheckReport(path)
    data = _read_file(path, report)
    if data is None:
        return report
    report.settings = _settings(path, data, environ, report)
    if report.settings is not None:
        report.loaded = _check_documents(report.settings, report)
    return report


def startup_files(path: Path) -> Loaded:
    """What `serve` runs with: the settings and files as `check_startup` loaded them, for
    `create_app` to take without reading them again; ConfigError listing what it failed."""
    report = check_startup(path)
    if not report.ok or report.loaded is None:
        raise ConfigError([check.message for check in report.problems], source=str(path))
    return report.loaded


# --- file, environment, values, frontend ----------------------------------------------------------


def _read_file(path: Path, report: CheckReport) -> dict[str, Any] | None:
    try:
        data = read_config_file(path)
    except ConfigError as exc:
        report.fail("file", ExitCode.INVALID, exc.problems)
        return None
    if not isinstance(data, dict):
        report.fail("file", ExitCode.INVALID, [NOT_SECTIONS])
        return None
    report.add("file", "ok", "readable YAML")
    return data


def _settings(
    path: Path,
    data: dict[str, Any],
    environ: Mapping[str, str],
    report: CheckReport,
) -> Settings | None:
    file = ConfigFile(Settings, data, environ=environ, base_dir=path.resolve().parent)
    missing, names = file.problems, sorted(file.names)
    if missing:
        report.fail("environment", ExitCode.ENVIRONMENT, missing)
    else:
        shown = f" ({', '.join(names)})" if names else ""
        report.add(
            "environment", "ok", f"{len(names)} variables referenced{shown}, each set or defaulted"
        )
    try:
        settings = build_settings(file, source=str(path))
    except ConfigError as exc:
        # The loader repeats the unset variables; they are reported above.
        report.fail("values", ExitCode.INVALID, [p for p in exc.problems if p not in missing])
        return None
    tracing = tracing_problems(settings.telemetry)
    if tracing:
        report.fail("values", ExitCode.INVALID, tracing)
        return None
    samples = sample_value_problems(settings)
    if samples:
        # The rest can still be checked: a sample password does not stop the site answering.
        report.fail("values", ExitCode.INVALID, samples)
    else:
        report.add("values", "ok", "every setting is valid")
    _check_frontend(settings, report)
    return settings


def tracing_problems(settings: TelemetrySettings) -> list[str]:
    """What `serve` would refuse for tracing: its packages missing, or failing to import, while
    it is switched on. They are imported as `serve` imports them; no tracer is built."""
    try:
        import_tracing(settings)
    except ConfigError as exc:
        return exc.problems
    return []


def _check_frontend(settings: Settings, report: CheckReport) -> None:
    if settings.graphql is None:
        report.add(
            "frontend",
            "warn",
            "the token API is off: without `tokens`, `viewer` and `graphql` sections, POST "
            f"{GraphQLSettings().path} answers 404 and pages cannot get widget tokens",
        )
        return
    assert settings.viewer is not None  # Settings checks graphql has tokens and viewer
    report.add(
        "frontend",
        "ok",
        f"the token API is on at POST {settings.graphql.path} (viewer: {settings.viewer.mode})",
    )


# --- documents and mapping -----------------------------------------------------------------------


def _check_documents(settings: Settings, report: CheckReport) -> Loaded | None:
    """The parsed documents and the other files named, or None when they or the mapping do not
    fit (schema: skipped)."""
    try:
        operations = build_operations(settings)
        loaded = check_named_files(settings, operations)  # the feed's document too
    except ConfigError as exc:
        report.fail("documents", ExitCode.DOCUMENTS, exc.problems)
        report.add("mapping", "skip", "needs the documents and the files the configuration names")
        return None
    names = [name for name, _ in loaded.operations.documents()]
    report.add("documents", "ok", f"{len(names)} parsed ({', '.join(names)})")
    try:
        check_mapping_paths(settings, operations)
    except ConfigError as exc:
        report.fail("mapping", ExitCode.DOCUMENTS, exc.problems)
        return None
    count = len(referenced_paths(settings.mapping))
    login = " (the login document: those its answer reads)" if operations.login else ""
    report.add(
        "mapping",
        "ok",
        f"all {count} paths it reads are selected by the documents returning users{login}",
    )
    return loaded
