"""The clinician board service: only the clinician's runners, most urgent first, never a
different referral or step than the runner's own Today, and a cache that follows every write."""

from __future__ import annotations

import datetime as dt

import pytest

from strideback.accounts.service import add_user
from strideback.clinic import board as board_module
from strideback.clinic.board import board, clear_cache
from strideback.coach import service
from strideback.coach.today import todays_session
from strideback.domain import DiaryEntry
from strideback.store.db import Database, open_database

START = dt.date(2026, 3, 2)
DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def _answers(**extra: object) -> dict:
    from test_coach_assess import pfp_answers

    return pfp_answers(**extra)


def _daily(db: Database, first: dt.date, last: dt.date, pain: int = 1) -> None:
    day = first
    while day <= last:
        service.log_day(db, DiaryEntry(day, pain_during=pain, pain_after=pain,
                                       pain_next_morning=0, done="done"))  # fmt: skip
        day += DAY


def _clinic(db: Database) -> tuple[int, int, dict[str, int]]:
    """Two clinicians; the first has three runners (calm, flare, silent), the second one."""
    physio = add_user(db, "physio", "clinician").id
    other = add_user(db, "other", "clinician").id
    ids = {
        name: add_user(db, name, "runner", display_name=name.title(), clinician_id=physio).id
        for name in ("calm", "flare", "silent")
    }
    ids["theirs"] = add_user(db, "theirs", "runner", clinician_id=other).id
    for runner in ids.values():
        r = db.for_runner(runner)
        service.run_check(r, _answers(), START)
        _daily(r, START, START + 9 * DAY)
    today = START + 10 * DAY
    _daily(db.for_runner(ids["calm"]), today, today)
    _daily(db.for_runner(ids["flare"]), today, today, pain=8)
    return physio, other, ids


def test_the_board_lists_only_the_clinician_s_runners_most_urgent_first(db: Database) -> None:
    physio, other, ids = _clinic(db)
    today = START + 10 * DAY
    rows = board(db, physio, today)
    assert [r.runner.username for r in rows] == ["flare", "calm", "silent"]
    flare, calm, silent = rows
    assert flare.reasons[0].kind == "flare" and "8/10" in flare.reasons[0].text
    assert calm.reasons == () and silent.reasons == ()
    assert flare.last_entry == today and silent.last_entry == today - DAY
    assert flare.trend[-1] == 8 and len(flare.trend) == 28 and flare.spark.lines
    assert [r.runner.username for r in board(db, other, today)] == ["theirs"]
    # Four days later the silent runner (no entry since) is listed, the calm one too.
    later = board(db, physio, today + 4 * DAY)
    by_name = {r.runner.username: r for r in later}
    assert by_name["silent"].reasons[0].kind == "no_entry"
    assert "5 days" in by_name["silent"].reasons[0].text
    assert by_name["calm"].reasons[0].kind == "no_entry"


def _scenarios() -> dict[str, object]:
    from test_coach_gate import ROUTES

    return ROUTES


@pytest.mark.parametrize("name", sorted(_scenarios()))
def test_the_board_agrees_with_today_about_referrals(db: Database, name: str) -> None:
    """Every route out of self-care of the gate tests (red flags in the check, another
    pattern, a diary red flag, two step-backs): the board's referral is Today's."""
    from test_coach_gate import TODAY

    physio = add_user(db, "physio", "clinician").id
    runner = add_user(db, "runner1", "runner", clinician_id=physio).id
    _scenarios()[name](db.for_runner(runner))  # type: ignore[operator]
    (row,) = board(db, physio, TODAY)
    view = todays_session(db.for_runner(runner), TODAY)
    assert view.referral is not None
    assert row.facts.referral is not None
    assert row.facts.referral.reason == view.referral
    assert row.facts.referral.urgency == view.urgency
    assert row.reasons[0].kind == "referral" and view.referral in row.reasons[0].text
    assert row.phase == view.phase == "refer"


