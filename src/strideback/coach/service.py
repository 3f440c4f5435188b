"""Coach service: one function per user action. The CLI and the web dashboard both call these.

Pure rules live in assess/ and plan/; this module reads and writes the database and passes
`today` down explicitly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from strideback import DISCLAIMER
from strideback.assess.check import evaluate_check
from strideback.assess.kujala import KujalaScore
from strideback.assess.questions import Question, load_definition
from strideback.coach import backup
from strideback.coach.history import local_day, pre_injury_volume, runs_between
from strideback.coach.views import CheckOutcome, PlanRestart, TodayView
from strideback.domain import DiaryEntry
from strideback.exercises import Exercise
from strideback.exercises import get_exercise as _get_exercise
from strideback.exercises import load_exercises as _load_exercises
from strideback.plan.engine import walk_plan
from strideback.plan.ical import plan_calendar
from strideback.plan.ladder import _fixed_steps, honesty_notes, ladder_for
from strideback.plan.model import Decision, Plan, PlanDay, Session
from strideback.plan.rules import (
    RuleInfo,
    Rules,
    default_values,
    rule_catalogue,
    rules_from,
    validate_changes,
)
from strideback.plan.schedule import sessions_for_day
from strideback.store.activities import ActivityRow
from strideback.store.coach import CheckRow, DiaryRow, PlanStartRow, SettingRow
from strideback.store.db import Database

__all__ = [
    "DISCLAIMER",
    "FIRST_RUN_NOTICE",
    "CheckOutcome",
    "Decision",
    "Exercise",
    "KujalaScore",
    "Plan",
    "PlanDay",
    "PlanRestart",
    "Question",
    "Session",
    "TodayView",
    "check_questions",
    "clear_by_clinician",
    "current_plan",
    "diary",
    "export_all",
    "get_exercise",
    "get_settings",
    "honesty",
    "import_backup",
    "kujala_history",
    "last_clearance",
    "latest_check",
    "list_checks",
    "load_exercises",
    "log_day",
    "plan_ics",
    "plan_start",
    "set_plan_start",
    "settings_catalogue",
    "todays_session",
    "update_settings",
]

FIRST_RUN_NOTICE = (
    "StrideBack is a self-care aid, not a diagnosis. It helps you manage runner's knee "
    "(patellofemoral pain) with graded activity and exercise, and tells you when to see a "
    "clinician instead."
)
SWELLING = ("none", "mild", "marked")
DONE = ("done", "modified", "skipped", "rest")
DONE_ALIASES = {"planned": "done", "yes": "done"}
PAIN_FIELDS = ("pain_during", "pain_after", "pain_next_morning", "squat_test_pain", "hop_test_pain")
READINESS_FIELDS = ("squat_test_pain", "hop_test_pain")
# `strideback plan --cleared-by-clinician --restart-step ...` → ladder step id
RESTART_STEPS = {"settle": "settle", "walk": "walk_20"}


# ---------------------------------------------------------------- check


def check_questions() -> list[Question]:
    """The check, in order: red flags, about you, pain location/behaviour, 13 Kujala items."""
    return list(load_definition().questions)


def _outcome(row: CheckRow, first_kujala: int | None = None) -> CheckOutcome:
    kujala = None
    if row.kujala_total is not None:
        kujala = KujalaScore(
            total=row.kujala_total,
            items=json.loads(row.kujala_items or "{}"),
            taken_on=row.taken_on,
        )
    change = None
    meaningful = None
    if kujala is not None and first_kujala is not None:
        change = kujala.total - first_kujala
        meaningful = change >= load_definition().kujala_mcid
    return CheckOutcome(
        id=row.id,
        taken_on=row.taken_on,
        red_flags=json.loads(row.red_flags),
        referral=row.referral,
        pattern=row.pattern,
        pattern_message=row.pattern_message,
        kujala=kujala,
        can_start_plan=row.can_start_plan,
        answers=json.loads(row.answers),
        notes=json.loads(row.notes or "[]"),
        kujala_change=change,
        kujala_meaningful=meaningful,
    )


def run_check(db: Database, answers: dict[str, Any], today: dt.date) -> CheckOutcome:
    """Evaluate and store one check. Starts the plan on the first check that allows one."""
    result = evaluate_check(load_definition(), answers, today)
    with db.session() as s:
        row = CheckRow(
            taken_on=today,
            answers=json.dumps(result.answers, sort_keys=True),
            red_flags=json.dumps(result.red_flags),
            referral=result.referral,
            pattern=result.pattern,
            pattern_message=result.pattern_message,
            kujala_total=result.kujala.total if result.kujala else None,
            kujala_items=json.dumps(result.kujala.items) if result.kujala else None,
            can_start_plan=result.can_start_plan,
            notes=json.dumps(result.notes),
        )
        s.add(row)
        if result.can_start_plan and s.scalar(select(PlanStartRow.id).limit(1)) is None:
            s.add(PlanStartRow(start_on=today, reason="first check that allowed a plan"))
        s.flush()
        first = s.scalar(
            select(CheckRow.kujala_total)
            .where(CheckRow.kujala_total.is_not(None))
            .order_by(CheckRow.taken_on, CheckRow.id)
            .limit(1)
        )
        return _outcome(row, first)


def list_checks(db: Database) -> list[CheckOutcome]:
    """Every stored check, oldest first."""
    with db.session() as s:
        rows = s.scalars(select(CheckRow).order_by(CheckRow.taken_on, CheckRow.id)).all()
        first = next((r.kujala_total for r in rows if r.kujala_total is not None), None)
        return [_outcome(r, first) for r in rows]


def latest_check(db: Database) -> CheckOutcome | None:
    checks = list_checks(db)
    return checks[-1] if checks else None


def kujala_history(db: Database) -> list[KujalaScore]:
    """Kujala scores with their dates, oldest first."""
    return [c.kujala for c in list_checks(db) if c.kujala is not None]


# ---------------------------------------------------------------- diary


def _validate_entry(entry: DiaryEntry) -> DiaryEntry:
    if not isinstance(entry.day, dt.date):
        raise ValueError(f"day must be a date, got {entry.day!r}")
    for name in PAIN_FIELDS:
        value = getattr(entry, name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
            raise ValueError(f"{name} must be a whole number from 0 to 10, got {value!r}")
    swelling = entry.swelling or "none"
    if swelling not in SWELLING:
        raise ValueError(f"swelling must be one of {', '.join(SWELLING)}, got {entry.swelling!r}")
    done = DONE_ALIASES.get(entry.done, entry.done) if entry.done else None
    if done is not None and done not in DONE:
        raise ValueError(
            f"done must be one of done (planned session done), modified, skipped, rest; "
            f"got {entry.done!r}"
        )
    return dataclasses.replace(entry, swelling=swelling, done=done)


def _to_entry(row: DiaryRow) -> DiaryEntry:
    return DiaryEntry(
        day=row.day,
        pain_during=row.pain_during,
        pain_after=row.pain_after,
        pain_next_morning=row.pain_next_morning,
        swelling=row.swelling,
        done=row.done,
        sharp_pain=row.sharp_pain,
        limp=row.limp,
        red_flag=row.red_flag,
        note=row.note,
        activity_id=row.activity_id,
        squat_test_pain=row.squat_test_pain,
        hop_test_pain=row.hop_test_pain,
    )


def _merge(old: DiaryEntry, new: DiaryEntry) -> DiaryEntry:
    """Fields left empty in `new` keep their stored value; flags are kept once set."""
    out = dataclasses.replace(old)
    for f in dataclasses.fields(DiaryEntry):
        value = getattr(new, f.name)
        if f.name in ("sharp_pain", "limp", "red_flag"):
            setattr(out, f.name, bool(value or getattr(old, f.name)))
        elif f.name == "swelling":
            if value and value != "none":
                out.swelling = value
        elif value is not None:
            setattr(out, f.name, value)
    return out


def log_day(db: Database, entry: DiaryEntry, *, merge: bool = False) -> DiaryEntry:
    """Upsert the diary entry of `entry.day` (replace, or with merge=True fill in).

    Validates pain 0–10 (also the readiness tests), swelling none|mild|marked, done
    done|modified|skipped|rest ("planned" means done). Without an activity id, that day's run
    from the history is linked. A readiness test result already stored for the day is kept when
    `entry` leaves it empty (a form without those fields does not erase them).
    Raises ValueError with a clear message.
    """
    entry = _validate_entry(entry)
    with db.session() as s:
        row = s.get(DiaryRow, entry.day)
        if merge and row is not None:
            entry = _merge(_to_entry(row), entry)
        elif row is not None:
            kept = {
                name: getattr(row, name)
                for name in READINESS_FIELDS
                if getattr(entry, name) is None and getattr(row, name) is not None
            }
            entry = dataclasses.replace(entry, **kept)
        if entry.activity_id is not None:
            activity = s.get(ActivityRow, entry.activity_id)
            if activity is None:
                raise ValueError(f"no activity with id {entry.activity_id} in the history")
        else:
            runs = runs_between(s, entry.day, entry.day)
            if runs:
                entry = dataclasses.replace(entry, activity_id=runs[0].id)
        if row is None:
            row = DiaryRow(day=entry.day)
            s.add(row)
        for f in dataclasses.fields(DiaryEntry):
            if f.name != "day":
                setattr(row, f.name, getattr(entry, f.name))
        row.updated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        return entry


def log_from_activity(db: Database, activity_id: int, **fields: Any) -> DiaryEntry:
    """Create or fill the diary day of an imported run and link it (`log --from-activity`)."""
    with db.session() as s:
        activity = s.get(ActivityRow, activity_id)
        if activity is None:
            raise ValueError(f"no activity with id {activity_id} in the history")
        day = local_day(activity)
    fields.setdefault("done", "done")
    return log_day(db, DiaryEntry(day=day, activity_id=activity_id, **fields), merge=True)


def diary(
    db: Database, start: dt.date | None = None, end: dt.date | None = None
) -> list[DiaryEntry]:
    """Diary entries between start and end (inclusive), oldest first."""
    with db.session() as s:
        query = select(DiaryRow).order_by(DiaryRow.day)
        if start is not None:
            query = query.where(DiaryRow.day >= start)
        if end is not None:
            query = query.where(DiaryRow.day <= end)
        return [_to_entry(r) for r in s.scalars(query).all()]


# ---------------------------------------------------------------- settings


def settings_catalogue() -> dict[str, RuleInfo]:
    """Every adjustable threshold with its range, meaning and citation."""
    return dict(rule_catalogue())


def get_settings(db: Database) -> dict[str, Any]:
    """The thresholds in force: defaults from rules.yaml with the stored overrides."""
    values = default_values()
    with db.session() as s:
        for row in s.scalars(select(SettingRow)).all():
            if row.key in values:
                values[row.key] = json.loads(row.value)
    return values


def update_settings(db: Database, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate and store clinician changes; a value equal to the default removes the override."""
    current = get_settings(db)
    clean = validate_changes(changes, current)
    defaults = default_values()
    with db.session() as s:
        for key, value in clean.items():
            row = s.get(SettingRow, key)
            if value == defaults[key]:
                if row is not None:
                    s.delete(row)
                continue
            if row is None:
                s.add(SettingRow(key=key, value=json.dumps(value)))
            else:
                row.value = json.dumps(value)
    return get_settings(db)


