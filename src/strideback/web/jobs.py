"""Background jobs (imports, video analysis) with progress persisted in the `web_jobs` table.

The page polls a job's row, so progress survives a page reload. The work itself runs in a
worker process by default (spawned, so the server's threads are not touched and the web
process stays responsive), or in a thread (tests, or when processes are not wanted).

Each job belongs to the server process that runs it (`owner`), which writes a heartbeat on
its active jobs every few seconds. Another server on the same database leaves them alone;
a job whose heartbeat has stopped (its server was killed) is shown as interrupted. A worker
that dies (the OOM killer, kill -9) fails its job, and the pool is rebuilt for the next one.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import multiprocessing
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, or_, select, update

from strideback.procs import exit_when_parent_dies
from strideback.store.db import Database, data_dir, open_database
from strideback.store.web import JobRow, utcnow

ACTIVE = ("queued", "running")
HEARTBEAT_SECONDS = 5.0
STALE_AFTER = dt.timedelta(seconds=30)  # six missed heartbeats: the owner is gone
INTERRUPTED = "The server stopped before this job finished; start it again."


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    status: str  # queued | running | done | error
    done: int
    total: int
    message: str | None
    params: dict[str, Any]
    result: Any
    error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    owner: str | None = None

    @property
    def finished(self) -> bool:
        return self.status not in ACTIVE

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def finite_json(value: Any) -> Any:
    """`value` with every NaN or infinite number replaced by None (JSON has neither)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(item) for item in value]
    return value


def _view(row: JobRow) -> JobView:
    return JobView(
        id=row.id,
        kind=row.kind,
        status=row.status,
        done=row.done,
        total=row.total,
        message=row.message,
        params=json.loads(row.params) if row.params else {},
        result=finite_json(json.loads(row.result)) if row.result else None,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        owner=row.owner,
    )


