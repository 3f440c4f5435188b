"""Strava bulk export `activities.csv`: which file is which activity, in any export language.

Strava writes the header in the account's language. The columns we use are found by their
known translations (English, German, French, Spanish, Italian, Dutch, Portuguese: see
strava_csv.yaml); a header we do not know falls back to the column's position in Strava's
layout (date 1, name 2, type 3), and the file column is the one whose cells name activity
files. Rows without a file are Strava manual entries: returned by `manual_entries`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from strideback.activities.sports import strava_type
from strideback.datafile import load_yaml

Hints = dict[str, tuple[str | None, str | None]]  # file name -> (activity name, sport)
HEADERS_FILE = Path(__file__).with_name("strava_csv.yaml")
FILE_CELL = re.compile(r"^activities/.+\.(fit|gpx|tcx)(\.gz)?$", re.IGNORECASE)
MAX_ROWS = 200_000
csv.field_size_limit(1024 * 1024)  # a long description is fine; a corrupt file is not


class _Columns(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: list[str]
    name: list[str]
    type: list[str]
    filename: list[str]
    elapsed_s: list[str]
    moving_s: list[str]
    distance: list[str]


class HeaderFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: _Columns
    positions: dict[str, int]


@cache
def _headers() -> HeaderFile:
    return load_yaml(HEADERS_FILE, HeaderFile)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower().replace("’", "'"))


def _locate(header: list[str], rows: list[list[str]]) -> dict[str, list[int]]:
    """Column role -> indexes (all occurrences: Strava repeats Distance and Elapsed Time)."""
    known = _headers()
    names = [_norm(h) for h in header]
    found: dict[str, list[int]] = {}
    for role, translations in known.columns.model_dump().items():
        wanted = {_norm(t) for t in translations}
        found[role] = [i for i, name in enumerate(names) if name in wanted]
    for role, position in known.positions.items():
        if not found.get(role) and position < len(header):
            found[role] = [position]
    if not found.get("filename"):
        for i in range(len(header)):
            cells = [r[i] for r in rows[:200] if i < len(r) and r[i].strip()]
            if cells and all(FILE_CELL.match(c.strip().replace("\\", "/")) for c in cells):
                found["filename"] = [i]
                break
    return found


def _cell(row: list[str], indexes: list[int], which: int = 0) -> str:
    if len(indexes) <= which:
        return ""
    i = indexes[which]
    return row[i].strip() if i < len(row) else ""


def _table(text: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ValueError("activities.csv is empty")
    rows = []
    for row in reader:
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise ValueError(f"activities.csv has more than {MAX_ROWS} rows")
    return header, rows


def parse_strava_csv(text: str) -> Hints:
    """Filename -> (Activity Name, sport). Rows without a file (manual entries) are left out."""
    header, rows = _table(text)
    cols = _locate(header, rows)
    hints: Hints = {}
    for row in rows:
        filename = _cell(row, cols["filename"]).replace("\\", "/")
        if filename:
            hints[filename] = (
                _cell(row, cols["name"]) or None,
                strava_type(_cell(row, cols["type"]) or None),
            )
    return hints


@dataclass(frozen=True)
class ManualEntry:
    """A Strava activity entered by hand (no file): what the export says about it."""

    row: int
    start: dt.datetime  # UTC (Strava writes activity dates in UTC)
    name: str | None
    sport: str | None
    elapsed_s: float | None
    moving_s: float | None
    distance_m: float | None


DATE_FORMATS = ("%b %d, %Y, %I:%M:%S %p", "%d %b %Y, %H:%M:%S", "%Y-%m-%d %H:%M:%S")


def _date(text: str) -> dt.datetime | None:
    text = text.strip()
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        value = None
    for fmt in DATE_FORMATS:
        if value is not None:
            break
        try:
            value = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _number(text: str) -> float | None:
    text = text.strip().replace(",", "") if text.count(",") and "." in text else text.strip()
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def manual_entries(text: str) -> tuple[list[ManualEntry], int]:
    """Rows without a file: (entries we could read, rows whose date we could not read).

    Distance: the second "Distance" column is in metres when Strava repeats it; the first is
    in km. Times are seconds.
    """
    header, rows = _table(text)
    cols = _locate(header, rows)
    out: list[ManualEntry] = []
    unreadable = 0
    for n, row in enumerate(rows, start=2):
        if not any(c.strip() for c in row) or _cell(row, cols["filename"]):
            continue
        start = _date(_cell(row, cols["date"]))
        if start is None:
            unreadable += 1
            continue
        distance = None
        if len(cols["distance"]) > 1:
            distance = _number(_cell(row, cols["distance"], 1))
        if distance is None:
            km = _number(_cell(row, cols["distance"]))
            distance = km * 1000 if km is not None else None
        elapsed = _number(_cell(row, cols["elapsed_s"], len(cols["elapsed_s"]) - 1)) or _number(
            _cell(row, cols["elapsed_s"])
        )
        out.append(
            ManualEntry(
                row=n,
                start=start,
                name=_cell(row, cols["name"]) or None,
                sport=strava_type(_cell(row, cols["type"]) or None),
                elapsed_s=elapsed,
                moving_s=_number(_cell(row, cols["moving_s"])),
                distance_m=distance,
            )
        )
    return out, unreadable
