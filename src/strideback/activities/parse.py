"""One file's bytes -> activities (pure apart from CPU: safe to run in worker processes)."""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from strideback.activities.bounds import clean_activity, dropped_note, load_bounds
from strideback.activities.errors import ImportFailure, NotAnActivity
from strideback.activities.fit_build import build_fit_activities
from strideback.activities.fit_slow import decode_fit_slow
from strideback.activities.gpx import read_gpx
from strideback.activities.laps import fill_lap_totals
from strideback.activities.local_time import fill_local_offset
from strideback.activities.series_codec import encode_series
from strideback.activities.sniff import (
    CSV,
    EMPTY,
    FIT,
    GPX,
    GZIP,
    TCX,
    ZIP,
    format_from_name,
    sniff,
)
from strideback.activities.sources import MAX_MEMBER_BYTES, MAX_RATIO, RATIO_FROM_BYTES, FileItem
from strideback.activities.summary_csv import read_summary_csv
from strideback.activities.tcx import read_tcx
from strideback.domain import Activity, Series

# What became of one imported file (or leg): a closed vocabulary, defined once here.
ImportStatus = Literal["imported", "duplicate", "skipped", "error"]
IMPORTED: ImportStatus = "imported"
DUPLICATE: ImportStatus = "duplicate"
SKIPPED: ImportStatus = "skipped"
ERROR: ImportStatus = "error"


@dataclass
class ParsedFile:
    """What a worker hands back for one file item."""

    name: str
    sha256: str | None = None
    size_bytes: int = 0
    format: str | None = None
    activities: list[Activity] = field(default_factory=list)
    status: ImportStatus = IMPORTED  # imported (to be stored) | skipped | error
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    decoder: str | None = None
    # (number of samples, encoded blob) per activity: encoded here, in the worker.
    series_blobs: list[tuple[int, bytes]] = field(default_factory=list)


def gunzip(data: bytes, limit: int = MAX_MEMBER_BYTES) -> bytes:
    """Inflate gzip data, refusing more than `limit` bytes or a bomb's ratio (gzip bombs)."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            while chunk := fh.read(1024**2):
                out.write(chunk)
                size = out.tell()
                if size > limit:
                    raise ImportFailure(f"gzip inflates past the {limit // 1024**2} MiB cap")
                if size > RATIO_FROM_BYTES and size > MAX_RATIO * len(data):
                    raise ImportFailure(f"gzip compression ratio above {MAX_RATIO:.0f}:1 (bomb?)")
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportFailure(f"not a readable gzip file ({exc})") from None
    return out.getvalue()


def decode_fit(data: bytes) -> tuple[list[Activity], list[str], str]:
    """FIT bytes -> activities: the fast numpy decoder, fitdecode for anything it declines."""
    from strideback.activities.fit_fast import decode_fit_fast

    try:
        content = decode_fit_fast(data)
    except Exception:  # noqa: BLE001 - FastPathDeclined or any decode error: fitdecode decides
        content = decode_fit_slow(data)
    activities = build_fit_activities(content)
    return activities, content.notes, content.decoder


def _parse_bytes(name: str, data: bytes, item: FileItem, result: ParsedFile) -> None:
    kind = sniff(data)
    if kind == EMPTY:
        raise ImportFailure("empty file (0 bytes)")
    if kind is None:
        kind = format_from_name(name.removesuffix(".gz").removesuffix(".GZ"))
    if kind == GZIP:
        inner = gunzip(data, min(MAX_MEMBER_BYTES, item.inflate_limit))
        inner_name = name[:-3] if name.lower().endswith(".gz") else name
        if sniff(inner) in (GZIP, ZIP):
            raise ImportFailure("gzip holds another archive; not supported")
        _parse_bytes(inner_name, inner, item, result)
        result.format = (result.format or "?") + ".gz"
        return
    result.format = kind
    if kind == FIT:
        result.activities, notes, result.decoder = decode_fit(data)
        result.notes.extend(notes)
    elif kind == GPX:
        result.activities = read_gpx(data, item.sport_hint, item.name_hint)
    elif kind == TCX:
        result.activities = read_tcx(data, item.sport_hint)
    elif kind == CSV:
        result.activities, notes = read_summary_csv(data)
        result.notes.extend(notes)
    elif kind == ZIP:
        raise ImportFailure("zip archive inside an unexpected place")
    else:
        raise ImportFailure("unknown format (not FIT, GPX or TCX)")


def _finish(activity: Activity, item: FileItem) -> None:
    """What every reader's activity gets before bounds: lap totals, local time, hints."""
    activity.source_file = item.name
    activity.name = activity.name or item.name_hint
    if item.sport_hint and activity.sport == "other":
        activity.sport = item.sport_hint
    fill_lap_totals(activity)
    fill_local_offset(activity)


