"""The diary: one writer for the CLI and the web (merge semantics), delete and undo, reads.

`save_day` is the only way a runner's input reaches the diary: a field given replaces the
stored value, a field left out (None) keeps it, False unsets a flag. Future days are refused.
The next-morning pain belongs to the session it follows: `morning_day` finds that day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from strideback.activities.queries import summary_in
from strideback.assess.questions import load_definition
from strideback.coach.history import local_day, runs_between
from strideback.domain import SESSION_DONE, SWELLING, DiaryEntry, SessionDone
from strideback.store.coach import DiaryRow
from strideback.store.db import Database

__all__ = [
    "DONE_ALIASES",
    "delete_day",
    "diary",
    "log_day",
    "log_from_activity",
    "morning_day",
    "read_diary",
    "restore_day",
    "save_day",
]

DONE_ALIASES: dict[str, SessionDone] = {"planned": "done", "yes": "done"}
PAIN_FIELDS = ("pain_during", "pain_after", "pain_next_morning", "squat_test_pain", "hop_test_pain")
READINESS_FIELDS = ("squat_test_pain", "hop_test_pain")
FLAG_FIELDS = ("sharp_pain", "limp", "red_flag")
ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(DiaryEntry))
# A next-morning answer goes to the last session at most this many days back (else yesterday).
MORNING_LOOKBACK_DAYS = 3
assert set(get_args(SessionDone)) == set(SESSION_DONE)


def _validate_entry(entry: DiaryEntry, today: dt.date | None = None) -> DiaryEntry:
    if not isinstance(entry.day, dt.date):
        raise ValueError(f"day must be a date, got {entry.day!r}")
    if today is not None and entry.day > today:
        raise ValueError(
            f"{entry.day.isoformat()} is in the future (today is {today.isoformat()}): the diary "
            "records days that have happened"
        )
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
    if done is not None and done not in SESSION_DONE:
        raise ValueError(
            f"done must be one of done (planned session done), modified, skipped, rest; "
            f"got {entry.done!r}"
        )
    kind = entry.red_flag_kind or None
    if kind is not None:
        known = [k.id for k in load_definition().diary_flags]
        if kind not in known:
            raise ValueError(f"red flag kind must be one of {', '.join(known)}; got {kind!r}")
    red_flag = bool(entry.red_flag or kind)
    return dataclasses.replace(
        entry,
        swelling=swelling,
        done=done,
        red_flag=red_flag,
        red_flag_kind=kind if red_flag else None,
    )


def _day_row(s: Session, day: dt.date) -> DiaryRow | None:
    """The session's runner's row of `day` (store/db.py adds the runner to the query)."""
    return s.scalar(select(DiaryRow).where(DiaryRow.day == day))


def to_entry(row: DiaryRow) -> DiaryEntry:
    return DiaryEntry(**{name: getattr(row, name) for name in ENTRY_FIELDS})


def _write(s: Session, entry: DiaryEntry) -> DiaryEntry:
    """Store `entry` as the whole day (validated already); link that day's run if none."""
    if entry.activity_id is not None:
        try:
            summary_in(s, entry.activity_id)
        except KeyError:
            raise ValueError(f"no activity with id {entry.activity_id} in the history") from None
    else:
        runs = runs_between(s, entry.day, entry.day)
        if runs:
            entry = dataclasses.replace(entry, activity_id=runs[0].id)
    row = _day_row(s, entry.day)
    if row is None:
        row = DiaryRow(day=entry.day)
        s.add(row)
    for name in ENTRY_FIELDS:
        if name != "day":
            setattr(row, name, getattr(entry, name))
    row.updated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return entry


def _apply_changes(old: DiaryEntry, changes: dict[str, Any]) -> DiaryEntry:
    unknown = sorted(set(changes) - set(ENTRY_FIELDS))
    if unknown:
        raise ValueError(f"unknown diary field(s): {', '.join(unknown)}")
    given = {k: v for k, v in changes.items() if v is not None and k != "day"}
    if given.get("red_flag") is False:
        given["red_flag_kind"] = None
    if given.get("red_flag_kind") == "":
        given["red_flag_kind"] = None
        given.setdefault("red_flag", False)
    return dataclasses.replace(old, **given)