def test_the_board_agrees_with_today_without_a_referral(db: Database) -> None:
    physio, _other, ids = _clinic(db)
    today = START + 10 * DAY
    for row in board(db, physio, today):
        view = todays_session(db.for_runner(row.runner.id), today)
        assert view.referral is None and row.facts.referral is None
        assert (row.phase, row.step) == (view.phase, view.step)
    # A review referral in week 7 (no Kujala retake, pain not improving): the same on both.
    calm = db.for_runner(ids["calm"])
    late = START + dt.timedelta(weeks=7, days=3)
    _daily(calm, today + DAY, late, pain=3)
    view = todays_session(calm, late)
    (row,) = [r for r in board(db, physio, late) if r.runner.id == ids["calm"]]
    assert view.referral is not None and row.facts.referral is not None
    assert row.facts.referral.reason == view.referral


def test_the_cache_follows_every_write(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    physio, _other, ids = _clinic(db)
    today = START + 10 * DAY
    computed: list[int] = []
    real = board_module.runner_facts

    def counting(runner_db: Database, day: dt.date):  # type: ignore[no-untyped-def]
        computed.append(runner_db.runner_id or 0)
        return real(runner_db, day)

    monkeypatch.setattr(board_module, "runner_facts", counting)
    board(db, physio, today)
    assert sorted(computed) == sorted([ids["calm"], ids["flare"], ids["silent"]])
    computed.clear()
    board(db, physio, today)
    assert computed == []  # nothing changed: no runner recomputed

    calm = db.for_runner(ids["calm"])
    service.save_day(calm, today, {"pain_during": 9}, today=today)  # an edited diary day
    rows = board(db, physio, today)
    assert computed == [ids["calm"]]
    assert [r.runner.username for r in rows][:2] in (["flare", "calm"], ["calm", "flare"])
    assert {r.runner.username: r for r in rows}["calm"].reasons[0].kind == "flare"

    computed.clear()
    service.delete_day(calm, today)  # a deleted day
    assert {r.runner.username: r for r in board(db, physio, today)}["calm"].reasons == ()
    assert computed == [ids["calm"]]

    computed.clear()
    service.update_settings(db.for_runner(ids["flare"]), {"pain_hold_max": 6})  # a threshold
    board(db, physio, today)
    assert computed == [ids["flare"]]

    computed.clear()
    service.run_check(db.for_runner(ids["silent"]), _answers(rf_locking="yes"), today)  # a check
    rows = board(db, physio, today)
    assert computed == [ids["silent"]] and rows[0].runner.username == "silent"

    computed.clear()
    board(db, physio, today + DAY)  # a new day: everyone
    assert len(computed) == 3


def test_the_board_on_postgresql(postgres_url: str) -> None:
    db = open_database(postgres_url)
    physio, _other, _ids = _clinic(db)
    rows = board(db, physio, START + 10 * DAY)
    assert [r.runner.username for r in rows] == ["flare", "calm", "silent"]
    assert rows[0].reasons[0].kind == "flare"


def test_the_board_page(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """/runners as the clinician: the board, most urgent first, with an SVG sparkline drawn
    with attributes and classes only (no inline style for the CSP), and the invite form."""
    import re

    from fastapi.testclient import TestClient

    from strideback.web import create_app

    monkeypatch.setenv("STRIDEBACK_HOME", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    db = open_database(url)
    physio, _other, ids = _clinic(db)
    from strideback.accounts.service import accept_invite, create_invite

    accept_invite(db, create_invite(db, physio), "physio password 1")
    today = START + 10 * DAY
    app = create_app(url, jobs_in_processes=False, clinic=True, today=lambda: today)
    client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    client.get("/login")
    login = client.post("/login", data={"username": "physio", "password": "physio password 1",
                                        "csrf_token": client.cookies.get("sb_csrf")})  # fmt: skip
    assert login.status_code == 303
    page = client.get("/runners")
    assert page.status_code == 200
    html = page.text
    order = re.findall(r'<tr data-username="([^"]+)"', html)
    assert order == ["flare", "calm", "silent"]
    assert "theirs" not in html  # another clinician's runner
    assert 'data-urgency="flare"' in html and "8/10" in html
    assert html.count('<svg class="spark"') == 3 and "<polyline" in html
    assert " style=" not in html and "<script>" not in html
    assert "default-src" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert 'class="add-runner-form"' in html and 'action="/runners/' in html


def test_every_kind_of_write_moves_the_runner_s_version(db: Database, activities_dir) -> None:  # type: ignore[no-untyped-def]
    """The versions behind the cache: ORM writes, bulk statements, imports, another process;
    writes Today does not read leave them alone."""
    from sqlalchemy import insert, update

    from strideback.activities.service import import_paths
    from strideback.clinic.board import fingerprints
    from strideback.preferences import set_preference
    from strideback.store.coach import DiaryRow
    from strideback.store.db import Database as FreshDatabase

    a, b = (add_user(db, name, "runner").id for name in ("runa", "runb"))
    seen = [fingerprints(db, [a, b])]

    def moved() -> tuple[bool, bool]:
        now = fingerprints(db, [a, b])
        before = seen[-1]
        seen.append(now)
        return now[a] != before[a], now[b] != before[b]

    _daily(db.for_runner(a), START, START)
    assert moved() == (True, False)
    with db.for_runner(b).session() as s:  # a bulk UPDATE statement
        s.execute(update(DiaryRow).values(note="x"))
    assert moved() == (False, True)
    import_paths(db.for_runner(a), [activities_dir / "Runalyze__Standard.tcx"])
    assert moved() == (True, False)
    set_preference(db.for_runner(a), "units", "mi")  # not read by Today
    assert moved() == (False, False)
    other_process = FreshDatabase(db.url)  # its own engine and sessions, as the CLI would
    service.update_settings(other_process.for_runner(b), {"pain_ok_max": 4})
    other_process.dispose()
    assert moved() == (False, True)
    with db.all_runners().session() as s:  # a bulk insert for no runner in particular
        s.execute(insert(DiaryRow), [{"runner_id": a, "day": START + DAY, "swelling": "none"}])
    assert moved() == (True, True)


def test_the_warmer_recomputes_in_the_background_and_stops_with_the_database(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from strideback.store.db import close_all

    physio, _other, ids = _clinic(db)
    today = START + 10 * DAY
    board(db, physio, today)
    computed: list[int] = []
    real = board_module.runner_facts

    def counting(runner_db: Database, day: dt.date):  # type: ignore[no-untyped-def]
        computed.append(runner_db.runner_id or 0)
        return real(runner_db, day)

    monkeypatch.setattr(board_module, "runner_facts", counting)
    board_module.keep_warm(db, physio, lambda: today, every=0.05)
    board_module.keep_warm(db, physio, lambda: today, every=0.05)  # one thread per clinician
    service.save_day(db.for_runner(ids["calm"]), today, {"pain_during": 8}, today=today)
    calm = ids["calm"]
    fresh = board_module.fingerprints(db, [calm])[calm]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        cached = board_module._CACHE.get((db.url, calm))
        if cached is not None and cached[1] == fresh:
            break
        time.sleep(0.05)
    assert computed[:1] == [calm]  # recomputed with no view
    computed.clear()
    rows = board(db, physio, today)  # the view finds it warm
    assert computed == [] and {r.runner.username: r for r in rows}["calm"].reasons
    thread = board_module._WARMERS[(db.url, physio)]
    close_all()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_a_clinic_server_warms_every_clinician_s_board_when_it_starts(db_url: str) -> None:
    """After a restart the first board view must not wait for every runner to be recomputed:
    the app's start-up warms each clinician's board in the background."""
    import time

    from fastapi.testclient import TestClient

    from strideback.store.db import close_all
    from strideback.web import create_app

    db = open_database(db_url)
    physio, other, ids = _clinic(db)
    today = START + 10 * DAY
    clear_cache()
    app = create_app(db_url, jobs_in_processes=False, clinic=True, today=lambda: today)
    with TestClient(app):
        deadline = time.monotonic() + 20
        wanted = {(db.url, runner) for runner in ids.values()}
        while time.monotonic() < deadline and not wanted <= set(board_module._CACHE):
            time.sleep(0.05)
        assert wanted <= set(board_module._CACHE)  # both clinicians' runners, with no view
        assert (db.url, physio) in board_module._WARMERS
        assert (db.url, other) in board_module._WARMERS
    close_all()
