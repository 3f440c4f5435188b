"""Load as the CLI and the web ask for it: read summaries from the store, compute weeks."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from strideback.domain import WeekLoad
from strideback.load.weekly import LoadItem
from strideback.load.weekly import weekly_load as compute_weekly_load
from strideback.store.activities import ActivityRow
from strideback.store.db import Database


def load_items(db: Database) -> list[LoadItem]:
    """Every stored activity as a LoadItem (summary columns only: fast for 10 years)."""
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
        rows = session.execute(select(*cols).order_by(ActivityRow.start_time)).all()
    items = []
    for row in rows:
        local = row.start_time + dt.timedelta(seconds=row.utc_offset_s or 0)
        items.append(
            LoadItem(
                activity_id=row.id,
                sport=row.sport,
                local_start=local,
                distance_m=row.distance_m or 0.0,
                time_s=row.moving_s or row.elapsed_s or 0.0,
                ascent_m=row.ascent_m or 0.0,
                descent_m=row.descent_m or 0.0,
            )
        )
    return items


def weekly_load(db: Database, today: dt.date, weeks: int | None = None) -> list[WeekLoad]:
    return compute_weekly_load(load_items(db), today=today, weeks=weeks)
