"""Accounts service: users, invites and logins (sessions: accounts/sessions.py).

With accounts/sessions.py, the only code that reads or writes the accounts tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from strideback.accounts.model import (
    INVITE_LIFETIME,
    AccountError,
    Role,
    User,
    check_password,
    check_role,
    check_username,
    throttled_until,
)
from strideback.accounts.passwords import dummy_hash, hash_password, verify_password
from strideback.store.accounts import InviteRow, LoginAttemptRow, SessionRow, UserRow
from strideback.store.db import Database


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=check_role(row.role),
        display_name=row.display_name,
        clinician_id=row.clinician_id,
        has_password=row.password_hash is not None,
        disabled=row.disabled,
    )


def local_runner(db: Database) -> int:
    """The id of the single local runner "me" (role runner, no password), created on first
    use: the runner the CLI and the single-user dashboard act for."""
    return db.local_runner()


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()


def add_user(
    db: Database,
    username: str,
    role: str,
    *,
    display_name: str | None = None,
    password: str | None = None,
    clinician_id: int | None = None,
) -> User:
    """Create a user. Runners may be assigned to a clinician; a password is optional (invite)."""
    name = check_username(username)
    checked_role: Role = check_role(role)
    hashed = hash_password(check_password(password)) if password is not None else None
    with db.session() as s:
        if clinician_id is not None:
            clinician = s.get(UserRow, clinician_id)
            if clinician is None or clinician.role != "clinician":
                raise AccountError(f"clinician: no clinician with id {clinician_id}")
            if checked_role != "runner":
                raise AccountError("clinician: only a runner is assigned to a clinician")
        row = UserRow(
            username=name,
            role=checked_role,
            display_name=(display_name or name).strip()[:128],
            password_hash=hashed,
            clinician_id=clinician_id,
            created_at=_now(),
            disabled=False,
        )
        s.add(row)
        try:
            s.flush()
        except IntegrityError as exc:
            raise AccountError(f"username: {name!r} is already taken") from exc
        return _user(row)


def list_users(db: Database, *, clinician_id: int | None = None) -> list[User]:
    """Every user (admin view), or a clinician's runners."""
    with db.session() as s:
        query = select(UserRow).order_by(UserRow.role, UserRow.username)
        if clinician_id is not None:
            query = query.where(UserRow.clinician_id == clinician_id)
        return [_user(row) for row in s.scalars(query)]


def get_user(db: Database, user_id: int) -> User | None:
    with db.session() as s:
        row = s.get(UserRow, user_id)
        return _user(row) if row is not None else None


def has_admin(db: Database) -> bool:
    """Whether an admin who can log in exists (clinic mode needs one to start)."""
    with db.session() as s:
        query = select(UserRow.id).where(UserRow.role == "admin", UserRow.disabled.is_(False))
        return s.scalars(query.limit(1)).first() is not None


def invited_user(db: Database, code: str, *, now: dt.datetime | None = None) -> User | None:
    """The user a still-valid invite code is for (to greet them on the invite page)."""
    now = now or _now()
    with db.session() as s:
        invite = s.scalars(select(InviteRow).where(InviteRow.code_hash == _code_hash(code))).first()
        if invite is None or invite.used_at is not None or invite.expires_at <= now:
            return None
        row = s.get(UserRow, invite.user_id)
        return _user(row) if row is not None and not row.disabled else None


def create_invite(db: Database, user_id: int, *, now: dt.datetime | None = None) -> str:
    """A one-time code (shown once) with which the user sets their own password."""
    now = now or _now()
    code = secrets.token_urlsafe(24)
    with db.session() as s:
        if s.get(UserRow, user_id) is None:
            raise AccountError(f"user: no user with id {user_id}")
        s.add(
            InviteRow(user_id=user_id, code_hash=_code_hash(code), expires_at=now + INVITE_LIFETIME)
        )
    return code


def accept_invite(
    db: Database, code: str, password: str, *, now: dt.datetime | None = None
) -> User:
    """Set the password of the invited user; the code then stops working."""
    now = now or _now()
    hashed = hash_password(check_password(password))
    with db.session() as s:
        invite = s.scalars(select(InviteRow).where(InviteRow.code_hash == _code_hash(code))).first()
        if invite is None or invite.used_at is not None or invite.expires_at <= now:
            raise AccountError("invite: this code is unknown, used or expired; ask for a new one")
        row = s.get(UserRow, invite.user_id)
        if row is None or row.disabled:
            raise AccountError("invite: this account is no longer active")
        row.password_hash = hashed
        invite.used_at = now
        return _user(row)


def reset_password(db: Database, username: str) -> str:
    """Clear a user's password and return a fresh invite code (admin action)."""
    name = check_username(username)
    with db.session() as s:
        row = s.scalars(select(UserRow).where(UserRow.username == name)).first()
        if row is None:
            raise AccountError(f"user: no user called {name!r}")
        row.password_hash = None
        user_id = row.id
        # Whoever was logged in as this user is logged out.
        s.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
    return create_invite(db, user_id)


def authenticate(
    db: Database, username: str, password: str, *, now: dt.datetime | None = None
) -> User:
    """The user for these credentials, or AccountError (one message for every failure).

    After repeated failures a username is throttled for a while, whatever the password.
    """
    now = now or _now()
    name = username.strip().lower()
    with db.session() as s:
        failures = list(
            s.scalars(select(LoginAttemptRow.at).where(LoginAttemptRow.username == name))
        )
        until = throttled_until(failures, now)
        if until is not None:
            minutes = max(1, int((until - now).total_seconds() // 60) + 1)
            raise AccountError(f"Too many failed logins: try again in {minutes} min.")
        row = s.scalars(select(UserRow).where(UserRow.username == name)).first()
        stored = row.password_hash if row is not None else None
        ok = verify_password(stored or dummy_hash(), password) and stored is not None
        user = _user(row) if row is not None and ok and not row.disabled else None
        if user is None:
            # Recorded in this transaction, which commits: the error is raised after it.
            s.add(LoginAttemptRow(username=name[:64], at=now))
        else:
            s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.username == name))
    if user is None:
        raise AccountError("Wrong username or password.")
    return user
