"""Open a phone video: its real geometry (rotation applied), frame rate, timestamps, slow motion.

OpenCV 4.11 applies the rotation metadata itself when CAP_PROP_ORIENTATION_AUTO is on; we
switch it on explicitly and report the displayed size. Frame times come from
CAP_PROP_POS_MSEC, so variable-frame-rate phone clips keep their real timing.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


class VideoError(Exception):
    """The file cannot be read as a video (the message names the file and the problem)."""


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    width: int  # as displayed (rotation applied)
    height: int
    fps: float  # container frame rate
    frame_count: int
    rotation: int  # degrees from metadata (0, 90, 180, 270)
    capture_fps: float | None  # from metadata, when the phone wrote one (slow motion)

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps else 0.0


@dataclass
class Frame:
    index: int
    t_s: float  # presentation time in container seconds
    image: np.ndarray  # BGR, display orientation


def _open(path: Path) -> cv2.VideoCapture:
    if not path.is_file():
        raise VideoError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: the file is empty")
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise VideoError(f"{path}: not a video file OpenCV/FFmpeg can read")
    cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return cap


_CAPTURE_FPS_KEYS = re.compile(
    r"(com\.android\.capture\.fps|com\.apple\.quicktime\.capture\.fps|capture[_.]fps)\s*:\s*"
    r"([0-9.]+)",
    re.IGNORECASE,
)


def metadata_capture_fps(path: Path) -> float | None:
    """The capture frame rate a phone wrote into the container (slow-motion clips), if any.

    Android writes `com.android.capture.fps`; we read the container tags with the ffmpeg
    binary shipped by imageio-ffmpeg (no network, no ffprobe needed).
    """
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
        proc = subprocess.run(
            [exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True, timeout=30
        )
    except Exception:  # noqa: BLE001 - metadata is optional
        return None
    match = _CAPTURE_FPS_KEYS.search(proc.stderr)
    if not match:
        return None
    try:
        value = float(match.group(2))
    except ValueError:
        return None
    return value if value > 0 else None


def probe_video(path: Path) -> VideoInfo:
    """Read the geometry and timing of `path`; raise VideoError if it is not a readable video."""
    path = Path(path)
    cap = _open(path)
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        rotation = int(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0) % 360
        ok, first = cap.read()
        if not ok or first is None:
            raise VideoError(f"{path}: no decodable video frames")
        height, width = first.shape[:2]  # rotation already applied by OpenCV
    finally:
        cap.release()
    if fps <= 0 or fps > 2000:
        raise VideoError(f"{path}: implausible frame rate {fps!r} in the container")
    return VideoInfo(
        path=path,
        width=int(width),
        height=int(height),
        fps=fps,
        frame_count=max(count, 1),
        rotation=rotation,
        capture_fps=metadata_capture_fps(path),
    )


def resize_to_long_side(image: np.ndarray, max_side: int | None) -> np.ndarray:
    """Downscale so the longer side is at most `max_side` pixels (never upscale)."""
    if not max_side:
        return image
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return image
    return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def iter_frames(
    path: Path,
    *,
    start: int = 0,
    stop: int | None = None,
    max_side: int | None = None,
) -> Iterator[Frame]:
    """Decode frames [start, stop) in display orientation, with their real timestamps."""
    cap = _open(Path(path))
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 30.0)
    try:
        if start:
            cap.set(cv2.CAP_PROP_POS_FRAMES, start)
        index = start
        last_t = -1.0
        while stop is None or index < stop:
            ok = cap.grab()
            if not ok:
                break
            t_ms = cap.get(cv2.CAP_PROP_POS_MSEC)
            ok, image = cap.retrieve()
            if not ok or image is None:
                break
            t_s = t_ms / 1000.0 if t_ms is not None and t_ms >= 0 else index / fps
            if t_s <= last_t:  # missing or repeated timestamps: fall back to the frame clock
                t_s = max(index / fps, last_t + 1e-6)
            last_t = t_s
            yield Frame(index=index, t_s=t_s, image=resize_to_long_side(image, max_side))
            index += 1
    finally:
        cap.release()
