"""Guessed sports: the guess, the mark (table and --json), the runner's correction, and load."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strideback.activities import service
from strideback.activities.parse import parse_item
from strideback.activities.sources import FileItem
from strideback.activities.sports import guess_sport, sport_from_name
from strideback.cli import app
from strideback.load.service import load_items, weekly_load

HIKE_GPX = "Runalyze__break-between-trkseg.gpx"  # a mountain outing with no <type>


@pytest.mark.parametrize(
    ("name", "sport"),
    [
        ("Cycling 10/2/17 10:49 am", "cycling"),
        ("Hike", "hiking"),
        ("Run", "running"),
        ("Wanderung am Feldberg", "hiking"),
        ("Nachtlauf", "running"),
        ("Leiden Fietsen", "cycling"),
        ("Morning Walk", "walking"),
        ("Trail run", "running"),
        ("Brunch with friends", None),
        ("Move", None),
        (None, None),
    ],
)
def test_sport_from_name(name, sport):
    assert sport_from_name(name) == sport


def test_guess_uses_speed_and_climbing():
    # 10 km in 1 h on the flat: a run; the same with 700 m of climbing at hiking pace: a hike
    assert guess_sport(None, 10_000, 3_600, 50) == ("running", "guessed-from-speed")
    assert guess_sport(None, 8_000, 4 * 3_600, 700)[0] == "hiking"
    assert guess_sport(None, 5_000, 3_000, 20)[0] == "walking"
    assert guess_sport(None, 5_000, 3_000, 200)[0] == "hiking"  # slow and steep
    assert guess_sport(None, 40_000, 4_000, 300)[0] == "cycling"
    assert guess_sport(None, None, None, None)[0] == "other"
    # the name wins over the numbers
    assert guess_sport("Evening ride", 10_000, 3_600, 50) == ("cycling", "guessed-from-name")


@pytest.mark.parametrize(
    ("file", "sport", "how"),
    [
        ("Runalyze__runkeeper-negative-time-step-at-start.gpx", "cycling", "guessed-from-name"),
        ("Runalyze__strava-export.gpx", "running", "guessed-from-name"),  # "Nachtlauf"
        ("sports-lib__movescount.gpx", "running", "guessed-from-speed"),  # "Move"
        ("sports-lib__garmin.gpx", "running", None),  # <type>running</type>: not a guess
    ],
)
def test_real_gpx_files_without_type_get_a_marked_guess(activities_dir: Path, file, sport, how):
    parsed = parse_item(FileItem(name=file, path=activities_dir / file))
    (activity,) = parsed.activities
    assert (activity.sport, activity.provenance.get("sport")) == (sport, how)


def test_guessed_sport_is_marked_and_can_be_corrected(db, activities_dir: Path):
    (guessed,) = service.import_paths(db, [activities_dir / HIKE_GPX])
    assert guessed.status == "imported" and guessed.sport_guessed
    (typed,) = service.import_paths(db, [activities_dir / "sports-lib__6048438275.gpx"])
    assert not typed.sport_guessed  # <type>9</type>: the file said so
    summary = {s.id: s for s in service.list_activities(db)}[guessed.activity_id]
    assert summary.sport_guessed and summary.to_dict()["sport_guessed"] is True

    local_day = summary.local_start.date()
    service.set_sport(db, guessed.activity_id, "running")  # as a run ...
    before = weekly_load(db, today=local_day, weeks=1)[-1]
    corrected = service.set_sport(db, guessed.activity_id, "hiking")  # ... and as a hike
    assert (corrected.sport, corrected.sub_sport, corrected.sport_guessed) == (
        "hiking",
        None,
        False,
    )
    after = weekly_load(db, today=local_day, weeks=1)[-1]
    assert after.runs == before.runs - 1
    assert after.distance_m == pytest.approx(before.distance_m - summary.distance_m)
    assert after.cross_training_s > before.cross_training_s
    item = next(i for i in load_items(db) if i.activity_id == guessed.activity_id)
    assert item.sport == "hiking" and not item.is_run
    stored = service.get_activity(db, guessed.activity_id)
    assert stored.sport == "hiking" and stored.provenance["sport"] == "runner"

    trail = service.set_sport(db, guessed.activity_id, "Running", "trail")
    assert (trail.sport, trail.sub_sport) == ("running", "trail")
    assert service.set_sport(db, guessed.activity_id, "running").sub_sport == "generic"
    with pytest.raises(ValueError, match="unknown sport"):
        service.set_sport(db, guessed.activity_id, "skating")
    with pytest.raises(ValueError, match="sub-sport"):
        service.set_sport(db, guessed.activity_id, "running", "moon")
    with pytest.raises(KeyError):
        service.set_sport(db, 999_999, "hiking")


def test_cli_marks_guesses_and_sets_sport(activities_dir: Path, db_url: str):
    runner = CliRunner()
    imported = runner.invoke(
        app, ["--db", db_url, "import", "--json", str(activities_dir / HIKE_GPX)]
    )
    assert imported.exit_code == 0, imported.output
    result = json.loads(imported.stdout.splitlines()[0])
    assert result["sport_guessed"] is True
    activity_id = result["activity_id"]

    table = runner.invoke(app, ["--db", db_url, "activities"], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    assert re.search(rf"│\s*{activity_id}\s*│.*\?", table.output)
    assert "--set-sport" in table.output  # the legend says how to correct it

    listed = runner.invoke(app, ["--db", db_url, "activities", "--json"])
    assert json.loads(listed.stdout.splitlines()[0])["sport_guessed"] is True

    fixed = runner.invoke(
        app, ["--db", db_url, "activities", "--set-sport", str(activity_id), "hiking"]
    )
    assert fixed.exit_code == 0, fixed.output
    assert "hiking" in fixed.output
    listed = runner.invoke(app, ["--db", db_url, "activities", "--json"])
    row = json.loads(listed.stdout.splitlines()[0])
    assert (row["sport"], row["sport_guessed"]) == ("hiking", False)
    table = runner.invoke(app, ["--db", db_url, "activities"], env={"COLUMNS": "200"})
    assert "?" not in table.output

    bad = runner.invoke(app, ["--db", db_url, "activities", "--set-sport", str(activity_id), "x"])
    assert bad.exit_code == 1 and "unknown sport" in bad.output
    missing = runner.invoke(app, ["--db", db_url, "activities", "--set-sport", "9999", "hiking"])
    assert missing.exit_code == 1 and "9999" in missing.output


def test_a_guessed_sport_does_not_hide_a_duplicate(db, activities_dir: Path, tmp_path: Path):
    """The same ride as a GPX without <type> (named like a walk) and as FIT: kept once (FIT)."""
    text = (activities_dir / "sweatpy__activity_5039744860.gpx").read_text(encoding="utf-8")
    text = re.sub(r"<type>.*?</type>", "", text)
    text = re.sub(r"<name>.*?</name>", "<name>Morning Walk</name>", text, count=1)
    (tmp_path / "ride.gpx").write_text(text, encoding="utf-8")
    (gpx,) = service.import_paths(db, [tmp_path / "ride.gpx"])
    assert gpx.status == "imported" and gpx.sport == "walking" and gpx.sport_guessed
    (fit,) = service.import_paths(db, [activities_dir / "sweatpy__2020-06-01-16-52-40.fit"])
    assert fit.status == "imported" and fit.sport == "cycling"
    assert "replaced GPX" in fit.note
    stored = service.list_activities(db)
    assert [(s.sport, s.source_format, s.sport_guessed) for s in stored] == [
        ("cycling", "fit", False)
    ]
    assert stored[0].start_time == dt.datetime(2020, 6, 1, 14, 52, 40, tzinfo=dt.UTC)
