"""Load the load rules (thresholds with citations) from rules.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from strideback.datafile import DataFileError, load_yaml

RULES_FILE = Path(__file__).with_name("rules.yaml")


@cache
def load_rules(path: Path = RULES_FILE) -> dict[str, Any]:
    """The rules as a mapping (through the one YAML loader of shipped data files)."""
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise DataFileError(f"{path.name}: (top level): expected a mapping")
    rules: dict[str, Any] = data
    return rules
