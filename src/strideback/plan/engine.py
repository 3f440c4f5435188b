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
from strideback.plan.pain import Verdict, judge_day, morning_baseline, worst_pain
from strideback.plan.readiness import describe_missing, readiness_criteria, walk_criterion
from strideback.plan.review import pain_review, stall_review
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
    gap_days: int | None = None  # days without a diary entry up to today (when ≥ gap_days)

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
    flare_day: dt.date | None = None  # the step back of the flare in progress
    flare_worst: int = 0  # its worst pain
    flare_signs: frozenset[str] = frozenset()  # sharp / limp / marked swelling on that day
    last_seen: dt.date = dt.date.min  # the latest diary entry (or the plan start)
    gap_open: bool = False  # the current gap already stepped the plan back
    gap_from: int | None = None  # the step before the gap's step back


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


def flare_signs(entry: DiaryEntry) -> frozenset[str]:
    signs = {"sharp": entry.sharp_pain, "limp": entry.limp, "swelling": entry.swelling == "marked"}
    return frozenset(name for name, present in signs.items() if present)


def _part_of_flare(state: _State, entry: DiaryEntry, session_day: bool, rules: Rules) -> bool:
    """Soreness in the days after a step back, on a day without a walk/run, not worse (no
    higher pain, no new sharp pain, limp or marked swelling)."""
    if state.flare_day is None or session_day:
        return False
    within = (entry.day - state.flare_day).days <= rules.flare_settle_days
    worse = worst_pain(entry) > state.flare_worst or not flare_signs(entry) <= state.flare_signs
    return within and not worse


def _apply(
    state: _State,
    v: Verdict,
    steps: list[Step],
    rules: Rules,
    day: dt.date,
    tests: list[EntryCriterion],
    entry: DiaryEntry | None = None,
    session_day: bool = True,
) -> None:
    """Update the state with one day's verdict (the decision then governs the next day).

    `tests` are the readiness tests of a gated step as they stand after this day's entry.
    `session_day`: the entry is a walk/run session of the plan (not a rest or strength day).
    """
    step = steps[state.idx]
    if v.kind == "refer":
        state.referral = _as_decision(v, "refer")
    elif (
        v.kind == "step_back"
        and entry is not None
        and _part_of_flare(state, entry, session_day, rules)
    ):
        assert state.flare_day is not None
        state.decision = Decision(
            "hold",
            "same_flare",
            f"{v.reason} This is the same flare as on {state.flare_day.isoformat()} still "
            f"settling, not a new one: stay at {step.label}.",
            rule_catalogue()["flare_settle_days"].citation,
        )
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
        state.flare_day = day
        state.flare_worst = worst_pain(entry) if entry is not None else 10
        state.flare_signs = flare_signs(entry) if entry is not None else frozenset()
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
        state.flare_day = None
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


def _plan_day(
    step: Step,
    start: dt.date,
    day: dt.date,
    decision: Decision | None,
    projected: bool,
    referral: Decision | None,
    strength_progress_sessions: int = 2,
) -> PlanDay:
    sessions = [] if referral else sessions_for_day(step, start, day, strength_progress_sessions)
    return PlanDay(
        day=day,
        phase="refer" if referral else step.phase,
        step="See a clinician before continuing" if referral else step.label,
        step_id=step.id,
        sessions=sessions,
        decision=referral or decision,
        projected=projected,
    )


def _gap(state: _State, steps: list[Step], rules: Rules, day: dt.date) -> None:
    """No diary entry for `gap_days`: ask what happened and resume one step back (once)."""
    silent = (day - state.last_seen).days
    if state.gap_open or silent < rules.gap_days:
        return
    state.gap_open = True
    state.gap_from = state.idx
    state.good = 0
    if state.idx > 0:
        state.idx -= 1
        state.step_since = day
    since = state.last_seen.isoformat()
    state.decision = Decision(
        "step_back",
        "diary_gap",
        f"No diary entry since {since} ({silent} days or more). What happened: any pain since, "
        "any running? Log today's knee in the diary: if you kept walking or running without "
        "trouble, log that session as done and the plan resumes where it was; otherwise it "
        f"resumes one step back, at {steps[state.idx].label}, and moves on again after good "
        "sessions.",
        rule_catalogue()["gap_days"].citation,
    )


