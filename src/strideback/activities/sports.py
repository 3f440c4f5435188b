"""Map the sport names and codes found in files onto StrideBack's sports (see sports.yaml)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from strideback.datafile import load_yaml
from strideback.domain import RunSubSport, Sport

_MAPPING_FILE = Path(__file__).with_name("sports.yaml")


class SportsFile(BaseModel):
    """sports.yaml: codes and words found in files -> StrideBack's sports (validated)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fit_sport: dict[str, Sport]
    fit_run_sub_sport: dict[str, RunSubSport]
    fit_sub_sport_sport: dict[str, Sport]
    tcx_sport: dict[str, Sport]
    gpx_type: dict[str, Sport]
    strava_type: dict[str, Sport]
    strava_type_translated: dict[str, Sport]
    name_sport: list[tuple[Sport, str]]


@cache
def _sports_file() -> SportsFile:
    return load_yaml(_MAPPING_FILE, SportsFile)


@cache
def _mapping() -> dict[str, dict[str, str]]:
    data = _sports_file().model_dump()
    return {key: table for key, table in data.items() if isinstance(table, dict)}


@cache
def _name_patterns() -> list[tuple[str, re.Pattern[str]]]:
    return [
        (sport, re.compile(pattern, re.IGNORECASE)) for sport, pattern in _sports_file().name_sport
    ]


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
    key = activity_type.strip().lower()
    table = _mapping()
    return table["strava_type"].get(key) or table["strava_type_translated"].get(key, "other")


# Guessing a sport from movement, for files that name none (GPX without <type>).
# Speeds are moving speeds (distance / moving time); climbing is ascent per km of distance.
# Below WALK_BELOW_MPS (6.8 km/h) it is on foot but not running: a hike when it climbs at
# least HIKE_CLIMB_M_PER_KM (3 % on average: hilly or mountain ground), a walk otherwise.
# Faster is running (steep trail runs in the corpus climb 40-65 m/km at 2.5-3.3 m/s, so
# climbing alone does not make a hike); above RIDE_ABOVE_MPS (23 km/h) it is cycling.
# These are plain heuristics, not evidence-based rules: the result is marked "guessed" and
# the runner can correct it (set_sport).
WALK_BELOW_MPS = 1.9
RIDE_ABOVE_MPS = 6.5
HIKE_CLIMB_M_PER_KM = 30.0


def sport_from_name(name: str | None) -> str | None:
    """The sport a name says ("Hike", "Cycling 10/2/17", "Nachtlauf", "Wanderung"), or None."""
    if not name:
        return None
    for sport, pattern in _name_patterns():
        if pattern.search(name):
            return sport
    return None


def guess_sport(
    name: str | None,
    distance_m: float | None,
    moving_s: float | None,
    ascent_m: float | None,
) -> tuple[str, str]:
    """(sport, how it was guessed) for an activity whose file names no sport."""
    from_name = sport_from_name(name)
    if from_name:
        return from_name, "guessed-from-name"
    if not distance_m or not moving_s:
        return "other", "guessed-no-movement"
    speed = distance_m / moving_s
    climb = (ascent_m or 0.0) / (distance_m / 1000.0)
    if speed > RIDE_ABOVE_MPS:
        return "cycling", "guessed-from-speed"
    if speed < WALK_BELOW_MPS:
        if climb >= HIKE_CLIMB_M_PER_KM:
            return "hiking", "guessed-from-speed-and-climb"
        return "walking", "guessed-from-speed"
    return "running", "guessed-from-speed"
