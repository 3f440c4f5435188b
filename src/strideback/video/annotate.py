"""Write the annotated video: skeleton, gait events and key angles over the (downscaled) clip.

Encodes H.264 (yuv420p, faststart) with the ffmpeg binary of imageio-ffmpeg so browsers play
it; falls back to OpenCV's mp4v if that fails.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from strideback.video.decode import iter_frames
from strideback.video.pose import SKELETON, J, Landmarks

NEAR_COLOUR = (0, 200, 255)  # BGR orange-yellow
FAR_COLOUR = (255, 160, 60)
TRUNK_COLOUR = (230, 230, 230)
EVENT_FRAMES = 4  # how long an event label stays on screen


@dataclass
class Overlay:
    """What to draw: per-frame labels and angles (all index-aligned with the landmarks)."""

    near: str | None
    events: dict[int, str]  # frame index -> label, e.g. "contact L"
    angles: dict[str, list[float | None]]  # label -> per-frame value in degrees
    footer: str


def _proxy_frames(proxies: list[Path]) -> Iterator[np.ndarray]:
    for path in proxies:
        cap = cv2.VideoCapture(str(path))
        try:
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                yield frame
        finally:
            cap.release()


def _draw(frame: np.ndarray, pts: np.ndarray, scale: float, i: int, ov: Overlay) -> None:
    if np.isfinite(pts[J["left_hip"], 0]):
        xy = pts[:, :2] * scale
        for a, b in SKELETON:
            pa, pb = xy[J[a]], xy[J[b]]
            if not (np.isfinite(pa).all() and np.isfinite(pb).all()):
                continue
            side = a.split("_", 1)[0]
            colour = (
                TRUNK_COLOUR
                if a.split("_")[0] != b.split("_")[0]
                else (NEAR_COLOUR if ov.near in (None, side) else FAR_COLOUR)
            )
            cv2.line(frame, tuple(int(v) for v in pa), tuple(int(v) for v in pb), colour, 2,
                     cv2.LINE_AA)  # fmt: skip
        for p in xy:
            if np.isfinite(p).all():
                cv2.circle(frame, (int(p[0]), int(p[1])), 3, (255, 255, 255), -1, cv2.LINE_AA)
    y = 22
    for label, series in ov.angles.items():
        v = series[i] if i < len(series) else None
        text = f"{label}: {v:.0f} deg" if v is not None and np.isfinite(v) else f"{label}: -"
        _text(frame, text, (8, y))
        y += 20
    for k in range(i - EVENT_FRAMES + 1, i + 1):
        if k in ov.events:
            _text(frame, ov.events[k].upper(), (8, y + 6), (80, 255, 80), 0.7)
            break
    _text(frame, ov.footer, (8, frame.shape[0] - 10), scale=0.45)


def _text(img, text, org, colour=(255, 255, 255), scale=0.5) -> None:  # type: ignore[no-untyped-def]
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, 1, cv2.LINE_AA)


def write_annotated(
    out_path: Path,
    landmarks: Landmarks,
    overlay: Overlay,
    *,
    proxies: list[Path] | None = None,
    proxy_frames: list[int] | None = None,
    video: Path | None = None,
    fps: float = 30.0,
    max_side: int = 640,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Draw the overlay on each frame (from the proxies, or by decoding `video`).

    With several proxies and their frame counts (`proxy_frames`), each proxy is drawn and
    encoded in its own process and the parts are joined without re-encoding (ffmpeg concat),
    which halves the wall time on two cores; any failure there falls back to one process.
    """
    if not proxies and video is None:
        raise ValueError("write_annotated needs proxies or the video path")
    if proxies and proxy_frames and len(proxies) == len(proxy_frames) > 1:
        try:
            return _write_parallel(out_path, landmarks, overlay, proxies, proxy_frames, fps,
                                   progress)  # fmt: skip
        except Exception:  # noqa: BLE001 - fall back to the single-process path
            pass
    total = len(landmarks)

    def source() -> Iterator[np.ndarray]:
        if proxies:
            return _proxy_frames(proxies)
        return (f.image for f in iter_frames(video, max_side=max_side))  # type: ignore[arg-type]

    frames = _drawn(source(), landmarks.points, landmarks.width, overlay, 0, total, progress)
    return _encode(out_path, frames, fps)


