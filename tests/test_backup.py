"""One backup format: everything out, everything back, checked as strictly as the forms."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from strideback.activities.service import import_paths
from strideback.backup import BackupError, export_backup, restore_backup
from strideback.backup.archive import backed_up_tables, content_checksum, natural_key
from strideback.backup.legacy import restore_any
from strideback.cli import app as cli_app
from strideback.coach import service
from strideback.domain import DiaryEntry
from strideback.preferences import get_preferences, set_preference
from strideback.store.activities import ActivityRow, ActivitySeries
from strideback.store.db import close_all, data_dir, open_database
from strideback.store.form import FormClipRow

REAL = [
    "Runalyze__Standard.fit",
    "Runalyze__Standard.tcx",
    "GoldenCheetah__Move_2014_01_16_19_48_44.gpx",
    "GoldenCheetah__activity_165850259_multi-session.tcx",
    "GoldenCheetah__14582164182.fit.gz",
]


def fill_everything(db, activities_dir: Path) -> None:
    """Real activities, the coach's data (checks, diary, settings, clearance), a unit
    preference and a form clip whose report, metrics and video sit under the data folder."""
    from test_coach_export import fill

    results = import_paths(db, [activities_dir / name for name in REAL])
    assert sum(r.status == "imported" for r in results) >= 4
    fill(db)
    service.log_day(db, DiaryEntry(dt.date(2026, 3, 20), note='=HYPERLINK("http://x")'))
    set_preference(db, "units", "mi")
    clip_dir = data_dir() / "form" / "clip-1"
    clip_dir.mkdir(parents=True)
    (clip_dir / "report.html").write_text("<h1>report</h1>", encoding="utf-8")
    (clip_dir / "metrics.json").write_text('{"cadence_spm": 172}', encoding="utf-8")
    (clip_dir / "annotated.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(2048))
    with db.session() as session:
        session.add(
            FormClipRow(
                recorded_on=dt.date(2026, 3, 5), runner=None,
                video_path=str(data_dir() / "uploads" / "gone.mp4"), video_sha256="ab" * 32,
                view="side", task="run", fps=30.0, capture_fps=30.0, out_dir=str(clip_dir),
                metrics_json='{"cadence_spm": 172}', quality_json="[]", backend="test",
            )
        )  # fmt: skip


def switch_home(monkeypatch, folder: Path) -> None:
    close_all()
    folder.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("STRIDEBACK_HOME", str(folder))


def counts(db) -> dict[str, int]:
    with db.session() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) for t in backed_up_tables()
        }


def test_round_trip_into_a_fresh_home_gives_identical_content(
    tmp_path, monkeypatch, activities_dir
) -> None:
    switch_home(monkeypatch, tmp_path / "home1")
    db = open_database(f"sqlite:///{tmp_path / 'one.sqlite3'}")
    fill_everything(db, activities_dir)
    first = export_backup(db, tmp_path / "first.zip", with_videos=True)
    assert first.rows["activities"] >= 4 and first.rows["activity_series"] >= 4
    assert first.rows["coach_diary"] == 8 and first.rows["coach_checks"] == 2
    assert first.rows["coach_plan_starts"] >= 1 and first.rows["coach_settings"] == 2
    assert first.rows["form_clips"] == 1 and first.rows["web_preferences"] == 1
    assert first.rows["coach_settings_audit"] == 2  # the threshold changes' audit log
    assert first.files == 3  # report, metrics and (with videos) the annotated video
    before = counts(db)

    switch_home(monkeypatch, tmp_path / "home2")
    fresh = open_database(f"sqlite:///{tmp_path / 'two.sqlite3'}")
    summary = restore_backup(fresh, tmp_path / "first.zip")
    assert summary.mode == "empty" and summary.files == 3
    assert counts(fresh) == before
    second = export_backup(fresh, tmp_path / "second.zip", with_videos=True)
    assert second.content_sha256 == first.content_sha256
    # The clip's files now live in the new home, and its row points there.
    with fresh.session() as session:
        clip = session.scalars(select(FormClipRow)).one()
    assert Path(clip.out_dir) == data_dir() / "form" / "clip-1"
    assert (Path(clip.out_dir) / "report.html").read_text(encoding="utf-8") == "<h1>report</h1>"
    assert get_preferences(fresh)["units"] == "mi"
    assert service.get_settings(fresh)["pain_ok_max"] == 4
    assert service.last_clearance(fresh) is not None
    with fresh.session() as session:
        series = session.scalars(select(ActivitySeries)).all()
        assert series and all(s.data for s in series)
        laps = session.scalars(select(ActivityRow.laps).where(ActivityRow.laps.is_not(None)))
        assert laps.first()


def test_manifest_lists_versions_counts_and_checksums(db, tmp_path, activities_dir) -> None:
    import_paths(db, [activities_dir / "Runalyze__Standard.fit"])
    export_backup(db, tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["format"] == "strideback-backup" and manifest["format_version"] == 2
        assert manifest["app_version"] and manifest["schema"]
        for info in manifest["tables"].values():
            assert hashlib.sha256(zf.read(info["file"])).hexdigest() == info["sha256"]
        assert manifest["tables"]["activities"]["rows"] == 1
        for ephemeral in ("web_jobs", "accounts_sessions", "accounts_login_failures"):
            assert ephemeral not in manifest["tables"]  # job progress and login state stay out
        assert manifest["content_sha256"] == content_checksum(manifest["tables"], manifest["files"])
    # Every table of the schema is in the backup: new tables are included by construction.
    # Issue #12: a backup is one runner's data; the accounts tables are not in it.
    from strideback.store.models import Base

    accounts = {name for name in Base.metadata.tables if name.startswith("accounts_")}
    # Not runner data: job progress; the clinician board's per-runner data versions (no
    # runner_id). A clinician's private notes on the runner are the clinician's records.
    excluded = {"web_jobs", "clinic_board_versions", "clinic_notes"}
    assert set(manifest["tables"]) == set(Base.metadata.tables) - excluded - accounts


def test_videos_only_on_request(db, tmp_path, activities_dir) -> None:
    fill_everything(db, activities_dir)
    export_backup(db, tmp_path / "plain.zip")
    with zipfile.ZipFile(tmp_path / "plain.zip") as zf:
        names = zf.namelist()
    assert "files/form/clip-1/report.html" in names
    assert not any(n.endswith(".mp4") for n in names)


def _rewrite(src: Path, dst: Path, table: str, edit) -> None:
    """Copy a backup, editing one table's rows, with checksums made to match again."""
    with zipfile.ZipFile(src) as zin:
        manifest = json.loads(zin.read("manifest.json"))
        members = {n: zin.read(n) for n in zin.namelist()}
    rows = [json.loads(line) for line in members[f"tables/{table}.jsonl"].splitlines()]
    edit(rows)
    body = "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode()
    members[f"tables/{table}.jsonl"] = body
    manifest["tables"][table].update(rows=len(rows), sha256=hashlib.sha256(body).hexdigest())
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(dst, "w") as zout:
        for name, data in members.items():
            zout.writestr(name, data)


