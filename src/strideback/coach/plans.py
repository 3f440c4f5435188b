"""The plan: its start, a clinician's clearance, the gate, the plan itself and its calendar.

Every output goes through `gate_for` (plan/gate.py decides): with a "no", a plan holds the
referral and no sessions.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select

from strideback import DISCLAIMER
from strideback.assess.questions import load_definition
from strideback.assess.redflags import find_red_flags, referral_text
from strideback.coach.checks import latest_check
from strideback.coach.state import CoachState, clearance_of, load_state, restart_message, step_label
from strideback.coach.views import PlanRestart
from strideback.exercises import get_exercise
from strideback.plan.engine import Timeline, walk_plan
from strideback.plan.gate import FlagFact, GateDecision, GateFacts, plan_gate
from strideback.plan.ical import plan_calendar, referral_calendar
from strideback.plan.ladder import honesty_notes, ladder_for
from strideback.plan.model import Decision, Plan, Urgency
from strideback.plan.start import Severity, start_rules, starting_step
from strideback.store.coach import CalendarRow, CheckRow, DiaryRow, PlanStartRow
from strideback.store.db import Database

__all__ = [
    "RESTART_STEPS",
    "clear_by_clinician",
    "current_plan",
    "gate_for",
    "honesty",
    "last_clearance",
    "plan_ics",
    "plan_start",
    "set_plan_start",
]

# `strideback plan --cleared-by-clinician --restart-step ...` → ladder step id
RESTART_STEPS = {"settle": "settle", "walk": "walk_20"}


def _urgency(value: str) -> Urgency:
    return "emergency" if value == "emergency" else "routine" if value == "routine" else "urgent"


def plan_start(db: Database) -> dt.date | None:
    """The plan's start day (latest one set), or None before a check allowed a plan."""
    with db.session() as s:
        return s.scalar(select(PlanStartRow.start_on).order_by(PlanStartRow.id.desc()).limit(1))


def set_plan_start(db: Database, start: dt.date, reason: str = "set by the user") -> dt.date:
    with db.session() as s:
        s.add(PlanStartRow(start_on=start, reason=reason))
    return start


def last_clearance(db: Database) -> PlanRestart | None:
    """The latest clinician clearance, if any (later plain restarts keep it in force)."""
    with db.session() as s:
        row = s.scalars(
            select(PlanStartRow)
            .where(PlanStartRow.cleared_on.is_not(None))
            .order_by(PlanStartRow.id.desc())
            .limit(1)
        ).first()
        return clearance_of(row)


def clear_by_clinician(
    db: Database,
    today: dt.date,
    start: dt.date | None = None,
    restart_step: str = "settle",
    note: str = "",
) -> PlanRestart:
    """Record a clinician's clearance (dated `today`) and restart the plan at `start`.

    `restart_step` is "settle" (relative rest, 15–20 min walks) or "walk" (20-min walks).
    The clearance covers every referral recorded on or before `today` (red-flag or
    non-runner's-knee checks, diary red flags, step-backs, the review); the history is kept.
    Raises ValueError when there is no check yet or the input is invalid.
    """
    if restart_step not in RESTART_STEPS:
        raise ValueError(
            f"restart step must be one of {', '.join(RESTART_STEPS)}; got {restart_step!r}"
        )
    start = start or today
    if start < today:
        raise ValueError(
            f"the restart ({start.isoformat()}) cannot be before the clearance "
            f"({today.isoformat()})"
        )
    if latest_check(db) is None:
        raise ValueError(
            "take the check first (`strideback check`): the plan needs a Kujala baseline"
        )
    step_id = RESTART_STEPS[restart_step]
    reason = "cleared by a clinician" + (f": {note}" if note else "")
    with db.session() as s:
        s.add(
            PlanStartRow(
                start_on=start, reason=reason[:200], cleared_on=today, restart_step=step_id
            )
        )
    label = step_label(step_id)
    return PlanRestart(
        cleared_on=today,
        start=start,
        restart_step=step_id,
        step_label=label,
        message=restart_message(today, start, label),
    )


