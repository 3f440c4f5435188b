"""Form service: one function per user action, shared by the CLI and the web dashboard.

analyse_clip(db, video, ...) -> FormResult     (pose, gate, metrics, outputs, DB row)
list_clips(db) -> list[FormClipSummary]
get_clip(db, clip_id) -> FormResult
compare_clips(db, a, b) -> Comparison
metronome_wav(spm, minutes) -> bytes            (click track for cadence retraining)

Deleting a clip and its undo live in `form/trash.py` (deleted clips are left out here).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strideback.form.analysis import analyse_landmarks, validate_choices
from strideback.form.compare import Comparison, compare_metrics
from strideback.form.model import FormAnalysis, FormError
from strideback.form.report import render_report, warm_up_charts
from strideback.store.db import Database, data_dir
from strideback.store.form import FormClipRow
from strideback.video.annotate import EVENT_SECONDS, Overlay, write_annotated
from strideback.video.decode import VideoError, VideoInfo, check_file, probe_video
from strideback.video.extract import Extraction, PosePass

__all__ = [
    "FormError", "FormResult", "FormClipSummary", "Comparison", "analyse_clip", "list_clips",
    "get_clip", "compare_clips", "metronome_wav",
]  # fmt: skip

Progress = Callable[[int, int], None]
METRICS_JSON, REPORT_HTML, ANNOTATED_MP4, LANDMARKS_NPZ = (
    "metrics.json", "report.html", "annotated.mp4", "landmarks.npz",
)  # fmt: skip


@dataclass
class FormResult:
    id: int
    out_dir: Path
    view: str
    metrics: dict[str, dict[str, Any]]
    quality: list[dict[str, Any]]
    report_html: Path
    annotated_mp4: Path
    metrics_json: Path
    created_at: dt.datetime
    task: str = "run"
    recorded_on: dt.date | None = None
    video: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for k in ("out_dir", "report_html", "annotated_mp4", "metrics_json"):
            data[k] = str(data[k])
        return data


@dataclass
class FormClipSummary:
    id: int
    created_at: dt.datetime
    recorded_on: dt.date
    video_name: str
    view: str
    task: str
    cadence_spm: float | None
    out_dir: Path


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _overlay(analysis: FormAnalysis, lm_len: int) -> Overlay:
    events: dict[int, list[str]] = {}
    for s in analysis.events.stances:
        side = s.foot[0].upper()
        events.setdefault(s.contact_i, []).append(f"contact {side}")
        events.setdefault(s.toe_off_i, []).append(f"toe-off {side}")
    angles: dict[str, list[float | None]] = {}
    near = analysis.events.near
    if analysis.view == "side" and near:
        angles[f"{near} knee flexion"] = analysis.angle_series.get(f"knee_flexion_{near}", [])
    elif "pelvis_tilt_right_low" in analysis.angle_series:
        angles["pelvis tilt"] = analysis.angle_series["pelvis_tilt_right_low"]
    cad = analysis.metrics.get("cadence")
    footer = f"{analysis.view} view"
    if cad and cad.value and cad.confidence == "good":
        footer += f" | cadence {cad.value:.0f} steps/min"
    label_frames = max(4, round(EVENT_SECONDS * analysis.fps))
    return Overlay(near=near, events=events, angles=angles, footer=footer + " | StrideBack",
                   frames=lm_len, event_frames=label_frames)  # fmt: skip


def refinement_frames(analysis: FormAnalysis, every: int) -> list[int]:
    """The frames to pose at the full rate after a pass on every `every`-th frame: a short
    window of +-every/2 frames (at least 1) around each contact and toe-off, where the
    timing metrics are measured (the frames already posed are skipped by the caller)."""
    half = max(1, every // 2)
    return sorted({f for s in analysis.events.stances for e in (s.contact_i, s.toe_off_i)
                   for f in range(e - half, e + half + 1)})  # fmt: skip


def runner_form_dir(db: Database) -> Path:
    """Where a runner's clips go: one folder per runner under the data folder's `form/`."""
    runner = db.runner_id
    return data_dir() / "form" / (f"runner-{runner}" if runner is not None else "unowned")


# An analysis writes into a folder named by its start time, renamed to the clip's id at the end.
_UNFINISHED = re.compile(r"^\d{8}-\d{6}-\d{6}$")
UNFINISHED_AFTER = dt.timedelta(hours=6)  # far longer than any analysis runs


def sweep_unfinished(db: Database, now: dt.datetime | None = None) -> list[Path]:
    """Remove the runner's half-written analysis folders: a process killed mid-analysis (a
    server that was killed re-runs the job from the start) leaves one behind. Only folders
    with the start-time name, no clip pointing to them and untouched for 6 hours go."""
    folder = runner_form_dir(db)
    if not folder.is_dir():
        return []
    with db.session() as s:
        rows = s.execute(select(FormClipRow.out_dir, FormClipRow.deleted_from)).all()
    kept = {Path(p).resolve() for row in rows for p in row if p}
    limit = (now or dt.datetime.now()) - UNFINISHED_AFTER
    removed = []
    for child in folder.iterdir():
        if not (child.is_dir() and _UNFINISHED.match(child.name)) or child.resolve() in kept:
            continue
        newest = max([child.stat().st_mtime, *(p.stat().st_mtime for p in child.iterdir())])
        if dt.datetime.fromtimestamp(newest) < limit:
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


def analyse_clip(
    db: Database,
    video: Path,
    view: str = "auto",
    out_dir: Path | None = None,
    capture_fps: float | None = None,
    task: str = "run",
    progress: Progress | None = None,
    *,
    recorded_on: dt.date | None = None,
    runner: str | None = None,
) -> FormResult:
    """Analyse one clip end to end. Raises FormError with a clear message for bad clips.

    View, task, capture rate and file are checked before anything is decoded; a refused clip
    leaves no output folder behind (a folder given with `out_dir` that existed is kept)."""
    video = Path(video)
    validate_choices(view, task)
    if capture_fps is not None and not 1 <= capture_fps <= 2000:
        raise FormError(f"--capture-fps must be between 1 and 2000 fps, got {capture_fps:g}")
    try:
        check_file(video)
        info = probe_video(video)  # refuse missing / empty / non-video files before writing
    except VideoError as exc:
        raise FormError(str(exc)) from exc
    default_dir = out_dir is None
    if default_dir:
        sweep_unfinished(db)
    target = (
        Path(out_dir)
        if out_dir
        else runner_form_dir(db) / dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    )
    if target.exists() and not target.is_dir():
        raise FormError(f"{target}: the output path is a file, not a folder")
    created_target = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    try:
        return _analyse_into(db, video, info, target, default_dir, view, capture_fps, task,
                             progress, recorded_on, runner)  # fmt: skip
    except BaseException:
        if created_target:
            shutil.rmtree(target, ignore_errors=True)
        raise


def _analyse_into(
    db: Database, video: Path, info: VideoInfo, target: Path, default_dir: bool, view: str,
    capture_fps: float | None, task: str, progress: Progress | None,
    recorded_on: dt.date | None, runner: str | None,
) -> FormResult:  # fmt: skip

    def pose_progress(done: int, total: int) -> None:
        if progress:
            progress(done, 2 * total)

    try:
        with PosePass(video, info=info) as job:
            extraction = job.landmarks(pose_progress, while_waiting=warm_up_charts)
            result = _finish(db, video, extraction, job, view, target, capture_fps, task,
                             progress, recorded_on, runner)  # fmt: skip
    except VideoError as exc:
        raise FormError(str(exc)) from exc
    if default_dir:
        final = target.parent / str(result.id)
        if not final.exists():
            shutil.move(str(target), final)
            with db.session() as s:
                s.get(FormClipRow, result.id).out_dir = str(final)  # type: ignore[union-attr]
            return get_clip(db, result.id)
    return result


def recording_day(info: VideoInfo, video: Path) -> dt.date:
    """The day the clip was filmed: the container's creation_time (in local time), else the
    file's modification time (a copied file's mtime is the copy's day, so it comes last)."""
    if info.created is not None:
        return info.created.astimezone().date()
    return dt.date.fromtimestamp(video.stat().st_mtime)


