"""Issue 10: delete a knee check with undo. A deleted check is invisible to Today, the plan, the
gate, the Kujala history, the report and the calendar; undo brings it back exactly; the CLI asks
first (`--yes` skips); the Check page offers a delete button and an undo; the schema upgrade
keeps existing checks."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from strideback.cli import app as cli_app
from strideback.coach import service
from strideback.coach.checks import TRASH_DAYS, purge_deleted_checks
from strideback.coach.today import before_check_view
from strideback.report.service import progress_report
from strideback.store.db import alembic_config, open_database
from strideback.web import create_app

START = dt.date(2026, 3, 2)
TODAY = START + dt.timedelta(days=3)


def _answers(**extra: Any) -> dict[str, Any]:
    from test_coach_assess import pfp_answers

    return pfp_answers(**extra)


def _calf() -> dict[str, Any]:
    flag = next(q.id for q in service.check_questions() if q.section == "red_flags")
    return _answers(**{flag: "yes"})


def test_deleting_the_only_check_makes_today_ask_for_it_and_undo_brings_it_back(db) -> None:
    check = service.run_check(db, _answers(), START)
    before = service.todays_session(db, TODAY)
    assert before.sessions and not before.needs_check
    assert service.current_plan(db, TODAY).steps
    gone = service.delete_check(db, check.id)
    assert gone.id == check.id
    assert service.list_checks(db) == [] and service.latest_check(db) is None
    assert service.kujala_history(db) == []
    view = service.todays_session(db, TODAY)
    assert view.needs_check and view == before_check_view(TODAY)  # as before any check
    plan = service.current_plan(db, TODAY)
    assert plan.steps == [] and plan.gate == "no_check"
    back = service.restore_check(db, check.id)
    assert back == check  # exactly as it was (answers, flags, Kujala, notes)
    assert service.list_checks(db) == [check]
    again = service.todays_session(db, TODAY)
    assert again.sessions == before.sessions and again.decision == before.decision


def test_deleting_a_red_flag_check_lifts_its_referral_only(db) -> None:
    service.run_check(db, _answers(), START)
    flagged = service.run_check(db, _calf(), TODAY)
    assert service.todays_session(db, TODAY).referral
    assert service.current_plan(db, TODAY).referral
    service.delete_check(db, flagged.id)  # a red flag ticked by mistake
    view = service.todays_session(db, TODAY)
    assert view.referral is None and view.sessions  # the earlier good check is the latest
    assert service.current_plan(db, TODAY).steps
    service.restore_check(db, flagged.id)
    assert service.todays_session(db, TODAY).referral


def test_deleting_a_red_flag_check_keeps_a_referral_with_another_reason(db) -> None:
    service.run_check(db, _answers(), START)
    service.save_day(db, TODAY, {"red_flag_kind": "locking", "pain_during": 2}, today=TODAY)
    flagged = service.run_check(db, _calf(), TODAY)
    assert service.todays_session(db, TODAY).referral
    service.delete_check(db, flagged.id)
    view = service.todays_session(db, TODAY)
    assert view.referral and not view.sessions  # the diary's red flag still stands
    assert service.current_plan(db, TODAY).referral


def test_kujala_history_report_and_calendar_leave_a_deleted_check_out(db) -> None:
    from test_coach_assess import worst

    first = service.run_check(db, _answers(**worst()), START)
    second = service.run_check(db, _answers(), TODAY)
    assert [k.total for k in service.kujala_history(db)] == [0, 100]
    assert second.kujala_change == 100
    calendar = service.plan_ics(db, TODAY)
    assert [k.score for k in progress_report(db, TODAY, weeks=4).kujala] == [0, 100]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)  # SEQUENCE counts seconds
    service.delete_check(db, first.id, now=later)
    assert [k.total for k in service.kujala_history(db)] == [100]
    assert service.list_checks(db)[0].kujala_change == 0  # counted from the first one left
    assert [k.score for k in progress_report(db, TODAY, weeks=4).kujala] == [100]
    deleted = service.plan_ics(db, TODAY)
    assert _sequence(deleted) > _sequence(calendar)  # the calendar's events are replaced
    service.restore_check(db, first.id, now=later + dt.timedelta(seconds=5))
    assert _sequence(service.plan_ics(db, TODAY)) > _sequence(deleted)  # and on an undo
    service.delete_check(db, first.id, now=later + dt.timedelta(seconds=10))
    service.delete_check(db, second.id)
    assert progress_report(db, TODAY, weeks=4).kujala == []
    assert service.todays_session(db, TODAY).needs_check


def _sequence(ics: bytes) -> int:
    from icalendar import Calendar

    return max(int(e["SEQUENCE"]) for e in Calendar.from_ical(ics).walk("VEVENT"))


def test_unknown_deleted_and_foreign_ids_are_refused(db) -> None:
    check = service.run_check(db, _answers(), START)
    for bad in (0, -1, 999_999, 2**70):
        with pytest.raises(KeyError):
            service.delete_check(db, bad)
    with pytest.raises(KeyError):
        service.restore_check(db, check.id)  # not deleted
    service.delete_check(db, check.id)
    with pytest.raises(KeyError):
        service.delete_check(db, check.id)  # already deleted
    other = db.for_runner(_second_runner(db))
    with pytest.raises(KeyError):
        service.restore_check(other, check.id)  # another runner's deleted check
    assert service.restore_check(db, check.id).id == check.id


def _second_runner(db) -> int:
    from strideback.accounts.service import add_user

    return add_user(db, "other", "runner", password="correct horse battery").id


def test_old_deletions_are_purged_on_the_next_delete(db) -> None:
    a = service.run_check(db, _answers(), START)
    b = service.run_check(db, _answers(), TODAY)
    then = dt.datetime(2026, 3, 5, tzinfo=dt.UTC)
    service.delete_check(db, a.id, now=then)
    assert purge_deleted_checks(db, dt.timedelta(days=TRASH_DAYS), now=then) == 0
    service.delete_check(db, b.id, now=then + dt.timedelta(days=TRASH_DAYS + 1))
    with pytest.raises(KeyError):
        service.restore_check(db, a.id)  # purged for good by the second delete
    assert service.restore_check(db, b.id).id == b.id


def test_a_backup_carries_a_deleted_check_as_deleted_like_an_activity(db, tmp_path) -> None:
    from strideback.backup.archive import export_backup, restore_backup

    keep = service.run_check(db, _answers(), START)
    drop = service.run_check(db, _calf(), TODAY)
    service.delete_check(db, drop.id)
    summary = export_backup(db, tmp_path / "b.zip")
    assert summary.rows["coach_checks"] == 2  # stored rows, the deleted one marked as such
    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    restore_backup(fresh, tmp_path / "b.zip")
    assert [c.id for c in service.list_checks(fresh)] == [keep.id]
    assert service.todays_session(fresh, TODAY).referral is None
    assert service.restore_check(fresh, drop.id).red_flags  # the undo still works there


# ---------------------------------------------------------------- CLI


def _cli(tmp_path: Path) -> tuple[CliRunner, list[str]]:
    return CliRunner(), ["--db", f"sqlite:///{tmp_path / 'cli.sqlite3'}"]


def test_cli_lists_asks_before_deleting_and_restores(tmp_path: Path) -> None:
    runner, db = _cli(tmp_path)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(_answers()), encoding="utf-8")
    made = runner.invoke(cli_app, [*db, "check", "--answers", str(answers), "--json"])
    assert made.exit_code == 0, made.output
    check_id = json.loads(made.output)["id"]
    listing = runner.invoke(cli_app, [*db, "check", "--list"])
    assert listing.exit_code == 0
    assert f"check {check_id} of" in listing.output and "Kujala 100/100" in listing.output
    assert "patellofemoral" not in listing.output  # plain words, no internal ids
    no = runner.invoke(cli_app, [*db, "check", "--delete", str(check_id)], input="n\n")
    assert no.exit_code == 1 and "nothing deleted" in no.output
    closed = runner.invoke(cli_app, [*db, "check", "--delete", str(check_id)])  # no input
    assert closed.exit_code == 1 and "nothing deleted" in closed.output
    assert runner.invoke(cli_app, [*db, "check", "--list", "--json"]).output.count('"id"') == 1
    yes = runner.invoke(cli_app, [*db, "check", "--delete", str(check_id)], input="y\n")
    assert yes.exit_code == 0 and f"strideback check --restore {check_id}" in yes.output
    today = runner.invoke(cli_app, [*db, "today"])
    assert "Take the check" in today.output or "check" in today.output.lower()
    assert json.loads(runner.invoke(cli_app, [*db, "check", "--list", "--json"]).output) == []
    back = runner.invoke(cli_app, [*db, "check", "--restore", str(check_id)])
    assert back.exit_code == 0 and "is back" in back.output
    again = runner.invoke(cli_app, [*db, "check", "--restore", str(check_id)])
    assert again.exit_code == 1 and f"no deleted check with id {check_id}" in again.output
    gone = runner.invoke(cli_app, [*db, "check", "--delete", str(check_id), "--yes"])
    assert gone.exit_code == 0
    missing = runner.invoke(cli_app, [*db, "check", "--delete", "424242", "--yes"])
    assert missing.exit_code == 1 and "no check with id 424242" in missing.output


def test_cli_refuses_to_delete_without_yes_when_nobody_can_answer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub.sqlite3'}"
    check = service.run_check(open_database(url), _answers(), START)
    done = subprocess.run(
        [sys.executable, "-c", "from strideback.cli import main; main()", "--db", url, "check",
         "--delete", str(check.id)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "nothing deleted" in done.stderr and "Traceback" not in done.stderr
    assert [c.id for c in service.list_checks(open_database(url))] == [check.id]


# ---------------------------------------------------------------- web


def _token(client: TestClient) -> str:
    client.get("/healthz")
    return str(client.cookies.get("sb_csrf"))


def test_check_page_deletes_with_undo_and_today_follows(db_url: str) -> None:
    app = create_app(db_url, jobs_in_processes=False, today=lambda: TODAY)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        db = app.state.db
        check = service.run_check(db, _calf(), TODAY)
        page = client.get("/check").text
        assert f'action="/check/{check.id}/delete"' in page
        assert "See a clinician" in client.get("/").text
        refused = client.post(f"/check/{check.id}/delete", data={}, follow_redirects=False)
        assert refused.status_code in (400, 403) and service.list_checks(db)
        r = client.post(
            f"/check/{check.id}/delete", data={"csrf_token": _token(client)},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == f"/check?deleted={check.id}"
        undo = client.get(r.headers["location"]).text
        assert 'data-testid="undo"' in undo and f'action="/check/{check.id}/restore"' in undo
        assert service.list_checks(db) == []
        assert "Start with the check" in client.get("/").text
        assert 'data-testid="undo"' not in client.get("/check").text  # gone once you move on
        assert client.get(f"/check/{check.id}/delete").status_code == 405  # POST only
        r = client.post(
            f"/check/{check.id}/restore", data={"csrf_token": _token(client)},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303
        assert [c.id for c in service.list_checks(db)] == [check.id]
        assert "See a clinician" in client.get("/").text
        for bad in ("999999", "99999999999999999999999"):
            r = client.post(f"/check/{bad}/delete", data={"csrf_token": _token(client)})
            assert r.status_code in (404, 422)
        r = client.post(f"/check/{check.id}/restore", data={"csrf_token": _token(client)})
        assert r.status_code == 404  # not deleted


# ---------------------------------------------------------------- migration


def test_coach_0006_upgrades_a_database_with_checks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "coach_0005")
        command.upgrade(cfg, "accounts@head")
    db = open_database(url)  # upgrades every branch to its head
    check = service.run_check(db, _answers(), START)
    db.dispose()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "coach_0005")
    assert "deleted_at" not in {c["name"] for c in inspect(engine).get_columns("coach_checks")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM coach_checks")).scalar() == 1
    from strideback.store.db import close_all

    close_all()
    db = open_database(url)
    assert "deleted_at" in {c["name"] for c in inspect(engine).get_columns("coach_checks")}
    assert [c.id for c in service.list_checks(db)] == [check.id]  # kept, and not deleted
    service.delete_check(db, check.id)
    assert service.list_checks(db) == []
    engine.dispose()