def _keep_plausible(result: ParsedFile) -> None:
    """Bounds on every activity of the file: drop impossible values (refusals: see service)."""
    limit = load_bounds().max_activities_per_file
    if len(result.activities) > limit and result.format != CSV:  # a CSV has a row each
        raise ImportFailure(
            f"{len(result.activities)} activities in one file (more than {limit}): corrupt file"
        )
    for activity in result.activities:
        reader_note = activity.provenance.pop("reader_note", None)
        if reader_note and reader_note not in result.notes:
            result.notes.append(reader_note)
        clean_activity(activity)
        note = dropped_note(activity)
        if note:
            result.notes.append(note)


def _parse_all(item: FileItem, data: bytes, result: ParsedFile) -> None:
    _parse_bytes(item.name, data, item, result)
    for activity in result.activities:
        _finish(activity, item)
    _keep_plausible(result)
    for activity in result.activities:
        result.series_blobs.append((len(activity.series), encode_series(activity.series)))
        activity.series = Series()  # travels back to the main process as the blob only


def parse_item(item: FileItem) -> ParsedFile:
    """Read and parse one item; every failure becomes a status with a reason, never a raise."""
    result = ParsedFile(name=item.name)
    if item.manual is not None:
        return _manual(item, result)
    if item.error:
        result.status, result.reason = ERROR, " ".join(item.error.split())[:500]
        return result
    try:
        data = item.read()
    except OSError as exc:
        result.status, result.reason = ERROR, f"cannot read: {exc.strerror or exc}"
        if "refused" in str(exc):
            result.reason = str(exc)
        return result
    result.size_bytes = len(data)
    result.sha256 = item.sha256 or hashlib.sha256(data).hexdigest()
    try:
        with np.errstate(all="ignore"):  # corrupt numbers overflow quietly; bounds handle them
            _parse_all(item, data, result)
    except NotAnActivity as exc:
        result.status, result.reason = SKIPPED, str(exc)
    except ImportFailure as exc:
        result.status, result.reason = ERROR, str(exc)
    except MemoryError:
        result.status, result.reason = ERROR, "file too large to decode in memory"
    except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the batch
        what = (result.format or "activity").upper()
        result.status, result.reason = ERROR, f"not a readable {what} file ({_describe(exc)})"
    if result.status != IMPORTED:
        result.activities, result.series_blobs = [], []
    if result.reason:  # one line per input, whatever the library's message looked like
        result.reason = " ".join(result.reason.split())[:500]
    return result


def _manual(item: FileItem, result: ParsedFile) -> ParsedFile:
    """A Strava manual entry: a summary-only activity (no series), hashed by its row."""
    entry = item.manual
    assert entry is not None
    key = f"strava-manual|{entry.start.isoformat()}|{entry.name}|{entry.sport}|{entry.elapsed_s}"
    result.sha256 = hashlib.sha256(key.encode()).hexdigest()
    result.format = "manual"
    activity = Activity(
        sport=entry.sport or "other",
        start=entry.start,
        name=entry.name,
        distance_m=entry.distance_m,
        elapsed_s=entry.elapsed_s,
        moving_s=entry.moving_s or entry.elapsed_s,
        source_format="manual",
        source_file=item.name,
        provenance={"summary_only": "Strava manual entry (no file)"},
    )
    with np.errstate(all="ignore"):
        clean_activity(activity)
    result.activities = [activity]
    result.series_blobs = [(0, encode_series(Series()))]
    return result


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
