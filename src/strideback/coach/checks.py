"""The knee check, stored: run one (complete or not at all), list them, Kujala history, delete
one and undo that.

A deleted check is kept (soft delete, `deleted_at`) so `restore_check` brings it back exactly;
every read here (and so Today, the plan, the gate, the Kujala history, the report and the
calendar, which all read through `read_checks`) leaves deleted checks out. `purge_deleted_checks`
removes old deletions for good; `delete_check` runs it first, so a deletion older than
`TRASH_DAYS` goes away on the next delete.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from strideback.assess.check import CheckIncomplete, evaluate_check
from strideback.assess.kujala import KujalaScore
from strideback.assess.questions import Question, load_definition
from strideback.coach.views import CheckOutcome
from strideback.store.coach import CheckRow, PlanStartRow
from strideback.store.db import Database

__all__ = [
    "TRASH_DAYS",
    "CheckIncomplete",
    "check_questions",
    "delete_check",
    "get_check",
    "kujala_history",
    "latest_check",
    "list_checks",
    "purge_deleted_checks",
    "read_checks",
    "restore_check",
    "run_check",
]

LIVE: ColumnElement[bool] = CheckRow.deleted_at.is_(None)
MAX_ID = 2**63 - 1  # larger ids cannot exist (and some databases refuse them in a query)
TRASH_DAYS = 30  # a deleted check can be restored for this long (then the next delete purges)


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
            .where(LIVE, CheckRow.kujala_total.is_not(None))
            .order_by(CheckRow.taken_on, CheckRow.id)
            .limit(1)
        )
        return outcome_of(row, first)


def read_checks(s: Session) -> list[CheckOutcome]:
    """Every stored check (deleted ones left out), oldest first (inside an open session)."""
    rows = s.scalars(select(CheckRow).where(LIVE).order_by(CheckRow.taken_on, CheckRow.id)).all()
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


# --------------------------------------------------------------------------- delete / undo


def _utc(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None)


def _row(s: Session, check_id: int, *, deleted: bool) -> CheckRow:
    """The session's runner's check `check_id`, live or deleted; KeyError when there is none."""
    row = None
    if 0 < check_id <= MAX_ID:
        state = CheckRow.deleted_at.is_not(None) if deleted else LIVE
        row = s.scalar(select(CheckRow).where(CheckRow.id == check_id, state))
    if row is None:
        raise KeyError(f"no {'deleted ' if deleted else ''}check with id {check_id}")
    return row


def get_check(db: Database, check_id: int) -> CheckOutcome:
    """One stored check (not deleted); KeyError when there is none with that id."""
    with db.session() as s:
        row = _row(s, check_id, deleted=False)
        first = next((c.kujala.total for c in read_checks(s) if c.kujala is not None), None)
        return outcome_of(row, first)


def delete_check(db: Database, check_id: int, now: dt.datetime | None = None) -> CheckOutcome:
    """Delete one check; returns it (its id restores it). KeyError when there is none.

    Today, the plan and its gate recompute without it at once: deleting the only check makes
    Today ask for the check again; deleting a check with a red flag lifts that referral unless
    another reason (an earlier check's flag as the latest, a diary red flag) remains. Deletions
    older than TRASH_DAYS are purged first.
    """
    when = _utc(now)
    purge_deleted_checks(db, dt.timedelta(days=TRASH_DAYS), now=when)
    with db.session() as s:
        row = _row(s, check_id, deleted=False)
        gone = outcome_of(row)
        row.deleted_at = row.changed_at = when
        return gone


def restore_check(db: Database, check_id: int, now: dt.datetime | None = None) -> CheckOutcome:
    """Undo `delete_check`: the check is back exactly as it was. KeyError when there is no
    deleted check with that id (never deleted, purged, or another runner's)."""
    with db.session() as s:
        row = _row(s, check_id, deleted=True)
        row.deleted_at = None
        row.changed_at = max(_utc(now), row.changed_at or dt.datetime.min)
        s.flush()
        first = next((c.kujala.total for c in read_checks(s) if c.kujala is not None), None)
        return outcome_of(row, first)


def purge_deleted_checks(
    db: Database, older_than: dt.timedelta, now: dt.datetime | None = None
) -> int:
    """Remove checks deleted longer ago than `older_than` for good; how many."""
    cutoff = _utc(now) - older_than
    with db.session() as s:
        rows = s.scalars(
            select(CheckRow).where(CheckRow.deleted_at.is_not(None), CheckRow.deleted_at < cutoff)
        ).all()
        for row in rows:
            s.delete(row)
        return len(rows)
