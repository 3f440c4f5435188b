"""Accounts for clinic mode: users and roles, Argon2 passwords, invites, throttled logins."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from typer.testing import CliRunner

from strideback.accounts.model import MAX_FAILURES, AccountError, throttled_until
from strideback.accounts.service import (
    accept_invite,
    add_user,
    authenticate,
    create_invite,
    invited_user,
    list_users,
    reset_password,
)
from strideback.cli import app
from strideback.store.db import open_database

NOW = dt.datetime(2026, 12, 1, 12, 0)
GOOD = "correct horse battery"


def test_password_is_stored_as_argon2_and_checked(db) -> None:
    user = add_user(db, "Anna", "clinician", password=GOOD)
    assert user.username == "anna" and user.has_password
    assert authenticate(db, "anna", GOOD, now=NOW).id == user.id
    with pytest.raises(AccountError, match="Wrong username or password"):
        authenticate(db, "anna", "wrong password", now=NOW)
    with pytest.raises(AccountError, match="Wrong username or password"):
        authenticate(db, "nobody", GOOD, now=NOW)


def test_bad_input_names_the_field(db) -> None:
    with pytest.raises(AccountError, match="^username:"):
        add_user(db, "a b", "runner")
    with pytest.raises(AccountError, match="^role:"):
        add_user(db, "bob", "superuser")
    with pytest.raises(AccountError, match="^password:"):
        add_user(db, "bob", "runner", password="short")
    add_user(db, "bob", "runner")
    with pytest.raises(AccountError, match="already taken"):
        add_user(db, "BOB", "runner")


def test_runner_is_assigned_to_a_clinician_only(db) -> None:
    clinician = add_user(db, "physio", "clinician", password=GOOD)
    other = add_user(db, "other", "runner")
    with pytest.raises(AccountError, match="no clinician"):
        add_user(db, "r1", "runner", clinician_id=other.id)
    runner = add_user(db, "r2", "runner", clinician_id=clinician.id)
    assert [u.id for u in list_users(db, clinician_id=clinician.id)] == [runner.id]


def test_invite_sets_the_password_once(db) -> None:
    runner = add_user(db, "runner1", "runner")
    code = create_invite(db, runner.id, now=NOW)
    with pytest.raises(AccountError, match="Wrong username"):
        authenticate(db, "runner1", GOOD, now=NOW)  # no password yet
    accept_invite(db, code, GOOD, now=NOW + dt.timedelta(hours=1))
    assert authenticate(db, "runner1", GOOD, now=NOW).id == runner.id
    with pytest.raises(AccountError, match="unknown, used or expired"):
        accept_invite(db, code, "another long password", now=NOW + dt.timedelta(hours=2))


def test_invite_expires(db) -> None:
    runner = add_user(db, "runner2", "runner")
    code = create_invite(db, runner.id, now=NOW)
    with pytest.raises(AccountError, match="expired"):
        accept_invite(db, code, GOOD, now=NOW + dt.timedelta(days=8))


def test_reset_clears_the_password(db) -> None:
    add_user(db, "runner3", "runner", password=GOOD)
    code = reset_password(db, "runner3")
    with pytest.raises(AccountError):
        authenticate(db, "runner3", GOOD, now=NOW)
    accept_invite(db, code, "a brand new password")
    assert authenticate(db, "runner3", "a brand new password").username == "runner3"


def test_login_is_throttled_after_repeated_failures(db) -> None:
    add_user(db, "carol", "runner", password=GOOD)
    for i in range(MAX_FAILURES):
        with pytest.raises(AccountError, match="Wrong"):
            authenticate(db, "carol", "nope", now=NOW + dt.timedelta(seconds=i))
    # Even the right password is refused while throttled ...
    with pytest.raises(AccountError, match="Too many failed logins"):
        authenticate(db, "carol", GOOD, now=NOW + dt.timedelta(minutes=1))
    # ... and works once the window has passed.
    assert authenticate(db, "carol", GOOD, now=NOW + dt.timedelta(minutes=20)).username == "carol"


def test_throttle_rule_counts_only_recent_failures() -> None:
    old = [NOW - dt.timedelta(hours=1)] * 10
    assert throttled_until(old, NOW) is None
    recent = [NOW - dt.timedelta(minutes=m) for m in range(MAX_FAILURES)]
    until = throttled_until(recent, NOW)
    assert until is not None and until > NOW


def test_users_cli_add_list_reset(db_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db_url, "users", "add", "physio", "--role", "clinician"])
    assert result.exit_code == 0, result.output
    assert "invite code" in result.output
    code = re.search(r"/invite/([\w-]+)", result.output)
    assert code and invited_user(open_database(db_url), code.group(1)) is not None
    listed = runner.invoke(app, ["--db", db_url, "users", "list"])
    assert "physio" in listed.output and "(invited)" in listed.output
    bad = runner.invoke(app, ["--db", db_url, "users", "add", "x y"])
    assert bad.exit_code == 2 and "username" in bad.output
    reset = runner.invoke(app, ["--db", db_url, "users", "reset", "physio"])
    assert reset.exit_code == 0 and "One-time code" in reset.output


def test_accounts_on_postgresql(postgres_url: str) -> None:
    from strideback.store.db import open_database

    db = open_database(postgres_url)
    add_user(db, "pgphysio", "clinician", password=GOOD)
    assert authenticate(db, "pgphysio", GOOD).role == "clinician"


# --- sessions (accounts/sessions.py) and the access rule ----------------------------------


def test_session_rules_idle_and_absolute() -> None:
    from strideback.accounts.model import SESSION_IDLE, SESSION_MAX_AGE, session_is_live

    assert session_is_live(NOW, NOW + SESSION_IDLE / 2, NOW + SESSION_IDLE)
    assert not session_is_live(NOW, NOW, NOW + SESSION_IDLE)
    recent = NOW + SESSION_MAX_AGE - dt.timedelta(minutes=1)
    assert not session_is_live(NOW, recent, NOW + SESSION_MAX_AGE)


def test_may_act_for_follows_the_assignment() -> None:
    from strideback.accounts.model import User, may_act_for

    def person(uid: int, role: str, clinician: int | None = None) -> User:
        return User(uid, f"u{uid}", role, f"U{uid}", clinician, True, False)  # type: ignore[arg-type]

    physio, other, admin = person(1, "clinician"), person(2, "clinician"), person(3, "admin")
    runner, stranger = person(4, "runner", 1), person(5, "runner", 2)
    assert may_act_for(runner, runner) and not may_act_for(runner, stranger)
    assert may_act_for(physio, runner) and not may_act_for(physio, stranger)
    assert may_act_for(other, stranger) and not may_act_for(admin, runner)
    assert not may_act_for(physio, physio)  # a clinician is no runner


def _session_round_trip(db) -> None:  # type: ignore[no-untyped-def]
    from strideback.accounts.sessions import (
        end_session,
        resume_session,
        set_acting_runner,
        start_session,
    )

    physio = add_user(db, "sessphysio", "clinician", password=GOOD)
    runner = add_user(db, "sessrunner", "runner", password=GOOD, clinician_id=physio.id)
    token = start_session(db, physio.id, now=NOW)
    live = resume_session(db, token, now=NOW + dt.timedelta(hours=1))
    assert live is not None and live.user.id == physio.id and live.acting_runner_id is None
    set_acting_runner(db, live.id, runner.id)
    again = resume_session(db, token, now=NOW + dt.timedelta(hours=2))
    assert again is not None and again.acting_runner_id == runner.id
    assert resume_session(db, token + "x", now=NOW) is None
    rotated = start_session(db, physio.id, now=NOW + dt.timedelta(hours=3), replacing=token)
    assert resume_session(db, token, now=NOW + dt.timedelta(hours=3)) is None
    assert resume_session(db, rotated, now=NOW + dt.timedelta(hours=3)) is not None
    end_session(db, rotated)
    assert resume_session(db, rotated, now=NOW + dt.timedelta(hours=3)) is None


def test_sessions_start_resume_rotate_end(db) -> None:
    _session_round_trip(db)


def test_reset_and_expiry_end_sessions(db) -> None:
    from strideback.accounts.model import SESSION_IDLE
    from strideback.accounts.service import has_admin, invited_user
    from strideback.accounts.sessions import resume_session, start_session

    assert not has_admin(db)
    add_user(db, "boss", "admin", password=GOOD)
    assert has_admin(db)
    user = add_user(db, "dave", "runner", password=GOOD)
    token = start_session(db, user.id, now=NOW)
    assert resume_session(db, token, now=NOW + SESSION_IDLE + dt.timedelta(seconds=1)) is None
    token = start_session(db, user.id, now=NOW)
    code = reset_password(db, "dave")
    assert resume_session(db, token, now=NOW) is None
    invited = invited_user(db, code)
    assert invited is not None and invited.username == "dave"
    assert invited_user(db, "not-a-code") is None


def test_sessions_on_postgresql(postgres_url: str) -> None:
    from strideback.store.db import open_database

    _session_round_trip(open_database(postgres_url))
