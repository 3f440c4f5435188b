"""End to end on the real shared clip (one pose pass per session) + accuracy checks.

Ground truth: ../shared/data/videos/zz_male_side.groundtruth.json (cadence 168.9 +/- 0.5
steps/min from raw pixels; contact time 180-320 ms; duty factor 25-48 %) and the RTMPose
reference keypoints in zz_male_side.pose.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from strideback.cli import app
from strideback.form.geometry import flexion
from strideback.form.metrics_side import knee_flexion_series, stance_peak_window
from strideback.form.model import Landmarks, Stance

CLIP = "zz_male_side.mp4"


@pytest.fixture(scope="session")
def side_run(videos_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run `strideback form VIDEO --json` once on the shared clip, as a real process (so the
    pose workers' native stderr is captured too)."""
    root = tmp_path_factory.mktemp("form_run")
    db_url = f"sqlite:///{root / 'db.sqlite3'}"
    out = root / "out"
    cli = Path(sys.executable).with_name("strideback")
    cmd = [str(cli), "--db", db_url, "form", str(videos_dir / CLIP), "--out", str(out), "--json"]
    env = {**os.environ, "STRIDEBACK_HOME": str(root / "home")}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    payload = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"result": payload, "out": out, "db_url": db_url, "root": root,
            "stderr": proc.stderr}  # fmt: skip


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


def test_peak_stance_knee_flexion_matches_reference_keypoints(
    side_run: dict, videos_dir: Path
) -> None:
    """Same gait events, two pose models: is ~27 deg (vs the 40-45 deg 3D reference range)
    our bug, the pose model, or the runner? Measured: MediaPipe ~26-27 deg, RTMPose ~32 deg
    over the same stance windows, so the gap to 40-45 deg is the 2D pose models (MediaPipe
    ~5 deg lower) plus this runner, not the event windows."""
    ref = json.loads((videos_dir / "zz_male_side.pose.json").read_text())
    names = ref["keypoint_names"]
    frames = np.array(ref["frames"], dtype=float)
    reference = flexion(*(frames[:, names.index(f"l_{j}"), :2] for j in ("hip", "knee", "ankle")))
    data = json.loads((side_run["out"] / "metrics.json").read_text())
    near = data["clip"]["near_leg"]
    lm = Landmarks.load(side_run["out"] / "landmarks.npz")
    stances = [Stance(**e) for e in data["events"] if e["foot"] == near]
    windows = [stance_peak_window(s, lm.t_s) for s in stances]
    ours = knee_flexion_series(lm, near, 30.0)

    def peaks(series: np.ndarray) -> np.ndarray:
        return np.array([np.nanmax(series[w]) for w in windows])

    ours_peak, ref_peak = float(np.median(peaks(ours))), float(np.median(peaks(reference)))
    metric = data["metrics"]["knee_flexion_peak"]
    assert metric["value"] == pytest.approx(ours_peak, abs=0.01)
    assert ours_peak < ref_peak < 40.0  # both models read less than the 3D lab range
    assert ref_peak - ours_peak < 8.0  # MediaPipe reads ~5-6 deg less than RTMPose here
    # The reference peak lies inside the window (midstance), not cut off at its edges.
    inner = [0 < int(np.nanargmax(reference[w])) < w.stop - w.start - 1 for w in windows]
    assert np.mean(inner) >= 0.75
    assert metric["status"] == "below range" and not metric["attention"]
    assert "3D" in metric["finding"] and "not a fault" in metric["finding"]


def test_credible_step_times_and_no_far_leg_asymmetry(side_run: dict) -> None:
    m = side_run["result"]["metrics"]
    assert m["cadence"]["spread"] < 12  # steps/min; left/right contacts alternated by ~33
    assert m["step_time"]["spread"] < 30  # ms; was 71 from biased far-leg contacts
    assert m["contact_time_asymmetry"]["confidence"] == "not measurable"
    assert m["contact_time_asymmetry"]["finding"].startswith("Not measurable: a side view")
    checks = {c["name"]: c for c in side_run["result"]["quality"]}
    assert checks["far_leg_timing"]["status"] == "warn"
    assert m["contact_time_far"]["confidence"] == "not measurable"


def test_every_metric_has_a_finding_in_json_report_and_cli(side_run: dict) -> None:
    import html as html_lib

    metrics = side_run["result"]["metrics"]
    page = html_lib.unescape((side_run["out"] / "report.html").read_text())
    for name, m in metrics.items():
        assert m["finding"], name
        assert m["finding"] in page, name
    shown = CliRunner().invoke(
        app, ["--db", side_run["db_url"], "form", "show", str(side_run["result"]["id"])],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.replace("│", " ").split())
    assert "within the typical range for recreational runners" in text
    assert "Not measurable: a side view" in text


