"""The one loader for shipped data files: clear errors naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from strideback.datafile import DataFileError, load_yaml


class Rule(BaseModel):
    value: int
    citation: str


def test_valid_file_is_parsed_into_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("pain_ok: {value: 3, citation: Thomee 1997}\n", encoding="utf-8")
    rules = load_yaml(path, dict[str, Rule])
    assert rules["pain_ok"].value == 3


def test_wrong_type_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("pain_ok: {value: three, citation: x}\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"^rules\.yaml: pain_ok\.value: "):
        load_yaml(path, dict[str, Rule])


def test_broken_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="bad.yaml: not valid YAML"):
        load_yaml(bad)
    with pytest.raises(DataFileError, match="gone.yaml: cannot read"):
        load_yaml(tmp_path / "gone.yaml")
