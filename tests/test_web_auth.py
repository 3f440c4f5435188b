"""Clinic mode in the dashboard: login, sessions (expiry, rotation, logout), throttling,
roles, one-time invites, the acting runner, and `strideback serve`'s binding rules."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from urllib.parse import unquote

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from strideback.accounts.model import MAX_FAILURES, SESSION_IDLE, SESSION_MAX_AGE
from strideback.accounts.service import add_user, authenticate, list_users
from strideback.cli import app as cli_app
from strideback.coach.diary import log_day
from strideback.domain import DiaryEntry
from strideback.store.accounts import SessionRow, UserRow
from strideback.store.db import open_database
from strideback.web import create_app
from strideback.web.auth import SESSION_COOKIE
from strideback.web.deps import acting_runner, current_user

PASSWORD = "correct horse battery"
START = dt.datetime(2026, 12, 1, 9, 0)


@pytest.fixture()
def clock() -> dict:
    return {"now": START}


@pytest.fixture()
def people(db_url: str) -> dict:
    db = open_database(db_url)
    admin = add_user(db, "admin", "admin", password=PASSWORD)
    physio = add_user(db, "physio", "clinician", display_name="Pia Physio", password=PASSWORD)
    other = add_user(db, "physio2", "clinician", password=PASSWORD)
    r1 = add_user(db, "runner1", "runner", password=PASSWORD, clinician_id=physio.id)
    r2 = add_user(db, "runner2", "runner", password=PASSWORD, clinician_id=other.id)
    return {"db": db, "admin": admin, "physio": physio, "physio2": other, "r1": r1, "r2": r2}


def _whoami_routes(app) -> None:  # type: ignore[no-untyped-def]
    """A probe route for the request-scoped values the data layer will use."""

    @app.get("/_probe/acting")
    def probe(request: Request) -> dict:
        user = current_user(request)
        runner = acting_runner(request)
        return {
            "user": user.username if user else None,
            "runner": runner.username if runner else None,
        }


@pytest.fixture()
def clinic_app(db_url: str, people: dict, clock: dict):
    app = create_app(db_url, jobs_in_processes=False, clinic=True, now=lambda: clock["now"])
    _whoami_routes(app)
    return app


def client_for(app, base_url: str = "http://127.0.0.1") -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, base_url=base_url, follow_redirects=False)


def csrf(client: TestClient) -> str:
    client.get("/login")
    token = client.cookies.get("sb_csrf")
    assert token
    return token


def login(client: TestClient, username: str, password: str = PASSWORD, next_: str = ""):  # type: ignore[no-untyped-def]
    data = {"username": username, "password": password, "csrf_token": csrf(client)}
    if next_:
        data["next"] = next_
    return client.post("/login", data=data)


def post(client: TestClient, path: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    client.get("/healthz")
    token = client.cookies.get("sb_csrf")
    if not token:  # after login the CSRF cookie is renewed on the next page
        client.get("/login")
        token = client.cookies.get("sb_csrf")
    return client.post(path, data={**(data or {}), "csrf_token": token})


# --- the single-user default is unchanged -------------------------------------------------


def test_single_user_mode_has_no_login(db_url: str) -> None:
    app = create_app(db_url, jobs_in_processes=False)
    _whoami_routes(app)
    with client_for(app) as c:
        assert c.get("/").status_code == 200
        assert c.get("/login").status_code == 404
        assert c.get("/users").status_code == 404
        assert c.get("/_probe/acting").json() == {"user": None, "runner": None}
        assert SESSION_COOKIE not in c.cookies
        assert "Log out" not in c.get("/").text


def test_the_environment_variable_turns_clinic_mode_on(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIDEBACK_CLINIC", "1")
    with client_for(create_app(db_url, jobs_in_processes=False)) as c:
        r = c.get("/")
        assert r.status_code == 303 and r.headers["location"] == "/login"


# --- the gate -----------------------------------------------------------------------------


def test_every_page_needs_a_login_except_the_public_ones(clinic_app) -> None:
    with client_for(clinic_app) as c:
        for path in ["/", "/diary", "/load", "/check", "/plan", "/activities", "/form"]:
            r = c.get(path)
            assert r.status_code == 303, path
            assert r.headers["location"].startswith("/login"), path
        r = c.get("/plan?weeks=8")
        assert unquote(r.headers["location"]) == "/login?next=/plan?weeks=8"
        # An API/JSON call and an htmx call get 401, not a login page.
        api = c.get("/jobs/1", headers={"accept": "application/json"})
        assert api.status_code == 401 and api.json() == {"detail": "Please log in first."}
        assert c.get("/api/jobs/1").status_code == 401  # an API path, whatever it accepts
        hx = c.get(
            "/jobs/1",
            headers={"hx-request": "true", "hx-current-url": "http://127.0.0.1/activities"},
        )
        assert hx.status_code == 401 and hx.headers["hx-redirect"] == "/login?next=%2Factivities"
        assert c.post("/diary", data={"day": "2026-03-01"}).status_code == 401
        for public in ["/login", "/static/app.css", "/healthz", "/invite/nonsense"]:
            assert c.get(public).status_code in (200, 404), public
        assert c.get("/login").status_code == 200
        assert c.get("/static/app.css").status_code == 200


def test_login_form_needs_the_csrf_token(clinic_app) -> None:
    with client_for(clinic_app) as c:
        c.get("/login")
        r = c.post("/login", data={"username": "runner1", "password": PASSWORD})
        assert r.status_code == 403 and "security token" in r.text


def test_login_sets_a_server_side_session_cookie(clinic_app, people: dict) -> None:
    with client_for(clinic_app) as c:
        r = login(c, "runner1", next_="/plan")
        assert r.status_code == 303 and r.headers["location"] == "/plan"
        cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain http on loopback, no --secure-cookies
        # The CSRF token is renewed with the session (a fresh one comes with the next page).
        assert any(
            h.startswith("sb_csrf=") and "Max-Age=0" in h for h in r.headers.get_list("set-cookie")
        )
        token = c.cookies.get(SESSION_COOKIE)
        assert token and len(token) >= 40
        with people["db"].session() as s:
            stored = list(s.scalars(select(SessionRow.token_hash)))
        assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64
        page = c.get("/")
        assert page.status_code == 200 and "runner1" in page.text and "Log out" in page.text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_next_goes_only_to_a_page_of_this_site(clinic_app, target: str) -> None:
    with client_for(clinic_app) as c:
        r = login(c, "physio", next_=target)
        assert r.status_code == 303 and r.headers["location"] == "/runners"


def test_the_home_page_after_login_depends_on_the_role(clinic_app) -> None:
    for username, home in [("admin", "/users"), ("physio", "/runners"), ("runner1", "/")]:
        with client_for(clinic_app) as c:
            assert login(c, username).headers["location"] == home


def test_secure_cookie_over_https_or_when_asked(db_url: str, people: dict) -> None:
    https = create_app(db_url, jobs_in_processes=False, clinic=True)
    with client_for(https, "https://127.0.0.1") as c:
        r = login(c, "runner1")
        assert "Secure" in next(
            h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
        )
    asked = create_app(db_url, jobs_in_processes=False, clinic=True, secure_cookies=True)
    with client_for(asked) as c:
        r = login(c, "runner1")
        assert "Secure" in next(
            h for h in r.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
        )


def test_login_rotates_the_session(clinic_app) -> None:
    with client_for(clinic_app) as c:
        login(c, "runner1")
        first = c.cookies.get(SESSION_COOKIE)
        login(c, "runner1")
        second = c.cookies.get(SESSION_COOKIE)
        assert first and second and first != second
        assert c.get("/").status_code == 200
    with client_for(clinic_app) as stale:
        stale.cookies.set(SESSION_COOKIE, first)
        r = stale.get("/")
        assert r.status_code == 303  # the pre-login token no longer works
        assert any(
            h.startswith(f'{SESSION_COOKIE}=""') or h.startswith(f"{SESSION_COOKIE}=;")
            for h in r.headers.get_list("set-cookie")
        )


def test_logout_deletes_the_session(clinic_app, people: dict) -> None:
    with client_for(clinic_app) as c:
        login(c, "runner1")
        token = c.cookies.get(SESSION_COOKIE)
        r = post(c, "/logout")
        assert r.status_code == 303 and r.headers["location"] == "/login"
        with people["db"].session() as s:
            assert list(s.scalars(select(SessionRow))) == []
    with client_for(clinic_app) as again:
        again.cookies.set(SESSION_COOKIE, token)
        assert again.get("/").status_code == 303


def test_session_expires_after_idle_time(clinic_app, clock: dict) -> None:
    with client_for(clinic_app) as c:
        login(c, "runner1")
        clock["now"] = START + SESSION_IDLE - dt.timedelta(minutes=5)
        assert c.get("/").status_code == 200  # used again: the idle time starts over
        clock["now"] += SESSION_IDLE - dt.timedelta(minutes=5)
        assert c.get("/").status_code == 200
        clock["now"] += SESSION_IDLE + dt.timedelta(minutes=1)
        r = c.get("/")
        assert r.status_code == 303 and r.headers["location"] == "/login"


def test_ended_sessions_are_cleared_out_at_the_next_login(
    clinic_app, clock: dict, people: dict
) -> None:
    with client_for(clinic_app) as c:
        login(c, "runner1")
    clock["now"] = START + SESSION_IDLE + dt.timedelta(minutes=1)
    with client_for(clinic_app) as c:
        login(c, "physio")
    with people["db"].session() as s:
        owners = list(s.scalars(select(SessionRow.user_id)))
    assert owners == [people["physio"].id]


def test_session_expires_after_its_absolute_age(clinic_app, clock: dict) -> None:
    with client_for(clinic_app) as c:
        login(c, "runner1")
        step = SESSION_IDLE - dt.timedelta(hours=1)
        while clock["now"] + step < START + SESSION_MAX_AGE:
            clock["now"] += step
            assert c.get("/").status_code == 200
        clock["now"] = START + SESSION_MAX_AGE
        assert c.get("/").status_code == 303  # used all along, still over after 7 days


def test_login_is_throttled_in_the_web(clinic_app) -> None:
    with client_for(clinic_app) as c:
        for _ in range(MAX_FAILURES):
            r = login(c, "runner1", "not the password")
            assert r.status_code == 401 and "Wrong username or password." in r.text
        r = login(c, "runner1")  # the right password, but too many failures just now
        assert r.status_code == 429
        assert re.search(r"Too many failed logins: try again in \d+ min\.", r.text)
        assert SESSION_COOKIE not in c.cookies


# --- roles --------------------------------------------------------------------------------


def test_roles_are_enforced(clinic_app, people: dict) -> None:
    r2 = people["r2"].id
    with client_for(clinic_app) as runner:
        login(runner, "runner1")
        assert runner.get("/users").status_code == 403
        assert runner.get("/runners").status_code == 403
        assert post(runner, "/users", {"username": "x1", "role": "admin"}).status_code == 403
        assert runner.get("/").status_code == 200
    with client_for(clinic_app) as physio:
        login(physio, "physio")
        assert physio.get("/users").status_code == 403
        page = physio.get("/runners")
        assert page.status_code == 200
        assert 'data-username="runner1"' in page.text
        assert "runner2" not in page.text  # another clinician's runner
        assert physio.get(f"/runners/{people['r1'].id}").status_code == 200
        assert physio.get(f"/runners/{r2}").status_code == 403
        assert physio.get("/runners/999999").status_code == 403  # same answer: leaks nothing
        assert post(physio, f"/runners/{r2}").status_code == 403
    with client_for(clinic_app) as admin:
        login(admin, "admin")
        assert admin.get("/runners").status_code == 403
        for path in ["/", "/diary", "/plan", "/settings"]:  # admins act for no runner
            r = admin.get(path)
            assert r.status_code == 403 and "Admins manage accounts" in r.text, path
        users = admin.get("/users")
        assert users.status_code == 200 and "runner2" in users.text and "physio2" in users.text


def test_admin_creates_a_clinician_with_a_single_use_invite(clinic_app, people: dict) -> None:
    with client_for(clinic_app) as admin:
        login(admin, "admin")
        bad = post(admin, "/users", {"username": "newphysio", "role": "runner"})
        assert bad.status_code == 422
        r = post(
            admin, "/users", {"username": "NewPhysio", "display_name": "Nia", "role": "clinician"}
        )
        assert r.status_code == 200
        links = re.findall(r'value="(http://127\.0\.0\.1/invite/[^"]+)"', r.text)
        assert len(links) == 1
        dup = post(admin, "/users", {"username": "newphysio", "role": "clinician"})
        assert dup.status_code == 422 and "already taken" in dup.text
    path = links[0].removeprefix("http://127.0.0.1")
    with client_for(clinic_app) as newcomer:
        page = newcomer.get(path)
        assert page.status_code == 200 and "newphysio" in page.text
        differ = post(
            newcomer, path, {"password": "a long new password", "password_again": "other"}
        )
        assert differ.status_code == 422 and "differ" in differ.text
        short = post(newcomer, path, {"password": "short", "password_again": "short"})
        assert short.status_code == 422 and "at least 10" in short.text
        ok = post(
            newcomer,
            path,
            {"password": "a long new password", "password_again": "a long new password"},
        )
        assert ok.status_code == 200 and "password is set" in ok.text
        again = post(
            newcomer, path, {"password": "another password!", "password_again": "another password!"}
        )
        assert again.status_code == 404 and "already used" in again.text
        assert newcomer.get(path).status_code == 404
        assert login(newcomer, "newphysio", "a long new password").headers["location"] == "/runners"
    assert authenticate(people["db"], "newphysio", "a long new password").role == "clinician"


def test_clinician_invites_a_runner_assigned_to_them(clinic_app, people: dict) -> None:
    with client_for(clinic_app) as physio:
        login(physio, "physio")
        r = post(physio, "/runners", {"username": "newrunner", "display_name": "Nora"})
        assert r.status_code == 200 and "/invite/" in r.text
    mine = {u.username for u in list_users(people["db"], clinician_id=people["physio"].id)}
    assert mine == {"runner1", "newrunner"}


def test_admin_reset_logs_the_user_out(clinic_app, people: dict) -> None:
    with client_for(clinic_app) as runner, client_for(clinic_app) as admin:
        login(runner, "runner1")
        assert runner.get("/").status_code == 200
        login(admin, "admin")
        r = post(admin, f"/users/{people['r1'].id}/reset")
        assert r.status_code == 200 and "/invite/" in r.text
        assert runner.get("/").status_code == 303


# --- the acting runner --------------------------------------------------------------------


def test_acting_runner_for_each_role(clinic_app, people: dict) -> None:
    with client_for(clinic_app) as runner:
        login(runner, "runner1")
        assert runner.get("/_probe/acting").json() == {"user": "runner1", "runner": "runner1"}
    with client_for(clinic_app) as admin:
        login(admin, "admin")
        assert admin.get("/_probe/acting").status_code == 403
    with client_for(clinic_app) as physio:
        login(physio, "physio")
        assert physio.get("/_probe/acting").status_code == 403  # no runner chosen yet
        r = post(physio, f"/runners/{people['r1'].id}")
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert physio.get("/_probe/acting").json() == {"user": "physio", "runner": "runner1"}
        assert 'data-testid="acting-for"' in physio.get("/runners").text
        # Once the runner is no longer assigned to this clinician, the choice stops working.
        with people["db"].session() as s:
            s.execute(
                update(UserRow)
                .where(UserRow.id == people["r1"].id)
                .values(clinician_id=people["physio2"].id)
            )
        assert physio.get("/_probe/acting").status_code == 403


# --- `strideback serve` -------------------------------------------------------------------


@pytest.fixture()
def fake_uvicorn(monkeypatch: pytest.MonkeyPatch) -> list:
    import uvicorn

    calls: list = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw)))
    return calls


def test_serve_refuses_a_network_address_without_accounts(db_url: str, fake_uvicorn: list) -> None:
    result = CliRunner().invoke(cli_app, ["--db", db_url, "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to bind to 0.0.0.0" in result.output and "--clinic" in result.output
    assert fake_uvicorn == []


def test_serve_clinic_without_an_admin_says_how_to_make_one(
    db_url: str, fake_uvicorn: list
) -> None:
    result = CliRunner().invoke(cli_app, ["--db", db_url, "serve", "--clinic"])
    assert result.exit_code == 2
    assert "strideback users add NAME --role admin --password" in result.output
    assert fake_uvicorn == []


def test_serve_clinic_binds_a_network_address_and_asks_for_a_proxy(
    db_url: str, fake_uvicorn: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(open_database(db_url), "boss", "admin", password=PASSWORD)
    result = CliRunner().invoke(
        cli_app, ["--db", db_url, "serve", "--clinic", "--host", "0.0.0.0", "--secure-cookies"]
    )
    assert result.exit_code == 0, result.output
    assert "clinic mode" in result.output and "TLS reverse proxy" in result.output
    ((app, kwargs),) = fake_uvicorn
    assert kwargs["host"] == "0.0.0.0"
    assert app.state.clinic is True and app.state.secure_cookies is True
    monkeypatch.setenv("STRIDEBACK_CLINIC", "1")
    result = CliRunner().invoke(cli_app, ["--db", db_url, "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 0, result.output
    assert fake_uvicorn[-1][0].state.clinic is True


def test_serve_default_is_single_user_on_loopback(db_url: str, fake_uvicorn: list) -> None:
    result = CliRunner().invoke(cli_app, ["--db", db_url, "serve"])
    assert result.exit_code == 0, result.output
    ((app, kwargs),) = fake_uvicorn
    assert kwargs["host"] == "127.0.0.1" and app.state.clinic is False
    assert "clinic mode" not in result.output and "only this computer" in result.output


def test_serve_behind_a_proxy_answers_to_the_allowed_host_name(
    db_url: str, fake_uvicorn: list
) -> None:
    refused = CliRunner().invoke(
        cli_app, ["--db", db_url, "serve", "--allowed-host", "clinic.example.org"]
    )
    assert refused.exit_code == 2 and "needs --clinic" in refused.output
    add_user(open_database(db_url), "boss", "admin", password=PASSWORD)
    result = CliRunner().invoke(
        cli_app, ["--db", db_url, "serve", "--clinic", "--allowed-host", "clinic.example.org"]
    )
    assert result.exit_code == 0, result.output
    ((app, kwargs),) = fake_uvicorn
    assert kwargs["host"] == "127.0.0.1"
    with client_for(app, "https://clinic.example.org") as c:
        assert c.get("/login").status_code == 200
        assert c.get("/login", headers={"host": "evil.example"}).status_code == 400


def test_clinic_mode_backup_is_the_runners_own_and_restore_is_closed(clinic_app, people) -> None:
    """A runner downloads their own data only; a web restore (which could replace the
    thresholds their clinician set) is refused with the reason, and its form is not shown."""
    log_day(people["db"].for_runner(people["r1"].id), DiaryEntry(day=START.date(), pain_during=2,
            note="zz-runner-one-note"))  # fmt: skip
    log_day(people["db"].for_runner(people["r2"].id), DiaryEntry(day=START.date(), pain_during=3,
            note="zz-runner-two-note"))  # fmt: skip
    with client_for(clinic_app) as runner:
        login(runner, "runner1")
        page = runner.get("/settings")
        assert page.status_code == 200
        assert 'action="/settings/export"' in page.text
        assert 'action="/settings/restore"' not in page.text
        r = post(runner, "/settings/export")
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            everything = b"".join(zf.read(n) for n in zf.namelist())
        assert b"zz-runner-one-note" in everything
        assert b"zz-runner-two-note" not in everything
        assert b"password" not in everything.lower()  # no accounts in a backup
        r = post(runner, "/settings/restore")
        assert r.status_code == 403 and "thresholds your clinician set" in r.text
