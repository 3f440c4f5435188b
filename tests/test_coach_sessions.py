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
