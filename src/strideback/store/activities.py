"""Tables for imported activities: one row per activity, its series as one compressed blob."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from strideback.store.base import Base
from strideback.store.owned import RunnerOwned


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class SourceFile(RunnerOwned, Base):
    """A file a runner imported, keyed by (runner, SHA-256 of its bytes): re-import is a no-op."""

    __tablename__ = "source_files"

    runner_id: Mapped[int] = mapped_column(
        ForeignKey("accounts_users.id"), primary_key=True, index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # imported | duplicate | skipped
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ActivityRow(RunnerOwned, Base):
    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("runner_id", "source_sha256", "leg_index"),
        ForeignKeyConstraint(
            ["runner_id", "source_sha256"],
            ["source_files.runner_id", "source_files.sha256"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    leg_index: Mapped[int] = mapped_column(Integer, default=0)
    source_format: Mapped[str] = mapped_column(String(16))
    source_file: Mapped[str] = mapped_column(String(500))
    sport: Mapped[str] = mapped_column(String(32), index=True)
    # True while the sport is a guess (GPX without <type>); false once the file, the export's
    # activities.csv or the runner (set_sport) said it.
    sport_guessed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sub_sport: Mapped[str | None] = mapped_column(String(32), nullable=True)
    name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # Stored as naive UTC; utc_offset_s gives local time where the file said it.
    start_time: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    utc_offset_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    distance_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    elapsed_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    moving_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    ascent_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    descent_m: Mapped[float | None] = mapped_column(Float, nullable=True)
    avg_cadence_spm: Mapped[float | None] = mapped_column(Float, nullable=True)
    avg_hr_bpm: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_hr_bpm: Mapped[float | None] = mapped_column(Float, nullable=True)
    device: Mapped[str | None] = mapped_column(String(100), nullable=True)
    provenance: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    # Laps as compact JSON (see activities/laps.py): a few per activity, never queried alone.
    laps: Mapped[str | None] = mapped_column(Text, nullable=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # Set when the runner deletes the activity: hidden everywhere, restorable (undo) until
    # purged. Only activities/service.py reads or writes these tables.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)

    series: Mapped[ActivitySeries | None] = relationship(
        back_populates="activity", cascade="all, delete-orphan", uselist=False
    )


class ActivitySeries(RunnerOwned, Base):
    """The time series of one activity as a zlib-compressed .npz blob (not a row per sample)."""

    __tablename__ = "activity_series"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    n_samples: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    activity: Mapped[ActivityRow] = relationship(back_populates="series")
