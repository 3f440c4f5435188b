"""Calendar export parses back with every session; export/restore loses nothing."""

from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
from icalendar import Calendar

from strideback.coach import service
from strideback.domain import DiaryEntry
from strideback.store.db import open_database

START = dt.date(2026, 3, 2)
TODAY = START + dt.timedelta(days=10)


def fill(db) -> None:
    from test_coach_assess import MIXED, PLAN_MIXED, pfp_answers

    service.run_check(db, pfp_answers(**PLAN_MIXED[0]), START)
    for offset in (0, 2, 4, 7, 9):
        service.log_day(
            db,
            DiaryEntry(
                START + dt.timedelta(days=offset),
                pain_during=offset % 4,
                pain_after=1,
                pain_next_morning=1,
                done="done",
                note=f"day {offset} – ok ✓",
            ),
        )
    service.log_day(
        db, DiaryEntry(START + dt.timedelta(days=5), swelling="mild", limp=True, done="skipped")
    )
    tests_day = START + dt.timedelta(days=6)
    service.log_day(db, DiaryEntry(tests_day, squat_test_pain=2, hop_test_pain=4))
    service.update_settings(db, {"pain_ok_max": 4, "completions_to_progress": 3})
    service.run_check(db, pfp_answers(**MIXED[1][0]), TODAY)
    service.clear_by_clinician(db, TODAY, restart_step="walk", note="physio visit")


def test_ics_parses_back_and_holds_every_session(db):
    fill(db)
    data = service.plan_ics(db, TODAY)
    cal = Calendar.from_ical(data)
    # Session events (issue 9 adds a morning-check event after each walk/run).
    events = [
        c
        for c in cal.walk()
        if c.name == "VEVENT" and c.get("categories").cats[0] != "morning_check"
    ]
    plan = service.current_plan(db, TODAY)
    expected = [(d.day, s) for d in plan.steps if d.day >= TODAY for s in d.sessions]
    assert len(events) == len(expected) > 0
    got = {(e.decoded("dtstart"), str(e.get("summary"))) for e in events}
    for day, session in expected:
        assert (day, f"StrideBack: {session.title} ({session.minutes} min)") in got
    uids = [str(e.get("uid")) for e in events]
    assert len(set(uids)) == len(uids)
    strength = next(e for e in events if "strength" in str(e.get("summary")).lower())
    description = str(strength.get("description"))
    assert "Clamshell" in description or "Side-lying" in description
    assert "not a diagnosis" in description
    # Deterministic: same data, same bytes.
    assert service.plan_ics(db, TODAY) == data


def _export_json(db, folder):
    paths = service.export_all(db, folder, today=TODAY)
    return paths, json.loads((folder / "strideback-backup.json").read_text(encoding="utf-8"))


def test_export_restore_round_trip_loses_nothing(db, tmp_path):
    fill(db)
    paths, first = _export_json(db, tmp_path / "a")
    assert {p.name for p in paths} == {
        "strideback-backup.json",
        "checks.csv",
        "kujala.csv",
        "diary.csv",
        "plan.csv",
        "activities.csv",
    }
    with (tmp_path / "a" / "diary.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 7
    assert [(r["squat_test_pain"], r["hop_test_pain"]) for r in rows if r["squat_test_pain"]] == [
        ("2", "4")
    ]
    with (tmp_path / "a" / "kujala.csv").open(encoding="utf-8") as fh:
        assert [r["total"] for r in csv.DictReader(fh)] == ["49", "57"]

    other = open_database(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    counts = service.import_backup(other, tmp_path / "a")
    assert counts == {
        "checks": 2,
        "diary": 7,
        "settings": 2,
        "plan_starts": 2,
        "activities_not_restored": 0,
    }
    _, second = _export_json(other, tmp_path / "b")
    assert second == first
    assert service.diary(other) == service.diary(db)
    assert service.list_checks(other) == service.list_checks(db)
    assert service.get_settings(other) == service.get_settings(db)
    assert service.todays_session(other, TODAY) == service.todays_session(db, TODAY)
    assert service.last_clearance(other) == service.last_clearance(db) is not None
    assert service.todays_session(other, TODAY).decision.rule == "clinician_clearance"


def test_import_rejects_bad_files_with_the_file_name(db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.json: not a JSON file"):
        service.import_backup(db, bad)
    bad.write_text(json.dumps({"format": "other"}), encoding="utf-8")
    with pytest.raises(ValueError, match="not a StrideBack coach backup"):
        service.import_backup(db, bad)
    fill(db)
    _, doc = _export_json(db, tmp_path / "x")
    doc["settings"] = {"pain_ok_max": 9}
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match="invalid content"):
        service.import_backup(db, bad)
    assert len(service.diary(db)) == 7  # nothing was replaced


def test_coach_tables_work_on_postgresql(postgres_url):
    db = open_database(postgres_url)
    from test_coach_assess import pfp_answers

    with db.session() as s:  # the server is shared by the session: start clean
        from strideback.store.coach import CheckRow, DiaryRow, PlanStartRow, SettingRow

        for table in (CheckRow, DiaryRow, PlanStartRow, SettingRow):
            s.query(table).delete()
    outcome = service.run_check(db, pfp_answers(), START)
    assert outcome.can_start_plan and outcome.kujala.total == 100
    service.log_day(db, DiaryEntry(START, pain_during=1, pain_next_morning=1, done="done"))
    service.log_day(
        db,
        DiaryEntry(START + dt.timedelta(days=2), pain_during=1, pain_next_morning=1, done="done"),
    )
    view = service.todays_session(db, START + dt.timedelta(days=3))
    assert (view.decision.action, view.step.startswith("Walk: 20")) == ("progress", True)
    service.update_settings(db, {"pain_ok_max": 5})
    assert service.get_settings(db)["pain_ok_max"] == 5
    # coach_0002 columns on PostgreSQL: readiness results and a clinician clearance.
    service.log_day(db, DiaryEntry(START + dt.timedelta(days=3), squat_test_pain=1))
    assert service.diary(db)[-1].squat_test_pain == 1
    service.clear_by_clinician(db, START + dt.timedelta(days=4), restart_step="walk")
    view = service.todays_session(db, START + dt.timedelta(days=4))
    assert (view.decision.rule, view.step.startswith("Walk: 20")) == ("clinician_clearance", True)


def test_a_backup_from_before_the_readiness_fields_still_restores(db, tmp_path):
    fill(db)
    _, doc = _export_json(db, tmp_path / "x")
    for entry in doc["diary"]:
        del entry["squat_test_pain"], entry["hop_test_pain"]
    for start in doc["plan_starts"]:
        del start["cleared_on"], start["restart_step"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc), encoding="utf-8")
    other = open_database(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    assert service.import_backup(other, old)["diary"] == 7
    assert all(e.squat_test_pain is None for e in service.diary(other))
    assert service.last_clearance(other) is None
    doc["plan_starts"][0]["restart_step"] = "sprint"
    old.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ValueError, match="restart_step 'sprint'"):
        service.import_backup(other, old)
