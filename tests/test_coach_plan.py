"""A simulated 8-week diary walks the plan forward, holds, steps back and refers by the rules."""

from __future__ import annotations

import datetime as dt

import pytest

from strideback.assess.kujala import KujalaScore
from strideback.coach import service
from strideback.domain import DiaryEntry
from strideback.plan.engine import walk_plan
from strideback.plan.ladder import PreInjury, ladder_for
from strideback.plan.pain import judge_day
from strideback.plan.rules import Rules
from strideback.plan.schedule import is_key_day

START = dt.date(2026, 3, 2)  # plan day 0; key (walk/run) days are offsets 0, 2, 4 of each week
RULES = Rules()
PRE = PreInjury(3, None, 40, None, "default")
STEPS = ladder_for(PRE, RULES.single_run_max_ratio)
IDS = [s.id for s in STEPS]


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


def good(offset: int, pain: int = 1) -> DiaryEntry:
    return DiaryEntry(
        day(offset), pain_during=pain, pain_after=pain, pain_next_morning=1, done="done"
    )


def scenario_diary() -> dict[dt.date, DiaryEntry]:
    """Good days, a hold, a run-entry hold, a flare, a morning flare, then a sharp-pain flare."""
    entries = [
        good(0),
        good(2),  # settle ×2 → walk_20
        good(4),
        good(7),  # walk_20 ×2 → walk_30
        DiaryEntry(day(9), pain_during=4, pain_after=3, pain_next_morning=1, done="done"),  # hold
        good(11, pain=3),  # good by the pain rule, but running needs a pain-free walk (≤2)
        good(14, pain=1),
        good(16, pain=0),  # walk_30 ×2 pain-free → walkrun_1
        good(18),
        good(21),  # walkrun_1 ×2 → walkrun_2
        DiaryEntry(day(23), pain_during=7, pain_after=5, pain_next_morning=2, done="modified"),
        good(25),
        good(28),  # walkrun_1 again ×2 → walkrun_2
        good(30),
        good(32),  # walkrun_2 ×2 → walkrun_3
        DiaryEntry(day(35), pain_during=2, pain_after=2, pain_next_morning=3, done="done"),
        DiaryEntry(
            day(37), pain_during=3, pain_after=3, pain_next_morning=1, done="done", sharp_pain=True
        ),  # second step-back in a row → refer
        good(39),
        good(42),
        good(44),  # ignored: the plan is stopped
    ]
    # A good strength day (not a walk/run day) never counts toward progress.
    entries.append(
        DiaryEntry(day(1), pain_during=0, pain_after=0, pain_next_morning=1, done="done")
    )
    return {e.day: e for e in entries}


def run(diary, today_offset=55, kujala=None, rules=RULES, red_flag_days=None):
    return walk_plan(
        start=START,
        today=day(today_offset),
        end=day(55),
        diary=diary,
        steps=STEPS,
        rules=rules,
        kujala=kujala,
        red_flag_days=red_flag_days,
    )


EXPECTED_STEP = {  # offset → step in force that day (hand-derived from the rules)
    0: "settle",
    1: "settle",
    2: "settle",
    3: "walk_20",
    7: "walk_20",
    8: "walk_30",
    10: "walk_30",
    12: "walk_30",
    16: "walk_30",
    17: "walkrun_1",
    21: "walkrun_1",
    22: "walkrun_2",
    23: "walkrun_2",
    24: "walkrun_1",
    28: "walkrun_1",
    29: "walkrun_2",
    32: "walkrun_2",
    33: "walkrun_3",
    35: "walkrun_3",
    36: "walkrun_2",
    37: "walkrun_2",
}
EXPECTED_DECISION = {  # offset → (action, rule) shown that day
    0: ("start", "plan_start"),
    1: ("hold", "repeat_until_completed"),
    3: ("progress", "completed_without_flare"),
    8: ("progress", "completed_without_flare"),
    10: ("hold", "pain_in_hold_band"),
    12: ("hold", "run_entry_not_pain_free"),
    15: ("hold", "repeat_until_completed"),
    17: ("progress", "completed_without_flare"),
    24: ("step_back", "pain_over_hold_max"),
    26: ("hold", "repeat_until_completed"),
    29: ("progress", "completed_without_flare"),
    36: ("step_back", "morning_worse"),
    38: ("refer", "step_backs_in_a_row"),
    55: ("refer", "step_backs_in_a_row"),
}


