"""The store: migrations create every table on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect

from strideback.store.activities import ActivityRow, SourceFile
from strideback.store.db import default_url, open_database
from strideback.store.models import Base


def _roundtrip(url: str) -> None:
    db = open_database(url)
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables, "a table module has no migration"
    with db.session() as s:
        s.add(
            SourceFile(
                sha256="b" * 64, name="run.fit", format="fit", size_bytes=10, status="imported"
            )
        )
        s.flush()
        s.add(
            ActivityRow(
                source_sha256="b" * 64,
                leg_index=0,
                source_format="fit",
                source_file="run.fit",
                sport="running",
                start_time=dt.datetime(2026, 11, 2, 7),
                distance_m=8000.0,
                moving_s=2900.0,
                elapsed_s=3000.0,
            )
        )
    # a failing transaction leaves nothing half-written
    with pytest.raises(RuntimeError), db.session() as s:
        s.add(
            ActivityRow(
                source_sha256="b" * 64,
                leg_index=1,
                source_format="fit",
                source_file="run.fit",
                sport="running",
                start_time=dt.datetime(2026, 11, 3, 7),
                distance_m=1.0,
            )
        )
        s.flush()
        raise RuntimeError("boom")
    from strideback.load.service import weekly_load

    weeks = weekly_load(db, today=dt.date(2026, 11, 8))
    assert [(w.week, w.runs, w.distance_m) for w in weeks] == [("2026-W45", 1, 8000.0)]
    # migrating again is a no-op
    db.migrate()


def test_sqlite_default_location(monkeypatch, tmp_path):
    monkeypatch.setenv("STRIDEBACK_HOME", str(tmp_path / "home"))
    assert default_url() == f"sqlite:///{tmp_path / 'home' / 'strideback.sqlite3'}"
    monkeypatch.setenv("STRIDEBACK_DB", "sqlite:////elsewhere.db")
    assert default_url() == "sqlite:////elsewhere.db"


def test_sqlite_roundtrip(db_url):
    _roundtrip(db_url)


def test_postgresql_roundtrip(postgres_url):
    _roundtrip(postgres_url)


def test_fast_head_check_agrees_with_alembic(db_url):
    from alembic.script import ScriptDirectory

    from strideback.store.db import alembic_config, migration_heads

    script = ScriptDirectory.from_config(alembic_config(db_url))
    assert migration_heads() == frozenset(script.get_heads())
    db = open_database(db_url)
    assert db.is_current()
    with db.engine.begin() as conn:  # a database one migration behind is not current
        from sqlalchemy import text

        conn.execute(text("DELETE FROM alembic_version WHERE version_num LIKE 'core_%'"))
    assert not db.is_current()
