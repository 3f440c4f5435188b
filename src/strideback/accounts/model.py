"""Plain model and rules of the accounts capability (no I/O)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal, get_args

Role = Literal["admin", "clinician", "runner"]
ROLES: tuple[Role, ...] = get_args(Role)

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10  # NIST SP 800-63B asks for at least 8; we ask a little more
MAX_PASSWORD_LENGTH = 256

# Throttling: after this many failures within the window, refuse further tries until it passes.
MAX_FAILURES = 5
FAILURE_WINDOW = dt.timedelta(minutes=15)
INVITE_LIFETIME = dt.timedelta(days=7)

# Sessions (OWASP Session Management Cheat Sheet: idle and absolute time-outs).
SESSION_IDLE = dt.timedelta(hours=12)
SESSION_MAX_AGE = dt.timedelta(days=7)
SESSION_TOUCH_EVERY = dt.timedelta(minutes=1)  # last-seen is written at most this often


class AccountError(ValueError):
    """A request about accounts that cannot be done, with a message a person can act on."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    display_name: str
    clinician_id: int | None
    has_password: bool
    disabled: bool


def check_username(username: str) -> str:
    """The normalised username, or AccountError saying what is wrong."""
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise AccountError(
            "username: use 2-64 lower-case letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    return name


def check_role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise AccountError(f"role: must be one of {', '.join(ROLES)}, got {role!r}")


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password: at least {MIN_PASSWORD_LENGTH} characters, please")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"password: at most {MAX_PASSWORD_LENGTH} characters")
    return password


def throttled_until(failures: list[dt.datetime], now: dt.datetime) -> dt.datetime | None:
    """When logins may be tried again, given the failure times; None when not throttled."""
    recent = sorted(t for t in failures if now - t < FAILURE_WINDOW)
    if len(recent) < MAX_FAILURES:
        return None
    return recent[-MAX_FAILURES] + FAILURE_WINDOW


def session_ends_at(created_at: dt.datetime, last_seen_at: dt.datetime) -> dt.datetime:
    """When a session stops working: 12 h after it was last used, 7 days after login at most."""
    return min(last_seen_at + SESSION_IDLE, created_at + SESSION_MAX_AGE)


def session_is_live(created_at: dt.datetime, last_seen_at: dt.datetime, now: dt.datetime) -> bool:
    return now < session_ends_at(created_at, last_seen_at)


def may_act_for(user: User, runner: User) -> bool:
    """Whether `user` may see and change `runner`'s pages: the runner themself, or the
    clinician the runner is assigned to. Admins manage accounts, not runners' data."""
    if runner.role != "runner" or runner.disabled:
        return False
    if user.role == "runner":
        return user.id == runner.id
    if user.role == "clinician":
        return runner.clinician_id == user.id
    return False
