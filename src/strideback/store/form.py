"""Table for analysed form clips: one row per analysis, metrics and checks as JSON text."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strideback.store.base import Base
from strideback.store.owned import RunnerOwned


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class FormClipRow(RunnerOwned, Base):
    __tablename__ = "form_clips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_utcnow, index=True)
    recorded_on: Mapped[dt.date] = mapped_column(Date, index=True)  # the day of the run
    runner: Mapped[str | None] = mapped_column(String(100), nullable=True)
    video_path: Mapped[str] = mapped_column(String(1000))
    video_sha256: Mapped[str] = mapped_column(String(64), index=True)
    view: Mapped[str] = mapped_column(String(16))
    task: Mapped[str] = mapped_column(String(32))
    fps: Mapped[float] = mapped_column(Float)
    capture_fps: Mapped[float] = mapped_column(Float)
    out_dir: Mapped[str] = mapped_column(String(1000))
    metrics_json: Mapped[str] = mapped_column(Text)
    quality_json: Mapped[str] = mapped_column(Text)
    backend: Mapped[str] = mapped_column(String(100))
    # form_0003: soft delete (undo). While deleted, the clip's files lie in the runner's trash
    # folder (`out_dir` points there) and `deleted_from` keeps the folder they came from.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    deleted_from: Mapped[str | None] = mapped_column(String(1000), nullable=True)
