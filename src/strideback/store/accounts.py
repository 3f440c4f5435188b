"""Tables of the accounts capability (clinic mode): users, one-time invites, login attempts,
server-side login sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from strideback.store.base import Base


class UserRow(Base):
    """A person who logs in: an admin, a clinician or a runner."""

    __tablename__ = "accounts_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16), index=True)  # accounts.model.Role
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    clinician_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts_users.id"), nullable=True, index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    disabled: Mapped[bool] = mapped_column(default=False)


class InviteRow(Base):
    """A one-time code with which a runner (or clinician) sets their own password."""

    __tablename__ = "accounts_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the code
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class LoginAttemptRow(Base):
    """Failed logins per username, for throttling."""

    __tablename__ = "accounts_login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


class SessionRow(Base):
    """A logged-in browser: the SHA-256 of its random cookie token, never the token itself."""

    __tablename__ = "accounts_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("accounts_users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # The runner a clinician chose to work on (web/routes/users.py); None until chosen.
    acting_runner_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts_users.id"), nullable=True
    )
