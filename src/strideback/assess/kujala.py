"""Kujala anterior knee pain scale (AKPS): 13 items, 0–100, 100 = no problems.

Scored exactly as evidence.md §2a (arithmetic-consistent version; limp "constant" = 0,
squatting with partial weight-bearing = 2). MCID 10 points (Crossley 2004).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from strideback.assess.questions import CheckDefinition, Question


@dataclass
class KujalaScore:
    total: int
    items: dict[str, int] = field(default_factory=dict)  # item id -> points
    taken_on: dt.date | None = None


def answered_kujala(defn: CheckDefinition, answers: dict[str, Any]) -> bool:
    """True when at least one Kujala item was answered."""
    return any(answers.get(q.id) not in (None, "") for q in defn.kujala_items)


def _points(item: Question, value: Any) -> int:
    for opt in item.options:
        if opt.value == str(value):
            return int(opt.points or 0)
    allowed = ", ".join(o.value for o in item.options)
    raise ValueError(f"{item.id}: {value!r} is not one of: {allowed}")


def score_kujala(
    defn: CheckDefinition, answers: dict[str, Any], taken_on: dt.date | None = None
) -> KujalaScore:
    """Sum the points of all 13 answers; every item must be answered."""
    missing = [q.id for q in defn.kujala_items if answers.get(q.id) in (None, "")]
    if missing:
        raise ValueError(f"Kujala needs all 13 items; missing: {', '.join(missing)}")
    items = {q.id: _points(q, answers[q.id]) for q in defn.kujala_items}
    return KujalaScore(total=sum(items.values()), items=items, taken_on=taken_on)