def timeline_of(state: CoachState, end: dt.date) -> Timeline:
    """The pure engine, once, on the state read from the database."""
    assert state.start is not None and state.pre is not None
    start, rules = state.start, state.rules
    steps = ladder_for(state.pre, rules.single_run_max_ratio)
    clearance = state.clearance
    restart = clearance if clearance is not None and clearance.start == start else None
    choice = starting_step(severity_of(state))
    start_index = [s.id for s in steps].index(choice.step) if choice.step != "settle" else 0
    start_decision = None
    if choice.rule == "start_running":
        start_decision = Decision("start", choice.rule, choice.reason, choice.citation)
    if restart is not None:
        start_index = [s.id for s in steps].index(restart.restart_step)
        start_decision = Decision(
            "start",
            "clinician_clearance",
            restart.message,
            "evidence.md §11 rule 8 (escalation to a clinician, who decides on the return)",
        )
    checks = state.checks
    return walk_plan(
        start=start,
        today=state.today,
        end=end,
        diary=state.diary,
        steps=steps,
        rules=rules,
        kujala=[c.kujala for c in checks if c.kujala is not None],
        # Red flags reported after the start stop the plan; so does a latest check with one,
        # unless a clinician's clearance covers it (the Kujala scores all still count).
        red_flag_days=[
            max(c.taken_on, start)
            for c in checks
            if c.red_flags
            and (c.taken_on >= start or c is checks[-1])
            and not state.covered(c.taken_on)
        ],
        start_index=start_index,
        start_decision=start_decision,
    )


def severity_of(state: CoachState) -> Severity:
    """What the start rule needs: the baseline check, recent running, pre-start diary days."""
    assert state.start is not None
    start = state.start
    baseline = [c for c in state.checks if c.taken_on <= start and c.kujala is not None]
    check = baseline[-1] if baseline else None
    recent_from = start - dt.timedelta(days=start_rules().mild.recent_days)
    before = [e for d, e in state.diary.items() if recent_from <= d < start]
    diary_runs = sum(1 for e in before if e.activity_id is None and e.done == "done")
    pains = [p for e in before for p in (e.pain_during, e.pain_after) if p is not None]
    mornings = [e.pain_next_morning for e in before if e.pain_next_morning is not None]
    return Severity(
        kujala=check.kujala.total if check and check.kujala else None,
        running_answer=str(check.answers.get("kujala_running")) if check else None,
        recent_runs=state.recent_runs + diary_runs,
        worst_pain_before=max(pains, default=None),
        worst_morning_before=max(mornings, default=None),
    )


def gate_facts(state: CoachState, timeline: Timeline | None) -> GateFacts:
    latest = state.latest
    if latest is None:
        return GateFacts(has_check=False)
    defn = load_definition()
    covered = state.covered(latest.taken_on)
    flags: tuple[FlagFact, ...] = ()
    check_referral = None
    if not covered:
        # The stored flags, and any the current rules find in the stored answers.
        rules = {r.id: r for r in defn.red_flags}
        found = [r.id for r in find_red_flags(defn, latest.answers)]
        ids = list(dict.fromkeys([*latest.red_flags, *found]))
        flags = tuple(
            FlagFact(i, _urgency(rules[i].urgency), " ".join(rules[i].referral.split()))
            for i in ids
            if i in rules
        )
        check_referral = (
            latest.referral
            if set(ids) <= set(latest.red_flags)
            else referral_text([rules[i] for i in ids if i in rules])
        )
    pattern_ok = covered or (latest.pattern == "patellofemoral" and state.start is not None)
    diary_flag, flag_day = None, None
    if state.start is not None:
        for day in sorted(state.diary, reverse=True):
            entry = state.diary[day]
            if day < state.start or state.covered(day):
                break
            if entry.red_flag:
                kind = defn.diary_flag(entry.red_flag_kind)
                diary_flag = FlagFact(kind.id, _urgency(kind.urgency), kind.referral)
                flag_day = day
                break
    return GateFacts(
        has_check=True,
        check_flags=flags,
        check_referral=check_referral,
        pattern_ok=pattern_ok,
        pattern_message=latest.pattern_message,
        diary_flag=diary_flag,
        diary_flag_day=flag_day,
        plan_referral=timeline.referral if timeline is not None else None,
    )


