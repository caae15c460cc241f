"""The checks behind `imbachat-adapter check-config`: is this configuration ready to deploy?

`run_checks(path)` looks at a configuration the way `serve` would use it, stage by stage, and
returns a `CheckReport` instead of raising. Each problem carries a `ProblemClass`, whose value is
the command's exit code; the report's `exit_code` is 0 when nothing failed, else the class of the
first problem found. Stages, in order:

1. the file: readable, valid YAML (class 2, INVALID);
2. the environment: every `${NAME}` without a default is set (class 3, ENVIRONMENT);
3. the values: every setting valid, tracing packages present when tracing is on (class 2);
   a configuration without the token API (`tokens`, `viewer`, `graphql`) gives a warning;
4. the operation documents parse and fit their settings, and every path the mapping reads is
   selected by the users document (class 4, DOCUMENTS);
5. the site's GraphQL API answers (class 5, UPSTREAM), and, with `introspect`, its schema is
   introspected;
6. every document validates against that schema, and every field the mapping reads exists in
   it (class 6, SCHEMA); a site that refuses introspection gives a warning, not a failure;
7. the cache answers a ping (class 7, CACHE).

A stage that the earlier ones make meaningless is reported as skipped. `strict_exit_code` is 8
(STRICT) when nothing failed but something warned, for `check-config --strict`. No message holds a
secret's value: environment variables are named, never shown, and URLs lose their user info.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLType,
    InlineFragmentNode,
    SelectionSetNode,
    build_client_schema,
    get_introspection_query,
    get_named_type,
    validate,
)

from adapter.cache import build_cache
from adapter.config import (
    GraphQLSettings,
    Settings,
    env_references,
    iter_operation_documents,
    read_config_file,
    sample_value_problems,
    settings_from_mapping,
)
from adapter.directory import check_mapping_paths
from adapter.errors import CacheError, ConfigError, UpstreamError, UpstreamGraphQLError
from adapter.mapping import referenced_paths
from adapter.metrics import Metrics
from adapter.operations import Operation, build_operations, load_operation
from adapter.runtime import upstream_target
from adapter.upstream import UpstreamClient
from adapter.web.telemetry import build_tracing

__all__ = ["Check", "CheckReport", "ProblemClass", "run_checks"]

Status = Literal["ok", "fail", "warn", "skip"]
_PING_QUERY = "query AdapterCheck { __typename }"
_EMBEDDED = "the embedded demo upstream"


class ProblemClass(IntEnum):
    """A class of problem; its value is `check-config`'s exit code."""

    INVALID = 2  # the file cannot be read, is not YAML, or holds an invalid value
    ENVIRONMENT = 3  # a `${NAME}` without a default names an unset variable
    DOCUMENTS = 4  # an operation document or the mapping does not fit
    UPSTREAM = 5  # the site's GraphQL API cannot be reached or does not answer
    SCHEMA = 6  # a document or the mapping asks for a field the site's schema lacks
    CACHE = 7  # the cache backend does not answer
    STRICT = 8  # nothing failed, but a check warned (only with --strict)


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    stage: str
    status: Status
    message: str
    problem: ProblemClass | None = None


