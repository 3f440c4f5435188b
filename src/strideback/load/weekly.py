"""Weekly training load and the flags the evidence links to runner's knee. Pure functions.

Input: one `LoadItem` per activity (only the summary numbers, never the series).
Output: one `WeekLoad` per ISO week, oldest first, each with its `Flag`s.
Weeks follow the runner's local calendar (UTC start plus the file's offset where known).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from strideback.domain import Flag, WeekLoad
from strideback.load.rules import load_rules


@dataclass(frozen=True)
class LoadItem:
    """The summary numbers of one activity that load needs."""

    activity_id: int | None
    sport: str
    local_start: dt.datetime
    distance_m: float
    time_s: float
    ascent_m: float = 0.0
    descent_m: float = 0.0

    @property
    def is_run(self) -> bool:
        return self.sport == "running"


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _pct(new: float, old: float) -> float | None:
    if old <= 0:
        return None
    return (new - old) / old * 100.0


def single_run_spikes(runs: Sequence[LoadItem], rules: dict[str, Any]) -> dict[int, Flag]:
    """Flag each run longer than the longest run of the previous 30 days by >10%.

    Returns {index in `runs`: Flag}. `runs` must be sorted by start time. A run with no
    other run in the previous window has no baseline and is not flagged.
    """
    rule = rules["single_run_spike"]
    window = dt.timedelta(days=rule["window_days"])
    threshold = rule["threshold_pct"]
    starts = [r.local_start for r in runs]
    flags: dict[int, Flag] = {}
    for i, run in enumerate(runs):
        lo = bisect_left(starts, run.local_start - window)
        previous = [r.distance_m for r in runs[lo:i]]
        if not previous or max(previous) <= 0:
            continue
        longest = max(previous)
        increase = _pct(run.distance_m, longest)
        if increase is None or increase <= threshold:
            continue
        band = [b for b in rule["bands"] if increase > b["above_pct"]][-1]
        flags[i] = Flag(
            rule="single_run_spike",
            message=(
                f"Run on {run.local_start:%a %d %b} ({run.distance_m / 1000:.1f} km) was "
                f"{increase:.0f}% longer than your longest run of the previous "
                f"{rule['window_days']} days ({longest / 1000:.1f} km): {band['label']}, "
                f"injury hazard ratio {band['hrr']}. While the knee recovers, keep each run at "
                "or below your longest recent pain-free run."
            ),
            citation=rule["citation"].strip(),
        )
    return flags


def _empty_week(start: dt.date) -> WeekLoad:
    return WeekLoad(week=iso_week(start), week_start=start)


def weekly_load(
    items: Iterable[LoadItem],
    today: dt.date,
    weeks: int | None = None,
    rules: dict[str, Any] | None = None,
) -> list[WeekLoad]:
    """Per ISO week up to `today`: volume, ramp, ratios and flags.

    `weeks` limits the result to the last N weeks (the ramp and flags still use the
    earlier history). Weeks with no activity are included (as zero) so ramps are honest.
    """
    rules = rules or load_rules()
    all_items = sorted(items, key=lambda it: it.local_start)
    all_items = [it for it in all_items if it.local_start.date() <= today]
    if not all_items:
        return []
    runs = [it for it in all_items if it.is_run]

    first = week_start(all_items[0].local_start.date())
    last = week_start(today)
    by_start: dict[dt.date, WeekLoad] = {}
    cursor = first
    while cursor <= last:
        by_start[cursor] = _empty_week(cursor)
        cursor += dt.timedelta(days=7)

    for it in all_items:
        wk = by_start[week_start(it.local_start.date())]
        if it.is_run:
            wk.distance_m += it.distance_m
            wk.time_s += it.time_s
            wk.runs += 1
            wk.longest_m = max(wk.longest_m, it.distance_m)
            wk.ascent_m += it.ascent_m
            wk.descent_m += it.descent_m
        else:
            wk.cross_training_s += it.time_s

    for i, flag in single_run_spikes(runs, rules).items():
        by_start[week_start(runs[i].local_start.date())].flags.append(flag)

    _add_downhill_flags(runs, by_start, rules)

    ordered = [by_start[k] for k in sorted(by_start)]
    _add_ramps(ordered, rules)
    if weeks is not None:
        ordered = ordered[-weeks:]
    return ordered


def _add_ramps(ordered: list[WeekLoad], rules: dict[str, Any]) -> None:
    two_week = rules["two_week_progression"]
    ramp_rule = rules["weekly_ramp"]
    acwr_rule = rules["acwr"]
    for i, wk in enumerate(ordered):
        prev = ordered[i - 1].distance_m if i >= 1 else None
        if prev is not None:
            wk.ramp_prev_pct = _pct(wk.distance_m, prev)
        if i >= 4:
            mean4 = sum(w.distance_m for w in ordered[i - 4 : i]) / 4
            wk.ramp_4wk_pct = _pct(wk.distance_m, mean4)
        n = acwr_rule["chronic_weeks"]
        if i >= n - 1:
            chronic = sum(w.distance_m for w in ordered[i - n + 1 : i + 1]) / n
            wk.acwr = wk.distance_m / chronic if chronic > 0 else None
        if i >= 2:
            two_ago = ordered[i - 2].distance_m
            increase = _pct(wk.distance_m, two_ago)
            if increase is not None and increase > two_week["threshold_pct"]:
                wk.flags.append(
                    Flag(
                        rule="two_week_progression",
                        message=(
                            f"Weekly distance rose {increase:.0f}% over two weeks "
                            f"({two_ago / 1000:.1f} → {wk.distance_m / 1000:.1f} km). In one "
                            "cohort this kind of jump went with more distance-related injuries "
                            "such as runner's knee (an association, not proof)."
                        ),
                        citation=two_week["citation"].strip(),
                    )
                )
        if (
            wk.ramp_prev_pct is not None
            and wk.ramp_prev_pct > ramp_rule["threshold_pct"]
            and not any(f.rule == "two_week_progression" for f in wk.flags)
        ):
            wk.flags.append(
                Flag(
                    rule="weekly_ramp",
                    message=(
                        f"Up {wk.ramp_prev_pct:.0f}% on last week. The 10% rule is a convention, "
                        "not a proven protection; single long runs matter more."
                    ),
                    citation=ramp_rule["citation"].strip(),
                    severity="info",
                )
            )


def _add_downhill_flags(
    runs: Sequence[LoadItem], by_start: dict[dt.date, WeekLoad], rules: dict[str, Any]
) -> None:
    rule = rules["downhill"]
    per_km = rule["run_descent_m_per_km"]
    for run in runs:
        if run.distance_m < 1000 or run.descent_m <= 0:
            continue
        rate = run.descent_m / (run.distance_m / 1000)
        if rate >= per_km:
            by_start[week_start(run.local_start.date())].flags.append(
                Flag(
                    rule="downhill_run",
                    message=(
                        f"Hilly run on {run.local_start:%a %d %b}: {run.descent_m:.0f} m downhill "
                        f"({rate:.0f} m per km). Downhill running loads the kneecap joint more; "
                        "choose flat routes while the knee settles (expert opinion threshold)."
                    ),
                    citation=rule["citation"].strip(),
                )
            )
    for wk in by_start.values():
        if wk.descent_m >= rule["week_descent_m"]:
            wk.flags.append(
                Flag(
                    rule="downhill_week",
                    message=(
                        f"{wk.descent_m:.0f} m of downhill running this week (threshold "
                        f"{rule['week_descent_m']} m, expert opinion). Prefer flat routes."
                    ),
                    citation=rule["citation"].strip(),
                )
            )


def acwr_note(rules: dict[str, Any] | None = None) -> str:
    """How the acute:chronic ratio is computed, and why it is information only."""
    rule = (rules or load_rules())["acwr"]
    return (
        f"Acute:chronic ratio: {rule['formula'].strip()}. Information only: "
        f"{rule['evidence']}. {rule['citation'].strip()}"
    )
