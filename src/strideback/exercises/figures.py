"""Draw an exercise's pose (from `figures.yaml`) as a small, self-contained SVG."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from strideback.datafile import load_yaml

FIGURES_FILE = Path(__file__).with_name("figures.yaml")


@lru_cache(maxsize=1)
def load_poses() -> dict[str, dict[str, Any]]:
    poses = load_yaml(FIGURES_FILE)  # one loader: a clear error naming the file
    for name, pose in poses.items():
        if "head" not in pose or "lines" not in pose:
            raise ValueError(f"{FIGURES_FILE}: pose {name!r} needs 'head' and 'lines'")
    assert isinstance(poses, dict)
    return poses


def _polyline(points: list[list[float]], width: float, colour: str) -> str:
    pts = " ".join(f"{x:g},{y:g}" for x, y in points)
    return (
        f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{width:g}" '
        'stroke-linecap="round" stroke-linejoin="round"/>'
    )


def render_svg(pose_id: str, title: str) -> str:
    """A 120×100 stick figure with a title for screen readers."""
    poses = load_poses()
    if pose_id not in poses:
        raise ValueError(f"{FIGURES_FILE}: no pose named {pose_id!r}")
    pose = poses[pose_id]
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 100" width="240" height="200" '
        'role="img">',
        f"<title>{escape(title)}</title>",
        '<line x1="0" y1="90" x2="120" y2="90" stroke="#bbb" stroke-width="1"/>',
    ]
    parts += [_polyline(p, 1.5, "#888") for p in pose.get("props", [])]
    parts += [
        f'<circle cx="{x:g}" cy="{y:g}" r="{r:g}" fill="none" stroke="#888" stroke-width="1.5"/>'
        for x, y, r in pose.get("circles", [])
    ]
    parts += [_polyline(p, 4, "#1f4e79") for p in pose["lines"]]
    hx, hy = pose["head"]
    parts.append(f'<circle cx="{hx:g}" cy="{hy:g}" r="7" fill="#1f4e79"/>')
    parts.append("</svg>")
    return "".join(parts)
