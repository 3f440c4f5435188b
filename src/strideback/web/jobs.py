"""Background jobs (imports, video analysis) with progress persisted in the `web_jobs` table.

The page polls a job's row, so progress survives a page reload. The work itself runs in a
worker process by default (spawned, so the server's threads are not touched and the web
process stays responsive), or in a thread (tests, or when processes are not wanted).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from strideback.store.db import Database, open_database
from strideback.store.web import JobRow, utcnow

ACTIVE = ("queued", "running")


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

    @property
    def finished(self) -> bool:
        return self.status not in ACTIVE

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return int(100 * self.done / self.total) if self.total else 0


def _view(row: JobRow) -> JobView:
    return JobView(
        id=row.id,
        kind=row.kind,
        status=row.status,
        done=row.done,
        total=row.total,
        message=row.message,
        params=json.loads(row.params) if row.params else {},
        result=json.loads(row.result) if row.result else None,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class JobStore:
    """Create, update and read job rows."""

    def __init__(self, db: Database):
        self.db = db

    def create(self, kind: str, params: dict[str, Any], message: str = "Waiting to start") -> int:
        with self.db.session() as session:
            row = JobRow(
                kind=kind,
                status="queued",
                done=0,
                total=0,
                message=message,
                params=json.dumps(params, default=str),
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
        self._set(job_id, status="done", result=json.dumps(result, default=str), message=message)

    def fail(self, job_id: int, error: str) -> None:
        self._set(job_id, status="error", error=error, message="Failed")

    def get(self, job_id: int) -> JobView | None:
        with self.db.session() as session:
            row = session.get(JobRow, job_id)
            return _view(row) if row else None

    def recent(self, kind: str, limit: int = 5) -> list[JobView]:
        with self.db.session() as session:
            rows = session.scalars(
                select(JobRow).where(JobRow.kind == kind).order_by(JobRow.id.desc()).limit(limit)
            ).all()
            return [_view(r) for r in rows]

    def mark_interrupted(self) -> int:
        """Jobs left queued/running by a previous server process cannot finish: say so."""
        with self.db.session() as session:
            result = session.execute(
                update(JobRow)
                .where(JobRow.status.in_(ACTIVE))
                .values(
                    status="error",
                    message="Interrupted",
                    error="The server stopped before this job finished; start it again.",
                    updated_at=utcnow(),
                )
            )
            return result.rowcount or 0


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


# --- the work itself: module-level functions so a spawned process can run them ----------


def run_import_job(db_url: str, job_id: int, paths: list[str]) -> None:
    from strideback.web import backends

    db = open_database(db_url)
    store = JobStore(db)
    try:
        import_paths = backends.service_function("activities", "import_paths")
        progress = ThrottledProgress(store, job_id)
        store.progress(job_id, 0, len(paths), "Reading files")
        results = import_paths(
            db,
            [Path(p) for p in paths],
            progress=lambda done, total, name: progress(done, total, f"Reading {name}"),
        )
        rows = [r.to_dict() if hasattr(r, "to_dict") else dict(r) for r in results]
        counts: dict[str, int] = {}
        for row in rows:
            counts[row.get("status", "?")] = counts.get(row.get("status", "?"), 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        store.finish(
            job_id,
            {"results": rows, "counts": counts},
            message=f"Finished: {summary or 'nothing found'}",
        )
    except Exception as exc:  # the page shows the message; the server keeps running
        store.fail(job_id, f"{type(exc).__name__}: {exc}")


def run_form_job(db_url: str, job_id: int, video: str, view: str) -> None:
    from strideback.web import backends

    db = open_database(db_url)
    store = JobStore(db)
    try:
        analyse_clip = backends.service_function("form", "analyse_clip")
        progress = ThrottledProgress(store, job_id)
        store.progress(job_id, 0, 0, "Starting the analysis")
        result = analyse_clip(
            db,
            Path(video),
            view=view,
            progress=lambda done, total: progress(done, total, f"Frame {done} of {total}"),
        )
        store.finish(
            job_id, {"clip_id": result.id, "view": result.view}, message="Finished: report ready"
        )
    except Exception as exc:  # FormError carries a clear message for the runner
        store.fail(
            job_id,
            f"{exc}" if type(exc).__name__ == "FormError" else f"{type(exc).__name__}: {exc}",
        )


class JobRunner:
    """Submits job functions to a worker pool; records crashes the function could not."""

    def __init__(self, db: Database, use_processes: bool = True, workers: int = 1):
        self.store = JobStore(db)
        self.db_url = db.url
        self.executor: Executor
        if use_processes:
            self.executor = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn")
            )
        else:
            self.executor = ThreadPoolExecutor(
                max_workers=workers, thread_name_prefix="strideback-job"
            )

    def submit(
        self, kind: str, params: dict[str, Any], func: Callable[..., None], *args: Any
    ) -> int:
        job_id = self.store.create(kind, params)
        future = self.executor.submit(func, self.db_url, job_id, *args)
        future.add_done_callback(lambda f: self._record_crash(job_id, f))
        return job_id

    def _record_crash(self, job_id: int, future: Future) -> None:
        exc = future.exception()
        if exc is not None:
            self.store.fail(job_id, f"The worker stopped: {type(exc).__name__}: {exc}")

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
