"""One runner's facts for the board, from exactly the reads and decisions behind their Today.

`runner_facts` reads the runner's state once (`coach.state.load_state`), runs the plan engine
once (`coach.plans.timeline_of`) and asks the one gate (`coach.plans.gate_for`), as
`coach.today.todays_session` does, so the board's referral, phase and step are the ones the
runner sees. Flares are the pain rules' step-back verdicts of the plan's own replay (days
before the plan start, or without a plan, are judged by the same rules).
"""

from __future__ import annotations

import datetime as dt

from strideback.clinic.triage import Flare, Referral, RunnerFacts, thresholds
from strideback.coach.plans import gate_for, timeline_of
from strideback.coach.state import CoachState, load_state
from strideback.domain import DiaryEntry
from strideback.plan.engine import Timeline
from strideback.plan.ladder import _fixed_steps
from strideback.plan.pain import judge_day, morning_baseline, worst_pain
from strideback.store.db import Database

ONE_DAY = dt.timedelta(days=1)


def _has_pain(entry: DiaryEntry) -> bool:
    return any(
        p is not None for p in (entry.pain_during, entry.pain_after, entry.pain_next_morning)
    )


def _window(today: dt.date) -> dt.date:
    """The first day the triage looks at (the sparkline, two weeks of pain, the flare window)."""
    limits = thresholds()
    days = max(limits.trend_days.value, 14, limits.flare_window_days.value)
    return today - (days - 1) * ONE_DAY


def _flares(state: CoachState, timeline: Timeline | None, first: dt.date) -> tuple[Flare, ...]:
    verdicts = {
        d.day: d.verdict
        for d in (timeline.days if timeline is not None else [])
        if not d.projected and d.verdict is not None and d.day >= first
    }
    first_step = _fixed_steps()[0]
    found: list[Flare] = []
    for day, entry in sorted(state.diary.items()):
        if day < first or day > state.today:
            continue
        verdict = verdicts.get(day)
        if verdict is not None:
            kind, reason = verdict.action, verdict.reason
        else:  # before the plan start or without a plan: the same pain rules
            baseline = morning_baseline(state.diary, day, state.rules.baseline_days)
            judged = judge_day(entry, baseline, state.rules, first_step)
            kind, reason = judged.kind, judged.reason
        if kind == "step_back":
            found.append(Flare(day, reason))
    return tuple(found)


def _step_days(timeline: Timeline, today: dt.date) -> int | None:
    past = [d for d in timeline.days if not d.projected and d.day <= today]
    if not past or past[-1].phase == "refer":
        return None
    step_id = past[-1].step_id
    count = 0
    for plan_day in reversed(past):
        if plan_day.step_id != step_id:
            break
        count += 1
    return count


def facts_from_state(state: CoachState) -> RunnerFacts:
    """The board's facts from one runner's state (as read for Today)."""
    today = state.today
    first = _window(today)
    recent = {d: e for d, e in state.diary.items() if d <= today}
    pains = tuple(
        (d, worst_pain(e)) for d, e in sorted(recent.items()) if d >= first and _has_pain(e)
    )
    last_entry = max(recent, default=None)
    latest = state.latest
    if latest is None:
        return RunnerFacts(
            today=today, phase="no check yet", step="Knee check not taken yet",
            last_entry=last_entry, pains=pains, flares=_flares(state, None, first),
            pain_ok_max=state.rules.pain_ok_max,
        )  # fmt: skip
    start = state.start
    timeline = timeline_of(state, today) if start is not None and today >= start else None
    gate = gate_for(state, timeline)
    flares = _flares(state, timeline, first)
    if not gate.allowed:
        return RunnerFacts(
            today=today,
            has_check=True,
            referral=Referral(gate.heading, gate.reason, gate.urgency),
            phase="refer",
            step="See a clinician",
            last_entry=last_entry,
            pains=pains,
            flares=flares,
            pain_ok_max=state.rules.pain_ok_max,
        )
    if timeline is None:
        assert start is not None
        return RunnerFacts(
            today=today, has_check=True, phase="not started",
            step=f"Plan starts on {start.isoformat()}", last_entry=last_entry, pains=pains,
            flares=flares, pain_ok_max=state.rules.pain_ok_max,
        )  # fmt: skip
    plan_day = timeline.on(today)
    assert plan_day is not None
    # As Today: the week-6 review asks for a retake, or the check skipped the Kujala score.
    kujala_due = timeline.kujala_due or not any(c.kujala is not None for c in state.checks)
    return RunnerFacts(
        today=today,
        has_check=True,
        phase=plan_day.phase,
        step=plan_day.step,
        step_days=_step_days(timeline, today),
        kujala_due=kujala_due,
        last_entry=last_entry,
        pains=pains,
        flares=flares,
        pain_ok_max=state.rules.pain_ok_max,
    )


def runner_facts(db: Database, today: dt.date) -> RunnerFacts:
    """The board's facts of the runner `db` acts for (`db.for_runner(id)`)."""
    return facts_from_state(load_state(db, today))
