"""Physiological sanity bounds: a metric outside what a running body can do is refused.

The bounds live in `sanity_bounds.yaml` with their sources. A refused metric becomes not
measurable, with a reason naming the value, the bounds and their source; it never becomes a
finding or advice.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, model_validator

from strideback.datafile import load_yaml
from strideback.form.confidence import base_name
from strideback.form.model import NOT_MEASURABLE, Metric

BOUNDS_FILE = Path(__file__).with_name("sanity_bounds.yaml")


class Bound(BaseModel):
    model_config = ConfigDict(extra="forbid")
    low: float
    high: float
    unit: str
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> Bound:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Bounds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metrics: dict[str, Bound]


@lru_cache(maxsize=1)
def sanity_bounds(path: Path = BOUNDS_FILE) -> dict[str, Bound]:
    return load_yaml(path, Bounds).metrics


def _fmt(value: float, unit: str) -> str:
    digits = 2 if abs(value) < 10 and unit in ("leg lengths", "hip widths") else 0
    return f"{value:.{digits}f} {unit}".replace(" deg", "°")


def refuse_implausible(metrics: dict[str, Metric]) -> list[str]:
    """Mark metrics outside their sanity bounds as refused; return their names."""
    bounds = sanity_bounds()
    refused = []
    for name, m in metrics.items():
        bound = bounds.get(base_name(name))
        if bound is None or m.value is None or m.confidence == NOT_MEASURABLE:
            continue
        if bound.low <= m.value <= bound.high:
            continue
        m.confidence = NOT_MEASURABLE
        m.refused = True
        m.reason = (
            f"refused: {_fmt(m.value, m.unit)} is outside what running allows "
            f"({_fmt(bound.low, bound.unit)} to {_fmt(bound.high, bound.unit)}), so the gait "
            f"events or joints were probably found wrongly. {bound.source.strip()}"
        )
        refused.append(name)
    return refused
