"""Pre-injury running volume from imported activities (asked of the activities service)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from strideback.activities.queries import ActivitySummary, runs_between_in
from strideback.plan.ladder import PreInjury
from strideback.plan.rules import Rules


class _Started(Protocol):
    start_time: dt.datetime
    utc_offset_s: int | None


def local_day(activity: ActivitySummary | _Started) -> dt.date:
    """The activity's local calendar day (UTC where its offset is unknown)."""
    offset = dt.timedelta(seconds=activity.utc_offset_s or 0)
    return (activity.start_time + offset).date()


def runs_between(session: Session, first: dt.date, last: dt.date) -> list[ActivitySummary]:
    """Running activities whose local day is in [first, last] (from the activities service)."""
    return runs_between_in(session, first, last)


def summarise_pre_injury(runs: Sequence[ActivitySummary], weeks: int, rules: Rules) -> PreInjury:
    """Average run length and duration over the window; the default when there are no runs."""
    with_distance = [r for r in runs if r.distance_m and (r.moving_s or r.elapsed_s)]
    if not with_distance:
        return PreInjury(
            runs_per_week=3,
            run_km=None,
            run_min=rules.default_weekly_run_min / 3,
            longest_km=None,
            source=(
                f"No running history imported: building toward {rules.default_weekly_run_min} "
                "min a week (3 runs) as a default. Import your runs (`strideback import`) to "
                "build toward your own volume."
            ),
        )
    km = [(r.distance_m or 0.0) / 1000 for r in with_distance]
    minutes = [(r.moving_s or r.elapsed_s or 0.0) / 60 for r in with_distance]
    run_km = sum(km) / len(km)
    run_min = sum(minutes) / len(minutes)
    return PreInjury(
        runs_per_week=round(len(with_distance) / weeks, 1),
        run_km=round(run_km, 1),
        run_min=round(run_min, 1),
        longest_km=round(max(km), 1),
        source=(
            f"From your imported history: {len(with_distance)} runs in the {weeks} weeks before "
            f"the plan, on average {run_km:.1f} km in {run_min:.0f} min "
            f"(longest {max(km):.1f} km, about {len(with_distance) / weeks:.1f} runs a week)."
        ),
    )


def pre_injury_volume(session: Session, plan_start: dt.date, rules: Rules) -> PreInjury:
    first = plan_start - dt.timedelta(weeks=rules.history_weeks)
    runs = runs_between(session, first, plan_start - dt.timedelta(days=1))
    return summarise_pre_injury(runs, rules.history_weeks, rules)
