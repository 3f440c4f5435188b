"""Done-when tests for issue 11 on re-encoded copies of the shared side-view clip.

Each copy is made in the test's temporary folder with the ffmpeg of imageio-ffmpeg: slowed
down by a known factor (setpts), rotated (runner lying on their side), cropped so the feet
leave the frame, scaled so the runner is small, played as 59.94 fps. One pose pass per copy
(module-scoped, cached), then the pure analysis; each test asserts the gate verdict, the
confidence and reason of the affected metrics, and that no advice comes from a metric that is
not rated good. Ground truth: cadence 168.9 +/- 0.5 steps/min (zz_male_side.groundtruth.json).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest

from strideback.form.analysis import analyse_landmarks
from strideback.form.model import FormAnalysis, FormError
from strideback.video.decode import probe_video
from strideback.video.extract import Extraction, extract_landmarks

pytestmark = pytest.mark.slow
CLIP = "zz_male_side.mp4"
TRUE_CADENCE = 168.9
TIMING = ("cadence", "step_time", "contact_time", "duty_factor")
VARIANTS = {
    # name: (seconds of the source, ffmpeg video filter, extra output options)
    "slowed": (7.0, "scale=360:640,setpts=1.25*PTS", ["-r", "24"]),
    "rotated": (7.0, "scale=360:640,transpose=1", []),
    "feet_cut": (7.0, "crop=720:1060:0:0,scale=360:530", []),
    "small": (7.0, "scale=162:288,pad=360:640:99:340", []),
    "ntsc60": (6.0, "scale=360:640,fps=60000/1001", []),
    "hfr120": (6.0, "scale=360:640,fps=120", []),
}


@pytest.fixture(scope="module")
def clips(videos_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("reencoded")
    out = {}
    for name, (seconds, vf, extra) in VARIANTS.items():
        path = root / f"{name}.mp4"
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-t", str(seconds),
             "-i", str(videos_dir / CLIP), "-an", "-vf", vf, *extra, "-c:v", "libx264",
             "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p", str(path)],
            check=True, timeout=120,
        )  # fmt: skip
        out[name] = path
    return out


_POSE: dict[str, Extraction] = {}


def pose(clips: dict[str, Path], name: str) -> Extraction:
    if name not in _POSE:
        _POSE[name] = extract_landmarks(clips[name])
    return _POSE[name]


def analyse(ex: Extraction, capture_fps: float | None = None) -> FormAnalysis:
    return analyse_landmarks(
        ex.landmarks, container_fps=ex.info.fps, capture_fps=capture_fps or ex.info.capture_fps,
        source=ex.info.path.name,
    )  # fmt: skip


def checks(res: FormAnalysis) -> dict[str, object]:
    return {c.name: c for c in res.quality}


def assert_no_advice_from_weak_metrics(res: FormAnalysis) -> None:
    for name, m in res.metrics.items():
        if m.confidence != "good":
            assert m.suggestion is None and not m.exercises and not m.attention, name


def test_slowed_clip_is_called_slow_motion_with_a_rate_that_works(clips: dict) -> None:
    ex = pose(clips, "slowed")
    assert round(ex.info.fps) == 24
    res = analyse(ex)
    check = checks(res)["capture_rate"]
    assert check.status == "warn" and "probably slow motion" in check.message, check.message
    for name in TIMING:  # naive cadence ~135: plausible-looking, but not trusted
        m = res.metrics[name]
        assert m.confidence == "not measurable" and "slow motion" in m.reason, name
    assert_no_advice_from_weak_metrics(res)
    rate = float(re.search(r"--capture-fps (\d+)", check.message).group(1))
    assert rate == 30
    fixed = analyse(ex, capture_fps=rate)  # the suggested re-run: no refusal, right cadence
    assert checks(fixed)["capture_rate"].status == "ok"
    assert fixed.metrics["cadence"].value == pytest.approx(TRUE_CADENCE, rel=0.015)
    assert fixed.metrics["cadence"].confidence == "good"


def test_rotated_clip_is_refused(clips: dict) -> None:
    ex = pose(clips, "rotated")
    with pytest.raises(FormError) as err:
        analyse(ex)
    message = str(err.value)
    assert "lying on their side" in message and "rotation is probably wrong" in message, message


def test_feet_out_of_frame_lower_or_refuse_with_the_cause(clips: dict) -> None:
    ex = pose(clips, "feet_cut")
    try:
        res = analyse(ex)
    except FormError as exc:  # too few strides found: the message names the capture problem
        assert "Capture problems found" in str(exc) and (
            "Whole body" in str(exc) or "Feet visibility" in str(exc)
        ), str(exc)
        return
    c = checks(res)
    assert c["whole_body_in_frame"].status != "ok" or c["feet_visible"].status != "ok"
    for name in ("contact_time", "duty_factor", "overstride", "knee_flexion_contact"):
        m = res.metrics[name]
        assert m.confidence != "good", name
        assert "whole body" in m.reason.lower() or "feet visibility" in m.reason.lower(), m.reason
    assert_no_advice_from_weak_metrics(res)


def test_small_runner_makes_angles_and_timing_not_measurable_with_the_cause(clips: dict) -> None:
    ex = pose(clips, "small")
    res = analyse(ex)
    size = checks(res)["person_size"]
    assert size.status == "fail" and "film from 3-5 m, or zoom" in size.message
    for name, m in res.metrics.items():
        if (m.unit == "deg" or name.startswith(("contact_time", "duty_factor"))) and m.n:
            assert m.confidence == "not measurable", name
            assert "% of the frame height: film from 3-5 m, or zoom" in m.reason, name
    assert_no_advice_from_weak_metrics(res)


def test_5994_fps_clip_counts_as_60_and_keeps_its_cadence(clips: dict) -> None:
    ex = pose(clips, "ntsc60")
    assert probe_video(clips["ntsc60"]).fps == pytest.approx(59.94, abs=0.01)
    res = analyse(ex)
    c = checks(res)
    assert c["frame_rate"].status == "ok" and "60 fps" in c["frame_rate"].message
    assert c["capture_rate"].status == "ok"
    cad = res.metrics["cadence"]
    assert cad.confidence == "good" and cad.value == pytest.approx(TRUE_CADENCE, rel=0.015)
    assert_no_advice_from_weak_metrics(res)


def test_120_fps_clip_poses_every_4th_frame_and_refines_events(clips: dict, db) -> None:  # noqa: ANN001
    """End to end through the service: pose on every 4th frame, then at the full rate
    around each contact and toe-off; the cadence stays right, the annotated video has the
    posed frames (30 fps)."""
    import json

    from strideback.form.service import analyse_clip

    result = analyse_clip(db, clips["hfr120"], out_dir=clips["hfr120"].parent / "out120")
    data = json.loads(result.metrics_json.read_text())
    assert data["clip"]["pose_every"] == 4 and data["clip"]["first_pose_seconds"] > 0
    assert data["clip"]["annotated_fps"] == pytest.approx(30.0)
    video = probe_video(result.annotated_mp4)
    assert video.fps == pytest.approx(30.0) and video.frame_count == -(-data["clip"]["frames"] // 4)
    assert data["clip"]["cpu_split"]["pose"] > 0 and data["clip"]["cpu_split"]["main: analysis"] > 0
    cad = data["metrics"]["cadence"]
    assert cad["confidence"] == "good" and cad["value"] == pytest.approx(TRUE_CADENCE, rel=0.015)
    assert 180 <= data["metrics"]["contact_time"]["value"] <= 320  # groundtruth's band