@dataclass
class CheckReport:
    """What `run_checks` found; `settings` and `schema` are kept for callers that go on."""

    source: Path
    checks: list[Check] = field(default_factory=list)
    settings: Settings | None = None
    schema: GraphQLSchema | None = None

    @property
    def problems(self) -> list[Check]:
        return [check for check in self.checks if check.status == "fail"]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def warnings(self) -> list[Check]:
        return [check for check in self.checks if check.status == "warn"]

    @property
    def strict_exit_code(self) -> int:
        """`exit_code`, or STRICT when nothing failed but something warned."""
        if self.ok and self.warnings:
            return int(ProblemClass.STRICT)
        return self.exit_code

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, else the class of the first problem found."""
        first = next((c.problem for c in self.problems if c.problem is not None), None)
        return int(first) if first is not None else 0

    def add(
        self, stage: str, status: Status, message: str, problem: ProblemClass | None = None
    ) -> None:
        self.checks.append(Check(stage, status, message, problem))

    def fail(self, stage: str, problem: ProblemClass, messages: list[str]) -> None:
        for message in messages:
            self.add(stage, "fail", message, problem)

    def lines(self) -> Iterator[str]:
        """The report as text, one check per line."""
        yield f"{self.source}:"
        width = max((len(c.stage) for c in self.checks), default=0)
        for check in self.checks:
            code = f" [{int(check.problem)}]" if check.problem is not None else ""
            yield f"  {check.status.upper():<4}{code:>4}  {check.stage:<{width}}  {check.message}"
        if self.ok and self.warnings:
            count = len(self.warnings)
            yield f"all checks passed, with {count} warning{'s' if count > 1 else ''} (WARN above)"
        elif self.ok:
            yield "all checks passed"
        else:
            count = len(self.problems)
            name = ProblemClass(self.exit_code).name.lower()
            yield f"{count} problem{'s' if count > 1 else ''}; exit code {self.exit_code} ({name})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": str(self.source),
            "ok": self.ok,
            "exit_code": self.exit_code,
            "strict_exit_code": self.strict_exit_code,
            "checks": [
                {
                    "stage": c.stage,
                    "status": c.status,
                    "message": c.message,
                    "problem": c.problem.name.lower() if c.problem is not None else None,
                }
                for c in self.checks
            ],
        }


async def run_checks(
    settings_path: Path,
    *,
    environ: Mapping[str, str] | None = None,
    introspect: bool = True,
    connect: bool = True,
    samples_allowed: bool = False,
) -> CheckReport:
    """Check the configuration file at `settings_path`; never raises for a bad configuration.

    `environ` replaces `os.environ` for `${NAME}` references and `IMBACHAT__` overrides.
    `introspect=False` only checks that the site answers; `connect=False` skips the site and
    the cache altogether (stages 5 to 7), for a check without network. Sample and placeholder
    secrets fail the values stage outside the embedded demo unless `samples_allowed` (`init`,
    whose file reads them from the environment that is yet to be set). The returned report has
    `ok`, `exit_code`, `checks` (each with its `ProblemClass`), `lines()` for people,
    `as_dict()` for programs, the validated `settings` (None when stages 1-3 failed) and the
    introspected `schema` (None unless introspection worked).
    """
    environ = os.environ if environ is None else environ
    report = CheckReport(settings_path)
    data = _read_file(settings_path, report)
    if data is None:
        return report
    settings = _settings(settings_path, data, environ, report, samples_allowed=samples_allowed)
    if settings is None:
        return report
    report.settings = settings
    documents_ok = _check_documents(settings, report)
    if not connect:
        report.add("upstream", "skip", "not contacted (--offline)")
        report.add("cache", "skip", "not contacted (--offline)")
        return report
    await asyncio.gather(
        _check_upstream(settings, report, introspect=introspect, documents_ok=documents_ok),
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
        report.fail("file", ProblemClass.INVALID, exc.problems)
        return None
    if not isinstance(data, dict):
        report.fail("file", ProblemClass.INVALID, ["the top level must be a mapping of sections"])
        return None
    report.add("file", "ok", "readable YAML")
    return data


def _settings(
    path: Path,
    data: dict[str, Any],
    environ: Mapping[str, str],
    report: CheckReport,
    *,
    samples_allowed: bool,
) -> Settings | None:
    references = list(env_references(data))
    missing = [
        f"{where}: environment variable {name} is not set"
        for where, name, default in references
        if default is None and name not in environ
    ]
    names = sorted({name for _, name, _ in references})
    if missing:
        report.fail("environment", ProblemClass.ENVIRONMENT, missing)
    else:
        shown = f" ({', '.join(names)})" if names else ""
        report.add(
            "environment", "ok", f"{len(names)} variables referenced{shown}, each set or defaulted"
        )
    try:
        settings = settings_from_mapping(
            data, environ=environ, base_dir=path.resolve().parent, source=str(path)
        )
        tracing = build_tracing(settings.telemetry)
    except ConfigError as exc:
        # The loader repeats the unset variables; they are reported above.
        report.fail("values", ProblemClass.INVALID, [p for p in exc.problems if p not in missing])
        return None
    if tracing is not None:
        tracing.provider.shutdown()
    samples = [] if samples_allowed else sample_value_problems(settings)
    if samples:
        # The rest can still be checked: a sample password does not stop the site answering.
        report.fail("values", ProblemClass.INVALID, samples)
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
    report.add(
        "frontend",
        "ok",
        f"the token API is on at POST {settings.graphql.path} (viewer: {settings.viewer.mode})",
    )


# --- stage 4: documents and mapping --------------------------------------------------------------


def _check_documents(settings: Settings, report: CheckReport) -> bool:
    try:
        operations = build_operations(settings)
    except ConfigError as exc:
        report.fail("documents", ProblemClass.DOCUMENTS, exc.problems)
        report.add("mapping", "skip", "needs the users document")
        return False
    names = [name for name, _ in iter_operation_documents(settings)]
    report.add("documents", "ok", f"{len(names)} parsed ({', '.join(names)})")
    try:
        check_mapping_paths(settings, operations)
    except ConfigError as exc:
        report.fail("mapping", ProblemClass.DOCUMENTS, exc.problems)
        return False
    count = len(referenced_paths(settings.mapping))
    report.add(
        "mapping", "ok", f"all {count} paths it reads are selected by the documents returning users"
    )
    return True


# --- stages 5-6: the site and its schema ---------------------------------------------------------


def _target(settings: Settings) -> tuple[httpx.AsyncBaseTransport | None, str, str]:
    """Transport, URL and a printable name (without user info) for the site."""
    target = upstream_target(settings)
    transport, url = target.transport(), target.url
    if settings.upstream.embedded_demo:
        return transport, url or "", _EMBEDDED
    parts = urlsplit(url or "")
    port = f":{parts.port}" if parts.port else ""
    return transport, url or "", f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


async def _check_upstream(
    settings: Settings, report: CheckReport, *, introspect: bool, documents_ok: bool
) -> None:
    transport, url, shown = _target(settings)
    async with UpstreamClient(
        settings.upstream, metrics=Metrics(), transport=transport, url=url
    ) as client:
        schema: GraphQLSchema | None = None
        refused = ""
        try:
            if introspect:
                try:
                    result = await client.execute(get_introspection_query(descriptions=False), {})
                    schema = build_client_schema(result.data)  # type: ignore[arg-type]  # checked by build_client_schema itself
                except UpstreamGraphQLError as exc:
                    refused = exc.message
                    await client.execute(_PING_QUERY, {})
            else:
                await client.execute(_PING_QUERY, {})
        except UpstreamError as exc:
            report.fail("upstream", ProblemClass.UPSTREAM, [f"{shown}: {exc.message}"])
            report.add("schema", "skip", "needs an answering site")
            return
        # A malformed answer can fail anywhere in graphql-core's builder.
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            report.fail("upstream", ProblemClass.UPSTREAM, [f"{shown}: not a schema: {exc}"])
            report.add("schema", "skip", "needs the site's schema")
            return
    if schema is None:
        why = f"the site refused introspection ({refused})" if refused else "--no-introspect"
        report.add("upstream", "ok", f"{shown} answers")
        report.add("schema", "warn" if refused else "skip", f"not checked: {why}")
        return
    report.schema = schema
    report.add("upstream", "ok", f"{shown} answers; schema introspected")
    if not documents_ok:
        report.add("schema", "skip", "needs documents and a mapping that parse")
        return
    problems = _schema_problems(settings, schema)
    if problems:
        report.fail("schema", ProblemClass.SCHEMA, problems)
    else:
        report.add("schema", "ok", "every document and mapped field exists in the site's schema")


def _schema_problems(settings: Settings, schema: GraphQLSchema) -> list[str]:
    problems: list[str] = []
    for name, path in iter_operation_documents(settings):
        operation = load_operation(path)
        for error in validate(schema, operation.document):
            where = ""
            if error.locations:
                where = f"line {error.locations[0].line}: "
            problems.append(f"{name} ({path.name}): {where}{error.message}")
    # The mapping reads the objects of every document returning users.
    configured = settings.upstream.operations
    returning_users = {"users": (configured.users.document, configured.users.result_path)}
    for name in ("search", "friends"):
        extra = getattr(configured, name)
        if extra is not None:
            returning_users[name] = (extra.document, extra.result_path)
    for document, result_path in returning_users.values():
        operation = load_operation(settings.resolve(document))
        result = operation.result_path(result_path)
        known = _field_paths(schema, operation)
        for where, read in referenced_paths(settings.mapping):
            lacking = _lacking(known, [*result, *read.split(".")])
            message = f"{where}: reads {read!r}, but {lacking}"
            if lacking and message not in problems:
                problems.append(message)
    return problems


def _lacking(known: Mapping[str, str | None], segments: list[str]) -> str | None:
    for end in range(1, len(segments) + 1):
        prefix = ".".join(segments[:end])
        if prefix not in known:
            return None  # below a selected leaf, or not selected (the mapping check says so)
        if known[prefix] is not None:
            return known[prefix]
    return None


def _field_paths(schema: GraphQLSchema, operation: Operation) -> dict[str, str | None]:
    """Each selected response path -> None, or why the schema has no such field."""
    root = schema.get_root_type(operation.definition.operation)
    found: dict[str, str | None] = {}
    if root is not None:
        _walk(schema, operation.fragments, operation.definition.selection_set, root, "", found)
    return found


def _walk(
    schema: GraphQLSchema,
    fragments: Mapping[str, FragmentDefinitionNode],
    selection: SelectionSetNode | None,
    parent: GraphQLType,
    prefix: str,
    found: dict[str, str | None],
) -> None:
    if selection is None:
        return
    named = get_named_type(parent)
    for node in selection.selections:
        if isinstance(node, FieldNode):
            key = node.alias.value if node.alias else node.name.value
            fields = (
                named.fields if isinstance(named, GraphQLObjectType | GraphQLInterfaceType) else {}
            )
            definition = fields.get(node.name.value)
            if definition is None and not node.name.value.startswith("__"):
                found[prefix + key] = f"type {named.name} has no field {node.name.value!r}"
                continue
            found[prefix + key] = None
            if definition is not None:
                _walk(
                    schema, fragments, node.selection_set, definition.type, f"{prefix}{key}.", found
                )
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition
            inner = schema.get_type(condition.name.value) if condition else named
            if inner is not None:
                _walk(schema, fragments, node.selection_set, inner, prefix, found)
        elif isinstance(node, FragmentSpreadNode) and node.name.value in fragments:
            fragment = fragments[node.name.value]
            inner = schema.get_type(fragment.type_condition.name.value)
            if inner is not None:
                _walk(schema, fragments, fragment.selection_set, inner, prefix, found)


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
            report.fail("cache", ProblemClass.CACHE, [f"{shown}: {exc.message}"])
            return
    report.add("cache", "ok", f"{shown} answers")
