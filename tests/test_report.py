"""Issue 12: the progress report PDF, built from the services on a database filled through
them (real activity files), read back with pypdf. It passes the plan gate like Today: a normal
plan shows sessions and the exercise sheet; a referral shows only the referral."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from strideback.activities.service import import_paths
from strideback.assess.kujala import score_kujala
from strideback.assess.questions import load_definition
from strideback.cli import app as cli_app
from strideback.coach import service
from strideback.domain import DiaryEntry
from strideback.form.model import Metric
from strideback.report.content import kujala_rows
from strideback.report.service import progress_report, progress_report_pdf
from strideback.store.form import FormClipRow

DEFN = load_definition()
START = dt.date(2020, 3, 2)  # the runs below: 2020-02-15 (21.5 km) and 2020-03-04 (6.5 km)
RUN_FILES = ("sports-lib__6916728382.fit", "sports-lib__6909950168.fit")
RETAKE = START + dt.timedelta(days=14)
TODAY = START + dt.timedelta(days=16)
LOWER = ("kujala_stairs", "kujala_squatting", "kujala_running", "kujala_jumping")


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def answers(**extra: Any) -> dict[str, Any]:
    from test_coach_assess import pfp_answers

    return pfp_answers(**extra)


def lower_kujala() -> dict[str, Any]:
    """Second answer on four activity items: a lower score, no red flag."""
    return {q.id: q.options[1].value for q in DEFN.kujala_items if q.id in LOWER}


def fill(db, activities_dir: Path) -> tuple[int, int]:
    """History, a baseline check, two weeks of diary and a retake; the two Kujala totals."""
    results = import_paths(db, [activities_dir / f for f in RUN_FILES], workers=1)
    assert all(r.activity_id is not None for r in results), results
    first = service.run_check(db, answers(**lower_kujala()), START)
    for k in (0, 2, 4, 7, 9, 11):
        day = START + dt.timedelta(days=k)
        service.log_day(
            db, DiaryEntry(day, pain_during=2, pain_after=1, pain_next_morning=0, done="done")
        )
    service.log_day(db, DiaryEntry(START + dt.timedelta(days=13), done="skipped"))
    service.log_day(db, DiaryEntry(START + dt.timedelta(days=14), pain_during=4, done="modified"))
    second = service.run_check(db, answers(), RETAKE)
    assert first.kujala is not None and second.kujala is not None
    return first.kujala.total, second.kujala.total


def test_a_normal_plan_report_has_the_sessions_scores_diary_and_exercise_sheet(
    db, activities_dir: Path
) -> None:
    low, high = fill(db, activities_dir)
    assert low == score_kujala(DEFN, {**answers(), **lower_kujala()}, START).total < high
    report = progress_report(db, TODAY, weeks=8)
    text = pdf_text(progress_report_pdf(db, TODAY, weeks=8, runner="Alex Runner"))
    assert "Alex Runner" in text and "not a diagnosis" in text
    # Today's step and decision with its reason and real sources
    view = service.todays_session(db, TODAY)
    assert view.referral is None and view.sessions
    assert f"Current step: {view.step}" in text and "Today's decision:" in text
    assert "Today's sessions" in text and "Source:" in text
    # Kujala history: both scores, the change, the meaningful-change note
    assert f"{START.isoformat()} {low}" in text and f"{RETAKE.isoformat()} {high}" in text
    assert f"+{high - low}" in text and "10 points or more is a meaningful change" in text
    assert report.kujala[-1].meaningful is (high - low >= 10)
    # Diary: 8 days logged, 6 done, 1 modified, 1 skipped, worst pain 4/10
    d = report.diary
    assert d is not None and (d.days_logged, d.done, d.modified, d.skipped) == (8, 6, 1, 1)
    assert "days logged done modified skipped rest step-backs red flags worst pain 8 6 1 1" in text
    assert "4/10" in text
    # The load chart's weeks carry the imported runs (21.5 km week of 10 Feb 2020)
    weeks = {w.week_start: w for w in report.weeks}
    assert weeks[dt.date(2020, 2, 10)].run_km == pytest.approx(21.5, abs=0.1)
    assert weeks[dt.date(2020, 3, 2)].run_km == pytest.approx(6.5, abs=0.1)
    assert weeks[dt.date(2020, 3, 16)].worst_pain == 4
    assert "Pain over load" in text
    # The exercise sheet: this week's strength exercises with dosage and steps
    plan = service.current_plan(db, TODAY)
    ids = {i for d in plan.steps if d.day == TODAY or d.day > TODAY for s in d.sessions
           if s.kind == "strength" for i in s.exercises}  # fmt: skip
    assert ids
    for exercise_id in sorted(ids)[:3]:
        ex = service.get_exercise(exercise_id)
        assert ex.name in text and ex.steps[0].split()[0] in text
    assert "Exercise sheet" in text and "Dosage:" in text
    # Plain words only
    assert "evidence.md" not in text and "§" not in text


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ({"rf_calf": "yes"}, "See a clinician today"),
        ({"pain_location": "outside_knee"}, "See a clinician"),
    ],
    ids=["calf_red_flag", "it_band_pattern"],
)
def test_a_referral_report_shows_only_the_referral(db, activities_dir: Path, setup, words):
    import_paths(db, [activities_dir / f for f in RUN_FILES], workers=1)
    service.run_check(db, answers(**setup), START)
    view = service.todays_session(db, TODAY)
    assert view.referral and view.next_step
    text = pdf_text(progress_report_pdf(db, TODAY))
    assert words in text and "Next step:" in text
    assert " ".join(view.referral.split())[:60] in text
    assert " ".join(view.next_step.split())[:50] in text
    assert "Today's sessions" not in text and "Exercise sheet" not in text
    assert "Dosage:" not in text and "Current step" not in text
    for ex in service.load_exercises():
        assert ex.name not in text, ex.name
    # the history is still there for the clinician
    assert "Kujala" in text and "Pain over load" in text


def test_a_red_flag_logged_in_the_diary_stops_the_programme_on_that_day(db) -> None:
    service.run_check(db, answers(), START)
    before = pdf_text(progress_report_pdf(db, START))
    assert "Exercise sheet" in before
    service.save_day(db, START, {"red_flag_kind": "calf", "pain_during": 2}, today=START)
    text = pdf_text(progress_report_pdf(db, START))
    assert "See a clinician" in text and "Next step:" in text
    assert "Exercise sheet" not in text and "Today's sessions" not in text
    assert "red flags" in text  # the diary summary counts it


def test_no_data_at_all_says_to_start_with_the_check(db) -> None:
    report = progress_report(db, START)
    assert report.empty
    text = pdf_text(progress_report_pdf(db, START))
    assert "Start with the knee check" in text and "not a diagnosis" in text
    assert "Pain over load" not in text and "Exercise sheet" not in text


def test_form_metrics_only_good_ones_are_findings(db) -> None:
    service.run_check(db, answers(), START)
    # The stored shape of a real analysis (Metric.to_dict), one of each confidence.
    metrics = {
        m.name: m.to_dict()
        for m in (
            Metric("cadence", "Cadence", 168.4, "steps/min", n=14, confidence="good",
                   finding="Cadence is in range."),
            Metric("knee_flexion_contact", "Knee bend at contact", 9.0, "deg", n=6,
                   confidence="limited", reason="the knee is blurred",
                   finding="Knee bend looks low."),
            Metric("pelvic_drop", "Pelvic drop", None, "deg", confidence="not measurable",
                   reason="side view"),
        )
    }  # fmt: skip
    with db.session() as s:
        s.add(FormClipRow(recorded_on=START, video_path="/clip.mp4", video_sha256="0" * 64,
                          view="side", task="run", fps=60.0, capture_fps=60.0, out_dir="/tmp/x",
                          metrics_json=json.dumps(metrics), quality_json="[]",
                          backend="test"))  # fmt: skip
    form = progress_report(db, START).form
    assert form is not None
    assert [m.label for m in form.findings] == ["Cadence"]
    assert {m.label for m in form.limited} == {"Knee bend at contact", "Pelvic drop"}
    text = pdf_text(progress_report_pdf(db, START))
    assert "Cadence is in range." in text and "168 steps/min" in text
    assert "Knee bend looks low." not in text  # a limited metric is no finding
    assert "the knee is blurred" in text and "limited" in text and "not measurable" in text


def test_the_chart_note_follows_the_clinician_s_pain_setting(db) -> None:
    service.run_check(db, answers(), START)
    service.log_day(db, DiaryEntry(START, pain_during=2, done="done"))
    assert "3/10, the pain allowed during activity" in pdf_text(progress_report_pdf(db, START))
    service.update_settings(db, {"pain_ok_max": 5})
    assert "5/10, the pain allowed during activity" in pdf_text(progress_report_pdf(db, START))


def test_the_meaningful_change_is_ten_points() -> None:
    from strideback.assess.kujala import KujalaScore

    scores = [KujalaScore(70, {}, START), KujalaScore(79, {}, RETAKE),
              KujalaScore(80, {}, TODAY)]  # fmt: skip
    rows = kujala_rows(scores, DEFN.kujala_mcid)
    assert [r.since_first for r in rows] == [None, 9, 10]
    assert [r.change for r in rows] == [None, 9, 1]
    assert [r.meaningful for r in rows] == [False, False, True]


def test_cli_writes_the_report(db_url: str, db, tmp_path: Path) -> None:
    service.run_check(db, answers(), START)
    out = tmp_path / "report.pdf"
    args = ["--db", db_url, "report", "--out", str(out), "--weeks", "4", "--today", "2020-03-04"]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    text = pdf_text(out.read_bytes())
    assert "2020-03-02 100" in text and "10 Feb 2020 to 04 Mar 2020" in text


def test_cli_refuses_bad_weeks_with_one_line(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(cli_app, ["--db", db_url, "report", "--out", str(out),
                                          "--weeks", "0"])  # fmt: skip
    assert result.exit_code == 2 and not out.exists()
    assert "Traceback" not in result.output
