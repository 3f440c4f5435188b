"""Tables of the clinic capability: a clinician's private notes on a runner."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from strideback.store.base import Base
from strideback.store.owned import RunnerOwned


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class ClinicNoteRow(RunnerOwned, Base):
    """One dated note a clinician wrote about a runner (`runner_id`): the clinician's record.

    Runner-owned for the storage layer's scoping (a session acting for one runner sees only
    that runner's notes), but never shown to the runner and not in the runner's backup
    (backup/archive.py EXCLUDED_TABLES).
    """

    __tablename__ = "clinic_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts_users.id"), index=True)
    noted_on: Mapped[dt.date] = mapped_column(Date, index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
