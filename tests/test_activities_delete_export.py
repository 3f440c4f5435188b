"""Delete with undo, and the CSV export of activities (issue 10)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from strideback.activities import queries, service
from strideback.cli import app
from strideback.load.service import weekly_load

RUN_FIT = "Runalyze__Standard.fit"


def _runs(db, day: dt.date) -> int:
    return sum(week.runs for week in weekly_load(db, today=day, weeks=1))


def test_delete_and_restore_a_run_with_its_series_and_load(db, activities_dir: Path):
    (result,) = service.import_paths(db, [activities_dir / RUN_FIT])
    day = result.start_time.date()
    assert _runs(db, day) == 1
    fingerprint = queries.activity_fingerprint(db)
    queries.delete_activity(db, result.activity_id)
    assert queries.list_activities(db) == []
    assert _runs(db, day) == 0
    assert queries.running_history(db, day, day) == []
    assert queries.activity_fingerprint(db) != fingerprint
    try:
        queries.get_activity(db, result.activity_id)
        raise AssertionError("a deleted activity must not be found")
    except KeyError:
        pass
    again = service.import_paths(db, [activities_dir / RUN_FIT])  # same bytes: says so
    assert again[0].status == "duplicate" and "--restore" in again[0].note
    restored = queries.restore_activity(db, result.activity_id)
    assert restored.id == result.activity_id
    activity = queries.get_activity(db, result.activity_id)
    assert len(activity.series) > 800 and activity.laps  # series and laps are back
    assert _runs(db, day) == 1


def test_purge_removes_old_deletions_for_good(db, activities_dir: Path):
    (result,) = service.import_paths(db, [activities_dir / RUN_FIT])
    then = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    queries.delete_activity(db, result.activity_id, now=then)
    assert queries.purge_deleted(db, dt.timedelta(days=30), now=then + dt.timedelta(days=1)) == 0
    assert queries.purge_deleted(db, dt.timedelta(days=30), now=then + dt.timedelta(days=31)) == 1
    try:
        queries.restore_activity(db, result.activity_id)
        raise AssertionError("purged")
    except KeyError:
        pass


def test_cli_delete_asks_first_and_undo_restores(tmp_path: Path, activities_dir: Path):
    runner = CliRunner()
    db = ["--db", f"sqlite:///{tmp_path / 'cli.sqlite3'}"]
    out = runner.invoke(app, [*db, "import", "--json", str(activities_dir / RUN_FIT)])
    activity_id = json.loads(out.output.splitlines()[0])["activity_id"]
    no = runner.invoke(app, [*db, "activities", "--delete", str(activity_id)], input="n\n")
    assert no.exit_code == 1 and "nothing deleted" in no.output
    yes = runner.invoke(app, [*db, "activities", "--delete", str(activity_id)], input="y\n")
    assert yes.exit_code == 0 and "--restore" in yes.output
    listing = runner.invoke(app, [*db, "activities", "--json"])
    assert listing.output.strip() == ""
    back = runner.invoke(app, [*db, "activities", "--restore", str(activity_id)])
    assert back.exit_code == 0
    gone = runner.invoke(app, [*db, "activities", "--delete", str(activity_id), "--yes"])
    assert gone.exit_code == 0
    missing = runner.invoke(app, [*db, "activities", "--delete", "424242", "--yes"])
    assert missing.exit_code != 0 and "no activity with id 424242" in missing.output


def test_csv_export_has_offsets_local_time_names_hr_and_rounded_values(
    db, activities_dir: Path, tmp_path: Path
):
    service.import_paths(db, [activities_dir / RUN_FIT, activities_dir / "Runalyze__Standard.tcx"])
    rows = queries.activities_csv_rows(db)
    assert rows and all(list(r) == list(queries.CSV_COLUMNS) for r in rows)
    fit = next(r for r in rows if r["source_format"] == "fit")
    start = dt.datetime.fromisoformat(fit["start_utc"])
    local = dt.datetime.fromisoformat(fit["start_local"])
    assert start.utcoffset() == dt.timedelta(0) and local == start
    assert local.utcoffset() == dt.timedelta(minutes=fit["utc_offset_min"])
    assert fit["avg_hr_bpm"] == 124 and isinstance(fit["avg_hr_bpm"], int)
    assert fit["distance_km"] == round(fit["distance_km"], 3)
    assert rows == sorted(rows, key=lambda r: r["start_utc"])
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    runner.invoke(app, ["--db", url, "import", str(activities_dir / RUN_FIT)])
    out = tmp_path / "activities.csv"
    result = runner.invoke(app, ["--db", url, "activities", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert written[0]["start_utc"].endswith("+00:00") and written[0]["avg_hr_bpm"] == "124"
