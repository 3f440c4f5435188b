"""What the progress report says (pure): one plain `ProgressReport` from the service results.

The report is an output that tells a runner what to do, so it sits behind the plan gate like
Today and the plan: when Today is a referral (or the plan has no days), the report holds the
referral, its reason and next step, and no sessions and no exercise programme.
Everything a runner reads goes through `plain_words`; sources are real references.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from strideback.assess.kujala import KujalaScore
from strideback.coach.views import TodayView
from strideback.domain import DiaryEntry, WeekLoad
from strideback.exercises import Exercise
from strideback.plan.explain import explain
from strideback.plan.model import Plan, action_label
from strideback.plan.wording import plain_words

START_WITH_CHECK = (
    "Nothing recorded yet. Start with the knee check (`strideback check`, or the Check page): "
    "a few questions decide whether a self-care plan is safe and score your knee (Kujala). "
    "Then log each day in the diary; this report fills in as you go."
)
FORM_GOOD = "good"
SHEET_KINDS = ("strength", "release")


@dataclass(frozen=True)
class WeekRow:
    """One week of the pain-over-load chart."""

    week_start: dt.date
    run_km: float
    worst_pain: int | None  # worst pain logged that week (0–10), None without a diary entry


@dataclass(frozen=True)
class KujalaRow:
    day: dt.date | None
    score: int
    change: int | None  # since the previous score
    since_first: int | None  # since the first score
    meaningful: bool  # the change since the first score reaches the meaningful change


@dataclass(frozen=True)
class DiarySummary:
    days_logged: int
    done: int
    modified: int
    skipped: int
    rest: int
    step_backs: int  # plan days that stepped back (a flare); 0 when the plan is on hold
    red_flag_days: int
    worst_pain: int | None


@dataclass(frozen=True)
class FormLine:
    label: str
    value: str  # "172 steps/min" or "not measurable"
    confidence: str  # good | limited | not measurable
    note: str  # the finding (good) or the reason it is not trusted


@dataclass(frozen=True)
class FormSummary:
    recorded_on: dt.date | None
    view: str
    findings: list[FormLine]  # only metrics rated good
    limited: list[FormLine]  # limited or not measurable: shown with their reason, no finding


@dataclass(frozen=True)
class ExerciseCard:
    name: str
    dosage: str
    steps: list[str]


@dataclass(frozen=True)
class Referral:
    heading: str
    reason: str
    next_step: str
    urgency: str | None


@dataclass
class ProgressReport:
    runner: str
    made_on: dt.date
    period_start: dt.date
    period_end: dt.date
    disclaimer: str
    empty: bool = False  # no data at all: the report only says to start with the check
    referral: Referral | None = None
    phase: str = ""
    step: str = ""
    plan_day: int | None = None
    decision: str = ""  # progress | hold | step back | see a clinician | start
    reason: str = ""
    why: str = ""
    sources: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)  # today's sessions, one line each
    weeks: list[WeekRow] = field(default_factory=list)
    kujala: list[KujalaRow] = field(default_factory=list)
    kujala_mcid: int = 10
    pain_ok_max: int = 3  # the pain allowed during activity (a clinician setting)
    diary: DiarySummary | None = None
    form: FormSummary | None = None
    exercises: list[ExerciseCard] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def worst_pain(entry: DiaryEntry) -> int | None:
    known = [
        p for p in (entry.pain_during, entry.pain_after, entry.pain_next_morning) if p is not None
    ]
    return max(known, default=None)


def week_rows(
    load: Sequence[WeekLoad], entries: Sequence[DiaryEntry], today: dt.date, weeks: int
) -> list[WeekRow]:
    """The last `weeks` calendar weeks (Monday first) ending with today's week."""
    monday = today - dt.timedelta(days=today.weekday())
    starts = [monday - dt.timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    km = {w.week_start: w.distance_m / 1000 for w in load}
    worst: dict[dt.date, int] = {}
    for e in entries:
        pain = worst_pain(e)
        if pain is None:
            continue
        start = e.day - dt.timedelta(days=e.day.weekday())
        worst[start] = max(worst.get(start, pain), pain)
    return [WeekRow(s, round(km.get(s, 0.0), 1), worst.get(s)) for s in starts]


def kujala_rows(scores: Sequence[KujalaScore], mcid: int) -> list[KujalaRow]:
    rows: list[KujalaRow] = []
    first = scores[0].total if scores else None
    previous: int | None = None
    for s in scores:
        since = s.total - first if first is not None and rows else None
        rows.append(
            KujalaRow(
                day=s.taken_on,
                score=s.total,
                change=s.total - previous if previous is not None else None,
                since_first=since,
                meaningful=since is not None and abs(since) >= mcid,
            )
        )
        previous = s.total
    return rows


def diary_summary(entries: Sequence[DiaryEntry], plan: Plan, since: dt.date) -> DiarySummary:
    days = [e for e in entries if e.day >= since]
    pains = [p for p in (worst_pain(e) for e in days) if p is not None]
    step_backs = sum(
        1
        for d in plan.steps
        if d.day >= since and d.verdict is not None and d.verdict.action == "step_back"
    )
    return DiarySummary(
        days_logged=len(days),
        done=sum(1 for e in days if e.done == "done"),
        modified=sum(1 for e in days if e.done == "modified"),
        skipped=sum(1 for e in days if e.done == "skipped"),
        rest=sum(1 for e in days if e.done == "rest"),
        step_backs=step_backs,
        red_flag_days=sum(1 for e in days if e.red_flag),
        worst_pain=max(pains, default=None),
    )


def _value(metric: dict[str, Any]) -> str:
    value = metric.get("value")
    if value is None or metric.get("confidence") == "not measurable":
        return "not measurable"
    unit = str(metric.get("unit") or "")
    number = f"{value:.0f}" if abs(float(value)) >= 10 else f"{value:.1f}"
    return f"{number} {unit}".strip()


def form_summary(
    metrics: dict[str, dict[str, Any]], recorded_on: dt.date | None, view: str
) -> FormSummary:
    """Only metrics rated good become findings; the others say why they are not trusted."""
    findings: list[FormLine] = []
    limited: list[FormLine] = []
    for name, m in metrics.items():
        label = str(m.get("label") or name.replace("_", " "))
        confidence = str(m.get("confidence") or "not measurable")
        if confidence == FORM_GOOD and not m.get("refused") and m.get("value") is not None:
            note = plain_words(str(m.get("finding") or ""))
            findings.append(FormLine(label, _value(m), confidence, note))
        else:
            reason = plain_words(str(m.get("reason") or m.get("limit_reason") or ""))
            limited.append(FormLine(label, _value(m), confidence, reason))
    return FormSummary(recorded_on, view, findings, limited)


def _session_line(kind: str, minutes: int, title: str, notes: str) -> str:
    extra = f" ({plain_words(notes)})" if notes else ""
    return f"{title}: {minutes} min{extra}" if minutes else f"{title}{extra}"


def exercise_cards(
    plan: Plan, today: dt.date, lookup: Callable[[str], Exercise], days: int = 7
) -> list[ExerciseCard]:
    """The exercise programme of the current stage: every strength and release exercise in
    the plan's next `days` days (cross-training options and run tests are sessions, not
    part of the sheet)."""
    ids: list[str] = []
    for d in plan.steps:
        if today <= d.day < today + dt.timedelta(days=days):
            for s in d.sessions:
                if s.kind in SHEET_KINDS:
                    ids.extend(i for i in s.exercises if i not in ids)
    cards = []
    for i in ids:
        ex = lookup(i)
        cards.append(
            ExerciseCard(ex.name, plain_words(ex.dosage), [plain_words(s) for s in ex.steps])
        )
    return cards


def build_report(
    *,
    today: dt.date,
    weeks: int,
    view: TodayView,
    plan: Plan,
    load: Sequence[WeekLoad],
    entries: Sequence[DiaryEntry],
    scores: Sequence[KujalaScore],
    has_check: bool,
    clip: tuple[dict[str, dict[str, Any]], dt.date | None, str] | None,
    lookup: Callable[[str], Exercise],
    kujala_mcid: int,
    pain_ok_max: int,
    disclaimer: str,
    runner: str = "",
) -> ProgressReport:
    """The report for `today`, covering the last `weeks` weeks. Pure: the service reads."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    period_start = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    report = ProgressReport(
        runner=runner or "Runner (name not set)",
        made_on=today,
        period_start=period_start,
        period_end=today,
        disclaimer=disclaimer,
        kujala_mcid=kujala_mcid,
        pain_ok_max=pain_ok_max,
    )
    if not has_check and not entries and not any(w.distance_m for w in load) and clip is None:
        report.empty = True
        report.notes = [START_WITH_CHECK]
        return report

    # The gate: Today's referral, or a plan without days (plan/gate.py said no).
    gated = view.referral is not None or not plan.steps
    if gated:
        reason = view.referral or plan.referral or ""
        next_step = view.next_step or plan.next_step
        heading = "See a clinician" if has_check else "Take the knee check first"
        if (view.urgency or plan.urgency) == "emergency":
            heading = "See a clinician today"
        report.referral = Referral(
            heading, plain_words(reason), plain_words(next_step), view.urgency or plan.urgency
        )
        report.phase, report.step = ("refer", "See a clinician") if has_check else ("", "")
    else:
        report.phase = view.phase
        report.step = view.step
        report.plan_day = view.plan_day
        report.sessions = [
            _session_line(s.kind, s.minutes, s.title, s.notes) for s in view.sessions
        ]
        report.exercises = exercise_cards(plan, today, lookup)
    if view.decision is not None and not gated:
        why = explain(view.decision.rule, view.decision.citation)
        report.decision = action_label(view.decision.action)
        report.reason = plain_words(view.decision.reason)
        report.why = plain_words(why.rule)
        report.sources = why.sources
    report.weeks = week_rows(load, entries, today, weeks)
    report.kujala = kujala_rows(scores, kujala_mcid)
    report.diary = diary_summary(entries, plan, period_start)
    if clip is not None:
        report.form = form_summary(*clip)
    report.notes = [plain_words(n) for n in view.notes if not gated]
    return report
