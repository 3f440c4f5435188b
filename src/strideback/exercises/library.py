"""Load and validate the exercise library (`exercises.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from strideback.datafile import load_yaml
from strideback.exercises.figures import load_poses, render_svg

EXERCISES_FILE = Path(__file__).with_name("exercises.yaml")
CATEGORIES = ("strength", "release", "cross_training", "test")
STAGES = ("irritable", "settling", "return")
EVIDENCE_LABELS = ("STRONG", "MODERATE", "WEAK", "EXPERT OPINION", "NO EVIDENCE", "DISPUTED")
REQUIRED = (
    "id",
    "name",
    "category",
    "stage",
    "targets",
    "opposing",
    "steps",
    "dosage",
    "progression",
    "regression",
    "equipment",
    "evidence",
    "figure",
)


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    category: str
    stage: list[str]
    targets: list[str]
    opposing: list[str]
    steps: list[str]
    dosage: str
    progression: str
    regression: str
    equipment: list[str]
    evidence_label: str
    evidence_citation: str
    figure: str
    pair_with: str | None = None
    honesty: str | None = None
    svg: str = field(default="", repr=False)

    def describe(self) -> str:
        """One plain-text paragraph (used in calendar descriptions)."""
        steps = " ".join(self.steps)
        pair = f" Pair with: {self.pair_with}." if self.pair_with else ""
        return (
            f"{self.name} — {self.dosage}. {steps}{pair} "
            f"[evidence: {self.evidence_label}; {self.evidence_citation}]"
        )


def _parse(item: dict[str, Any], index: int, poses: dict[str, Any]) -> Exercise:
    where = f"{EXERCISES_FILE}: exercises[{index}] ({item.get('id', '?')})"
    missing = [k for k in REQUIRED if k not in item]
    if missing:
        raise ValueError(f"{where} is missing {', '.join(missing)}")
    if item["category"] not in CATEGORIES:
        raise ValueError(f"{where}: category {item['category']!r} not in {CATEGORIES}")
    bad_stage = [s for s in item["stage"] if s not in STAGES]
    if bad_stage:
        raise ValueError(f"{where}: unknown stage(s) {bad_stage}")
    evidence = item["evidence"]
    if evidence.get("label") not in EVIDENCE_LABELS or not evidence.get("citation"):
        raise ValueError(f"{where}: evidence needs a label in {EVIDENCE_LABELS} and a citation")
    if item["figure"] not in poses:
        raise ValueError(f"{where}: figure {item['figure']!r} is not a pose in figures.yaml")
    return Exercise(
        id=item["id"],
        name=item["name"],
        category=item["category"],
        stage=list(item["stage"]),
        targets=list(item["targets"]),
        opposing=list(item["opposing"]),
        steps=[" ".join(str(s).split()) for s in item["steps"]],
        dosage=item["dosage"],
        progression=item["progression"],
        regression=item["regression"],
        equipment=list(item["equipment"]),
        evidence_label=evidence["label"],
        evidence_citation=evidence["citation"],
        figure=item["figure"],
        pair_with=item.get("pair_with"),
        honesty=" ".join(item["honesty"].split()) if item.get("honesty") else None,
        svg=render_svg(item["figure"], item["name"]),
    )


@lru_cache(maxsize=1)
def _library() -> tuple[dict[str, Exercise], dict[str, list[str]]]:
    raw = load_yaml(EXERCISES_FILE)  # one loader: a clear error naming the file
    poses = load_poses()
    exercises: dict[str, Exercise] = {}
    for i, item in enumerate(raw.get("exercises", [])):
        ex = _parse(item, i, poses)
        if ex.id in exercises:
            raise ValueError(f"{EXERCISES_FILE}: duplicate exercise id {ex.id!r}")
        exercises[ex.id] = ex
    for ex in exercises.values():
        if ex.pair_with and ex.pair_with not in exercises:
            raise ValueError(f"{EXERCISES_FILE}: {ex.id} pairs with unknown {ex.pair_with!r}")
    routines = raw.get("routines", {})
    for name, ids in routines.items():
        unknown = [i for i in ids if i not in exercises]
        if unknown:
            raise ValueError(f"{EXERCISES_FILE}: routine {name!r} names unknown {unknown}")
    return exercises, routines


def load_exercises() -> list[Exercise]:
    """Every exercise, in file order."""
    return list(_library()[0].values())


def get_exercise(exercise_id: str) -> Exercise:
    try:
        return _library()[0][exercise_id]
    except KeyError:
        raise KeyError(f"no exercise with id {exercise_id!r}") from None


def routine(name: str) -> list[str]:
    """The exercise ids of a named routine (e.g. 'strength_irritable')."""
    try:
        return list(_library()[1][name])
    except KeyError:
        raise KeyError(f"no routine named {name!r} in {EXERCISES_FILE}") from None
