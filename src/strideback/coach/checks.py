"""The knee check, stored: run one (complete or not at all), list them, Kujala history."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strideback.assess.check import CheckIncomplete, evaluate_check
from strideback.assess.kujala import KujalaScore
from strideback.assess.questions import Question, load_definition
from strideback.coach.views import CheckOutcome
from strideback.store.coach import CheckRow, PlanStartRow
from strideback.store.db import Database

__all__ = [
    "CheckIncomplete",
    "check_questions",
    "kujala_history",
    "latest_check",
    "list_checks",
    "read_checks",
    "run_check",
]


def check_questions() -> list[Question]:
    """The check, in order: red flags, about you, pain location/behaviour, 13 Kujala items."""
    return list(load_definition().questions)


def outcome_of(row: CheckRow, first_kujala: int | None = None) -> CheckOutcome:
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


def run_check(
    db: Database, answers: dict[str, Any], today: dt.date, *, skip_kujala: bool = False
) -> CheckOutcome:
    """Evaluate and store one check. Starts the plan on the first check that allows one.

    Raises CheckIncomplete (nothing stored) when a required answer is missing, ValueError on
    an invalid answer.
    """
    result = evaluate_check(load_definition(), answers, today, skip_kujala=skip_kujala)
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
        return outcome_of(row, first)


def read_checks(s: Session) -> list[CheckOutcome]:
    """Every stored check, oldest first (inside an open session)."""
    rows = s.scalars(select(CheckRow).order_by(CheckRow.taken_on, CheckRow.id)).all()
    first = next((r.kujala_total for r in rows if r.kujala_total is not None), None)
    return [outcome_of(r, first) for r in rows]


def list_checks(db: Database) -> list[CheckOutcome]:
    """Every stored check, oldest first."""
    with db.session() as s:
        return read_checks(s)


def latest_check(db: Database) -> CheckOutcome | None:
    checks = list_checks(db)
    return checks[-1] if checks else None


def kujala_history(db: Database) -> list[KujalaScore]:
    """Kujala scores with their dates, oldest first."""
    return [c.kujala for c in list_checks(db) if c.kujala is not None]