def _drawn(
    frames: Iterator[np.ndarray], points: np.ndarray, width: int, overlay: Overlay, start: int,
    total: int, progress: Callable[[int, int], None] | None = None,
) -> Iterator[np.ndarray]:  # fmt: skip
    """Frames with the overlay drawn; `points[k]` belongs to frame `start + k` of the clip."""
    for k, frame in enumerate(frames):
        if k >= len(points):
            break
        _draw(frame, points[k], frame.shape[1] / width, start + k, overlay)
        if progress and k % 10 == 0:
            progress(start + k, total)
        yield frame


def _encode(out_path: Path, frames: Iterator[np.ndarray], fps: float) -> Path:
    try:
        return _write_h264(out_path, frames, fps)
    except Exception:  # noqa: BLE001 - fall back to OpenCV's encoder
        return _write_mp4v(out_path, frames, fps)


def _segment(
    out_path: str, proxy: str, points: np.ndarray, width: int, overlay: Overlay, start: int,
    fps: float,
) -> str:  # fmt: skip
    frames = _drawn(_proxy_frames([Path(proxy)]), points, width, overlay, start, len(points))
    _write_h264(Path(out_path), frames, fps)
    return out_path


def _write_parallel(
    out_path: Path, landmarks: Landmarks, overlay: Overlay, proxies: list[Path],
    counts: list[int], fps: float, progress: Callable[[int, int], None] | None,
) -> Path:  # fmt: skip
    import multiprocessing as mp
    import subprocess
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    import imageio_ffmpeg

    total = len(landmarks)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int)
    with tempfile.TemporaryDirectory(prefix="strideback-annotate-") as tmp:
        parts = [Path(tmp) / f"part_{i:02d}.mp4" for i in range(len(proxies))]
        with ProcessPoolExecutor(len(proxies), mp_context=mp.get_context("spawn")) as pool:
            futures = [
                pool.submit(_segment, str(part), str(proxy),
                            landmarks.points[a : a + n], landmarks.width, overlay, int(a), fps)
                for part, proxy, a, n in zip(parts, proxies, starts, counts, strict=True)
            ]  # fmt: skip
            done = 0
            for future, n in zip(futures, counts, strict=True):
                future.result()
                done += n
                if progress:
                    progress(done, total)
        listing = Path(tmp) / "parts.txt"
        listing.write_text("".join(f"file '{p}'\n" for p in parts), encoding="utf-8")
        subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
             "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy",
             "-movflags", "+faststart", str(out_path)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    return out_path


def _write_h264(out_path: Path, frames: Iterator[np.ndarray], fps: float) -> Path:
    import imageio_ffmpeg

    first = next(frames)
    h, w = first.shape[:2]
    h2, w2 = h - h % 2, w - w % 2  # yuv420p needs even sizes
    writer = imageio_ffmpeg.write_frames(
        str(out_path), (w2, h2), fps=fps, codec="libx264", pix_fmt_in="bgr24",
        pix_fmt_out="yuv420p", macro_block_size=1, quality=None,
        # ultrafast: ~2x less CPU than veryfast for a ~2x larger file (a few MB per 30 s)
        output_params=["-preset", "ultrafast", "-crf", "23", "-movflags", "+faststart"],
        ffmpeg_log_level="error",
    )  # fmt: skip
    writer.send(None)
    for f in itertools.chain([first], frames):
        writer.send(np.ascontiguousarray(f[:h2, :w2]))
    writer.close()
    return out_path


def _write_mp4v(out_path: Path, frames: Iterator[np.ndarray], fps: float) -> Path:
    writer = None
    for frame in frames:
        if writer is None:
            h, w = frame.shape[:2]
            writer = cv2.VideoWriter(str(out_path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        writer.write(frame)
    if writer is not None:
        writer.release()
    return out_path
