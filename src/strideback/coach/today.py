"""Today: what to do and why. One read of the database, one run of the pure engine.

The gate decides first: when it says no, Today shows only the referral (no session, no
"progress"), also on the very day a red flag is logged.
"""

from __future__ import annotations

import datetime as dt

from strideback import DISCLAIMER
from strideback.coach.diary import MORNING_LOOKBACK_DAYS, is_session
from strideback.coach.plans import gate_for, honesty_lines, timeline_of
from strideback.coach.state import CoachState, load_state
from strideback.coach.views import TodayView
from strideback.plan.engine import Timeline
from strideback.plan.gate import GateDecision
from strideback.plan.ladder import _fixed_steps
from strideback.plan.model import Decision
from strideback.plan.schedule import sessions_for_day
from strideback.store.db import Database

FIRST_RUN_NOTICE = (
    "StrideBack is a self-care aid, not a diagnosis. It helps you manage runner's knee "
    "(patellofemoral pain) with graded activity and exercise, and tells you when to see a "
    "clinician instead."
)
SESSION_WORDS = {"walk": "walk", "run": "walk-run or run", "strength": "strength session"}


def before_check_view(today: dt.date) -> TodayView:
    settle = _fixed_steps()[0]
    sessions = [s for s in sessions_for_day(settle, today, today) if s.kind in ("walk", "release")]
    return TodayView(
        day=today,
        needs_check=True,
        referral=None,
        phase="settle",
        step=settle.label,
        sessions=sessions,
        decision=Decision(
            "start",
            "no_check",
            "Start with `strideback check`: a few questions decide whether self-care is safe and "
            "score your knee (Kujala). Until then: relative rest from running, easy flat walks of "
            "15–20 min if pain allows, and keep moving gently.",
            settle.citation,
        ),
        disclaimer=DISCLAIMER,
        notes=[FIRST_RUN_NOTICE, *honesty_lines()[2:4]],
    )


def refer_view(today: dt.date, gate: GateDecision, state: CoachState) -> TodayView:
    """Only the referral: no sessions, no step forward, the reason and the next step."""
    rule = gate.flags[0] if gate.source == "plan_referral" and gate.flags else gate.source
    return TodayView(
        day=today,
        needs_check=False,
        referral=gate.reason,
        phase="refer",
        step="See a clinician",
        sessions=[],
        decision=Decision("refer", rule, gate.reason, ""),
        disclaimer=DISCLAIMER,
        notes=[FIRST_RUN_NOTICE],
        next_step=gate.next_step,
        urgency=gate.urgency,
        clearance=state.clearance.message if state.clearance else None,
    )


def _morning_question(state: CoachState, timeline: Timeline) -> tuple[str | None, dt.date | None]:
    """Ask about the last session's next morning, on that session's day."""
    today = state.today
    for k in range(1, MORNING_LOOKBACK_DAYS + 1):
        day = today - dt.timedelta(days=k)
        entry = state.diary.get(day)
        plan_day = timeline.on(day)
        key = next(
            (s for s in (plan_day.sessions if plan_day else []) if s.kind in ("walk", "run")),
            None,
        )
        if entry is not None and is_session(entry):
            if entry.pain_next_morning is not None:
                return None, None
            what = SESSION_WORDS.get(key.kind, "session") if key else "session"
        elif entry is None and key is not None and k == 1:
            what = SESSION_WORDS.get(key.kind, "session")
        else:
            continue
        when = "yesterday's" if k == 1 else f"{day:%A}'s"
        return f"How is the knee this morning, after {when} {what}?", day
    return None, None


def _before_start_note(state: CoachState) -> str | None:
    assert state.start is not None
    before = [e for d, e in state.diary.items() if d < state.start]
    if not before:
        return None
    pains = [
        p
        for e in before
        for p in (e.pain_during, e.pain_after, e.pain_next_morning)
        if p is not None
    ]
    worst = f", worst pain {max(pains)}/10" if pains else ""
    return (
        f"{len(before)} diary day(s) from before your plan started on "
        f"{state.start.isoformat()} (first {min(d.day for d in before).isoformat()}{worst}) are "
        "kept and shown in the diary. The plan's steps count from its start, because the pain "
        "rules compare each session with the one before it in the plan; they set where the plan "
        "starts."
    )


def todays_session(db: Database, today: dt.date) -> TodayView:
    """What to do today and why (which rule fired), behind the gate."""
    state = load_state(db, today)
    latest = state.latest
    if latest is None:
        return before_check_view(today)
    start = state.start
    timeline = timeline_of(state, today) if start is not None and today >= start else None
    gate = gate_for(state, timeline)
    if not gate.allowed:
        return refer_view(today, gate, state)
    assert start is not None
    clearance = state.clearance
    if timeline is None:  # the plan starts later
        view = before_check_view(today)
        view.needs_check = False
        view.decision = Decision(
            "start",
            "plan_not_started",
            f"Your plan starts on {start.isoformat()}. Until then: relative rest from running, "
            "easy flat walks of 15–20 min if pain allows.",
            view.decision.citation if view.decision else "",
        )
        if clearance is not None:
            view.clearance = clearance.message
            view.notes.append(clearance.message)
        return view
    plan_day = timeline.on(today)
    assert plan_day is not None
    last = next((d.verdict for d in reversed(timeline.days[:-1]) if d.verdict), None)
    notes = [*latest.notes]
    if clearance is not None:
        notes.append(clearance.message)
    if timeline.kujala_message:
        notes.append(timeline.kujala_message)
    needs_check = timeline.kujala_due
    if not any(c.kujala is not None for c in state.checks):
        needs_check = True
        notes.append(
            "Your check skipped the knee score (Kujala). Please add it this week "
            "(`strideback check`): the week-6 review compares it with a later one."
        )
    before = _before_start_note(state)
    if before:
        notes.append(before)
    question, morning_for = _morning_question(state, timeline)
    return TodayView(
        day=today,
        needs_check=needs_check,
        referral=None,
        phase=plan_day.phase,
        step=plan_day.step,
        sessions=plan_day.sessions,
        decision=plan_day.decision,
        disclaimer=DISCLAIMER,
        notes=notes,
        plan_day=(today - start).days + 1,
        last_verdict=last,
        entry_criteria=plan_day.criteria,
        clearance=clearance.message if clearance is not None else None,
        morning_question=question,
        morning_day=morning_for,
        gap_days=timeline.gap_days,
    )
