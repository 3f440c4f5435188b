"""CSV cells a spreadsheet will not run: text starting with =, +, -, @ (or a tab / carriage
return) gets a leading apostrophe, the OWASP advice against CSV (formula) injection."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet should see it: formulas neutralised, times with offset.

    Numbers stay numbers (a negative number is not text); naive datetimes are UTC, as
    StrideBack stores them, and are written ISO 8601 with their offset.
    """
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_rows(out: TextIO, fields: list[str], rows: Iterable[dict[str, Any]]) -> int:
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    n = 0
    for row in rows:
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
        n += 1
    return n