@pytest.mark.parametrize(
    ("table", "field", "value", "message"),
    [
        ("coach_diary", "pain_during", "abc", "'abc' is not a whole number"),
        ("coach_diary", "pain_during", 99, "99 is not a whole number from 0 to 10"),
        ("coach_diary", "pain_after", 2.5, "is not a whole number"),
        ("coach_diary", "day", "2026-02-30", "is not a real date"),
        ("coach_diary", "day", "0001-01-01", "is not a plausible date"),
        ("coach_diary", "swelling", "huge", "is not one of none, mild, marked"),
        ("coach_checks", "kujala_total", 140, "from 0 to 100"),
        ("coach_settings", "value", "9", "between"),
        ("activities", "distance_m", -5.0, "non-negative"),
        ("activities", "sport", "flying", "is not one of"),
        ("coach_plan_starts", "restart_step", "moon", "is not one of"),
    ],
)
def test_an_invalid_backup_is_refused_with_one_clear_error_and_nothing_written(
    db, tmp_path, monkeypatch, activities_dir, table, field, value, message
) -> None:
    fill_everything(db, activities_dir)
    export_backup(db, tmp_path / "good.zip")

    def edit(rows: list[dict]) -> None:
        rows[-1][field] = value

    _rewrite(tmp_path / "good.zip", tmp_path / "bad.zip", table, edit)
    switch_home(monkeypatch, tmp_path / "other")
    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    with pytest.raises(BackupError) as caught:
        restore_backup(fresh, tmp_path / "bad.zip")
    text = str(caught.value)
    assert text.startswith("bad.zip: ") and f"tables/{table}.jsonl row " in text, text
    assert f"field {field}" in text and message in text, text
    assert "\n" not in text
    assert not any(counts(fresh).values())  # nothing written, not even the good tables


