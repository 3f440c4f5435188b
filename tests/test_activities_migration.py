"""core_0002 (laps, sport_guessed) and core_0003 (deleted_at: soft delete) upgrade a core_0001
database with data, and downgrade, on SQLite and on a real PostgreSQL server; the service works
on the upgraded schema."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, text

from strideback.activities import service
from strideback.store.db import alembic_config, open_database


def _migrate(url: str, target: str, down: bool = False) -> None:
    engine = create_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, target)
    engine.dispose()


def _columns(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("activities")}
    finally:
        engine.dispose()


def _old_rows(url: str) -> None:
    """Two activities as core_0001 stored them: one with a guessed sport."""
    engine = create_engine(url)
    now = dt.datetime(2026, 1, 1)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO source_files (sha256, name, format, size_bytes, status, imported_at)"
                " VALUES (:h, :n, 'gpx', 1, 'imported', :t)"
            ),
            [{"h": "a" * 64, "n": "a.gpx", "t": now}, {"h": "b" * 64, "n": "b.gpx", "t": now}],
        )
        for sha, prov in (
            ("a" * 64, {"sport": "guessed-from-speed"}),
            ("b" * 64, {"distance_m": "derived-gps"}),
        ):
            conn.execute(
                text(
                    "INSERT INTO activities (source_sha256, leg_index, source_format,"
                    " source_file, sport, start_time, provenance, imported_at)"
                    " VALUES (:h, 0, 'gpx', :f, 'running', :t, :p, :t)"
                ),
                {"h": sha, "f": sha[:1] + ".gpx", "t": now, "p": json.dumps(prov, sort_keys=True)},
            )
    engine.dispose()


def _upgrade_with_data_and_back(url: str, activities_dir: Path) -> None:
    _migrate(url, "core_0001")
    assert "laps" not in _columns(url)
    _old_rows(url)
    db = open_database(url)  # upgrades every branch to its head
    assert {"laps", "sport_guessed", "deleted_at"} <= _columns(url)  # core_0002 + core_0003
    guessed = {s.source_file: s.sport_guessed for s in service.list_activities(db)}
    assert guessed == {"a.gpx": True, "b.gpx": False}
    assert service.get_activity(db, service.list_activities(db)[0].id).laps == []
    (result,) = service.import_paths(db, [activities_dir / "Runalyze__Standard.tcx"])
    assert result.status == "imported"
    assert len(service.get_activity(db, result.activity_id).laps) > 1
    db.dispose()
    _migrate(url, "core_0001", down=True)
    assert not {"laps", "sport_guessed", "deleted_at"} & _columns(url)
    _migrate(url, "core_0002")
    assert {"laps", "sport_guessed"} <= _columns(url)


def test_core_0002_on_sqlite(tmp_path: Path, activities_dir: Path):
    _upgrade_with_data_and_back(f"sqlite:///{tmp_path / 'old.sqlite3'}", activities_dir)


def test_core_0002_on_postgresql(postgres_url: str, activities_dir: Path):
    _upgrade_with_data_and_back(postgres_url, activities_dir)
