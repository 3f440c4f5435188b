"""Strava bulk exports and Garmin exports end to end, built in the test from real corpus files.

Strava: export zip (or its unpacked folder) with activities.csv (Activity Name, Activity
Type, Filename; Strava's duplicate column names included) and activities/*.fit.gz, *.gpx,
*.tcx.gz, plus files that are not activities. Garmin: a zip holding
DI_CONNECT/DI-Connect-Uploaded-Files/*.zip parts full of FIT files (or the unpacked folder).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strideback.activities import service
from strideback.cli import app
from strideback.store.db import open_database

# Strava's real header repeats "Elapsed Time" and "Distance" (summary and detail columns).
STRAVA_HEADER = [
    "Activity ID",
    "Activity Date",
    "Activity Name",
    "Activity Type",
    "Activity Description",
    "Elapsed Time",
    "Distance",
    "Max Heart Rate",
    "Commute",
    "Activity Gear",
    "Filename",
    "Athlete Weight",
    "Elapsed Time",
    "Moving Time",
    "Distance",
]
# (activity id, name, Strava type, member name, corpus file, gzip it?)
STRAVA_ROWS = [
    ("3001", "Morning Run", "Run", "activities/3001.fit.gz", "Runalyze__Standard.fit", True),
    (
        "3002",
        "Ylläs, hike",
        "Hike",
        "activities/3002.gpx",
        "Runalyze__break-between-trkseg.gpx",
        False,
    ),
    ("3003", "Lunch Run", "Run", "activities/3003.tcx.gz", "sports-lib__6860622916.tcx", True),
    (
        "3004",
        "Zwift - Watopia",
        "Virtual Ride",
        "activities/3004.fit.gz",
        "GoldenCheetah__14582164182.fit.gz",
        False,
    ),
    (
        "3005",
        "Leiden Fietsen",
        "Ride",
        "activities/3005.gpx",
        "sweatpy__activity_5039744860.gpx",
        False,
    ),
]
STRAVA_SPORT = {"Run": "running", "Hike": "hiking", "Virtual Ride": "cycling", "Ride": "cycling"}


def _manifest(activities_dir: Path) -> dict[str, dict[str, str]]:
    with (activities_dir / "MANIFEST.csv").open(encoding="utf-8") as fh:
        return {r["file"]: r for r in csv.DictReader(fh)}


def _strava_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STRAVA_HEADER)
    for activity_id, name, kind, member, _, _ in STRAVA_ROWS:
        writer.writerow(
            [
                activity_id,
                "Jun 1, 2020, 4:52:40 PM",
                name,
                kind,
                "",
                "1800",
                "5.1",
                "",
                "false",
                "",
                member,
                "",
                "1800.0",
                "1700.0",
                "5100.0",
            ]
        )
    # a manual entry (no file) and a row whose file is not in the archive
    writer.writerow(
        [
            "3006",
            "Jun 2, 2020, 7:00:00 AM",
            "Yoga",
            "Yoga",
            "",
            "3600",
            "0",
            "",
            "false",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
    )
    writer.writerow(
        [
            "3007",
            "Jun 3, 2020, 7:00:00 AM",
            "Lost",
            "Run",
            "",
            "60",
            "0.1",
            "",
            "false",
            "",
            "activities/3007.gpx",
            "",
            "",
            "",
            "",
        ]
    )
    return out.getvalue()


def _strava_export(activities_dir: Path, path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("activities.csv", _strava_csv())
        zf.writestr("profile.csv", "Athlete ID,Email\n1,runner@example.org\n")
        zf.writestr("media/12345.jpg", b"\xff\xd8\xff\xe0 not an activity")
        for _, _, _, member, source, compress in STRAVA_ROWS:
            data = (activities_dir / source).read_bytes()
            zf.writestr(member, gzip.compress(data) if compress else data)
    return path


def _check_strava_import(db, results, activities_dir: Path, label: str) -> None:
    # issue 10: Strava manual entries (rows without a file) are imported as summary-only
    manual = [r for r in results if "activities.csv#row" in r.file]
    results = [r for r in results if r not in manual]
    assert [(r.status, r.sport) for r in manual] == [("imported", "other")]
    assert service.get_activity(db, manual[0].activity_id).name == "Yoga"
    assert [r.status for r in results] == ["imported"] * len(STRAVA_ROWS), [
        (r.file, r.status, r.error) for r in results
    ]
    manifest = _manifest(activities_dir)
    by_member = {r.file.replace("\\", "/").split(label, 1)[1].lstrip(":/"): r for r in results}
    stored = {s.id: s for s in service.list_activities(db)}
    for _, name, kind, member, source, _ in STRAVA_ROWS:
        result = by_member[member]
        summary = stored[result.activity_id]
        assert summary.name == name, member  # names from activities.csv
        assert summary.sport == STRAVA_SPORT[kind], member  # types from activities.csv
        assert not summary.sport_guessed, member
        truth = manifest[source]
        if truth["total_distance_m"]:  # device totals survive the archive
            assert summary.distance_m == pytest.approx(float(truth["total_distance_m"]), rel=0.01)
        if truth["format"] in ("gpx", "tcx"):  # local time from the starting place
            assert summary.utc_offset_s is not None, member


def test_strava_export_zip_end_to_end(db, activities_dir: Path, tmp_path: Path):
    archive = _strava_export(activities_dir, tmp_path / "export_12345.zip")
    calls: list[tuple[int, int, str]] = []
    results = service.import_paths(db, [archive], progress=lambda *c: calls.append(c))
    _check_strava_import(db, results, activities_dir, "export_12345.zip")
    assert [d for d, _, _ in calls] == list(range(1, 7))  # 5 files + 1 manual entry
    assert all(d <= t for d, t, _ in calls) and calls[-1][1] == 6
    assert all("export_12345.zip:activities" in name for _, _, name in calls)
    hike = next(r for r in results if r.file.endswith("3002.gpx"))
    assert len(service.get_activity(db, hike.activity_id).laps) >= 2  # its track segments
    again = service.import_paths(db, [archive])
    assert [r.status for r in again] == ["duplicate"] * (len(STRAVA_ROWS) + 1)
    assert len(service.list_activities(db)) == len(STRAVA_ROWS) + 1


def test_strava_export_unpacked_folder(activities_dir: Path, tmp_path: Path):
    archive = _strava_export(activities_dir, tmp_path / "export.zip")
    folder = tmp_path / "export_12345"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(folder)  # our own archive, built above
    db = open_database(f"sqlite:///{tmp_path / 'folder.sqlite3'}")
    results = service.import_paths(db, [folder])
    _check_strava_import(db, results, activities_dir, "export_12345")


def test_strava_export_through_the_cli(activities_dir: Path, tmp_path: Path, db_url: str):
    archive = _strava_export(activities_dir, tmp_path / "export_777.zip")
    out = CliRunner().invoke(app, ["--db", db_url, "import", "--json", str(archive)])
    assert out.exit_code == 0, out.output
    objects = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(objects) == len(STRAVA_ROWS) + 1  # + the manual entry (issue 10)
    assert {o["sport"] for o in objects} == {*STRAVA_SPORT.values(), "other"}


# ----------------------------------------------------------------------------- Garmin


PART1 = {
    "user_111.fit": "Runalyze__Standard.fit",
    "user_112.fit": "Runalyze__multisport-triathlon-fenix3.fit",
    "user_113.fit": "python-fitparse__Settings.fit",  # not an activity: skipped
    "user_114.fit": None,  # an empty upload: error
}
PART2 = {
    "user_115.fit": "workoutizer__2020-08-20-09-34-33.fit",
    "user_116.fit": "Runalyze__Standard.fit",  # the same bytes again: duplicate
}
UPLOADS = "DI_CONNECT/DI-Connect-Uploaded-Files"


def _part(activities_dir: Path, members: dict[str, str | None]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, source in members.items():
            zf.writestr(member, (activities_dir / source).read_bytes() if source else b"")
    return buffer.getvalue()


def _garmin_files(activities_dir: Path) -> dict[str, bytes]:
    return {
        "DI_CONNECT/DI-Connect-Fitness/runner_0_summarizedActivities.json": b'[{"x": 1}]',
        "DI_CONNECT/DI-Connect-User/user_profile.json": b"{}",
        f"{UPLOADS}/UploadedFiles_0-_Part1.zip": _part(activities_dir, PART1),
        f"{UPLOADS}/UploadedFiles_0-_Part2.zip": _part(activities_dir, PART2),
    }


def _legs(activities_dir: Path, name: str) -> int:
    with (activities_dir / "SESSIONS.csv").open(encoding="utf-8") as fh:
        return sum(r["file"] == name for r in csv.DictReader(fh)) or 1


def _check_garmin(results, activities_dir: Path) -> None:
    manifest = _manifest(activities_dir)
    by_member: dict[str, list] = {}
    for r in results:
        by_member.setdefault(Path(r.file.rsplit(":", 1)[1]).name, []).append(r)
    assert set(by_member) == set(PART1) | set(PART2)
    for member, source in (PART1 | PART2).items():
        statuses = [r.status for r in by_member[member]]
        if source is None:
            assert statuses == ["error"] and "empty" in by_member[member][0].error
        elif manifest[source]["category"] == "not-activity":
            assert statuses == ["skipped"]
        elif member == "user_116.fit":
            assert statuses == ["duplicate"]
        else:
            assert statuses == ["imported"] * _legs(activities_dir, source), member
            sports = {r.sport for r in by_member[member]}
            if manifest[source]["category"] != "multisport":
                assert sports == {manifest[source]["sport"]}
            distance = sum(r.distance_m for r in by_member[member])
            expected = float(manifest[source]["total_distance_m"])
            assert distance == pytest.approx(expected, rel=0.01), member
    assert len(by_member["user_112.fit"]) >= 3  # one activity per multisport leg


def test_garmin_export_zip_of_zips(db, activities_dir: Path, tmp_path: Path):
    archive = tmp_path / "garmin_export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in _garmin_files(activities_dir).items():
            zf.writestr(name, data)
    results = service.import_paths(db, [archive])
    _check_garmin(results, activities_dir)
    assert all(r.file.startswith(f"{archive}:{UPLOADS}/UploadedFiles_0-_Part") for r in results)


def test_garmin_export_folder_and_cli_exit_status(activities_dir, tmp_path, db_url):
    folder = tmp_path / "garmin"
    for name, data in _garmin_files(activities_dir).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    db = open_database(f"sqlite:///{tmp_path / 'garmin.sqlite3'}")
    _check_garmin(service.import_paths(db, [folder]), activities_dir)
    out = CliRunner().invoke(app, ["--db", db_url, "import", str(folder)])
    assert out.exit_code == 1  # the empty upload failed; the rest went on
    assert "user_114.fit" in out.output and "empty" in out.output
    assert "skipped" in out.output
