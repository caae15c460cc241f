"""`adapter.checks.run_checks` in-process: the report other commands (and `init`) build on."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest
import respx

from adapter.checks import ExitCode, run_checks
from tests.commands import real_site, write_config
from tests.servers import DemoUpstream, refused_port

SITE = "http://site.test/graphql"


async def test_missing_file_is_invalid(tmp_path: Path) -> None:
    """A file that cannot be read is class 2 and nothing else is checked."""
    report = await run_checks(tmp_path / "nope.yaml", environ={})
    assert report.exit_code == ExitCode.INVALID
    assert [c.stage for c in report.checks] == ["file"]
    assert report.settings is None


@pytest.mark.parametrize(
    ("text", "message"),
    [("chat: [unclosed\n", "line 2"), ("- a list\n", "(top level): must be a mapping")],
)
async def test_not_a_configuration_is_invalid(tmp_path: Path, text: str, message: str) -> None:
    """Text that is not YAML, or YAML that is not a mapping, is class 2 with the reason."""
    path = tmp_path / "config.yaml"
    path.write_text(text)
    report = await run_checks(path, environ={})
    assert report.exit_code == 2
    assert message in report.problems[0].message


async def test_mapping_that_reads_an_unselected_field_is_a_document_problem(
    tmp_path: Path,
) -> None:
    """A mapping path no document selects is class 4, and the schema stage is skipped."""
    config = write_config(tmp_path, {"mapping": {"fields": {"user_mail": "email"}}})
    report = await run_checks(config, environ={})
    assert report.exit_code == ExitCode.DOCUMENTS
    assert any("mapping.fields.user_mail: reads 'email'" in c.message for c in report.problems)
    assert {c.stage: c.status for c in report.checks}["schema"] == "skip"


async def test_the_first_problem_decides_the_exit_code(tmp_path: Path) -> None:
    """With the site and the cache both unreachable, the site's class (5) is the exit code."""
    config = write_config(tmp_path, real_site(f"http://127.0.0.1:{refused_port()}/graphql"))
    environ = {
        "IMBACHAT_CACHE_BACKEND": "redis",
        "REDIS_URL": f"redis://127.0.0.1:{refused_port()}/0",
    }
    report = await run_checks(config, environ=environ)
    assert [c.problem for c in report.problems] == [ExitCode.UPSTREAM, ExitCode.CACHE]
    assert report.exit_code == 5
    assert list(report.lines())[-1] == "2 problems; exit code 5 (upstream)"


async def test_a_real_site_and_redis_pass_and_the_schema_is_kept(
    tmp_path: Path, demo_upstream: DemoUpstream, redis_url: str
) -> None:
    """Against the demo site process and the real Redis all passes, and the schema is returned."""
    config = write_config(tmp_path, real_site(demo_upstream.graphql_url))
    environ = {"IMBACHAT_CACHE_BACKEND": "redis", "REDIS_URL": redis_url}
    report = await run_checks(config, environ=environ)
    assert report.ok, list(report.lines())
    assert report.schema is not None
    assert report.schema.get_type("User") is not None
    assert list(report.lines())[-1] == "all checks passed"


async def test_offline_contacts_nothing(tmp_path: Path) -> None:
    """connect=False skips the site and the cache; the report says so and passes."""
    config = write_config(tmp_path, real_site(f"http://127.0.0.1:{refused_port()}/graphql"))
    report = await run_checks(config, environ={}, connect=False)
    assert report.ok
    body = report.as_dict()
    assert {c["stage"]: c["status"] for c in body["checks"]}["upstream"] == "skip"
    assert body["exit_code"] == 0


async def test_without_introspection_the_site_is_only_pinged(
    tmp_path: Path, demo_upstream: DemoUpstream
) -> None:
    """introspect=False costs the site one request and leaves the schema unchecked."""
    config = write_config(tmp_path, real_site(demo_upstream.graphql_url))
    report = await run_checks(config, environ={}, introspect=False)
    assert report.ok
    assert demo_upstream.requests() == 1
    assert report.schema is None


