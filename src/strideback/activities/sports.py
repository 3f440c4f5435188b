"""Map the sport names and codes found in files onto StrideBack's sports (see sports.yaml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

_MAPPING_FILE = Path(__file__).with_name("sports.yaml")


@cache
def _mapping() -> dict[str, dict[str, str]]:
    with _MAPPING_FILE.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return {key: {str(k): str(v) for k, v in table.items()} for key, table in data.items()}


def fit_sport(sport: str | int | None, sub_sport: str | int | None) -> tuple[str, str | None]:
    """(sport, sub_sport) from FIT enum names (fitdecode's spelling)."""
    table = _mapping()
    sport_name = str(sport) if sport is not None else "generic"
    sub_name = str(sub_sport) if sub_sport is not None else None
    mapped = table["fit_sport"].get(sport_name)
    if mapped is None and sub_name is not None:
        mapped = table["fit_sub_sport_sport"].get(sub_name)
    mapped = mapped or "other"
    if mapped == "running":
        return mapped, table["fit_run_sub_sport"].get(sub_name or "generic", "generic")
    return mapped, sub_name if sub_name not in (None, "generic") else None


def tcx_sport(sport: str | None) -> str:
    return _mapping()["tcx_sport"].get((sport or "").strip().lower(), "other")


def gpx_type(type_text: str | None) -> str | None:
    """Sport from a GPX <type>, or None when the file says nothing usable."""
    if not type_text:
        return None
    key = type_text.strip().lower().replace(" ", "").replace("_", "")
    return _mapping()["gpx_type"].get(key)


def strava_type(activity_type: str | None) -> str | None:
    if not activity_type:
        return None
    return _mapping()["strava_type"].get(activity_type.strip().lower(), "other")
