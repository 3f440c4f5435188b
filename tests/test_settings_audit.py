"""Issue #12: every threshold change writes an audit row (who, when, key, old → new) in the
same transaction; nothing changed, nothing written; a refused change writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from strideback.accounts.service import add_user
from strideback.coach.settings import (
    CLI,
    LOCAL_RUNNER,
    Actor,
    get_settings,
    settings_audit,
    update_settings,
)
from strideback.store.coach import SettingAuditRow, SettingRow
from strideback.store.db import Database, open_database


def _rows(db: Database) -> int:
    with db.all_runners().session() as s:
        return int(s.scalar(select(func.count()).select_from(SettingAuditRow)) or 0)


def _audit_rows_for_changes(db: Database) -> None:
    physio = add_user(db, "physio", "clinician")
    runner = add_user(db, "runner1", "runner", clinician_id=physio.id).id
    rdb = db.for_runner(runner)
    who = Actor(physio.username, physio.id)
    update_settings(rdb, {"pain_ok_max": 4, "gap_days": 10}, actor=who)
    update_settings(rdb, {"pain_ok_max": "5"}, actor=who)
    log = settings_audit(rdb)
    assert {(c.key, c.old, c.new) for c in log} == {
        ("pain_ok_max", 3, 4),
        ("gap_days", 7, 10),
        ("pain_ok_max", 4, 5),
    }
    assert log[0].key == "pain_ok_max" and log[0].new == 5
    assert all(c.actor == "physio" and c.actor_id == physio.id for c in log)
    assert log[0].changed_at >= log[-1].changed_at
    # Back to the default: the override goes, the change is audited.
    update_settings(rdb, {"pain_ok_max": 3}, actor=who)
    assert settings_audit(rdb)[0].old == 5 and settings_audit(rdb)[0].new == 3
    with rdb.session() as s:
        assert s.scalar(select(SettingRow).where(SettingRow.key == "pain_ok_max")) is None
    # Another runner's log is their own.
    other = db.for_runner(add_user(db, "runner2", "runner").id)
    assert settings_audit(other) == []
    assert len(settings_audit(rdb)) == 4


def test_every_change_writes_an_audit_row_with_old_and_new_values(db: Database) -> None:
    _audit_rows_for_changes(db)


def test_audit_rows_on_postgresql(postgres_url: str) -> None:
    _audit_rows_for_changes(open_database(postgres_url))


def test_no_row_when_nothing_changed(db: Database) -> None:
    update_settings(db, {"pain_ok_max": 3}, actor=LOCAL_RUNNER)  # the default already
    assert _rows(db) == 0
    update_settings(db, {"pain_ok_max": 4}, actor=LOCAL_RUNNER)
    update_settings(db, {"pain_ok_max": 4.0}, actor=LOCAL_RUNNER)  # the same value again
    update_settings(db, {}, actor=LOCAL_RUNNER)
    assert _rows(db) == 1
    (change,) = settings_audit(db)
    assert (change.actor, change.actor_id, change.old, change.new) == ("local runner", None, 3, 4)


@pytest.mark.parametrize(
    "changes",
    [
        {"pain_ok_max": 9},  # out of its bounds
        {"pain_ok_max": 4, "gap_days": 1000},  # one good, one out of bounds: neither stored
        {"pain_ok_max": 6, "pain_hold_max": 5},  # hold below ok
        {"no_such_setting": 1},
        {"completions_to_progress": 2.5},
    ],
)
def test_a_refused_change_writes_nothing(db: Database, changes: dict) -> None:
    before = get_settings(db)
    with pytest.raises(ValueError):
        update_settings(db, changes, actor=LOCAL_RUNNER)
    assert get_settings(db) == before
    assert _rows(db) == 0


def test_the_audit_row_and_the_change_are_one_transaction(db: Database) -> None:
    """A failure while storing the change leaves no audit row (and no change) behind."""
    from sqlalchemy import event

    def refuse(*_args: object) -> None:
        raise RuntimeError("disk full")

    event.listen(SettingRow, "before_insert", refuse)
    try:
        with pytest.raises(RuntimeError):
            update_settings(db, {"pain_ok_max": 4}, actor=LOCAL_RUNNER)
    finally:
        event.remove(SettingRow, "before_insert", refuse)
    assert _rows(db) == 0 and get_settings(db)["pain_ok_max"] == 3
    update_settings(db, {"pain_ok_max": 4}, actor=LOCAL_RUNNER)  # the test can fail: it works
    assert _rows(db) == 1


def test_the_cli_records_its_changes_as_cli(db_url: str) -> None:
    from strideback.cli import app as cli_app

    result = CliRunner().invoke(cli_app, ["--db", db_url, "settings", "--set", "pain_ok_max=4"])
    assert result.exit_code == 0, result.output
    db = open_database(db_url)
    (change,) = settings_audit(db)
    assert (change.actor, change.key, change.old, change.new) == (CLI.name, "pain_ok_max", 3, 4)
    refused = CliRunner().invoke(cli_app, ["--db", db_url, "settings", "--set", "gap_days=999"])
    assert refused.exit_code != 0 and "gap_days" in refused.output
    assert len(settings_audit(db)) == 1
