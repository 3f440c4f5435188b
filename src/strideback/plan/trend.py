"""Evidence.md §4 rule 4, pure: pain should not increase week to week.

A plan week is 7 days from the plan start. Its session pain is the mean over diary days of
the pain after the session (the pain during where no after-pain was logged).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from strideback.domain import DiaryEntry
from strideback.plan.rules import Rules


@dataclass(frozen=True)
class WeeklyRise:
    week: int  # 1-based plan week that ended
    previous_mean: float
    mean: float

    @property
    def rise(self) -> float:
        return self.mean - self.previous_mean


def session_pain(entry: DiaryEntry) -> int | None:
    return entry.pain_after if entry.pain_after is not None else entry.pain_during


def week_mean(diary: dict[dt.date, DiaryEntry], first: dt.date, min_entries: int) -> float | None:
    """Mean session pain of the 7 days from `first`; None with fewer than `min_entries` logs."""
    values = [
        p
        for d in (first + dt.timedelta(days=k) for k in range(7))
        if (e := diary.get(d)) is not None and (p := session_pain(e)) is not None
    ]
    return statistics.fmean(values) if len(values) >= min_entries else None


def weekly_rise(
    diary: dict[dt.date, DiaryEntry], start: dt.date, week_end: dt.date, rules: Rules
) -> WeeklyRise | None:
    """The rise when the plan week ending on `week_end` is ≥ weekly_pain_rise_hold above the
    week before; otherwise None (also when either week has too few logs)."""
    offset = (week_end - start).days
    if offset % 7 != 6 or offset < 13:
        return None
    first = week_end - dt.timedelta(days=6)
    mean = week_mean(diary, first, rules.weekly_pain_min_entries)
    previous = week_mean(diary, first - dt.timedelta(days=7), rules.weekly_pain_min_entries)
    if mean is None or previous is None or round(mean - previous, 6) < rules.weekly_pain_rise_hold:
        return None
    return WeeklyRise(week=offset // 7 + 1, previous_mean=previous, mean=mean)
