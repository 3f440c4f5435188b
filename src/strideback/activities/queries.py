"""Queries and edits of stored activities: the only code (with the import in `service`) that
reads or writes the activities, activity_series and source_files tables.

Other capabilities call these functions: load (`activity_totals`), coach (`running_history`,
`runs_between_in`, `get_summary`, `activity_fingerprint`, `activities_csv_rows`), the web
(`list_activities`, `get_activity`, `set_sport`, `delete_activity`, `restore_activity`).
A deleted activity is kept (soft delete, `deleted_at`) so it can be restored; every query
here leaves deleted activities out.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strideback.activities.laps import laps_from_json
from strideback.activities.series_codec import decode_series
from strideback.domain import RUN_SUB_SPORTS, SPORTS, Activity, Series, Sport
from strideback.store.activities import ActivityRow
from strideback.store.db import Database


@dataclass
class ActivitySummary:
    """A stored activity without its series (what lists and the diary need)."""

    id: int
    sport: str
    sub_sport: str | None
    name: str | None
    start_time: dt.datetime  # timezone-aware UTC
    utc_offset_s: int | None
    distance_m: float | None
    elapsed_s: float | None
    moving_s: float | None
    ascent_m: float | None
    descent_m: float | None
    avg_cadence_spm: float | None
    avg_hr_bpm: float | None
    max_hr_bpm: float | None
    device: str | None
    source_format: str
    source_file: str
    sport_guessed: bool = False  # the file named no sport; set_sport corrects it
    n_laps: int = 0

    @property
    def local_start(self) -> dt.datetime:
        return self.start_time + dt.timedelta(seconds=self.utc_offset_s or 0)

    @property
    def pace_s_per_km(self) -> float | None:
        if not self.distance_m or not self.moving_s:
            return None
        return self.moving_s / (self.distance_m / 1000.0)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start_time"] = self.start_time.isoformat()
        data["pace_s_per_km"] = self.pace_s_per_km
        return data


def _naive_utc(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.UTC).replace(tzinfo=None) if t.tzinfo else t


def _aware(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t


def is_guessed(activity: Activity) -> bool:
    return activity.provenance.get("sport", "").startswith("guessed")


def _row_totals(row: ActivityRow) -> dict[str, Any]:
    """The summary numbers a stored row carries, as ImportResult and ActivitySummary name them."""
    return {
        "sport": row.sport,
        "start_time": _aware(row.start_time),
        "distance_m": row.distance_m,
        "elapsed_s": row.elapsed_s,
        "moving_s": row.moving_s,
        "ascent_m": row.ascent_m,
        "descent_m": row.descent_m,
        "avg_cadence_spm": row.avg_cadence_spm,
        "avg_hr_bpm": row.avg_hr_bpm,
        "sport_guessed": bool(row.sport_guessed),
    }


LIVE = ActivityRow.deleted_at.is_(None)
MAX_ID = 2**63 - 1  # larger ids cannot exist (and some databases refuse them in a query)


def _live_row(session: Session, activity_id: int) -> ActivityRow:
    """The activity (not deleted); KeyError when there is none with that id."""
    row = session.get(ActivityRow, activity_id) if 0 < activity_id <= MAX_ID else None
    if row is None or row.deleted_at is not None:
        raise KeyError(f"no activity with id {activity_id}")
    return row


def _summary(row: ActivityRow) -> ActivitySummary:
    return ActivitySummary(
        id=row.id,
        sub_sport=row.sub_sport,
        name=row.name,
        utc_offset_s=row.utc_offset_s,
        max_hr_bpm=row.max_hr_bpm,
        device=row.device,
        source_format=row.source_format,
        source_file=row.source_file,
        **_row_totals(row),
        n_laps=len(json.loads(row.laps)) if row.laps else 0,
    )


def list_activities(
    db: Database, sport: str | None = None, limit: int | None = None, offset: int = 0
) -> list[ActivitySummary]:
    """Stored activities, newest first."""
    query = (
        select(ActivityRow)
        .where(LIVE)
        .order_by(ActivityRow.start_time.desc(), ActivityRow.id.desc())
    )
    if sport:
        query = query.where(ActivityRow.sport == sport)
    query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    with db.session() as session:
        return [_summary(row) for row in session.scalars(query)]


def get_activity(db: Database, activity_id: int) -> Activity:
    """One stored activity with its series; KeyError when there is none with that id."""
    with db.session() as session:
        row = _live_row(session, activity_id)
        blob = row.series.data if row.series is not None else None
        return Activity(
            sport=row.sport,
            sub_sport=row.sub_sport,
            start=_aware(row.start_time),
            utc_offset_s=row.utc_offset_s,
            name=row.name,
            distance_m=row.distance_m,
            elapsed_s=row.elapsed_s,
            moving_s=row.moving_s,
            ascent_m=row.ascent_m,
            descent_m=row.descent_m,
            cadence_spm=row.avg_cadence_spm,
            hr_bpm=row.avg_hr_bpm,
            max_hr_bpm=row.max_hr_bpm,
            device=row.device,
            source_format=row.source_format,
            source_file=row.source_file,
            leg_index=row.leg_index,
            laps=laps_from_json(row.laps),
            series=decode_series(blob) if blob else Series(),
            provenance=json.loads(row.provenance or "{}"),
        )


def activities_on(db: Database, day: dt.date) -> list[ActivitySummary]:
    """Activities that started on `day` in the runner's local time (UTC where unknown)."""
    lo = dt.datetime.combine(day, dt.time()) - dt.timedelta(days=1)
    hi = lo + dt.timedelta(days=3)
    query = (
        select(ActivityRow)
        .where(LIVE)
        .where(ActivityRow.start_time >= lo)
        .where(ActivityRow.start_time < hi)
        .order_by(ActivityRow.start_time)
    )
    with db.session() as session:
        rows = [_summary(row) for row in session.scalars(query)]
    return [s for s in rows if s.local_start.date() == day]


