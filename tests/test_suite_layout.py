"""The suite's own layout: fixtures reach tests through pytest, plain helpers through modules.

A conftest.py holds fixtures; what tests import (helpers, doubles, constants) lives in
tests/support.py, the other top-level helper modules or an area's support.py. So no module
imports a conftest or a test module, and metrics are read as /metrics shows them.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _suite() -> list[Path]:
    return sorted(TESTS.rglob("*.py"))


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_suite_is_found() -> None:
    """The checks below read the suite's files (so an empty list cannot pass)."""
    assert TESTS / "conftest.py" in _suite()
    assert TESTS / "support.py" in _suite()


def test_no_module_imports_a_conftest() -> None:
    """Fixtures are shared by pytest (tests/conftest.py for every area), never imported."""
    offenders = sorted(
        f"{path.relative_to(TESTS)} imports {name}"
        for path in _suite()
        for name in _imported(path)
        if name.startswith("tests.") and name.rpartition(".")[2] == "conftest"
    )
    assert offenders == []


def test_no_module_imports_a_test_module() -> None:
    """A helper two test modules share moves to a support module instead."""
    offenders = sorted(
        f"{path.relative_to(TESTS)} imports {name}"
        for path in _suite()
        for name in _imported(path)
        if name.startswith("tests.") and name.rpartition(".")[2].startswith("test_")
    )
    assert offenders == []


def test_metrics_are_read_through_the_registry() -> None:
    """prometheus_client's private `_value` is not read; tests.support.sample asks the registry."""
    offenders = sorted(
        str(path.relative_to(TESTS))
        for path in _suite()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "_value"
    )
    assert offenders == []