def _rules(db: Database) -> Rules:
    return rules_from(get_settings(db))


# ---------------------------------------------------------------- plan


def plan_start(db: Database) -> dt.date | None:
    """The plan's start day (latest one set), or None before a check allowed a plan."""
    with db.session() as s:
        return s.scalar(select(PlanStartRow.start_on).order_by(PlanStartRow.id.desc()).limit(1))


def set_plan_start(db: Database, start: dt.date, reason: str = "set by the user") -> dt.date:
    with db.session() as s:
        s.add(PlanStartRow(start_on=start, reason=reason))
    return start


def _restart_message(cleared_on: dt.date, start: dt.date, label: str) -> str:
    return (
        f"Cleared by a clinician on {cleared_on.isoformat()}: the plan restarted on "
        f"{start.isoformat()} at “{label}”. Referrals recorded up to {cleared_on.isoformat()} "
        "no longer stop the plan; your earlier diary and checks are kept. A new red flag, two "
        "step-backs in a row or no Kujala gain by the review week still mean: see a clinician."
    )


def _step_label(step_id: str) -> str:
    return next(s.label for s in _fixed_steps() if s.id == step_id)


def last_clearance(db: Database) -> PlanRestart | None:
    """The latest clinician clearance, if any (later plain restarts keep it in force)."""
    with db.session() as s:
        row = s.scalars(
            select(PlanStartRow)
            .where(PlanStartRow.cleared_on.is_not(None))
            .order_by(PlanStartRow.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        step_id = row.restart_step or "settle"
        label = _step_label(step_id)
        return PlanRestart(
            cleared_on=row.cleared_on,
            start=row.start_on,
            restart_step=step_id,
            step_label=label,
            message=_restart_message(row.cleared_on, row.start_on, label),
        )


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
    non-runner's-knee checks, diary red flags, step-backs, Kujala review); the history is kept.
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
    label = _step_label(step_id)
    return PlanRestart(
        cleared_on=today,
        start=start,
        restart_step=step_id,
        step_label=label,
        message=_restart_message(today, start, label),
    )


def _covered(check: CheckOutcome, clearance: PlanRestart | None) -> bool:
    """A clearance covers the checks taken on or before its day."""
    return clearance is not None and check.taken_on <= clearance.cleared_on


def _timeline(db: Database, today: dt.date, start: dt.date, end: dt.date):
    rules = _rules(db)
    with db.session() as s:
        pre = pre_injury_volume(s, start, rules)
    steps = ladder_for(pre, rules.single_run_max_ratio)
    clearance = last_clearance(db)
    restart = clearance if clearance is not None and clearance.start == start else None
    start_index, start_decision = 0, None
    if restart is not None:
        start_index = [s.id for s in steps].index(restart.restart_step)
        start_decision = Decision(
            "start",
            "clinician_clearance",
            restart.message,
            "evidence.md §11 rule 8 (escalation to a clinician, who decides on the return)",
        )
    checks = list_checks(db)
    entries = {e.day: e for e in diary(db, start, today)}
    timeline = walk_plan(
        start=start,
        today=today,
        end=end,
        diary=entries,
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
            and not _covered(c, clearance)
        ],
        start_index=start_index,
        start_decision=start_decision,
    )
    return timeline, pre


def _honesty_lines() -> list[str]:
    return [
        f'{h["topic"]}: the article says "{h["article"]}" — evidence: {h["label"]}. '
        f"{h['evidence']} [{h['citation']}]"
        for h in honesty_notes()
    ]


def honesty() -> list[dict[str, str]]:
    """Article advice vs evidence, with evidence labels (evidence.md §10)."""
    return honesty_notes()


def current_plan(
    db: Database, today: dt.date, start: dt.date | None = None, weeks: int = 8
) -> Plan:
    """The plan re-computed from the diary: past days as lived, future days projected.

    Covers `weeks` weeks from the start, and at least two weeks past `today`.
    """
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    start = start or plan_start(db) or today
    end = max(
        start + dt.timedelta(weeks=weeks) - dt.timedelta(days=1), today + dt.timedelta(days=13)
    )
    timeline, pre = _timeline(db, today, start, end)
    return Plan(
        start=start,
        steps=timeline.days,
        referral=timeline.referral.reason if timeline.referral else None,
        pre_injury=pre.source,
        honesty=_honesty_lines(),
        clearance=clearance.message if (clearance := last_clearance(db)) else None,
    )


def _before_check_view(today: dt.date) -> TodayView:
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
        notes=[FIRST_RUN_NOTICE, *_honesty_lines()[2:4]],
    )