def gate_for(state: CoachState, timeline: Timeline | None) -> GateDecision:
    return plan_gate(gate_facts(state, timeline))


def honesty_lines() -> list[str]:
    """Article advice vs evidence, one plain line each (no internal references)."""
    return [
        f'{h["topic"]}: the article says "{h["article"]}" — evidence: {h["label"]}. {h["evidence"]}'
        for h in honesty_notes()
    ]


def honesty() -> list[dict[str, str]]:
    """Article advice vs evidence, with evidence labels."""
    return honesty_notes()


def _plan_end(start: dt.date, today: dt.date, weeks: int) -> dt.date:
    return max(
        start + dt.timedelta(weeks=weeks) - dt.timedelta(days=1), today + dt.timedelta(days=13)
    )


def plan_and_gate(
    db: Database, today: dt.date, start: dt.date | None = None, weeks: int = 8
) -> tuple[Plan, GateDecision]:
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    state = load_state(db, today, start)
    timeline = None
    if state.start is not None and state.latest is not None:
        timeline = timeline_of(state, _plan_end(state.start, today, weeks))
    gate = gate_for(state, timeline)
    plan_start_day = state.start or today
    plan = Plan(
        start=plan_start_day,
        steps=timeline.days if (timeline is not None and gate.allowed) else [],
        referral=None if gate.allowed else gate.reason,
        pre_injury=state.pre.source if state.pre else "",
        honesty=honesty_lines(),
        clearance=state.clearance.message if state.clearance else None,
        next_step=gate.next_step,
        urgency=gate.urgency,
        gate=gate.source,
    )
    return plan, gate


def current_plan(
    db: Database, today: dt.date, start: dt.date | None = None, weeks: int = 8
) -> Plan:
    """The plan re-computed from the diary: past days as lived, future days projected.

    Covers `weeks` weeks from the start, and at least two weeks past `today`. When the gate
    says no (red flag, another pattern, a referral, no check yet) the plan has no days: its
    `referral` and `next_step` say why and what to do.
    """
    return plan_and_gate(db, today, start, weeks)[0]


def _describe(exercise_id: str) -> str:
    return get_exercise(exercise_id).describe()


def _calendar_identity(db: Database) -> tuple[str, int, dt.datetime | None]:
    """The runner's random calendar id (made once), and the plan's SEQUENCE / LAST-MODIFIED:
    the latest change to the diary, checks or plan starts (seconds since 2020)."""
    with db.session() as s:
        uid = s.scalar(select(CalendarRow.plan_uid).order_by(CalendarRow.id).limit(1))
        if uid is None:
            uid = uuid.uuid4().hex[:16]
            s.add(CalendarRow(plan_uid=uid))
        stamps = [
            s.scalar(select(func.max(DiaryRow.updated_at))),
            s.scalar(select(func.max(CheckRow.created_at))),
            s.scalar(select(func.max(CheckRow.changed_at))),  # a check deleted or restored
            s.scalar(select(func.max(PlanStartRow.set_at))),
        ]
    latest = max((t for t in stamps if t is not None), default=None)
    if latest is None:
        return uid, 0, None
    modified = latest.replace(microsecond=0, tzinfo=dt.UTC)
    return uid, int((modified - SEQUENCE_EPOCH).total_seconds()), modified


SEQUENCE_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def plan_ics(db: Database, today: dt.date, *, reminders: bool = True) -> bytes:
    """The plan from today on as an iCalendar file (every session, full descriptions, a
    morning check after each walk/run, reminders unless `reminders=False`).

    Behind the gate: with a referral the calendar holds one event saying so, and no sessions.
    """
    plan, gate = plan_and_gate(db, today)
    stamp = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    if not gate.allowed:
        return referral_calendar(
            today, gate.heading, gate.reason, gate.next_step, DISCLAIMER, stamp
        )
    uid, sequence, modified = _calendar_identity(db)
    days = [d for d in plan.steps if d.day >= today]
    return plan_calendar(
        days,
        _describe,
        DISCLAIMER,
        stamp,
        plan_uid=uid,
        sequence=sequence,
        modified=modified,
        reminders=reminders,
    )