def test_simulated_eight_weeks_follow_the_rules():
    timeline = run(scenario_diary())
    by_offset = {(d.day - START).days: d for d in timeline.days}
    assert len(by_offset) == 56
    for offset, step_id in EXPECTED_STEP.items():
        assert by_offset[offset].step_id == step_id, f"day {offset}"
    for offset, (action, rule) in EXPECTED_DECISION.items():
        decision = by_offset[offset].decision
        assert (decision.action, decision.rule) == (action, rule), f"day {offset}"
    # The flare stepped back exactly one level, not to zero.
    assert IDS.index("walkrun_1") == IDS.index("walkrun_2") - 1
    assert by_offset[24].step_id != "settle"
    # Once referred: no sessions, and later good days change nothing.
    assert timeline.referral.rule == "step_backs_in_a_row"
    assert by_offset[40].sessions == [] and by_offset[40].phase == "refer"
    # The strength-day entry was judged but did not count.
    assert by_offset[1].verdict.rule == "not_a_key_day"


def test_same_diary_same_plan():
    a, b = run(scenario_diary()), run(scenario_diary())
    assert a == b


def test_a_red_flag_in_the_diary_refers():
    diary = {k: v for k, v in scenario_diary().items() if (k - START).days <= 32}
    diary[day(33)] = DiaryEntry(day(33), pain_during=1, red_flag=True, done="done")
    timeline = run(diary, today_offset=40)
    assert timeline.on(day(33)).decision.action == "progress"
    assert (timeline.on(day(34)).decision.action, timeline.on(day(34)).decision.rule) == (
        "refer",
        "red_flag_reported",
    )
    assert timeline.on(day(45)).sessions == []


def test_a_red_flag_in_a_later_check_refers():
    timeline = run({}, today_offset=20, red_flag_days=[day(10)])
    assert timeline.on(day(9)).decision.action == "start"
    assert timeline.on(day(10)).decision.rule == "red_flag_reported"


def all_good_diary(until: int) -> dict[dt.date, DiaryEntry]:
    return {day(o): good(o) for o in range(until + 1) if is_key_day(START, day(o))}


@pytest.mark.parametrize(("retake", "refer"), [(69, True), (70, False), (60, True)])
def test_kujala_review_at_week_six(retake, refer):
    scores = [KujalaScore(60, {}, START), KujalaScore(retake, {}, day(42))]
    timeline = run(all_good_diary(45), today_offset=45, kujala=scores)
    assert timeline.on(day(41)).decision.action != "refer"
    got = timeline.on(day(42)).decision
    assert (got.action == "refer") is refer
    if refer:
        assert got.rule == "no_kujala_gain"


def test_kujala_due_without_a_retake():
    timeline = run(all_good_diary(44), today_offset=44, kujala=[KujalaScore(60, {}, START)])
    assert timeline.kujala_due
    assert timeline.referral is None


