"""The Makefile's own contract: `make help` lists every described target, CI runs `make test`."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.support import ROOT

MAKEFILE = ROOT / "Makefile"


def _described_targets() -> dict[str, str]:
    """Each target preceded by a `## ...` line, with that line's text."""
    described: dict[str, str] = {}
    text = ""
    for line in MAKEFILE.read_text().splitlines():
        if line.startswith("## "):
            text = line[3:]
            continue
        target = re.match(r"([a-z][a-z-]*):", line)
        if target and text:
            described[target.group(1)] = text
        text = ""
    return described


def test_make_help_lists_every_described_target() -> None:
    """`make help` prints one line per `##`-described target, with its description."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed (Debian: apt-get install make)")
    described = _described_targets()
    assert {"test", "quick", "demo", "help"} <= described.keys()
    result = subprocess.run(
        [make, "--no-print-directory", "-C", str(ROOT), "help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert len(lines) == len(described)
    for target, text in described.items():
        assert any(line.split()[:2] == ["make", target] and text in line for line in lines), target


def test_ci_runs_make_test_and_nothing_else() -> None:
    """`.ci/run` is the developer's one check: its only command is `make test`."""
    commands = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands[-1] == "make test"
    assert all(c == "make test" or c.startswith(("set ", "cd ")) for c in commands)
