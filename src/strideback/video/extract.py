"""Run the pose backend over a whole video in parallel worker processes, keeping preview frames.

The clip is split into `workers` consecutive parts (a boundary moves to a nearby keyframe
when that saves the decoder work, see `_chunks`); each worker process decodes its part with
ffmpeg, scaled inside the decoder to `max_side` (the model crops and resizes the runner to
256x256 anyway), runs pose in tracking mode on every `pose_every`-th frame (~POSE_FPS
frames per second of the clip) and keeps a JPEG copy of every frame at PREVIEW_MAX_SIDE in a
temporary file (strideback.video.preview). After a first analysis the workers pose the
frames around each contact and toe-off at the full rate from those copies (`refine`), then
draw the overlay on the posed frames and encode their part of the annotated video, so the
clip is decoded once and no process is started twice. Each worker's native stderr
(TFLite/absl INFO and warning lines) goes to a log file; only real error lines are forwarded
to the terminal. Every worker measures its CPU per stage (`CpuSplit`, in metrics.json as
`cpu_split` and printed by bench/bench_form.py).

CPU per frame on this project's 2-core machine (AMD EPYC), 1080p H.264 clips: ffmpeg decode
~3.6 ms + scale to 720 px ~1.1 ms (every frame: refinement needs any of them), pipe + YUV to
RGB ~0.8 ms, JPEG copy ~0.8 ms, pose ~23 ms per posed frame whatever the input size (the
model always sees a 256x256 crop around the runner), annotated video ~1.3 ms drawing +
~1 ms libx264 per drawn frame. MediaPipe's graph runs its own threads: pinning the workers
(STRIDEBACK_PIN_WORKERS=1) made the wall time worse on a machine shared with other work, so
it is off by default.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from strideback.form.model import JOINTS, Landmarks
from strideback.procs import exit_when_parent_dies
from strideback.video.annotate import Overlay, concat_videos
from strideback.video.decode import (
    SEEK_MARGIN_S,
    VideoError,
    VideoInfo,
    ffmpeg_frames,
    iter_frames,
    keyframe_times,
    probe_video,
    scaled_size,
)

Array = npt.NDArray[Any]  # an image or landmark array

Progress = Callable[[int, int], None]
DEFAULT_MAX_SIDE = 720  # pose input: a runner filling 40% of the height is ~290 px, above
# the model's 256 px input crop; also the annotated video's size
PREVIEW_MAX_SIDE = 720  # annotated video: 720 px on the long side (or the source's size)
MIN_FRAMES_PER_WORKER = 90


@dataclass
class Extraction:
    info: VideoInfo
    landmarks: Landmarks
    preview_size: tuple[int, int]  # (width, height) of the annotated video's frames
    seconds: float


REAL_ERROR = re.compile(r"^[EF]\d{4} |\b(ERROR|FATAL|Traceback)\b|Error:")


def _children_cpu() -> float:
    """CPU seconds of this process's finished (waited-for) children: the ffmpeg decoder and
    encoder once they have exited."""
    import resource

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


class CpuSplit:
    """CPU seconds per stage of one process (its own threads, e.g. MediaPipe's, included) and
    of its ffmpeg children; `lap(label)` books the CPU since the previous lap to `label`,
    `children(label)` the CPU of children that exited since the previous call."""

    def __init__(self) -> None:
        self.split: dict[str, float] = {}
        self._own = 0.0  # process_time() counts from the process's start: imports included
        self._kids = _children_cpu()

    def lap(self, label: str) -> None:
        now = time.process_time()
        self.split[label] = self.split.get(label, 0.0) + now - self._own
        self._own = now

    def children(self, label: str) -> None:
        now = _children_cpu()
        self.split[label] = self.split.get(label, 0.0) + now - self._kids
        self._kids = now


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
    yield from ffmpeg_frames(
        Path(video), size, start_s=chunk.start_s, stop_s=chunk.stop_s, seek_s=chunk.seek_s
    )


def _worker(
    video: str,
    chunk: Chunk,
    size: tuple[int, int],
    preview: tuple[str, tuple[int, int]] | None,
    backend: str,
    out_q: Any,
    cmd_q: Any,
    log_path: str | None = None,
    pin_cpu: int | None = None,
    pose_every: int = 1,
) -> None:
    """Pose for one chunk (on every `pose_every`-th frame of the clip), then (when `preview`
    = (file, size) is given) answer the parent's orders: "refine" runs pose on given frames
    of the chunk (from the preview frames kept meanwhile), "annotate" draws and encodes the
    chunk's part of the annotated video (the last order). Each result message carries the
    worker's CPU split so far (`CpuSplit`)."""
    exit_when_parent_dies()  # no orphan worker if the analysing process is killed
    _quiet_native_logs(log_path)  # before mediapipe is imported
    import cv2

    from strideback.video.pose import make_backend

    cv2.setNumThreads(1)  # one core per worker; OpenCV's pool only adds switching
    if pin_cpu is not None and hasattr(os, "sched_setaffinity"):
        # One core per worker (and its ffmpeg decoder, which inherits the affinity).
        os.sched_setaffinity(0, {pin_cpu})

    cpu = CpuSplit()
    pose = None
    store = None
    phase = "pose"
    try:
        if preview is not None:
            from strideback.video.preview import PreviewStore

            store = PreviewStore(Path(preview[0]), preview[1])
        pose = make_backend(backend)
        cpu.lap("worker start-up (imports, pose model)")
        times, pts, posed = _pose_pass(video, chunk, size, pose, store, out_q, pose_every, cpu)
        out_q.put(("done", chunk.index, times, pts, posed, dict(cpu.split)))
        if store is None:
            return
        while True:
            command = _next_command(cmd_q)
            if command is not None and command[0] == "refine":
                phase = "refining events"
                refined = _refine_pass(store, pose, command[1], times, posed, cpu)
                out_q.put(("refined", chunk.index, command[1], refined, dict(cpu.split)))
                continue
            pose.close()
            pose = None
            phase = "annotated video"
            if command is not None and command[0] == "annotate":
                _annotate_part(chunk.index, store, out_q, cpu, *command[1:])
            break
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        out_q.put(("error", chunk.index, phase, f"{type(exc).__name__}: {exc}"))
    finally:
        if pose is not None:
            pose.close()
        if store is not None:
            store.close()


def _pose_pass(
    video: str, chunk: Chunk, size: tuple[int, int], pose: Any, store: Any, out_q: Any,
    pose_every: int, cpu: CpuSplit,
) -> tuple[Array, Array, Array]:  # fmt: skip
    """(times, points, posed) of the chunk's frames; pose runs on frames whose clip index is
    a multiple of `pose_every` (the others are decoded for the preview frames only)."""
    times: list[float] = []
    pts: list[Array] = []
    posed: list[bool] = []
    n_joints = len(JOINTS)
    missing = np.full((n_joints, 4), np.nan, np.float32)
    pending = 0
    frames = _frames(video, chunk, size)
    for k, (t_s, rgb) in enumerate(frames):
        cpu.lap("frames: pipe + YUV to RGB")
        if store is not None:
            store.add_rgb(rgb)
            cpu.lap("preview frames (JPEG)")
        run = (chunk.start + k) % pose_every == 0
        result = pose.process(rgb, t_s * 1000.0) if run else None
        if run:
            cpu.lap("pose")
        times.append(t_s)
        posed.append(run)
        pts.append(missing if result is None else result)
        pending += 1
        if pending >= 10 or k == 0:  # the first frame at once: start-up time is measured
            out_q.put(("progress", pending))
            pending = 0
    cpu.lap("frames: pipe + YUV to RGB")
    cpu.children("decode + scale (ffmpeg)")
    if pending:
        out_q.put(("progress", pending))
    points = np.array(pts, dtype=np.float32).reshape(-1, n_joints, 4)
    return np.array(times), points, np.array(posed, dtype=bool)


def _refine_pass(
    store: Any, pose: Any, frames: list[int], times: Array, posed: Array, cpu: CpuSplit
) -> Array:
    """Pose on the given (chunk-local, ascending) frames, read back from the preview store,
    with their clip times. Each run of nearby frames starts with the posed frame before it
    (result dropped) so that tracking and smoothing come in from the right place, as they
    would in a pass over every frame."""
    out = np.full((len(frames), len(JOINTS), 4), np.nan, np.float32)
    order: list[tuple[int, int]] = []  # (local frame, row in out or -1 for a warm-up frame)
    prev = None
    for row, f in enumerate(frames):
        if prev is None or f - prev > 2:
            before = [g for g in range(f - 1, max(-1, f - 64), -1) if posed[g]]
            if before:
                order.append((before[0], -1))
        order.append((f, row))
        prev = f
    images = store.frames_at([f for f, _ in order], rgb=True)
    for (f, row), rgb in zip(order, images, strict=True):
        cpu.lap("refinement: frames back (JPEG)")
        result = pose.process(rgb, float(times[f]) * 1000.0)
        if result is not None and row >= 0:
            out[row] = result
        cpu.lap("refinement: pose")
    return out


def _next_command(cmd_q: Any) -> tuple[Any, ...] | None:
    """The parent's next order; None if the parent went away (never wait forever)."""
    parent = os.getppid()
    while True:
        try:
            command: tuple[Any, ...] = cmd_q.get(timeout=1.0)
            return command
        except queue.Empty:
            if os.getppid() != parent:
                return None


def _annotate_part(  # type: ignore[no-untyped-def]
    index: int, store, out_q, cpu: CpuSplit, out_path: str, points: Array, width: int,
    overlay, start: int, fps: float, every: int = 1,
) -> None:  # fmt: skip
    """Draw and encode this chunk's part: every `every`-th frame of the clip (the posed ones)."""
    from strideback.video.annotate import drawn_frames, encode_video

    def report(done: int, total: int) -> None:
        out_q.put(("drawn", 10 * every))

    cpu.lap("worker: messages")
    local = [k for k in range(len(points)) if (start + k) % every == 0]
    frames = drawn_frames(store.frames_at(local), points[local], width, overlay,
                          [start + k for k in local], report)  # fmt: skip
    encode_video(Path(out_path), frames, fps / every)
    cpu.lap("annotated video: JPEG back + draw + pipe")
    cpu.children("annotated video: encode (libx264)")
    out_q.put(("annotated", index, out_path, dict(cpu.split)))


@dataclass(frozen=True)
class Chunk:
    """A consecutive part of the clip for one worker: frame indices for OpenCV, times for
    ffmpeg (boundaries half a frame before a frame, so no frame sits on one). `seek_s`, when
    set, is where ffmpeg starts decoding: just after a keyframe the chunk starts at, so it
    decodes no frame of the previous chunk."""

    index: int
    start: int
    stop: int | None
    start_s: float | None
    stop_s: float | None
    seek_s: float | None = None


DECODE_MS = 4.0  # CPU per 1080p frame decoded (H.264, one thread), for choosing boundaries


def _frame_ms(pose_every: int) -> float:
    """Rough CPU per frame of a chunk (decode, scale, preview, pose on every k-th frame)."""
    return DECODE_MS + 2.5 + 23.0 / max(1, pose_every)


def _chunks(
    info: VideoInfo, workers: int, keyframes: list[float] | None = None, pose_every: int = 1
) -> list[Chunk]:
    """`workers` consecutive chunks of about equal cost. With the clip's keyframe times, a
    boundary moves to a nearby keyframe when that costs less than the frames a worker
    would decode in vain before its start (ffmpeg must decode from the keyframe before the
    seek point: with the 4 s GOP of a typical encoder that is up to 250 frames at 60 fps,
    which nearly doubled the decode of a 6.5 s clip)."""
    count = info.frame_count
    workers = max(1, min(workers, count // MIN_FRAMES_PER_WORKER or 1))
    ideal = np.linspace(0, count, workers + 1).round().astype(int)
    key_idx = sorted({int(round((t - info.start_s) * info.fps)) for t in keyframes or []})
    per_frame, decode = _frame_ms(pose_every), DECODE_MS
    bounds = [0]
    seeks: list[float | None] = [None]
    for k in range(1, workers):
        target = int(ideal[k])
        # Not at a keyframe: decode from the last keyframe before the seek margin.
        margin = int(np.ceil(SEEK_MARGIN_S * info.fps))
        before = [i for i in key_idx if i <= target - margin]
        preroll = target - before[-1] if before else target
        best, best_cost, best_seek = target, preroll * decode, None
        for i in key_idx:
            if bounds[-1] + MIN_FRAMES_PER_WORKER // 2 <= i < count - MIN_FRAMES_PER_WORKER // 2:
                cost = abs(i - target) * per_frame * (workers - 1) / workers
                if cost < best_cost:
                    best, best_cost = i, cost
                    # just after the keyframe (half a frame): ffmpeg seeks to it, not before
                    best_seek = info.start_s + (i + 0.5) / info.fps
        bounds.append(best)
        seeks.append(best_seek)
    bounds.append(count)
    chunks = []
    for k in range(workers):
        a, b = bounds[k], bounds[k + 1]
        last = k == workers - 1
        # The last chunk runs to the end whatever the container's (sometimes wrong) count.
        chunks.append(Chunk(
            index=k, start=a, stop=None if last else b,
            start_s=None if k == 0 else info.start_s + (a - 0.5) / info.fps,
            stop_s=None if last else info.start_s + (b - 0.5) / info.fps,
            seek_s=seeks[k],
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


class PosePass:
    """The pose workers for one clip, as a context manager.

    `landmarks()` runs pose over the whole clip (each worker decodes its consecutive part with
    ffmpeg, scaled in the decoder, and keeps JPEG preview frames in a temporary file); the
    workers then stay alive until `annotate()` has them draw the overlay on their own preview
    frames and encode their part of the annotated video, which `annotated()` joins. So the
    clip is decoded once, no process is started twice, and the caller can do other work
    (the report) while the video is drawn. Leaving the block stops the workers.
    """

    def __init__(
        self,
        video: Path,
        *,
        info: VideoInfo | None = None,
        workers: int | None = None,
        max_side: int = DEFAULT_MAX_SIDE,
        backend: str = "mediapipe",
        preview: bool = True,
        pin: bool | None = None,
        pose_fps: float | None = None,
    ) -> None:
        self.video = Path(video)
        self.info = info or probe_video(self.video)
        if workers is None:
            workers = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                          else os.cpu_count() or 1)  # fmt: skip
        self.size = scaled_size(self.info.width, self.info.height, max_side)
        self.preview_size = scaled_size(
            self.info.width, self.info.height, min(max_side, PREVIEW_MAX_SIDE)
        )
        self.backend = backend
        self.preview = preview
        self.pin = pin
        # Pose on at most ~pose_fps frames/s (default POSE_FPS); events refined at full rate.
        self.pose_every = pose_stride(self.info.fps, pose_fps or POSE_FPS) if preview else 1
        keys = keyframe_times(self.video) if workers > 1 else []
        self.chunks = _chunks(self.info, workers, keys, self.pose_every)
        self.first_pose_s: float | None = None  # from start to the first posed frames
        self._raw: Array | None = None  # normalised points as posed (NaN where not posed)
        self._posed: Array | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._procs: list[Any] = []
        self._cmd_qs: list[Any] = []
        self._out_q: Any = None
        self._logs: list[Path] = []
        self._counts: list[int] = []
        self._parts: list[Path] = []
        self._annotating = False
        self._worker_cpu: dict[int, dict[str, float]] = {}  # latest CPU split of each worker

    @property
    def cpu_split(self) -> dict[str, float]:
        """CPU seconds per stage, summed over the workers and their ffmpeg processes (as far
        as they have reported: complete after `annotated()`)."""
        total: dict[str, float] = {}
        for split in self._worker_cpu.values():
            for label, value in split.items():
                total[label] = total.get(label, 0.0) + value
        return total

    def __enter__(self) -> PosePass:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        self._started = time.perf_counter()
        ctx = mp.get_context("spawn")
        self._tmp = tempfile.TemporaryDirectory(prefix="strideback-pose-")
        tmp = Path(self._tmp.name)
        self._out_q = ctx.Queue()
        self._logs = [tmp / f"worker_{c.index}.log" for c in self.chunks]
        cpus = _cpus_for(len(self.chunks), self.pin)
        for c, log, cpu in zip(self.chunks, self._logs, cpus, strict=True):
            cmd_q = ctx.Queue()
            preview = (str(tmp / f"preview_{c.index:02d}.jpgs"), self.preview_size)
            proc = ctx.Process(
                target=_worker,
                args=(str(self.video), c, self.size, preview if self.preview else None,
                      self.backend, self._out_q, cmd_q, str(log), cpu, self.pose_every),
                daemon=True,
            )  # fmt: skip
            self._procs.append(proc)
            self._cmd_qs.append(cmd_q)
            proc.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for cmd_q, proc in zip(self._cmd_qs, self._procs, strict=True):
            if proc.pid is not None and proc.is_alive():
                with contextlib.suppress(Exception):
                    cmd_q.put(("stop",))
        for proc in self._procs:
            if proc.pid is None:  # never started
                continue
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)
        for line in _forward_errors(self._logs):
            print(line, file=sys.stderr)
        self._procs, self._cmd_qs = [], []
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _messages(self) -> Iterator[tuple[Any, ...]]:
        """Worker messages; raises VideoError if a worker failed or died."""
        while True:
            try:
                msg: tuple[Any, ...] = self._out_q.get(timeout=1.0)
            except queue.Empty:
                dead = [i for i, p in enumerate(self._procs) if p.exitcode not in (None, 0)]
                if dead:
                    raise VideoError(
                        f"{self.video}: a pose worker stopped unexpectedly (exit code "
                        f"{self._procs[dead[0]].exitcode}): {_log_tail(self._logs[dead[0]])}"
                    ) from None
                continue
            if msg[0] == "error":
                raise VideoError(
                    f"{self.video}: {msg[2]} failed in part {msg[1] + 1} of the clip: {msg[3]}"
                )
            yield msg

    def landmarks(
        self, progress: Progress | None = None, while_waiting: Callable[[], None] | None = None
    ) -> Extraction:
        """Pose for every frame, in pixel coordinates of the displayed video.

        `while_waiting` is called once when the first worker has finished and another is
        still running (a core is free: a good moment for a slow import)."""
        started = time.perf_counter()
        info = self.info
        done: dict[int, tuple[Array, Array, Array]] = {}
        processed = 0
        for msg in self._messages():
            if msg[0] == "progress":
                if self.first_pose_s is None:
                    self.first_pose_s = time.perf_counter() - self._started
                processed += msg[1]
                if progress:
                    progress(processed, max(info.frame_count, processed))
            elif msg[0] == "done":
                done[msg[1]] = (msg[2], msg[3], msg[4])
                self._worker_cpu[msg[1]] = msg[5]
                if len(done) == len(self.chunks):
                    break
                if len(done) == 1 and while_waiting is not None:
                    while_waiting()
        parts = [done[c.index] for c in self.chunks]
        self._counts = [len(p[0]) for p in parts]
        t_s = np.concatenate([p[0] for p in parts])
        norm = np.concatenate([p[1] for p in parts])
        if len(t_s) == 0:
            raise VideoError(f"{self.video}: no decodable video frames")
        self._t_s = t_s - t_s[0]  # clip time from the first frame (streams may start after 0)
        self._raw = norm
        self._posed = np.concatenate([p[2] for p in parts])
        return Extraction(info, self._landmarks(), self.preview_size,
                          time.perf_counter() - started)  # fmt: skip

    def _landmarks(self) -> Landmarks:
        """Landmarks in pixels, frames not posed filled in by time interpolation."""
        assert self._raw is not None and self._posed is not None
        info = self.info
        points = interpolate_unposed(self._t_s, self._raw.astype(np.float64), self._posed)
        points[..., 0] *= info.width
        points[..., 1] *= info.height
        points[..., 2] *= info.width  # MediaPipe z is on the scale of x
        return Landmarks(
            t_s=self._t_s, points=points, width=info.width, height=info.height,
            backend=self.backend,
        )  # fmt: skip

    def refine(self, frames: list[int]) -> Landmarks:
        """Run pose on the given clip frames that were not posed (the frames around each gait
        event, at the full frame rate) and return the landmarks with them filled in."""
        assert self._raw is not None and self._posed is not None
        wanted = sorted({f for f in frames if 0 <= f < len(self._posed) and not self._posed[f]})
        if not wanted:
            return self._landmarks()
        starts = np.concatenate([[0], np.cumsum(self._counts)[:-1]]).astype(int)
        asked = 0
        for cmd_q, a, n in zip(self._cmd_qs, starts, self._counts, strict=True):
            local = [f - int(a) for f in wanted if a <= f < a + n]
            if local:
                cmd_q.put(("refine", local))
                asked += 1
        got = 0
        for msg in self._messages():
            if msg[0] != "refined":
                continue
            a = int(starts[msg[1]])
            self._worker_cpu[msg[1]] = msg[4]
            for k, pts in zip(msg[2], msg[3], strict=True):
                self._raw[a + k] = pts
                self._posed[a + k] = True
            got += 1
            if got == asked:
                break
        return self._landmarks()

    def annotate(self, landmarks: Landmarks, overlay: Overlay, fps: float) -> None:
        """Order each worker to draw and encode its part (returns at once): the posed frames
        only (every `pose_every`-th, the annotated video's rate is fps / pose_every), where
        the skeleton is measured rather than interpolated."""
        if not self.preview or not self._counts:
            raise RuntimeError("annotate() needs preview frames and landmarks() first")
        tmp = Path(self._tmp.name)  # type: ignore[union-attr]
        starts = np.concatenate([[0], np.cumsum(self._counts)[:-1]]).astype(int)
        self._parts = [tmp / f"part_{c.index:02d}.mp4" for c in self.chunks]
        for cmd_q, part, a, n in zip(self._cmd_qs, self._parts, starts, self._counts,
                                     strict=True):  # fmt: skip
            cmd_q.put(("annotate", str(part), landmarks.points[a : a + n], landmarks.width,
                       overlay, int(a), fps, self.pose_every))  # fmt: skip
        self._annotating = True

    def annotated(self, out_path: Path, progress: Progress | None = None) -> Path:
        """Wait for the parts ordered by `annotate()` and join them into `out_path`."""
        if not self._annotating:
            raise RuntimeError("annotated() needs annotate() first")
        total = sum(self._counts)
        drawn, finished = 0, 0
        for msg in self._messages():
            if msg[0] == "drawn":
                drawn += msg[1]
                if progress:
                    progress(min(drawn, total), total)
            elif msg[0] == "annotated":
                self._worker_cpu[msg[1]] = msg[3]
                finished += 1
                if finished == len(self._parts):
                    break
        self._annotating = False
        if len(self._parts) == 1:
            shutil.move(str(self._parts[0]), out_path)
            return Path(out_path)
        return concat_videos(self._parts, Path(out_path))


POSE_FPS = 30.0  # pose runs on at most about this many frames per second of the clip


def pose_stride(fps: float, pose_fps: float = POSE_FPS) -> int:
    """Run pose on every k-th frame so that at most ~POSE_FPS frames/s are posed (240 fps ->
    8, 120 -> 4, 60 -> 2, 30 or less -> 1); events are then refined at the full rate around
    each event (PosePass.refine)."""
    from strideback.form.capture import nominal_rate

    return max(1, round(nominal_rate(fps) / pose_fps))


def interpolate_unposed(t_s: Array, points: Array, posed: Array) -> Array:
    """Fill frames not posed by linear interpolation in time between the posed frames around
    them (NaN when either of those found no person, or at the clip's ends)."""
    out = points.copy()
    have = np.flatnonzero(posed)
    todo = np.flatnonzero(~posed)
    if todo.size == 0:
        return out
    if have.size < 2:
        out[todo] = np.nan
        return out
    k = np.searchsorted(have, todo)
    inside = (k > 0) & (k < have.size)
    out[todo[~inside]] = np.nan
    todo, k = todo[inside], k[inside]
    p0, p1 = have[k - 1], have[k]
    w = ((t_s[todo] - t_s[p0]) / np.maximum(t_s[p1] - t_s[p0], 1e-9))[:, None, None]
    out[todo] = points[p0] * (1.0 - w) + points[p1] * w  # NaN stays NaN
    return out


def extract_landmarks(
    video: Path,
    *,
    workers: int | None = None,
    max_side: int = DEFAULT_MAX_SIDE,
    backend: str = "mediapipe",
    progress: Progress | None = None,
    pin: bool | None = None,
) -> Extraction:
    """Pose for every frame of `video` (no preview frames kept)."""
    with PosePass(video, workers=workers, max_side=max_side, backend=backend, preview=False,
                  pin=pin) as job:  # fmt: skip
        return job.landmarks(progress)
