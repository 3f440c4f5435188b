"""Table rows to JSON and back, driven by each column's SQLAlchemy type.

JSON values: integers and finite floats as numbers, booleans, dates and datetimes as ISO 8601
(datetimes are stored naive UTC, so they are written as such), binary data as base64 text.
Paths under the data folder are written relative to it (`$STRIDEBACK_HOME/...`), so a backup
restores into another home and exports again identically.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, LargeBinary, String
from sqlalchemy import Table as SqlTable

HOME_TOKEN = "$STRIDEBACK_HOME"
INT64 = 2**63 - 1


class FieldError(ValueError):
    """A value that does not fit its column: the message names the field."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"field {field}: {problem}")
        self.field = field


def encode_value(column: Column[Any], value: Any, home: str) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, LargeBinary):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(kind, DateTime | Date):
        return value.isoformat()
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Float):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str) and home and (value == home or value.startswith(home + "/")):
        return HOME_TOKEN + value[len(home) :]
    return value


OWNER = "runner_id"  # whose rows: set on restore to the runner restoring, never in a backup


def backup_columns(table: SqlTable) -> list[Column[Any]]:
    """The columns a backup holds: all but the owning runner (a backup is one runner's)."""
    return [c for c in table.columns if c.name != OWNER]


def encode_row(table: SqlTable, row: Any, home: str) -> dict[str, Any]:
    return {c.name: encode_value(c, row._mapping[c], home) for c in backup_columns(table)}


def decode_value(column: Column[Any], value: Any, home: str) -> Any:
    """The Python value for `column` from its JSON form, or FieldError saying why not."""
    name = column.name
    if value is None:
        if column.nullable:
            return None
        raise FieldError(name, "is missing (this field is required)")
    kind = column.type
    if isinstance(kind, Boolean):
        if not isinstance(value, bool):
            raise FieldError(name, f"{value!r} is not true or false")
        return value
    if isinstance(kind, Integer):
        if isinstance(value, bool) or not isinstance(value, int):
            raise FieldError(name, f"{value!r} is not a whole number")
        if not -INT64 - 1 <= value <= INT64:
            raise FieldError(name, f"{value} is out of range")
        return value
    if isinstance(kind, Float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FieldError(name, f"{value!r} is not a number")
        if not math.isfinite(float(value)):
            raise FieldError(name, f"{value!r} is not a finite number")
        return float(value)
    if isinstance(kind, DateTime):
        if not isinstance(value, str):
            raise FieldError(name, f"{value!r} is not a date and time")
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise FieldError(name, f"{value!r} is not a real date and time") from None
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        return moment
    if isinstance(kind, Date):
        if not isinstance(value, str) or len(value) != 10:
            raise FieldError(name, f"{value!r} is not a date (YYYY-MM-DD)")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise FieldError(name, f"{value!r} is not a real date") from None
    if isinstance(kind, LargeBinary):
        if not isinstance(value, str):
            raise FieldError(name, "binary data must be base64 text")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise FieldError(name, "is not valid base64 data") from None
    if not isinstance(value, str):
        raise FieldError(name, f"{value!r} is not text")
    if "\x00" in value:
        value = value.replace("\x00", "")
    if isinstance(kind, String) and kind.length and len(value) > kind.length:
        raise FieldError(name, f"is {len(value)} characters long (at most {kind.length})")
    if value == HOME_TOKEN or value.startswith(HOME_TOKEN + "/"):
        return home + value[len(HOME_TOKEN) :]
    return value


def decode_row(table: SqlTable, raw: Any, home: str) -> dict[str, Any]:
    """A row for `table` from its JSON object: every column checked, unknown ones refused."""
    if not isinstance(raw, dict):
        raise FieldError("(row)", "is not a JSON object")
    unknown = set(raw) - {c.name for c in backup_columns(table)}
    if unknown:
        raise FieldError(", ".join(sorted(unknown)), "is not a column of this table")
    row: dict[str, Any] = {}
    for column in backup_columns(table):
        if column.name not in raw:
            if column.nullable or column.default is not None or column.server_default is not None:
                continue  # an older backup without this column: the default applies
            raise FieldError(column.name, "is missing (this field is required)")
        row[column.name] = decode_value(column, raw[column.name], home)
    return row
