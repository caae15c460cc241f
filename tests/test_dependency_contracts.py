"""The private parts of dependencies the adapter still uses, one test each: a test here fails
when its dependency changes what the adapter relies on, before a behaviour test has to."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry
from graphql import ExecutionResult, GraphQLSchema, parse
from purgatory import AsyncCircuitBreakerFactory
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from uvicorn import Config
from uvicorn.server import ServerState

from adapter.config import LimitsSettings
from adapter.upstream import CircuitOpen
from adapter.web.graphql.executor import DocumentExecutor
from adapter.web.graphql.limits import graphql_core_schema
from adapter.web.responses import JSON
from adapter.web.slow_headers import HeaderDeadlineProtocol, head_bytes_bound


async def test_purgatory_raises_its_opened_state_for_an_open_circuit() -> None:
    """An open breaker raises `upstream.CircuitOpen`: purgatory's unexported OpenedState."""
    breaker = await AsyncCircuitBreakerFactory(default_threshold=1, default_ttl=60).get_breaker("c")
    with pytest.raises(RuntimeError):
        async with breaker:
            raise RuntimeError
    with pytest.raises(CircuitOpen):
        async with breaker:
            pass


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(name)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


_HEAD_BOUND = head_bytes_bound(LimitsSettings())


@pytest.mark.parametrize(
    ("reads", "status", "content_type"),
    [
        # A read is checked once httptools has it.
        ([b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: ", b"a" * (_HEAD_BOUND + 1)], b"431", JSON),
        ([b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n"], b"400", JSON),
    ],
    ids=["head past the bound", "does not parse"],
)
async def test_uvicorn_httptools_protocol_refuses_through_its_hooks(
    reads: list[bytes], status: bytes, content_type: str
) -> None:
    """`HeaderDeadlineProtocol` extends uvicorn's HttpToolsProtocol through its callbacks and
    per-connection state (`app_state`, `loop`, `transport`, `cycle`, `server_state`,
    `STATUS_LINE`), and overrides `send_400_response(msg)`, which uvicorn calls for what
    httptools cannot parse: each is answered in the chat's JSON shape, its connection closed."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("no request reaches the app")

    protocol = HeaderDeadlineProtocol(
        config=Config(app, log_config=None), server_state=ServerState(), app_state={}
    )
    transport = _Transport()
    protocol.connection_made(transport)
    for data in reads:
        protocol.data_received(data)
    assert transport.written.startswith(b"HTTP/1.1 " + status + b" ")
    assert f"content-type: {content_type}".encode() in transport.written
    assert transport.closed
    protocol.connection_lost(None)


def test_pydantic_settings_reads_the_environment_it_is_given() -> None:
    """`config.sources.EnvironmentOverrides` hands pydantic-settings' EnvSettingsSource the
    load's own environment through `env_vars` (from `sources.utils.parse_env_vars`, outside
    the package's `__all__`) and decodes a list or mapping with `decode_complex_value`."""
    from adapter.config import settings_from_mapping
    from tests.support import ROOT, reference_data

    settings = settings_from_mapping(
        reference_data(),
        environ={
            "IMBACHAT__UPSTREAM__BATCH__SIZE": "7",
            "IMBACHAT__UPSTREAM__HEADERS": "{X-Site: main}",
            "IMBACHAT__GRAPHQL__ADMIN_TOKEN": "null",
        },
        base_dir=ROOT,
    )
    assert settings.upstream.batch.size == 7
    assert settings.upstream.headers["X-Site"].get_secret_value() == "main"
    assert settings.graphql is not None
    assert settings.graphql.admin_token is None


def test_pydantic_settings_builds_from_the_sources_it_is_handed() -> None:
    """`config.loader.build_settings` hands `BaseSettings` one load's sources as `_build_sources`
    (pydantic-settings 2.13): only those are read, the first winning, and an
    `InitSettingsSource` (what `config.sources.ConfigFile` extends) gives its data as is."""
    from pydantic_settings import BaseSettings, InitSettingsSource

    class Two(BaseSettings):
        a: int = 0
        b: int = 0

    first = InitSettingsSource(Two, {"a": 1})
    second = InitSettingsSource(Two, {"a": 2, "b": 2})
    assert Two(_build_sources=((first, second), {})).model_dump() == {"a": 1, "b": 2}


def test_strawberry_keeps_graphql_cores_schema_where_validation_reads_it() -> None:
    """`graphql_core_schema` finds the graphql-core schema Strawberry built (its private
    `_schema`), which each document's validation needs."""

    @strawberry.type
    class Query:
        answer: int = 42

    core = graphql_core_schema(strawberry.Schema(query=Query))
    assert isinstance(core, GraphQLSchema)
    assert core.query_type is not None
    assert "answer" in core.query_type.fields


@strawberry.type
class _Item:
    name: str


@strawberry.type
class _ItemQuery:
    @strawberry.field
    def item(self) -> _Item:
        return _Item(name="a")

    @strawberry.field
    def mine(self, info: strawberry.Info) -> str:
        if info.context == "bad":
            raise ValueError("bad")
        return str(info.context)


def test_strawberrys_execution_context_collects_subfields_through_its_method() -> None:
    """`DocumentExecutor` extends the execution context Strawberry's own `Schema.execute` uses
    (unexported), and graphql-core's executor asks its `collect_subfields` method for the fields
    under each object, which is where `DocumentExecutor` finds a document's again."""
    schema = strawberry.Schema(query=_ItemQuery)
    assert schema.execution_context_class is StrawberryGraphQLCoreExecutionContext
    asked: list[str] = []

    class Recording(DocumentExecutor):
        def collect_subfields(self, return_type: Any, field_details_list: Any) -> Any:
            asked.append(return_type.name)
            return super().collect_subfields(return_type, field_details_list)

    built = Recording.for_document(graphql_core_schema(schema), parse("{ item { name } }"), None)
    assert isinstance(built, Recording)
    executor = built.for_context(None)
    assert executor.execute_operation() == ExecutionResult({"item": {"name": "a"}}, None)
    assert asked == ["Item"]  # Strawberry drops the underscore


# What graphql-core's and Strawberry's constructors set on an executor: the document's part,
# which `DocumentExecutor.for_context` shares between requests, and the execution's part, which
# it starts anew for each.
_DOCUMENT_PART = {
    "schema",
    "fragment_definitions",
    "fragments",
    "root_value",
    "operation",
    "variable_values",
    "field_resolver",
    "type_resolver",
    "subscribe_field_resolver",
    "enable_early_execution",
    "hide_suggestions",
    "abort_signal",
    "hooks",
    "middleware_manager",
    "error_propagation",
    "is_awaitable",
    "is_async_iterable",
    "defer_usage_set",
    "operation_extensions",
}
_EXECUTION_PART = {
    "context_value",
    "collected_errors",
    "async_helpers",
    "pending_incremental_futures",
    "background_futures",
    "async_work_finished_hook_task",
    "_relevant_sub_fields",
    "_stream_usages",
    "groups",
    "tasks",
    "streams",
    "_initial_execution_plans",
    "_deferred_execution_plans",
}


def _started(value: object) -> object:
    """What an attribute starts an execution as: its type, and how many items it holds."""
    return type(value), len(value) if hasattr(value, "__len__") else None


def test_an_executor_copied_for_a_request_starts_as_a_built_one() -> None:
    """`for_context` copies an executor built once and starts the execution's part anew, as
    graphql-core's and Strawberry's constructors do; an attribute they add fails here until it
    is sorted into one part or the other."""
    core = graphql_core_schema(strawberry.Schema(query=_ItemQuery))
    document = parse("{ mine }")
    built = DocumentExecutor.for_request(
        core, document, context="a", variables=None, operation_name=None
    )
    assert isinstance(built, DocumentExecutor)
    assert vars(built).keys() == _DOCUMENT_PART | _EXECUTION_PART
    once = DocumentExecutor.for_document(core, document, None)
    assert once is not None
    bad, good = once.for_context("bad"), once.for_context("good")
    assert vars(good).keys() == _DOCUMENT_PART | _EXECUTION_PART | {"collected", "leaves"}
    for name in _EXECUTION_PART - {"context_value"}:
        assert _started(getattr(good, name)) == _started(getattr(built, name)), name
        if getattr(built, name) is not None:
            assert getattr(good, name) is not getattr(bad, name), name
    assert good.async_helpers.track.__self__ is good  # type: ignore[attr-defined]
    assert bad.execute_operation().errors  # type: ignore[union-attr]
    assert good.execute_operation() == ExecutionResult({"mine": "good"}, None)


@strawberry.type
class _Leaves:
    name: str
    count: int | None
    required: int
    shown: int


@strawberry.type
class _LeavesQuery:
    @strawberry.field
    def leaves(self) -> _Leaves:
        # `required` comes out null and `shown` is no number: graphql-core's errors for both.
        return _Leaves(name="a", count=None, required=None, shown="x")  # type: ignore[arg-type]


def test_a_plain_leaf_is_read_by_strawberrys_resolver_without_info() -> None:
    """`DocumentExecutor` answers a leaf Strawberry marks `is_basic_field` by calling the
    field's resolver with no Info (Strawberry's for such a field reads the attribute and ignores
    it), and its answers, errors included, are graphql-core's own."""
    core = graphql_core_schema(strawberry.Schema(query=_LeavesQuery))
    leaves_type = core.get_type("Leaves")  # Strawberry drops the underscore
    assert leaves_type is not None
    definition = core.get_field(leaves_type, "name")  # type: ignore[arg-type]
    assert definition is not None
    assert definition.extensions["strawberry-definition"].is_basic_field
    assert definition.resolve is not None
    assert definition.resolve(_Leaves(name="b", count=1, required=2, shown=3), None) == "b"

    for text in ("{ leaves { name count required } }", "{ leaves { name shown } }"):
        document = parse(text)
        once = DocumentExecutor.for_document(core, document, None)
        assert once is not None
        each = DocumentExecutor.for_request(
            core, document, context=None, variables=None, operation_name=None
        )
        assert isinstance(each, DocumentExecutor)
        assert each.leaves is None  # graphql-core's path throughout
        expected = each.execute_operation()
        assert expected.errors, text  # type: ignore[union-attr]
        assert once.for_context(None).execute_operation() == expected, text
        assert once.leaves is not None  # the fields under `leaves` taken as plain leaves
        assert list(once.leaves.values()).count(None) == 1, text
