"""The committed schema.graphql is the adapter's SDL: `export-schema` prints it, unchanged."""

from __future__ import annotations

import subprocess
import sys

from adapter.web.graphql.schema import build_schema
from tests.support import ROOT, SettingsFactory

COMMITTED = ROOT / "schema.graphql"


def test_committed_schema_matches_the_code(make_settings: SettingsFactory) -> None:
    """schema.graphql equals the SDL built from the code; regenerate it with `export-schema`."""
    sdl = build_schema(make_settings()).as_str() + "\n"
    assert COMMITTED.read_text() == sdl, (
        "schema.graphql is out of date: run "
        "`.venv/bin/imbachat-adapter export-schema > schema.graphql`"
    )


def test_export_schema_command_prints_it() -> None:
    """`imbachat-adapter export-schema` prints exactly the committed SDL."""
    result = subprocess.run(
        [sys.executable, "-m", "adapter", "export-schema", "--config", str(ROOT / "config.yaml")],
        capture_output=True,
        check=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.stdout.decode() == COMMITTED.read_text()
