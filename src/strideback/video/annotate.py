"""Write the annotated video: skeleton, gait events and key angles over the (downscaled) clip.

The drawing and encoding functions run inside the pose workers (each draws its part of the
clip from its preview frames; the parts are joined without re-encoding). Encodes H.264
(yuv420p, faststart) with the ffmpeg binary of imageio-ffmpeg so browsers play it; falls back
to OpenCV's mp4v if that fails.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from strideback.form.model import SKELETON, J, Landmarks
from strideback.video.decode import iter_frames

Array = npt.NDArray[Any]  # an image or landmark array

NEAR_COLOUR = (0, 200, 255)  # BGR orange-yellow
FAR_COLOUR = (255, 160, 60)
TRUNK_COLOUR = (230, 230, 230)
LEFT_COLOUR = (0, 170, 255)  # BGR orange: the runner's left leg/arm (front/back views)
RIGHT_COLOUR = (255, 120, 40)  # BGR blue: the runner's right leg/arm
EVENT_SECONDS = 0.4  # how long an event label stays on screen (of playback time)
MAX_LABELS = 3  # labels shown at once: the newest on top, older ones fading below


@dataclass
class Overlay:
    """What to draw: per-frame labels and angles (all index-aligned with the landmarks).

    `events` maps a frame index to its labels (a contact of one foot and a toe-off of the
    other can share a frame); `event_frames` is how many frames a label stays (from the
    clip's frame rate, so it is readable at 240 fps too); `frames` the clip's length, for the
    timeline of events along the bottom."""

    near: str | None
    events: dict[int, list[str]]  # frame index -> labels, e.g. ["contact L"]
    angles: dict[str, list[float | None]]  # label -> per-frame value in degrees
    footer: str
    frames: int = 0
    event_frames: int = 12
    strips: dict[tuple[int, int], tuple[Array, Array]] = field(
        default_factory=dict, repr=False, compare=False
    )  # the timeline drawn once per frame size (see _timeline)


def event_colour(label: str) -> tuple[int, int, int]:
    return LEFT_COLOUR if label.endswith(" L") else RIGHT_COLOUR


FONT = cv2.FONT_HERSHEY_SIMPLEX


@functools.lru_cache(maxsize=8)
def _bones(near: str | None) -> tuple[tuple[int, int, tuple[int, int, int]], ...]:
    """(joint a, joint b, colour) for each bone: near and far leg/arm in a side view, left
    and right leg/arm in two colours in a front/back view (near is None), trunk."""
    out = []
    for a, b in SKELETON:
        side_a, side_b = a.split("_", 1)[0], b.split("_", 1)[0]
        if side_a != side_b:
            colour = TRUNK_COLOUR
        elif near is None:
            colour = LEFT_COLOUR if side_a == "left" else RIGHT_COLOUR
        else:
            colour = NEAR_COLOUR if near == side_a else FAR_COLOUR
        out.append((J[a], J[b], colour))
    return tuple(out)


def _draw(frame: Array, pts: Array, scale: float, i: int, ov: Overlay) -> None:
    if np.isfinite(pts[J["left_hip"], 0]):
        xy = pts[:, :2] * scale
        finite = np.isfinite(xy).all(axis=1)
        ok = finite.tolist()
        ixy = [tuple(p) for p in np.where(finite[:, None], xy, 0).astype(int).tolist()]
        for a, b, colour in _bones(ov.near):
            if ok[a] and ok[b]:
                cv2.line(frame, ixy[a], ixy[b], colour, 2, cv2.LINE_AA)
        for k, p in enumerate(ixy):
            if ok[k]:
                cv2.circle(frame, p, 3, (255, 255, 255), -1, cv2.LINE_AA)
    y = 22
    for label, series in ov.angles.items():
        v = series[i] if i < len(series) else None
        text = f"{label}: {v:.0f} deg" if v is not None and np.isfinite(v) else f"{label}: -"
        _text(frame, text, (8, y))
        y += 20
    for rank, (age, label) in enumerate(recent_events(ov, i)):
        fade = 1.0 - 0.6 * age / max(1, ov.event_frames)  # older labels fade
        b, g, r = event_colour(label)
        colour = (int(b * fade), int(g * fade), int(r * fade))
        _text(frame, label.upper(), (8, y + 6 + 24 * rank), colour, 0.7)
    _timeline(frame, i, ov)
    _text(
        frame,
        ov.footer,
        (8, frame.shape[0] - 10),
        scale=_fitting_scale(ov.footer, frame.shape[1] - 16),
    )


def recent_events(ov: Overlay, i: int) -> list[tuple[int, str]]:
    """(age in frames, label) of the events still on screen at frame i, newest first, at
    most MAX_LABELS: each gets its own line, so no label ever hides another."""
    out: list[tuple[int, str]] = []
    for k in range(i, i - ov.event_frames, -1):
        for label in ov.events.get(k, []):
            out.append((i - k, label))
    return out[:MAX_LABELS]


def _timeline(frame: Array, i: int, ov: Overlay) -> None:
    """A bar above the footer: a tick per contact (tall) and toe-off (short) in the foot's
    colour, and a white cursor at the current frame. The bar and its ticks are drawn once
    per frame size (`_timeline_strip`) and copied in: drawing every tick on every frame
    cost ~1.2 ms a frame for a 30 s clip."""
    if ov.frames < 2:
        return
    h, w = frame.shape[:2]
    x0, x1, y = 8, w - 8, h - 30
    strip, mask = _timeline_strip(ov, w, h)
    roi = frame[y - TICK : y + TICK + 1]
    roi[mask] = strip[mask]
    x = x0 + round((x1 - x0) * min(i, ov.frames - 1) / (ov.frames - 1))
    cv2.line(frame, (x, y - 8), (x, y + 8), (255, 255, 255), 2)


TICK = 6  # half the height of a contact's tick (a toe-off's is 3)


def _timeline_strip(ov: Overlay, w: int, h: int) -> tuple[Array, Array]:
    """(image, mask) of the bar and its ticks, rows y-TICK..y+TICK of a w x h frame."""
    key = (w, h)
    if key not in ov.strips:
        x0, x1 = 8, w - 8
        strip = np.zeros((2 * TICK + 1, w, 3), np.uint8)
        drawn = np.zeros((2 * TICK + 1, w), np.uint8)
        y = TICK
        cv2.line(strip, (x0, y), (x1, y), (90, 90, 90), 1)
        cv2.line(drawn, (x0, y), (x1, y), (255,), 1)
        for k, labels in ov.events.items():
            x = x0 + round((x1 - x0) * k / (ov.frames - 1))
            for label in labels:
                tall = TICK if label.startswith("contact") else 3
                cv2.line(strip, (x, y - tall), (x, y + tall), event_colour(label), 1)
                cv2.line(drawn, (x, y - tall), (x, y + tall), (255,), 1)
        ov.strips[key] = (strip, drawn.astype(bool))
    return ov.strips[key]


@functools.lru_cache(maxsize=64)
def _fitting_scale(text: str, width: int, scale: float = 0.45) -> float:
    """The font scale (at most `scale`) at which `text` fits in `width` pixels."""
    (w, _), _ = cv2.getTextSize(text, FONT, scale, 3)
    return scale if w <= width else max(0.3, scale * width / w)


@functools.lru_cache(maxsize=2048)
def _text_masks(text: str, scale: float) -> tuple[Array, Array, int, int]:
    """Anti-aliased coverage (0-1, H x W x 1) of the black outline and of the fill of `text`,
    drawn once: blending these is ~10x cheaper than cv2.putText twice on every frame.
    Returns (outline, fill, x offset, y offset) of the mask's corner from the text origin."""
    (w, h), base = cv2.getTextSize(text, FONT, scale, 3)
    pad = 3
    masks = []
    for thickness in (3, 1):
        canvas = np.zeros((h + base + 2 * pad, w + 2 * pad), np.uint8)
        cv2.putText(canvas, text, (pad, pad + h), FONT, scale, (255,), thickness, cv2.LINE_AA)
        masks.append((canvas.astype(np.float32) / 255.0)[..., None])
    return masks[0], masks[1], -pad, -(pad + h)


def _text(img, text, org, colour=(255, 255, 255), scale=0.5) -> None:  # type: ignore[no-untyped-def]
    """White (or `colour`) text with a black outline, as cv2.putText would draw it."""
    outline, fill, dx, dy = _text_masks(text, scale)
    x0, y0 = org[0] + dx, org[1] + dy
    h, w = outline.shape[:2]
    # the part of the mask inside the image
    ax, ay = max(0, -x0), max(0, -y0)
    bx, by = min(w, img.shape[1] - x0), min(h, img.shape[0] - y0)
    if ax >= bx or ay >= by:
        return
    roi = img[y0 + ay : y0 + by, x0 + ax : x0 + bx]
    o, f = outline[ay:by, ax:bx], fill[ay:by, ax:bx]
    blended = roi.astype(np.float32) * (1.0 - o)
    blended += (np.array(colour, np.float32) - blended) * f
    roi[:] = (blended + 0.5).astype(np.uint8)


def write_annotated(
    out_path: Path,
    landmarks: Landmarks,
    overlay: Overlay,
    *,
    video: Path,
    fps: float = 30.0,
    max_side: int = 720,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Draw the overlay on every frame of `video` (decoded again, downscaled to `max_side`) in
    this process. The pose workers normally draw from their own preview frames instead
    (strideback.video.extract.PosePass.annotate); this is the fallback."""
    total = len(landmarks)
    source = (f.image for f in iter_frames(video, max_side=max_side))
    return encode_video(
        out_path, drawn_frames(source, landmarks.points, landmarks.width, overlay,
                               range(total), progress), fps,
    )  # fmt: skip


def drawn_frames(
    frames: Iterator[Array], points: Array, width: int, overlay: Overlay,
    indices: Sequence[int], progress: Callable[[int, int], None] | None = None,
) -> Iterator[Array]:  # fmt: skip
    """Frames with the overlay drawn; `points[k]` (pixels of a `width`-wide video) belongs to
    frame `indices[k]` of the clip (the frames drawn may skip some of the clip's)."""
    total = len(indices)
    for k, frame in enumerate(frames):
        if k >= len(points) or k >= total:
            break
        _draw(frame, points[k], frame.shape[1] / width, indices[k], overlay)
        if progress and k % 10 == 0:
            progress(k, total)
        yield frame


def encode_video(out_path: Path, frames: Iterator[Array], fps: float) -> Path:
    """H.264 (browser-playable) through imageio-ffmpeg, else OpenCV's mp4v."""
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise ValueError(f"{out_path}: no frames to encode")
    try:
        return _write_h264(out_path, itertools.chain([first], frames), fps)
    except Exception:  # noqa: BLE001 - fall back to OpenCV's encoder
        return _write_mp4v(out_path, itertools.chain([first], frames), fps)


def concat_videos(parts: list[Path], out_path: Path) -> Path:
    """Join consecutive parts encoded alike into one file without re-encoding."""
    import subprocess
    import tempfile

    import imageio_ffmpeg

    with tempfile.TemporaryDirectory(prefix="strideback-concat-") as tmp:
        listing = Path(tmp) / "parts.txt"
        listing.write_text("".join(f"file '{p}'\n" for p in parts), encoding="utf-8")
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
             "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy",
             "-movflags", "+faststart", str(out_path)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    return out_path


def _write_h264(out_path: Path, frames: Iterator[Array], fps: float) -> Path:
    import imageio_ffmpeg

    first = next(frames)
    h, w = first.shape[:2]
    h2, w2 = h - h % 2, w - w % 2  # yuv420p needs even sizes
    writer = imageio_ffmpeg.write_frames(
        str(out_path), (w2, h2), fps=fps, codec="libx264", pix_fmt_in="yuv420p",
        pix_fmt_out="yuv420p", macro_block_size=1, quality=None,
        # ultrafast: ~2x less CPU than veryfast for a ~2x larger file (a few MB per 30 s);
        # one thread: each worker encodes its own part, x264's threads only add switching
        output_params=["-preset", "ultrafast", "-crf", "23", "-threads", "1",
                       "-movflags", "+faststart"],
        ffmpeg_log_level="error",
    )  # fmt: skip
    writer.send(None)
    for f in itertools.chain([first], frames):
        # YUV 4:2:0 from OpenCV (~0.15 ms) instead of BGR converted by ffmpeg: ~0.6 ms less
        # per frame for the encoder, half the bytes through the pipe
        writer.send(cv2.cvtColor(np.ascontiguousarray(f[:h2, :w2]), cv2.COLOR_BGR2YUV_I420))
    writer.close()
    return out_path


def _write_mp4v(out_path: Path, frames: Iterator[Array], fps: float) -> Path:
    writer = None
    for frame in frames:
        if writer is None:
            h, w = frame.shape[:2]
            writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (w, h))
        writer.write(frame)
    if writer is not None:
        writer.release()
    return out_path
