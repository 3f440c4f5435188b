"""Issue #12: a clinician's private notes on a runner (clinic/notes.py), and the migrations
that add them and the threshold audit log to an existing database."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import create_engine, inspect, text

from strideback.accounts.service import add_user
from strideback.backup import export_backup
from strideback.backup.archive import backed_up_tables
from strideback.clinic.notes import (
    MAX_NOTE_CHARS,
    NoteError,
    NoteNotFound,
    NotTheAuthor,
    add_note,
    delete_note,
    edit_note,
    list_notes,
)
from strideback.coach.settings import get_settings, settings_audit
from strideback.store.db import Database, alembic_config, close_all, migration_heads, open_database

TODAY = dt.date(2026, 3, 10)


def _people(db: Database) -> dict[str, int]:
    physio = add_user(db, "physio", "clinician").id
    other = add_user(db, "physio2", "clinician").id
    a = add_user(db, "runa", "runner", clinician_id=physio).id
    b = add_user(db, "runb", "runner", clinician_id=other).id
    return {"physio": physio, "physio2": other, "a": a, "b": b}


def _notes_round(db: Database) -> None:
    ids = _people(db)
    a = db.for_runner(ids["a"])
    first = add_note(a, ids["physio"], "  Knee settles\x00 after 2 days.\r\n", TODAY, TODAY)
    assert first.text == "Knee settles after 2 days." and first.noted_on == TODAY
    second = add_note(a, ids["physio"], "Older note", dt.date(2026, 3, 1), TODAY)
    assert [n.id for n in list_notes(a)] == [first.id, second.id]  # newest date first
    changed = edit_note(a, second.id, ids["physio"], "Older note, edited", TODAY, TODAY)
    assert changed.text == "Older note, edited" and changed.noted_on == TODAY
    # Only the author edits or deletes.
    with pytest.raises(NotTheAuthor, match="author"):
        edit_note(a, first.id, ids["physio2"], "mine now", TODAY, TODAY)
    with pytest.raises(NotTheAuthor, match="author"):
        delete_note(a, first.id, ids["physio2"])
    # Another runner's view never reaches these notes, whatever the id.
    b = db.for_runner(ids["b"])
    assert list_notes(b) == []
    with pytest.raises(NoteNotFound):
        edit_note(b, first.id, ids["physio"], "x", TODAY, TODAY)
    with pytest.raises(NoteNotFound):
        delete_note(b, first.id, ids["physio"])
    delete_note(a, first.id, ids["physio"])
    assert [n.text for n in list_notes(a)] == ["Older note, edited"]


def test_notes_are_written_edited_and_deleted_by_their_author(db: Database) -> None:
    _notes_round(db)


def test_notes_on_postgresql(postgres_url: str) -> None:
    _notes_round(open_database(postgres_url))


@pytest.mark.parametrize(
    "text_,day,field",
    [
        ("", TODAY, "note"),
        (" \n\x00 ", TODAY, "note"),
        ("x" * (MAX_NOTE_CHARS + 1), TODAY, "note"),
        ("fine", TODAY + dt.timedelta(days=1), "date"),
        ("fine", dt.date(1980, 1, 1), "date"),
    ],
)
def test_a_bad_note_is_refused_naming_the_field(
    db: Database, text_: str, day: dt.date, field: str
) -> None:
    ids = _people(db)
    a = db.for_runner(ids["a"])
    with pytest.raises(NoteError, match=f"^{field}:"):
        add_note(a, ids["physio"], text_, day, TODAY)
    assert list_notes(a) == []
    add_note(a, ids["physio"], "x" * MAX_NOTE_CHARS, TODAY, TODAY)  # the limit itself is fine
    assert len(list_notes(a)) == 1


def test_notes_stay_out_of_the_runners_backup(db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The clinician's records: not in the runner-facing export; the audit log is."""
    import zipfile

    from strideback.coach.settings import Actor, update_settings

    ids = _people(db)
    a = db.for_runner(ids["a"])
    add_note(a, ids["physio"], "zz-private-clinician-note", TODAY, TODAY)
    update_settings(a, {"pain_ok_max": 4}, actor=Actor("physio", ids["physio"]))
    names = [t.name for t in backed_up_tables()]
    assert "clinic_notes" not in names and "coach_settings_audit" in names
    summary = export_backup(a, tmp_path / "a.zip")
    assert summary.rows["coach_settings_audit"] == 1
    with zipfile.ZipFile(summary.path) as zf:
        everything = b"".join(zf.read(n) for n in zf.namelist())
    assert b"zz-private-clinician-note" not in everything
    assert b"pain_ok_max" in everything


# ------------------------------------------------------------------ migrations

NEW = {"coach_0007", "clinic_0001"}


def _database_before_this_change(url: str) -> None:
    """A database at the previous heads (coach_0006, no clinic branch), with a setting."""
    from alembic import command

    targets = sorted((migration_heads() - NEW) | {"coach_0006"})
    engine = create_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        for target in targets:
            command.upgrade(cfg, target)
        connection.execute(
            text(
                "INSERT INTO accounts_users (username, role, display_name, created_at, disabled) "
                "VALUES ('me', 'runner', 'Me', '2026-01-01 00:00:00', false)"
            )
        )
        runner = connection.execute(text("SELECT id FROM accounts_users")).scalar_one()
        connection.execute(
            text("INSERT INTO coach_settings (runner_id, key, value, updated_at) "
                 "VALUES (:r, 'pain_ok_max', :v, '2026-01-01 00:00:00')"),
            {"r": runner, "v": json.dumps(4)},
        )  # fmt: skip
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert "coach_settings_audit" not in tables and "clinic_notes" not in tables


def _check_upgrade(url: str) -> None:
    _database_before_this_change(url)
    close_all()
    db = open_database(url)  # upgrades to every head, the new branch included
    assert db.is_current()
    assert get_settings(db)["pain_ok_max"] == 4  # kept
    assert settings_audit(db) == []
    tables = set(inspect(db.engine).get_table_names())
    assert {"coach_settings_audit", "clinic_notes"} <= tables
    with db.engine.connect() as connection:
        heads = {r[0] for r in connection.execute(text("SELECT version_num FROM alembic_version"))}
    assert NEW <= heads
    physio = add_user(db, "physio", "clinician").id
    add_note(db, physio, "after the upgrade", TODAY, TODAY)
    assert [n.text for n in list_notes(db)] == ["after the upgrade"]


def test_upgrade_of_an_existing_database_on_sqlite(db_url: str) -> None:
    _check_upgrade(db_url)


def test_upgrade_of_an_existing_database_on_postgresql(postgres_url: str) -> None:
    _check_upgrade(postgres_url)
