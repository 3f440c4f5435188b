"""The import graph: shell -> services -> core, one owner per table, no string dispatch.

A small AST scan of `src/strideback`. It fails when a new import breaks a layer rule, so the
seams the other capabilities build on stay clean.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "strideback"

# Pure core: no database, no web, no CLI, no video shell, no file system framework.
CORE = (
    "strideback.domain",
    "strideback.assess",
    "strideback.plan",
    "strideback.load.weekly",
    "strideback.form.model",
    "strideback.form.geometry",
    "strideback.form.events",
    "strideback.form.metrics_side",
    "strideback.form.metrics_frontal",
    "strideback.form.quality",
    "strideback.clinic.triage",
    "strideback.clinic.sparkline",
)
SHELL = ("strideback.store", "strideback.web", "strideback.cli", "strideback.video", "sqlalchemy")

# Each table module has one owning capability (the store's own generic backup may read all).
TABLE_OWNERS = {
    "strideback.store.activities": ("strideback.activities",),
    "strideback.store.clinic": ("strideback.clinic",),
    "strideback.store.coach": ("strideback.coach",),
    "strideback.store.form": ("strideback.form",),
    "strideback.store.web": ("strideback.web", "strideback.preferences"),
    "strideback.store.clinic_board": ("strideback.clinic",),
}

# Who may import the top-level shells at all.
WEB_IMPORTERS = ("strideback.web", "strideback.cli")
CLI_IMPORTERS = ("strideback.cli",)


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
    return found


def _is_in(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts)


def _violations() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {"core": [], "tables": [], "web": [], "cli": [], "dispatch": []}
    for path in MODULES:
        me = _module_name(path)
        source = path.read_text(encoding="utf-8")
        for line, name in _imports(path):
            where = f"{me}:{line} imports {name}"
            if _is_in(me, CORE) and _is_in(name, SHELL):
                found["core"].append(where)
            for table_module, owners in TABLE_OWNERS.items():
                if _is_in(name, (table_module,)) and not _is_in(me, (*owners, "strideback.store")):
                    found["tables"].append(where)
            if _is_in(name, ("strideback.web",)) and not _is_in(me, WEB_IMPORTERS):
                found["web"].append(where)
            if _is_in(name, ("strideback.cli",)) and not _is_in(me, CLI_IMPORTERS):
                found["cli"].append(where)
        if "import_module(" in source and not _is_in(me, ("strideback.cli",)):
            found["dispatch"].append(f"{me} uses importlib.import_module")
    return found


@pytest.mark.parametrize("rule", ["core", "tables", "web", "cli", "dispatch"])
def test_layer_rule(rule: str) -> None:
    assert _violations()[rule] == []


def test_the_scan_sees_imports() -> None:
    """The scan itself works: it finds a known import (so an empty result means something)."""
    service = PACKAGE / "activities" / "service.py"
    names = {name for _, name in _imports(service)}
    assert any(name.startswith("strideback.store") for name in names)