def set_sport(
    db: Database, activity_id: int, sport: str, sub_sport: str | None = None
) -> ActivitySummary:
    """Correct an activity's sport (e.g. a GPX hike guessed as a run); load then counts it right.

    `sport` is one of domain.SPORTS; for running, `sub_sport` is one of RUN_SUB_SPORTS
    (default "generic"). KeyError when there is no such activity, ValueError for a sport or
    sub-sport we do not know.
    """
    name = sport.strip().lower()
    if name not in SPORTS:
        raise ValueError(f"unknown sport {name!r}: choose one of {', '.join(SPORTS)}")
    chosen: Sport = name
    sub = sub_sport.strip().lower() if sub_sport else None
    if chosen == "running":
        sub = sub or "generic"
        if sub not in RUN_SUB_SPORTS:
            raise ValueError(
                f"unknown running sub-sport {sub!r}: choose one of {', '.join(RUN_SUB_SPORTS)}"
            )
    elif sub is not None and len(sub) > 32:
        raise ValueError("sub-sport too long (32 characters at most)")
    with db.session() as session:
        row = _live_row(session, activity_id)
        provenance = json.loads(row.provenance or "{}")
        provenance["sport"] = "runner"
        row.sport, row.sub_sport, row.sport_guessed = chosen, sub, False
        row.provenance = json.dumps(provenance, sort_keys=True)
        session.flush()
        return _summary(row)


def get_summary(db: Database, activity_id: int) -> ActivitySummary:
    """One stored activity without its series; KeyError when there is none with that id."""
    with db.session() as session:
        return _summary(_live_row(session, activity_id))


# --------------------------------------------------------------------------- delete / undo


def delete_activity(db: Database, activity_id: int, now: dt.datetime | None = None) -> int:
    """Delete an activity (with its series and laps); returns the id to restore it with.

    The rows are kept, marked deleted, until `purge_deleted`: every query (lists, load, the
    diary's links, the pre-injury history) leaves them out at once, and `restore_activity`
    brings the activity back exactly. KeyError when there is no such activity.
    """
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None)
    with db.session() as session:
        row = _live_row(session, activity_id)
        row.deleted_at = when
        return row.id


