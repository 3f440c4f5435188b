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