@pytest.mark.parametrize(
    ("entry", "kind", "rule"),
    [
        (dict(pain_during=3, pain_next_morning=1), "good", "good_session"),
        (dict(pain_during=4, pain_next_morning=1), "hold", "pain_in_hold_band"),
        (dict(pain_during=5, pain_next_morning=1), "hold", "pain_in_hold_band"),
        (dict(pain_during=6, pain_next_morning=1), "step_back", "pain_over_hold_max"),
        (dict(pain_during=1, pain_after=6, pain_next_morning=1), "step_back", "pain_over_hold_max"),
        (dict(pain_during=1, pain_next_morning=2), "hold", "morning_slightly_worse"),
        (dict(pain_during=1, pain_next_morning=3), "step_back", "morning_worse"),
        (dict(pain_during=1, pain_next_morning=1, limp=True), "step_back", "limp"),
        (dict(pain_during=1, pain_next_morning=1, sharp_pain=True), "step_back", "sharp_pain"),
        (
            dict(pain_during=1, pain_next_morning=1, swelling="marked"),
            "step_back",
            "marked_swelling",
        ),
        (dict(pain_during=1, pain_next_morning=1, swelling="mild"), "hold", "mild_swelling"),
        (dict(pain_during=1), "pending", "next_morning_missing"),
        (dict(pain_during=1, pain_next_morning=1, red_flag=True), "refer", "red_flag_reported"),
    ],
)
def test_pain_rules_one_day(entry, kind, rule):
    verdict = judge_day(DiaryEntry(day(0), done="done", **entry), 1.0, RULES, STEPS[3])
    assert (verdict.kind, verdict.rule) == (kind, rule)
    assert verdict.reason


def test_clinician_setting_allows_pain_up_to_five():
    relaxed = Rules(pain_ok_max=5)
    verdict = judge_day(
        DiaryEntry(day(0), pain_during=5, pain_next_morning=1, done="done"), 1.0, relaxed, STEPS[3]
    )
    assert verdict.kind == "good"


def test_service_walks_the_same_scenario_from_the_database(db):
    from test_coach_assess import pfp_answers

    service.run_check(db, pfp_answers(), START)
    for entry in scenario_diary().values():
        service.log_day(db, entry)
    for offset, (action, rule) in EXPECTED_DECISION.items():
        view = service.todays_session(db, day(offset))
        assert (view.decision.action, view.decision.rule) == (action, rule), f"day {offset}"
    view = service.todays_session(db, day(38))
    assert view.referral and "step-backs" in view.referral
    assert view.sessions == []
    assert service.todays_session(db, day(17)).step.startswith("Walk-run 1")


def test_plan_has_strength_cross_release_and_rest_between_runs(db):
    from test_coach_assess import pfp_answers

    service.run_check(db, pfp_answers(), START)
    plan = service.current_plan(db, START, weeks=8)
    assert len(plan.steps) == 56 and plan.steps[0].day == START
    assert all(d.projected for d in plan.steps[1:])
    for week in range(8):
        days = plan.steps[week * 7 : (week + 1) * 7]
        kinds = [s.kind for d in days for s in d.sessions]
        assert kinds.count("strength") == 3
        assert kinds.count("release") == 7
        assert kinds.count("cross") >= 2
    run_days = [d.day for d in plan.steps if any(s.kind == "run" for s in d.sessions)]
    assert run_days, "the projection reaches running within 8 weeks"
    assert all((b - a).days >= 2 for a, b in zip(run_days, run_days[1:], strict=False))
    strength = next(s for d in plan.steps for s in d.sessions if s.kind == "strength")
    targets = {t for e in strength.exercises for t in service.get_exercise(e).targets}
    assert any("quadriceps" in t for t in targets)
    assert any("abductors" in t for t in targets)
    assert any("core" in t for t in targets)
    assert plan.honesty and any("7 weeks" in h for h in plan.honesty)


def test_first_time_user_today_is_still_useful(db):
    view = service.todays_session(db, START)
    assert view.needs_check
    assert "strideback check" in view.decision.reason
    assert "not a diagnosis" in view.disclaimer
    assert view.phase == "settle"
    assert any(s.kind == "walk" for s in view.sessions)


def test_a_future_start_gives_settle_advice_until_then(db):
    from test_coach_assess import pfp_answers

    service.run_check(db, pfp_answers(), START)
    service.set_plan_start(db, day(7))
    view = service.todays_session(db, day(3))
    assert (view.decision.action, view.decision.rule) == ("start", "plan_not_started")
    assert service.todays_session(db, day(7)).plan_day == 1
