"""`strideback load`: weekly running load with the evidence-based flags."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from strideback.cli.common import console, get_db, print_json
from strideback.domain import WeekLoad


def _km(m: float) -> str:
    return f"{m / 1000:.1f}"


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:+.0f}%"


def _hours(s: float) -> str:
    return f"{int(s // 3600)}:{int(s % 3600 // 60):02d}"


def _shallow(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _week_json(w: WeekLoad) -> dict[str, Any]:
    # Flat dataclasses: a shallow copy per level is the same dict as `dataclasses.asdict`, whose
    # recursive deep copy took ~0.1 s of the 10-year `--json` output (bench/bench_load.py).
    data = _shallow(w)
    data["week_start"] = w.week_start.isoformat()
    data["flags"] = [_shallow(f) for f in w.flags]
    return data


def load_command(
    weeks: int = typer.Option(12, "--weeks", "-w", min=1, help="How many recent weeks to show."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per week."),
    chart: Path | None = typer.Option(None, "--chart", help="Write a chart (.png, .svg, .html)."),
    today: str | None = typer.Option(None, "--today", help="Pretend today is this date (ISO)."),
) -> None:
    """Weekly running distance, ramp rates, downhill and cross-training, with load warnings."""
    from strideback.load.service import weekly_load
    from strideback.load.weekly import acwr_note

    day = dt.date.fromisoformat(today) if today else dt.date.today()
    result = weekly_load(get_db(), today=day, weeks=weeks)
    if chart is not None:
        from strideback.load.chart import write_chart

        write_chart(result, chart)
    if as_json:
        for w in result:
            print_json(_week_json(w))
        return
    if not result:
        console.print(
            "No activities stored yet. Import your history with "
            "[bold]strideback import PATH[/] (FIT, GPX, TCX, Strava or Garmin exports)."
        )
        return
    table = Table(title="Weekly running load", show_lines=False)
    for name in (
        "week",
        "km",
        "time",
        "runs",
        "longest",
        "up m",
        "down m",
        "vs last",
        "vs 4-wk",
        "A:C",
        "cross",
        "flags",
    ):
        table.add_column(name, justify="right" if name not in ("week", "flags") else "left")
    for w in result:
        flags = [f for f in w.flags if f.severity == "warning"]
        table.add_row(
            w.week,
            _km(w.distance_m),
            _hours(w.time_s),
            str(w.runs),
            _km(w.longest_m),
            f"{w.ascent_m:.0f}",
            f"{w.descent_m:.0f}",
            _pct(w.ramp_prev_pct),
            _pct(w.ramp_4wk_pct),
            "–" if w.acwr is None else f"{w.acwr:.2f}",
            _hours(w.cross_training_s),
            "[red]" + ", ".join(sorted({f.rule for f in flags})) + "[/]" if flags else "",
        )
    console.print(table)
    for w in result:
        for f in w.flags:
            colour = "red" if f.severity == "warning" else "dim"
            console.print(f"[{colour}]{w.week}[/] {f.message}\n    [dim]{f.citation}[/]")
    console.print(f"[dim]{acwr_note()}[/]")
    if chart is not None:
        console.print(f"Chart written to {chart}")


def register(app: typer.Typer) -> None:
    app.command("load")(load_command)