def restore_activity(db: Database, activity_id: int) -> ActivitySummary:
    """Undo `delete_activity`. KeyError when there is no deleted activity with that id."""
    with db.session() as session:
        row = session.get(ActivityRow, activity_id) if 0 < activity_id <= MAX_ID else None
        if row is None or row.deleted_at is None:
            raise KeyError(f"no deleted activity with id {activity_id}")
        row.deleted_at = None
        session.flush()
        return _summary(row)


def purge_deleted(db: Database, older_than: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Remove activities deleted longer ago than `older_than` for good; how many."""
    cutoff = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None) - older_than
    with db.session() as session:
        rows = session.scalars(
            select(ActivityRow).where(
                ActivityRow.deleted_at.is_not(None), ActivityRow.deleted_at < cutoff
            )
        ).all()
        for row in rows:
            session.delete(row)
        return len(rows)


# --------------------------------------------------------------------------- for other capabilities


@dataclass(frozen=True)
class ActivityTotals:
    """The summary numbers the weekly load needs (no series, no names: fast for 10 years)."""

    id: int
    sport: str
    local_start: dt.datetime  # naive, in the runner's local time (UTC where unknown)
    distance_m: float | None
    moving_s: float | None
    elapsed_s: float | None
    ascent_m: float | None
    descent_m: float | None


def activity_totals(db: Database) -> list[ActivityTotals]:
    """Every stored activity's totals, oldest first."""
    cols = (
        ActivityRow.id,
        ActivityRow.sport,
        ActivityRow.start_time,
        ActivityRow.utc_offset_s,
        ActivityRow.distance_m,
        ActivityRow.moving_s,
        ActivityRow.elapsed_s,
        ActivityRow.ascent_m,
        ActivityRow.descent_m,
    )
    with db.session() as session:
        rows = session.execute(select(*cols).where(LIVE).order_by(ActivityRow.start_time)).all()
    return [
        ActivityTotals(
            id=r.id,
            sport=r.sport,
            local_start=r.start_time + dt.timedelta(seconds=r.utc_offset_s or 0),
            distance_m=r.distance_m,
            moving_s=r.moving_s,
            elapsed_s=r.elapsed_s,
            ascent_m=r.ascent_m,
            descent_m=r.descent_m,
        )
        for r in rows
    ]


def runs_between_in(session: Session, first: dt.date, last: dt.date) -> list[ActivitySummary]:
    """Running activities whose local day is in [first, last], oldest first, in the caller's
    session (for services that read several tables in one transaction)."""
    lo = dt.datetime.combine(first - dt.timedelta(days=1), dt.time())
    hi = dt.datetime.combine(last + dt.timedelta(days=2), dt.time())
    rows = session.scalars(
        select(ActivityRow)
        .where(LIVE)
        .where(ActivityRow.sport == "running")
        .where(ActivityRow.start_time >= lo, ActivityRow.start_time < hi)
        .order_by(ActivityRow.start_time, ActivityRow.id)
    ).all()
    runs = [_summary(r) for r in rows]
    return [r for r in runs if first <= r.local_start.date() <= last]


def running_history(db: Database, first: dt.date, last: dt.date) -> list[ActivitySummary]:
    """Running activities whose local day is in [first, last], oldest first."""
    with db.session() as session:
        return runs_between_in(session, first, last)


def summary_in(session: Session, activity_id: int) -> ActivitySummary:
    """One activity's summary in the caller's session; KeyError when there is none."""
    return _summary(_live_row(session, activity_id))


def activity_fingerprint(db: Database) -> tuple[Any, ...]:
    """Changes whenever activities are imported, deleted, restored or their sport corrected."""
    with db.session() as session:
        totals = session.execute(
            select(
                func.count(ActivityRow.id),
                func.max(ActivityRow.id),
                func.max(ActivityRow.imported_at),
                func.count(ActivityRow.deleted_at),
                func.max(ActivityRow.deleted_at),
            )
        ).one()
        by_sport = session.execute(
            select(ActivityRow.sport, func.count(ActivityRow.id), func.sum(ActivityRow.id))
            .where(LIVE)
            .group_by(ActivityRow.sport)
            .order_by(ActivityRow.sport)
        ).all()
    return (*totals, *(tuple(row) for row in by_sport))


# --------------------------------------------------------------------------- CSV export

# The columns of the activities CSV export, in order, with what each holds.
CSV_COLUMNS: dict[str, str] = {
    "id": "StrideBack's activity number",
    "start_utc": "start time, ISO 8601 in UTC with its offset (+00:00)",
    "start_local": "start time in the runner's local time, ISO 8601 with the local offset"
    " (empty offset: unknown, then the same as UTC)",
    "utc_offset_min": "local offset from UTC in minutes (empty: unknown)",
    "name": "the activity's name (from the file or the export)",
    "sport": "running, walking, hiking, cycling, swimming or other",
    "sub_sport": "e.g. road, trail, treadmill, track for running",
    "sport_guessed": "yes when the file named no sport and StrideBack guessed it",
    "distance_km": "distance in km, 3 decimals",
    "moving_time_s": "moving (timer) time in whole seconds",
    "elapsed_time_s": "elapsed time in whole seconds",
    "pace_min_per_km": "moving pace in minutes per km, 2 decimals (foot sports)",
    "ascent_m": "climbing in whole metres",
    "descent_m": "descent in whole metres",
    "avg_cadence_spm": "average cadence in steps per minute (revolutions for cycling), 1 decimal",
    "avg_hr_bpm": "average heart rate in beats per minute, whole",
    "max_hr_bpm": "maximum heart rate in beats per minute, whole",
    "device": "the recording device's maker, where the file says it",
    "source_format": "fit, gpx, tcx (or csv for a summary-only activity)",
    "source_file": "the imported file's name",
}
FOOT_SPORTS = ("running", "walking", "hiking")


def _round(value: float | None, digits: int) -> float | int | None:
    if value is None:
        return None
    return int(round(value)) if digits == 0 else round(float(value), digits)


def csv_row(summary: ActivitySummary) -> dict[str, Any]:
    """One activity as an export row (pure): the CSV_COLUMNS, rounded, times with offsets."""
    start = summary.start_time.astimezone(dt.UTC)
    offset = summary.utc_offset_s
    local = start.astimezone(dt.timezone(dt.timedelta(seconds=offset or 0)))
    pace = summary.pace_s_per_km if summary.sport in FOOT_SPORTS else None
    return {
        "id": summary.id,
        "start_utc": start.isoformat(timespec="seconds"),
        "start_local": local.isoformat(timespec="seconds"),
        "utc_offset_min": None if offset is None else offset // 60,
        "name": summary.name,
        "sport": summary.sport,
        "sub_sport": summary.sub_sport,
        "sport_guessed": "yes" if summary.sport_guessed else "no",
        "distance_km": _round(summary.distance_m / 1000 if summary.distance_m else None, 3),
        "moving_time_s": _round(summary.moving_s, 0),
        "elapsed_time_s": _round(summary.elapsed_s, 0),
        "pace_min_per_km": _round(pace / 60 if pace else None, 2),
        "ascent_m": _round(summary.ascent_m, 0),
        "descent_m": _round(summary.descent_m, 0),
        "avg_cadence_spm": _round(summary.avg_cadence_spm, 1),
        "avg_hr_bpm": _round(summary.avg_hr_bpm, 0),
        "max_hr_bpm": _round(summary.max_hr_bpm, 0),
        "device": summary.device,
        "source_format": summary.source_format,
        "source_file": summary.source_file,
    }


def activities_csv_rows(db: Database) -> list[dict[str, Any]]:
    """Every stored activity as a CSV export row (keys: CSV_COLUMNS), oldest first."""
    return [csv_row(s) for s in reversed(list_activities(db))]
