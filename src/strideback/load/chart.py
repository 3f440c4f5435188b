"""Weekly-distance chart with flags marked: PNG, SVG, or self-contained HTML."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from strideback.domain import WeekLoad  # noqa: E402

FLAG_STYLE = {
    "single_run_spike": ("v", "#d62728", "single-run spike >10% (Frandsen 2025)"),
    "two_week_progression": ("^", "#ff7f0e", ">30% over 2 weeks (Nielsen 2014)"),
    "downhill_run": ("s", "#8c564b", "hilly run"),
    "downhill_week": ("D", "#8c564b", "large downhill week"),
}


def _figure(weeks: Sequence[WeekLoad]):  # type: ignore[no-untyped-def]
    fig, ax = plt.subplots(figsize=(max(6.0, min(16.0, len(weeks) * 0.35)), 4.2), dpi=110)
    xs = list(range(len(weeks)))
    km = [w.distance_m / 1000 for w in weeks]
    flagged = [any(f.severity == "warning" for f in w.flags) for w in weeks]
    colors = ["#f4a582" if f else "#4c78a8" for f in flagged]
    ax.bar(xs, km, color=colors, width=0.8, label="running km per week")
    mean4 = []
    for i in range(len(weeks)):
        window = km[max(0, i - 3) : i + 1]
        mean4.append(sum(window) / len(window))
    ax.plot(xs, mean4, color="#333333", linewidth=1.2, label="4-week mean")
    top = max(km + [1.0])
    seen: set[str] = set()
    for x, w in zip(xs, weeks, strict=True):
        level = km[x] + top * 0.04
        for rule in dict.fromkeys(f.rule for f in w.flags):
            if rule not in FLAG_STYLE:
                continue
            marker, color, label = FLAG_STYLE[rule]
            ax.scatter(
                [x],
                [level],
                marker=marker,
                color=color,
                s=46,
                zorder=3,
                label=None if rule in seen else label,
            )
            seen.add(rule)
            level += top * 0.06
    step = max(1, len(weeks) // 12)
    ax.set_xticks(xs[::step])
    ax.set_xticklabels(
        [w.week_start.strftime("%d %b %y") for w in weeks][::step],
        rotation=30,
        ha="right",
        fontsize=8,
    )
    ax.set_ylabel("km")
    ax.set_ylim(0, top * 1.35)
    ax.set_title("Weekly running distance (orange = week with a load warning)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    fig.tight_layout()
    return fig


def render_chart(weeks: Sequence[WeekLoad], fmt: str = "png") -> bytes:
    """The chart as PNG or SVG bytes."""
    fig = _figure(weeks)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt)
    plt.close(fig)
    return buf.getvalue()


def write_chart(weeks: Sequence[WeekLoad], path: Path) -> Path:
    """Write .png, .svg or a self-contained .html (inline SVG plus the flag list)."""
    suffix = path.suffix.lower()
    if suffix in (".png", ".svg"):
        path.write_bytes(render_chart(weeks, suffix[1:]))
        return path
    if suffix not in (".html", ".htm"):
        raise ValueError(f"{path}: chart must end in .png, .svg or .html")
    svg = render_chart(weeks, "svg").decode("utf-8")
    svg = svg[svg.index("<svg") :]
    rows = []
    for w in weeks:
        for f in w.flags:
            rows.append(
                f"<tr><td>{w.week}</td><td>{html.escape(f.message)}</td>"
                f"<td><small>{html.escape(f.citation)}</small></td></tr>"
            )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>StrideBack load</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<style>body{font-family:system-ui,sans-serif;margin:1rem;max-width:70rem}"
        "svg{max-width:100%;height:auto}td{vertical-align:top;padding:.3rem;"
        "border-bottom:1px solid #ddd}</style></head><body>"
        f"<h1>Weekly load</h1>{svg}<h2>Flags</h2>"
        f"<table>{''.join(rows) or '<tr><td>No flags.</td></tr>'}</table>"
        "<p><small>StrideBack is a self-care aid, not a diagnosis.</small></p></body></html>"
    )
    path.write_text(page, encoding="utf-8")
    return path
