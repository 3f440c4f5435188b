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

from sqlalchemy import select

from strideback.activities.laps import laps_from_json
from strideback.activities.series_codec import decode_series
from strideback.domain import RUN_SUB_SPORTS, SPORTS, Activity, Series
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

    def to_dict(self) -> dict:
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
    query = select(ActivityRow).order_by(ActivityRow.start_time.desc(), ActivityRow.id.desc())
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
        row = session.get(ActivityRow, activity_id)
        if row is None:
            raise KeyError(f"no activity with id {activity_id}")
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
    sport = sport.strip().lower()
    if sport not in SPORTS:
        raise ValueError(f"unknown sport {sport!r}: choose one of {', '.join(SPORTS)}")
    sub = sub_sport.strip().lower() if sub_sport else None
    if sport == "running":
        sub = sub or "generic"
        if sub not in RUN_SUB_SPORTS:
            raise ValueError(
                f"unknown running sub-sport {sub!r}: choose one of {', '.join(RUN_SUB_SPORTS)}"
            )
    elif sub is not None and len(sub) > 32:
        raise ValueError("sub-sport too long (32 characters at most)")
    with db.session() as session:
        row = session.get(ActivityRow, activity_id)
        if row is None:
            raise KeyError(f"no activity with id {activity_id}")
        provenance = json.loads(row.provenance or "{}")
        provenance["sport"] = "runner"
        row.sport, row.sub_sport, row.sport_guessed = sport, sub, False
        row.provenance = json.dumps(provenance, sort_keys=True)
        session.flush()
        return _summary(row)
