"""Import direction is the architecture: no module imports from a layer above its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "adapter"

# Lower numbers sit lower; a module may import its own layer or any below it.
LAYERS: dict[str, int] = {
    "adapter.errors": 0,
    "adapter.metrics": 0,
    "adapter.logs": 0,
    "adapter.exit_codes": 0,
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
    "adapter.accounts": 3,
    "adapter.viewer": 3,
    "adapter.notify": 3,
    "adapter.web": 4,
    "adapter.telemetry": 4,  # wraps the ASGI app, beside the web middleware
    "adapter.app": 5,
    "adapter.checks": 6,
    "adapter.init": 7,
    "adapter.cli": 8,
}
# The demo stands apart: it imports nothing of the adapter, and only these may import it.
DEMO = "adapter.demo"
MAY_IMPORT_DEMO = {"adapter.app", "adapter.cli"}


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
