"""Build the charts and tables the pages show from the services' dataclasses (pure)."""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from strideback.domain import DiaryEntry, WeekLoad
from strideback.plan.wording import plain_words
from strideback.web import formatting
from strideback.web.charts import Chart, downsample

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PainBands:
    safe_max: float
    acceptable_max: float
    citation: str


def entry_worst_pain(entry: DiaryEntry) -> int | None:
    values = [
        v for v in (entry.pain_during, entry.pain_after, entry.pain_next_morning) if v is not None
    ]
    return max(values) if values else None


def pain_by_week(entries: Iterable[DiaryEntry], weeks: Sequence[WeekLoad]) -> list[float | None]:
    """The worst pain score recorded in each week (None where no diary entry)."""
    index = {w.week_start: i for i, w in enumerate(weeks)}
    worst: list[float | None] = [None] * len(weeks)
    for entry in entries:
        monday = entry.day - dt.timedelta(days=entry.day.weekday())
        i = index.get(monday)
        pain = entry_worst_pain(entry)
        if i is None or pain is None:
            continue
        current = worst[i]
        worst[i] = pain if current is None else max(current, pain)
    return worst


def _pain_layers(chart: Chart, bands: PainBands) -> None:
    source = plain_words(bands.citation)  # what the runner reads: no internal references
    chart.band(0, bands.safe_max, "pain-safe", f"Pain 0-{bands.safe_max:g}: safe zone. {source}")
    chart.band(
        bands.safe_max,
        bands.acceptable_max,
        "pain-acceptable",
        f"Pain up to {bands.acceptable_max:g}: acceptable if it settles by next morning. {source}",
    )


def load_chart(
    weeks: Sequence[WeekLoad], pain: Sequence[float | None], bands: PainBands, units: str = "km"
) -> str:
    """Weekly running distance (bars, flagged weeks marked) with worst weekly pain overlaid."""
    per = formatting.unit_metres(units)
    dist = [w.distance_m / per for w in weeks]
    cross_h = [w.cross_training_s / 3600 for w in weeks]
    labels = [w.week_start.strftime("%d %b %y") for w in weeks]
    chart = Chart(
        title=f"Weekly running distance ({units}) and worst pain (0-10)",
        x_labels=labels,
        y_label=f"{units} per week",
        y_right_label="pain 0-10",
        y_right_max=10,
        css_class="chart load-chart",
    )
    chart.fit_left(dist)
    _pain_layers(chart, bands)
    titles = []
    flagged = []
    for w, d in zip(weeks, dist, strict=True):
        lines = [f"Week of {w.week_start.isoformat()}: {d:.1f} {units} in {w.runs} runs"]
        if w.descent_m:
            lines.append(f"downhill {w.descent_m:.0f} m")
        if w.cross_training_s:
            lines.append(f"cross-training {formatting.duration(w.cross_training_s)}")
        lines += [f"⚑ {f.message} ({f.citation})" for f in w.flags]
        titles.append("\n".join(lines))
        flagged.append("flagged" if any(f.severity == "warning" for f in w.flags) else "")
    chart.bars(dist, "distance", titles, extra_css=flagged)
    if any(cross_h):
        chart.bars(
            [c * (chart.y_max or 1) / max(max(cross_h), 1e-9) * 0.25 for c in cross_h],
            "cross",
            [f"cross-training {formatting.duration(w.cross_training_s)}" for w in weeks],
            width_frac=0.3,
            offset=0.35,
        )
    for i, w in enumerate(weeks):
        warnings = [f for f in w.flags if f.severity == "warning"]
        if warnings:
            chart.marker(
                i,
                dist[i],
                "flag",
                "\n".join(f"{f.message} ({f.citation})" for f in warnings),
                data=" ".join(sorted({f.rule for f in warnings})),
            )
    pain_titles = [f"worst pain {p:g}/10" if p is not None else "" for p in pain]
    chart.line(
        list(pain),
        "pain",
        "worst pain in the week (diary)",
        right=True,
        dots=True,
        titles=pain_titles,
    )
    return chart.render()


def descent_chart(weeks: Sequence[WeekLoad]) -> str:
    labels = [w.week_start.strftime("%d %b %y") for w in weeks]
    chart = Chart(
        title="Downhill metres per week",
        x_labels=labels,
        y_label="descent m",
        css_class="chart descent-chart",
    )
    values = [w.descent_m for w in weeks]
    chart.fit_left(values)
    chart.bars(
        values, "descent", [f"Week of {w.week_start}: {w.descent_m:.0f} m down" for w in weeks]
    )
    return chart.render()