def _annotate(
    job: PosePass, ex: Extraction, overlay: Overlay, video: Path, out: Path,
    progress: Progress | None,
) -> Path:  # fmt: skip
    """Collect the annotated video the workers are drawing; if that failed, draw it here from
    the original clip (slower, but the user still gets a video)."""
    try:
        return job.annotated(out, progress)
    except (VideoError, OSError, subprocess.SubprocessError) as exc:
        print(f"annotated video: {exc}; drawing it again in one process", file=sys.stderr)
        return write_annotated(out, ex.landmarks, overlay, video=video, fps=ex.info.fps,
                               progress=progress)  # fmt: skip


def _finish(
    db: Database, video: Path, ex: Extraction, job: PosePass, view: str, target: Path,
    capture_fps: float | None, task: str, progress: Progress | None,
    recorded_on: dt.date | None, runner: str | None,
) -> FormResult:  # fmt: skip
    info = ex.info
    capture = capture_fps or info.capture_fps
    capture_source = "given" if capture_fps else "from the file's metadata"
    clock = time.perf_counter()
    cpu = time.process_time()
    analysis = analyse_landmarks(
        ex.landmarks, view=view, container_fps=info.fps, capture_fps=capture, task=task,
        source=str(video), capture_source=capture_source,
    )  # fmt: skip
    if job.pose_every > 1 and analysis.events.stances:
        # Pose ran on every k-th frame: run it at the full frame rate around each contact
        # and toe-off, then analyse again with those frames.
        ex = replace(ex, landmarks=job.refine(refinement_frames(analysis, job.pose_every)))
        analysis = analyse_landmarks(
            ex.landmarks, view=view, container_fps=info.fps, capture_fps=capture, task=task,
            source=str(video), capture_source=capture_source,
        )  # fmt: skip
    main_cpu = {"main: analysis": time.process_time() - cpu}
    n = len(ex.landmarks)
    analysis_s = time.perf_counter() - clock
    ex.landmarks.save(target / LANDMARKS_NPZ)
    clock = time.perf_counter()
    overlay = _overlay(analysis, n)
    job.annotate(ex.landmarks, overlay, fps=info.fps)  # the workers draw while we write
    day = recorded_on or recording_day(info, video)
    cpu = time.process_time()
    report = render_report(target / REPORT_HTML, analysis, video_name=video.name,
                           recorded_on=day, backend=ex.landmarks.backend)  # fmt: skip
    main_cpu["main: report"] = time.process_time() - cpu
    annotated = _annotate(
        job, ex, overlay, video, target / ANNOTATED_MP4,
        (lambda d, t: progress(n + d, 2 * n)) if progress else None,
    )  # fmt: skip
    annotate_s = time.perf_counter() - clock
    metrics = analysis.metrics_dict()
    quality = [c.to_dict() for c in analysis.quality]
    payload = {
        "clip": {
            "video": str(video), "view": analysis.view, "task": task, "recorded_on": day,
            "container_fps": info.fps, "capture_fps": analysis.capture_fps,
            "time_scale": analysis.time_scale, "width": info.width, "height": info.height,
            "rotation": info.rotation, "frames": n, "pose_backend": ex.landmarks.backend,
            "near_leg": analysis.events.near, "pose_seconds": round(ex.seconds, 2),
            "pose_every": job.pose_every, "first_pose_seconds": job.first_pose_s,
            "analysis_seconds": round(analysis_s, 2),
            "report_and_video_seconds": round(annotate_s, 2),
            "annotated_fps": info.fps / job.pose_every,
            "cpu_split": {k: round(v, 3) for k, v in {**job.cpu_split, **main_cpu}.items()},
        },
        "quality": quality,
        "metrics": metrics,
        "events": [asdict(s) for s in analysis.events.stances],
        "series": analysis.angle_series,
    }  # fmt: skip
    metrics_json = target / METRICS_JSON
    metrics_json.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    with db.session() as s:
        row = FormClipRow(
            recorded_on=day, runner=runner, video_path=str(video.resolve()),
            video_sha256=_sha256(video), view=analysis.view, task=task, fps=info.fps,
            capture_fps=analysis.capture_fps, out_dir=str(target),
            metrics_json=json.dumps(metrics), quality_json=json.dumps(quality),
            backend=ex.landmarks.backend,
        )  # fmt: skip
        s.add(row)
        s.flush()
        clip_id, created = row.id, row.created_at
    if progress:
        progress(2 * n, 2 * n)
    return FormResult(clip_id, target, analysis.view, metrics, quality, report, annotated,
                      metrics_json, created, task, day, str(video))  # fmt: skip


