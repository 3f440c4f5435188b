"""Load the dashboard's data file (web.yaml) once, with clear errors on bad content."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CONFIG_FILE = Path(__file__).with_name("web.yaml")
CLINIC_ENV = "STRIDEBACK_CLINIC"


def clinic_from_env() -> bool:
    """Clinic mode (accounts on) when STRIDEBACK_CLINIC is 1/true/yes/on."""
    return os.environ.get(CLINIC_ENV, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class UploadRule:
    kind: str
    max_bytes: int
    suffixes: tuple[str, ...]
    label: str

    def check_name(self, filename: str) -> str | None:
        """An error message if `filename` is not an accepted type, else None."""
        name = filename.lower()
        if not name or not any(name.endswith(suffix) for suffix in self.suffixes):
            return f"{filename or '(no name)'}: not an accepted file type; expected {self.label}"
        return None


@dataclass(frozen=True)
class WebConfig:
    uploads: dict[str, UploadRule]
    form_max_bytes: int
    pain_safe_max: float
    pain_acceptable_max: float
    pain_citation: str
    red_flag_text: str
    red_flag_citation: str
    activities_per_page: int
    load_weeks: int


class ConfigError(ValueError):
    pass


@lru_cache(maxsize=4)
def load_config(path: Path = CONFIG_FILE) -> WebConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        uploads_raw = raw["uploads"]
        uploads = {
            kind: UploadRule(
                kind=kind,
                max_bytes=int(spec["max_bytes"]),
                suffixes=tuple(s.lower() for s in spec["suffixes"]),
                label=str(spec["label"]),
            )
            for kind, spec in uploads_raw.items()
            if isinstance(spec, dict)
        }
        bands = raw["pain_bands"]
        return WebConfig(
            uploads=uploads,
            form_max_bytes=int(uploads_raw["form_max_bytes"]),
            pain_safe_max=float(bands["safe_max"]),
            pain_acceptable_max=float(bands["acceptable_max"]),
            pain_citation=str(bands["citation"]),
            red_flag_text=str(raw["red_flag_reminder"]["text"]),
            red_flag_citation=str(raw["red_flag_reminder"]["citation"]),
            activities_per_page=int(raw["pages"]["activities_per_page"]),
            load_weeks=int(raw["pages"]["load_weeks"]),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: bad dashboard settings file ({exc!r})") from exc
