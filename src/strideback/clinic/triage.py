"""Triage for the clinician board (pure): why a runner needs attention, most urgent first.

The input is a compact summary of one runner (`RunnerFacts`, `today` inside it) built from
the same decisions the runner's Today uses: the gate's referral, the pain rules' flares (a
step-back verdict), the week-6 review's Kujala request, the plan step in force. This module
only orders and words them, and adds the board's own thresholds (`triage.yaml`): worsening
weekly pain, days without a diary entry, days at one step.

Order of the reasons (and of the board):
1. red flag or referral due (the gate says "see a clinician"; emergencies first),
2. a flare in the last `flare_window_days`,
3. worsening weekly pain,
4. no diary entry for `no_entry_days`,
5. Kujala re-score due,
6. stalled at one plan step for `stalled_step_days`.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from strideback.datafile import load_yaml
from strideback.plan.gate import URGENCY_ORDER
from strideback.plan.model import Urgency

TRIAGE_FILE = Path(__file__).with_name("triage.yaml")

ReasonKind = Literal["referral", "flare", "pain_rising", "no_entry", "kujala_due", "stalled"]
REASON_ORDER: tuple[ReasonKind, ...] = (
    "referral",
    "flare",
    "pain_rising",
    "no_entry",
    "kujala_due",
    "stalled",
)
ONE_DAY = dt.timedelta(days=1)


class Threshold(BaseModel):
    """One board threshold with its reason in plain words."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: int = Field(ge=1, le=365)
    reason: str = Field(min_length=20)


class TriageThresholds(BaseModel):
    """Every threshold of `triage.yaml` (validated on load: a typo names the file and key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    flare_window_days: Threshold
    weekly_pain_rise: Threshold
    weekly_pain_min_days: Threshold
    no_entry_days: Threshold
    stalled_step_days: Threshold
    trend_days: Threshold


@lru_cache(maxsize=1)
def thresholds() -> TriageThresholds:
    """The board's thresholds from `triage.yaml`."""
    return load_yaml(TRIAGE_FILE, TriageThresholds)


@dataclass(frozen=True)
class Referral:
    """The gate's "see a clinician", as the runner's Today shows it."""

    heading: str
    reason: str
    urgency: Urgency | None = None


@dataclass(frozen=True)
class Flare:
    """A diary day the pain rules stepped back for, with their reason in plain words."""

    day: dt.date
    reason: str


@dataclass(frozen=True)
class RunnerFacts:
    """What the triage needs of one runner (built by clinic/summary.py)."""

    today: dt.date
    has_check: bool = False
    referral: Referral | None = None
    phase: str = ""
    step: str = ""
    step_days: int | None = None  # consecutive days at the step in force, today included
    kujala_due: bool = False
    last_entry: dt.date | None = None
    # Each logged day's worst pain (during, after, next morning), days with a pain value only,
    # at least the last `trend_days` and two weeks.
    pains: tuple[tuple[dt.date, int], ...] = ()
    flares: tuple[Flare, ...] = ()
    pain_ok_max: int = 3  # the runner's own "good session" pain limit (their settings)


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    text: str

    @property
    def rank(self) -> int:
        return REASON_ORDER.index(self.kind)


def _mean_pain(pains: dict[dt.date, int], last: dt.date, days: int, min_days: int) -> float | None:
    values = [p for k in range(days) if (p := pains.get(last - k * ONE_DAY)) is not None]
    return statistics.fmean(values) if len(values) >= min_days else None


def pain_rise(facts: RunnerFacts, limits: TriageThresholds) -> tuple[float, float] | None:
    """(previous week's mean, last week's mean) when the last 7 days' mean worst pain is at
    least `weekly_pain_rise` above the 7 days before; else None (also with too few logs)."""
    pains = dict(facts.pains)
    need = limits.weekly_pain_min_days.value
    now = _mean_pain(pains, facts.today, 7, need)
    before = _mean_pain(pains, facts.today - 7 * ONE_DAY, 7, need)
    if now is None or before is None:
        return None
    if round(now - before, 6) < limits.weekly_pain_rise.value:
        return None
    return before, now


def _flare_reason(flares: list[Flare]) -> Reason:
    latest = max(flares, key=lambda f: f.day)
    # The pain rules speak to the runner ("your usual 0/10"); the board speaks about them.
    why = latest.reason.removeprefix("Flare:").strip().rstrip(".").replace("your ", "their ")
    more = f" ({len(flares)} flares in the window)" if len(flares) > 1 else ""
    return Reason("flare", f"Flare on {latest.day.isoformat()}: {why}{more}.")


def triage(facts: RunnerFacts, limits: TriageThresholds | None = None) -> tuple[Reason, ...]:
    """Why this runner needs attention today, most urgent first (empty: nothing to flag)."""
    limits = limits or thresholds()
    today = facts.today
    reasons: list[Reason] = []
    if facts.referral is not None:
        reasons.append(
            Reason("referral", f"{facts.referral.heading}: {facts.referral.reason}".strip())
        )
    window = today - (limits.flare_window_days.value - 1) * ONE_DAY
    recent = [f for f in facts.flares if window <= f.day <= today]
    if recent:
        reasons.append(_flare_reason(recent))
    rise = pain_rise(facts, limits)
    if rise is not None:
        before, now = rise
        reasons.append(
            Reason(
                "pain_rising",
                f"Pain rising: the mean worst pain went from {before:.1f}/10 in the 7 days "
                f"before to {now:.1f}/10 in the last 7 days (+{now - before:.1f}).",
            )
        )
    if facts.has_check:
        if facts.last_entry is None:
            reasons.append(Reason("no_entry", "No diary entry yet."))
        else:
            silent = (today - facts.last_entry).days
            if silent >= limits.no_entry_days.value:
                reasons.append(
                    Reason(
                        "no_entry",
                        f"No diary entry for {silent} days (last on "
                        f"{facts.last_entry.isoformat()}).",
                    )
                )
    if facts.kujala_due and facts.referral is None:
        reasons.append(Reason("kujala_due", "Kujala score due: the knee check is asked for."))
    stalled = facts.step_days is not None and facts.step_days >= limits.stalled_step_days.value
    if stalled and facts.referral is None:
        reasons.append(Reason("stalled", f"At “{facts.step}” for {facts.step_days} days."))
    return tuple(sorted(reasons, key=lambda r: r.rank))


def urgency_key(facts: RunnerFacts, reasons: tuple[Reason, ...]) -> tuple[int, int, int]:
    """Sort key of a board row: the most urgent reason first; among referrals the gate's
    urgency (emergency first); among flares the most recent first; no reason last."""
    if not reasons:
        return (len(REASON_ORDER), 0, 0)
    first = reasons[0]
    within = 0
    if first.kind == "referral" and facts.referral is not None and facts.referral.urgency:
        within = URGENCY_ORDER[facts.referral.urgency]
    elif first.kind == "flare" and facts.flares:
        within = (facts.today - max(f.day for f in facts.flares)).days
    return (first.rank, within, 0)


def pain_trend(
    facts: RunnerFacts, limits: TriageThresholds | None = None
) -> tuple[int | None, ...]:
    """Each day's worst logged pain over the last `trend_days` (oldest first; None: no log)."""
    days = (limits or thresholds()).trend_days.value
    pains = dict(facts.pains)
    first = facts.today - (days - 1) * ONE_DAY
    return tuple(pains.get(first + k * ONE_DAY) for k in range(days))
