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
    # 11 red-flag questions (the first answered yes), then age and limp; then the outcome.
    answers = "y\n" + "n\n" * 10 + "30\n" + "n\n"
    result = runner.invoke(app, ["--db", db_url, "check", "--today", "2026-03-02"], input=answers)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "not a diagnosis" in text
    assert "See a clinician" in text and "No plan is made" in text
    result = cli("plan", "--json", "--today", "2026-03-03")
    assert json.loads(result.output)["referral"]


# Kujala option picked by number (1-based, as listed) → points, from evidence.md §2a by hand:
# limp 2 (3), support 1 (5), walking 2 (3), stairs 3 (5), squatting 2 (4), running 3 (6),
# jumping 2 (7), sitting 2 (8), pain 2 (8), swelling 1 (10), subluxation 1 (10), atrophy 1 (5),
# flexion 1 (5) → 79.
KUJALA_PICKS = [2, 1, 2, 3, 2, 3, 2, 2, 2, 1, 1, 1, 1]
KUJALA_VALUES = {
    "kujala_limp": "slight",
    "kujala_support": "full",
    "kujala_walking": "over_2km",
    "kujala_stairs": "pain_up_down",
    "kujala_squatting": "repeated_painful",
    "kujala_running": "slight_from_start",
    "kujala_jumping": "slight_difficulty",
    "kujala_sitting": "pain_after_exercise",
    "kujala_pain": "slight_occasional",
    "kujala_swelling": "none",
    "kujala_subluxation": "none",
    "kujala_atrophy": "none",
    "kujala_flexion": "none",
}


def test_interactive_check_through_every_kujala_prompt(cli, db_url):
    from strideback.coach import service
    from strideback.store.db import open_database

    lines = ["n"] * 11  # red flags
    lines += ["200", "35", "n"]  # age (out of range, asked again), limp/hip pain
    lines += ["9", "1", "y", "y", "4", "n"]  # location (9 is not an option), loaded, gradual…
    lines += [str(p) for p in KUJALA_PICKS]
    result = runner.invoke(
        app, ["--db", db_url, "check", "--today", "2026-03-02"], input="\n".join(lines) + "\n"
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Please enter a number from 5 to 110" in text
    assert "Please select one of the available options" in text  # Rich re-asks the choice
    for q in service.check_questions():
        if q.section == "kujala":
            assert " ".join(q.text.split()) in text, q.id
    assert "Kujala score: 79/100" in text
    assert "Fits runner's knee" in text  # plain words, no pattern id (issue 9)
    check = service.latest_check(open_database(db_url))
    assert check.kujala.total == 79
    assert {k: v for k, v in check.answers.items() if k.startswith("kujala_")} == KUJALA_VALUES
    assert (check.answers["age"], check.answers["pain_location"]) == (35, "around_kneecap")


@pytest.mark.parametrize(
    ("bad", "needles"),
    [
        (
            {"kujala_stairs": "sometimes"},
            [
                "kujala_stairs",
                "How do stairs feel?",
                "no_difficulty (No problem)",
                "slight_down",
                "pain_up_down",
                "unable",
                "'sometimes'",
            ],
        ),
        ({"rf_locking": "maybe"}, ["rf_locking", "Does your knee lock", "yes or no", "'maybe'"]),
        ({"age": "old"}, ["'age'", "How old are you", "must be a number"]),
    ],
)
def test_check_answers_with_an_invalid_value_name_the_question(cli, tmp_path, bad, needles):
    from test_coach_assess import pfp_answers

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(pfp_answers(**bad)), encoding="utf-8")
    result = cli("check", "--answers", str(answers), "--today", "2026-03-02")
    assert result.exit_code == 1
    assert "answers.json" in result.text
    for needle in needles:
        assert needle in result.text, needle
    assert json.loads(cli("today", "--today", "2026-03-02", "--json").output)["needs_check"]


