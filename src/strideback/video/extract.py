"""Run the pose backend over a whole video, in parallel chunks, keeping a small proxy video.

The clip is split into `workers` consecutive frame ranges; each worker process decodes its
range (downscaled to `max_side`: the model resizes to 256x256 anyway), runs pose in tracking
mode, and writes its downscaled frames to an MJPG proxy so the annotated video can be drawn
later without decoding the full-resolution original a second time.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from strideback.video.decode import VideoError, VideoInfo, iter_frames, probe_video
from strideback.video.pose import JOINTS, Landmarks

Progress = Callable[[int, int], None]
DEFAULT_MAX_SIDE = 640
MIN_FRAMES_PER_WORKER = 90


@dataclass
class Extraction:
    info: VideoInfo
    landmarks: Landmarks
    proxies: list[Path]  # downscaled frames, in order (for the annotated video)
    proxy_size: tuple[int, int]  # (width, height) of the proxy frames
    seconds: float


def _worker(
    video: str,
    start: int,
    stop: int,
    max_side: int,
    proxy: str | None,
    backend: str,
    out_q,
    pin_cpu: int | None = None,
) -> None:
    import cv2

    from strideback.video.pose import make_backend

    if pin_cpu is not None and hasattr(os, "sched_setaffinity"):
        # One core per worker: the TFLite runtime otherwise spreads threads over every core
        # and the workers fight over them.
        os.sched_setaffinity(0, {pin_cpu})

    pose = make_backend(backend)
    writer = None
    idx: list[int] = []
    times: list[float] = []
    pts: list[np.ndarray] = []
    n_joints = len(JOINTS)
    try:
        pending = 0
        for frame in iter_frames(Path(video), start=start, stop=stop, max_side=max_side):
            h, w = frame.image.shape[:2]
            if proxy and writer is None:
                writer = cv2.VideoWriter(proxy, cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (w, h))
            if writer is not None:
                writer.write(frame.image)
            rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            result = pose.process(rgb, int(frame.t_s * 1000))
            idx.append(frame.index)
            times.append(frame.t_s)
            pts.append(result if result is not None else np.full((n_joints, 4), np.nan, np.float32))
            pending += 1
            if pending >= 10:
                out_q.put(("progress", pending))
                pending = 0
        if pending:
            out_q.put(("progress", pending))
        out_q.put(
            ("done", start, np.array(idx), np.array(times), np.array(pts).reshape(-1, n_joints, 4))
        )
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        out_q.put(("error", start, f"{type(exc).__name__}: {exc}"))
    finally:
        if writer is not None:
            writer.release()
        pose.close()


def _ranges(count: int, workers: int) -> list[tuple[int, int]]:
    workers = max(1, min(workers, count // MIN_FRAMES_PER_WORKER or 1))
    bounds = np.linspace(0, count, workers + 1).round().astype(int)
    ranges = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    # The last range runs to the end whatever the container's (sometimes wrong) frame count.
    ranges[-1] = (ranges[-1][0], 10**9)
    return ranges


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
        workers = min(2, os.cpu_count() or 1)
    ranges = _ranges(info.frame_count, workers)
    ctx = mp.get_context("spawn")
    cpus = _cpus_for(len(ranges), pin)
    out_q = ctx.Queue()
    proxies = [
        (proxy_dir / f"proxy_{i:02d}.avi") if proxy_dir else None for i in range(len(ranges))
    ]
    procs = [
        ctx.Process(
            target=_worker,
            args=(str(video), a, b, max_side, str(p) if p else None, backend, out_q, cpu),
            daemon=True,
        )
        for ((a, b), p), cpu in zip(zip(ranges, proxies, strict=True), cpus, strict=True)
    ]
    for proc in procs:
        proc.start()
    done: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    processed = 0
    try:
        while len(done) < len(procs):
            try:
                msg = out_q.get(timeout=1.0)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in procs):
                    raise VideoError(f"{video}: a pose worker stopped unexpectedly") from None
                continue
            if msg[0] == "progress":
                processed += msg[1]
                if progress:
                    progress(processed, max(info.frame_count, processed))
            elif msg[0] == "done":
                done[msg[1]] = (msg[2], msg[3], msg[4])
            else:
                raise VideoError(f"{video}: pose failed in frames from {msg[1]}: {msg[2]}")
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
    parts = [done[a] for a, _ in ranges]
    t_s = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
    norm = np.concatenate([p[2] for p in parts]) if parts else np.zeros((0, len(JOINTS), 4))
    if len(t_s) == 0:
        raise VideoError(f"{video}: no decodable video frames")
    points = norm.astype(np.float64)
    points[..., 0] *= info.width
    points[..., 1] *= info.height
    points[..., 2] *= info.width  # MediaPipe z is on the scale of x
    landmarks = Landmarks(
        t_s=t_s, points=points, width=info.width, height=info.height, backend=backend
    )
    scale = min(1.0, max_side / max(info.width, info.height)) if max_side else 1.0
    proxy_size = (round(info.width * scale), round(info.height * scale))
    return Extraction(
        info=info,
        landmarks=landmarks,
        proxies=[p for p in proxies if p is not None and p.exists()],
        proxy_size=proxy_size,
        seconds=time.perf_counter() - started,
    )
