"""Run the pose backend over a whole video, in parallel chunks, keeping a small proxy video.

The clip is split into `workers` consecutive parts; each worker process decodes its part with
ffmpeg, scaled inside the decoder to `max_side` (the model crops and resizes the runner to
256x256 anyway), runs pose in tracking mode, and writes its downscaled frames to an MJPG
proxy so the annotated video can be drawn later without decoding the original a second time.
Each worker's native stderr (TFLite/absl INFO and warning lines) goes to a log file; only
real error lines are forwarded to the terminal.

Cost per frame of a 1080p60 phone clip, measured on this project's 2-core machine: ffmpeg
decode + scale ~6 ms (OpenCV decode + BGR + resize was ~15 ms), pose ~20-22 ms whatever the
input size (the model always sees a 256x256 crop around the runner, so cropping the input
ourselves or downscaling below 640 px saves nothing measurable), proxy ~2 ms. MediaPipe's
graph runs its own threads: pinned to one core a process uses ~20 ms CPU per frame, unpinned
~23 ms, but pinning the workers (STRIDEBACK_PIN_WORKERS=1) made the wall time worse on a
machine shared with other work, so it is off by default.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from strideback.video.decode import (
    VideoError,
    VideoInfo,
    ffmpeg_frames,
    iter_frames,
    probe_video,
    scaled_size,
)
from strideback.video.pose import JOINTS, Landmarks

Progress = Callable[[int, int], None]
DEFAULT_MAX_SIDE = 640  # pose input: a runner filling 40% of the height is ~256 px, the
# size of the model's input crop
PROXY_MAX_SIDE = 480  # frames kept for the annotated video (cheaper to encode and draw)
MIN_FRAMES_PER_WORKER = 90


@dataclass
class Extraction:
    info: VideoInfo
    landmarks: Landmarks
    proxies: list[Path]  # downscaled frames, in order (for the annotated video)
    proxy_frames: list[int]  # frames in each proxy
    proxy_size: tuple[int, int]  # (width, height) of the proxy frames
    seconds: float


REAL_ERROR = re.compile(r"^[EF]\d{4} |\b(ERROR|FATAL|Traceback)\b|Error:")


def _quiet_native_logs(log_path: str | None) -> None:
    """Send this worker's native stderr (TFLite/absl/glog INFO and W lines printed by C++
    code, which Python cannot filter) to a log file; the parent forwards real errors."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if log_path is None:
        return
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 2)
    os.close(fd)


def _frames(video: str, chunk: Chunk, size: tuple[int, int]):  # type: ignore[no-untyped-def]
    """(t_s, RGB image) for the chunk: ffmpeg pipe, or OpenCV when ffmpeg is missing."""
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # noqa: BLE001 - fall back to OpenCV decoding
        import cv2

        for f in iter_frames(Path(video), start=chunk.start, stop=chunk.stop, max_side=max(size)):
            yield f.t_s, cv2.cvtColor(f.image, cv2.COLOR_BGR2RGB)
        return
    # skip_deblocking stays off: on the shared clip it saved ~10% of the decode but moved one
    # near-leg contact by a frame (stride time CV 2.3% -> 4.3%); accuracy first.
    yield from ffmpeg_frames(Path(video), size, start_s=chunk.start_s, stop_s=chunk.stop_s)