def _refer_view(today: dt.date, referral: str | None, decision: Decision) -> TodayView:
    """Today when the check sends the runner to a clinician: no sessions, no plan."""
    return TodayView(
        day=today,
        needs_check=False,
        referral=referral,
        phase="refer",
        step="See a clinician",
        sessions=[],
        decision=decision,
        disclaimer=DISCLAIMER,
        notes=[FIRST_RUN_NOTICE],
    )


def todays_session(db: Database, today: dt.date) -> TodayView:
    """What to do today and why (which rule fired)."""
    latest = latest_check(db)
    if latest is None:
        return _before_check_view(today)
    clearance = last_clearance(db)
    covered = _covered(latest, clearance)
    if latest.red_flags and not covered:
        return _refer_view(
            today,
            latest.referral,
            Decision("refer", "red_flag", latest.referral or "", "evidence.md §3a"),
        )
    start = plan_start(db)
    if start is None or (not latest.can_start_plan and latest.taken_on >= start and not covered):
        return _refer_view(
            today,
            latest.pattern_message,
            Decision(
                "refer", f"pattern_{latest.pattern}", latest.pattern_message, "evidence.md §3b"
            ),
        )
    if today < start:
        view = _before_check_view(today)
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
    timeline, _ = _timeline(db, today, start, today)
    plan_day = timeline.on(today)
    assert plan_day is not None
    last = next((d.verdict for d in reversed(timeline.days[:-1]) if d.verdict), None)
    notes = [*latest.notes]
    if clearance is not None:
        notes.append(clearance.message)
    if timeline.kujala_message:
        notes.append(timeline.kujala_message)
    return TodayView(
        day=today,
        needs_check=timeline.kujala_due,
        referral=timeline.referral.reason if timeline.referral else None,
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
    )


