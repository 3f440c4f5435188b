"""Entry criteria before the first walk-run step (evidence.md §5e, §11 rule 5), pure.

Criteria: the step's brisk 30-min walk completed pain-free `completions_to_progress` times
(counted by the engine), and the readiness tests the step lists (single-leg squat test, hop
test), logged in the diary as pain 0–10 since the step was reached. The latest result counts.
"""

from __future__ import annotations

import datetime as dt

from strideback.domain import DiaryEntry
from strideback.plan.model import EntryCriterion, Step
from strideback.plan.rules import Rules

# test id (exercises.yaml) → (DiaryEntry field, name, how to log it)
READINESS_TESTS = {
    "single_leg_squat_test": ("squat_test_pain", "Single-leg squat test", "--squat-pain N"),
    "hop_test": ("hop_test_pain", "Hop test", "--hop-pain N"),
}
ALWAYS_REQUIRED = ("single_leg_squat_test",)


def _latest(
    diary: dict[dt.date, DiaryEntry], field_name: str, since: dt.date, day: dt.date
) -> tuple[dt.date, int] | None:
    for d in sorted((d for d in diary if since <= d <= day), reverse=True):
        value = getattr(diary[d], field_name)
        if value is not None:
            return d, value
    return None


def walk_criterion(good: int, rules: Rules) -> EntryCriterion:
    n = rules.completions_to_progress
    met = good >= n
    return EntryCriterion(
        id="brisk_walk",
        label="Pain-free brisk 30-min walk",
        met=met,
        required=True,
        blocking=not met,
        detail=(
            f"{min(good, n)} of {n} brisk 30-min walks with pain ≤{rules.run_entry_max_pain}/10 "
            "and a settled next morning."
        ),
    )


def readiness_criteria(
    step: Step, diary: dict[dt.date, DiaryEntry], since: dt.date, day: dt.date, rules: Rules
) -> list[EntryCriterion]:
    """Where each readiness test of `step` stands on `day` (results logged since `since`)."""
    out = []
    limit = rules.readiness_max_pain
    for test_id in step.tests:
        if test_id not in READINESS_TESTS:
            continue
        field_name, name, how = READINESS_TESTS[test_id]
        required = test_id in ALWAYS_REQUIRED or (
            test_id == "hop_test" and bool(rules.readiness_hop_required)
        )
        latest = _latest(diary, field_name, since, day)
        if latest is None:
            met, result = False, None
            detail = (
                f"Not logged yet: do the test and log the pain with `strideback log {how}` "
                f"(pass: ≤{limit}/10)."
                if required
                else f"Not logged: if you can, do it and log `strideback log {how}` "
                f"(pass: ≤{limit}/10)."
            )
        else:
            logged_on, result = latest
            met = result <= limit
            detail = f"{result}/10 on {logged_on.isoformat()}: " + (
                f"passed (≤{limit}/10)."
                if met
                else f"above {limit}/10. Keep up the strength work and retest in a few days."
            )
        out.append(
            EntryCriterion(
                id=test_id,
                label=f"{name} pain ≤{limit}/10",
                met=met,
                required=required,
                blocking=not met and (required or result is not None),
                detail=detail,
                result=result,
            )
        )
    return out


def describe_missing(criteria: list[EntryCriterion]) -> str:
    """'Single-leg squat test pain ≤2/10 (not logged yet: ...)' joined for a decision reason."""
    return "; ".join(f"{c.label} — {c.detail}" for c in criteria if c.blocking)
