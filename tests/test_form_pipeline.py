"""The pose workers' plumbing: preview frames kept as JPEG on disk, the workers drawing the
annotated video after the analysis, the single-worker path, and the one-process fallback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from strideback.video.annotate import FONT, Overlay, _text
from strideback.video.decode import VideoError
from strideback.video.preview import PreviewStore

CLIP = "zz_male_side.mp4"


def test_preview_store_round_trip_keeps_only_offsets_in_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    base = cv2.GaussianBlur(rng.integers(0, 255, (64, 36, 3), np.uint8), (0, 0), 3)
    frames = [cv2.resize(np.roll(base, k, axis=1), (360, 640)) for k in range(12)]
    store = PreviewStore(tmp_path / "preview.jpgs", (270, 480))
    for f in frames:
        store.add_rgb(f)
    assert len(store) == 12
    assert all(isinstance(span, tuple) for span in store._spans)  # no image arrays held
    assert (tmp_path / "preview.jpgs").stat().st_size < 12 * 270 * 480 * 3 / 5  # compressed
    back = list(store.frames())
    assert [b.shape for b in back] == [(480, 270, 3)] * 12
    for original, decoded in zip(frames, back, strict=True):
        expected = cv2.cvtColor(cv2.resize(original, (270, 480)), cv2.COLOR_RGB2BGR)
        assert np.abs(decoded.astype(int) - expected.astype(int)).mean() < 3  # BGR, JPEG q85
    store.close()
    assert not (tmp_path / "preview.jpgs").exists()


@pytest.mark.parametrize(("text", "org", "scale"), [
    ("left knee flexion: 23 deg", (8, 22), 0.5),
    ("side view | cadence 169 steps/min | StrideBack", (8, 470), 0.45),
    ("CONTACT L", (250, 30), 0.7),  # runs off the right edge: clipped like putText
])  # fmt: skip
def test_cached_text_looks_like_puttext(text: str, org: tuple[int, int], scale: float) -> None:
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 255, (480, 270, 3), dtype=np.uint8)
    ours, theirs = frame.copy(), frame.copy()
    _text(ours, text, org, (80, 255, 80), scale)
    cv2.putText(theirs, text, org, FONT, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(theirs, text, org, FONT, scale, (80, 255, 80), 1, cv2.LINE_AA)
    diff = np.abs(ours.astype(int) - theirs.astype(int))
    assert (ours != frame).sum() > 100  # something was drawn
    assert diff.mean() < 0.05 and np.percentile(diff, 99.9) <= 12


@pytest.fixture(scope="module")
def short_clip(videos_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """5.5 s of the shared clip: under 2 x 90 frames, so one pose worker does it all."""
    import imageio_ffmpeg

    out = tmp_path_factory.mktemp("short") / "short.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-i",
         str(videos_dir / CLIP), "-t", "5.5", "-c:v", "libx264", "-preset", "veryfast",
         str(out)], check=True,
    )  # fmt: skip
    return out


def test_single_worker_draws_the_annotated_video(short_clip: Path, tmp_path: Path) -> None:
    from strideback.video.extract import PosePass

    done: list[int] = []
    with PosePass(short_clip) as job:
        assert len(job.chunks) == 1
        ex = job.landmarks(lambda d, t: done.append(d))
        n = len(ex.landmarks)
        assert n == 165 and ex.landmarks.detected.mean() > 0.9
        assert done and done[-1] == n
        overlay = Overlay(near="left", events={10: ["contact L"]},
                          angles={"left knee flexion": [20.0] * n}, footer="test")  # fmt: skip
        job.annotate(ex.landmarks, overlay, fps=ex.info.fps)
        out = job.annotated(tmp_path / "annotated.mp4")
        tmp = Path(job._tmp.name)  # type: ignore[union-attr]
        procs = list(job._procs)
    assert not tmp.exists()  # preview frames and parts removed
    assert not any(p.is_alive() for p in procs)
    cap = cv2.VideoCapture(str(out))
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    cap.release()
    assert count == n and size == ex.preview_size == (404, 720)  # 720 px long side


def test_annotation_falls_back_to_one_process(short_clip: Path, tmp_path: Path) -> None:
    """If the workers cannot draw the video, it is drawn again from the clip, not lost."""
    from strideback.form.model import JOINTS, Landmarks
    from strideback.form.service import _annotate
    from strideback.video.decode import probe_video
    from strideback.video.extract import Extraction

    info = probe_video(short_clip)
    n = 165
    points = np.full((n, len(JOINTS), 4), np.nan)
    lm = Landmarks(np.arange(n) / 30.0, points, info.width, info.height, "none")
    ex = Extraction(info, lm, (270, 480), 0.0)

    class BrokenWorkers:
        def annotated(self, out: Path, progress: object = None) -> Path:
            raise VideoError("worker died")

    out = _annotate(BrokenWorkers(), ex, Overlay(None, {}, {}, "x"), short_clip,  # type: ignore[arg-type]
                    tmp_path / "a.mp4", None)  # fmt: skip
    cap = cv2.VideoCapture(str(out))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == n
    cap.release()


def test_event_labels_stack_newest_first_and_never_hide_each_other() -> None:
    from strideback.video.annotate import recent_events

    ov = Overlay(near=None, events={10: ["contact L"], 12: ["toe-off R", "contact R"]},
                 angles={}, footer="", frames=100, event_frames=8)  # fmt: skip
    assert recent_events(ov, 9) == []
    assert recent_events(ov, 11) == [(1, "contact L")]
    shown = recent_events(ov, 13)
    assert [label for _, label in shown] == ["toe-off R", "contact R", "contact L"]
    assert recent_events(ov, 18) == [(6, "toe-off R"), (6, "contact R")]  # L has expired


def test_front_back_views_draw_left_and_right_in_two_colours() -> None:
    from strideback.form.model import J
    from strideback.video.annotate import LEFT_COLOUR, RIGHT_COLOUR, _bones

    colours = {(a, b): c for a, b, c in _bones(None)}
    assert colours[(J["left_hip"], J["left_knee"])] == LEFT_COLOUR
    assert colours[(J["right_hip"], J["right_knee"])] == RIGHT_COLOUR
    assert LEFT_COLOUR != RIGHT_COLOUR
    side = {(a, b): c for a, b, c in _bones("left")}
    assert side[(J["left_hip"], J["left_knee"])] != side[(J["right_hip"], J["right_knee"])]


def test_timeline_marks_events_and_the_current_frame() -> None:
    from strideback.video.annotate import _draw

    frame = np.zeros((720, 404, 3), np.uint8)
    pts = np.full((33, 4), np.nan)
    ov = Overlay(near=None, events={0: ["contact L"], 99: ["contact R"]}, angles={},
                 footer="", frames=100)  # fmt: skip
    _draw(frame, pts, 1.0, 50, ov)
    row = frame[720 - 30]
    assert row[8].any() and row[404 - 8].any()  # ticks at both ends
    assert (frame[720 - 36 : 720 - 24, 8 + round(388 * 50 / 99)] == 255).all()  # the cursor


@pytest.mark.parametrize("fps, k", [(30.0, 1), (25.0, 1), (59.94, 2), (60.0, 2), (119.88, 4),
                                    (240.0, 8), (480.0, 16)])  # fmt: skip
def test_pose_runs_on_about_30_frames_per_second(fps: float, k: int) -> None:
    from strideback.video.extract import pose_stride

    assert pose_stride(fps) == k


def test_frames_not_posed_are_interpolated_in_time_and_never_across_a_missing_person() -> None:
    from strideback.video.extract import interpolate_unposed

    t = np.arange(9) / 240.0
    pts = np.full((9, 33, 4), np.nan)
    posed = np.zeros(9, bool)
    posed[::4] = True  # frames 0, 4, 8
    pts[0], pts[4] = 0.0, 1.0  # frame 8: posed, no person found
    out = interpolate_unposed(t, pts, posed)
    assert np.allclose(out[1:4, 0, 0], [0.25, 0.5, 0.75])
    assert np.isnan(out[5:8]).all()  # no interpolation towards a frame without a person
    assert np.isnan(out[8]).all()


def test_timeline_drawn_once_matches_drawing_every_tick() -> None:
    """The bar with its ticks is drawn once and copied into each frame: same pixels as
    drawing every event's tick on every frame."""
    from strideback.video.annotate import _timeline, event_colour

    rng = np.random.default_rng(3)
    frame = rng.integers(0, 255, (720, 404, 3)).astype(np.uint8)
    events = {int(i): ["contact L"] for i in range(0, 1800, 11)}
    events.update({int(i) + 5: ["toe-off R", "contact R"] for i in range(0, 1800, 11)})
    ov = Overlay(near=None, events=events, angles={}, footer="", frames=1800)
    ours, theirs = frame.copy(), frame.copy()
    _timeline(ours, 700, ov)
    x0, x1, y = 8, 404 - 8, 720 - 30
    cv2.line(theirs, (x0, y), (x1, y), (90, 90, 90), 1)
    for k, labels in events.items():
        x = x0 + round((x1 - x0) * k / 1799)
        for label in labels:
            tall = 6 if label.startswith("contact") else 3
            cv2.line(theirs, (x, y - tall), (x, y + tall), event_colour(label), 1)
    x = x0 + round((x1 - x0) * 700 / 1799)
    cv2.line(theirs, (x, y - 8), (x, y + 8), (255, 255, 255), 2)
    assert (ours != frame).any() and (ours == theirs).all()
