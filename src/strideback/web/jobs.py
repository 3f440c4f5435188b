"""Background jobs (imports, video analysis): a small queue kept in the `web_jobs` table.

The page polls a job's row, so progress survives a page reload. The work itself runs in a
worker process by default (spawned, so the server's threads are not touched and the web
process stays responsive), or in a thread (tests, or when processes are not wanted).

How a job moves (the same on SQLite and PostgreSQL):

- `submit` writes a *queued* row owned by this server: the task's registered name, its
  arguments and its input files (the uploads) are in the row, so any later server can run it.
- The server's dispatcher thread starts its queued jobs in submission order, one per worker
  at a time (`workers=1`: one job at a time); a queued job shows how many jobs are before it.
- Each server writes a heartbeat on its active jobs every few seconds. Another server on the
  same database leaves them alone; it takes over a job only when the job's owner has stopped
  its heartbeat (killed) or released it (stopped cleanly: its running jobs go back to the
  queue). Taking over is one `UPDATE ... WHERE <owner stale>`: on PostgreSQL the row lock
  makes a second server's UPDATE re-check the condition and skip the row, on SQLite there
  is one writer at a time, so a job is never claimed by two servers.
- A job taken over, or whose worker died (the OOM killer, kill -9), runs again from the
  start: imports skip files already stored (by content hash, one transaction per file) and a
  form analysis stores its clip in one transaction at its end. A job that has stopped its
  worker MAX_ATTEMPTS times is failed with a reason (no crash loop); one whose uploaded files
  are gone is failed with a reason. Uploads are deleted only when the job is over for good.
- Servers that share a database must share the data folder (uploads, form clips).

Why not procrastinate (a well-kept PostgreSQL queue) on PostgreSQL, checked against
procrastinate 3.10: it is PostgreSQL only, so the SQLite default needs this queue anyway and
two queues would have to behave alike; it keeps no progress or result, so the pages would
still read `web_jobs` and two tables would have to agree on a job's state; its worker is an
asyncio loop that runs a sync task in a thread of its own process, so the CPU-heavy work
would still need our spawned pool (kill-on-parent-death, one job per worker); a job whose
worker was killed stays "doing" until the application itself lists stalled jobs and retries
them (`get_stalled_jobs` / `retry_job`), which is the heartbeat logic kept here; its schema
(tables, enum types, plpgsql functions, triggers) comes with its own SQL migrations outside
Alembic; and its connectors are a psycopg pool of its own or a SQLAlchemy connector for
psycopg2 only, where we use psycopg 3 through SQLAlchemy. What it does well (a claim in one
statement, FIFO by id, heartbeats of workers, a retry limit) is what this queue does.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import math
import multiprocessing
import os
import secrets
import shutil
import signal
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, case, func, or_, select, update

from strideback.procs import exit_when_parent_dies
from strideback.store.db import Database, data_dir, open_database
from strideback.store.web import JobRow, utcnow

ACTIVE = ("queued", "running")


def _stale_seconds() -> float:
    """How long a server's silence means it is gone: 30 s, or STRIDEBACK_JOBS_STALE_SECONDS
    (at least 1; the tests use a short one so a killed server's jobs restart sooner)."""
    raw = os.environ.get("STRIDEBACK_JOBS_STALE_SECONDS", "")
    try:
        value = float(raw)
    except ValueError:
        return 30.0
    return value if math.isfinite(value) and value >= 1 else 30.0


STALE_AFTER = dt.timedelta(seconds=_stale_seconds())
HEARTBEAT_SECONDS = min(5.0, STALE_AFTER.total_seconds() / 6)  # six missed: the owner is gone
MAX_ATTEMPTS = 3  # a first run and at most two more after its worker (or server) died

WAITING = "Waiting to start"
INTERRUPTED = "The server stopped before this job finished; start it again."
RESTARTED = "Restarted after the server stopped"
RELEASED = "Waiting: the server stopped before this job finished; it runs again when it starts"
RESTARTED_WORKER = "Restarted after its worker stopped"
AGAIN = "started again after an interruption"
STALE_OWNER = "The server running this job stopped; another server will restart it"
GAVE_UP = (
    "The worker stopped {n} times while running this job (for example, it ran out of "
    "memory), so it was not tried again."
)
INPUT_GONE = "The uploaded file {name} is no longer there, so this job cannot run; upload it again."
UNKNOWN_TASK = "This job cannot be run by this version of StrideBack; start it again."
NO_RESULT = "The job ended without saying whether it worked; start it again."

log = logging.getLogger("strideback.web.jobs")

# --- tasks: the functions a job may run, by a name kept in its row -------------------------

TASKS: dict[str, Callable[..., None]] = {}


def task_name(function: Callable[..., None]) -> str:
    return f"{function.__module__}:{function.__qualname__}"


def register_task(function: Callable[..., None]) -> Callable[..., None]:
    """Make `function(db_url, job_id, *args)` runnable from a job row (after a restart too).

    Only registered functions are ever run: a row names a task, never code to import.
    """
    TASKS[task_name(function)] = function
    return function


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
    attempts: int = 0
    ahead: int = 0  # queued: active jobs of the same server before this one

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


def _is_stale(row: JobRow, now: dt.datetime) -> bool:
    seen = row.heartbeat_at or row.updated_at
    return row.owner is not None and seen < now - STALE_AFTER


def _message(row: JobRow, ahead: int, now: dt.datetime) -> str | None:
    """The line the page shows: the stored message, with the place in the queue."""
    if row.status in ACTIVE and row.task is not None and _is_stale(row, now):
        return STALE_OWNER
    if row.status == "queued" and ahead:
        before = "1 job" if ahead == 1 else f"{ahead} jobs"
        return f"{row.message or WAITING} ({before} before it)"
    again = row.message not in (None, RESTARTED, RESTARTED_WORKER)
    if row.status == "running" and (row.attempts or 0) > 1 and again:
        return f"{row.message} ({AGAIN})"
    return row.message


def _view(row: JobRow, ahead: int = 0, now: dt.datetime | None = None) -> JobView:
    return JobView(
        id=row.id,
        kind=row.kind,
        status=row.status,
        done=row.done,
        total=row.total,
        message=_message(row, ahead, now or utcnow()),
        params=json.loads(row.params) if row.params else {},
        result=finite_json(json.loads(row.result)) if row.result else None,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        owner=row.owner,
        attempts=row.attempts or 0,
        ahead=ahead,
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


def _claimable(now: dt.datetime) -> ColumnElement[bool]:
    """Runnable rows no live server holds: released on a clean stop, or of a dead owner."""
    released = JobRow.status.in_(ACTIVE) & JobRow.owner.is_(None)
    return JobRow.task.is_not(None) & or_(released, _stale_condition(now))


def _rowcount(result: object) -> int:
    """Rows an UPDATE touched (an UPDATE's result is always a CursorResult)."""
    return int(cast(CursorResult[Any], result).rowcount or 0)


@dataclass(frozen=True)
class QueuedJob:
    """What the dispatcher needs to start a job."""

    id: int
    task: str
    args: list[Any]
    inputs: list[str]
    attempts: int


class JobStore:
    """Create, update and read job rows (of the runner `db` acts for; every runner's when
    `db` is `all_runners()`, the server-wide store of heartbeats and claims)."""

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
        message: str = WAITING,
        *,
        runner: int | None = None,
        task: str | None = None,
        args: list[Any] | None = None,
        inputs: list[str] | None = None,
    ) -> int:
        """A queued job of `runner` (default: the runner the store acts for; on the
        server-wide store of a single-user server, the local runner). A job with a `task`
        is run by a dispatcher (`JobRunner`); one without is driven by its caller."""
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
                task=task,
                args=json.dumps(args) if task is not None else None,
                inputs=json.dumps(inputs or []) if task is not None else None,
                attempts=0,
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
            if row is None:
                return None
            return _view(row, self._ahead(row) if row.status == "queued" else 0)

    def _ahead(self, row: JobRow) -> int:
        """Active jobs of the same server that run before this one (a count, nothing else)."""
        same_owner = JobRow.owner.is_(None) if row.owner is None else JobRow.owner == row.owner
        with self.db.all_runners().session() as session:
            count = session.scalar(
                select(func.count(JobRow.id)).where(
                    JobRow.status.in_(ACTIVE),
                    JobRow.task.is_not(None),
                    JobRow.id < row.id,
                    same_owner,
                )
            )
            return int(count or 0)

    def recent(self, kind: str, limit: int = 5) -> list[JobView]:
        with self.db.session() as session:
            rows = session.scalars(
                select(JobRow).where(JobRow.kind == kind).order_by(JobRow.id.desc()).limit(limit)
            ).all()
            return [_view(r) for r in rows]

    def attempts(self, job_id: int) -> int:
        with self.db.session() as session:
            return int(session.scalar(select(JobRow.attempts).where(JobRow.id == job_id)) or 0)

    def is_active(self, job_id: int) -> bool:
        with self.db.session() as session:
            status = session.scalar(select(JobRow.status).where(JobRow.id == job_id))
            return status in ACTIVE

    def inputs_of(self, job_id: int) -> list[str]:
        with self.db.session() as session:
            text = session.scalar(select(JobRow.inputs).where(JobRow.id == job_id))
            return list(json.loads(text)) if text else []

    # --- the queue: only a store with an owner (a server) claims and starts jobs ----------

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

    def claim_orphans(self) -> int:
        """Take over the runnable jobs no live server holds; they run again from the start.

        One UPDATE whose WHERE names the stale owner, so two servers never both claim a job
        (see the module's docstring). A stale job with no task (driven by its caller, or
        written by an older release) cannot run again: it is marked interrupted.
        """
        if self.owner is None:
            return 0
        now = utcnow()
        self._interrupt(_stale_condition(now) & JobRow.task.is_(None))
        with self.db.session() as session:
            result = session.execute(
                update(JobRow)
                .where(_claimable(now))
                .values(
                    owner=self.owner,
                    status="queued",
                    message=RESTARTED,
                    heartbeat_at=now,
                    updated_at=now,
                )
            )
            return _rowcount(result)

    def next_queued(self) -> QueuedJob | None:
        """This owner's oldest queued job (submission order)."""
        with self.db.session() as session:
            row = session.scalars(
                select(JobRow)
                .where(
                    JobRow.owner == self.owner,
                    JobRow.status == "queued",
                    JobRow.task.is_not(None),
                )
                .order_by(JobRow.id)
                .limit(1)
            ).first()
            if row is None or row.task is None:
                return None
            return QueuedJob(
                id=row.id,
                task=row.task,
                args=list(json.loads(row.args)) if row.args else [],
                inputs=list(json.loads(row.inputs)) if row.inputs else [],
                attempts=row.attempts or 0,
            )

    def mark_started(self, job_id: int) -> bool:
        """Queued -> running for this owner, counting the attempt; False if it is not ours."""
        now = utcnow()
        with self.db.session() as session:
            result = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.owner == self.owner, JobRow.status == "queued")
                .values(
                    status="running",
                    attempts=JobRow.attempts + 1,
                    heartbeat_at=now,
                    updated_at=now,
                )
            )
            return _rowcount(result) == 1

    def requeue(self, job_id: int, message: str) -> bool:
        """Back to the queue of this owner (its worker died): it runs again from the start."""
        now = utcnow()
        with self.db.session() as session:
            result = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.owner == self.owner, JobRow.status.in_(ACTIVE))
                .values(status="queued", done=0, total=0, message=message, updated_at=now)
            )
            return _rowcount(result) == 1

    def release_own(self) -> int:
        """On a clean stop: this owner's runnable jobs go back to the queue for the next
        server (a job stopped this way did not crash: its attempt is not counted). Jobs
        with no task cannot run again and are marked interrupted."""
        if self.owner is None:
            return 0
        mine = (JobRow.owner == self.owner) & JobRow.status.in_(ACTIVE)
        interrupted = self._interrupt(mine & JobRow.task.is_(None))
        with self.db.session() as session:
            result = session.execute(
                update(JobRow)
                .where(mine & JobRow.task.is_not(None))
                .values(
                    status="queued",
                    owner=None,
                    heartbeat_at=None,
                    done=0,
                    total=0,
                    message=RELEASED,
                    attempts=case(
                        ((JobRow.status == "running") & (JobRow.attempts > 0), JobRow.attempts - 1),
                        else_=JobRow.attempts,
                    ),
                    updated_at=utcnow(),
                )
            )
            return interrupted + _rowcount(result)

    def interrupt_stale(self, job_id: int | None = None) -> int:
        """Stale jobs that cannot run again (no task): say they were interrupted.

        Jobs of a live server (this one or another on the same database) are left alone,
        and so are runnable jobs: a server takes them over (`claim_orphans`).
        """
        condition = _stale_condition(utcnow()) & JobRow.task.is_(None)
        if job_id is not None:
            condition = condition & (JobRow.id == job_id)
        return self._interrupt(condition)

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
        """Kept for callers of the old name: `interrupt_stale()` of every runner's jobs."""
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


