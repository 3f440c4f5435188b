"""The stall review (pure): it always runs, with or without a Kujala retake.

From week `kujala_review_week` Today asks for a Kujala retake; from the end of that week the
plan refers when neither the Kujala score (below its ceiling) nor the weekly worst pain shows a
meaningful improvement. Rules and sources: rules.yaml (kujala_*, pain_review_*,
review_grace_days).
"""

from __future__ import annotations

import datetime as dt

from strideback.assess.kujala import KujalaScore
from strideback.domain import DiaryEntry
from strideback.plan.model import Decision
from strideback.plan.pain import worst_pain
from strideback.plan.rules import Rules, rule_catalogue


def weekly_worst(diary: dict[dt.date, DiaryEntry], start: dt.date, week: int) -> int | None:
    """The highest pain logged (during, after, next morning) in plan week `week` (1-based)."""
    first = start + dt.timedelta(weeks=week - 1)
    values = [
        worst_pain(e)
        for d in (first + dt.timedelta(days=k) for k in range(7))
        if (e := diary.get(d)) is not None
        and any(p is not None for p in (e.pain_during, e.pain_after, e.pain_next_morning))
    ]
    return max(values) if values else None


PainReview = tuple[int, int, int, int]


def pain_review(
    diary: dict[dt.date, DiaryEntry], start: dt.date, rules: Rules
) -> PainReview | None:
    """(first week, its worst pain, latest week, its worst pain) or None without the logs."""
    week = rules.kujala_review_week
    first = next(((w, p) for w in (1, 2) if (p := weekly_worst(diary, start, w)) is not None), None)
    last = next(
        ((w, p) for w in (week, week - 1) if (p := weekly_worst(diary, start, w)) is not None),
        None,
    )
    if first is None or last is None or last[0] <= first[0]:
        return None
    return first[0], first[1], last[0], last[1]


def _review_cite(*keys: str) -> str:
    return "; ".join(rule_catalogue()[k].citation for k in keys)


def stall_review(
    day: dt.date,
    start: dt.date,
    scores: list[KujalaScore],
    rules: Rules,
    diary: dict[dt.date, DiaryEntry] | None = None,
    *,
    pain: PainReview | None = None,
    pain_known: bool = False,
) -> tuple[Decision | None, bool, str]:
    """The stall review: it always runs, with or without a Kujala retake.

    From week `kujala_review_week` Today asks for a Kujala retake when none is recent. From the
    end of that week: no Kujala gain of the MCID → see a clinician (below the ceiling); without
    a usable retake, the weekly worst pain must have fallen by `pain_review_drop` (or be at the
    floor); with neither measure, after `review_grace_days` → see a clinician.
    """
    week = rules.kujala_review_week
    ask_from = start + dt.timedelta(weeks=week - 1)
    review_day = start + dt.timedelta(weeks=week)
    if day < ask_from:
        return None, False, ""
    before = [s for s in scores if s.taken_on and s.taken_on <= start]
    baseline = before[-1] if before else (scores[0] if scores else None)
    recent = [s for s in scores if s.taken_on and ask_from <= s.taken_on <= day]
    retaken = baseline is not None and bool(recent) and recent[-1] is not baseline
    ask = (
        f"Week {week} review: retake the check (the Kujala knee score) so progress can be measured."
    )
    if day < review_day:
        return None, not retaken, "" if retaken else ask
    near_ceiling = baseline is not None and baseline.total >= rules.kujala_ceiling_from
    if retaken and baseline is not None:
        gain = recent[-1].total - baseline.total
        if gain >= rules.kujala_mcid:
            return None, False, f"Kujala +{gain} points since the start: a meaningful improvement."
        if not near_ceiling:
            return (
                Decision(
                    "refer",
                    "no_kujala_gain",
                    f"Kujala score went from {baseline.total} to {recent[-1].total} "
                    f"({gain:+d}) by week {week}; less than the {rules.kujala_mcid}-point change "
                    "that matters. See a physiotherapist or doctor for a review.",
                    _review_cite("kujala_mcid", "kujala_review_week"),
                ),
                False,
                "",
            )
    if not pain_known:
        pain = pain_review(diary or {}, start, rules)
    kujala_note = (
        f"Kujala {baseline.total} → {recent[-1].total}: near the top of the scale a "
        f"{rules.kujala_mcid}-point gain is hardly possible, so your pain decides. "
        if retaken and baseline is not None
        else ""
    )
    if pain is None:
        if day >= review_day + dt.timedelta(days=rules.review_grace_days):
            return (
                Decision(
                    "refer",
                    "review_without_measures",
                    f"By week {week} there is neither a Kujala retake nor enough pain logs to "
                    "tell whether the knee is improving. See a physiotherapist or doctor for a "
                    "review.",
                    _review_cite("review_grace_days"),
                ),
                False,
                "",
            )
        return None, True, ask + " Log your pain in the diary too."
    w1, p1, w2, p2 = pain
    if p2 <= rules.pain_review_floor or p1 - p2 >= rules.pain_review_drop:
        return (
            None,
            not retaken,
            kujala_note
            + f"Worst pain {p1}/10 in week {w1}, {p2}/10 in week {w2}: improving."
            + ("" if retaken else " " + ask),
        )
    return (
        Decision(
            "refer",
            "pain_not_improving",
            f"{kujala_note}Your worst weekly pain went from {p1}/10 in week {w1} to {p2}/10 in "
            f"week {w2}; after {week} weeks it should be at least {rules.pain_review_drop} "
            "points lower. See a physiotherapist or doctor for a review.",
            _review_cite("pain_review_drop", "kujala_review_week"),
        ),
        False,
        "",
    )
