"""The import service end to end: database, duplicates, archives, CLI, PostgreSQL."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strideback.activities import service
from strideback.activities.sources import MAX_RATIO
from strideback.cli import app

RUN_FIT = "Runalyze__Standard.fit"
GZ_RIDE = "GoldenCheetah__14582164182.fit.gz"
TRIATHLON = "Runalyze__multisport-triathlon-fenix3.fit"
TWIN_FIT, TWIN_GPX = "sports-lib__2067489619.fit", "sports-lib__2067489619.gpx"


def _statuses(results):
    return [r.status for r in results]


def test_import_store_and_query(db, activities_dir: Path):
    results = service.import_paths(db, [activities_dir / RUN_FIT])
    assert _statuses(results) == ["imported"]
    result = results[0]
    assert result.distance_m == pytest.approx(8983.37)
    assert result.start_time.tzinfo is not None
    listed = service.list_activities(db)
    assert [s.id for s in listed] == [result.activity_id]
    activity = service.get_activity(db, result.activity_id)
    assert activity.sport == "running" and len(activity.series) > 100
    assert activity.series.get("hr_bpm") is not None
    local_day = listed[0].local_start.date()
    assert [s.id for s in service.activities_on(db, local_day)] == [result.activity_id]
    assert service.activities_on(db, local_day + dt.timedelta(days=1)) == []
    with pytest.raises(KeyError):
        service.get_activity(db, 999_999)
    json.dumps(result.to_dict())  # the --json object is serialisable


def test_reimport_is_a_noop(db, activities_dir: Path):
    first = service.import_paths(db, [activities_dir / RUN_FIT])
    again = service.import_paths(db, [activities_dir / RUN_FIT])
    assert _statuses(again) == ["duplicate"]
    assert again[0].activity_id == first[0].activity_id
    assert len(service.list_activities(db)) == 1


def test_fit_replaces_its_gpx_twin_and_gpx_after_fit_is_duplicate(db, activities_dir: Path):
    gpx = service.import_paths(db, [activities_dir / TWIN_GPX])
    assert _statuses(gpx) == ["imported"]
    fit = service.import_paths(db, [activities_dir / TWIN_FIT])
    assert _statuses(fit) == ["imported"] and "replaced GPX" in fit[0].note
    stored = service.list_activities(db)
    assert [(s.id, s.source_format) for s in stored] == [(fit[0].activity_id, "fit")]
    # and the other way round in a fresh batch: the GPX is the duplicate
    again = service.import_paths(
        db,
        [
            activities_dir / "sweatpy__2020-06-01-16-52-40.fit",
            activities_dir / "sweatpy__activity_5039744860.gpx",
            activities_dir / "sweatpy__activity_5039744860.tcx",
        ],
    )
    assert _statuses(again) == ["imported", "duplicate", "duplicate"]
    assert len(service.list_activities(db)) == 2


def test_batch_goes_on_after_bad_files_and_progress_is_per_file(db, activities_dir, tmp_path):
    (tmp_path / "empty.fit").write_bytes(b"")
    shutil.copy(activities_dir / RUN_FIT, tmp_path / "run.fit")
    shutil.copy(activities_dir / "python-fitparse__Settings.fit", tmp_path / "settings.fit")
    (tmp_path / "junk.gpx").write_bytes(b"not xml at all")
    calls = []
    results = service.import_paths(db, [tmp_path], progress=lambda d, t, n: calls.append((d, t)))
    by_name = {Path(r.file).name: r for r in results}
    assert by_name["empty.fit"].status == "error" and "empty" in by_name["empty.fit"].error
    assert by_name["junk.gpx"].status == "error"
    assert by_name["settings.fit"].status == "skipped"
    assert by_name["run.fit"].status == "imported"
    assert calls == [(i, 4) for i in range(1, 5)]


def test_gzip_and_parallel_workers(db, activities_dir: Path, tmp_path: Path):
    for name in (RUN_FIT, "Runalyze__Standard.tcx", "sports-lib__garmin.gpx"):
        (tmp_path / (name + ".gz")).write_bytes(gzip.compress((activities_dir / name).read_bytes()))
    results = service.import_paths(db, [tmp_path, activities_dir / GZ_RIDE], workers=2)
    assert _statuses(results) == ["imported"] * 4
    assert {r.sport for r in results} == {"running", "cycling"}


def _strava_zip(activities_dir: Path, path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "activities.csv",
            "Activity ID,Activity Date,Activity Name,Activity Type,"
            "Filename\n1,x,Morning Run,Run,activities/1.fit.gz\n"
            "2,x,Hill walk,Walk,activities/2.gpx\n",
        )
        zf.writestr("activities/1.fit.gz", gzip.compress((activities_dir / RUN_FIT).read_bytes()))
        zf.writestr("activities/2.gpx", (activities_dir / "workoutizer__example.gpx").read_bytes())
        zf.writestr("media/photo.jpg", b"\xff\xd8 not an activity")


def test_strava_export_zip_uses_activities_csv(db, activities_dir: Path, tmp_path: Path):
    archive = tmp_path / "export_123.zip"
    _strava_zip(activities_dir, archive)
    results = service.import_paths(db, [archive])
    assert _statuses(results) == ["imported", "imported"]
    names = {s.name: s.sport for s in service.list_activities(db)}
    assert names == {"Morning Run": "running", "Hill walk": "walking"}


def test_garmin_export_with_nested_zips(db, activities_dir: Path, tmp_path: Path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("user_123.fit", (activities_dir / RUN_FIT).read_bytes())
        zf.writestr("user_124.fit", (activities_dir / "gpsbabel__fit-sample.fit").read_bytes())
    outer = tmp_path / "garmin_export.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.writestr(
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip", inner.getvalue()
        )
    results = service.import_paths(db, [outer])
    assert _statuses(results) == ["imported", "imported"]


def test_malicious_zip_is_refused_member_by_member(db, activities_dir: Path, tmp_path: Path):
    archive = tmp_path / "evil.zip"
    bomb = b"\0" * (int(MAX_RATIO) * 1024 * 64)  # compresses ~1000:1
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("../../escape.fit", (activities_dir / RUN_FIT).read_bytes())
        zf.writestr("/abs/path.gpx", b"<gpx/>")
        zf.writestr("bomb.fit", bomb)
        zf.writestr("ok.fit", (activities_dir / "gpsbabel__fit-sample.fit").read_bytes())
    results = service.import_paths(db, [archive])
    by_member = {r.file.split(":", 1)[1]: r for r in results}
    assert "traversal" in by_member["../../escape.fit"].error
    assert "absolute" in by_member["/abs/path.gpx"].error
    assert "zip bomb" in by_member["bomb.fit"].error
    assert by_member["ok.fit"].status == "imported"
    assert not (tmp_path.parent / "escape.fit").exists()


def test_cli_import_json_and_exit_codes(activities_dir: Path, tmp_path: Path, db_url: str):
    runner = CliRunner()
    good = runner.invoke(app, ["--db", db_url, "import", "--json", str(activities_dir / RUN_FIT)])
    assert good.exit_code == 0, good.output
    obj = json.loads(good.stdout.strip().splitlines()[0])
    assert set(obj) >= {
        "file",
        "status",
        "activity_id",
        "sport",
        "start_time",
        "distance_m",
        "elapsed_s",
        "moving_s",
        "ascent_m",
        "descent_m",
        "avg_cadence_spm",
        "avg_hr_bpm",
        "error",
    }
    (tmp_path / "bad.fit").write_bytes(b"\x0e\x10garbage")
    bad = runner.invoke(
        app, ["--db", db_url, "import", str(tmp_path / "bad.fit"), str(activities_dir / RUN_FIT)]
    )
    assert bad.exit_code == 1
    assert "bad.fit" in bad.output
    skipped = runner.invoke(
        app, ["--db", db_url, "import", str(activities_dir / "python-fitparse__Settings.fit")]
    )
    assert skipped.exit_code == 0
    listing = runner.invoke(app, ["--db", db_url, "activities", "--json"])
    assert listing.exit_code == 0
    assert [json.loads(line)["sport"] for line in listing.stdout.splitlines()] == ["running"]
    table = runner.invoke(app, ["--db", db_url, "activities", "--sport", "running"])
    assert table.exit_code == 0 and "1 activities" in table.output


def test_postgresql(postgres_url: str, activities_dir: Path):
    from sqlalchemy import text

    from strideback.store.db import open_database

    db = open_database(postgres_url)
    with db.session() as session:  # a clean slate on a shared server
        session.execute(text("DELETE FROM activity_series"))
        session.execute(text("DELETE FROM activities"))
        session.execute(text("DELETE FROM source_files"))
    results = service.import_paths(
        db,
        [
            activities_dir / TWIN_GPX,
            activities_dir / TWIN_FIT,
            activities_dir / TRIATHLON,
        ],
    )
    assert _statuses(results) == ["imported"] * 7
    assert len(service.list_activities(db)) == 6  # the FIT replaced its GPX twin
    again = service.import_paths(db, [activities_dir / TWIN_FIT])
    assert _statuses(again) == ["duplicate"]
    running = service.list_activities(db, sport="running")
    activity = service.get_activity(db, running[0].id)
    assert len(activity.series) > 0