def kept_going(entry: DiaryEntry, rules: Rules) -> bool:
    """The answer after a gap: a session done without trouble (pain within the good band)."""
    troubled = entry.sharp_pain or entry.limp or entry.red_flag or entry.swelling != "none"
    return entry.done == "done" and worst_pain(entry) <= rules.pain_ok_max and not troubled


def _counts_as_session(diary: dict[dt.date, DiaryEntry], start: dt.date, entry: DiaryEntry) -> bool:
    """A walk/run of the plan: on a key day, a linked run, or moved from the key day before."""
    if entry.activity_id is not None or is_key_day(start, entry.day):
        return True
    if entry.done != "done":
        return False
    for k in (1, 2):
        earlier = entry.day - dt.timedelta(days=k)
        if earlier < start:
            return False
        if is_key_day(start, earlier):
            missed = diary.get(earlier)
            return (
                missed is None
                or missed.done in (None, "skipped", "rest")
                and (missed.pain_during is None and missed.activity_id is None)
            )
    return False


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
    pain = pain_review(diary, start, rules)  # the review's weekly pains: one diary, once
    state.last_seen = start
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
            review, due, message = stall_review(
                day, start, kujala, rules, diary, pain=pain, pain_known=True
            )
            state.referral = review
            timeline.kujala_due, timeline.kujala_message = due, message
        entry = diary.get(day)
        if state.referral is None and entry is None:
            _gap(state, steps, rules, day)
        step = steps[state.idx]
        plan_day = _plan_day(
            step,
            start,
            day,
            state.decision,
            False,
            state.referral,
            rules.strength_progress_sessions,
        )
        before = (state.idx, state.step_since)
        resumed = ""
        if entry is not None:
            if state.gap_open and state.gap_from is not None and kept_going(entry, rules):
                # The answer: the runner kept going without trouble; resume where it was.
                state.idx, state.step_since = state.gap_from, day
                step = steps[state.idx]
                resumed = f"You kept going without trouble during the break: back to {step.label}."
            state.last_seen, state.gap_open, state.gap_from = day, False, None
            baseline = morning_baseline(diary, day, rules.baseline_days)
            verdict = judge_day(entry, baseline, rules, step)
            session_day = _counts_as_session(diary, start, entry)
            if verdict.kind == "good" and not session_day:
                # Only the step's walk/run counts toward progress: on a key day, a linked run,
                # or a session moved from the key day before (done on another day).
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
                _apply(state, verdict, steps, rules, day, tests, entry, session_day)
                if resumed and state.decision is not None:
                    state.decision = Decision(
                        state.decision.action,
                        "gap_resumed",
                        f"{resumed} {state.decision.reason}",
                        rule_catalogue()["gap_days"].citation,
                    )
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
    if state.gap_open and state.referral is None:
        timeline.gap_days = (today - state.last_seen).days
    timeline.referral = state.referral
    # Projection: assume every key session from tomorrow goes well.
    idx, good = state.idx, state.good
    if state.referral is None and is_key_day(start, today) and today not in diary:
        good += 1  # today's session, not logged yet
        if good >= rules.completions_to_progress and idx + 1 < len(steps):
            idx, good = idx + 1, 0
    while day <= end:
        decision = None
        timeline.days.append(
            _plan_day(
                steps[idx],
                start,
                day,
                decision,
                True,
                state.referral,
                rules.strength_progress_sessions,
            )
        )
        if state.referral is None and is_key_day(start, day):
            good += 1
            if good >= rules.completions_to_progress and idx + 1 < len(steps):
                idx, good = idx + 1, 0
        day += ONE_DAY
    return timeline
