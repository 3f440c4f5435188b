"""Garmin export activity names: the export keeps them in a JSON file beside the FIT files.

`DI_CONNECT/DI-Connect-Fitness/*_summarizedActivities.json` lists every activity with its
name and its start (`startTimeGmt`, milliseconds since 1970, UTC). The FIT files carry no
name, so a FIT activity gets the name of the listed activity that started within
MATCH_WINDOW_S of it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

MATCH_WINDOW_S = 60.0
MAX_JSON_BYTES = 256 * 1024**2


def is_names_file(member: str) -> bool:
    return member.lower().endswith("summarizedactivities.json")


def _entries(data: Any) -> list[dict[str, Any]]:
    """The activity objects, wherever the export nests them."""
    if isinstance(data, dict):
        if "startTimeGmt" in data:
            return [data]
        return [e for value in data.values() for e in _entries(value)]
    if isinstance(data, list):
        return [e for value in data for e in _entries(value)]
    return []


@dataclass
class StartNames:
    """Activity names by start time (seconds since 1970, UTC), for a nearest-start lookup."""

    starts: list[float] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def add_json(self, raw: bytes) -> int:
        """Add the names in one summarizedActivities.json; how many were added."""
        pairs = []
        for entry in _entries(json.loads(raw.decode("utf-8-sig", errors="replace"))):
            name, start = entry.get("name"), entry.get("startTimeGmt")
            if isinstance(name, str) and name.strip() and isinstance(start, int | float):
                pairs.append((float(start) / 1000.0, name.strip()[:300]))
        merged = sorted([*zip(self.starts, self.names, strict=True), *pairs])
        self.starts = [s for s, _ in merged]
        self.names = [n for _, n in merged]
        return len(pairs)

    def name_at(self, start: dt.datetime) -> str | None:
        """The name of the listed activity that started nearest `start`, within the window."""
        if not self.starts:
            return None
        t = start.timestamp()
        i = bisect.bisect_left(self.starts, t)
        best = min(
            (j for j in (i - 1, i) if 0 <= j < len(self.starts)),
            key=lambda j: abs(self.starts[j] - t),
        )
        return self.names[best] if abs(self.starts[best] - t) <= MATCH_WINDOW_S else None