def save_day(
    db: Database, day: dt.date, changes: dict[str, Any], *, today: dt.date | None = None
) -> DiaryEntry:
    """Merge `changes` into the diary day (CLI `log` and the web forms both call this).

    A field given replaces the stored value; a field left out or None keeps it; False unsets a
    flag (`--no-sharp`); a red-flag kind sets the red flag. With `today`, a future day is refused.
    Raises ValueError with a clear message; nothing is written then.
    """
    with db.session() as s:
        row = _day_row(s, day)
        old = to_entry(row) if row is not None else DiaryEntry(day=day)
        entry = _validate_entry(_apply_changes(old, changes), today)
        return _write(s, entry)


def log_day(
    db: Database, entry: DiaryEntry, *, merge: bool = False, today: dt.date | None = None
) -> DiaryEntry:
    """Store a whole diary entry (replace), or with merge=True fill in the fields it sets.

    A readiness test result already stored for the day is kept when `entry` leaves it empty.
    """
    if merge:
        changes = {
            name: getattr(entry, name)
            for name in ENTRY_FIELDS
            if name not in FLAG_FIELDS and name != "swelling"
        }
        changes.update({name: True for name in FLAG_FIELDS if getattr(entry, name)})
        if entry.swelling and entry.swelling != "none":
            changes["swelling"] = entry.swelling
        return save_day(db, entry.day, changes, today=today)
    entry = _validate_entry(entry, today)
    with db.session() as s:
        row = _day_row(s, entry.day)
        if row is not None:
            kept = {
                name: getattr(row, name)
                for name in READINESS_FIELDS
                if getattr(entry, name) is None and getattr(row, name) is not None
            }
            entry = dataclasses.replace(entry, **kept)
        return _write(s, entry)


def log_from_activity(db: Database, activity_id: int, **fields: Any) -> DiaryEntry:
    """Create or fill the diary day of an imported run and link it (`log --from-activity`)."""
    with db.session() as s:
        try:
            day = local_day(summary_in(s, activity_id))
        except KeyError:
            raise ValueError(f"no activity with id {activity_id} in the history") from None
    fields.setdefault("done", "done")
    if fields.get("done") is None:
        fields["done"] = "done"
    return save_day(db, day, {**fields, "activity_id": activity_id})


def delete_day(db: Database, day: dt.date) -> DiaryEntry | None:
    """Remove one diary day; returns what was deleted (for an undo), None if there was none."""
    with db.session() as s:
        row = _day_row(s, day)
        if row is None:
            return None
        entry = to_entry(row)
        s.delete(row)
        return entry


def restore_day(db: Database, entry: DiaryEntry) -> DiaryEntry:
    """Undo a delete: put the deleted entry back exactly as it was."""
    entry = _validate_entry(entry)
    with db.session() as s:
        return _write(s, entry)


def read_diary(
    s: Session, start: dt.date | None = None, end: dt.date | None = None
) -> list[DiaryEntry]:
    query = select(DiaryRow).order_by(DiaryRow.day)
    if start is not None:
        query = query.where(DiaryRow.day >= start)
    if end is not None:
        query = query.where(DiaryRow.day <= end)
    return [to_entry(r) for r in s.scalars(query).all()]


def diary(
    db: Database, start: dt.date | None = None, end: dt.date | None = None
) -> list[DiaryEntry]:
    """Diary entries between start and end (inclusive), oldest first."""
    with db.session() as s:
        return read_diary(s, start, end)


def is_session(entry: DiaryEntry) -> bool:
    """Did the runner do (or start) a session that day?"""
    return (
        entry.done in ("done", "modified")
        or entry.activity_id is not None
        or (entry.done is None and entry.pain_during is not None)
    )


def morning_day(db: Database, today: dt.date) -> dt.date:
    """The day a next-morning answer given `today` belongs to: the last session day (up to
    three days back), else yesterday."""
    first = today - dt.timedelta(days=MORNING_LOOKBACK_DAYS)
    for entry in reversed(diary(db, first, today - dt.timedelta(days=1))):
        if is_session(entry):
            return entry.day
    return today - dt.timedelta(days=1)
