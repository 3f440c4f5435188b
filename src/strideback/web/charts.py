"""Small server-side SVG charts: bars, lines, markers and bands with tooltips.

Pure functions of plain numbers (no I/O); the SVG scales to its container, and the page
wraps it in a horizontally scrollable box so it stays readable on a phone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 760, 300
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 52, 48, 18, 42


def nice_max(value: float) -> float:
    """A round axis top at or above `value` (1, 2, 2.5, 5 x 10^n)."""
    if not value or value <= 0 or not math.isfinite(value):
        return 1.0
    exp = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * exp:
            return step * exp
    return 10.0 * exp


def _fmt(value: float) -> str:
    if abs(value) >= 10 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.2f}".rstrip("0")  # 0.25 stays 0.25, 2.5 stays 2.5


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


@dataclass
class Chart:
    """An x axis of n slots (or numeric x) with a left and an optional right y axis."""

    title: str
    x_labels: Sequence[str] = ()
    x_values: Sequence[float] | None = None  # numeric x; else slots 0..n-1
    y_label: str = ""
    y_max: float | None = None
    y_min: float = 0.0
    y_right_label: str = ""
    y_right_max: float | None = None
    css_class: str = "chart"
    _parts: list[str] = field(default_factory=list)
    _data_max: float = 0.0

    # geometry -------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return len(self.x_values) if self.x_values is not None else len(self.x_labels)

    def _x_range(self) -> tuple[float, float]:
        cached = self.__dict__.get("_x_range_cache")
        if cached is None:
            cached = self.__dict__["_x_range_cache"] = self._compute_x_range()
        return cached

    def _compute_x_range(self) -> tuple[float, float]:
        if self.x_values is not None and len(self.x_values):
            finite = _finite(self.x_values)
            lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
            return lo, hi if hi > lo else lo + 1
        return -0.5, max(self.n, 1) - 0.5

    def x(self, value: float) -> float:
        lo, hi = self._x_range()
        return MARGIN_L + (value - lo) / (hi - lo) * (WIDTH - MARGIN_L - MARGIN_R)

    def slot_width(self) -> float:
        return (WIDTH - MARGIN_L - MARGIN_R) / max(self.n, 1)

    def y(self, value: float, right: bool = False) -> float:
        top = (self.y_right_max if right else self.y_max) or 1.0
        bottom = 0.0 if right else self.y_min
        frac = max(0.0, min(1.0, (value - bottom) / ((top - bottom) or 1.0)))
        return HEIGHT - MARGIN_B - frac * (HEIGHT - MARGIN_T - MARGIN_B)

    def fit_left(self, *series: Sequence[float | None]) -> None:
        if self.y_max is None:
            values = [v for s in series for v in _finite(s)]
            top = max(values, default=0.0)
            if self.y_min:
                span = nice_max((top - self.y_min) * 1.08)
                self.y_max = self.y_min + span
            else:
                self.y_max = nice_max(top * 1.08)

    def floor_to_data(self, *series: Sequence[float | None]) -> None:
        """Start the left axis near the data's minimum (elevation, heart rate...)."""
        values = [v for s in series for v in _finite(s)]
        if values:
            lo, hi = min(values), max(values)
            pad = max((hi - lo) * 0.1, 1.0)
            self.y_min = math.floor((lo - pad) / 10) * 10 if lo - pad > 0 else 0.0

    # layers ---------------------------------------------------------------------------
    def band(self, y0: float, y1: float, css: str, label: str, right: bool = True) -> None:
        top, bottom = self.y(y1, right), self.y(y0, right)
        self._parts.append(
            f'<rect class="band {css}" x="{MARGIN_L}" y="{top:.1f}" '
            f'width="{WIDTH - MARGIN_L - MARGIN_R}" height="{bottom - top:.1f}">'
            f"<title>{escape(label)}</title></rect>"
        )

    def bars(
        self,
        values: Sequence[float | None],
        css: str,
        titles: Sequence[str],
        offset: float = 0.0,
        width_frac: float = 0.8,
        extra_css: Sequence[str] | None = None,
    ) -> None:
        w = self.slot_width() * width_frac
        for i, v in enumerate(values):
            if v is None or not math.isfinite(v) or v <= 0:
                continue
            cx = self.x(self.x_values[i] if self.x_values is not None else i)
            top = self.y(v)
            cls = f"bar {css} {extra_css[i] if extra_css else ''}".strip()
            self._parts.append(
                f'<rect class="{cls}" x="{cx - w / 2 + offset * w:.1f}" y="{top:.1f}" '
                f'width="{w:.1f}" height="{HEIGHT - MARGIN_B - top:.1f}">'
                f"<title>{escape(titles[i])}</title></rect>"
            )

    def line(
        self,
        values: Sequence[float | None],
        css: str,
        label: str,
        right: bool = False,
        dots: bool = False,
        titles: Sequence[str] | None = None,
    ) -> None:
        segments: list[list[tuple[float, float]]] = [[]]
        points: list[tuple[float, float, int]] = []
        for i, v in enumerate(values):
            xv = self.x_values[i] if self.x_values is not None else i
            if v is None or not math.isfinite(v) or xv is None or not math.isfinite(xv):
                if segments[-1]:
                    segments.append([])
                continue
            pt = (self.x(xv), self.y(v, right))
            segments[-1].append(pt)
            points.append((*pt, i))
        for seg in segments:
            if len(seg) >= 2:
                d = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
                self._parts.append(
                    f'<polyline class="line {css}" points="{d}"><title>{escape(label)}</title>'
                    "</polyline>"
                )
        if dots or any(len(s) == 1 for s in segments):
            for x, y, i in points:
                title = titles[i] if titles else label
                self._parts.append(
                    f'<circle class="dot {css}" cx="{x:.1f}" cy="{y:.1f}" r="3.5">'
                    f"<title>{escape(title)}</title></circle>"
                )

    def marker(self, slot: int, value: float, css: str, title: str, data: str = "") -> None:
        cx, cy = self.x(slot), self.y(value) - 10
        self._parts.append(
            f'<path class="marker {css}" data-rule="{escape(data)}" '
            f'd="M{cx - 6:.1f},{cy - 8:.1f} L{cx + 6:.1f},{cy - 8:.1f} L{cx:.1f},{cy + 2:.1f} Z">'
            f"<title>{escape(title)}</title></path>"
        )

    # render ---------------------------------------------------------------------------
    def _axes(self) -> list[str]:
        out = []
        base = HEIGHT - MARGIN_B
        for k in range(5):
            value = self.y_min + ((self.y_max or 1) - self.y_min) * k / 4
            y = self.y(value)
            out.append(
                f'<line class="grid" x1="{MARGIN_L}" x2="{WIDTH - MARGIN_R}" '
                f'y1="{y:.1f}" y2="{y:.1f}"/>'
            )
            out.append(
                f'<text class="tick" x="{MARGIN_L - 6}" y="{y + 4:.1f}" '
                f'text-anchor="end">{_fmt(value)}</text>'
            )
            if self.y_right_max:
                rv = self.y_right_max * k / 4
                out.append(
                    f'<text class="tick right" x="{WIDTH - MARGIN_R + 6}" '
                    f'y="{self.y(rv, True) + 4:.1f}">{_fmt(rv)}</text>'
                )
        out.append(
            f'<line class="axis" x1="{MARGIN_L}" x2="{WIDTH - MARGIN_R}" y1="{base}" y2="{base}"/>'
        )
        labels = list(self.x_labels)
        if labels:
            step = max(1, math.ceil(len(labels) / 10))
            for i in range(0, len(labels), step):
                xv = self.x_values[i] if self.x_values is not None else i
                out.append(
                    f'<text class="tick" x="{self.x(xv):.1f}" y="{base + 16}" '
                    f'text-anchor="middle">{escape(labels[i])}</text>'
                )
        if self.y_label:
            out.append(
                f'<text class="axis-label" x="12" y="{MARGIN_T + 4}" '
                f'transform="rotate(-90 12 {MARGIN_T + 4})" text-anchor="end">'
                f"{escape(self.y_label)}</text>"
            )
        if self.y_right_label:
            xr = WIDTH - 8
            out.append(
                f'<text class="axis-label right" x="{xr}" y="{MARGIN_T + 4}" '
                f'transform="rotate(90 {xr} {MARGIN_T + 4})">'
                f"{escape(self.y_right_label)}</text>"
            )
        return out

    def render(self) -> str:
        body = "\n".join(self._axes() + self._parts)
        return (
            f'<svg class="{escape(self.css_class)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(self.title)}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(self.title)}</title>\n{body}\n</svg>"
        )


def downsample(n: int, max_points: int = 600) -> slice:
    """A slice step that keeps at most about `max_points` of `n` samples."""
    return slice(None, None, max(1, math.ceil(n / max_points)))
