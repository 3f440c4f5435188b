"""Tables for the coach: checks (with Kujala), the daily diary, settings, plan starts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strideback.store.base import Base
from strideback.store.owned import RunnerOwned


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class CheckRow(RunnerOwned, Base):
    """One completed knee check: the answers as given and what they led to."""

    __tablename__ = "coach_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    taken_on: Mapped[dt.date] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    answers: Mapped[str] = mapped_column(Text)  # JSON
    red_flags: Mapped[str] = mapped_column(Text)  # JSON list of ids
    referral: Mapped[str | None] = mapped_column(Text, nullable=True)
    pattern: Mapped[str] = mapped_column(String(40))
    pattern_message: Mapped[str] = mapped_column(Text)
    kujala_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kujala_items: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    can_start_plan: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list
    # coach_0006: soft delete (undo); every read leaves a deleted check out. `changed_at`: the
    # last delete or restore (the calendar's SEQUENCE must grow on both).
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class DiaryRow(RunnerOwned, Base):
    """One diary day of one runner (upserted by (runner, day))."""

    __tablename__ = "coach_diary"

    runner_id: Mapped[int] = mapped_column(
        ForeignKey("accounts_users.id"), primary_key=True, index=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    pain_during: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pain_after: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pain_next_morning: Mapped[int | None] = mapped_column(Integer, nullable=True)
    swelling: Mapped[str] = mapped_column(String(8), default="none")
    done: Mapped[str | None] = mapped_column(String(16), nullable=True)
    sharp_pain: Mapped[bool] = mapped_column(Boolean, default=False)
    limp: Mapped[bool] = mapped_column(Boolean, default=False)
    red_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # activities.id of that day's run (no foreign key: the activities table is another branch).
    activity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Run-readiness tests (coach_0002): pain 0–10 during the test, None = not done that day.
    squat_test_pain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hop_test_pain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # coach_0003: which red flag (assess/questions.yaml diary_red_flags), None = generic.
    red_flag_kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class SettingRow(RunnerOwned, Base):
    """A clinician override of one rule threshold for one runner (defaults: plan/rules.yaml)."""

    __tablename__ = "coach_settings"

    runner_id: Mapped[int] = mapped_column(
        ForeignKey("accounts_users.id"), primary_key=True, index=True
    )
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class PlanStartRow(RunnerOwned, Base):
    """When the plan started (the latest row wins); a clinician clearance restarts it."""

    __tablename__ = "coach_plan_starts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    start_on: Mapped[dt.date] = mapped_column(Date)
    set_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(200), default="")
    # coach_0002: set when a clinician cleared the runner after a referral (the clearance
    # covers every referral recorded on or before this day).
    cleared_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    restart_step: Mapped[str | None] = mapped_column(String(40), nullable=True)  # ladder step id


class CalendarRow(RunnerOwned, Base):
    """The runner's calendar identity (coach_0004): one random id, so event UIDs differ between
    runners and plans and a re-imported calendar replaces its own events."""

    __tablename__ = "coach_calendar"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_uid: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SettingAuditRow(RunnerOwned, Base):
    """One change of one threshold (coach_0007): who, when, which key, old and new value.

    Written in the same transaction as the change (coach/settings.py `update_settings`).
    `actor_id` is the account that made it (no foreign key: the row travels in the runner's
    backup to another database), `actor` its name then ("local runner", "cli" without one).
    """

    __tablename__ = "coach_settings_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[str] = mapped_column(Text)  # JSON
    new_value: Mapped[str] = mapped_column(Text)  # JSON
