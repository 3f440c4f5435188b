"""The one loader for StrideBack's shipped data files (rules, thresholds, bounds, references).

Every YAML file in the package is read through `load_yaml`. With a `schema` (a pydantic model,
or any type pydantic understands such as `dict[str, Rule]`) the data is validated on load, and a
mistake is reported as one line naming the file and the key: ``rules.yaml: pain_ok.value: Input
should be a valid integer``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar, overload

import yaml
from pydantic import TypeAdapter, ValidationError

T = TypeVar("T")


class DataFileError(ValueError):
    """A shipped data file that cannot be read or does not match its schema."""


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


@overload
def load_yaml(path: Path, schema: None = None) -> Any: ...


@overload
def load_yaml(path: Path, schema: type[T]) -> T: ...


def load_yaml(path: Path, schema: type[T] | None = None) -> T | Any:
    """Read `path` as YAML and, with a schema, validate it (raise DataFileError naming the key)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataFileError(f"{path.name}: cannot read the file: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise DataFileError(f"{path.name}: not valid YAML: {exc}") from exc
    if schema is None:
        return raw
    try:
        return TypeAdapter(schema).validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise DataFileError(f"{path.name}: {_where(first['loc'])}: {first['msg']}{more}") from exc
