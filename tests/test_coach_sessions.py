"""Issue 9: sessions a runner can do as written — realistic strength sessions that alternate
two shorter routines, a load-progression rule, stop rules on every run session."""

from __future__ import annotations

import datetime as dt

from strideback.coach import service
from strideback.plan.ladder import PreInjury, ladder_for
from strideback.plan.rules import Rules, rule_catalogue
from strideback.plan.schedule import MINUTES_PER_EXERCISE, sessions_for_day

START = dt.date(2026, 3, 2)
STEPS = ladder_for(PreInjury(3, None, 40, None, "default"), Rules().single_run_max_ratio)


def _all_sessions(step):
    return [s for k in range(14) for s in sessions_for_day(step, START, START + dt.timedelta(k))]


def test_strength_days_alternate_two_realistic_routines_with_hip_and_knee_work():
    for step in STEPS:
        strength = [s for s in _all_sessions(step) if s.kind == "strength"]
        assert len(strength) == 6  # 3 a week
        assert [s.title.split()[4] for s in strength] == ["A", "B", "A", "B", "A", "B"]
        for s in strength:
            assert 6 <= len(s.exercises) <= 8 and s.minutes <= 32
            assert s.minutes == MINUTES_PER_EXERCISE * len(s.exercises)
            targets = " ".join(t for e in s.exercises for t in service.get_exercise(e).targets)
            assert "quadriceps" in targets or "quads" in targets, s.exercises
            assert "hip" in targets or "glute" in targets, s.exercises
            assert "add load or reps" in s.notes and "2 sessions in a row" in s.notes


def test_the_load_progression_rule_is_a_data_rule_with_its_source():
    info = rule_catalogue()["strength_progress_sessions"]
    assert info.default == 2 and "5–10%" in info.meaning and "§7b" in info.citation
    step = STEPS[0]
    notes = [
        s.notes
        for k in range(7)
        for s in sessions_for_day(step, START, START + dt.timedelta(k), 3)
        if s.kind == "strength"
    ]
    assert notes and all("3 sessions in a row" in n for n in notes)


def test_every_run_session_carries_the_stop_rules():
    runs = [s for step in STEPS for s in _all_sessions(step) if s.kind == "run"]
    assert runs
    assert all("Stop rules" in s.notes and "sharp" in s.notes for s in runs)
    walks = [s for s in _all_sessions(STEPS[0]) if s.kind == "walk"]
    assert all("evidence.md" not in s.notes and "§" not in s.notes for s in walks + runs)


# ---------------------------------------------------------------- calendar


def _events(data: bytes):
    from icalendar import Calendar

    return [c for c in Calendar.from_ical(data).walk() if c.name == "VEVENT"]


def _runner(db):
    from test_coach_assess import pfp_answers

    service.run_check(db, pfp_answers(), START)


def test_calendar_reminders_morning_checks_and_opt_out(db):
    _runner(db)
    events = _events(service.plan_ics(db, START))
    sessions = [e for e in events if e.get("categories").cats[0] != "morning_check"]
    mornings = [e for e in events if e.get("categories").cats[0] == "morning_check"]
    key_days = {
        e.decoded("dtstart") for e in sessions if e.get("categories").cats[0] in ("walk", "run")
    }
    assert {e.decoded("dtstart") - dt.timedelta(days=1) for e in mornings} == key_days
    assert all(len(e.walk("VALARM")) == 1 for e in events)
    assert "this morning" in str(mornings[0]["description"])
    quiet = _events(service.plan_ics(db, START, reminders=False))
    assert len(quiet) == len(events) and all(not e.walk("VALARM") for e in quiet)


def test_calendar_uids_differ_between_runners_and_an_update_replaces_events(tmp_path):
    from strideback.store.db import open_database

    a = open_database(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    b = open_database(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    _runner(a)
    _runner(b)
    first_a = _events(service.plan_ics(a, START))
    uids_a = {str(e["uid"]) for e in first_a}
    uids_b = {str(e["uid"]) for e in _events(service.plan_ics(b, START))}
    assert len(uids_a) == len(first_a) and not uids_a & uids_b  # same start day, no clash
    # The same runner's plan changes (a diary entry): same UIDs, higher SEQUENCE, LAST-MODIFIED.
    import time

    time.sleep(1.1)
    service.save_day(a, START, {"pain_during": 1, "done": "done"})
    again = _events(service.plan_ics(a, START))
    assert {str(e["uid"]) for e in again} & uids_a
    assert min(int(e["sequence"]) for e in again) > max(int(e["sequence"]) for e in first_a)
    assert again[0].decoded("last-modified") > first_a[0].decoded("last-modified")
