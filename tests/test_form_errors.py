"""Bad input to `strideback form` and the upload page: one clear error, named cause, checked
before decoding, nothing half-written, JSON errors with --json. Fast: no pose pass."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from strideback.cli import app
from strideback.form.service import recording_day
from strideback.video.decode import probe_video


def _cli(tmp_path: Path, *args: str):  # noqa: ANN202
    return CliRunner().invoke(app, ["--db", f"sqlite:///{tmp_path / 'db.sqlite3'}", *args])


def _tiny_clip(path: Path, *extra: str) -> Path:
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "testsrc=size=160x120:rate=30", "-t", "0.3", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         *extra, str(path)], check=True,
    )  # fmt: skip
    return path


def test_a_folder_is_its_own_error(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    result = _cli(tmp_path, "form", str(folder), "--out", str(tmp_path / "out"))
    text = " ".join(result.output.split())
    assert result.exit_code == 1 and "is a folder, not a video file" in text
    assert "not found" not in text
    assert not (tmp_path / "out").exists()


def test_json_errors_are_json(tmp_path: Path) -> None:
    result = _cli(tmp_path, "form", str(tmp_path / "nope.mp4"), "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    assert "file not found" in payload["error"] and "nope.mp4" in payload["error"]


@pytest.mark.parametrize("option, value, words", [
    ("--view", "diagonal", "unknown view 'diagonal'"),
    ("--task", "hop", "unknown task 'hop'"),
    ("--capture-fps", "0", "--capture-fps must be between 1 and 2000"),
])  # fmt: skip
def test_choices_are_checked_before_the_file_is_even_read(
    tmp_path: Path, option: str, value: str, words: str
) -> None:
    result = _cli(tmp_path, "form", str(tmp_path / "missing.mp4"), option, value)
    assert result.exit_code == 1
    assert words in " ".join(result.output.split())  # not "file not found": checked first


def test_refused_clip_leaves_no_output_folder(tmp_path: Path) -> None:
    clip = _tiny_clip(tmp_path / "testcard.mp4")  # no person in it
    out = tmp_path / "out"
    result = _cli(tmp_path, "form", str(clip), "--out", str(out))
    assert result.exit_code == 1 and "no person found" in " ".join(result.output.split())
    assert not out.exists()
    kept = tmp_path / "kept"  # a folder the user made is left, but nothing is written in it
    kept.mkdir()
    assert _cli(tmp_path, "form", str(clip), "--out", str(kept)).exit_code == 1
    assert kept.is_dir() and not any(kept.iterdir())


def test_report_date_is_the_clips_creation_time(tmp_path: Path) -> None:
    clip = _tiny_clip(tmp_path / "dated.mp4", "-metadata", "creation_time=2025-06-14T09:30:00Z")
    info = probe_video(clip)
    assert info.created == dt.datetime(2025, 6, 14, 9, 30, tzinfo=dt.UTC)
    assert recording_day(info, clip) == info.created.astimezone().date()
    undated = probe_video(_tiny_clip(tmp_path / "undated.mp4"))
    assert undated.created is None
    assert recording_day(undated, undated.path) == dt.date.fromtimestamp(clip.stat().st_mtime)


@pytest.fixture()
def client(db_url: str):  # noqa: ANN201
    from strideback.web import create_app

    app = create_app(db_url, jobs_in_processes=False)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def test_upload_page_has_a_capture_rate_field_and_checks_it(client: TestClient) -> None:
    page = client.get("/form").text
    assert 'name="capture_fps"' in page
    client.get("/")
    tok = client.cookies.get("sb_csrf")
    r = client.post(
        "/form/upload",
        data={"csrf_token": tok, "view": "side", "capture_fps": "fast"},
        files=[("video", ("clip.mp4", b"\x00" * 64, "video/mp4"))],
    )
    assert r.status_code == 422 and "is not a number" in r.text


def test_native_opencv_and_ffmpeg_noise_is_silenced(tmp_path: Path) -> None:
    import os
    import sys

    bad = tmp_path / "notes.mp4"
    bad.write_bytes(b"this is not a video\n" * 50)
    cli = Path(sys.executable).with_name("strideback")
    proc = subprocess.run(
        [str(cli), "--db", f"sqlite:///{tmp_path / 'db.sqlite3'}", "form", str(bad)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "STRIDEBACK_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    text = " ".join((proc.stdout + proc.stderr).split())  # Rich wraps long lines
    assert proc.returncode == 1
    assert text.startswith("error:") and text.count("error:") == 1, text
    assert "not a video file" in text
    assert "WARN" not in text and "moov" not in text and "cap.cpp" not in text, text
