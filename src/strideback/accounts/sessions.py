"""Server-side login sessions: a random token in the browser's cookie, its SHA-256 here.

A session ends 12 hours after it was last used or 7 days after login, whichever is first
(accounts.model), on logout, and when the user's password is reset. Logging in always
starts a new session (the old token, if any, stops working), so a token planted before
login is useless after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, or_, select

from strideback.accounts.model import (
    SESSION_IDLE,
    SESSION_MAX_AGE,
    SESSION_TOUCH_EVERY,
    User,
    session_is_live,
)
from strideback.accounts.service import _now, _user
from strideback.store.accounts import SessionRow, UserRow
from strideback.store.db import Database


@dataclass(frozen=True)
class LiveSession:
    """A session that is still valid, with its user and (for a clinician) the chosen runner."""

    id: int
    user: User
    acting_runner_id: int | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(
    db: Database, user_id: int, *, now: dt.datetime | None = None, replacing: str | None = None
) -> str:
    """A new session for the user; returns its token (for the cookie, never stored).

    `replacing`: the browser's previous token, which is ended (session rotation).
    """
    now = now or _now()
    token = secrets.token_urlsafe(32)
    with db.session() as s:
        if replacing:
            s.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash(replacing)))
        # Sessions that have ended (anyone's) are cleared out here, so the table stays small.
        s.execute(
            delete(SessionRow).where(
                or_(
                    SessionRow.created_at <= now - SESSION_MAX_AGE,
                    SessionRow.last_seen_at <= now - SESSION_IDLE,
                )
            )
        )
        s.add(
            SessionRow(
                token_hash=token_hash(token), user_id=user_id, created_at=now, last_seen_at=now
            )
        )
    return token


def resume_session(
    db: Database, token: str | None, *, now: dt.datetime | None = None
) -> LiveSession | None:
    """The live session for this cookie token, or None (unknown, expired, user disabled)."""
    if not token:
        return None
    now = now or _now()
    with db.session() as s:
        row = s.scalars(
            select(SessionRow).where(SessionRow.token_hash == token_hash(token))
        ).first()
        if row is None:
            return None
        user = s.get(UserRow, row.user_id)
        alive = session_is_live(row.created_at, row.last_seen_at, now)
        if not alive or user is None or user.disabled or user.password_hash is None:
            s.delete(row)
            return None
        if now - row.last_seen_at >= SESSION_TOUCH_EVERY:
            row.last_seen_at = now
        return LiveSession(id=row.id, user=_user(user), acting_runner_id=row.acting_runner_id)


def end_session(db: Database, token: str | None) -> None:
    """Log out: the token stops working at once."""
    if not token:
        return
    with db.session() as s:
        s.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash(token)))


def end_user_sessions(db: Database, user_id: int) -> int:
    """End every session of a user (password reset, account disabled); how many ended."""
    with db.session() as s:
        result = s.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
        return int(getattr(result, "rowcount", 0) or 0)


def set_acting_runner(db: Database, session_id: int, runner_id: int | None) -> None:
    """Remember which runner a clinician works on in this session (checked by the caller)."""
    with db.session() as s:
        row = s.get(SessionRow, session_id)
        if row is not None:
            row.acting_runner_id = runner_id
