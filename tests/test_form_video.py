"""End to end on the real shared clip (one pose pass per session) + accuracy checks.

Ground truth: ../shared/data/videos/zz_male_side.groundtruth.json (cadence 168.9 +/- 0.5
steps/min from raw pixels; contact time 180-320 ms; duty factor 25-48 %) and the RTMPose
reference keypoints in zz_male_side.pose.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from strideback.cli import app
from strideback.form.geometry import flexion
from strideback.form.metrics_side import knee_flexion_series
from strideback.video.pose import Landmarks

CLIP = "zz_male_side.mp4"


@pytest.fixture(scope="session")
def side_run(videos_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run `strideback form VIDEO --json` once on the shared clip."""
    root = tmp_path_factory.mktemp("form_run")
    db_url = f"sqlite:///{root / 'db.sqlite3'}"
    out = root / "out"
    result = CliRunner().invoke(
        app, ["--db", db_url, "form", str(videos_dir / CLIP), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    return {"result": payload, "out": out, "db_url": db_url, "root": root}


@pytest.fixture(scope="session")
def groundtruth(videos_dir: Path) -> dict:
    return json.loads((videos_dir / "zz_male_side.groundtruth.json").read_text())


def test_outputs_written(side_run: dict) -> None:
    out = side_run["out"]
    for name in ("metrics.json", "report.html", "annotated.mp4", "landmarks.npz"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    data = json.loads((out / "metrics.json").read_text())
    assert data["clip"]["view"] == "side"
    assert data["clip"]["near_leg"] == "left"  # runner faces image-left: left side to camera
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html  # self-contained
    assert "not a diagnosis" in html
    cap = cv2.VideoCapture(str(out / "annotated.mp4"))
    frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode()
    ok, frame = cap.read()
    cap.release()
    assert ok and frame is not None
    assert frames == 360
    assert fourcc in ("avc1", "h264", "H264")


def test_cadence_within_one_percent(side_run: dict, groundtruth: dict) -> None:
    truth = groundtruth["cadence_spm"]["value"]
    cadence = side_run["result"]["metrics"]["cadence"]
    assert abs(cadence["value"] - truth) / truth < 0.01
    assert cadence["confidence"] == "good"


def test_contact_time_and_duty_factor_in_ranges(side_run: dict, groundtruth: dict) -> None:
    lo, hi = groundtruth["physiological_bands"]["contact_time_ms"]
    dlo, dhi = groundtruth["physiological_bands"]["duty_factor_pct"]
    m = side_run["result"]["metrics"]
    assert lo <= m["contact_time"]["value"] <= hi
    assert dlo <= m["duty_factor"]["value"] <= dhi
    assert m["contact_time"]["confidence"] == "limited"  # 30 fps: +/- one frame
    assert "30 fps" in m["contact_time"]["reason"]


def test_near_leg_knee_flexion_matches_reference(side_run: dict, videos_dir: Path) -> None:
    ref = json.loads((videos_dir / "zz_male_side.pose.json").read_text())
    names = ref["keypoint_names"]
    frames = np.array(ref["frames"], dtype=float)
    r_hip, r_knee, r_ankle = (
        frames[:, names.index(f"l_{j}"), :2] for j in ("hip", "knee", "ankle")
    )
    reference = flexion(r_hip, r_knee, r_ankle)
    lm = Landmarks.load(side_run["out"] / "landmarks.npz")
    ours = knee_flexion_series(lm, "left", 30.0)
    both = np.isfinite(ours) & np.isfinite(reference)
    assert both.sum() > 300
    assert np.median(np.abs(ours[both] - reference[both])) < 5.0


def test_no_knee_valgus_from_running(side_run: dict) -> None:
    assert not any("valgus" in k or k == "fppa" for k in side_run["result"]["metrics"])


def test_db_row_list_show_and_compare(side_run: dict) -> None:
    runner = CliRunner()
    db = side_run["db_url"]
    clip_id = side_run["result"]["id"]
    listed = runner.invoke(app, ["--db", db, "form", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == [clip_id]
    shown = runner.invoke(app, ["--db", db, "form", "show", str(clip_id), "--json"])
    assert json.loads(shown.stdout)["metrics"]["cadence"]["value"] == pytest.approx(
        side_run["result"]["metrics"]["cadence"]["value"]
    )
    same = runner.invoke(app, ["--db", db, "form", "compare", str(clip_id), str(clip_id), "--json"])
    assert same.exit_code == 0, same.output
    changes = {c["name"]: c for c in json.loads(same.stdout)["changes"]}
    assert changes["knee_flexion_contact"]["difference"] == 0
    assert changes["knee_flexion_contact"]["threshold"] == 10  # evidence.md §6d
    assert changes["knee_flexion_contact"]["exceeds_error"] is False
    missing = runner.invoke(app, ["--db", db, "form", "compare", str(clip_id), "999"])
    assert missing.exit_code == 1
    assert "no form clip with id 999" in missing.output


def _write_clip(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def test_too_short_clip_refused(videos_dir: Path, tmp_path: Path, db) -> None:  # noqa: ANN001
    from strideback.form.service import FormError, analyse_clip

    cap = cv2.VideoCapture(str(videos_dir / CLIP))
    frames = []
    for _ in range(75):  # 2.5 s: about 3 strides
        ok, f = cap.read()
        frames.append(cv2.resize(f, (360, 640)))
    cap.release()
    short = _write_clip(tmp_path / "short.mp4", frames, 30.0)
    with pytest.raises(FormError, match="strides"):
        analyse_clip(db, short, out_dir=tmp_path / "out")


def test_no_person_clip_refused(tmp_path: Path, db) -> None:  # noqa: ANN001
    from strideback.form.service import FormError, analyse_clip

    rng = np.random.default_rng(0)
    frames = [np.full((240, 320, 3), 90, np.uint8) + rng.integers(0, 20, (240, 320, 3), np.uint8)
              for _ in range(40)]  # fmt: skip
    clip = _write_clip(tmp_path / "empty_room.mp4", frames, 30.0)
    with pytest.raises(FormError, match="no person"):
        analyse_clip(db, clip, out_dir=tmp_path / "out")


@pytest.mark.parametrize("content", [b"", b"this is not a video\n" * 50])
def test_non_video_refused_by_cli(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "notes.mp4"
    bad.write_bytes(content)
    result = CliRunner().invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'db.sqlite3'}", "form", str(bad), "--out",
              str(tmp_path / "out")],
    )  # fmt: skip
    output = " ".join(result.output.split())  # Rich wraps long lines
    assert result.exit_code == 1
    assert "notes.mp4" in output
    assert "empty" in output or "not a video" in output
    assert not (tmp_path / "out").exists()  # refused before any output is written


def test_missing_file_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["--db", f"sqlite:///{tmp_path / 'db.sqlite3'}", "form", "analyse",
              str(tmp_path / "nope.mp4")],
    )  # fmt: skip
    assert result.exit_code == 1 and "file not found" in " ".join(result.output.split())


def test_rotation_metadata_is_honoured(tmp_path: Path) -> None:
    """A phone portrait clip stored landscape with a display rotation decodes upright."""
    import subprocess

    import imageio_ffmpeg

    from strideback.video.decode import iter_frames, probe_video

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    plain, rotated = tmp_path / "plain.mp4", tmp_path / "rotated.mp4"
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=30",
         "-t", "0.5", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(plain)], check=True,
    )  # fmt: skip
    subprocess.run(
        [ffmpeg, "-loglevel", "error", "-y", "-display_rotation", "90", "-i", str(plain),
         "-c", "copy", str(rotated)], check=True,
    )  # fmt: skip
    info = probe_video(rotated)
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (240, 320)
    first = next(iter_frames(rotated))
    assert first.image.shape[:2] == (320, 240)
    times = [f.t_s for f in iter_frames(plain)]
    assert times[0] == 0 and np.allclose(np.diff(times), 1 / 30, atol=1e-3)