@respx.mock
async def test_a_site_that_refuses_introspection_is_a_warning(tmp_path: Path) -> None:
    """A site that refuses introspection but answers a query passes, with a warning."""

    def answer(request: httpx.Request) -> httpx.Response:
        if b"__schema" in request.content:
            return httpx.Response(200, json={"errors": [{"message": "introspection is off"}]})
        return httpx.Response(200, json={"data": {"__typename": "Query"}})

    respx.post(SITE).mock(side_effect=answer)
    report = await run_checks(write_config(tmp_path, real_site(SITE)), environ={})
    assert report.ok
    schema = next(c for c in report.checks if c.stage == "schema")
    assert schema.status == "warn"
    assert "introspection is off" in schema.message or "refused introspection" in schema.message


@respx.mock
async def test_an_answer_that_is_not_a_schema_is_an_upstream_problem(tmp_path: Path) -> None:
    """An introspection answer that does not describe a schema is class 5, not a crash."""
    respx.post(SITE).mock(return_value=httpx.Response(200, json={"data": {"__schema": {}}}))
    report = await run_checks(write_config(tmp_path, real_site(SITE)), environ={})
    assert report.exit_code == ExitCode.UPSTREAM
    assert "not a schema" in report.problems[0].message


async def test_tracing_without_its_packages_is_an_invalid_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tracing switched on without the `otel` extra is class 2 and says what to install."""
    for name in [n for n in sys.modules if n.startswith("opentelemetry.sdk.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk", None)
    config = write_config(tmp_path, {"telemetry": {"enabled": True}})
    report = await run_checks(config, environ={}, connect=False)
    assert report.exit_code == ExitCode.INVALID
    assert "pip install 'imbachat-adapter[otel]'" in report.problems[0].message


async def test_tracing_with_its_packages_passes(tmp_path: Path) -> None:
    """Tracing switched on with the packages installed is a valid setting."""
    config = write_config(tmp_path, {"telemetry": {"enabled": True, "exporter": "console"}})
    report = await run_checks(config, environ={}, connect=False)
    assert report.ok, list(report.lines())


async def test_document_that_does_not_parse_is_a_document_problem(tmp_path: Path) -> None:
    """A document with a syntax error is class 4; the mapping check is skipped, not failed."""
    config = write_config(tmp_path, own_documents=True)
    (tmp_path / "resolvers" / "users.graphql").write_text("query {\n  users(ids: $ids) {\n")
    report = await run_checks(config, environ={}, connect=False)
    assert report.exit_code == ExitCode.DOCUMENTS
    assert {c.stage: c.status for c in report.checks}["mapping"] == "skip"


async def test_schema_check_follows_aliases_and_fragments(
    tmp_path: Path, demo_upstream: DemoUpstream
) -> None:
    """Fields are looked up through aliases and fragments; an unknown field or type is class 6,
    and a mapped path into a missing field names the field the type lacks."""
    config = write_config(
        tmp_path,
        {
            **real_site(demo_upstream.graphql_url),
            "mapping": {"fields": {"nick": "nickname", "handle": "handle", "kind": "__typename"}},
        },
        own_documents=True,
    )
    extra = "  nickname\n  handle: username\n  __typename\n  ... on User { badge }\n"
    for name in ("users.graphql", "search.graphql", "friends.graphql"):
        document = tmp_path / "resolvers" / name
        text = document.read_text()
        if "fragment ChatUser on User {\n" in text:
            text = text.replace(
                "fragment ChatUser on User {\n", "fragment ChatUser on User {\n" + extra
            )
        else:
            text = text.replace("    badge\n", "    badge\n" + extra.replace("  ", "    "), 1)
        document.write_text(text)
    ghost = tmp_path / "resolvers" / "viewer.graphql"
    ghost.write_text("query ChatViewer {\n  viewer {\n    id\n    ... on Ghost { id }\n  }\n}\n")
    report = await run_checks(config, environ={})
    messages = [c.message for c in report.problems]
    assert report.exit_code == ExitCode.SCHEMA, messages
    assert any("Cannot query field 'nickname' on type 'User'" in m for m in messages)
    assert any("Unknown type 'Ghost'" in m for m in messages)
    assert (
        "mapping.fields.nick: reads 'nickname', but type User has no field 'nickname'" in messages
    )
    assert not any("mapping.fields.handle" in m or "mapping.fields.kind" in m for m in messages)
