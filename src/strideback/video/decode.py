"""Open a phone video: its real geometry (rotation applied), frame rate, timestamps, slow motion.

Two decoders, both in display orientation with each frame's real presentation time (so
variable-frame-rate phone clips keep their timing):
- `iter_frames` (OpenCV 4.11 with CAP_PROP_ORIENTATION_AUTO; times from CAP_PROP_POS_MSEC);
- `ffmpeg_frames` (the ffmpeg binary of imageio-ffmpeg in a pipe). It scales inside ffmpeg
  while the frame is still YUV and pipes YUV 4:2:0 (half the bytes of RGB), which OpenCV
  turns into RGB at the small size: a 1080p frame costs ~4.5 ms instead of ~15 ms for
  OpenCV's decode + BGR conversion + resize (and ~1 ms less than ffmpeg's own RGB output);
  it can start at a time (accurate seek), and reads each frame's timestamp from the
  `showinfo` filter. ffmpeg applies the rotation itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import queue
import re
import subprocess
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# OpenCV's and its FFmpeg backend's own warnings (printed by C++ code on odd files) are
# silenced before cv2 is loaded; real failures reach the user as a VideoError instead.
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402
import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]  # an image or landmark array

with contextlib.suppress(AttributeError):  # cv2 may have been imported before the variables
    cv2.setLogLevel(2)  # 2 = errors only


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
    start_s: float = 0.0  # the container's start time (first presentation time)
    created: dt.datetime | None = None  # the container's creation_time (UTC), if written

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.fps else 0.0


@dataclass
class Frame:
    index: int
    t_s: float  # presentation time in container seconds
    image: Array  # BGR, display orientation


def check_file(path: Path) -> None:
    """Refuse a missing path, a folder or an empty file (before anything is decoded)."""
    if path.is_dir():
        raise VideoError(f"{path}: is a folder, not a video file; give one clip")
    if not path.exists():
        raise VideoError(f"{path}: file not found")
    if not path.is_file():
        raise VideoError(f"{path}: not a regular file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path}: the file is empty")


def _open(path: Path) -> cv2.VideoCapture:
    check_file(path)
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
    r"(com\.android\.capture\.fps|com\.apple\.quicktime\.capture\.fps|"
    r"capture[_.]fps)\s*:\s*"
    r"([0-9.]+)",
    re.IGNORECASE,
)


_START = re.compile(r"Duration:.*?start:\s*(-?[0-9.]+)")
_CREATED = re.compile(r"creation_time\s*:\s*(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})")


def creation_time(header: str) -> dt.datetime | None:
    """The container's creation_time (UTC) from the ffmpeg header; None if absent or the
    placeholder 1970/1904 dates some encoders write."""
    match = _CREATED.search(header)
    if not match:
        return None
    try:
        when = dt.datetime.fromisoformat(match.group(1).replace(" ", "T"))
    except ValueError:
        return None
    return when.replace(tzinfo=dt.UTC) if when.year >= 2000 else None


def ffmpeg_header(path: Path) -> str:
    """The container description `ffmpeg -i` prints (empty if ffmpeg is unavailable)."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
        proc = subprocess.run(
            [exe, "-hide_banner", "-i", str(path)], capture_output=True, text=True, timeout=30
        )
    except Exception:  # noqa: BLE001 - metadata is optional
        return ""
    return proc.stderr


def metadata_capture_fps(path: Path, header: str | None = None) -> float | None:
    """The capture frame rate a phone wrote into the container (slow-motion clips), if any.

    Android writes `com.android.capture.fps`; we read the container tags with the ffmpeg
    binary shipped by imageio-ffmpeg (no network, no ffprobe needed).
    """
    match = _CAPTURE_FPS_KEYS.search(ffmpeg_header(path) if header is None else header)
    if not match:
        return None
    try:
        value = float(match.group(2))
    except ValueError:
        return None
    return value if value > 0 else None


def container_start_s(header: str) -> float:
    match = _START.search(header)
    return float(match.group(1)) if match else 0.0


_TIME_BASE = re.compile(r"^#tb 0: (\d+)/(\d+)", re.MULTILINE)


def keyframe_times(path: Path) -> list[float]:
    """Presentation times (s, stream clock) of the video's keyframes, from the packet flags
    (ffmpeg's framecrc muxer on a stream copy: nothing is decoded, ~0.05 s for a 30 s clip).
    Empty when ffmpeg is missing or fails: the caller then assumes a keyframe at the start."""
    try:
        import imageio_ffmpeg

        proc = subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
             "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    except Exception:  # noqa: BLE001 - only an optimisation of the chunking
        return []
    tb = _TIME_BASE.search(proc.stdout)
    if proc.returncode != 0 or tb is None:
        return []
    num, den = int(tb.group(1)), int(tb.group(2))
    times = []
    for line in proc.stdout.splitlines():
        if line.startswith("#") or "F=0x" in line:  # F=0x.. is written for non-key packets
            continue
        fields = line.split(",")
        if len(fields) >= 3:
            with contextlib.suppress(ValueError):
                times.append(int(fields[2]) * num / den)
    return sorted(times)


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
    header = ffmpeg_header(path)
    return VideoInfo(
        path=path,
        width=int(width),
        height=int(height),
        fps=fps,
        frame_count=max(count, 1),
        rotation=rotation,
        capture_fps=metadata_capture_fps(path, header),
        start_s=container_start_s(header),
        created=creation_time(header),
    )


