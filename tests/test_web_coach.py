"""The dashboard over the real coach service: run-entry checklist, readiness tests in the
diary form, and the clinician clearance after a referral (TestClient, real SQLite)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

from strideback.domain import DiaryEntry
from strideback.web import create_app

coach = pytest.importorskip("strideback.coach.service")
START = dt.date(2026, 3, 2)


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


@pytest.fixture()
def app_and_clock(db_url: str):
    clock = {"day": START}
    app = create_app(db_url, jobs_in_processes=False, today=lambda: clock["day"])
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, app.state.db, clock


def token(client: TestClient) -> str:
    client.get("/healthz")
    if not client.cookies.get("sb_csrf"):
        client.get("/")
    return client.cookies.get("sb_csrf")


def checked_in(db) -> None:
    from test_coach_assess import pfp_answers

    coach.run_check(db, pfp_answers(), START)


def good_days(db, offsets) -> None:
    for k in offsets:
        coach.log_day(
            db, DiaryEntry(day(k), pain_during=1, pain_after=1, pain_next_morning=0, done="done")
        )


def criteria(page: str) -> dict[str, tuple[str, str]]:
    """criterion id -> (css state, data-met) from the Today page."""
    return {
        m.group(2): (m.group(1), m.group(3))
        for m in re.finditer(
            r'<li class="criterion (\w+)" data-criterion="(\w+)" data-met="(\w+)"', page
        )
    }


def test_checklist_only_on_the_gated_walk_step(app_and_clock) -> None:
    client, db, clock = app_and_clock
    checked_in(db)
    good_days(db, range(0, 8))
    clock["day"] = day(3)  # the 20-min walk step: no entry criteria yet
    page = client.get("/").text
    assert 'data-testid="entry-criteria"' not in page
    clock["day"] = day(8)  # the 30-min brisk walk, the entry test for running
    page = client.get("/").text
    assert 'data-testid="entry-criteria"' in page
    view = coach.todays_session(db, day(8))
    expected = {c.id: ("yes" if c.met else "no") for c in view.entry_criteria}
    found = criteria(page)
    assert {k: v[1] for k, v in found.items()} == expected
    assert found["brisk_walk"][0] == "blocking" and found["single_leg_squat_test"][0] == "blocking"
    assert found["hop_test"][0] == "open"  # optional and not done: not holding the plan
    assert "(optional)" in page and "0 of 2" in page
    assert "strideback log --" not in page  # the CLI hint is reworded for the page
    assert "in the diary below (Run-readiness tests)" in page
    # The readiness fields are open on the diary form while the checklist shows.
    assert re.search(r'<details class="readiness" open', page)


def test_logging_the_squat_test_meets_its_criterion(app_and_clock) -> None:
    client, db, clock = app_and_clock
    checked_in(db)
    good_days(db, range(0, 12))
    clock["day"] = day(12)
    before = criteria(client.get("/").text)
    assert before["brisk_walk"][1] == "yes" and before["single_leg_squat_test"][1] == "no"
    r = client.post(
        "/diary",
        data={
            "csrf_token": token(client),
            "day": day(12).isoformat(),
            "pain_during": "1",
            "pain_next_morning": "0",
            "done": "done",
            "squat_test_pain": "1",
            "hop_test_pain": "2",
            "next": "/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:300]
    (stored,) = coach.diary(db, day(12), day(12))
    assert (stored.squat_test_pain, stored.hop_test_pain) == (1, 2)
    after = criteria(client.get("/").text)
    assert after["single_leg_squat_test"] == ("met", "yes")
    assert "squat 1/10 hop 2/10" in client.get("/diary").text
    edit = client.get(f"/diary/{day(12).isoformat()}").text
    assert re.search(r'name="squat_test_pain"[^>]*value="1"', edit)
    assert re.search(r'name="hop_test_pain"[^>]*value="2"', edit)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"squat_test_pain": "11"}, "Single-leg squat test pain must be a whole number from 0"),
        ({"hop_test_pain": "abc"}, "Hop test pain must be a number from 0"),
        ({"hop_test_pain": "-2"}, "Hop test pain must be a whole number from 0"),
    ],
)
def test_readiness_inputs_are_validated(app_and_clock, fields: dict, message: str) -> None:
    client, db, _ = app_and_clock
    r = client.post(
        "/diary",
        data={"csrf_token": token(client), "day": START.isoformat(), **fields},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422
    assert message in r.text
    assert re.search(r'<details class="readiness"[^>]* open', r.text)  # the error is visible
    assert coach.diary(db) == []


def test_a_readiness_result_alone_is_a_valid_entry(app_and_clock) -> None:
    client, db, _ = app_and_clock
    r = client.post(
        "/diary",
        data={"csrf_token": token(client), "day": START.isoformat(), "squat_test_pain": "0"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and "Saved the diary" in r.text
    assert coach.diary(db)[0].squat_test_pain == 0


def referred(db) -> None:
    """Two step-backs in a row on the 20-min walk step: the plan refers (coach rule)."""
    checked_in(db)
    good_days(db, (0, 2))
    coach.log_day(db, DiaryEntry(day(4), pain_during=7, pain_next_morning=1, done="done"))
    coach.log_day(db, DiaryEntry(day(7), pain_during=1, pain_next_morning=1, limp=True))


def test_clearance_form_shows_on_referral_and_restarts_the_plan(app_and_clock) -> None:
    client, db, clock = app_and_clock
    referred(db)
    clock["day"] = day(10)
    page = client.get("/").text
    assert "action-refer" in page and 'data-testid="clearance-form"' in page
    assert 'data-testid="clearance-form"' in client.get("/plan").text
    tok = token(client)
    # CSRF protected like every form.
    r = client.post("/plan/clearance", data={"restart_step": "walk"})
    assert r.status_code == 403
    # Bad input: a clear message, nothing recorded.
    for fields, message in [
        ({"restart_step": "sprint"}, "Choose where the plan restarts"),
        ({"start": "tomorrow"}, "is not a date"),
        ({"start": day(9).isoformat()}, "cannot be in the past"),
        ({"note": "x" * 201}, "The note is too long"),
    ]:
        r = client.post(
            "/plan/clearance",
            data={"csrf_token": tok, **fields},
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 422 and message in r.text, fields
        assert 'id="clearance-form"' in r.text
    assert coach.last_clearance(db) is None
    r = client.post(
        "/plan/clearance",
        data={
            "csrf_token": tok,
            "restart_step": "walk",
            "start": day(10).isoformat(),
            "note": "Dr Example, physio",
            "next": "/",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/"
    cleared = coach.last_clearance(db)
    assert (cleared.cleared_on, cleared.start, cleared.restart_step) == (
        day(10),
        day(10),
        "walk_20",
    )
    page = client.get("/").text
    assert 'data-testid="clearance-form"' not in page
    assert 'data-testid="clearance"' in page and "Cleared by a clinician" in page
    assert "action-refer" not in page
    plan = client.get("/plan").text
    assert 'data-testid="plan-clearance"' in plan


def test_htmx_clearance_redirects_and_needs_a_check_first(app_and_clock) -> None:
    client, db, clock = app_and_clock
    tok = token(client)
    r = client.post(
        "/plan/clearance",
        data={"csrf_token": tok, "restart_step": "settle"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 422 and "take the check first" in r.text
    referred(db)
    clock["day"] = day(10)
    r = client.post(
        "/plan/clearance",
        data={"csrf_token": tok, "restart_step": "settle", "next": "/plan"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200 and r.headers["hx-redirect"] == "/plan"
    assert coach.last_clearance(db).restart_step == "settle"


def test_calendar_names_a_step_on_its_first_day_and_on_mondays() -> None:
    from types import SimpleNamespace

    from strideback.web.routes.plan import calendar_weeks

    labels = ["settle"] * 3 + ["walk 20"] * 6 + ["walk 30"] * 2  # Wed 4 Mar .. Sat 14 Mar
    steps = [
        SimpleNamespace(day=day(2 + i), step=label, phase=label.split()[0])
        for i, label in enumerate(labels)
    ]
    weeks = calendar_weeks(steps)
    assert [len(w) for w in weeks] == [7, 7] and weeks[0][0].day == START  # Monday first
    named = [c.day for w in weeks for c in w if c.new_step]
    assert named == [day(2), day(5), day(7), day(11)]  # starts of steps, and Monday 9 Mar
    assert weeks[0][0].step is None and not weeks[0][0].new_step  # before the plan


def test_responses_say_how_long_the_app_took(app_and_clock) -> None:
    client, _, _ = app_and_clock
    header = client.get("/healthz").headers["server-timing"]
    assert re.fullmatch(r"app;dur=\d+\.\d", header)


def test_sqlite_writes_take_turns(app_and_clock) -> None:
    """Diary writes from many threads at once all land (one writer at a time on SQLite)."""
    from concurrent.futures import ThreadPoolExecutor

    client, db, clock = app_and_clock
    clock["day"] = day(40)
    tok = token(client)
    assert client.app.state.write_lock is not None

    def post(k: int) -> int:
        return client.post(
            "/diary",
            data={"csrf_token": tok, "day": day(k).isoformat(), "pain_during": str(k % 4)},
            headers={"HX-Request": "true"},
        ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(post, range(30)))
    assert statuses == [200] * 30
    assert [e.day for e in coach.diary(db)] == [day(k) for k in range(30)]


def test_the_evidence_page_lists_every_piece_of_advice_with_its_strength(app_and_clock) -> None:
    from strideback.coach.evidence import evidence_items

    client, _db, _clock = app_and_clock
    page = client.get("/evidence")
    assert page.status_code == 200
    items = evidence_items()
    assert page.text.count('data-testid="strength"') == len(items)
    assert {i.group for i in items} >= {"How the plan decides", "When to see a clinician"}
    assert "evidence.md" not in page.text and "§" not in page.text
    assert "Silbernagel KG" in page.text and "UNSUPPORTED" in page.text


def test_nothing_the_runner_reads_points_to_internal_notes(app_and_clock) -> None:
    from test_coach_assess import pfp_answers

    client, db, clock = app_and_clock
    coach.run_check(db, pfp_answers(symptom_weeks=20), START)
    good_days(db, [0, 2])
    clock["day"] = day(3)
    for path in ("/", "/plan", "/diary", "/check"):
        text = client.get(path).text
        assert "evidence.md" not in text and "§" not in text, path
        assert "Rule:" not in text and "completed_without_flare" not in text, path


def test_a_printable_exercise_sheet_for_each_stage(app_and_clock) -> None:
    client, _db, _clock = app_and_clock
    for stage in ("irritable", "settling", "return"):
        page = client.get(f"/exercises?stage={stage}").text
        assert page.count('data-testid="sheet"') == 3
        ids = {
            *coach_routine(f"strength_{stage}_a"),
            *coach_routine(f"strength_{stage}_b"),
            *coach_routine("release_daily"),
        }
        for exercise_id in ids:
            assert f'data-exercise="{exercise_id}"' in page
        assert page.count("<svg") >= len(ids) and "Progress:" in page


def coach_routine(name: str) -> list[str]:
    from strideback.exercises import routine

    return routine(name)


def _check_form(client: TestClient, **overrides: str) -> dict[str, str]:
    from test_coach_assess import pfp_answers

    data = {"csrf_token": token(client)}
    for qid, value in pfp_answers().items():
        data[f"q_{qid}"] = str(value)
    data.update(overrides)
    return data


def test_the_web_check_needs_every_answer_or_an_explicit_kujala_skip(app_and_clock) -> None:
    client, db, _clock = app_and_clock
    data = _check_form(client)
    del data["q_rf_calf"]
    r = client.post("/check", data=data)
    assert r.status_code == 422 and 'data-testid="error-summary"' in r.text
    assert 'href="#q-rf_calf"' in r.text and coach.latest_check(db) is None
    data = {k: v for k, v in _check_form(client).items() if not k.startswith("q_kujala_")}
    r = client.post("/check", data=data)
    assert r.status_code == 422 and 'href="#q-kujala_limp"' in r.text
    r = client.post("/check", data={**data, "skip_kujala": "on"})
    assert r.status_code == 200 and coach.latest_check(db).kujala is None
    assert 'data-testid="needs-check"' in client.get("/").text  # Today asks for it
    assert 'aria-required="true"' in client.get("/check").text
