"""More sources (issue 10): localised Strava activities.csv headers, Strava manual entries,
Garmin activity names from the export's JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import pytest

from strideback.activities import queries, service
from strideback.activities.strava_csv import manual_entries, parse_strava_csv

# The header of a Strava export in each language (Strava translates it), same column order.
HEADERS = {
    "en": [
        "Activity ID",
        "Activity Date",
        "Activity Name",
        "Activity Type",
        "Elapsed Time",
        "Filename",
    ],
    "de": [
        "Aktivitäts-ID",
        "Datum der Aktivität",
        "Name der Aktivität",
        "Aktivitätsart",
        "Verstrichene Zeit",
        "Dateiname",
    ],
    "fr": [
        "ID de l'activité",
        "Date de l'activité",
        "Nom de l'activité",
        "Type d'activité",
        "Temps écoulé",
        "Nom du fichier",
    ],
    "es": [
        "ID de actividad",
        "Fecha de la actividad",
        "Nombre de la actividad",
        "Tipo de actividad",
        "Tiempo transcurrido",
        "Nombre de archivo",
    ],
    "it": [
        "ID attività",
        "Data dell'attività",
        "Nome attività",
        "Tipo di attività",
        "Tempo trascorso",
        "Nome file",
    ],
    "nl": [
        "Activiteits-ID",
        "Datum activiteit",
        "Naam activiteit",
        "Activiteitstype",
        "Verstreken tijd",
        "Bestandsnaam",
    ],
    "pt": [
        "ID da atividade",
        "Data da atividade",
        "Nome da atividade",
        "Tipo de atividade",
        "Tempo decorrido",
        "Nome do arquivo",
    ],
    "unknown": ["A", "B", "C", "D", "E", "F"],  # a language we do not know: positions + content
}
RUN_WORD = {
    "en": "Run",
    "de": "Lauf",
    "fr": "Course à pied",
    "es": "Carrera",
    "it": "Corsa",
    "nl": "Hardlopen",
    "pt": "Corrida",
    "unknown": "Run",
}


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize("lang", list(HEADERS))
def test_localised_headers_give_names_and_types(lang: str):
    text = _csv(
        HEADERS[lang],
        [
            [
                "1",
                "Jun 1, 2020, 4:52:40 PM",
                "Morgenlauf",
                RUN_WORD[lang],
                "1800",
                "activities/1.fit.gz",
            ]
        ],
    )
    assert parse_strava_csv(text) == {"activities/1.fit.gz": ("Morgenlauf", "running")}


def test_manual_entries_are_summary_only_activities(db, tmp_path: Path, activities_dir: Path):
    text = _csv(
        [*HEADERS["en"][:5], "Distance", "Filename", "Moving Time", "Distance"],
        [
            [
                "1",
                "Jun 1, 2020, 4:52:40 PM",
                "Treadmill",
                "Run",
                "1800",
                "5.1",
                "",
                "1750",
                "5100.0",
            ],
            ["2", "not a date", "Lost", "Run", "1800", "5.1", "", "", ""],
            [
                "3",
                "Jun 1, 2020, 6:00:00 PM",
                "Track",
                "Run",
                "1900",
                "6.2",
                "activities/3.fit",
                "",
                "",
            ],
        ],
    )
    entries, unreadable = manual_entries(text)
    assert unreadable == 1 and len(entries) == 1
    (entry,) = entries
    assert entry.start == dt.datetime(2020, 6, 1, 16, 52, 40, tzinfo=dt.UTC)
    assert (entry.distance_m, entry.elapsed_s, entry.moving_s) == (5100.0, 1800.0, 1750.0)
    archive = tmp_path / "strava.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("activities.csv", text)
        zf.writestr("activities/3.fit", (activities_dir / "Runalyze__Standard.fit").read_bytes())
    results = service.import_paths(db, [archive])
    manual = [r for r in results if "#row" in r.file]
    assert [(r.status, r.sport, r.distance_m) for r in manual] == [("imported", "running", 5100.0)]
    errors = [r for r in results if r.status == "error"]
    assert len(errors) == 1 and "unreadable date" in errors[0].error
    summary = queries.get_summary(db, manual[0].activity_id)
    assert summary.source_format == "manual" and summary.name == "Treadmill"
    again = service.import_paths(db, [archive])
    assert {r.status for r in again if "#row" in r.file} == {"duplicate"}


def test_garmin_export_names_come_from_its_json(db, tmp_path: Path, activities_dir: Path):
    start = dt.datetime(2014, 3, 29, 11, 17, 57, tzinfo=dt.UTC)  # Runalyze__Standard.fit
    names = [
        {
            "summarizedActivitiesExport": [
                {
                    "activityId": 1,
                    "name": "Parkrun Hasenheide",
                    "startTimeGmt": int(start.timestamp() * 1000) + 2000,
                },
                {
                    "activityId": 2,
                    "name": "Another day",
                    "startTimeGmt": int(start.timestamp() * 1000) + 86_400_000,
                },
            ]
        }
    ]
    part = io.BytesIO()
    with zipfile.ZipFile(part, "w") as zf:
        zf.writestr("user_1.fit", (activities_dir / "Runalyze__Standard.fit").read_bytes())
        zf.writestr("user_2.fit", (activities_dir / "gpsbabel__fit-sample.fit").read_bytes())
    export = tmp_path / "garmin.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr(
            "DI_CONNECT/DI-Connect-Fitness/me_0_summarizedActivities.json", json.dumps(names)
        )
        zf.writestr(
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip", part.getvalue()
        )
    results = service.import_paths(db, [export])
    by_name = {r.file.rsplit(":", 1)[-1]: r for r in results}
    assert queries.get_summary(db, by_name["user_1.fit"].activity_id).name == "Parkrun Hasenheide"
    assert queries.get_summary(db, by_name["user_2.fit"].activity_id).name is None


GARMIN_CSV = (
    "Activity Type,Date,Favorite,Title,Distance,Calories,Time,Avg HR,Max HR,Avg Run Cadence,"
    "Total Ascent,Total Descent,Moving Time\n"
    'Running,2023-05-01 07:12:33,false,"Easy run",8.02,512,00:45:12,141,160,168,42,40,00:44:50\n'
    "Strength Training,2023-05-02 18:00:00,false,Gym,0.00,200,00:40:00,100,130,--,--,--,00:40:00\n"
    "Running,not a date,false,Broken,5.0,1,00:30:00,,,,,,\n"
)
INTERVALS_CSV = (
    "id,start_date_local,type,name,moving_time,elapsed_time,distance,average_heartrate,"
    "max_heartrate,total_elevation_gain\n"
    "i1,2023-05-03T06:30:00,Run,Intervals,2400,2600,7000,150,178,30\n"
    "i2,2023-05-04T17:00:00,Ride,Commute,1800,1900,12000,120,140,50\n"
)
RUNALYZE_CSV = "id,sportid,time,distance,s,pulse_avg,title\n7,1,1683180000,10.0,3000,145,Long\n"


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("garmin.csv", GARMIN_CSV, [("running", 8020.0, 2712.0), ("other", 0.0, 2400.0)]),
        (
            "intervals.csv",
            INTERVALS_CSV,
            [("running", 7000.0, 2600.0), ("cycling", 12000.0, 1900.0)],
        ),
        ("runalyze.csv", RUNALYZE_CSV, [("running", 10000.0, 3000.0)]),
    ],
)
def test_summary_csvs_import_as_summary_only_activities(db, tmp_path: Path, name, text, expected):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    (folder / "unrelated.csv").write_text("a,b\n1,2\n", encoding="utf-8")  # not picked up
    results = service.import_paths(db, [folder])
    imported = [r for r in results if r.status == "imported"]
    got = [(r.sport, r.distance_m, r.elapsed_s) for r in imported]
    assert got == [(s, pytest.approx(d), e) for s, d, e in expected]
    assert all(r.file.endswith(name) for r in results)
    first = queries.get_summary(db, imported[0].activity_id)
    assert first.source_format == "csv" and first.utc_offset_s is None
    if name == "garmin.csv":
        assert first.local_start == dt.datetime(2023, 5, 1, 7, 12, 33, tzinfo=dt.UTC)
        assert first.avg_hr_bpm == 141 and first.name == "Easy run"
        assert "1 rows without a readable start date" in imported[0].note
    assert {r.status for r in service.import_paths(db, [folder])} == {"duplicate"}


def test_a_summary_row_and_the_fit_of_the_same_run_are_one_activity(
    db, tmp_path: Path, activities_dir: Path
):
    # Runalyze__Standard.fit: 2014-03-29 11:17:57 UTC, local +01:00, 8983 m, 3653 s elapsed
    row = "Running,2014-03-29 12:17:57,false,Saturday,8.98,1,01:00:53,124,150,,,,00:53:12\n"
    (tmp_path / "garmin.csv").write_text(GARMIN_CSV.splitlines()[0] + "\n" + row, encoding="utf-8")
    service.import_paths(db, [tmp_path / "garmin.csv", activities_dir / "Runalyze__Standard.fit"])
    (kept,) = queries.list_activities(db)
    assert kept.source_format == "fit" and kept.name == "Saturday"  # richer copy, merged name