def test_damaged_or_hostile_archives_are_refused(db, tmp_path) -> None:
    service.log_day(db, DiaryEntry(dt.date(2026, 3, 1), pain_during=2))
    export_backup(db, tmp_path / "good.zip")
    with zipfile.ZipFile(tmp_path / "good.zip") as zin:
        members = {n: zin.read(n) for n in zin.namelist()}
    cases = {
        "edited.zip": {**members, "tables/coach_diary.jsonl": members["tables/coach_diary.jsonl"]
                       .replace(b'"pain_during": 2', b'"pain_during": 3')},
        "escape.zip": {**members, "../evil.txt": b"x"},
        "notzip.zip": None,
        "other.zip": {"hello.txt": b"hi"},
    }  # fmt: skip
    expected = {
        "edited.zip": "does not match its checksum",
        "escape.zip": "unsafe name",
        "notzip.zip": "not a readable zip",
        "other.zip": "not a StrideBack backup",
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content is None:
            path.write_bytes(b"PK\x03\x04 not really")
        else:
            with zipfile.ZipFile(path, "w") as zout:
                for member, data in content.items():
                    zout.writestr(member, data)
        fresh = open_database(f"sqlite:///{tmp_path / (name + '.sqlite3')}")
        with pytest.raises(BackupError, match=expected[name]):
            restore_backup(fresh, path)
        assert not any(counts(fresh).values())


def test_a_non_empty_database_needs_replace_or_merge(db, tmp_path, activities_dir) -> None:
    fill_everything(db, activities_dir)
    export_backup(db, tmp_path / "b.zip")
    before = counts(db)
    with pytest.raises(BackupError, match="already holds data.*--replace.*--merge"):
        restore_backup(db, tmp_path / "b.zip")
    merged = restore_backup(db, tmp_path / "b.zip", mode="merge")
    assert sum(merged.written.values()) == 0 and counts(db) == before
    service.log_day(db, DiaryEntry(dt.date(2026, 4, 1), pain_during=5))
    replaced = restore_backup(db, tmp_path / "b.zip", mode="replace")
    assert replaced.written["coach_diary"] == before["coach_diary"]
    assert counts(db) == before  # the diary day added after the backup is gone


def test_merge_adds_only_what_is_missing_and_is_idempotent(
    tmp_path, monkeypatch, activities_dir
) -> None:
    switch_home(monkeypatch, tmp_path / "a")
    a = open_database(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    import_paths(a, [activities_dir / "Runalyze__Standard.fit"])
    import_paths(a, [activities_dir / "Runalyze__Standard.tcx"])
    service.log_day(a, DiaryEntry(dt.date(2026, 3, 1), pain_during=2))
    export_backup(a, tmp_path / "a.zip")

    switch_home(monkeypatch, tmp_path / "b")
    b = open_database(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    import_paths(b, [activities_dir / "Runalyze__Standard.tcx"])  # gets id 1 here
    import_paths(b, [activities_dir / "GoldenCheetah__Move_2014_01_16_19_48_44.gpx"])
    service.log_day(b, DiaryEntry(dt.date(2026, 3, 1), pain_during=7))  # same day, kept
    first = restore_backup(b, tmp_path / "a.zip", mode="merge")
    assert first.written["activities"] == 1 and first.skipped["activities"] == 1
    assert first.written["coach_diary"] == 0
    after = counts(b)
    assert after["activities"] == 3 and after["activity_series"] == 3
    with b.session() as session:  # every series belongs to its own activity
        pairs = session.execute(
            select(ActivityRow.source_format, ActivitySeries.n_samples).join(
                ActivitySeries, ActivitySeries.activity_id == ActivityRow.id
            )
        ).all()
    assert len(pairs) == 3
    assert service.diary(b)[0].pain_during == 7
    again = restore_backup(b, tmp_path / "a.zip", mode="merge")
    assert sum(again.written.values()) == 0 and counts(b) == after


def test_natural_keys() -> None:
    tables = {t.name: t for t in backed_up_tables()}
    # Issue #12: keys are per runner (a merge matches the restoring runner's rows only).
    assert natural_key(tables["activities"]) == ["runner_id", "source_sha256", "leg_index"]
    assert natural_key(tables["coach_diary"]) == ["runner_id", "day"]
    assert natural_key(tables["activity_series"]) == ["activity_id"]
    assert "id" not in natural_key(tables["coach_checks"])


def test_csv_copies_defuse_formulas_and_carry_time_offsets(db, tmp_path, activities_dir) -> None:
    fill_everything(db, activities_dir)
    export_backup(db, tmp_path / "b.zip")
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        diary = list(csv.DictReader(io.StringIO(zf.read("csv/coach_diary.csv").decode())))
        acts = list(csv.DictReader(io.StringIO(zf.read("csv/activities.csv").decode())))
    notes = [r["note"] for r in diary if r["note"]]
    assert '\'=HYPERLINK("http://x")' in notes
    assert not any(n.startswith(("=", "+", "-", "@")) for n in notes)
    assert all(dt.datetime.fromisoformat(r["start_time"]).utcoffset() == dt.timedelta(0)
               for r in acts)  # fmt: skip
    local = [r for r in acts if r["start_time_local"]]
    assert local and all(dt.datetime.fromisoformat(r["start_time_local"]).tzinfo for r in local)
    assert "data" not in acts[0]  # no binary columns in the readable copy


def test_coach_csv_export_defuses_formulas(db, tmp_path) -> None:
    service.log_day(db, DiaryEntry(dt.date(2026, 3, 1), note="@SUM(A1:A9)"))
    service.export_all(db, tmp_path / "out", today=dt.date(2026, 3, 2))
    text = (tmp_path / "out" / "diary.csv").read_text(encoding="utf-8")
    assert "'@SUM(A1:A9)" in text and ",@SUM" not in text


def test_legacy_json_backup_with_bad_pain_is_refused(db, tmp_path) -> None:
    service.log_day(db, DiaryEntry(dt.date(2026, 3, 1), pain_during=2))
    service.export_all(db, tmp_path / "old", today=dt.date(2026, 3, 2))
    path = tmp_path / "old" / "strideback-backup.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for bad in ("abc", 99):
        doc["diary"][0]["pain_during"] = bad
        path.write_text(json.dumps(doc), encoding="utf-8")
        fresh = open_database(f"sqlite:///{tmp_path / f'f{bad}.sqlite3'}")
        with pytest.raises(BackupError, match="diary row 1.*pain_during"):
            restore_any(fresh, path)
        assert service.diary(fresh) == []


def test_old_dashboard_export_zip_restores(db, tmp_path) -> None:
    """The zip the dashboard used to offer (the coach JSON + CSVs) restores its coach data."""
    service.log_day(db, DiaryEntry(dt.date(2026, 3, 1), pain_during=2, note="ok"))
    service.export_all(db, tmp_path / "old", today=dt.date(2026, 3, 2))
    with zipfile.ZipFile(tmp_path / "old.zip", "w") as zf:
        for item in (tmp_path / "old").iterdir():
            zf.write(item, item.name)
    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    summary = restore_any(fresh, tmp_path / "old.zip")
    assert summary.written["diary"] == 1 and service.diary(fresh)[0].note == "ok"


def test_cli_export_and_restore(tmp_path, activities_dir, monkeypatch) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    db = open_database(url)
    import_paths(db, [activities_dir / "Runalyze__Standard.fit"])
    out = tmp_path / "b.zip"
    result = runner.invoke(cli_app, ["--db", url, "export", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"]["activities"] == 1
    result = runner.invoke(cli_app, ["--db", url, "restore", str(out)])
    assert result.exit_code == 1 and "--replace" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(cli_app, ["--db", url, "restore", str(out), "--merge"])
    assert result.exit_code == 0 and "nothing new" in result.output
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    result = runner.invoke(cli_app, ["--db", fresh, "import-backup", str(out)])  # the old name
    assert result.exit_code == 0, result.output
    assert counts(open_database(fresh))["activities"] == 1


def test_restore_into_postgresql_keeps_ids_and_sequences(
    db, tmp_path, activities_dir, postgres_url
) -> None:
    import_paths(db, [activities_dir / "Runalyze__Standard.fit"])
    service.log_day(db, DiaryEntry(dt.date(2026, 3, 1), pain_during=2))
    service.run_check(db, __import__("test_coach_assess").pfp_answers(), dt.date(2026, 3, 1))
    export_backup(db, tmp_path / "b.zip")
    pg = open_database(postgres_url)
    restore_backup(pg, tmp_path / "b.zip", mode="replace")
    assert counts(pg)["activities"] == 1
    service.run_check(pg, __import__("test_coach_assess").pfp_answers(), dt.date(2026, 3, 2))
    assert len(service.list_checks(pg)) == 2  # the id sequence continues after the restore
