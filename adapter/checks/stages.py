"""`check-config`: the start-up check (`startup.py`, what `serve` runs), then the stages that
need the network: the site, its schema, the cache.

The documents are parsed once, by the start-up check; the schema stage reuses them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from graphql import GraphQLSchema, get_introspection_query

from adapter.cache import build_cache
from adapter.checks.report import CheckReport
from adapter.checks.schema import (
    feed_problems,
    page_size_problems,
    schema_problems,
    sees_less_hint,
)
from adapter.checks.startup import check_startup
from adapter.config import Settings
from adapter.errors import CacheError, UpstreamError, UpstreamGraphQLError
from adapter.exit_codes import ExitCode
from adapter.introspection import client_schema
from adapter.metrics import Metrics
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

    First the start-up check, `serve`'s own (`check_startup`, which `environ` is passed to);
    then, unless `connect=False` (`--offline`) or the start-up check left no settings, the site
    (`introspect=False` only checks that it answers; a given `schema`, init's --schema for a
    site with introspection off, is checked against instead of introspecting) and the cache.
    """
    report = check_startup(settings_path, environ=environ)
    settings = report.settings
    if settings is None:
        return report
    if not connect:
        report.add("upstream", "skip", "not contacted (--offline)")
        report.add("cache", "skip", "not contacted (--offline)")
        return report
    # The cache is asked while the site is: its lines go after the site's.
    cache = CheckReport(settings_path)
    await asyncio.gather(
        _check_upstream(settings, report, introspect=introspect, given=schema),
        _check_cache(settings, cache),
    )
    report.checks += cache.checks
    return report


# --- the site and its schema (network) -----------------------------------------------------------


async def _check_upstream(
    settings: Settings,
    report: CheckReport,
    *,
    introspect: bool,
    given: GraphQLSchema | None,
) -> None:
    target = upstream_target(settings)
    url = target.url or ""
    shown = _EMBEDDED if settings.upstream.embedded_demo else display_url(url)
    async with UpstreamClient(
        settings.upstream, metrics=Metrics(), transport=target.transport(), url=url
    ) as client:
        schema: GraphQLSchema | None = None
        refused = ""
        try:
            if introspect and given is None:
                try:
                    result = await client.execute(get_introspection_query(descriptions=False), {})
                    schema = client_schema(result.data)
                except UpstreamGraphQLError as exc:
                    refused = exc.message
            if schema is None:
                await client.execute(_PING_QUERY, {})
                schema = given
        except UpstreamError as exc:
            report.fail("upstream", ExitCode.UPSTREAM, [f"{shown}: {exc.message}"])
            report.add("schema", "skip", "needs an answering site")
            return
        except ValueError as exc:  # the answer describes no schema
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
    if report.loaded is None:
        report.add("schema", "skip", "needs documents and a mapping that parse")
        return
    operations = report.loaded.operations
    problems = schema_problems(operations, settings.mapping, schema)
    problems += page_size_problems(operations, schema, settings.upstream.batch.size)
    problems += feed_problems(report.loaded, schema)
    if problems:
        report.fail("schema", ExitCode.SCHEMA, problems)
    else:
        report.add("schema", "ok", "every document and mapped field exists in the site's schema")


# --- the cache (network) --------------------------------------------------------------------------


async def _check_cache(settings: Settings, report: CheckReport) -> None:
    backend = settings.cache.backend
    if backend == "memory":
        report.add("cache", "ok", "memory (per process; nothing to reach)")
        return
    parts = urlsplit(settings.cache.redis.url.get_secret_value())
    shown = f"{backend} at {parts.hostname or 'localhost'}:{parts.port or 6379}"
    cache = build_cache(settings.cache, Metrics())
    try:
        await cache.ping()
    except CacheError as exc:
        report.fail("cache", ExitCode.CACHE, [f"{shown}: {exc.message}"])
        return
    finally:
        await cache.aclose()
    report.add("cache", "ok", f"{shown} answers")
