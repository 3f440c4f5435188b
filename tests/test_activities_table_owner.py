"""One owner per table (issue 8): only the activities capability imports the activities tables.

An AST scan of every module: `strideback.store.activities` (ActivityRow, ActivitySeries,
SourceFile) may be imported by `strideback.activities.*` and the store itself. Other
capabilities call `strideback.activities.queries`. PENDING lists the callers still to be
switched (owned by other areas); the set may only shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

import strideback

SRC = Path(strideback.__file__).parent
TABLES = "strideback.store.activities"
ALLOWED = ("strideback.activities.", "strideback.store.")
PENDING: set[str] = set()


def _module(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    return ".".join(rel.parts).removesuffix(".__init__")


def _imports_tables(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == TABLES:
                return True
            if node.module == "strideback.store" and any(
                a.name == "activities" for a in node.names
            ):
                return True
        if isinstance(node, ast.Import) and any(a.name == TABLES for a in node.names):
            return True
    return False


def test_only_the_activities_capability_reads_its_tables():
    offenders = set()
    for path in SRC.rglob("*.py"):
        module = _module(path)
        if module.startswith(ALLOWED):
            continue
        if _imports_tables(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.add(module)
    assert offenders <= PENDING, (
        f"new direct readers of the activities tables: {offenders - PENDING}"
    )
    for done in ("strideback.load.service", "strideback.coach.history", "strideback.web.cache"):
        assert done not in offenders
