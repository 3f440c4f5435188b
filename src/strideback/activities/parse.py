"""One file's bytes -> activities (pure apart from CPU: safe to run in worker processes)."""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from dataclasses import dataclass, field

from strideback.activities.errors import ImportFailure, NotAnActivity
from strideback.activities.fit_build import build_fit_activities
from strideback.activities.fit_slow import decode_fit_slow
from strideback.activities.gpx import read_gpx
from strideback.activities.laps import fill_lap_totals
from strideback.activities.local_time import fill_local_offset
from strideback.activities.series_codec import encode_series
from strideback.activities.sniff import EMPTY, FIT, GPX, GZIP, TCX, ZIP, format_from_name, sniff
from strideback.activities.sources import MAX_MEMBER_BYTES, FileItem
from strideback.activities.tcx import read_tcx
from strideback.domain import Activity, Series

IMPORTED, DUPLICATE, SKIPPED, ERROR = "imported", "duplicate", "skipped", "error"


@dataclass
class ParsedFile:
    """What a worker hands back for one file item."""

    name: str
    sha256: str | None = None
    size_bytes: int = 0
    format: str | None = None
    activities: list[Activity] = field(default_factory=list)
    status: str = IMPORTED  # imported (to be stored) | skipped | error
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    decoder: str | None = None
    # (number of samples, encoded blob) per activity: encoded here, in the worker.
    series_blobs: list[tuple[int, bytes]] = field(default_factory=list)


def gunzip(data: bytes, limit: int = MAX_MEMBER_BYTES) -> bytes:
    """Inflate gzip data, refusing more than `limit` bytes (gzip bombs)."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            while chunk := fh.read(1024**2):
                out.write(chunk)
                if out.tell() > limit:
                    raise ImportFailure(f"gzip inflates past the {limit // 1024**2} MiB cap")
    except (OSError, EOFError, zlib.error) as exc:
        raise ImportFailure(f"not a readable gzip file ({exc})") from None
    return out.getvalue()


def decode_fit(data: bytes) -> tuple[list[Activity], list[str], str]:
    """FIT bytes -> activities: the fast numpy decoder, fitdecode for anything it declines."""
    from strideback.activities.fit_fast import FastPathDeclined, decode_fit_fast

    try:
        content = decode_fit_fast(data)
    except FastPathDeclined:
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
        inner = gunzip(data)
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
    elif kind == ZIP:
        raise ImportFailure("zip archive inside an unexpected place")
    else:
        raise ImportFailure("unknown format (not FIT, GPX or TCX)")


def parse_item(item: FileItem) -> ParsedFile:
    """Read and parse one item; every failure becomes a status with a reason, never a raise."""
    result = ParsedFile(name=item.name)
    if item.error:
        result.status, result.reason = ERROR, item.error
        return result
    try:
        data = item.read()
    except OSError as exc:
        result.status, result.reason = ERROR, f"cannot read: {exc.strerror or exc}"
        if "refused" in str(exc):
            result.reason = str(exc)
        return result
    result.size_bytes = len(data)
    result.sha256 = hashlib.sha256(data).hexdigest()
    try:
        _parse_bytes(item.name, data, item, result)
    except NotAnActivity as exc:
        result.status, result.reason = SKIPPED, str(exc)
    except ImportFailure as exc:
        result.status, result.reason = ERROR, str(exc)
    except Exception as exc:  # a reader bug must not stop the batch: report it per file
        result.status, result.reason = ERROR, f"unexpected {type(exc).__name__}: {exc}"
    if result.status == IMPORTED:
        for activity in result.activities:
            fill_lap_totals(activity)
            fill_local_offset(activity)
            result.series_blobs.append((len(activity.series), encode_series(activity.series)))
            activity.series = Series()  # travels back to the main process as the blob only
            activity.source_file = item.name
            activity.name = activity.name or item.name_hint
            if item.sport_hint and activity.sport == "other":
                activity.sport = item.sport_hint
    return result
