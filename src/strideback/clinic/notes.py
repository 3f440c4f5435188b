"""A clinician's private notes on a runner: dated text, written, edited and deleted by its author.

Every function takes the database acting for the runner the notes are about
(`db.for_runner(runner_id)`): the storage layer keeps other runners' notes out of reach. Who
may call them is the caller's decision (the web's runner page: only the runner's clinician);
editing and deleting are for the note's author only. Notes are never shown to the runner and
are not part of the runner's backup (they are the clinician's records).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from strideback.store.clinic import ClinicNoteRow, utcnow
from strideback.store.db import Database

MAX_NOTE_CHARS = 5000
EARLIEST_NOTE = dt.date(1990, 1, 1)


class NoteError(ValueError):
    """A note that cannot be written (the message names the field), or is not yours."""


class NotTheAuthor(PermissionError):
    """Someone other than its author tried to change or delete a note."""


class NoteNotFound(LookupError):
    """No such note for this runner (or another runner's: the same answer)."""


@dataclass(frozen=True)
class Note:
    id: int
    runner_id: int
    author_id: int
    noted_on: dt.date
    text: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def edited(self) -> bool:
        return self.updated_at > self.created_at + dt.timedelta(seconds=1)


def clean_text(text: str) -> str:
    """The note's text without NUL characters and outer blank space; NoteError when empty
    or longer than MAX_NOTE_CHARS."""
    cleaned = text.replace("\x00", "").replace("\r\n", "\n").strip()
    if not cleaned:
        raise NoteError("note: write something first")
    if len(cleaned) > MAX_NOTE_CHARS:
        raise NoteError(f"note: at most {MAX_NOTE_CHARS} characters, got {len(cleaned)}")
    return cleaned


def check_day(day: dt.date, today: dt.date) -> dt.date:
    if not EARLIEST_NOTE <= day <= today:
        raise NoteError(f"date: {day.isoformat()} is not a date from 1990 to today")
    return day


def _note(row: ClinicNoteRow) -> Note:
    return Note(
        id=row.id,
        runner_id=row.runner_id,
        author_id=row.author_id,
        noted_on=row.noted_on,
        text=row.text,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def list_notes(db: Database) -> list[Note]:
    """The runner's notes, newest date first."""
    query = select(ClinicNoteRow).order_by(ClinicNoteRow.noted_on.desc(), ClinicNoteRow.id.desc())
    with db.session() as s:
        return [_note(r) for r in s.scalars(query)]


def add_note(db: Database, author_id: int, text: str, noted_on: dt.date, today: dt.date) -> Note:
    """A new note by `author_id` about the runner `db` acts for."""
    row = ClinicNoteRow(
        author_id=author_id, noted_on=check_day(noted_on, today), text=clean_text(text)
    )
    with db.session() as s:
        s.add(row)
        s.flush()
        return _note(row)


def _own_row(s: Session, note_id: int, author_id: int) -> ClinicNoteRow:
    row = s.scalar(select(ClinicNoteRow).where(ClinicNoteRow.id == note_id))
    if row is None:
        raise NoteNotFound(f"no note {note_id} for this runner")
    if row.author_id != author_id:
        raise NotTheAuthor("only the note's author may change or delete it")
    return row


def edit_note(
    db: Database, note_id: int, author_id: int, text: str, noted_on: dt.date, today: dt.date
) -> Note:
    """Change the text and date of one of your own notes."""
    cleaned, day = clean_text(text), check_day(noted_on, today)
    with db.session() as s:
        row = _own_row(s, note_id, author_id)
        row.text, row.noted_on, row.updated_at = cleaned, day, utcnow()
        s.flush()
        return _note(row)


def delete_note(db: Database, note_id: int, author_id: int) -> None:
    """Delete one of your own notes."""
    with db.session() as s:
        s.delete(_own_row(s, note_id, author_id))