def test_no_native_log_noise_on_the_terminal(side_run: dict) -> None:
    err = side_run["stderr"]
    for noise in ("XNNPACK", "W0000", "inference_feedback_manager", "absl::InitializeLog"):
        assert noise not in err, err[-1000:]


def test_real_native_errors_still_reach_the_terminal(tmp_path: Path) -> None:
    from strideback.video.extract import _forward_errors

    log = tmp_path / "worker.log"
    code = (
        "import os; from strideback.video.extract import _quiet_native_logs; "
        f"_quiet_native_logs({str(log)!r}); "
        "os.write(2, b'INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\\n'); "
        "os.write(2, b'W0000 00:00:1.0 1 x.cc:1] noise\\n'); "
        "os.write(2, b'E0000 00:00:1.0 1 y.cc:2] model file missing\\n')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # nothing reached the terminal directly
    forwarded = _forward_errors([log])
    assert forwarded == ["E0000 00:00:1.0 1 y.cc:2] model file missing"]


def _vfr_clip(path: Path, frames: int) -> np.ndarray:
    """An H.264 clip whose frame interval alternates 30 ms / 10 ms (variable frame rate);
    returns the true presentation times."""
    import imageio_ffmpeg

    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", "testsrc=size=160x120:rate=100", "-frames:v", str(frames),
         "-vf", "settb=1/1000,setpts=20*N+10*mod(N\\,2)", "-fps_mode", "passthrough",
         "-video_track_timescale", "1000", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         str(path)], check=True,
    )  # fmt: skip
    n = np.arange(frames)
    return (20 * n + 10 * (n % 2)) / 1000.0


def test_variable_frame_rate_timestamps(tmp_path: Path) -> None:
    from strideback.video.decode import ffmpeg_frames, iter_frames, probe_video
    from strideback.video.extract import _chunks

    clip = tmp_path / "vfr.mp4"
    truth = _vfr_clip(clip, 200)
    info = probe_video(clip)
    assert info.frame_count == 200
    opencv = np.array([f.t_s for f in iter_frames(clip)])
    ffmpeg = np.array([t for t, _ in ffmpeg_frames(clip, (160, 120))])
    assert np.allclose(opencv, truth, atol=1e-3)
    assert np.allclose(ffmpeg, truth, atol=1e-3)
    assert not np.allclose(np.diff(truth), np.diff(truth).mean())  # really variable
    # The pose workers' time chunks cover every frame exactly once.
    chunks = _chunks(info, 2)
    assert len(chunks) == 2
    parts = [
        [t for t, _ in ffmpeg_frames(clip, (160, 120), start_s=c.start_s, stop_s=c.stop_s)]
        for c in chunks
    ]
    assert np.allclose(np.concatenate(parts), truth, atol=1e-3)


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

    from strideback.video.decode import ffmpeg_frames, iter_frames, probe_video

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
    # The ffmpeg pipe used by the pose workers rotates the same way (same picture).
    _, rgb = next(ffmpeg_frames(rotated, (info.width, info.height)))
    diff = np.abs(rgb.astype(int) - first.image[:, :, ::-1].astype(int)).mean()
    assert diff < 12, diff
    times = [f.t_s for f in iter_frames(plain)]
    assert times[0] == 0 and np.allclose(np.diff(times), 1 / 30, atol=1e-3)


def test_chunks_start_at_keyframes_and_cover_every_frame_once(tmp_path: Path) -> None:
    """A worker's part starts at a keyframe when one is near the middle, so its decoder does
    not decode the previous part's frames from the keyframe before; no frame lost or doubled."""
    import imageio_ffmpeg

    from strideback.video.decode import ffmpeg_frames, keyframe_times, probe_video
    from strideback.video.extract import _chunks

    clip = tmp_path / "gop.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi",
         "-i", "testsrc=size=160x120:rate=25", "-frames:v", "200", "-c:v", "libx264",
         "-g", "100", "-keyint_min", "100", "-sc_threshold", "0", "-pix_fmt", "yuv420p",
         str(clip)], check=True,
    )  # fmt: skip
    keys = keyframe_times(clip)
    assert keys == pytest.approx([0.0, 4.0])
    info = probe_video(clip)
    chunks = _chunks(info, 2, keys, 1)
    assert [c.start for c in chunks] == [0, 100] and chunks[1].seek_s == pytest.approx(4.02)
    assert _chunks(info, 2, [0.0], 1)[1].seek_s is None  # no keyframe near: seek early
    parts = [
        [t for t, _ in ffmpeg_frames(clip, (160, 120), start_s=c.start_s, stop_s=c.stop_s,
                                     seek_s=c.seek_s)]
        for c in chunks
    ]  # fmt: skip
    assert [len(p) for p in parts] == [100, 100]
    assert np.allclose(np.concatenate(parts), np.arange(200) / 25.0, atol=1e-3)
