"""The one gate in front of every plan output (pure).

`today`, `plan`, `plan --ics`, the Plan page, `/plan.ics` and any workout export ask
`plan_gate` first. When it says no, they show the referral, its reason and the concrete next
step, and no sessions. The facts it judges are gathered by the coach service (already filtered
by a clinician's clearance); this function only decides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from strideback.plan.model import Decision, GateSource, Urgency

# What to do next, by urgency (plain words; the sources sit with each red flag in the data).
NEXT_STEP: dict[Urgency, str] = {
    "emergency": (
        "Get seen today: an emergency department, urgent care or an out-of-hours doctor. "
        "Call emergency services now if you are short of breath or have chest pain."
    ),
    "urgent": (
        "Book a doctor or physiotherapist within the next few days. Until then, no running: "
        "keep to daily activity that does not hurt."
    ),
    "routine": (
        "Book an appointment with a physiotherapist or doctor. Until you are seen, keep to "
        "daily activity that does not hurt and do not start the running plan."
    ),
}
NO_CHECK_STEP = "Take the knee check first (`strideback check`, or the Check page)."
URGENCY_ORDER: dict[Urgency, int] = {"emergency": 0, "urgent": 1, "routine": 2}


@dataclass(frozen=True)
class FlagFact:
    """One reason to see a clinician, with its urgency and its message for the runner."""

    id: str
    urgency: Urgency
    message: str


@dataclass(frozen=True)
class GateFacts:
    """Everything the gate judges; the service fills it from one read of the database."""

    has_check: bool
    check_flags: tuple[FlagFact, ...] = ()  # red flags of the latest check, not cleared
    check_referral: str | None = None  # the check's own referral text for those flags
    pattern_ok: bool = True  # the latest check's pattern allows the plan (or it was cleared)
    pattern_message: str = ""
    diary_flag: FlagFact | None = None  # a diary red flag since the plan start, not cleared
    diary_flag_day: dt.date | None = None
    plan_referral: Decision | None = None  # two step-backs, the week-6 review, ...


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    source: GateSource
    reason: str = ""
    next_step: str = ""
    urgency: Urgency | None = None
    flags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def heading(self) -> str:
        if self.allowed:
            return ""
        if self.source == "no_check":
            return "Take the knee check first"
        if self.urgency == "emergency":
            return "See a clinician today"
        return "See a clinician"


def _most_urgent(flags: tuple[FlagFact, ...]) -> tuple[FlagFact, ...]:
    return tuple(sorted(flags, key=lambda f: URGENCY_ORDER[f.urgency]))


def plan_gate(facts: GateFacts) -> GateDecision:
    """May a plan (any session) be shown? Red flags first, then the pattern, then the diary."""
    if not facts.has_check:
        return GateDecision(
            False,
            "no_check",
            "No knee check yet: a few questions decide whether a self-care plan is safe.",
            NO_CHECK_STEP,
        )
    if facts.check_flags:
        ordered = _most_urgent(facts.check_flags)
        urgency = ordered[0].urgency
        return GateDecision(
            False,
            "check_red_flag",
            facts.check_referral or " ".join(f.message for f in ordered),
            NEXT_STEP[urgency],
            urgency,
            tuple(f.id for f in ordered),
        )
    if not facts.pattern_ok:
        return GateDecision(
            False, "check_pattern", facts.pattern_message, NEXT_STEP["routine"], "routine"
        )
    if facts.diary_flag is not None:
        flag = facts.diary_flag
        when = f" (diary, {facts.diary_flag_day.isoformat()})" if facts.diary_flag_day else ""
        return GateDecision(
            False,
            "diary_red_flag",
            f"{flag.message}{when}",
            NEXT_STEP[flag.urgency],
            flag.urgency,
            (flag.id,),
        )
    if facts.plan_referral is not None:
        return GateDecision(
            False,
            "plan_referral",
            facts.plan_referral.reason,
            NEXT_STEP["routine"],
            "routine",
            (facts.plan_referral.rule,),
        )
    return GateDecision(True, "ok")
