"""The layout: every module sits in one capability's subpackage, and imports run one way,
from interfaces down to documents, never back up (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

PACKAGE = ROOT / "mesoreg"

#: the layers, lowest first: a module may import from its own layer and the layers below
LAYERS = (
    "base",  # mesoreg/_errors, _version, _exit, _cache, _memo, _snapshot, hookspecs
    "documents",
    "knowledge",
    "checks",
    "host",
    "store",
    "interfaces",
    "compounding",
    "web",
    "command",
    "public",  # mesoreg/__init__: the lazy facade over everything
)
#: top-level modules that are not in the base layer: the lazy facade, ``python -m mesoreg``,
#: and the builders and fixtures for plugin authors' tests (an interface, like the others)
TOP = {"__init__": "public", "__main__": "command", "testing": "interfaces"}


def _layer(module: str) -> str:
    """The layer of a dotted module name inside mesoreg."""
    parts = module.split(".")[1:]
    if not parts:
        return "public"
    if parts[0] in LAYERS:
        return parts[0]
    return TOP.get(parts[0], "base")


def _name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__" and len(parts) > 2:
        parts.pop()
    return ".".join(parts)


def _runtime_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import that runs (not under ``if TYPE_CHECKING:``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "mesoreg":
                found += [(node.lineno, f"mesoreg.{a.name}") for a in node.names]
            elif node.module.startswith("mesoreg."):
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("mesoreg.")]
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path: Path) -> None:
    mine = LAYERS.index(_layer(_name(path)))
    upward = [
        f"line {line}: {module} ({_layer(module)})"
        for line, module in _runtime_imports(path)
        if LAYERS.index(_layer(module)) > mine
    ]
    assert not upward, f"{_name(path)} ({_layer(_name(path))}) imports upward: {upward}"


def test_only_the_base_and_the_public_faces_sit_at_the_top() -> None:
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert top == sorted(
        [
            "__init__",
            "__main__",
            "_cache",
            "_errors",
            "_exit",
            "_memo",
            "_snapshot",
            "_stat",
            "_version",
            "hookspecs",
            "testing",
        ]
    )


def test_every_subpackage_is_described_in_the_architecture_page() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for folder in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        assert f"`mesoreg/{folder.name}/`" in page, folder.name