def test_log_readiness_tests_and_today_names_what_is_missing(cli, tmp_path):
    from test_coach_assess import pfp_answers

    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(pfp_answers()), encoding="utf-8")
    assert cli("check", "--answers", str(answers), "--today", "2026-03-02").exit_code == 0
    # Settle and walk-20 done twice each (plan days 0, 2, 4, 7): walk-30 from 2026-03-10.
    for d in ("02", "04", "06", "09"):
        args = ("--during", "1", "--after", "1", "--morning", "1", "--done", "done")
        assert cli("log", "--day", f"2026-03-{d}", *args).exit_code == 0
    result = cli("today", "--today", "2026-03-10")
    assert "Before the first walk-run" in result.text
    assert "Single-leg squat test pain ≤2/10" in result.text
    assert "strideback log --squat-pain N" in result.text
    result = cli("log", "--day", "2026-03-10", "--squat-pain", "3", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["squat_test_pain"] == 3
    view = json.loads(cli("today", "--today", "2026-03-10", "--json").output)
    squat = next(c for c in view["entry_criteria"] if c["id"] == "single_leg_squat_test")
    assert (squat["result"], squat["met"], squat["blocking"]) == (3, False, True)
    result = cli("log", "--day", "2026-03-10", "--squat-pain", "12")
    assert result.exit_code == 1 and "squat_test_pain" in result.text
    result = cli("log", "--list", "--json")
    assert result.exit_code == 0


def test_plan_cleared_by_clinician(cli, tmp_path):
    from test_coach_assess import pfp_answers

    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(pfp_answers(rf_giving_way="yes")), encoding="utf-8")
    assert cli("check", "--answers", str(answers), "--today", "2026-03-02").exit_code == 0
    result = cli("today", "--today", "2026-03-05")
    assert "See a clinician" in result.text and "--cleared-by-clinician" in result.text
    result = cli(
        "plan",
        "--cleared-by-clinician",
        "--start",
        "2026-03-09",
        "--restart-step",
        "walk",
        "--today",
        "2026-03-06",
    )
    assert result.exit_code == 0, result.output
    assert "Cleared by a clinician on 2026-03-06" in result.text
    view = json.loads(cli("today", "--today", "2026-03-09", "--json").output)
    assert view["decision"]["rule"] == "clinician_clearance"
    assert view["referral"] is None and view["clearance"]
    assert view["step"].startswith("Walk: 20")
    plan = json.loads(cli("plan", "--json", "--today", "2026-03-09").output)
    assert plan["start"] == "2026-03-09" and plan["referral"] is None
    result = cli("plan", "--cleared-by-clinician", "--restart-step", "sprint")
    assert result.exit_code == 1 and "settle, walk" in result.text


# ---------------------------------------------------------------- issue 9


def _answers_file(tmp_path, **extra) -> str:
    from test_coach_assess import pfp_answers

    path = tmp_path / "answers.json"
    path.write_text(json.dumps(pfp_answers(**extra)), encoding="utf-8")
    return str(path)


def test_an_incomplete_check_lists_the_missing_ids_exits_2_and_stores_nothing(cli, tmp_path):
    path = tmp_path / "partial.json"
    path.write_text(json.dumps({"rf_locking": "no"}), encoding="utf-8")
    result = cli("check", "--answers", str(path), "--today", "2026-03-02")
    assert result.exit_code == 2
    for qid in ("rf_trauma_no_weight", "rf_calf", "rf_numbness", "age", "pain_location"):
        assert qid in result.text, qid
    assert "rf_locking," not in result.text and "nothing stored" in result.text
    assert json.loads(cli("today", "--today", "2026-03-02", "--json").output)["needs_check"]
    # Kujala may be skipped, but only explicitly; then Today asks for it in week 1.
    from test_coach_assess import pfp_answers

    no_kujala = {k: v for k, v in pfp_answers().items() if not k.startswith("kujala_")}
    path.write_text(json.dumps(no_kujala), encoding="utf-8")
    assert cli("check", "--answers", str(path), "--today", "2026-03-02").exit_code == 2
    ok = cli("check", "--answers", str(path), "--skip-kujala", "--today", "2026-03-02")
    assert ok.exit_code == 0 and "skipped" in ok.text
    today = json.loads(cli("today", "--today", "2026-03-03", "--json").output)
    assert today["needs_check"] and any("Kujala" in n for n in today["notes"])


def test_check_json_prints_only_json(cli, tmp_path):
    result = cli("check", "--answers", _answers_file(tmp_path), "--json", "--today", "2026-03-02")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["can_start_plan"] is True


