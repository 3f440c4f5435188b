"""Issue 9: one gate for every output. Every route out of self-care × every output that could
show a plan (Today, plan, plan --ics, the Plan page, /plan.ics, the CLI): the referral with its
reason and next step, and no sessions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar
from typer.testing import CliRunner

from strideback.cli import app as cli_app
from strideback.coach import service
from strideback.domain import DiaryEntry
from strideback.plan.gate import FlagFact, GateFacts, plan_gate
from strideback.plan.model import Decision
from strideback.store.db import open_database
from strideback.web import create_app

START = dt.date(2026, 3, 2)
TODAY = START + dt.timedelta(days=2)
SESSION_KINDS = {"walk", "run", "strength", "cross", "release"}


def _answers(**extra: Any) -> dict[str, Any]:
    from test_coach_assess import pfp_answers

    return pfp_answers(**extra)


def _check(**extra: Any):
    def setup(db) -> None:
        service.run_check(db, _answers(**extra), START)

    return setup


def _diary_flag(kind: str):
    def setup(db) -> None:
        service.run_check(db, _answers(), START)
        service.save_day(db, TODAY, {"red_flag_kind": kind, "pain_during": 2}, today=TODAY)

    return setup


def _two_step_backs(db) -> None:
    service.run_check(db, _answers(), START)
    for k in (0, 2):  # two walk days that flare, with no good session between
        day = START + dt.timedelta(days=k)
        service.log_day(db, DiaryEntry(day, pain_during=7, pain_next_morning=2, done="done"))


RED_FLAGS = [q.id for q in service.check_questions() if q.section == "red_flags"]
ROUTES: dict[str, Any] = {
    **{flag: _check(**{flag: "yes"}) for flag in RED_FLAGS},
    "under_16": _check(age=14),
    "young_limp": _check(age=13, limp_or_hip_thigh_pain="yes"),
    "cannot_bear_weight": _check(kujala_support="impossible"),
    "cannot_walk": _check(kujala_walking="unable"),
    "constant_limp": _check(kujala_limp="constant"),
    "constant_swelling": _check(kujala_swelling="constant"),
    "constant_severe_pain": _check(kujala_pain="constant_severe"),
    "kneecap_slips_daily": _check(kujala_subluxation="daily_occasionally"),
    "dislocation": _check(kujala_subluxation="one_dislocation"),
    "it_band": _check(pain_location="outside_knee"),
    "patellar_tendon": _check(pain_location="below_kneecap"),
    "joint_line": _check(pain_location="joint_line"),
    "unclear": _check(pain_location="not_sure"),
    "injury_onset": _check(gradual_onset="no"),
    "not_loaded_flexion": _check(loaded_flexion_pain="no"),
    "diary_calf": _diary_flag("calf"),
    "diary_hot_knee": _diary_flag("hot_knee"),
    "diary_locking": _diary_flag("locking"),
    "diary_generic": _diary_flag("other"),
    "two_step_backs": _two_step_backs,
}
_URLS: dict[str, str] = {}


@pytest.fixture()
def routed(request, tmp_path_factory) -> str:
    """A database that took the route out (built once per route, shared by the outputs)."""
    name = request.param
    if name not in _URLS:
        url = f"sqlite:///{tmp_path_factory.mktemp('gate') / 'db.sqlite3'}"
        ROUTES[name](open_database(url))
        _URLS[name] = url
    return _URLS[name]


def _events(data: bytes) -> list[Any]:
    return [c for c in Calendar.from_ical(data).walk() if c.name == "VEVENT"]


def _no_session_events(data: bytes) -> None:
    events = _events(data)
    kinds = {str(c) for e in events for c in e.get("categories").cats}
    assert not kinds & SESSION_KINDS, kinds
    assert len(events) == 1 and "clinician" in str(events[0]["summary"]).lower()
    assert "Next step" in str(events[0]["description"])


def out_today(url: str, tmp: Path) -> None:
    view = service.todays_session(open_database(url), TODAY)
    assert view.decision.action == "refer" and view.referral and view.next_step
    assert view.sessions == [] and view.entry_criteria == []


def out_plan(url: str, tmp: Path) -> None:
    plan = service.current_plan(open_database(url), TODAY)
    assert plan.steps == [] and plan.referral and plan.next_step


def out_plan_ics(url: str, tmp: Path) -> None:
    _no_session_events(service.plan_ics(open_database(url), TODAY))


def _cli(url: str, *args: str) -> str:
    result = CliRunner().invoke(cli_app, ["--db", url, *args, "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def out_cli_today(url: str, tmp: Path) -> None:
    text = _cli(url, "today")
    assert "See a clinician" in text and "Next step" in text
    assert "•" not in text and "Decision:" not in text


def out_cli_plan(url: str, tmp: Path) -> None:
    text = _cli(url, "plan")
    assert "See a clinician" in text and "Next step" in text and "Plan from" not in text


def out_cli_plan_ics(url: str, tmp: Path) -> None:
    path = tmp / "plan.ics"
    assert "no sessions" in _cli(url, "plan", "--ics", str(path))
    _no_session_events(path.read_bytes())


def _client(url: str) -> TestClient:
    return TestClient(
        create_app(url, jobs_in_processes=False, today=lambda: TODAY), base_url="http://127.0.0.1"
    )


def out_web_today(url: str, tmp: Path) -> None:
    with _client(url) as client:
        page = client.get("/").text
    assert 'data-testid="referral-reason"' in page and 'data-testid="next-step"' in page
    assert 'class="session kind-' not in page and "action-progress" not in page


def out_web_plan(url: str, tmp: Path) -> None:
    with _client(url) as client:
        page = client.get("/plan").text
    assert 'data-testid="plan-referral"' in page and "Next step" in page
    assert 'data-testid="calendar"' not in page and 'class="kind-' not in page


def out_web_plan_ics(url: str, tmp: Path) -> None:
    with _client(url) as client:
        response = client.get("/plan.ics")
    assert response.headers["content-type"].startswith("text/calendar")
    _no_session_events(response.content)


def _report_has_no_programme(data: bytes) -> None:
    import io

    from pypdf import PdfReader

    assert data.startswith(b"%PDF-")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())
    assert "Next step:" in text
    assert "Today's sessions" not in text and "Exercise sheet" not in text
    assert "Dosage:" not in text


def out_report_pdf(url: str, tmp: Path) -> None:
    from strideback.report.service import progress_report_pdf

    _report_has_no_programme(progress_report_pdf(open_database(url), TODAY))


def out_web_report_pdf(url: str, tmp: Path) -> None:
    with _client(url) as client:
        response = client.get("/report.pdf")
    assert response.status_code == 200
    _report_has_no_programme(response.content)


OUTPUTS = [
    out_today,
    out_plan,
    out_plan_ics,
    out_cli_today,
    out_cli_plan,
    out_cli_plan_ics,
    out_web_today,
    out_web_plan,
    out_web_plan_ics,
    out_report_pdf,
    out_web_report_pdf,
]


@pytest.mark.parametrize("output", OUTPUTS, ids=[o.__name__[4:] for o in OUTPUTS])
@pytest.mark.parametrize("routed", list(ROUTES), indirect=True)
def test_every_route_out_stops_every_output(routed: str, output, tmp_path: Path) -> None:
    output(routed, tmp_path)


def test_without_a_check_no_plan_is_published(db, tmp_path):
    plan = service.current_plan(db, TODAY)
    assert plan.steps == [] and plan.gate == "no_check" and "check" in plan.next_step
    _no_check = _events(service.plan_ics(db, TODAY))
    assert len(_no_check) == 1 and _no_check[0].get("categories").cats[0] not in SESSION_KINDS


def test_a_plain_runners_knee_check_publishes_the_plan(db):
    service.run_check(db, _answers(), START)
    assert service.current_plan(db, TODAY).steps
    assert any(e.get("categories").cats[0] == "walk" for e in _events(service.plan_ics(db, TODAY)))


# ---------------------------------------------------------------- the gate itself (pure)

FLAG = FlagFact("rf_calf", "emergency", "A clot?")


@pytest.mark.parametrize(
    ("facts", "source", "urgency"),
    [
        (GateFacts(has_check=False), "no_check", None),
        (GateFacts(True, check_flags=(FLAG,)), "check_red_flag", "emergency"),
        (GateFacts(True, pattern_ok=False, pattern_message="ITB"), "check_pattern", "routine"),
        (GateFacts(True, diary_flag=FLAG, diary_flag_day=TODAY), "diary_red_flag", "emergency"),
        (
            GateFacts(True, plan_referral=Decision("refer", "step_backs_in_a_row", "2 backs")),
            "plan_referral",
            "routine",
        ),
        (GateFacts(True), "ok", None),
    ],
)
def test_plan_gate_decides_in_order(facts, source, urgency):
    gate = plan_gate(facts)
    assert (gate.source, gate.urgency, gate.allowed) == (source, urgency, source == "ok")
    if not gate.allowed:
        assert gate.reason and gate.next_step


def test_red_flags_come_before_the_pattern_and_the_most_urgent_first():
    urgent = FlagFact("rf_locking", "urgent", "Locking.")
    gate = plan_gate(GateFacts(True, check_flags=(urgent, FLAG), pattern_ok=False))
    assert gate.source == "check_red_flag" and gate.flags == ("rf_calf", "rf_locking")
    assert "emergency" in gate.next_step


@pytest.mark.parametrize(
    ("kind", "urgency", "words"),
    [
        ("calf", "emergency", "today"),
        ("hot_knee", "emergency", "today"),
        ("injury", "emergency", "today"),
        ("locking", "urgent", "within the next few days"),
        ("giving_way", "urgent", "within the next few days"),
        ("numbness", "urgent", "within the next few days"),
    ],
)
def test_a_diary_red_flag_says_how_soon_by_its_kind(db, kind, urgency, words):
    _diary_flag(kind)(db)
    view = service.todays_session(db, TODAY)
    assert (view.urgency, view.sessions) == (urgency, [])
    assert words in view.next_step
    assert view.referral.startswith(
        next(k.referral for k in service_diary_kinds() if k.id == kind)[:30]
    )


def service_diary_kinds():
    from strideback.assess.questions import load_definition

    return load_definition().diary_flags


def test_a_red_flag_can_be_unset_and_the_plan_comes_back(db):
    _diary_flag("locking")(db)
    assert service.todays_session(db, TODAY).referral
    service.save_day(db, TODAY, {"red_flag": False}, today=TODAY)  # logged by mistake
    view = service.todays_session(db, TODAY)
    assert view.referral is None and view.sessions
