"""Issue 10: delete a form clip with its files, and undo. The row is marked deleted and its
report, metrics, annotated video and landmarks move to the runner's trash folder in one step
(a failed move or a failed database write changes nothing); undo puts them back byte for byte;
old deletions are purged on the next delete; a deleted clip is gone from the list, compare, the
report and the dashboard; the CLI asks first; the schema upgrade keeps existing clips.

The clips are analysed-clip rows with their output files (as `form analyse` leaves them),
written here: deleting moves files and never reads a video, so no pose run is needed."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, inspect, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from strideback.cli import app as cli_app
from strideback.form import trash
from strideback.form.model import FormError
from strideback.form.service import (
    ANNOTATED_MP4,
    LANDMARKS_NPZ,
    METRICS_JSON,
    REPORT_HTML,
    compare_clips,
    get_clip,
    list_clips,
    runner_form_dir,
)
from strideback.form.trash import TRASH_DAYS, delete_clip, purge_deleted_clips, restore_clip
from strideback.store.db import Database, alembic_config, close_all, data_dir, open_database
from strideback.store.form import FormClipRow
from strideback.web import create_app

FILES = (REPORT_HTML, METRICS_JSON, ANNOTATED_MP4, LANDMARKS_NPZ)
METRICS = {"cadence": {"label": "Cadence", "unit": "steps/min", "value": 168.0,
                       "confidence": "good"}}  # fmt: skip


def add_clip(db: Database, folder: Path | None = None, day: dt.date = dt.date(2026, 3, 5)) -> int:
    """An analysed clip: its row and its four output files (random bytes) in `folder`
    (default: a new folder in the runner's form folder, as `form analyse` makes)."""
    with db.session() as s:
        row = FormClipRow(
            recorded_on=day, runner=None, video_path="/videos/run.mp4", video_sha256="0" * 64,
            view="side", task="run", fps=60.0, capture_fps=60.0, out_dir="", backend="test",
            metrics_json=json.dumps(METRICS), quality_json="[]",
        )  # fmt: skip
        s.add(row)
        s.flush()
        folder = folder or runner_form_dir(db) / str(row.id)
        row.out_dir = str(folder)
        clip_id = row.id
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (folder / name).write_bytes(name.encode() + os.urandom(4096))
    return clip_id


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _row(db: Database, clip_id: int) -> FormClipRow:
    with db.session() as s:
        row = s.scalars(select(FormClipRow).where(FormClipRow.id == clip_id)).one()
        s.expunge(row)
        return row


def test_delete_moves_the_files_aside_and_undo_puts_them_back_byte_for_byte(db) -> None:
    keep = add_clip(db)
    clip_id = add_clip(db)
    folder = get_clip(db, clip_id).out_dir
    before = digests(folder)
    assert set(before) == set(FILES)
    gone = delete_clip(db, clip_id)
    assert gone.id == clip_id
    assert not folder.exists()  # its own folder, emptied, is removed
    row = _row(db, clip_id)
    assert row.deleted_at is not None and row.deleted_from == str(folder)
    in_trash = Path(row.out_dir)
    assert trash.trash_dir(db) in in_trash.parents and digests(in_trash) == before
    assert [c.id for c in list_clips(db)] == [keep]
    with pytest.raises(FormError):
        get_clip(db, clip_id)
    with pytest.raises(FormError):
        compare_clips(db, keep, clip_id)
    back = restore_clip(db, clip_id)
    assert back.out_dir == folder and digests(folder) == before
    assert not in_trash.exists()
    assert _row(db, clip_id).deleted_at is None and _row(db, clip_id).deleted_from is None
    assert [c.id for c in list_clips(db)] == [keep, clip_id]
    assert get_clip(db, clip_id).report_html.read_bytes()[:11] == b"report.html"


def test_a_clip_in_a_folder_of_its_own_choosing_leaves_other_files_alone(db, tmp_path) -> None:
    folder = tmp_path / "my-analysis"
    clip_id = add_clip(db, folder)
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    before = digests(folder)
    delete_clip(db, clip_id)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    restore_clip(db, clip_id)
    assert digests(folder) == before


def test_a_restore_never_overwrites_a_newer_analysis_in_the_same_folder(db, tmp_path) -> None:
    folder = tmp_path / "my-analysis"
    clip_id = add_clip(db, folder)
    delete_clip(db, clip_id)
    newer = add_clip(db, folder)  # analysed again into the same folder
    before = digests(folder)
    with pytest.raises(FormError, match="already exists"):
        restore_clip(db, clip_id)
    assert digests(folder) == before and [c.id for c in list_clips(db)] == [newer]
    assert Path(_row(db, clip_id).out_dir).is_dir()  # still in the trash, restorable later


def test_a_failed_move_changes_nothing(db, monkeypatch) -> None:
    clip_id = add_clip(db)
    folder = get_clip(db, clip_id).out_dir
    before = digests(folder)
    real = trash.move_file
    calls = {"n": 0}

    def flaky(source: Path, target: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # two files moved, the third refuses
            raise PermissionError(13, "Permission denied")
        real(source, target)

    monkeypatch.setattr(trash, "move_file", flaky)
    with pytest.raises(FormError, match="cannot move it"):
        delete_clip(db, clip_id)
    assert digests(folder) == before  # the two moved files are back
    assert _row(db, clip_id).deleted_at is None
    assert [c.id for c in list_clips(db)] == [clip_id]
    assert not any(trash.trash_dir(db).glob("*/*"))


def test_a_failed_database_write_puts_the_files_back(db) -> None:
    clip_id = add_clip(db)
    folder = get_clip(db, clip_id).out_dir
    before = digests(folder)

    def refuse(session: Session, _context: object) -> None:
        if any(isinstance(o, FormClipRow) and o.deleted_at for o in session.dirty):
            raise RuntimeError("disk full")

    event.listen(Session, "after_flush", refuse)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            delete_clip(db, clip_id)
    finally:
        event.remove(Session, "after_flush", refuse)
    assert digests(folder) == before
    assert _row(db, clip_id).deleted_at is None
    assert not any(trash.trash_dir(db).glob("*/*"))


def test_a_failed_restore_leaves_the_clip_deleted_with_its_files_in_the_trash(
    db, monkeypatch
) -> None:
    clip_id = add_clip(db)
    delete_clip(db, clip_id)
    in_trash = Path(_row(db, clip_id).out_dir)
    before = digests(in_trash)
    real = trash.move_file
    calls = {"n": 0}

    def flaky(source: Path, target: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real(source, target)

    monkeypatch.setattr(trash, "move_file", flaky)
    with pytest.raises(FormError):
        restore_clip(db, clip_id)
    assert digests(in_trash) == before and _row(db, clip_id).deleted_at is not None
    assert list_clips(db) == []


def test_unknown_live_and_foreign_ids_are_refused(db) -> None:
    from strideback.accounts.service import add_user

    clip_id = add_clip(db)
    for bad in (0, -3, 999_999, 2**70):
        with pytest.raises(LookupError):
            delete_clip(db, bad)
    with pytest.raises(LookupError):
        restore_clip(db, clip_id)  # not deleted
    other = db.for_runner(add_user(db, "other", "runner", password="correct horse battery").id)
    with pytest.raises(LookupError):
        delete_clip(other, clip_id)
    delete_clip(db, clip_id)
    with pytest.raises(LookupError):
        restore_clip(other, clip_id)
    assert restore_clip(db, clip_id).id == clip_id


def test_old_deletions_are_purged_with_their_files_on_the_next_delete(db) -> None:
    first, second = add_clip(db), add_clip(db)
    then = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    delete_clip(db, first, now=then)
    first_trash = Path(_row(db, first).out_dir)
    assert purge_deleted_clips(db, dt.timedelta(days=TRASH_DAYS), now=then) == 0
    delete_clip(db, second, now=then + dt.timedelta(days=TRASH_DAYS, seconds=1))
    assert not first_trash.exists()
    with pytest.raises(LookupError):
        restore_clip(db, first)  # purged for good
    assert Path(_row(db, second).out_dir).is_dir()  # the fresh deletion is kept
    assert restore_clip(db, second).id == second


def test_the_report_leaves_a_deleted_clip_out(db) -> None:
    from strideback.report.service import progress_report

    clip_id = add_clip(db)
    today = dt.date(2026, 3, 10)
    assert progress_report(db, today).form is not None
    delete_clip(db, clip_id)
    assert progress_report(db, today).form is None


def test_a_backup_carries_a_deleted_clip_as_deleted_and_undo_works_after_restore(
    db, tmp_path, monkeypatch
) -> None:
    from strideback.backup.archive import export_backup, restore_backup

    clip_id = add_clip(db)
    before = digests(get_clip(db, clip_id).out_dir)
    delete_clip(db, clip_id)
    summary = export_backup(db, tmp_path / "b.zip")
    assert summary.rows["form_clips"] == 1
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        assert any("/trash/" in n and n.endswith(REPORT_HTML) for n in zf.namelist())
    close_all()
    monkeypatch.setenv("STRIDEBACK_HOME", str(tmp_path / "home2"))
    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    restore_backup(fresh, tmp_path / "b.zip")
    assert list_clips(fresh) == []
    back = restore_clip(fresh, clip_id)
    assert data_dir() in back.out_dir.parents
    assert {k: v for k, v in digests(back.out_dir).items() if k != ANNOTATED_MP4} == {
        k: v
        for k, v in before.items()
        if k != ANNOTATED_MP4  # videos only --with-videos
    }


# ---------------------------------------------------------------- CLI


def test_cli_asks_first_deletes_and_restores(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    clip_id = add_clip(open_database(url))
    runner, db = CliRunner(), ["--db", url]
    no = runner.invoke(cli_app, [*db, "form", "delete", str(clip_id)], input="n\n")
    assert no.exit_code == 1 and "nothing deleted" in no.output
    closed = runner.invoke(cli_app, [*db, "form", "delete", str(clip_id)])
    assert closed.exit_code == 1 and "nothing deleted" in closed.output
    assert f"{clip_id:>4}" in runner.invoke(cli_app, [*db, "form", "list"]).output
    yes = runner.invoke(cli_app, [*db, "form", "delete", str(clip_id)], input="y\n")
    assert yes.exit_code == 0, yes.output
    assert f"strideback form restore {clip_id}" in yes.output
    assert runner.invoke(cli_app, [*db, "form", "list", "--json"]).output.strip() == "[]"
    assert "No clips analysed yet" in runner.invoke(cli_app, [*db, "form", "list"]).output
    show = runner.invoke(cli_app, [*db, "form", "show", str(clip_id)])
    assert show.exit_code == 1 and f"no form clip with id {clip_id}" in show.output
    back = runner.invoke(cli_app, [*db, "form", "--restore", str(clip_id)])  # the flag form
    assert back.exit_code == 0 and "is back" in back.output
    again = runner.invoke(cli_app, [*db, "form", "restore", str(clip_id)])
    assert again.exit_code == 1 and f"no deleted form clip with id {clip_id}" in again.output
    gone = runner.invoke(cli_app, [*db, "form", "--delete", str(clip_id), "--yes"])
    assert gone.exit_code == 0, gone.output
    missing = runner.invoke(cli_app, [*db, "form", "delete", "424242", "--yes"])
    assert missing.exit_code == 1 and "no form clip with id 424242" in missing.output


def test_cli_refuses_to_delete_without_yes_when_nobody_can_answer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub.sqlite3'}"
    clip_id = add_clip(open_database(url))
    done = subprocess.run(
        [sys.executable, "-c", "from strideback.cli import main; main()", "--db", url, "form",
         "delete", str(clip_id)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "nothing deleted" in done.stderr and "Traceback" not in done.stderr
    assert [c.id for c in list_clips(open_database(url))] == [clip_id]


# ---------------------------------------------------------------- web


def _token(client: TestClient) -> str:
    client.get("/healthz")
    return str(client.cookies.get("sb_csrf"))


def test_clip_page_deletes_with_undo(db_url: str) -> None:
    app = create_app(db_url, jobs_in_processes=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        db = app.state.db
        clip_id = add_clip(db)
        report = client.get(f"/form/{clip_id}/report").content
        page = client.get(f"/form/{clip_id}").text
        assert f'action="/form/{clip_id}/delete"' in page
        refused = client.post(f"/form/{clip_id}/delete", data={}, follow_redirects=False)
        assert refused.status_code in (400, 403) and list_clips(db)
        assert client.get(f"/form/{clip_id}/delete").status_code in (404, 405)  # POST only
        r = client.post(
            f"/form/{clip_id}/delete", data={"csrf_token": _token(client)},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == f"/form?deleted={clip_id}"
        listing = client.get(r.headers["location"]).text
        assert 'data-testid="undo"' in listing and f'action="/form/{clip_id}/restore"' in listing
        assert f'href="/form/{clip_id}"' not in listing and "No clips analysed yet" in listing
        assert 'data-testid="undo"' not in client.get("/form").text  # gone once you move on
        for path in (f"/form/{clip_id}", f"/form/{clip_id}/report", f"/form/{clip_id}/video"):
            assert client.get(path).status_code == 404
        r = client.post(
            f"/form/{clip_id}/restore", data={"csrf_token": _token(client)},
            follow_redirects=False,
        )  # fmt: skip
        assert r.status_code == 303 and r.headers["location"] == f"/form/{clip_id}"
        assert client.get(f"/form/{clip_id}/report").content == report
        for bad in ("999999", "99999999999999999999999"):
            r = client.post(f"/form/{bad}/delete", data={"csrf_token": _token(client)})
            assert r.status_code in (404, 422)
        r = client.post(f"/form/{clip_id}/restore", data={"csrf_token": _token(client)})
        assert r.status_code == 404  # not deleted


def test_a_failed_move_on_the_web_is_one_clear_error_and_changes_nothing(
    db_url: str, monkeypatch
) -> None:
    def refuse(source: Path, target: Path) -> None:
        raise PermissionError(13, "Permission denied")

    app = create_app(db_url, jobs_in_processes=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        clip_id = add_clip(app.state.db)
        monkeypatch.setattr(trash, "move_file", refuse)
        r = client.post(f"/form/{clip_id}/delete", data={"csrf_token": _token(client)})
        assert r.status_code == 409 and "cannot move it" in r.text and "Traceback" not in r.text
        assert [c.id for c in list_clips(app.state.db)] == [clip_id]


# ---------------------------------------------------------------- migration


def test_form_0003_upgrades_a_database_with_clips(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    db = open_database(url)
    clip_id = add_clip(db)
    close_all()
    engine = create_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "form_0002")
    columns = {c["name"] for c in inspect(engine).get_columns("form_clips")}
    assert not {"deleted_at", "deleted_from"} & columns
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM form_clips")).scalar() == 1
    db = open_database(url)  # upgrades again
    columns = {c["name"] for c in inspect(engine).get_columns("form_clips")}
    assert {"deleted_at", "deleted_from"} <= columns
    assert [c.id for c in list_clips(db)] == [clip_id]
    delete_clip(db, clip_id)
    assert list_clips(db) == []
    engine.dispose()


# ---------------------------------------------------------------- a real analysed clip


@pytest.mark.slow
def test_a_really_analysed_clip_is_deleted_and_restored_byte_for_byte(
    videos_dir: Path, tmp_path: Path
) -> None:
    """5.5 s of the shared side-view clip, analysed as `strideback form VIDEO` does (into the
    runner's form folder), then deleted and restored through the CLI."""
    import imageio_ffmpeg

    from strideback.form.service import analyse_clip

    short = tmp_path / "short.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i",
         str(videos_dir / "zz_male_side.mp4"), "-t", "5.5", "-c:v", "libx264", "-preset",
         "veryfast", str(short)], check=True,
    )  # fmt: skip
    url = f"sqlite:///{tmp_path / 'real.sqlite3'}"
    db = open_database(url)
    result = analyse_clip(db, short, view="side")
    folder = result.out_dir
    assert runner_form_dir(db) in folder.parents
    before = digests(folder)
    assert set(FILES) <= set(before)
    runner, cli = CliRunner(), ["--db", url]
    gone = runner.invoke(cli_app, [*cli, "form", "delete", str(result.id), "--yes"])
    assert gone.exit_code == 0, gone.output
    assert not folder.exists() and list_clips(db) == []
    back = runner.invoke(cli_app, [*cli, "form", "restore", str(result.id)])
    assert back.exit_code == 0, back.output
    assert digests(folder) == before
    show = runner.invoke(cli_app, [*cli, "form", "show", str(result.id), "--json"])
    assert json.loads(show.output)["id"] == result.id


def test_clip_and_check_delete_and_restore_on_postgresql(postgres_url: str) -> None:
    from strideback.coach import service
    from test_coach_assess import pfp_answers

    db = open_database(postgres_url)
    clip_id = add_clip(db)
    check = service.run_check(db, pfp_answers(), dt.date(2026, 3, 2))
    before = digests(get_clip(db, clip_id).out_dir)
    delete_clip(db, clip_id)
    service.delete_check(db, check.id)
    assert list_clips(db) == [] and service.list_checks(db) == []
    assert digests(restore_clip(db, clip_id).out_dir) == before
    assert service.restore_check(db, check.id) == check


def test_half_written_analysis_folders_are_swept_but_nothing_else(db) -> None:
    """A killed analysis leaves its start-time folder (its job runs again from the start):
    swept once untouched for 6 hours; a recent one (an analysis still running), a clip's
    folder with such a name and folders of other names stay."""
    from strideback.form.service import UNFINISHED_AFTER, sweep_unfinished

    now = dt.datetime(2026, 12, 2, 12, 0)
    old = (now - UNFINISHED_AFTER - dt.timedelta(minutes=1)).timestamp()
    root = runner_form_dir(db)

    def folder(name: str, stamp: float) -> Path:
        path = root / name
        path.mkdir(parents=True)
        (path / "metrics.json").write_text("{}")
        for p in (path / "metrics.json", path):
            os.utime(p, (stamp, stamp))
        return path

    orphan = folder("20261202-010203-000001", old)
    running = folder("20261202-115900-000002", now.timestamp())
    owned = folder("20261202-010203-000003", old)
    other = folder("my-clips", old)
    clip_id = add_clip(db, owned)
    assert sweep_unfinished(db, now=now) == [orphan]
    assert not orphan.exists()
    assert running.exists() and other.exists() and get_clip(db, clip_id).out_dir == owned
    assert sweep_unfinished(db, now=now) == []