def test_today_why_detail_and_exercise_speak_plain_words(cli, tmp_path):
    cli("check", "--answers", _answers_file(tmp_path), "--today", "2026-03-02")
    why = cli("today", "--why", "--detail", "--today", "2026-03-02")
    assert why.exit_code == 0
    assert "Why?" in why.text and "Dubois B, Esculier JF (2020)" in why.text  # a real reference
    assert "1." in why.text and "Progress:" in why.text  # exercise steps and progression
    for text in (why.text, cli("plan", "--today", "2026-03-02").text):
        assert "evidence.md" not in text and "§" not in text and "rule:" not in text
    ex = cli("exercise", "clamshell")
    assert ex.exit_code == 0 and "Clamshell" in ex.text and "Progress:" in ex.text
    assert cli("exercise", "no-such-thing").exit_code == 1


def test_log_morning_goes_to_the_session_day_and_flags_can_be_unset(cli, tmp_path):
    cli("check", "--answers", _answers_file(tmp_path), "--today", "2026-03-02")
    day = ("--today", "2026-03-04")
    assert cli("log", "--during", "2", "--done", "done", "--sharp", "--today", "2026-03-02")
    result = cli("log", "--morning", "1", *day, "--json")  # two days later: last session day
    assert json.loads(result.output)["day"] == "2026-03-02"
    assert json.loads(result.output)["pain_next_morning"] == 1
    assert (
        json.loads(cli("log", "--no-sharp", "--day", "2026-03-02", *day, "--json").output)[
            "sharp_pain"
        ]
        is False
    )
    yesterday = json.loads(cli("log", "--during", "3", "--day", "yesterday", *day, "--json").output)
    assert yesterday["day"] == "2026-03-03"
    future = cli("log", "--during", "1", "--day", "2026-03-05", *day)
    assert future.exit_code == 1 and "future" in future.text
    assert cli("log", "--delete", "2026-03-03", "--yes", *day).exit_code == 0
    days = [e["day"] for e in json.loads(cli("log", "--list", "--json", *day).output)]
    assert days == ["2026-03-02"]
    kind = cli("log", "--red-flag-kind", "calf", *day)
    assert "See a clinician today" in kind.text and "blood clot" in kind.text


def test_the_interactive_check_asks_again_after_an_empty_answer(cli, db_url):
    # An empty answer is not "no": the question is asked again (11 red flags, age, limp, then
    # location, loaded, gradual, weeks, grinding, 13 Kujala picks).
    lines = ["", "n"] + ["n"] * 10 + ["35", "n", "1", "y", "y", "4", "n"]
    lines += [str(p) for p in KUJALA_PICKS]
    result = runner.invoke(
        app, ["--db", db_url, "check", "--today", "2026-03-02"], input="\n".join(lines) + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "Please enter Y or N" in result.output
    assert "Kujala score: 79/100" in " ".join(result.output.split())


def _today(cli, day: str) -> tuple[str, str]:
    view = json.loads(cli("today", "--json", "--today", day).output)
    return view["decision"]["action"], view["decision"]["rule"]


def test_cli_journey_a_settling_flare_then_a_second_flare(cli, tmp_path):
    """Through the CLI: a flare and its sore rest day are one step back; a second, separate
    flare on the next walk refers (issue 9)."""
    cli("check", "--answers", _answers_file(tmp_path), "--today", "2026-03-02")
    seen = []
    script = {
        "2026-03-02": ["--during", "1", "--after", "1", "--done", "done"],
        "2026-03-04": ["--during", "6", "--after", "6", "--done", "done"],  # flare
        "2026-03-05": ["--after", "6", "--done", "rest"],  # sore rest day: same flare
        "2026-03-06": ["--during", "7", "--done", "done"],  # a second flare on the next walk
    }
    for k in range(6):
        day = (dt.date(2026, 3, 2) + dt.timedelta(days=k)).isoformat()
        seen.append(_today(cli, day))
        if day in ("2026-03-03", "2026-03-05"):
            cli("log", "--morning", "1", "--today", day)  # after the previous session
        if day in script:
            assert cli("log", *script[day], "--today", day).exit_code == 0
    seen.append(_today(cli, "2026-03-08"))
    # Each morning shows the decision from the days before it.
    assert seen == [
        ("start", "plan_start"),
        ("hold", "next_morning_missing"),
        ("hold", "repeat_until_completed"),
        ("step_back", "pain_over_hold_max"),  # 03-05: after the 6/10 walk
        ("hold", "same_flare"),  # 03-06: the sore rest day was the same flare
        ("refer", "step_backs_in_a_row"),  # 03-07: the 7/10 walk was a second flare
        ("refer", "step_backs_in_a_row"),
    ], seen
