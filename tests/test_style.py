"""The style guide's rules that no linter checks, over the package's source."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "adapter"
# A code, then the reason as a comment after it; or the reason on the comment line above.
_IGNORE = re.compile(r"# type: ignore(\[[a-z-]+(, *[a-z-]+)*\])?(?P<after>\s*#\s*\S)?")


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    """STYLE 8: each `# type: ignore[code]` says why, after it or on the comment line above."""
    unexplained = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            found = _IGNORE.search(line)
            if found is None:
                continue
            above = lines[number - 1].strip() if number else ""
            if found.group(1) is None or not (found["after"] or above.startswith("#")):
                unexplained.append(f"{path.relative_to(PACKAGE.parent)}:{number + 1}")
    assert unexplained == []


def _uses_lru_cache(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "lru_cache":
            return True
        if isinstance(node, ast.Name) and node.id == "lru_cache":
            return True
        if isinstance(node, ast.ImportFrom) and any(a.name == "lru_cache" for a in node.names):
            return True
    return False


def test_memos_are_the_packages_one_kind() -> None:
    """Issue 22, one helper per small mechanism: a bounded memo is `adapter.memo`'s, never a
    `functools.lru_cache` with an eviction rule of its own."""
    offenders = sorted(
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if _uses_lru_cache(path.read_text())
    )
    assert offenders == []
