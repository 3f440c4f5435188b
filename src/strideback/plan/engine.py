"""Walk the diary day by day from the plan start: progress, hold, step back or refer.

Deterministic: the same diary, checks and rules always give the same plan. The decision shown
for a day comes from the diary entries before that day; future days are projected assuming each
step goes well (marked `projected`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from strideback.assess.kujala import KujalaScore
from strideback.domain import DiaryEntry
from strideback.plan.model import Decision, EntryCriterion, PlanDay, Step
from strideback.plan.pain import Verdict, judge_day, morning_baseline
from strideback.plan.readiness import describe_missing, readiness_criteria, walk_criterion
from strideback.plan.rules import Rules, rule_catalogue
from strideback.plan.schedule import is_key_day, sessions_for_day
from strideback.plan.trend import weekly_rise

ONE_DAY = dt.timedelta(days=1)


@dataclass
class Timeline:
    days: list[PlanDay] = field(default_factory=list)
    referral: Decision | None = None
    kujala_due: bool = False
    kujala_message: str = ""

    def on(self, day: dt.date) -> PlanDay | None:
        for d in self.days:
            if d.day == day:
                return d
        return None


@dataclass
class _State:
    idx: int = 0
    good: int = 0
    backs: int = 0
    decision: Decision | None = None
    referral: Decision | None = None
    step_since: dt.date = dt.date.min  # first day of the step in force
    last_back: dt.date | None = None  # day of the latest step back


def _progress(state: _State, steps: list[Step], day: dt.date) -> None:
    state.idx += 1
    state.good = 0
    state.step_since = day + ONE_DAY


def _gate_progress(
    state: _State, steps: list[Step], rules: Rules, day: dt.date, tests: list[EntryCriterion]
) -> None:
    """At a gated step whose walk criterion is met: progress once no readiness test blocks."""
    if state.good < rules.completions_to_progress or state.idx + 1 >= len(steps):
        return
    if any(c.blocking for c in tests):
        return
    passed = "; ".join(f"{c.label}: {c.detail}" for c in tests if c.met)
    _progress(state, steps, day)
    state.decision = Decision(
        "progress",
        "run_entry_met",
        f"Entry criteria for running met: {rules.completions_to_progress} pain-free brisk 30-min "
        f"walks and {passed} Move on to {steps[state.idx].label}.",
        rule_catalogue()["readiness_max_pain"].citation,
    )


def _as_decision(v: Verdict, action: str, extra: str = "") -> Decision:
    return Decision(
        action=action, rule=v.rule, reason=(v.reason + extra).strip(), citation=v.citation
    )


def _apply(
    state: _State,
    v: Verdict,
    steps: list[Step],
    rules: Rules,
    day: dt.date,
    tests: list[EntryCriterion],
) -> None:
    """Update the state with one day's verdict (the decision then governs the next day).

    `tests` are the readiness tests of a gated step as they stand after this day's entry.
    """
    step = steps[state.idx]
    if v.kind == "refer":
        state.referral = _as_decision(v, "refer")
    elif v.kind == "step_back":
        state.backs += 1
        state.good = 0
        if state.backs >= rules.step_backs_to_refer:
            state.referral = Decision(
                "refer",
                "step_backs_in_a_row",
                f"{state.backs} step-backs in a row ({v.reason}) — the knee is not settling with "
                "self-care: see a physiotherapist or doctor.",
                rule_catalogue()["step_backs_to_refer"].citation,
            )
            return
        state.last_back = day
        if state.idx > 0:
            state.idx -= 1
            state.step_since = day + ONE_DAY
        back_to = steps[state.idx].label
        extra = (
            f" Step back one level to: {back_to}."
            if state.idx < steps.index(step)
            else f" Stay at the first step: {back_to}."
        )
        state.decision = _as_decision(v, "step_back", extra)
    elif v.kind == "hold":
        state.decision = _as_decision(v, "hold", f" Repeat: {step.label}.")
    elif v.kind == "pending":
        state.decision = _as_decision(v, "hold", f" Until then, repeat: {step.label}.")
    elif v.kind == "good":
        state.good += 1
        state.backs = 0
        done = state.good >= rules.completions_to_progress and state.idx + 1 < len(steps)
        if done and step.gate == "run_entry" and any(c.blocking for c in tests):
            state.good = rules.completions_to_progress
            state.decision = Decision(
                "hold",
                "run_entry_tests_missing",
                f"{v.reason} The walk criterion is met ({rules.completions_to_progress} pain-free "
                f"brisk 30-min walks). Still missing before the first walk-run: "
                f"{describe_missing(tests)} Until then, repeat: {step.label}.",
                rule_catalogue()["readiness_max_pain"].citation,
            )
        elif done:
            _progress(state, steps, day)
            state.decision = Decision(
                "progress",
                "completed_without_flare",
                f"{v.reason} Step completed {rules.completions_to_progress}× without a flare: "
                f"move on to {steps[state.idx].label}.",
                rule_catalogue()["completions_to_progress"].citation,
            )
        else:
            last = state.idx + 1 >= len(steps)
            more = (
                " You are at the last step: keep it up and build your own routine."
                if last
                else f" {state.good} of {rules.completions_to_progress} good sessions at this "
                "step: repeat it."
            )
            state.decision = Decision(
                "hold",
                "last_step" if last else "repeat_until_completed",
                (v.reason + more).strip(),
                rule_catalogue()["completions_to_progress"].citation,
            )
    elif v.kind == "none" and step.gate == "run_entry":
        _gate_progress(state, steps, rules, day, tests)


def _weekly_hold(
    state: _State,
    diary: dict[dt.date, DiaryEntry],
    start: dt.date,
    day: dt.date,
    steps: list[Step],
    rules: Rules,
    before: tuple[int, dt.date],
) -> None:
    """After the last day of a plan week: hold when pain rose week to week (§4 rule 4)."""
    rise = weekly_rise(diary, start, day, rules)
    if rise is None:
        return
    if state.last_back is not None and state.last_back > day - dt.timedelta(days=7):
        return  # the load was already reduced this week
    undone = ""
    if state.idx > before[0]:  # this day's entry moved the step on: stay where you were
        state.idx, state.step_since = before
        undone = " No progress this time."
    state.good = 0
    step = steps[state.idx]
    state.decision = Decision(
        "hold",
        "weekly_pain_rising",
        f"Pain should not increase week to week: your average session pain went from "
        f"{rise.previous_mean:.1f}/10 in week {rise.week - 1} to {rise.mean:.1f}/10 in week "
        f"{rise.week} (+{rise.rise:.1f}, limit {rules.weekly_pain_rise_hold}).{undone} "
        f"Hold: repeat {step.label}; the count of good sessions starts again.",
        rule_catalogue()["weekly_pain_rise_hold"].citation,
    )


def _kujala_review(
    day: dt.date, start: dt.date, scores: list[KujalaScore], rules: Rules
) -> tuple[Decision | None, bool, str]:
    """From week `kujala_review_week`: refer if the Kujala score has not gained the MCID."""
    review_day = start + dt.timedelta(weeks=rules.kujala_review_week)
    if day < review_day:
        return None, False, ""
    before = [s for s in scores if s.taken_on and s.taken_on <= start]
    baseline = before[-1] if before else (scores[0] if scores else None)
    recent_from = start + dt.timedelta(weeks=rules.kujala_review_week - 1)
    recent = [s for s in scores if s.taken_on and recent_from <= s.taken_on <= day]
    if baseline is None or not recent or recent[-1] is baseline:
        return (
            None,
            True,
            (
                f"Week {rules.kujala_review_week} review: retake the check (Kujala score) with "
                "`strideback check` so progress can be measured."
            ),
        )
    gain = recent[-1].total - baseline.total
    if gain < rules.kujala_mcid:
        return (
            Decision(
                "refer",
                "no_kujala_gain",
                f"Kujala score went from {baseline.total} to {recent[-1].total} (+{gain}) by week "
                f"{rules.kujala_review_week}; less than the {rules.kujala_mcid}-point change that "
                "matters. See a physiotherapist or doctor for a review.",
                rule_catalogue()["kujala_mcid"].citation
                + "; "
                + rule_catalogue()["kujala_review_week"].citation,
            ),
            False,
            "",
        )
    return None, False, f"Kujala +{gain} points since the start: a meaningful improvement."


def _plan_day(
    step: Step,
    start: dt.date,
    day: dt.date,
    decision: Decision | None,
    projected: bool,
    referral: Decision | None,
) -> PlanDay:
    sessions = [] if referral else sessions_for_day(step, start, day)
    return PlanDay(
        day=day,
        phase="refer" if referral else step.phase,
        step="See a clinician before continuing" if referral else step.label,
        step_id=step.id,
        sessions=sessions,
        decision=referral or decision,
        projected=projected,
    )


def walk_plan(
    *,
    start: dt.date,
    today: dt.date,
    end: dt.date,
    diary: dict[dt.date, DiaryEntry],
    steps: list[Step],
    rules: Rules,
    kujala: list[KujalaScore] | None = None,
    red_flag_days: list[dt.date] | None = None,
    start_index: int = 0,
    start_decision: Decision | None = None,
) -> Timeline:
    """Replay the diary from `start` to `today`, then project to `end`.

    `start_index` and `start_decision` restart the ladder at a later step (e.g. after a
    clinician's clearance); diary days before `start` are never read.
    """
    kujala = sorted(kujala or [], key=lambda s: s.taken_on or dt.date.min)
    flag_days = sorted(d for d in (red_flag_days or []) if d >= start)
    diary = {d: e for d, e in diary.items() if start <= d <= today}
    first = steps[start_index]
    state = _State(
        idx=start_index,
        step_since=start,
        decision=start_decision
        or Decision("start", "plan_start", f"Day 1 of your plan: {first.label}.", first.citation),
    )
    timeline = Timeline()
    day = start
    while day <= today:
        if state.referral is None and any(d <= day for d in flag_days):
            state.referral = Decision(
                "refer",
                "red_flag_reported",
                "A later check reported a red flag: stop the plan and see a clinician.",
                "evidence.md §3a; §11 rule 8",
            )
        if state.referral is None:
            review, due, message = _kujala_review(day, start, kujala, rules)
            state.referral = review
            timeline.kujala_due, timeline.kujala_message = due, message
        step = steps[state.idx]
        plan_day = _plan_day(step, start, day, state.decision, False, state.referral)
        entry = diary.get(day)
        before = (state.idx, state.step_since)
        if entry is not None:
            baseline = morning_baseline(diary, day, rules.baseline_days)
            verdict = judge_day(entry, baseline, rules, step)
            if verdict.kind == "good" and not (
                is_key_day(start, day) or entry.activity_id is not None
            ):
                # Only the step's walk/run (a key day, or a linked run) counts toward progress.
                verdict = Verdict(
                    "none",
                    "not_a_key_day",
                    "A good day, but not a walk/run day of the plan: it does not count "
                    "toward moving on.",
                    verdict.citation,
                )
            plan_day.verdict = Decision(
                verdict.kind, verdict.rule, verdict.reason, verdict.citation
            )
            if state.referral is None:
                tests = (
                    readiness_criteria(step, diary, state.step_since, day, rules)
                    if step.gate == "run_entry"
                    else []
                )
                _apply(state, verdict, steps, rules, day, tests)
        if state.referral is None:
            _weekly_hold(state, diary, start, day, steps, rules, before)
        if step.gate == "run_entry" and state.referral is None:
            # Where the entry criteria stand at the end of this day (today's logs included).
            moved_on = state.idx > before[0]
            plan_day.criteria = [
                walk_criterion(rules.completions_to_progress if moved_on else state.good, rules),
                *readiness_criteria(step, diary, before[1], day, rules),
            ]
        timeline.days.append(plan_day)
        day += ONE_DAY
    timeline.referral = state.referral
    # Projection: assume every key session from tomorrow goes well.
    idx, good = state.idx, state.good
    if state.referral is None and is_key_day(start, today) and today not in diary:
        good += 1  # today's session, not logged yet
        if good >= rules.completions_to_progress and idx + 1 < len(steps):
            idx, good = idx + 1, 0
    while day <= end:
        decision = None
        timeline.days.append(_plan_day(steps[idx], start, day, decision, True, state.referral))
        if state.referral is None and is_key_day(start, day):
            good += 1
            if good >= rules.completions_to_progress and idx + 1 < len(steps):
                idx, good = idx + 1, 0
        day += ONE_DAY
    return timeline
