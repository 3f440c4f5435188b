"""Issue 12 on the dashboard: `GET /report.pdf` is the same PDF as `strideback report`, behind
the plan gate (TestClient, real SQLite filled through the services)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient

from strideback.coach import service
from strideback.web import create_app
from test_report import START, TODAY, answers, fill, pdf_text


def _client(db_url: str, day: dt.date) -> TestClient:
    return TestClient(
        create_app(db_url, jobs_in_processes=False, today=lambda: day),
        base_url="http://127.0.0.1",
    )


def test_report_pdf_download_has_the_runner_s_data(db_url: str, db, activities_dir: Path):
    low, high = fill(db, activities_dir)
    with _client(db_url, TODAY) as client:
        res = client.get("/report.pdf?weeks=6")
    assert res.status_code == 200
    assert res.headers["content-type"] == "application/pdf"
    assert (
        f'filename="strideback-report-{TODAY.isoformat()}.pdf"'
        in res.headers["content-disposition"]
    )
    text = pdf_text(res.content)
    assert f"{START.isoformat()} {low}" in text and f"+{high - low}" in text
    assert "days logged" in text and "Exercise sheet" in text and "Today's sessions" in text


def test_report_pdf_with_a_red_flag_is_the_referral_only(db_url: str, db) -> None:
    service.run_check(db, answers(rf_locking="yes"), START)
    view = service.todays_session(db, TODAY)
    with _client(db_url, TODAY) as client:
        res = client.get("/report.pdf")
    assert res.status_code == 200
    text = pdf_text(res.content)
    assert "See a clinician" in text and "Next step:" in text
    assert " ".join(view.next_step.split())[:50] in text
    assert "Exercise sheet" not in text and "Today's sessions" not in text


def test_report_pdf_bad_weeks_is_a_clear_error_not_a_500(db_url: str) -> None:
    with _client(db_url, TODAY) as client:
        res = client.get("/report.pdf?weeks=0")
    assert res.status_code == 422
    assert "weeks" in res.text and "Traceback" not in res.text


def test_clinic_mode_report_is_for_the_runner_and_clinician_not_anonymous_or_admin(
    db_url: str, db
) -> None:
    from strideback.accounts.service import add_user
    from test_web_auth import PASSWORD, client_for, login, post

    add_user(db, "admin", "admin", password=PASSWORD)
    physio = add_user(db, "physio", "clinician", password=PASSWORD)
    runner1 = add_user(db, "runner1", "runner", password=PASSWORD, clinician_id=physio.id)
    service.run_check(db.for_runner(runner1.id), answers(), START)  # the runner's own data
    app = create_app(db_url, jobs_in_processes=False, clinic=True, today=lambda: TODAY)
    with client_for(app) as anonymous:
        res = anonymous.get("/report.pdf")
        assert res.status_code in (302, 303, 307) and "/login" in res.headers["location"]
        assert not res.content.startswith(b"%PDF")
    for username in ("runner1", "physio"):
        with client_for(app) as person:
            login(person, username)
            if username == "physio":  # a clinician first chooses the runner to work on
                assert post(person, f"/runners/{runner1.id}").status_code == 303
            res = person.get("/report.pdf")
            assert res.status_code == 200, username
            assert "Knee score" in pdf_text(res.content)
    with client_for(app) as admin:
        login(admin, "admin")
        res = admin.get("/report.pdf")
        assert res.status_code == 403 and not res.content.startswith(b"%PDF")
