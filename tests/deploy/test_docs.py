"""DEPLOYING.md's VM walk-through names only files that exist and options the commands take."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from adapter.cli import app
from tests.support import ROOT

DEPLOYING = (ROOT / "DEPLOYING.md").read_text()
# A command and its arguments, through backslash-continued lines.
_COMMAND = re.compile(r"imbachat-adapter ([a-z][a-z-]*)((?:\\\n|[^\n`])*)")


def test_every_deploy_file_it_names_exists() -> None:
    """Each `deploy/...` path in DEPLOYING.md is a file of the repository."""
    named = set(re.findall(r"(?<![\w/])deploy/[\w./-]+[\w]", DEPLOYING))
    assert "deploy/systemd/imbachat-adapter.service" in named
    assert sorted(path for path in named if not (ROOT / path).exists()) == []


def test_every_command_line_uses_options_the_command_takes() -> None:
    """Each `imbachat-adapter CMD --option` in DEPLOYING.md is an option `CMD --help` lists."""
    runner = CliRunner()
    helps: dict[str, str] = {}
    unknown: list[str] = []
    for command, rest in _COMMAND.findall(DEPLOYING):
        if command not in helps:
            result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
            helps[command] = result.output if result.exit_code == 0 else ""
        for option in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", rest):
            if option not in helps[command]:
                unknown.append(f"{command} {option}")
    assert {"serve", "check-config", "init"} <= set(helps)
    assert all(helps.values()), [name for name, text in helps.items() if not text]
    assert unknown == []


def test_the_deploy_files_name_the_tests_that_run_them() -> None:
    """Each test module a file under deploy/ names exists (and so runs that file)."""
    named = {
        (path.name, test)
        for path in (ROOT / "deploy").rglob("*")
        if path.is_file() and path.suffix != ".json"
        for test in re.findall(r"tests/deploy/test_\w+\.py", path.read_text())
    }
    assert len({name for name, _ in named}) >= 5
    assert sorted(f"{name}: {test}" for name, test in named if not (ROOT / test).exists()) == []
