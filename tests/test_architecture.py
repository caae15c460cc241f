"""Import direction is the architecture: no module imports from a layer above its own."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "adapter"

# Lower numbers sit lower; a module may import its own layer or any below it.
LAYERS: dict[str, int] = {
    "adapter.errors": 0,
    "adapter.metrics": 0,
    "adapter.logs": 0,
    "adapter.paths": 0,
    "adapter.page_sizes": 0,
    "adapter.introspection": 0,
    "adapter.bounded": 0,
    "adapter.urls": 0,
    "adapter.exit_codes": 0,
    "adapter.memo": 0,
    "adapter.config": 1,
    "adapter.globalids": 2,
    "adapter.operations": 2,
    "adapter.mapping": 2,
    "adapter.upstream": 2,
    "adapter.cache": 2,
    "adapter.tokens": 2,
    "adapter.site_users": 3,
    "adapter.mapping_check": 3,
    "adapter.directory": 3,
    "adapter.viewer": 3,
    "adapter.notify": 3,
    "adapter.feed": 4,  # the change feed: a background task over the directory
    "adapter.web": 4,
    "adapter.runtime": 5,  # the composition root: opens the parts above for the app and the CLI
    "adapter.app": 6,
    "adapter.checks": 7,
    "adapter.init": 8,
    "adapter.cli": 9,
}
# The demo stands apart: it imports nothing of the adapter, and only these may import it.
DEMO = "adapter.demo"
MAY_IMPORT_DEMO = {"adapter.runtime", "adapter.cli"}
# Only these open the app's lifespan by hand (everyone else opens the runtime, or serves the app).
MAY_DRIVE_LIFESPAN = {"adapter.app", "adapter.runtime"}
ROOT = PACKAGE.parent


def layer_of(module: str) -> str | None:
    for name in sorted(LAYERS, key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return name
    return None


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name for name in names if name == "adapter" or name.startswith("adapter.")}


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _ in modules()])
def test_no_upward_imports(module: str, path: Path) -> None:
    """Each module imports only from its own layer or below, and the demo stays apart."""
    if module in {"adapter", "adapter.__main__"}:
        return
    in_demo = module == DEMO or module.startswith(DEMO + ".")
    own = layer_of(module)
    assert in_demo or own is not None, f"{module} is in no layer: add it to LAYERS and the docs"
    for imported in imports(path):
        if imported == DEMO or imported.startswith(DEMO + "."):
            assert in_demo or layer_of(module) in MAY_IMPORT_DEMO, f"{module} imports the demo"
            continue
        assert not in_demo, f"the demo must not import {imported}"
        target = layer_of(imported)
        assert target is not None, f"{module} imports {imported}, which is in no layer"
        assert own is not None
        assert LAYERS[target] <= LAYERS[own], f"{module} imports {imported} from a layer above"


def _python_files_outside_the_package() -> list[Path]:
    return sorted(
        path
        for folder in ("tests", "bench", "scripts")
        if (ROOT / folder).is_dir()
        for path in (ROOT / folder).rglob("*.py")
    )


def test_only_the_runtime_and_the_app_drive_a_lifespan_by_hand() -> None:
    """Nothing but the app and the runtime calls `lifespan_context`: the rest opens the runtime
    (or runs the app under an ASGI lifespan, as servers and the tests' client do)."""
    sources = [(name, path) for name, path in modules() if name not in MAY_DRIVE_LIFESPAN]
    sources += [(str(path.relative_to(ROOT)), path) for path in _python_files_outside_the_package()]
    driving = sorted(
        name
        for name, path in sources
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "lifespan_context"
    )
    assert driving == []


def imported_modules(path: Path) -> set[str]:
    """The adapter's modules that importing `path` loads: each one named, its packages, and
    the submodules named in `from package import module`."""
    names = set(imports(path))
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {
        ".".join(name.split(".")[:end]) for name in names for end in range(1, name.count(".") + 2)
    }


def test_check_config_does_not_import_the_web_app() -> None:
    """`adapter.checks`, and everything it imports in turn, stays clear of `adapter.app`."""
    paths = dict(modules())
    seen: set[str] = set()
    pending = [name for name in paths if layer_of(name) == "adapter.checks"]
    assert pending, "adapter.checks is gone: point this test at check-config's modules"
    while pending:
        name = pending.pop()
        if name in seen or name not in paths:
            continue
        seen.add(name)
        pending.extend(imported_modules(paths[name]))
    assert "adapter.config" in seen  # the walk follows what the modules import
    assert not {name for name in seen if layer_of(name) == "adapter.app"}


def test_the_request_state_is_the_runtime_by_name() -> None:
    """`AppState` names every part of `Runtime` with its type: the lifespan yields the runtime's
    fields as they are."""
    from dataclasses import fields
    from typing import get_type_hints

    from adapter.app import AppState
    from adapter.runtime import Runtime

    assert get_type_hints(AppState) == {
        f.name: get_type_hints(Runtime)[f.name] for f in fields(Runtime)
    }


# The module table of ARCHITECTURE.md: a row per module (`name.py`) or sub-package (`name/`),
# its imports named as the rows are (`errors`, `web/graphql`), each maybe followed by a note in
# parentheses. The packages that only hold rows (docstrings, no code) have none.
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
WITHOUT_ROWS = {"adapter", "adapter.web"}


def module_table() -> dict[str, tuple[str, set[str]]]:
    """Each row of the module table by its module: its job cell and the rows it imports."""
    text = ARCHITECTURE.read_text()
    section = text.split("\n## Modules and who may import whom\n")[1].split("\n## ")[0]
    rows: dict[str, tuple[str, set[str]]] = {}
    for line in section.splitlines():
        if not line.startswith("| `"):
            continue
        module, job, imported = (cell.strip() for cell in line.strip().strip("|").split("|"))
        match = re.fullmatch(r"`([\w/]+)(\.py|/)`", module)
        assert match, f"a row's module is one `name.py` or `name/`: {module}"
        names = re.sub(r"\s*\([^)]*\)", "", imported)
        rows[match[1]] = (job, set() if names == "—" else set(names.split(", ")))
    return rows


def row_of(module: str, rows: Iterable[str]) -> str | None:
    """The row that describes `module` (`adapter.web.graphql.cost` is `web/graphql`'s)."""
    for row in sorted(rows, key=len, reverse=True):
        name = "adapter." + row.replace("/", ".")
        if module == name or module.startswith(name + "."):
            return row
    return None


def test_every_module_has_its_row_in_architecture() -> None:
    """ARCHITECTURE.md's module table has a row for each module or sub-package there is (a
    sub-package's row naming each of its modules), and none for one that is gone."""
    rows = module_table()
    gone = [r for r in rows if not (PACKAGE / f"{r}.py").is_file() and not (PACKAGE / r).is_dir()]
    assert gone == []
    names = [name for name, _ in modules() if name not in WITHOUT_ROWS]
    assert [name for name in names if row_of(name, rows) is None] == []
    unnamed = [
        name
        for name in names
        if (row := row_of(name, rows)) is not None
        and name != "adapter." + row.replace("/", ".")
        and not re.search(rf"`{name.rpartition('.')[2]}(\.py)?`", rows[row][0])
    ]
    assert unnamed == []


def test_architecture_names_what_each_module_imports() -> None:
    """Each row's imports in ARCHITECTURE.md are the rows its modules import, no more and no
    fewer (type-only and deferred imports count)."""
    rows = module_table()
    paths = dict(modules())
    found: dict[str, set[str]] = {row: set() for row in rows}
    for name, path in paths.items():
        importer = row_of(name, rows)
        if importer is None:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                # `from adapter.web import responses` imports the module, not the package.
                targets = [
                    f"{node.module}.{alias.name}"
                    if f"{node.module}.{alias.name}" in paths
                    else node.module
                    for alias in node.names
                ]
            else:
                continue
            found[importer].update(
                row for target in targets if (row := row_of(target, rows)) not in {None, importer}
            )
    drift = {
        row: {"not in the table": found[row] - named, "not imported": named - found[row]}
        for row, (_, named) in rows.items()
        if found[row] != named
    }
    assert drift == {}