def _worker(
    video: str,
    chunk: Chunk,
    size: tuple[int, int],
    proxy_size: tuple[int, int],
    proxy: str | None,
    backend: str,
    out_q,
    log_path: str | None = None,
    pin_cpu: int | None = None,
) -> None:
    _quiet_native_logs(log_path)  # before mediapipe is imported
    import cv2

    from strideback.video.pose import make_backend

    if pin_cpu is not None and hasattr(os, "sched_setaffinity"):
        # One core per worker (and its ffmpeg decoder, which inherits the affinity).
        os.sched_setaffinity(0, {pin_cpu})

    pose = None
    writer = None
    times: list[float] = []
    pts: list[np.ndarray] = []
    n_joints = len(JOINTS)
    try:
        pose = make_backend(backend)
        pending = 0
        for t_s, rgb in _frames(video, chunk, size):
            if proxy:
                if writer is None:
                    writer = cv2.VideoWriter(
                        proxy, cv2.VideoWriter_fourcc(*"MJPG"), 30.0, proxy_size
                    )
                small = (
                    rgb
                    if proxy_size == size
                    else cv2.resize(rgb, proxy_size, interpolation=cv2.INTER_LINEAR)
                )
                writer.write(cv2.cvtColor(small, cv2.COLOR_RGB2BGR))
            result = pose.process(rgb, int(t_s * 1000))
            times.append(t_s)
            pts.append(result if result is not None else np.full((n_joints, 4), np.nan, np.float32))
            pending += 1
            if pending >= 10:
                out_q.put(("progress", pending))
                pending = 0
        if pending:
            out_q.put(("progress", pending))
        out_q.put(("done", chunk.index, np.array(times), np.array(pts).reshape(-1, n_joints, 4)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        out_q.put(("error", chunk.index, f"{type(exc).__name__}: {exc}"))
    finally:
        if writer is not None:
            writer.release()
        if pose is not None:
            pose.close()


@dataclass(frozen=True)
class Chunk:
    """A consecutive part of the clip for one worker: frame indices for OpenCV, times for
    ffmpeg (boundaries half a frame before a frame, so no frame sits on one)."""

    index: int
    start: int
    stop: int | None
    start_s: float | None
    stop_s: float | None


def _chunks(info: VideoInfo, workers: int) -> list[Chunk]:
    count = info.frame_count
    workers = max(1, min(workers, count // MIN_FRAMES_PER_WORKER or 1))
    bounds = np.linspace(0, count, workers + 1).round().astype(int)
    chunks = []
    for k in range(workers):
        a, b = int(bounds[k]), int(bounds[k + 1])
        last = k == workers - 1
        # The last chunk runs to the end whatever the container's (sometimes wrong) count.
        chunks.append(Chunk(
            index=k, start=a, stop=None if last else b,
            start_s=None if k == 0 else info.start_s + (a - 0.5) / info.fps,
            stop_s=None if last else info.start_s + (b - 0.5) / info.fps,
        ))  # fmt: skip
    return chunks


def _forward_errors(logs: list[Path]) -> list[str]:
    """Real error lines from the workers' native logs (INFO/W noise is dropped)."""
    lines: list[str] = []
    for log in logs:
        try:
            text = log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        lines += [line for line in text.splitlines() if REAL_ERROR.search(line)]
    return lines


def _log_tail(log: Path, n: int = 5) -> str:
    try:
        lines = [x for x in log.read_text(encoding="utf-8", errors="replace").splitlines() if x]
    except OSError:
        return ""
    return " | ".join(lines[-n:])


def _cpus_for(n: int, pin: bool | None) -> list[int | None]:
    """One CPU per worker when pinning is asked for (env STRIDEBACK_PIN_WORKERS=1 or pin=True)
    and there are enough CPUs available to this process."""
    if pin is None:
        pin = os.environ.get("STRIDEBACK_PIN_WORKERS", "") == "1"
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if not pin or n < 2 or len(available) < n:
        return [None] * n
    return [available[i] for i in range(n)]


def extract_landmarks(
    video: Path,
    *,
    proxy_dir: Path | None = None,
    workers: int | None = None,
    max_side: int = DEFAULT_MAX_SIDE,
    backend: str = "mediapipe",
    progress: Progress | None = None,
    pin: bool | None = None,
) -> Extraction:
    """Pose for every frame of `video`, in pixel coordinates of the displayed video."""
    started = time.perf_counter()
    info = probe_video(Path(video))
    if workers is None:
        workers = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1)  # fmt: skip
    chunks = _chunks(info, workers)
    size = scaled_size(info.width, info.height, max_side)
    proxy_size = scaled_size(info.width, info.height, min(max_side, PROXY_MAX_SIDE))
    ctx = mp.get_context("spawn")
    cpus = _cpus_for(len(chunks), pin)
    out_q = ctx.Queue()
    with tempfile.TemporaryDirectory(prefix="strideback-pose-") as tmp:
        logs = [Path(tmp) / f"worker_{c.index}.log" for c in chunks]
        proxies = [(proxy_dir / f"proxy_{c.index:02d}.avi") if proxy_dir else None for c in chunks]
        procs = [
            ctx.Process(
                target=_worker,
                args=(
                    str(video),
                    c,
                    size,
                    proxy_size,
                    str(p) if p else None,
                    backend,
                    out_q,
                    str(log),
                    cpu,
                ),  # fmt: skip
                daemon=True,
            )
            for c, p, log, cpu in zip(chunks, proxies, logs, cpus, strict=True)
        ]
        for proc in procs:
            proc.start()
        done: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        processed = 0
        try:
            while len(done) < len(procs):
                try:
                    msg = out_q.get(timeout=1.0)
                except queue.Empty:
                    dead = [i for i, p in enumerate(procs) if p.exitcode not in (None, 0)]
                    if dead:
                        raise VideoError(
                            f"{video}: a pose worker stopped unexpectedly "
                            f"(exit code {procs[dead[0]].exitcode}): {_log_tail(logs[dead[0]])}"
                        ) from None
                    continue
                if msg[0] == "progress":
                    processed += msg[1]
                    if progress:
                        progress(processed, max(info.frame_count, processed))
                elif msg[0] == "done":
                    done[msg[1]] = (msg[2], msg[3])
                else:
                    raise VideoError(
                        f"{video}: pose failed in part {msg[1] + 1} of the clip: {msg[2]}"
                    )
        finally:
            for proc in procs:
                proc.join(timeout=5)
                if proc.is_alive():
                    proc.terminate()
            for line in _forward_errors(logs):
                print(line, file=sys.stderr)
    parts = [done[c.index] for c in chunks]
    t_s = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0)
    norm = np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, len(JOINTS), 4))
    if len(t_s) == 0:
        raise VideoError(f"{video}: no decodable video frames")
    t_s = t_s - t_s[0]  # clip time from the first frame (streams may start after 0)
    points = norm.astype(np.float64)
    points[..., 0] *= info.width
    points[..., 1] *= info.height
    points[..., 2] *= info.width  # MediaPipe z is on the scale of x
    landmarks = Landmarks(
        t_s=t_s, points=points, width=info.width, height=info.height, backend=backend
    )
    return Extraction(
        info=info,
        landmarks=landmarks,
        proxies=[p for p in proxies if p is not None and p.exists()],
        proxy_frames=[len(p[0]) for p in parts] if all(p and p.exists() for p in proxies) else [],
        proxy_size=proxy_size,
        seconds=time.perf_counter() - started,
    )
