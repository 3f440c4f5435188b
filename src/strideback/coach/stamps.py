"""A cheap fingerprint of many runners' coach data, in a few set-based queries.

The clinician board caches each runner's summary (clinic/board.py) under the fingerprint of
everything Today reads for that runner: the diary, checks, settings and plan starts (here) and
the imported activities (`activities.queries.activity_fingerprints`). Any write changes it:
a new or edited diary day moves the latest `updated_at`, a deleted one the count; checks and
plan starts only grow (count, highest id); a setting set back to its default is deleted
(count), a changed one moves `updated_at`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from strideback.store.coach import CheckRow, DiaryRow, PlanStartRow, SettingRow
from strideback.store.db import Database

__all__ = ["coach_fingerprints"]


def coach_fingerprints(db: Database, runner_ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """{runner id: fingerprint of their coach data} (every id in `runner_ids` is answered)."""
    out: dict[int, list[Any]] = {r: [] for r in runner_ids}
    if not runner_ids:
        return {}
    queries = [
        (DiaryRow.runner_id, func.count(), func.max(DiaryRow.updated_at), func.max(DiaryRow.day)),
        (CheckRow.runner_id, func.count(), func.max(CheckRow.id)),
        (SettingRow.runner_id, func.count(), func.max(SettingRow.updated_at)),
        (PlanStartRow.runner_id, func.count(), func.max(PlanStartRow.id)),
    ]
    with db.all_runners().session() as s:
        for owner, *aggregates in queries:
            found = {
                row[0]: tuple(row[1:])
                for row in s.execute(
                    select(owner, *aggregates).where(owner.in_(runner_ids)).group_by(owner)
                )
            }
            for runner in runner_ids:
                out[runner].append(found.get(runner))
    return {runner: tuple(parts) for runner, parts in out.items()}
