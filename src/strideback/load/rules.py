"""Load the load rules (thresholds with citations) from rules.yaml."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

RULES_FILE = Path(__file__).with_name("rules.yaml")


@cache
def load_rules(path: Path = RULES_FILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        rules: dict[str, Any] = yaml.safe_load(fh)
    return rules
