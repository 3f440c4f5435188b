"""Import service: `import_paths`, called by the CLI and the web dashboard.

Items are streamed from the inputs (archives member by member), read and hashed once, parsed
(in worker processes for big batches) and each file is stored in its own transaction, so a
failure never leaves half an activity behind and the batch always goes on.
Duplicates: the same bytes (SHA-256) are a no-op; the same activity in another file (see
`is_same_activity`) is kept once, as the richer copy (`richness`): a richer copy arriving later
replaces the stored one in the same transaction and takes over its name. Activities dated
before 1990 or in the future and fragments are skipped with the reason (`bounds`).
Reads and edits of stored activities live in `queries` (re-exported here).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strideback.activities.bounds import refusal_reason
from strideback.activities.laps import laps_to_json
from strideback.activities.parse import (
    DUPLICATE,
    ERROR,
    IMPORTED,
    SKIPPED,
    ImportStatus,
    ParsedFile,
    parse_item,
)
from strideback.activities.queries import (  # noqa: F401 - re-exported: the import's callers
    ActivitySummary,
    _aware,
    _naive_utc,
    _row_totals,
    activities_on,
    get_activity,
    is_guessed,
    list_activities,
    set_sport,
)
from strideback.activities.sources import FileItem, ItemStream
from strideback.domain import Activity
from strideback.store.activities import ActivityRow, ActivitySeries, SourceFile
from strideback.store.db import Database

DUPLICATE_WINDOW_S = 60
OVERLAP_SHARE = 0.5  # two recordings overlapping this much of the shorter one ...
DISTANCE_TOLERANCE = 0.03  # ... and this close in distance are the same activity
UNKNOWN_DEVICES = {"", "0", "development", "unknown", "none"}  # no device: a re-encoded copy
PARALLEL_FROM_FILES = 16  # smaller batches parse in-process (worker start-up costs ~1 s)
PARENT_CHECK_S = 0.5  # how often a parser worker checks that its importing process lives
BATCH_ITEMS = 64  # items read, hashed and parsed together (memory holds one batch)
Progress = Callable[[int, int, str], None]


@dataclass
class ImportResult:
    """One per activity file (one per leg for multisport / multi-activity files)."""

    file: str
    status: ImportStatus
    activity_id: int | None = None
    sport: str | None = None
    start_time: dt.datetime | None = None
    distance_m: float | None = None
    elapsed_s: float | None = None
    moving_s: float | None = None
    ascent_m: float | None = None
    descent_m: float | None = None
    avg_cadence_spm: float | None = None
    avg_hr_bpm: float | None = None
    error: str | None = None
    note: str | None = None  # why a duplicate, or a warning on an imported file
    sport_guessed: bool = False  # the file named no sport: guessed (correct with set_sport)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start_time"] = self.start_time.isoformat() if self.start_time else None
        return data


# --------------------------------------------------------------------------- parsing


def _default_workers(n_items: int) -> int:
    if n_items < PARALLEL_FROM_FILES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _pool_context() -> BaseContext:
    """fork is fast, but unsafe once other threads exist (e.g. in the web server): spawn then."""
    if threading.active_count() == 1 and "fork" in get_all_start_methods():
        return get_context("fork")
    return get_context("spawn")


def _exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this worker when the importing process is gone (kill -9, OOM),
    so no parser outlives its import."""

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(0)
            time.sleep(PARENT_CHECK_S)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


