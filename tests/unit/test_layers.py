"""The layering is a rule: imports only go web/cli -> worker -> services -> queries -> store ->
domain."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src" / "vigil"
# What each layer may import from vigil (besides itself, config and errors).
ALLOWED = {
    "domain": {"domain"},
    "store": {"domain", "store"},
    "queries": {"domain", "store", "queries"},
    "services": {"domain", "store", "queries", "services", "formats", "demo"},
    "formats": {"domain", "store", "formats"},
    "worker": {"domain", "store", "services", "worker"},
    "web": {"domain", "store", "queries", "services", "formats", "web", "worker"},  # starts it
    "cli": {"domain", "store", "services", "formats", "cli", "web"},  # `vigil serve` runs the app
}
NEUTRAL = {"config", "errors", "__init__"}


def _vigil_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vigil."):
            found.append((node.lineno, node.module.split(".")[1]))
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name.split(".")[1])
                for a in node.names
                if a.name.startswith("vigil.")
            ]
    return found


def _modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] in ALLOWED]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_go_down_the_layers(path: Path) -> None:
    layer = path.relative_to(SRC).parts[0]
    wrong = [
        f"line {n}: vigil.{target}"
        for n, target in _vigil_imports(path)
        if target not in ALLOWED[layer] | NEUTRAL
    ]
    assert not wrong, f"{layer} may not import {wrong}"


def test_domain_does_no_io() -> None:
    """Pure logic: no database, web framework, files or network in domain/."""
    banned = {"sqlalchemy", "fastapi", "starlette", "httpx", "socket", "requests", "open"}
    for path in (SRC / "domain").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                names = [node.func.id]
            assert not banned & set(names), f"{path.name}:{node.lineno} uses {names}"


def test_only_geodesy_uses_pyproj() -> None:
    users = [p.name for p in SRC.rglob("*.py") if "pyproj" in p.read_text(encoding="utf-8")]
    # build_zones.py is the offline generator of the demo's zone file, not run by Vigil.
    assert set(users) <= {"geodesy.py", "build_zones.py"}, users