def diary_chart(entries: Sequence[DiaryEntry], bands: PainBands) -> str:
    days = sorted(entries, key=lambda e: e.day)
    labels = [e.day.strftime("%d %b") for e in days]
    chart = Chart(
        title="Pain by day (0-10)",
        x_labels=labels,
        y_label="pain 0-10",
        y_max=10,
        y_right_max=10,
        css_class="chart diary-chart",
    )
    _pain_layers(chart, bands)
    for name, css in (
        ("pain_during", "during"),
        ("pain_after", "after"),
        ("pain_next_morning", "morning"),
    ):
        values = [getattr(e, name) for e in days]
        chart.line(
            values,
            f"pain {css}",
            name.replace("_", " "),
            right=True,
            dots=True,
            titles=[f"{e.day}: {name.replace('_', ' ')} {getattr(e, name)}" for e in days],
        )
    return chart.render()


def kujala_chart(history: Sequence[Any]) -> str:
    items = sorted(history, key=lambda k: k.taken_on)
    labels = [formatting.when(k.taken_on) for k in items]
    chart = Chart(
        title="Kujala score (0-100, higher is better)",
        x_labels=labels,
        y_label="Kujala",
        y_max=100,
        css_class="chart kujala-chart",
    )
    chart.line(
        [float(k.total) for k in items],
        "kujala",
        "Kujala score",
        dots=True,
        titles=[f"{formatting.when(k.taken_on)}: {k.total}/100" for k in items],
    )
    return chart.render()


def chart_title(svg: str) -> str:
    """The title a chart's SVG carries (for a visible heading above it)."""
    found = re.search(r"<title>(.*?)</title>", svg, re.S)
    return html.unescape(found.group(1)) if found else ""


def _clean(arr: FloatArray | None) -> FloatArray | None:
    if arr is None:
        return None
    arr = np.asarray(arr, dtype=float)
    return None if arr.size == 0 or np.all(np.isnan(arr)) else arr


def activity_charts(series_columns: dict[str, FloatArray], units: str = "km") -> list[str]:
    """Pace, elevation, cadence and heart-rate charts against distance (or time)."""
    cols = {k: _clean(v) for k, v in series_columns.items()}
    t = cols.get("t_s")
    if t is None:
        return []
    cut = downsample(len(t))
    per = formatting.unit_metres(units)
    dist = cols.get("distance_m")
    if dist is not None and np.nanmax(dist) > 0:
        x = dist[cut] / per
        x_name = units
    else:
        x = t[cut] / 60
        x_name = "min"
    finite_x = x[np.isfinite(x)]
    ticks = np.linspace(finite_x.min(), finite_x.max(), 6) if finite_x.size else []
    out = []

    def chart(
        title: str,
        y_label: str,
        values: FloatArray,
        css: str,
        y_max: float | None = None,
        floor: bool = True,
    ) -> None:
        c = Chart(
            title=title,
            x_values=list(x),
            x_labels=[],
            y_label=y_label,
            y_max=y_max,
            css_class=f"chart {css}-chart",
        )
        if floor:
            c.floor_to_data(list(values))
        c.fit_left(list(values))
        c.line([None if not math.isfinite(v) else float(v) for v in values], css, title)
        svg = c.render()
        tick_svg = "".join(
            f'<text class="tick" x="{c.x(v):.1f}" y="{300 - 42 + 16}" text-anchor="middle">'
            f"{v:.1f}</text>"
            for v in ticks
        )
        label = (
            f'<text class="axis-label" x="{c.x(ticks[-1]) if len(ticks) else 700:.1f}" '
            f'y="296" text-anchor="end">{x_name}</text>'
        )
        out.append(svg.replace("</svg>", tick_svg + label + "</svg>"))

    speed = cols.get("speed_mps")
    if speed is not None:
        s = speed[cut]
        with np.errstate(divide="ignore", invalid="ignore"):
            pace_min = np.where(s > 0.5, per / s / 60, np.nan)
        if np.isfinite(pace_min).any():
            chart(f"Pace (min/{units})", f"min/{units}", _smooth(pace_min), "pace")
    alt = cols.get("altitude_m")
    if alt is not None:
        chart("Elevation (m)", "m", alt[cut], "elevation")
    cad = cols.get("cadence_spm")
    if cad is not None:
        chart("Cadence (steps/min)", "spm", cad[cut], "cadence")
    hr = cols.get("hr_bpm")
    if hr is not None:
        chart("Heart rate (bpm)", "bpm", hr[cut], "hr")
    return out


def _smooth(values: FloatArray, window: int = 5) -> FloatArray:
    """Centred rolling median that ignores NaN and shrinks at the edges."""
    if values.size < window:
        return values
    half = window // 2
    padded = np.pad(values.astype(float), half, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN window stays NaN
        smoothed: FloatArray = np.nanmedian(windows, axis=1)
    return smoothed
