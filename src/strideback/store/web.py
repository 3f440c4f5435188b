"""Tables for the web dashboard: background jobs whose progress survives a page reload."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strideback.store.base import Base
from strideback.store.owned import RunnerOwned


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class JobRow(RunnerOwned, Base):
    """One background job (an import or a video analysis) and its persisted progress."""

    __tablename__ = "web_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # import | form
    status: Mapped[str] = mapped_column(String(16), index=True)  # queued|running|done|error
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    params: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    result: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The server process running the job, and when it last said it is alive (web_0002).
    owner: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # What to run again after a restart (web_0004): the task's registered name, its
    # arguments (JSON list), the files it needs (JSON list: uploads kept until the job is
    # over for good) and how many times a worker started it (a crash loop stops).
    task: Mapped[str | None] = mapped_column(String(200), nullable=True)
    args: Mapped[str | None] = mapped_column(Text, nullable=True)
    inputs: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class WebPreference(RunnerOwned, Base):
    """A runner's display preferences (e.g. units km/mi): (runner, key) -> JSON value."""

    __tablename__ = "web_preferences"

    runner_id: Mapped[int] = mapped_column(
        ForeignKey("accounts_users.id"), primary_key=True, index=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