# --- uploads: deleted once their job is over for good -------------------------------------


def uploads_root() -> Path:
    return data_dir() / "uploads"


def is_upload(name: str) -> bool:
    return uploads_root().resolve() in Path(name).resolve().parents


def upload_inputs(args: tuple[Any, ...]) -> list[str]:
    """The uploaded files among a job's arguments (a path, or a list of paths)."""
    found: list[str] = []
    for arg in args:
        names = arg if isinstance(arg, list | tuple) else [arg]
        found += [n for n in names if isinstance(n, str) and is_upload(n)]
    return found


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
        if folder.is_dir() and folder != root and root in folder.parents:
            if not any(folder.iterdir()):
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


def _as_uploaded(row: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """A result row with the file named as the runner uploaded it (`run.fit`,
    `export.zip:activities/run.fit`), not by its path in the server's upload folder."""
    for folder in sorted({str(Path(p).parent) + os.sep for p in paths}, key=len, reverse=True):
        for key in ("file", "error", "note"):
            if isinstance(row.get(key), str):
                row[key] = row[key].replace(folder, "")
    return row


@register_task
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
        rows = [_as_uploaded(r.to_dict(), paths) for r in results]
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
    # Over for good (done or failed): the uploads go. Not in a `finally`: a job stopped
    # half-way (its server stopped) keeps them, to run again.
    remove_uploads(paths)


@register_task
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
    # The report and the annotated video stay in the clip's folder; the upload goes (only
    # once the job is over for good, as above).
    remove_uploads([video])


def _worker_init() -> None:
    """A worker ends with its server, and leaves Ctrl+C to the server (which stops it and
    puts its job back in the queue): a KeyboardInterrupt here would end the job half-way."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_when_parent_dies()


class JobRunner:
    """Runs the queued jobs of this server on a worker pool, one job per worker at a time.

    Call `start()` when the server starts (orphaned jobs taken over, heartbeat and dispatcher
    thread) and `shutdown()` when it stops (workers ended, this server's jobs released).
    `submit` starts the dispatcher too when `start()` was not called.
    """

    def __init__(self, db: Database, use_processes: bool = True, workers: int = 1):
        # Server-wide: heartbeats and claims of every runner's jobs of this server.
        self.store = JobStore(db.all_runners(), owner=new_owner_id())
        self._db = db
        self.db_url = db.url
        self.use_processes = use_processes
        self.workers = workers
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._running: set[int] = set()
        self._thread: threading.Thread | None = None
        self.executor: Executor = self._new_executor()

    def _new_executor(self) -> Executor:
        if self.use_processes:
            return ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
            )
        return ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="strideback-job")

    def start(self) -> None:
        sweep_empty_upload_folders()
        self.store.claim_orphans()
        self._ensure_dispatcher()

    def _ensure_dispatcher(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._dispatch_loop, name="strideback-jobs", daemon=True
            )
            self._thread.start()

    def _dispatch_loop(self) -> None:
        next_beat = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            try:
                if time.monotonic() >= next_beat:
                    next_beat = time.monotonic() + HEARTBEAT_SECONDS
                    self.store.heartbeat()
                    self.store.claim_orphans()
                self._fill_workers()
            except Exception:  # a locked or unreachable DB: try again at the next beat
                log.warning("job dispatcher: database not reachable", exc_info=True)
            self._wake.wait(max(0.05, next_beat - time.monotonic()))

    def _fill_workers(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if len(self._running) >= self.workers:
                    return
            job = self.store.next_queued()
            if job is None:
                return
            function = self._runnable(job)
            if function is None or not self.store.mark_started(job.id):
                continue
            with self._lock:
                self._running.add(job.id)
            try:
                future = self._submit(function, job.id, *job.args)
            except BrokenProcessPool:
                self._rebuild()
                future = self._submit(function, job.id, *job.args)
            future.add_done_callback(functools.partial(self._on_done, job.id))

    def _runnable(self, job: QueuedJob) -> Callable[..., None] | None:
        """The job's function, or None after failing the job for good with the reason."""
        function = TASKS.get(job.task)
        if function is None:
            reason = UNKNOWN_TASK
        elif job.attempts >= MAX_ATTEMPTS:
            reason = GAVE_UP.format(n=job.attempts)
        else:
            missing = [p for p in job.inputs if not Path(p).exists()]
            if not missing:
                return function
            reason = INPUT_GONE.format(name=Path(missing[0]).name)
        self._give_up(job.id, reason, job.inputs)
        return None

    def _give_up(self, job_id: int, reason: str, inputs: list[str] | None = None) -> None:
        self.store.fail(job_id, reason)
        remove_uploads(self.store.inputs_of(job_id) if inputs is None else inputs)

    def store_for(self, runner_id: int) -> JobStore:
        """The job store of one runner (the pages show and poll only their own jobs)."""
        return self.store.for_runner(runner_id)

    def submit(
        self,
        kind: str,
        params: dict[str, Any],
        function: Callable[..., None],
        *args: Any,
        runner: int | None = None,
        inputs: list[str] | None = None,
    ) -> int:
        """Queue `function(db_url, job_id, *args)` as a job of `runner` (default: the local
        runner); the worker acts for the job's runner (`job_database`). `args` must be
        JSON values (they are kept in the row to run the job again after a restart);
        `inputs` are the files it needs (default: the uploads among `args`)."""
        name = task_name(register_task(function))
        owner = runner if runner is not None else self._db.local_runner()
        job_id = self.store_for(owner).create(
            kind,
            params,
            task=name,
            args=list(args),
            inputs=upload_inputs(args) if inputs is None else inputs,
        )
        self._ensure_dispatcher()
        self._wake.set()
        return job_id

    def _submit(self, function: Callable[..., None], job_id: int, *args: Any) -> Future[None]:
        with self._lock:
            return self.executor.submit(function, self.db_url, job_id, *args)

    def _rebuild(self, broken: Executor | None = None) -> None:
        """Replace a pool whose worker died (once, however many jobs noticed)."""
        with self._lock:
            if broken is not None and self.executor is not broken:
                return
            old = self.executor
            self.executor = self._new_executor()
        old.shutdown(wait=False, cancel_futures=True)

    def _on_done(self, job_id: int, future: Future[None]) -> None:
        with self._lock:
            self._running.discard(job_id)
        try:
            if self._stop.is_set() or future.cancelled():
                return  # stopping: `shutdown` puts the job back in the queue
            self._record_end(job_id, future.exception())
        except Exception:
            log.warning("job %s: its end could not be recorded", job_id, exc_info=True)
        finally:
            self._wake.set()

    def _record_end(self, job_id: int, exc: BaseException | None) -> None:
        if isinstance(exc, BrokenProcessPool):  # the worker died (OOM killer, kill -9)
            self._rebuild(self.executor)
            attempts = self.store.attempts(job_id)
            if attempts >= MAX_ATTEMPTS:
                self._give_up(job_id, GAVE_UP.format(n=attempts))
            else:
                self.store.requeue(job_id, RESTARTED_WORKER)
        elif exc is not None:  # the function raised past its own error handling
            self._give_up(job_id, f"The job failed: {type(exc).__name__}: {exc}")
        elif self.store.is_active(job_id):
            self._give_up(job_id, NO_RESULT)

    def worker_pids(self) -> list[int]:
        executor = self.executor
        if isinstance(executor, ProcessPoolExecutor):
            return [p.pid for p in list(executor._processes.values()) if p.pid is not None]
        return []

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
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
            self.store.release_own()
        except Exception:  # the database may already be gone at exit; the heartbeat tells
            pass
