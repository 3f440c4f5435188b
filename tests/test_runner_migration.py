"""Issue #12: the `*_runner` migrations turn a database made by the previous release (one
runner per database) into the local runner's data, losing nothing, on SQLite and PostgreSQL.

The old database is made by the previous release's own code (its source taken from git at
RELEASE and run in a subprocess), filled through its CLI with real device files, a check and
diary days; then this code opens it (which upgrades it) and every row must be kept and owned
by the local runner "me".
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from conftest import REPO_ROOT, missing_resource

RELEASE = "60909919c058594e993dc36f4fc585935e38b553"  # main before issue #12
TABLES = (
    "source_files",
    "activities",
    "activity_series",
    "coach_checks",
    "coach_diary",
    "coach_settings",
    "coach_plan_starts",
    "coach_calendar",
    "form_clips",
    "web_jobs",
    "web_preferences",
)
FILES = (
    "Runalyze__Standard.tcx",
    "GoldenCheetah__3386684871.fit",
    "GoldenCheetah__FR55-CoreTemp-Walk.fit",
)
MARKER = "old-release-diary-marker"


@pytest.fixture(scope="module")
def release_src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The previous release's `src` folder, exported from git."""
    if shutil.which("git") is None:
        missing_resource("git not found (needed to build the previous release)")
    out = tmp_path_factory.mktemp("release")
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", RELEASE, "src"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        missing_resource(f"git commit {RELEASE[:7]} not available (shallow clone?)")
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    return out / "src"


def _old_cli(src: Path, url: str, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(src))
    result = subprocess.run(
        [sys.executable, "-c", "from strideback.cli import main; main()", "--db", url, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _fill_with_release(src: Path, url: str, activities_dir: Path, tmp_path: Path) -> None:
    from test_coach_assess import pfp_answers

    _old_cli(src, url, "import", *(str(activities_dir / name) for name in FILES))
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(pfp_answers()), encoding="utf-8")
    _old_cli(src, url, "check", "--answers", str(answers), "--today", "2026-03-02")
    for day, during in (("2026-03-03", 2), ("2026-03-04", 3), ("2026-03-05", 1)):
        _old_cli(src, url, "log", "--day", day, "--during", str(during), "--after", "1",
                 "--note", f"{MARKER} {day}", "--today", "2026-03-06")  # fmt: skip
    _old_cli(src, url, "settings", "--set", "pain_ok_max=4")
    _old_cli(src, url, "plan", "--start", "2026-03-03", "--json", "--today", "2026-03-06")


def _columns(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = inspect(connection)
            names = set(found.get_table_names())
            return {t: {c["name"] for c in found.get_columns(t)} for t in TABLES if t in names}
    finally:
        engine.dispose()


def _rows(url: str, only: dict[str, set[str]] | None = None) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every runner-owned table, without runner_id, in a stable order (with
    `only`: just those columns, e.g. the ones the release had, beside columns added since)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = set(inspect(connection).get_table_names())
            out: dict[str, list[tuple[object, ...]]] = {}
            for table in TABLES:
                if table not in names:
                    continue
                columns = [
                    c["name"]
                    for c in inspect(connection).get_columns(table)
                    if c["name"] != "runner_id" and (only is None or c["name"] in only[table])
                ]
                listed = ", ".join(f'"{c}"' for c in sorted(columns))
                rows = connection.execute(text(f"SELECT {listed} FROM {table}")).all()
                out[table] = sorted((tuple(r) for r in rows), key=repr)
            return out
    finally:
        engine.dispose()


def _check_upgrade(url: str, src: Path, activities_dir: Path, tmp_path: Path) -> None:
    _fill_with_release(src, url, activities_dir, tmp_path)
    before = _rows(url)
    released = _columns(url)
    assert len(before["activities"]) >= 3 and len(before["coach_diary"]) == 3
    assert before["coach_checks"] and before["coach_settings"] and before["activity_series"]

    from strideback.activities.queries import list_activities
    from strideback.coach.diary import diary
    from strideback.store.db import close_all, open_database

    close_all()
    db = open_database(url)  # upgrades to every head
    assert _rows(url, only=released) == before  # nothing lost, nothing changed
    me = db.local_runner()
    engine = create_engine(url)
    with engine.connect() as connection:
        for table in TABLES:
            owners = connection.execute(text(f"SELECT DISTINCT runner_id FROM {table}")).all()
            assert owners in ([], [(me,)]), (table, owners)
            column = next(
                c for c in inspect(connection).get_columns(table) if c["name"] == "runner_id"
            )
            assert column["nullable"] is False, table
        user = connection.execute(
            text("SELECT username, role, password_hash FROM accounts_users WHERE id = :i"),
            {"i": me},
        ).one()
        assert tuple(user) == ("me", "runner", None)
    engine.dispose()
    # Today's services read it as the local runner's data; another runner sees none of it.
    assert len(list_activities(db)) == len(before["activities"])
    assert {e.note for e in diary(db)} == {f"{MARKER} 2026-03-0{d}" for d in (3, 4, 5)}
    from strideback.accounts.service import add_user

    other = add_user(db, "runner-b", "runner")
    assert list_activities(db.for_runner(other.id)) == []
    assert diary(db.for_runner(other.id)) == []
    # The same file imported by another runner is theirs, not a duplicate of the first's.
    from strideback.activities import service

    (result,) = service.import_paths(db.for_runner(other.id), [activities_dir / FILES[0]])
    assert result.status == "imported"
    close_all()


def test_upgrade_keeps_every_row_on_sqlite(
    tmp_path: Path, release_src: Path, activities_dir: Path
) -> None:
    _check_upgrade(f"sqlite:///{tmp_path / 'old.sqlite3'}", release_src, activities_dir, tmp_path)


def test_upgrade_keeps_every_row_on_postgresql(
    postgres_url: str, release_src: Path, activities_dir: Path, tmp_path: Path
) -> None:
    _check_upgrade(postgres_url, release_src, activities_dir, tmp_path)


def test_a_new_database_gets_the_local_runner_only_when_used(tmp_path: Path) -> None:
    """The migrations of a new, empty database make no account; the local runner 'me' is
    made on first use, once (the same id every time)."""
    from strideback.accounts.service import list_users, local_runner
    from strideback.store.db import open_database

    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    db = open_database(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM accounts_users")).scalar() == 0
    engine.dispose()
    me = local_runner(db)
    assert local_runner(db) == me
    (user,) = list_users(db)
    assert (user.id, user.username, user.role, user.has_password) == (me, "me", "runner", False)