def _describe(exercise_id: str) -> str:
    return _get_exercise(exercise_id).describe()


def plan_ics(db: Database, today: dt.date) -> bytes:
    """The plan from today on as an iCalendar file (every session, full descriptions)."""
    plan = current_plan(db, today)
    days = [d for d in plan.steps if d.day >= today]
    stamp = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    return plan_calendar(days, _describe, DISCLAIMER, stamp)


# ---------------------------------------------------------------- exercises


def load_exercises() -> list[Exercise]:
    return _load_exercises()


def get_exercise(exercise_id: str) -> Exercise:
    return _get_exercise(exercise_id)


# ---------------------------------------------------------------- export / restore


def export_all(db: Database, folder: Path, today: dt.date | None = None) -> list[Path]:
    """Write checks, scores, diary, settings, plan and an activities summary as JSON + CSV."""
    today = today or dt.date.today()
    plan = current_plan(db, today) if plan_start(db) else None
    with db.session() as s:
        starts = s.scalars(select(PlanStartRow).order_by(PlanStartRow.id)).all()
        overrides = {r.key: json.loads(r.value) for r in s.scalars(select(SettingRow)).all()}
        activities = s.scalars(select(ActivityRow).order_by(ActivityRow.start_time)).all()
        snapshot = backup.Snapshot(
            checks=list_checks(db),
            diary=diary(db),
            settings=overrides,
            plan_starts=[backup.plan_start_json(p) for p in starts],
            plan=plan,
            activities=[backup.activity_summary(a) for a in activities],
        )
    return backup.write_snapshot(snapshot, Path(folder), today)


def import_backup(db: Database, path: Path) -> dict[str, int]:
    """Restore checks, diary, settings and plan starts from an export (file or folder).

    Existing coach data is replaced. The activities summary is not restored (re-import the
    original files with `strideback import`).
    """
    data = backup.read_backup(Path(path))
    with db.session() as s:
        for table in (CheckRow, DiaryRow, SettingRow, PlanStartRow):
            s.execute(delete(table))
        for c in data["checks"]:
            s.add(CheckRow(**backup.check_row_fields(c)))
        for e in data["diary"]:
            s.add(DiaryRow(**backup.diary_row_fields(e)))
        for key, value in data["settings"].items():
            s.add(SettingRow(key=key, value=json.dumps(value)))
        for p in data["plan_starts"]:
            s.add(PlanStartRow(**backup.plan_start_row_fields(p)))
    return {
        "checks": len(data["checks"]),
        "diary": len(data["diary"]),
        "settings": len(data["settings"]),
        "plan_starts": len(data["plan_starts"]),
        "activities_not_restored": len(data.get("activities", [])),
    }
