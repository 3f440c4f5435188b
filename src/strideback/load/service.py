"""Load as the CLI and the web ask for it: activity totals from the activities service,
weeks computed by the pure core."""

from __future__ import annotations

import datetime as dt

from strideback.activities.queries import activity_totals
from strideback.domain import WeekLoad
from strideback.load.weekly import LoadItem
from strideback.load.weekly import weekly_load as compute_weekly_load
from strideback.store.db import Database


def load_items(db: Database) -> list[LoadItem]:
    """Every stored activity as a LoadItem (summary columns only: fast for 10 years)."""
    return [
        LoadItem(
            activity_id=t.id,
            sport=t.sport,
            local_start=t.local_start,
            distance_m=t.distance_m or 0.0,
            time_s=t.moving_s or t.elapsed_s or 0.0,
            ascent_m=t.ascent_m or 0.0,
            descent_m=t.descent_m or 0.0,
        )
        for t in activity_totals(db)
    ]


def weekly_load(db: Database, today: dt.date, weeks: int | None = None) -> list[WeekLoad]:
    return compute_weekly_load(load_items(db), today=today, weeks=weeks)
