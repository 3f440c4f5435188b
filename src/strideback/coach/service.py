"""Coach service: one function per user action. The CLI and the web dashboard both call these.

The work is split by job: `checks` (the knee check), `diary` (the one diary writer), `settings`
(clinician thresholds), `plans` (start, clearance, the gate, plan and calendar), `today`
(Today's view), `state` (the one read behind Today and the plan). This module keeps the public
names in one place, and export/restore.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import delete, select

from strideback import DISCLAIMER
from strideback.activities.queries import list_activities
from strideback.assess.check import CheckIncomplete
from strideback.assess.kujala import KujalaScore
from strideback.assess.questions import Question
from strideback.coach import backup
from strideback.coach.checks import (
    check_questions,
    delete_check,
    get_check,
    kujala_history,
    latest_check,
    list_checks,
    restore_check,
    run_check,
)
from strideback.coach.diary import (
    delete_day,
    diary,
    log_day,
    log_from_activity,
    morning_day,
    restore_day,
    save_day,
)
from strideback.coach.plans import (
    RESTART_STEPS,
    clear_by_clinician,
    current_plan,
    honesty,
    last_clearance,
    plan_ics,
    plan_start,
    set_plan_start,
)
from strideback.coach.settings import get_settings, settings_catalogue, update_settings
from strideback.coach.today import FIRST_RUN_NOTICE, todays_session
from strideback.coach.views import CheckOutcome, PlanRestart, TodayView
from strideback.exercises import Exercise, get_exercise, load_exercises
from strideback.plan.model import Decision, Plan, PlanDay, Session
from strideback.store.coach import CheckRow, DiaryRow, PlanStartRow, SettingRow
from strideback.store.db import Database

__all__ = [
    "DISCLAIMER",
    "FIRST_RUN_NOTICE",
    "RESTART_STEPS",
    "CheckIncomplete",
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
    "delete_check",
    "delete_day",
    "diary",
    "export_all",
    "get_check",
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
    "log_from_activity",
    "morning_day",
    "plan_ics",
    "plan_start",
    "restore_check",
    "restore_day",
    "run_check",
    "save_day",
    "set_plan_start",
    "settings_catalogue",
    "todays_session",
    "update_settings",
]


# ---------------------------------------------------------------- export / restore


def export_all(db: Database, folder: Path, today: dt.date | None = None) -> list[Path]:
    """Write checks, scores, diary, settings, plan and an activities summary as JSON + CSV."""
    today = today or dt.date.today()
    plan = current_plan(db, today) if plan_start(db) else None
    with db.session() as s:
        starts = s.scalars(select(PlanStartRow).order_by(PlanStartRow.id)).all()
        overrides = {r.key: json.loads(r.value) for r in s.scalars(select(SettingRow)).all()}
        snapshot = backup.Snapshot(
            checks=list_checks(db),
            diary=diary(db),
            settings=overrides,
            plan_starts=[backup.plan_start_json(p) for p in starts],
            plan=plan,
            activities=[backup.activity_summary(a) for a in reversed(list_activities(db))],
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
