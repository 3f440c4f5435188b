"""Everything the plan needs, read from the database in one session.

`load_state` is the only read behind Today and the Plan outputs; the pure engine and the gate
then work on this snapshot.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from strideback.coach.checks import read_checks
from strideback.coach.diary import read_diary
from strideback.coach.history import pre_injury_volume, runs_between
from strideback.coach.settings import read_settings
from strideback.coach.views import CheckOutcome, PlanRestart
from strideback.domain import DiaryEntry
from strideback.plan.ladder import PreInjury, _fixed_steps
from strideback.plan.rules import Rules, rules_from
from strideback.plan.start import start_rules
from strideback.store.coach import PlanStartRow
from strideback.store.db import Database


def restart_message(cleared_on: dt.date, start: dt.date, label: str) -> str:
    return (
        f"Cleared by a clinician on {cleared_on.isoformat()}: the plan restarted on "
        f"{start.isoformat()} at “{label}”. Referrals recorded up to {cleared_on.isoformat()} "
        "no longer stop the plan; your earlier diary and checks are kept. A new red flag, two "
        "step-backs in a row or no improvement by the review week still mean: see a clinician."
    )


def step_label(step_id: str) -> str:
    return next(s.label for s in _fixed_steps() if s.id == step_id)


def clearance_of(row: PlanStartRow | None) -> PlanRestart | None:
    if row is None or row.cleared_on is None:
        return None
    step_id = row.restart_step or "settle"
    label = step_label(step_id)
    return PlanRestart(
        cleared_on=row.cleared_on,
        start=row.start_on,
        restart_step=step_id,
        step_label=label,
        message=restart_message(row.cleared_on, row.start_on, label),
    )


@dataclass
class CoachState:
    today: dt.date
    checks: list[CheckOutcome] = field(default_factory=list)
    diary: dict[dt.date, DiaryEntry] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)
    start: dt.date | None = None  # the plan start in force (None before a check allowed one)
    clearance: PlanRestart | None = None
    pre: PreInjury | None = None
    recent_runs: int = 0  # imported runs in the days before the plan start

    @property
    def latest(self) -> CheckOutcome | None:
        return self.checks[-1] if self.checks else None

    def covered(self, day: dt.date) -> bool:
        """Is something recorded on `day` covered by the clinician's clearance?"""
        return self.clearance is not None and day <= self.clearance.cleared_on


def load_state(db: Database, today: dt.date, start: dt.date | None = None) -> CoachState:
    """One read: checks, the whole diary up to today, settings, plan start, clearance, history."""
    with db.session() as s:
        settings = read_settings(s)
        rules = rules_from(settings)
        stored_start = s.scalar(
            select(PlanStartRow.start_on).order_by(PlanStartRow.id.desc()).limit(1)
        )
        cleared = s.scalars(
            select(PlanStartRow)
            .where(PlanStartRow.cleared_on.is_not(None))
            .order_by(PlanStartRow.id.desc())
            .limit(1)
        ).first()
        plan_start = start or stored_start
        recent = 0
        if plan_start is not None:
            days = start_rules().mild.recent_days
            recent = len(
                runs_between(
                    s, plan_start - dt.timedelta(days=days), plan_start - dt.timedelta(days=1)
                )
            )
        return CoachState(
            recent_runs=recent,
            today=today,
            checks=read_checks(s),
            diary={e.day: e for e in read_diary(s, None, today)},
            settings=settings,
            rules=rules,
            start=plan_start,
            clearance=clearance_of(cleared),
            pre=pre_injury_volume(s, plan_start or today, rules),
        )
