"""The runner page's whole timeline for the clinician: load and pain, Kujala, the plan's steps,
form clips, the latest diary days, the thresholds in force and their audit log.

`runner_timeline(db, today)` reads through the capabilities' own services (coach, load, form),
with `db` acting for the runner; `plan_events` is the pure part (the plan's step changes).
The plan is the one Today uses: `coach.state.load_state` and the plan engine.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from strideback.assess.kujala import KujalaScore
from strideback.clinic.thresholds import Threshold, thresholds
from strideback.coach.plans import gate_for, timeline_of
from strideback.coach.service import todays_session
from strideback.coach.settings import SettingChange, settings_audit
from strideback.coach.state import load_state
from strideback.coach.views import TodayView
from strideback.domain import DiaryEntry, WeekLoad
from strideback.form.service import FormError, get_clip, list_clips
from strideback.load.service import weekly_load
from strideback.load.weekly import iso_week, week_start
from strideback.plan.model import PlanDay, action_label
from strideback.plan.wording import plain_words
from strideback.report.content import FormLine, KujalaRow, form_summary, kujala_rows
from strideback.store.db import Database

WeeklyLoader = Callable[[Database, dt.date, int], list[WeekLoad]]
EventKind = Literal["start", "progress", "step_back", "referral", "clearance"]
MIN_WEEKS, MAX_WEEKS = 8, 104  # the pain-over-load chart: at least 2 months, at most 2 years
CONTEXT_WEEKS = 4  # weeks of load before the first check or diary day
DAILY_DAYS = 56  # the daily pain chart: the last 8 weeks
LAST_ENTRIES = 14
MAX_CLIPS = 12


@dataclass(frozen=True)
class PlanEvent:
    day: dt.date
    kind: EventKind
    step: str  # the step in force after the event
    text: str  # plain words: why


@dataclass(frozen=True)
class ClipView:
    id: int
    recorded_on: dt.date | None
    view: str
    task: str
    name: str
    metrics: list[FormLine]  # good ones first, then limited / not measurable (with reasons)
    compare_with: int | None  # the previous clip of the same view and task


@dataclass
class RunnerTimeline:
    today: dt.date
    since: dt.date
    weeks: list[WeekLoad]
    entries: list[DiaryEntry]  # the chart's period, oldest first
    daily: list[DiaryEntry]  # the last DAILY_DAYS days, oldest first
    last_entries: list[DiaryEntry]  # newest first
    kujala: list[KujalaRow]
    scores: list[KujalaScore]  # the same, for the chart
    events: list[PlanEvent]
    now: TodayView
    referral: str | None
    clips: list[ClipView]
    thresholds: list[Threshold]
    audit: list[SettingChange]
    settings: dict[str, object] = field(default_factory=dict)


def plan_events(days: Sequence[PlanDay]) -> list[PlanEvent]:
    """The plan's history from the days it has lived (projected days ignored), oldest first:
    its start, each step change (progress or step back), a step back at the lowest step,
    and a referral. Each event is dated on the first day of the new step, with its reason."""
    events: list[PlanEvent] = []
    previous: PlanDay | None = None
    for d in days:
        if d.projected:
            break
        decision = d.decision
        new_decision = previous is None or decision is not previous.decision
        stepped_back = decision is not None and decision.action == "step_back"
        kind: EventKind | None = None
        if previous is None:
            kind = "start"
        elif d.phase == "refer":
            kind = "referral" if previous.phase != "refer" else None
        elif d.step_id != previous.step_id:
            kind = "step_back" if stepped_back else "progress"
        elif new_decision and stepped_back:
            kind = "step_back"  # already at the lowest step: the step stays
        if kind is not None:
            reason = plain_words(decision.reason) if decision is not None else ""
            events.append(PlanEvent(d.day, kind, d.step, reason))
        previous = d
    return events


def event_label(kind: str) -> str:
    return {"referral": "see a clinician", "clearance": "cleared by a clinician"}.get(
        kind, action_label(kind)
    )


def _chart_weeks(first_day: dt.date | None, today: dt.date) -> int:
    if first_day is None:
        return MIN_WEEKS
    span = math.ceil(((today - first_day).days + 1) / 7) + CONTEXT_WEEKS
    return max(MIN_WEEKS, min(MAX_WEEKS, span))


def padded_weeks(load: Sequence[WeekLoad], today: dt.date, weeks: int) -> list[WeekLoad]:
    """Exactly `weeks` calendar weeks ending with today's, weeks without activities as zero
    (a runner with no imported history still gets the weekly pain line)."""
    known = {w.week_start: w for w in load}
    last = week_start(today)
    starts = [last - dt.timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    return [known.get(s) or WeekLoad(week=iso_week(s), week_start=s) for s in starts]


def _clips(db: Database) -> list[ClipView]:
    summaries = list_clips(db)[-MAX_CLIPS:]
    out: list[ClipView] = []
    last_of: dict[tuple[str, str], int] = {}
    for c in summaries:
        try:
            clip = get_clip(db, c.id)
        except FormError:
            continue
        summary = form_summary(clip.metrics, clip.recorded_on, clip.view)
        key = (c.view, c.task)
        out.append(
            ClipView(
                id=c.id,
                recorded_on=c.recorded_on,
                view=c.view,
                task=c.task,
                name=c.video_name,
                metrics=[*summary.findings, *summary.limited],
                compare_with=last_of.get(key),
            )
        )
        last_of[key] = c.id
    return list(reversed(out))  # newest first


def runner_timeline(
    db: Database, today: dt.date, *, weekly: WeeklyLoader = weekly_load
) -> RunnerTimeline:
    """Everything the runner page shows, for the runner `db` acts for. `weekly` computes
    the weekly load (the web passes its cached `load.service.weekly_load`)."""
    state = load_state(db, today)
    firsts = [
        d
        for d in (
            state.checks[0].taken_on if state.checks else None,
            min(state.diary) if state.diary else None,
            state.start,
        )
        if d is not None
    ]
    n_weeks = _chart_weeks(min(firsts, default=None), today)
    weeks = padded_weeks(weekly(db, today, n_weeks), today, n_weeks)
    since = weeks[0].week_start
    entries = [e for d, e in sorted(state.diary.items()) if d >= since]
    events: list[PlanEvent] = []
    referral = None
    if state.start is not None and state.latest is not None:
        timeline = timeline_of(state, today)
        events = plan_events(timeline.days)
        gate = gate_for(state, timeline)
    else:
        gate = gate_for(state, None)
    if not gate.allowed and gate.source != "no_check":
        referral = plain_words(gate.reason)
    if state.clearance is not None:
        c = state.clearance
        events.append(PlanEvent(c.cleared_on, "clearance", c.step_label, plain_words(c.message)))
    events.sort(key=lambda e: e.day, reverse=True)  # newest first
    settings = state.settings  # read with the rest (load_state)
    mcid = int(settings["kujala_mcid"])
    scores = [c.kujala for c in state.checks if c.kujala is not None]  # = kujala_history
    daily_from = today - dt.timedelta(days=DAILY_DAYS - 1)
    return RunnerTimeline(
        today=today,
        since=since,
        weeks=weeks,
        entries=entries,
        daily=[e for e in entries if e.day >= daily_from],
        last_entries=[state.diary[d] for d in sorted(state.diary, reverse=True)][:LAST_ENTRIES],
        kujala=kujala_rows(scores, mcid),
        scores=scores,
        events=events,
        now=todays_session(db, today),
        referral=referral,
        clips=_clips(db),
        thresholds=thresholds(settings),
        audit=settings_audit(db),
        settings=settings,
    )