def _result(row: FormClipRow) -> FormResult:
    out = Path(row.out_dir)
    return FormResult(
        id=row.id, out_dir=out, view=row.view, metrics=json.loads(row.metrics_json),
        quality=json.loads(row.quality_json), report_html=out / REPORT_HTML,
        annotated_mp4=out / ANNOTATED_MP4, metrics_json=out / METRICS_JSON,
        created_at=row.created_at, task=row.task, recorded_on=row.recorded_on,
        video=row.video_path,
    )  # fmt: skip


LIVE = FormClipRow.deleted_at.is_(None)  # a deleted clip (form/trash.py) is never read here
MAX_ID = 2**63 - 1


def _live_clip(s: Session, clip_id: int) -> FormClipRow:
    row = None
    if 0 < clip_id <= MAX_ID:
        row = s.scalar(select(FormClipRow).where(FormClipRow.id == clip_id, LIVE))
    if row is None:
        raise FormError(f"no form clip with id {clip_id} (see `strideback form list`)")
    return row


def get_clip(db: Database, clip_id: int) -> FormResult:
    with db.session() as s:
        return _result(_live_clip(s, clip_id))


def summary_of(r: FormClipRow) -> FormClipSummary:
    cad = json.loads(r.metrics_json).get("cadence", {})
    value = cad.get("value") if cad.get("confidence") != "not measurable" else None
    return FormClipSummary(r.id, r.created_at, r.recorded_on, Path(r.video_path).name, r.view,
                           r.task, value, Path(r.out_dir))  # fmt: skip


