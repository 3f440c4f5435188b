"""A pain sparkline (pure): daily values 0–10 to SVG polyline points in a small viewBox.

Drawn with SVG attributes and CSS classes only (the app's CSP allows no inline style). Days
without a value break the line; a value with no neighbour is drawn as a dot.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 112.0  # viewBox units; the CSS scales the SVG to the cell (fits a phone)
HEIGHT = 28.0
PAD = 2.0
MAX_PAIN = 10


@dataclass(frozen=True)
class Sparkline:
    width: float
    height: float
    lines: tuple[str, ...]  # "x,y x,y ..." for each run of consecutive logged days
    dots: tuple[tuple[float, float], ...]  # single logged days between gaps
    band_y: float  # y of the band line (e.g. the runner's pain limit)
    label: str  # for screen readers


def _xy(index: int, count: int, value: int) -> tuple[float, float]:
    step = (WIDTH - 2 * PAD) / max(count - 1, 1)
    x = PAD + index * step
    y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * min(max(value, 0), MAX_PAIN) / MAX_PAIN
    return round(x, 1), round(y, 1)


def sparkline(values: tuple[int | None, ...], band: int = 3) -> Sparkline:
    """The sparkline of `values` (oldest first), with a band line at pain `band`."""
    runs: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for i, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
            continue
        current.append(_xy(i, len(values), value))
    if current:
        runs.append(current)
    lines = tuple(" ".join(f"{x:g},{y:g}" for x, y in run) for run in runs if len(run) > 1)
    dots = tuple(run[0] for run in runs if len(run) == 1)
    logged = [v for v in values if v is not None]
    if logged:
        label = (
            f"Worst pain per day over {len(values)} days: {len(logged)} days logged, "
            f"highest {max(logged)}/10, latest {logged[-1]}/10."
        )
    else:
        label = f"No pain logged in the last {len(values)} days."
    _, band_y = _xy(0, len(values), band)
    return Sparkline(WIDTH, HEIGHT, lines, dots, band_y, label)
