"""The stages of `check-config`, in order, each adding its lines to one `CheckReport`.

The documents are parsed once (`build_operations`); the mapping and schema stages reuse them.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from graphql import GraphQLSchema, build_client_schema, get_introspection_query

from adapter.cache import build_cache
from adapter.checks.report import Check, CheckReport
from adapter.checks.schema import page_size_problems, schema_problems, sees_less_hint
from adapter.checks.tracing import tracing_problems
from adapter.config import (
    GraphQLSettings,
    Settings,
    env_references,
    read_config_file,
    sample_value_problems,
    settings_from_mapping,
)
from adapter.errors import CacheError, ConfigError, UpstreamError, UpstreamGraphQLError
from adapter.exit_codes import ExitCode
from adapter.mapping import referenced_paths
from adapter.mapping_check import check_mapping_paths
from adapter.metrics import Metrics
from adapter.operations import Operations, build_operations
from adapter.runtime import upstream_target
from adapter.upstream import UpstreamClient
from adapter.urls import display_url

__all__ = ["run_checks"]

_PING_QUERY = "query AdapterCheck { __typename }"
_EMBEDDED = "the embedded demo upstream"


async def run_checks(
    settings_path: Path,
    *,
    environ: Mapping[str, str] | None = None,
    introspect: bool = True,
    connect: bool = True,
    schema: GraphQLSchema | None = None,
) -> CheckReport:
    """Check the configuration file at `settings_path`; never raises for a bad configuration.

    `environ` replaces `os.environ` for `${NAME}` references and `IMBACHAT__` overrides.
    `introspect=False` only checks that the site answers; `connect=False` skips the site and
    the cache altogether (stages 5 to 7), for a check without network. Sample and placeholder
    secrets fail the values stage outside the embedded demo. The returned report has
    `ok`, `exit_code`, `checks` (each with its `ExitCode` class), `lines()` for people,
    `as_dict()` for programs, the validated `settings` (None when stages 1-3 failed) and the
    introspected `schema` (None unless introspection worked). A given `schema` (init's
    --schema, for a site with introspection off) is checked against instead of introspecting.
    """
    environ = os.environ if environ is None else environ
    report = CheckReport(settings_path)
    data = _read_file(settings_path, report)
    if data is None:
        return report
    settings = _settings(settings_path, data, environ, report)
    if settings is None:
        return report
    report.settings = settings
    operations = _check_documents(settings, report)
    if not connect:
        report.add("upstream", "skip", "not contacted (--offline)")
        report.add("cache", "skip", "not contacted (--offline)")
        return report
    await asyncio.gather(
        _check_upstream(
            settings, report, introspect=introspect, operations=operations, given=schema
        ),
        _check_cache(settings, report),
    )
    report.checks.sort(key=_stage_order)
    return report


_STAGES = (
    "file",
    "environment",
    "values",
    "frontend",
    "documents",
    "mapping",
    "upstream",
    "schema",
    "cache",
)


def _stage_order(check: Check) -> int:
    return _STAGES.index(check.stage) if check.stage in _STAGES else len(_STAGES)


# --- stages 1-3: file, environment, values -------------------------------------------------------


def _read_file(path: Path, report: CheckReport) -> dict[str, Any] | None:
    try:
        data = read_config_file(path)
    except ConfigError as exc:
        report.fail("file", ExitCode.INVALID, exc.problems)
        return None
    if not isinstance(data, dict):
        report.fail("file", ExitCode.INVALID, ["the top level must be a mapping of sections"])
        return None
    report.add("file", "ok", "readable YAML")
    return data


def _settings(
    path: Path,
    data: dict[str, Any],
    environ: Mapping[str, str],
    report: CheckReport,
) -> Settings | None:
    references = list(env_references(data))
    missing = [
        f"{where}: environment variable {name} is not set"
        for where, name, default in references
        if default is None and name not in environ
    ]
    names = sorted({name for _, name, _ in references})
    if missing:
        report.fail("environment", ExitCode.ENVIRONMENT, missing)
    else:
        shown = f" ({', '.join(names)})" if names else ""
        report.add(
            "environment", "ok", f"{len(names)} variables referenced{shown}, each set or defaulted"
        )
    try:
        settings = settings_from_mapping(
            data, environ=environ, base_dir=path.resolve().parent, source=str(path)
        )
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
    if settings.chat.ids.type == "str":
        # The viewer's id is always a number (viewer.py): with text chat ids, no token names a
        # user the users call can find.
        report.fail(
            "frontend",
            ExitCode.INVALID,
            [
                "chat.ids.type is str, but the widget's token carries the site's integer user "
                "id (the chat's `(int)$user_id`): issueChatToken would answer VIEWER_ID_INVALID "
                "or name a user the users call cannot find. Fix: give the site's users an "
                "integer key that the users document filters on and the viewer document "
                "selects, then set chat.ids.type: int and mapping.id to it (README: "
                '"Integer chat ids"); or switch the token API off (remove graphql, tokens '
                "and viewer)",
            ],
        )
        return
    report.add(
        "frontend",
        "ok",
        f"the token API is on at POST {settings.graphql.path} (viewer: {settings.viewer.mode})",
    )


# --- stage 4: documents and mapping --------------------------------------------------------------


def _check_documents(settings: Settings, report: CheckReport) -> Operations | None:
    """The parsed documents, or None when they or the mapping do not fit (schema: skipped)."""
    try:
        operations = build_operations(settings)
    except ConfigError as exc:
        report.fail("documents", ExitCode.DOCUMENTS, exc.problems)
        report.add("mapping", "skip", "needs the users document")
        return None
    names = [name for name, _ in operations.documents()]
    report.add("documents", "ok", f"{len(names)} parsed ({', '.join(names)})")
    try:
        check_mapping_paths(settings, operations)
    except ConfigError as exc:
        report.fail("mapping", ExitCode.DOCUMENTS, exc.problems)
        return None
    count = len(referenced_paths(settings.mapping))
    report.add(
        "mapping", "ok", f"all {count} paths it reads are selected by the documents returning users"
    )
    return operations


# --- stages 5-6: the site and its schema ---------------------------------------------------------


def _target(settings: Settings) -> tuple[httpx.AsyncBaseTransport | None, str, str]:
    """Transport, URL and a printable name (without user info) for the site."""
    target = upstream_target(settings)
    transport, url = target.transport(), target.url
    if settings.upstream.embedded_demo:
        return transport, url or "", _EMBEDDED
    return transport, url or "", display_url(url or "")


async def _check_upstream(
    settings: Settings,
    report: CheckReport,
    *,
    introspect: bool,
    operations: Operations | None,
    given: GraphQLSchema | None = None,
) -> None:
    transport, url, shown = _target(settings)
    async with UpstreamClient(
        settings.upstream, metrics=Metrics(), transport=transport, url=url
    ) as client:
        schema: GraphQLSchema | None = None
        refused = ""
        try:
            if given is not None:
                await client.execute(_PING_QUERY, {})
                schema = given
            elif introspect:
                try:
                    result = await client.execute(get_introspection_query(descriptions=False), {})
                    schema = build_client_schema(result.data)  # type: ignore[arg-type]  # checked by build_client_schema itself
                except UpstreamGraphQLError as exc:
                    refused = exc.message
                    await client.execute(_PING_QUERY, {})
            else:
                await client.execute(_PING_QUERY, {})
        except UpstreamError as exc:
            report.fail("upstream", ExitCode.UPSTREAM, [f"{shown}: {exc.message}"])
            report.add("schema", "skip", "needs an answering site")
            return
        # A malformed answer can fail anywhere in graphql-core's builder.
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            report.fail("upstream", ExitCode.UPSTREAM, [f"{shown}: not a schema: {exc}"])
            report.add("schema", "skip", "needs the site's schema")
            return
    if schema is None:
        why = f"the site refused introspection ({refused})" if refused else "--no-introspect"
        report.add("upstream", "ok", f"{shown} answers")
        report.add("schema", "warn" if refused else "skip", f"not checked: {why}")
        return
    report.schema = schema
    source = "schema from the given file" if given is not None else "schema introspected"
    report.add("upstream", "ok", f"{shown} answers; {source}")
    hint = sees_less_hint(schema, settings.upstream.headers)
    if hint is not None:
        report.add("upstream", "warn", hint)
    if operations is None:
        report.add("schema", "skip", "needs documents and a mapping that parse")
        return
    problems = schema_problems(operations, settings.mapping, schema)
    problems += page_size_problems(operations, schema, settings.upstream.batch.size)
    if problems:
        report.fail("schema", ExitCode.SCHEMA, problems)
    else:
        report.add("schema", "ok", "every document and mapped field exists in the site's schema")


# --- stage 7: the cache --------------------------------------------------------------------------


async def _check_cache(settings: Settings, report: CheckReport) -> None:
    backend = settings.cache.backend
    if backend == "memory":
        report.add("cache", "ok", "memory (per process; nothing to reach)")
        return
    parts = urlsplit(settings.cache.redis.url.get_secret_value())
    shown = f"{backend} at {parts.hostname or 'localhost'}:{parts.port or 6379}"
    async with AsyncExitStack() as stack:
        cache = build_cache(settings.cache, Metrics())
        stack.push_async_callback(cache.aclose)
        try:
            await cache.ping()
        except CacheError as exc:
            report.fail("cache", ExitCode.CACHE, [f"{shown}: {exc.message}"])
            return
    report.add("cache", "ok", f"{shown} answers")