def list_clips(db: Database) -> list[FormClipSummary]:
    with db.session() as s:
        query = select(FormClipRow).where(LIVE)
        rows = s.scalars(query.order_by(FormClipRow.recorded_on, FormClipRow.id))
        return [summary_of(r) for r in rows]


def compare_clips(db: Database, a: int, b: int) -> Comparison:
    with db.session() as s:
        rows: dict[int, FormClipRow] = {}
        for i in (a, b):
            rows[i] = _live_clip(s, i)
        ra, rb = rows[a], rows[b]
        return compare_metrics(
            a, json.loads(ra.metrics_json), ra.capture_fps, ra.view,
            b, json.loads(rb.metrics_json), rb.capture_fps, rb.view,
            runner_a=ra.runner, runner_b=rb.runner,
        )  # fmt: skip


def metronome_wav(spm: int, minutes: float) -> bytes:
    """A WAV click track at `spm` steps per minute lasting `minutes` (the download behind the
    report's cadence advice, same as `strideback metronome --spm N --minutes M FILE.wav`).

    Cadence retraining: +5-10% over the runner's own cadence (evidence.md §6a). ~2.6 MB per
    minute (16-bit mono, 22.05 kHz). Raises FormError for a cadence outside 60-240 steps/min
    or a length outside 0-180 minutes."""
    from strideback.video.metronome import wav_bytes

    try:
        return wav_bytes(spm, minutes)
    except ValueError as exc:
        raise FormError(f"metronome: {exc}") from exc


def metronome_stream(spm: int, minutes: float) -> tuple[int, Iterator[bytes]]:
    """(size in bytes, chunks) of the same WAV, for a download that streams it: memory stays
    ~0.4 MB whatever the length. Raises FormError up front for an impossible cadence/length."""
    from strideback.video.metronome import wav_chunks, wav_size

    try:
        return wav_size(spm, minutes), wav_chunks(spm, minutes)
    except ValueError as exc:
        raise FormError(f"metronome: {exc}") from exc