def resize_to_long_side(image: Array, max_side: int | None) -> Array:
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


SEEK_MARGIN_S = 0.5
_SHOWINFO = re.compile(r"\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:\s*(-?[0-9.eE+-]+)")


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """(width, height) with the long side at most `max_side`, both even (never upscaled)."""
    scale = min(1.0, max_side / max(width, height)) if max_side else 1.0
    w, h = max(2, round(width * scale)), max(2, round(height * scale))
    return w - w % 2, h - h % 2


def ffmpeg_frames(
    path: Path,
    size: tuple[int, int],
    *,
    start_s: float | None = None,
    stop_s: float | None = None,
    threads: int = 1,
    skip_deblocking: bool = False,
    seek_s: float | None = None,
) -> Iterator[tuple[float, Array]]:
    """(presentation time in s, RGB image of `size` (w, h)) for each frame with
    start_s <= time < stop_s, decoded by ffmpeg in display orientation.

    Times are the stream's own (`-copyts`), frames are passed through unchanged in number
    (`-fps_mode passthrough`: no frames duplicated or dropped for variable frame rate).
    `seek_s` (a time just after a keyframe) makes ffmpeg start decoding at that keyframe
    instead of SEEK_MARGIN_S before start_s (which decodes from the keyframe before that).
    `skip_deblocking` skips the H.264/HEVC in-loop deblocking filter (~10% less decode time);
    only meant for frames shrunk at least 2x, where the 8-px block edges it smooths vanish
    in the downscale (on the shared test clip: cadence and knee angles unchanged within noise).
    """
    import imageio_ffmpeg

    w, h = size
    yuv = w % 2 == 0 and h % 2 == 0  # 4:2:0 needs even sizes
    pix_fmt, frame_bytes = ("yuv420p", w * h * 3 // 2) if yuv else ("rgb24", w * h * 3)
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "info",
           "-threads", str(threads), "-copyts"]  # fmt: skip
    if seek_s is not None:
        # Start decoding at the keyframe at or before seek_s (the caller puts it just after
        # the keyframe its part starts at); frames before start_s are dropped here.
        cmd += ["-noaccurate_seek", "-ss", f"{max(0.0, seek_s):.6f}"]
    elif start_s:
        # Seek a little early and cut on the frame times here, so that consecutive chunks
        # (stop_s of one == start_s of the next) share no frame and miss none, even when a
        # frame sits exactly on the boundary of a variable-frame-rate clip.
        cmd += ["-ss", f"{max(0.0, start_s - SEEK_MARGIN_S):.6f}"]
    if skip_deblocking:
        cmd += ["-skip_loop_filter", "all"]
    cmd += [
        "-i", str(path), "-map", "0:v:0", "-an", "-sn",
        "-vf", f"scale={w}:{h}:flags=area,showinfo=checksum=0",
        "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    times: queue.Queue[float | None] = queue.Queue()
    tail: deque[str] = deque(maxlen=15)

    def read_log() -> None:
        for raw in proc.stderr:  # type: ignore[union-attr]
            line = raw.decode("utf-8", "replace").rstrip()
            match = _SHOWINFO.search(line)
            if match:
                times.put(float(match.group(3)))
            elif "showinfo" not in line:
                tail.append(line)
        times.put(None)

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    got = 0
    buf = bytearray(frame_bytes)  # reused: each yielded image is a new array
    view, data = memoryview(buf), np.frombuffer(buf, np.uint8)
    try:
        while _read_into(proc.stdout, view):
            t = times.get(timeout=60)
            if t is None:
                break
            if start_s is not None and t < start_s:
                continue
            if stop_s is not None and t >= stop_s:
                break
            got += 1
            if yuv:  # BT.601 matrix; phone clips tag BT.709: a slight tint, nothing for pose
                yield t, cv2.cvtColor(data.reshape(h * 3 // 2, w), cv2.COLOR_YUV2RGB_I420)
            else:
                yield t, data.reshape(h, w, 3).copy()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        reader.join(timeout=5)
    if got == 0 and proc.returncode not in (0, -9):
        details = " | ".join(line for line in tail if line)[-400:]
        raise VideoError(f"{path}: ffmpeg could not decode the video ({details})")


def _read_into(stream, view: memoryview) -> bool:  # type: ignore[no-untyped-def]
    """Fill `view` from the pipe; False at the end of the stream (or a partial last frame)."""
    got, n = 0, len(view)
    while got < n:
        k = stream.readinto(view[got:])
        if not k:
            return False
        got += k
    return True
