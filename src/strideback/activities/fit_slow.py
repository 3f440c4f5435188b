"""FIT decoding with fitdecode: the reference decoder and the fallback for unusual files.

Policy for damaged files (documented choice):
- CRC mismatch: decode again with CRC checks off; the data decode consistently in practice
  (several devices write bad CRCs), so the activity is imported with a note.
- Data cut short (truncated file, corrupt second header of a chained file): whatever decoded
  before the damage is kept when it holds an activity (a session or records); the rest is
  reported in a note. Nothing decodable -> the file is an error with fitdecode's reason.
Developer fields are ignored (some shadow native names such as "distance").
"""

from __future__ import annotations

import io
from typing import Any

import fitdecode
import numpy as np
from fitdecode.types import FieldDefinition

from strideback.activities.errors import ImportFailure
from strideback.activities.fit_content import (
    FIT_EPOCH_S,
    LAP_FIELDS,
    RECORD_FIELDS,
    SEMICIRCLE_DEG,
    SESSION_FIELDS,
    SPORT_FIELDS,
    SUBFIELD_ALIASES,
    FitContent,
    local_offset,
)
from strideback.activities.fit_fast import (
    FastPathDeclined,
    fit_crc,
    iter_fit_files,
    profile_invalid,
)


def _is_marker(frame: fitdecode.FitDataMessage, fd: Any) -> bool:
    """True when the raw value is the FIT "invalid" marker of the field's profile type."""
    number = getattr(fd, "def_num", None)
    raw = getattr(fd, "raw_value", None)
    if number is None or not isinstance(raw, int) or isinstance(raw, bool):
        return False
    marker = profile_invalid(frame.global_mesg_num, number)
    return marker is not None and raw == marker[1]


def _native_values(frame: fitdecode.FitDataMessage) -> dict[str, Any]:
    """Field name -> value for native fields only (developer fields can shadow names)."""
    values: dict[str, Any] = {}
    for fd in frame.fields:
        if fd.field_def is not None and not isinstance(fd.field_def, FieldDefinition):
            continue  # developer field
        value = None if _is_marker(frame, fd) else fd.value
        if fd.name not in values or values[fd.name] is None:
            values[fd.name] = value
    return values


def _time(value: Any) -> float | None:
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**32:
        # FIT date_time below 0x10000000 is relative (device clock not set): fitdecode
        # leaves it as an int; count it from the FIT epoch like any other FIT time.
        return float(FIT_EPOCH_S + value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
        return number if np.isfinite(number) else None
    return None


def _enum(value: Any) -> str | None:
    return None if value is None else str(value)


def _pick(values: dict[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        value = values.get(name)
        for alias in SUBFIELD_ALIASES.get(name, ()):
            value = values.get(alias) if value is None else value
        if name in ("timestamp", "start_time"):
            out[name] = _time(value)
        elif name in ("sport", "sub_sport"):
            out[name] = _enum(value)
        else:
            out[name] = _number(value)
    return out


def _decode(data: bytes, check_crc: fitdecode.CrcCheck) -> tuple[FitContent, Exception | None]:
    content = FitContent(decoder="fitdecode")
    rows: dict[str, list[float]] = {name: [] for name in RECORD_FIELDS}
    activity_times: tuple[float | None, float | None] = (None, None)
    error: Exception | None = None
    try:
        with fitdecode.FitReader(
            io.BytesIO(data), check_crc=check_crc, error_handling=fitdecode.ErrorHandling.RAISE
        ) as reader:
            for frame in reader:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                name = frame.name
                if name == "record":
                    v = _native_values(frame)
                    for col in RECORD_FIELDS:
                        value = v.get("enhanced_" + col) if col in ("altitude", "speed") else None
                        if value is None:
                            value = v.get(col)
                        if col == "timestamp":
                            value = _time(value)
                        else:
                            value = _number(value)
                        rows[col].append(np.nan if value is None else value)
                elif name == "session":
                    content.sessions.append(_pick(_native_values(frame), SESSION_FIELDS))
                elif name == "lap":
                    content.laps.append(_pick(_native_values(frame), LAP_FIELDS))
                elif name == "sport":
                    content.sports.append(_pick(_native_values(frame), SPORT_FIELDS))
                elif name == "file_id":
                    v = _native_values(frame)
                    content.file_types.append(_enum(v.get("type")) or "unknown")
                    if content.manufacturer is None:
                        content.manufacturer = _enum(v.get("manufacturer"))
                elif name == "activity":
                    v = _native_values(frame)
                    activity_times = (_time(v.get("timestamp")), _time(v.get("local_timestamp")))
    except fitdecode.FitCRCError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - any decode error: keep what decoded before it
        error = exc
    records = {col: np.asarray(values, dtype=float) for col, values in rows.items()}
    for col in ("position_lat", "position_long"):
        records[col] = records[col] * SEMICIRCLE_DEG
    content.records = records
    ts, local_raw = activity_times
    # local_timestamp (FIT local_date_time) comes back as if it were UTC: the difference is
    # the local offset.
    content.local_offset_s = local_offset(ts, local_raw)
    return content, error


def _describe(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:300]


def _crc_ok(data: bytes) -> bool:
    """Every FIT file of the chain ends in a matching CRC (checked vectorised, one pass)."""
    try:
        return all(fit_crc(data[start : end + 2]) == 0 for start, _, end in iter_fit_files(data))
    except FastPathDeclined:  # headers unreadable: fitdecode reports what it can
        return True


def decode_fit_slow(data: bytes) -> FitContent:
    """Decode a FIT file (possibly chained) with fitdecode; raise ImportFailure when unusable.

    One fitdecode pass, with its CRC checks off: the CRC is checked here (vectorised), so a
    file with a bad CRC costs one decode, not two.
    """
    if len(data) == 0:
        raise ImportFailure("empty file (0 bytes)")
    content, error = _decode(data, fitdecode.CrcCheck.DISABLED)
    if not _crc_ok(data):
        content.notes.append("CRC mismatch in the file; decoded with CRC checks off")
    has_data = bool(content.sessions) or content.n_records > 0
    if error is not None:
        if not has_data:
            raise ImportFailure(f"not a readable FIT file ({_describe(error)})")
        content.notes.append(
            f"file damaged after the activity data; kept what decoded ({_describe(error)})"
        )
    return content
