"""`check-config`'s schema stage checks the feed's document against the site's schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from graphql import build_schema

from adapter.checks import run_checks
from adapter.checks.schema import feed_problems
from adapter.checks.startup import check_startup
from adapter.demo.schema import build_schema as demo_schema
from adapter.errors import ConfigError
from adapter.exit_codes import ExitCode
from adapter.operations import build_operations
from adapter.operations.document import Operation, load_operation
from adapter.runtime import check_named_files
from tests.commands import write_config
from tests.support import deep_merge, reference_data, settings_from

SCHEMA = build_schema(demo_schema().as_str())
POLL = """query ChatFeed($since: String) {
  users(updatedSince: $since) { id username displayName avatar { url } lastLoginAt badge role
    profiles { id key name avatarUrl } updatedAt }
}"""


def _problems(tmp_path: Path, document: str | None, **feed: Any) -> list[str]:
    """The feed problems of the reference config with `feed`, its document `document` (None: the
    shipped resolvers/feed.graphql): the start-up check's (offline) as check-config finds them
    first, else the schema stage's on the document the start-up check loaded."""
    path = "resolvers/feed.graphql"
    if document is not None:
        (tmp_path / "feed.graphql").write_text(document)
        path = str(tmp_path / "feed.graphql")
    section = {"kind": "subscription", "document": path, "url": "ws://127.0.0.1:9/graphql"}
    settings = settings_from(deep_merge(reference_data(), {"feed": {**section, **feed}}))
    try:
        loaded = check_named_files(settings, build_operations(settings))
    except ConfigError as exc:
        return exc.problems
    return feed_problems(loaded, SCHEMA)


def test_the_shipped_demo_feed_fits_the_demo_schema(tmp_path: Path) -> None:
    """resolvers/feed.graphql subscribes to usersChanged, selecting every mapped path."""
    assert _problems(tmp_path, None, ids="usersChanged", users=True) == []


def test_a_poll_with_its_cursor_fits(tmp_path: Path) -> None:
    """The demo's users(updatedSince:) polled with updatedAt as the cursor."""
    poll = {"kind": "poll", "url": None, "cursor": "updatedAt", "users": True}
    assert _problems(tmp_path, POLL, **poll) == []


@pytest.mark.parametrize(
    ("document", "feed", "problem"),
    [
        ("subscription { usersChanged { id nick } }", {}, "Cannot query field 'nick'"),
        ("query { users(ids: []) { id } }", {}, "feed kind subscription needs a subscription"),
        (
            "subscription { usersChanged { id } }",
            {"ids": "changed"},
            "feed.ids: reads 'changed'",
        ),
        (
            "subscription { usersChanged { id } }",
            {"users": True},
            "feed.users: the mapping reads ['displayName',",
        ),
        (
            POLL.replace(" updatedAt", ""),
            {"kind": "poll", "url": None, "cursor": "updatedAt"},
            "feed.cursor: reads 'updatedAt'",
        ),
    ],
)
def test_a_feed_document_that_does_not_fit_is_named(
    tmp_path: Path, document: str, feed: dict[str, Any], problem: str
) -> None:
    """A field the schema lacks, the wrong operation, an unselected ids path, mapped path or
    cursor: each is a problem naming it."""
    assert any(problem in found for found in _problems(tmp_path, document, **feed))


def test_the_start_up_check_refuses_a_feed_document_of_the_wrong_kind(tmp_path: Path) -> None:
    """What `serve` refuses, check-config's documents stage refuses, with no network."""
    (tmp_path / "feed.graphql").write_text("query { users(ids: []) { id } }")
    feed = {"kind": "subscription", "document": str(tmp_path / "feed.graphql"), "url": "ws://x/"}
    report = check_startup(write_config(tmp_path, {"feed": feed}))
    assert report.exit_code == ExitCode.DOCUMENTS
    assert any("needs a subscription" in line for line in report.lines())


async def test_check_config_reads_the_feed_document_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The schema stage checks the document the start-up check loaded; it reads no file again."""
    reads: list[Path] = []

    def counted(path: Path) -> Operation:
        reads.append(path)
        return load_operation(path)

    monkeypatch.setattr("adapter.feed.runner.load_operation", counted)
    feed = {
        "kind": "subscription",
        "document": "resolvers/feed.graphql",
        "url": "ws://127.0.0.1:9/graphql",
        "ids": "usersChanged",
        "users": True,
    }
    report = await run_checks(write_config(tmp_path, {"feed": feed}), environ={}, schema=SCHEMA)
    assert report.exit_code == ExitCode.OK, [c.message for c in report.problems]
    assert {c.stage: c.status for c in report.checks}["schema"] == "ok"
    assert len(reads) == 1