class _Parser:
    """Parses items in-process, or in a worker pool once a batch is big enough for one."""

    def __init__(self, workers: int | None):
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None

    def parse(self, items: list[FileItem]) -> Iterator[ParsedFile]:
        parse = parse_item
        n = self.workers if self.workers is not None else _default_workers(len(items))
        if self.pool is None and n > 1 and len(items) > 1:
            self.workers = n
            self.pool = ProcessPoolExecutor(
                max_workers=n,
                mp_context=_pool_context(),
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        if self.pool is None:
            yield from map(parse, items)
            return
        done = 0
        try:
            for parsed in self.pool.map(parse, items, chunksize=4):
                done += 1
                yield parsed
        except BrokenProcessPool:  # workers could not start or died: go on in-process
            self.close()
            self.workers = 1
            yield from map(parse, items[done:])

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _read_once(item: FileItem) -> None:
    """Read a file's bytes and hash them, once: parsing uses the same bytes and hash."""
    if item.error:
        return
    try:
        data = item.read()
    except OSError as exc:
        item.error = f"cannot read: {exc.strerror or exc}"
        return
    item.data, item.path = data, None
    item.sha256 = hashlib.sha256(data).hexdigest()


def _batches(items: Iterable[FileItem], size: int) -> Iterator[list[FileItem]]:
    batch: list[FileItem] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --------------------------------------------------------------------------- storing


def _result(
    file: str,
    status: ImportStatus,
    activity: Activity | None = None,
    activity_id: int | None = None,
    error: str | None = None,
    note: str | None = None,
) -> ImportResult:
    if activity is None:
        return ImportResult(
            file=file, status=status, activity_id=activity_id, error=error, note=note
        )
    totals = _activity_totals(activity)
    return ImportResult(
        file=file,
        status=status,
        activity_id=activity_id,
        start_time=activity.start,
        error=error,
        note=note,
        sport_guessed=is_guessed(activity),
        **totals,
    )


def _activity_totals(activity: Activity) -> dict[str, Any]:
    """The summary numbers of a parsed activity, as the stored row and ImportResult name them."""
    return {
        "sport": activity.sport,
        "distance_m": activity.distance_m,
        "elapsed_s": activity.elapsed_s,
        "moving_s": activity.moving_s,
        "ascent_m": activity.ascent_m,
        "descent_m": activity.descent_m,
        "avg_cadence_spm": activity.cadence_spm,
        "avg_hr_bpm": activity.hr_bpm,
    }


def _row_result(
    file: str, status: ImportStatus, row: ActivityRow, note: str | None
) -> ImportResult:
    return ImportResult(file=file, status=status, activity_id=row.id, note=note, **_row_totals(row))


def _new_row(activity: Activity, sha256: str, blob: tuple[int, bytes]) -> ActivityRow:
    row = ActivityRow(
        source_sha256=sha256,
        leg_index=activity.leg_index,
        source_format=activity.source_format or "?",
        source_file=activity.source_file or "",
        sport_guessed=is_guessed(activity),
        sub_sport=activity.sub_sport,
        name=(activity.name or None) and activity.name[:300],
        start_time=_naive_utc(activity.start),
        utc_offset_s=activity.utc_offset_s,
        max_hr_bpm=activity.max_hr_bpm,
        **_activity_totals(activity),
        device=(activity.device or None) and activity.device[:100],
        provenance=json.dumps(activity.provenance, sort_keys=True),
        laps=laps_to_json(activity.laps),
    )
    row.series = ActivitySeries(n_samples=blob[0], data=blob[1])
    return row


def _end(start: dt.datetime, elapsed_s: float | None, moving_s: float | None) -> dt.datetime:
    return start + dt.timedelta(seconds=float(elapsed_s or moving_s or 0.0))


def _close(a: float | None, b: float | None, rel: float, abs_tol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(abs_tol, rel * max(abs(a), abs(b)))


def is_same_activity(activity: Activity, row: ActivityRow) -> bool:
    """The same activity recorded or exported twice (pure: compares totals and times).

    - starts within DUPLICATE_WINDOW_S and the same sport (or either sport only guessed);
    - or the two overlap in time for at least OVERLAP_SHARE of the shorter one and cover the
      same distance (within DISTANCE_TOLERANCE): the same pool swim labelled differently by
      two formats, a re-encoded copy that shifted the start;
    - or a copy whose start is off by whole hours (a re-encoder that wrote local time as
      UTC, a summary CSV in local time) with the same distance and duration, when one of the
      two has no trustworthy clock (no device named, or a summary row).
    """
    start, other = _naive_utc(activity.start), row.start_time
    gap = abs((start - other).total_seconds())
    guessed = is_guessed(activity) or bool(row.sport_guessed)
    if gap <= DUPLICATE_WINDOW_S and (row.sport == activity.sport or guessed):
        return True
    same_distance = _close(activity.distance_m, row.distance_m, DISTANCE_TOLERANCE, 20.0)
    if not same_distance or not (activity.distance_m or activity.elapsed_s):
        return False
    end = _end(start, activity.elapsed_s, activity.moving_s)
    other_end = _end(other, row.elapsed_s, row.moving_s)
    overlap = (min(end, other_end) - max(start, other)).total_seconds()
    shorter = min((end - start).total_seconds(), (other_end - other).total_seconds())
    if shorter > 0 and overlap >= OVERLAP_SHARE * shorter:
        return True
    rest = gap % 3600
    near_hour = min(rest, 3600 - rest) <= DUPLICATE_WINDOW_S and 1 <= round(gap / 3600) <= 14
    same_time = _close(activity.elapsed_s, row.elapsed_s, 0.01, 5.0)
    close_distance = _close(activity.distance_m, row.distance_m, 0.01, 10.0)
    # Only a copy whose clock cannot be trusted (a re-encoded file without a device, a
    # summary CSV or manual entry): two commutes of the same length a few hours apart from
    # one watch stay two runs.
    untrusted = _untrusted_clock(activity.source_format, activity.device) or _untrusted_clock(
        row.source_format, row.device
    )
    return bool(near_hour and same_time and close_distance and untrusted and activity.distance_m)


def _untrusted_clock(source_format: str | None, device: str | None) -> bool:
    if source_format in ("csv", "manual"):
        return True
    return (device or "").strip().lower() in UNKNOWN_DEVICES


def _twin(session: Session, activity: Activity) -> ActivityRow | None:
    """An already stored activity that is the same one (see `is_same_activity`)."""
    start = _naive_utc(activity.start)
    lo = start - dt.timedelta(hours=15)
    hi = _end(start, activity.elapsed_s, activity.moving_s) + dt.timedelta(hours=15)
    candidates = session.scalars(
        select(ActivityRow)
        .where(ActivityRow.deleted_at.is_(None))
        .where(ActivityRow.start_time.between(lo, hi))
        .order_by(ActivityRow.id)
    ).all()
    matches = [row for row in candidates if is_same_activity(activity, row)]
    if not matches:
        return None
    return min(matches, key=lambda row: abs((row.start_time - start).total_seconds()))


def richness(
    has_hr: bool, has_cadence: bool, device: str | None, timer_from_device: bool, fmt: str, n: int
) -> tuple[int, int, int, int]:
    """Which copy of one activity to keep: the higher tuple (pure).

    First the sensor channels it carries (heart rate, cadence), then whether it is the
    device's own recording (a known manufacturer and the device's timer, not a re-encoded
    copy), then FIT over GPX/TCX, then the number of samples.
    """
    original = (device or "").strip().lower() not in UNKNOWN_DEVICES and timer_from_device
    return (int(has_hr) + int(has_cadence), int(original), int(fmt == "fit"), n)


def _activity_richness(activity: Activity, n_samples: int) -> tuple[int, int, int, int]:
    return richness(
        activity.hr_bpm is not None,
        activity.cadence_spm is not None,
        activity.device,
        activity.provenance.get("moving_s", "").startswith("device"),
        activity.source_format or "",
        n_samples,
    )


def _row_richness(row: ActivityRow) -> tuple[int, int, int, int]:
    provenance = json.loads(row.provenance or "{}")
    return richness(
        row.avg_hr_bpm is not None,
        row.avg_cadence_spm is not None,
        row.device,
        str(provenance.get("moving_s", "")).startswith("device"),
        row.source_format,
        row.series.n_samples if row.series is not None else 0,
    )


def _store_activities(session: Session, parsed: ParsedFile, now: dt.datetime) -> list[ImportResult]:
    results: list[ImportResult] = []
    note = "; ".join(parsed.notes) or None
    for activity, blob in zip(parsed.activities, parsed.series_blobs, strict=True):
        refused = refusal_reason(activity, now)
        if refused:
            results.append(_result(parsed.name, SKIPPED, activity, note=refused))
            continue
        twin = _twin(session, activity)
        if twin is not None and _activity_richness(activity, blob[0]) <= _row_richness(twin):
            if not twin.name and activity.name:  # merge: the stored copy gets the name
                twin.name = activity.name[:300]
            results.append(
                _result(
                    parsed.name,
                    DUPLICATE,
                    activity,
                    twin.id,
                    note=f"same {activity.sport} as activity {twin.id} ({twin.source_file}),"
                    " which is kept (as rich or richer)",
                )
            )
            continue
        replaced = None
        if twin is not None:  # the richer copy replaces the stored one
            replaced = (
                f"replaced {twin.source_format.upper()} copy {twin.id} ({twin.source_file}),"
                " which was poorer"
            )
            activity.name = activity.name or twin.name
            if is_guessed(activity) and not twin.sport_guessed:
                activity.sport, activity.sub_sport = twin.sport, twin.sub_sport
                activity.provenance["sport"] = "from the replaced copy"
            old_source = session.scalar(
                select(SourceFile).where(SourceFile.sha256 == twin.source_sha256)
            )
            if old_source is not None:
                old_source.status, old_source.note = DUPLICATE, f"replaced by {parsed.name}"
            session.delete(twin)
            session.flush()
        row = _new_row(activity, parsed.sha256 or "", blob)
        session.add(row)
        session.flush()
        results.append(
            _result(
                parsed.name,
                IMPORTED,
                activity,
                row.id,
                note="; ".join(x for x in (note, replaced) if x) or None,
            )
        )
    return results


def _store(db: Database, parsed: ParsedFile, now: dt.datetime) -> list[ImportResult]:
    if parsed.status == ERROR or parsed.sha256 is None:
        return [_result(parsed.name, ERROR, error=parsed.reason or "unreadable")]
    with db.session() as session:
        known = session.scalar(select(SourceFile).where(SourceFile.sha256 == parsed.sha256))
        if known is not None:
            if known.status == SKIPPED:
                return [_result(parsed.name, SKIPPED, error=None, note=known.note)]
            rows = session.scalars(
                select(ActivityRow)
                .where(ActivityRow.source_sha256 == parsed.sha256)
                .order_by(ActivityRow.leg_index)
            ).all()
            note = f"same file already imported as {known.name}"
            if not rows:
                return [_result(parsed.name, DUPLICATE, note=note)]
            return [
                _row_result(
                    parsed.name,
                    DUPLICATE,
                    row,
                    note
                    if row.deleted_at is None
                    else f"{note}; its activity {row.id} was deleted"
                    f" (restore it: strideback activities --restore {row.id})",
                )
                for row in rows
            ]
        source = SourceFile(
            sha256=parsed.sha256,
            name=parsed.name[:500],
            format=parsed.format or "?",
            size_bytes=parsed.size_bytes,
            status=parsed.status,
            note=parsed.reason,
        )
        session.add(source)
        session.flush()
        if parsed.status == SKIPPED:
            return [_result(parsed.name, SKIPPED, note=parsed.reason)]
        results = _store_activities(session, parsed, now)
        if all(r.status == SKIPPED for r in results):
            source.status = SKIPPED
            source.note = "; ".join(dict.fromkeys(r.note or "" for r in results))[:2000]
        elif not any(r.status == IMPORTED for r in results):
            source.status = DUPLICATE
        return results


def _known_hashes(db: Database, hashes: list[str]) -> set[str]:
    """Which of these SHA-256 hashes were seen before (their files need no parsing)."""
    wanted = sorted(set(hashes))
    seen: set[str] = set()
    with db.session() as session:
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            seen.update(
                session.scalars(select(SourceFile.sha256).where(SourceFile.sha256.in_(chunk)))
            )
    return seen


def import_paths(
    db: Database,
    paths: Sequence[Path],
    progress: Progress | None = None,
    workers: int | None = None,
    now: dt.datetime | None = None,
) -> list[ImportResult]:
    """Import files, folders and archives; one result per file (per leg), in input order.

    Items are streamed (archives member by member) in batches: each batch is read and hashed
    once, files seen before are not parsed again, the rest are parsed (in worker processes
    for big batches) and each file is stored in its own transaction.
    `progress(done, total, current_name)` is called after each file (`total` grows as nested
    archives are opened). `now` (default: the clock) bounds start dates.
    """
    stream = ItemStream([Path(p) for p in paths])
    parser = _Parser(workers)
    clock = now or dt.datetime.now(dt.UTC)
    results: list[ImportResult] = []
    done = 0
    try:
        for batch in _batches(stream, BATCH_ITEMS):
            for item in batch:
                _read_once(item)
            known = _known_hashes(db, [i.sha256 for i in batch if i.sha256])
            fresh = parser.parse([i for i in batch if i.sha256 not in known or i.error])
            for item in batch:
                if item.sha256 in known and not item.error:
                    parsed = ParsedFile(name=item.name, sha256=item.sha256)
                else:
                    parsed = next(fresh)
                item.data = None  # the bytes are no longer needed: free them early
                for activity in parsed.activities:  # Garmin exports: names from their JSON
                    activity.name = activity.name or stream.names.name_at(activity.start)
                try:
                    results.extend(_store(db, parsed, clock))
                except Exception as exc:  # a database problem with one file: the batch goes on
                    results.append(_result(parsed.name, ERROR, error=f"could not store: {exc}"))
                done += 1
                if progress is not None:
                    progress(done, max(stream.total, done), parsed.name)
    finally:
        parser.close()
    return results
