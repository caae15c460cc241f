"""The suite's npm tools (scripts/npm/<name>), installed by scripts/ensure-npm into a cache."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support import ROOT

ENSURE = ROOT / "scripts" / "ensure-npm"


def npm_tool(name: str, *, timeout: float = 600) -> Path:
    """The folder of the installed tool, or a skip naming why it cannot be installed.

    `timeout` bounds a cold install (the interop matrix's CMSs compile for half an hour on a
    busy two-core machine)."""
    result = subprocess.run(
        [str(ENSURE), name], capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        pytest.skip(f"scripts/ensure-npm {name} failed: {result.stderr.strip()[-300:]}")
    return Path(result.stdout.strip().splitlines()[-1])
