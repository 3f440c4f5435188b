"""Load the step ladder (`ladder.yaml`) and add build steps from the runner's own volume."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from strideback.datafile import load_yaml
from strideback.plan.model import PHASES, Phase, SessionKind, Step

LADDER_FILE = Path(__file__).with_name("ladder.yaml")
HONESTY_FILE = Path(__file__).with_name("honesty.yaml")
SESSION_SLOTS = ("key", "strength", "cross", "release")


@dataclass(frozen=True)
class PreInjury:
    """The runner's pre-injury running, from imported history (or the default)."""

    runs_per_week: float
    run_km: float | None  # average run length, None when no history
    run_min: float  # average run duration
    longest_km: float | None
    source: str  # words for the user


@lru_cache(maxsize=1)
def load_ladder_file() -> dict[str, Any]:
    raw = load_yaml(LADDER_FILE)  # one loader: a clear error naming the file
    for key in ("steps", "build", "week_template"):
        if key not in raw:
            raise ValueError(f"{LADDER_FILE}: missing {key!r}")
    template = raw["week_template"]
    if sorted(template) != list(range(7)):
        raise ValueError(f"{LADDER_FILE}: week_template needs days 0..6")
    for day, slots in template.items():
        bad = [s for s in slots if s not in SESSION_SLOTS]
        if bad:
            raise ValueError(f"{LADDER_FILE}: week_template day {day} has unknown slot(s) {bad}")
    assert isinstance(raw, dict)
    return raw


def _phase(value: str, index: int) -> Phase:
    for phase in PHASES:
        if phase == value:
            return phase
    raise ValueError(f"{LADDER_FILE.name}: steps[{index}].phase: unknown phase {value!r}")


def _kind(value: str, index: int) -> SessionKind:
    for kind in ("walk", "run"):
        if kind == value:
            return kind
    raise ValueError(f"{LADDER_FILE.name}: steps[{index}].key.kind must be walk or run")


def _fixed_steps() -> list[Step]:
    steps = []
    for i, item in enumerate(load_ladder_file()["steps"]):
        try:
            key = item["key"]
            steps.append(
                Step(
                    id=item["id"],
                    phase=_phase(item["phase"], i),
                    label=item["label"],
                    stage=item["stage"],
                    key_kind=_kind(key["kind"], i),
                    key_minutes=int(key["minutes"]),
                    key_title=key["title"],
                    notes=" ".join(item.get("notes", "").split()),
                    citation=" ".join(item["citation"].split()),
                    gate=item.get("gate"),
                    tests=list(item.get("tests", [])),
                )
            )
        except KeyError as exc:
            raise ValueError(f"{LADDER_FILE}: steps[{i}] is missing {exc}") from None
    return steps


def build_steps(pre: PreInjury, ratio: float, start_min: float) -> list[Step]:
    """Runs grow by at most `ratio` per step until the pre-injury run length is reached."""
    build = load_ladder_file()["build"]
    notes = " ".join(build["notes"].split()).replace("single_run_max_ratio", f"{ratio:g}")
    citation = " ".join(build["citation"].split())
    steps: list[Step] = []
    target_min = pre.run_min
    pace = (pre.run_min / pre.run_km) if pre.run_km else None  # min per km
    minutes = start_min
    for n in range(1, int(build["max_steps"]) + 1):
        if minutes >= target_min - 0.5:
            break
        minutes = min(minutes * ratio, target_min) if n < int(build["max_steps"]) else target_min
        km = round(minutes / pace, 1) if pace else None
        share = round(100 * minutes / target_min)
        what = f"{km:g} km (≈{minutes:.0f} min)" if km else f"{minutes:.0f} min"
        steps.append(
            Step(
                id=f"build_{n}",
                phase="build",
                label=f"Build {n}: easy runs of {what} ({share}% of your usual run)",
                stage=build["stage"],
                key_kind="run",
                key_minutes=int(round(minutes)),
                key_title=f"Easy run {what}, flat route",
                notes=notes,
                citation=citation,
                key_km=km,
            )
        )
    return steps


def ladder_for(pre: PreInjury, ratio: float) -> list[Step]:
    """The full ladder: fixed steps, then build steps toward the pre-injury run."""
    fixed = _fixed_steps()
    return fixed + build_steps(pre, ratio, start_min=fixed[-1].key_minutes)


def week_template() -> dict[int, list[str]]:
    return {int(k): list(v) for k, v in load_ladder_file()["week_template"].items()}


@lru_cache(maxsize=1)
def honesty_notes() -> list[dict[str, str]]:
    """Article advice vs evidence, with labels (evidence.md §10)."""
    items = load_yaml(HONESTY_FILE)  # one loader: a clear error naming the file
    out = []
    for i, item in enumerate(items):
        missing = [
            k for k in ("topic", "article", "evidence", "label", "citation") if k not in item
        ]
        if missing:
            raise ValueError(f"{HONESTY_FILE}: item {i} is missing {', '.join(missing)}")
        out.append({k: " ".join(str(v).split()) for k, v in item.items()})
    return out