def new_owner_id() -> str:
    """This server process's name on its jobs: host, pid and a random part (pids repeat)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def _stale_condition(now: dt.datetime) -> ColumnElement[bool]:
    """Active rows whose owner has not written a heartbeat for STALE_AFTER."""
    limit = now - STALE_AFTER
    return JobRow.status.in_(ACTIVE) & or_(
        JobRow.heartbeat_at < limit, JobRow.heartbeat_at.is_(None) & (JobRow.updated_at < limit)
    )


def _rowcount(result: object) -> int:
    """Rows an UPDATE touched (an UPDATE's result is always a CursorResult)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


class JobStore:
    """Create, update and read job rows (of the runner `db` acts for; every runner's when
    `db` is `all_runners()`, the server-wide store of heartbeats and interruptions)."""

    def __init__(self, db: Database, owner: str | None = None):
        self.db = db
        self.owner = owner

    def for_runner(self, runner_id: int) -> JobStore:
        """The same store acting for one runner: it sees and creates only their jobs."""
        return JobStore(self.db.for_runner(runner_id), owner=self.owner)

    def runner_of(self, job_id: int) -> int | None:
        """Whose job this is (the worker acts for that runner)."""
        with self.db.all_runners().session() as session:
            return session.scalar(select(JobRow.runner_id).where(JobRow.id == job_id))

    def create(
        self,
        kind: str,
        params: dict[str, Any],
        message: str = "Waiting to start",
        *,
        runner: int | None = None,
    ) -> int:
        """A queued job of `runner` (default: the runner the store acts for; on the
        server-wide store of a single-user server, the local runner)."""
        now = utcnow()
        if runner is None and self.db.runner_id is None and not self.db.require_runner:
            runner = self.db.local_runner()
        with self.db.session() as session:
            row = JobRow(
                runner_id=runner,
                kind=kind,
                status="queued",
                done=0,
                total=0,
                message=message,
                params=json.dumps(params, default=str),
                owner=self.owner,
                heartbeat_at=now,
            )
            session.add(row)
            session.flush()
            return row.id

    def _set(self, job_id: int, **values: Any) -> None:
        values["updated_at"] = utcnow()
        with self.db.session() as session:
            session.execute(update(JobRow).where(JobRow.id == job_id).values(**values))

    def progress(self, job_id: int, done: int, total: int, message: str | None = None) -> None:
        self._set(job_id, status="running", done=done, total=total, message=message)

    def finish(self, job_id: int, result: Any, message: str = "Finished") -> None:
        text = json.dumps(finite_json(result), default=str, allow_nan=False)
        self._set(job_id, status="done", result=text, message=message)

    def fail(self, job_id: int, error: str) -> None:
        self._set(job_id, status="error", error=error, message="Failed")

    def get(self, job_id: int) -> JobView | None:
        self.interrupt_stale(job_id)
        with self.db.session() as session:
            row = session.get(JobRow, job_id)
            return _view(row) if row else None

    def recent(self, kind: str, limit: int = 5) -> list[JobView]:
        with self.db.session() as session:
            rows = session.scalars(
                select(JobRow).where(JobRow.kind == kind).order_by(JobRow.id.desc()).limit(limit)
            ).all()
            return [_view(r) for r in rows]

    def heartbeat(self) -> int:
        """Say this owner is alive on its active jobs."""
        if self.owner is None:
            return 0
        with self.db.session() as session:
            result = session.execute(
                update(JobRow)
                .where(JobRow.owner == self.owner, JobRow.status.in_(ACTIVE))
                .values(heartbeat_at=utcnow())
            )
            return _rowcount(result)

    def interrupt_stale(self, job_id: int | None = None) -> int:
        """Active jobs whose owner stopped its heartbeat (killed server) cannot finish: say so.

        Jobs of a live server (this one or another on the same database) are left alone.
        """
        condition = _stale_condition(utcnow())
        if job_id is not None:
            condition = condition & (JobRow.id == job_id)
        return self._interrupt(condition)

    def interrupt_own(self) -> int:
        """On shutdown: this owner's unfinished jobs will not finish."""
        if self.owner is None:
            return 0
        return self._interrupt((JobRow.owner == self.owner) & JobRow.status.in_(ACTIVE))

    def _interrupt(self, condition: ColumnElement[bool]) -> int:
        with self.db.session() as session:
            result = session.execute(
                update(JobRow)
                .where(condition)
                .values(
                    status="error", message="Interrupted", error=INTERRUPTED, updated_at=utcnow()
                )
            )
            return _rowcount(result)

    def mark_interrupted(self) -> int:
        """Kept for callers of the old name: interrupts only jobs with a stale heartbeat."""
        return self.interrupt_stale()


class ThrottledProgress:
    """A progress callback that writes to the DB at most every `interval` seconds."""

    def __init__(self, store: JobStore, job_id: int, interval: float = 0.3):
        self.store, self.job_id, self.interval = store, job_id, interval
        self._last: float | None = None

    def __call__(self, done: int, total: int, message: str | None = None) -> None:
        now = time.monotonic()
        if self._last is None or done >= total or now - self._last >= self.interval:
            self._last = now
            self.store.progress(self.job_id, done, total, message)


# --- uploads: deleted once their job is over ----------------------------------------------


def uploads_root() -> Path:
    return data_dir() / "uploads"


def remove_uploads(paths: list[str]) -> None:
    """Delete uploaded files (and their emptied upload folder) once the job is over.

    Only files under the data folder's `uploads/` are touched, never a path the user named.
    """
    root = uploads_root().resolve()
    folders: set[Path] = set()
    for name in paths:
        path = Path(name).resolve()
        if root not in path.parents:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        folders.add(path.parent)
    for folder in folders:
        if folder != root and root in folder.parents and not any(folder.iterdir()):
            folder.rmdir()


def sweep_empty_upload_folders() -> None:
    root = uploads_root()
    if not root.is_dir():
        return
    for folder in root.iterdir():
        if folder.is_dir() and folder.name.startswith("runner-"):  # a runner's uploads
            for inner in folder.iterdir():
                if inner.is_dir() and not any(inner.iterdir()):
                    inner.rmdir()
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()


# --- the work itself: module-level functions so a spawned process can run them ----------


def job_database(db_url: str, job_id: int) -> tuple[Database, JobStore]:
    """For a worker: the database acting for the job's runner, and that runner's job store."""
    base = open_database(db_url)
    runner = JobStore(base).runner_of(job_id)
    db = base.for_runner(runner) if runner is not None else base
    return db, JobStore(db)


def run_import_job(db_url: str, job_id: int, paths: list[str]) -> None:
    from strideback.activities.service import import_paths

    db, store = job_database(db_url, job_id)
    try:
        progress = ThrottledProgress(store, job_id)
        store.progress(job_id, 0, len(paths), "Reading files")
        results = import_paths(
            db,
            [Path(p) for p in paths],
            progress=lambda done, total, name: progress(done, total, f"Reading {name}"),
        )
        rows = [r.to_dict() for r in results]
        counts: dict[str, int] = {}
        for row in rows:
            status = str(row.get("status", "?"))
            counts[status] = counts.get(status, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        store.finish(
            job_id,
            {"results": rows, "counts": counts},
            message=f"Finished: {summary or 'nothing found'}",
        )
    except Exception as exc:  # the page shows the message; the server keeps running
        store.fail(job_id, f"{type(exc).__name__}: {exc}")
    finally:
        remove_uploads(paths)


def run_form_job(
    db_url: str, job_id: int, video: str, view: str, capture_fps: float | None = None
) -> None:
    """Analyse an uploaded clip (at its real capture rate when the runner gave one)."""
    from strideback.form.model import FormError
    from strideback.form.service import analyse_clip

    db, store = job_database(db_url, job_id)
    try:
        progress = ThrottledProgress(store, job_id)
        store.progress(job_id, 0, 0, "Starting the analysis")
        result = analyse_clip(
            db,
            Path(video),
            view=view,
            capture_fps=capture_fps,
            progress=lambda done, total: progress(done, total, f"Frame {done} of {total}"),
        )
        store.finish(
            job_id, {"clip_id": result.id, "view": result.view}, message="Finished: report ready"
        )
    except FormError as exc:  # a clear message for the runner
        store.fail(job_id, str(exc))
    except Exception as exc:
        store.fail(job_id, f"{type(exc).__name__}: {exc}")
    finally:
        # The report and the annotated video stay in the clip's folder; the upload goes.
        remove_uploads([video])


class JobRunner:
    """Submits job functions to a worker pool; records crashes the function could not.

    Call `start()` when the server starts (heartbeat thread, stale jobs marked) and
    `shutdown()` when it stops (workers ended, this server's unfinished jobs marked).
    """

    def __init__(self, db: Database, use_processes: bool = True, workers: int = 1):
        # Server-wide: heartbeats and interruptions of every runner's jobs of this server.
        self.store = JobStore(db.all_runners(), owner=new_owner_id())
        self._db = db
        self.db_url = db.url
        self.use_processes = use_processes
        self.workers = workers
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self.executor: Executor = self._new_executor()

    def _new_executor(self) -> Executor:
        if self.use_processes:
            return ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=exit_when_parent_dies,
            )
        return ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="strideback-job")

    def start(self) -> None:
        self.store.interrupt_stale()
        sweep_empty_upload_folders()
        self._stop.clear()
        self._heartbeat = threading.Thread(
            target=self._beat, name="strideback-job-heartbeat", daemon=True
        )
        self._heartbeat.start()

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.store.heartbeat()
            except Exception:  # a locked or unreachable DB: try again at the next beat
                continue

    def store_for(self, runner_id: int) -> JobStore:
        """The job store of one runner (the pages show and poll only their own jobs)."""
        return self.store.for_runner(runner_id)

    def submit(
        self,
        kind: str,
        params: dict[str, Any],
        func: Callable[..., None],
        *args: Any,
        runner: int | None = None,
    ) -> int:
        """Start `func(db_url, job_id, *args)` as a job of `runner` (default: the local
        runner); the worker acts for the job's runner (`job_database`)."""
        owner = runner if runner is not None else self._db.local_runner()
        job_id = self.store_for(owner).create(kind, params)
        try:
            future = self._submit(func, job_id, *args)
        except BrokenProcessPool:
            self._rebuild()
            future = self._submit(func, job_id, *args)
        future.add_done_callback(lambda f: self._record_crash(job_id, f))
        return job_id

    def _submit(self, func: Callable[..., None], job_id: int, *args: Any) -> Future[None]:
        with self._lock:
            return self.executor.submit(func, self.db_url, job_id, *args)

    def _rebuild(self, broken: Executor | None = None) -> None:
        """Replace a pool whose worker died (once, however many jobs noticed)."""
        with self._lock:
            if broken is not None and self.executor is not broken:
                return
            old = self.executor
            self.executor = self._new_executor()
        old.shutdown(wait=False, cancel_futures=True)

    def _record_crash(self, job_id: int, future: Future[None]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            return
        if self._stop.is_set():  # we ended the worker ourselves: the server is stopping
            self.store.interrupt_own()
            return
        self.store.fail(job_id, f"The worker stopped: {type(exc).__name__}: {exc}")
        if isinstance(exc, BrokenProcessPool):
            self._rebuild(self.executor)

    def worker_pids(self) -> list[int]:
        executor = self.executor
        if isinstance(executor, ProcessPoolExecutor):
            return [p.pid for p in list(executor._processes.values()) if p.pid is not None]
        return []

    def shutdown(self) -> None:
        self._stop.set()
        executor = self.executor
        processes = (
            list(executor._processes.values()) if isinstance(executor, ProcessPoolExecutor) else []
        )
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:  # a running job would otherwise outlive the server
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
        try:
            self.store.interrupt_own()
        except Exception:  # the database may already be gone at exit; the heartbeat tells
            pass
