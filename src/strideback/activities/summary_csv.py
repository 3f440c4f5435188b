"""Summary CSVs (Garmin Connect, intervals.icu, Runalyze): one summary-only activity per row.

Which export a CSV is comes from its header (summary_csv.yaml). A start given as a local
date-time without a zone is kept as the local time (the local day, which the weekly load
uses, is right; the UTC instant is unknown). Rows that cannot be read are counted in a note.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from strideback.activities.errors import ImportFailure, NotAnActivity
from strideback.datafile import load_yaml
from strideback.domain import Activity

SOURCES_FILE = Path(__file__).with_name("summary_csv.yaml")
MAX_ROWS = 100_000


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    column: str
    unit: Literal["km", "m", "mi", "s", "hms", "local", "unix"]


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str
    detect: list[str]
    start: Column
    sport: str
    name: str
    distance: Column
    elapsed: Column
    moving: Column
    hr: str
    max_hr: str
    cadence: str
    ascent: str
    descent: str


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    sources: dict[str, Source]
    sports: dict[str, str]


@cache
def _sources() -> SourcesFile:
    return load_yaml(SOURCES_FILE, SourcesFile)


def detect(header: list[str]) -> str | None:
    """Which summary export a header belongs to (its key in summary_csv.yaml), or None."""
    names = {h.strip() for h in header}
    for key, source in _sources().sources.items():
        if all(d in names for d in source.detect):
            return key
    return None


def sniff_summary_csv(head: bytes) -> str | None:
    """The export a CSV's first bytes belong to, or None (also for non-CSV bytes)."""
    text = head.decode("utf-8-sig", errors="replace")
    first = next(csv.reader(io.StringIO(text.splitlines()[0] if text else "")), [])
    return detect(first)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    text = text.strip().replace(",", "") if "." in text else text.strip().replace(",", ".")
    if text in ("", "--", "-"):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _duration(text: str | None, unit: str) -> float | None:
    if text is None or not text.strip():
        return None
    if unit == "s":
        return _number(text)
    parts = text.strip().split(":")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        return None
    seconds = 0.0
    for value in values:
        seconds = seconds * 60 + value
    return seconds


def _distance(text: str | None, unit: str) -> float | None:
    value = _number(text)
    if value is None:
        return None
    return value * {"km": 1000.0, "m": 1.0, "mi": 1609.344}[unit]


def _start(text: str | None, unit: str) -> dt.datetime | None:
    if text is None or not text.strip():
        return None
    try:
        if unit == "unix":
            return dt.datetime.fromtimestamp(float(text), dt.UTC)
        value = dt.datetime.fromisoformat(text.strip().replace("/", "-"))
    except (ValueError, OverflowError, OSError):
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def read_summary_csv(data: bytes) -> tuple[list[Activity], list[str]]:
    """Activities (summary only) from a summary CSV; (activities, notes)."""
    text = data.decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    key = detect(list(reader.fieldnames or []))
    if key is None:
        raise NotAnActivity("CSV is not a known activity summary export")
    source = _sources().sources[key]
    sports = _sources().sports
    activities: list[Activity] = []
    unreadable = 0
    for n, row in enumerate(reader):
        if n >= MAX_ROWS:
            raise ImportFailure(f"{source.label} has more than {MAX_ROWS} rows")
        start = _start(row.get(source.start.column), source.start.unit)
        if start is None:
            unreadable += 1
            continue
        word = (row.get(source.sport) or "").strip().lower()
        sport = sports.get(word, "running" if key == "runalyze" and not word else "other")
        activities.append(
            Activity(
                sport=sport,
                start=start,
                name=(row.get(source.name) or "").strip() or None,
                distance_m=_distance(row.get(source.distance.column), source.distance.unit),
                elapsed_s=_duration(row.get(source.elapsed.column), source.elapsed.unit),
                moving_s=_duration(row.get(source.moving.column), source.moving.unit),
                hr_bpm=_number(row.get(source.hr)),
                max_hr_bpm=_number(row.get(source.max_hr)),
                cadence_spm=_number(row.get(source.cadence)),
                ascent_m=_number(row.get(source.ascent)),
                descent_m=_number(row.get(source.descent)),
                source_format="csv",
                leg_index=len(activities),
                provenance={
                    "summary_only": source.label,
                    **(
                        {"sport": "guessed-runalyze-default"}
                        if key == "runalyze" and not word
                        else {}
                    ),
                    **(
                        {"start": "local time, zone unknown"}
                        if source.start.unit == "local"
                        else {}
                    ),
                },
            )
        )
    for activity in activities:
        if activity.moving_s is None:
            activity.moving_s = activity.elapsed_s
        if activity.elapsed_s is None:
            activity.elapsed_s = activity.moving_s
    notes = [f"{unreadable} rows without a readable start date left out"] if unreadable else []
    if not activities:
        raise ImportFailure(f"{source.label} holds no row with a readable start date")
    return activities, notes
