"""The coach commands through Typer's CliRunner, on a temporary SQLite database."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from strideback.cli import app

runner = CliRunner()


@pytest.fixture()
def cli(db_url):
    def invoke(*args: str):
        result = runner.invoke(app, ["--db", db_url, *args])
        result.text = " ".join(result.output.split())  # Rich wraps long lines
        return result

    return invoke


def test_today_with_no_data_helps_a_first_time_user(cli):
    result = cli("today", "--today", "2026-03-02")
    assert result.exit_code == 0, result.output
    text = result.text
    assert "strideback check" in text
    assert "not a diagnosis" in text
    assert "15–20 min" in text


def test_check_log_today_plan_flow(cli, tmp_path):
    from test_coach_assess import pfp_answers

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(pfp_answers(kujala_stairs="pain_up_down")), encoding="utf-8")
    result = cli("check", "--answers", str(answers), "--json", "--today", "2026-03-02")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert outcome["pattern"] == "patellofemoral"
    assert outcome["kujala"]["total"] == 95
    assert outcome["can_start_plan"] is True

    assert (
        cli(
            "log", "--day", "2026-03-02", "--during", "2", "--after", "1", "--done", "done"
        ).exit_code
        == 0
    )
    result = cli("log", "--day", "2026-03-02", "--morning", "1", "--json")
    assert result.exit_code == 0, result.output
    entry = json.loads(result.output)
    assert (entry["pain_during"], entry["pain_next_morning"], entry["done"]) == (2, 1, "done")

    result = cli("today", "--today", "2026-03-03", "--json")
    view = json.loads(result.output)
    assert view["decision"]["rule"] == "repeat_until_completed"
    assert view["plan_day"] == 2

    ics = tmp_path / "plan.ics"
    result = cli("plan", "--ics", str(ics), "--today", "2026-03-03")
    assert result.exit_code == 0, result.output
    events = [c for c in Calendar.from_ical(ics.read_bytes()).walk() if c.name == "VEVENT"]
    assert events and all(e.decoded("dtstart") >= dt.date(2026, 3, 3) for e in events)

    result = cli("plan", "--json", "--today", "2026-03-03", "--weeks", "4")
    plan = json.loads(result.output)
    assert plan["start"] == "2026-03-02" and len(plan["steps"]) == 28


def test_red_flag_check_refuses_a_plan(cli, tmp_path):
    from test_coach_assess import pfp_answers

    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(pfp_answers(rf_hot_swollen="yes")), encoding="utf-8")
    result = cli("check", "--answers", str(answers), "--today", "2026-03-02")
    assert result.exit_code == 0
    assert "See a clinician" in result.text and "No plan" in result.text
    result = cli("today", "--today", "2026-03-02", "--json")
    assert json.loads(result.output)["decision"]["action"] == "refer"


def test_bad_input_is_one_clear_error(cli, tmp_path):
    result = cli("log", "--day", "2026-03-02", "--during", "11")
    assert result.exit_code == 1 and "pain_during" in result.text
    answers = tmp_path / "a.json"
    answers.write_text("{oops", encoding="utf-8")
    result = cli("check", "--answers", str(answers))
    assert result.exit_code == 1 and "a.json" in result.text and "not valid JSON" in result.text
    result = cli("settings", "--set", "pain_ok_max=9")
    assert result.exit_code == 1 and "between 2 and 5" in result.text


def test_settings_export_import(cli, tmp_path):
    result = cli("settings", "--set", "pain_ok_max=5", "--json")
    assert json.loads(result.output)["pain_ok_max"] == 5
    assert cli("export", "--out", str(tmp_path / "out")).exit_code == 0
    assert (tmp_path / "out" / "strideback-backup.json").is_file()
    assert cli("settings", "--reset", "--json").exit_code == 0
    result = cli("import-backup", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert json.loads(cli("settings", "--json").output)["pain_ok_max"] == 5


def test_interactive_check_stops_at_a_red_flag(cli, db_url):
    # 7 red-flag questions (the first answered yes), then age and limp; then the outcome.
    answers = "y\n" + "n\n" * 6 + "30\n" + "n\n"
    result = runner.invoke(app, ["--db", db_url, "check", "--today", "2026-03-02"], input=answers)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "not a diagnosis" in text
    assert "See a clinician" in text and "No plan is made" in text
    result = cli("plan", "--json", "--today", "2026-03-03")
    assert json.loads(result.output)["referral"]
