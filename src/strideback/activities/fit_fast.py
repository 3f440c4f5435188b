"""A fast FIT decoder for the common case: numpy does the field decoding.

How: one tight Python loop walks the message headers (it only needs each local message's size);
the data messages we need (file_id, session, lap, record, sport, activity) are then gathered
per definition with one fancy-index and read with a numpy structured dtype, and the FIT
profile's scale/offset/enums (taken from fitdecode's profile, so units match exactly) are
applied column-wise. The file CRC is checked too, vectorised (CRC-16 is linear: blocks are
hashed in parallel and combined).

Anything unusual raises FastPathDeclined and the caller falls back to fitdecode: compressed
timestamp headers, an undefined local message, a bad header or CRC, truncation, a wanted
field with an unexpected size, compressed speed/distance records. Developer fields are
skipped by their declared sizes, so names that shadow native fields cannot confuse it.
`tests/test_activities_fit.py` checks that both decoders give identical summaries.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any, Literal

import numpy as np
from fitdecode import profile

from strideback.activities.arrays import Array
from strideback.activities.fit_content import (
    ACTIVITY_FIELDS,
    FILE_ID_FIELDS,
    FIT_EPOCH_S,
    LAP_FIELDS,
    MSG_ACTIVITY,
    MSG_FILE_ID,
    MSG_LAP,
    MSG_RECORD,
    MSG_SESSION,
    MSG_SPORT,
    RECORD_COMPRESSED_SPEED_DISTANCE,
    RECORD_FIELDS,
    SEMICIRCLE_DEG,
    SESSION_FIELDS,
    SPORT_FIELDS,
    FitContent,
    local_offset,
)


class FastPathDeclined(Exception):
    """The file needs the full decoder (fitdecode)."""


WANTED = {MSG_FILE_ID, MSG_SPORT, MSG_SESSION, MSG_LAP, MSG_RECORD, MSG_ACTIVITY}

# base type number (low 5 bits) -> (numpy kind, size, invalid raw value or None for "z" types)
_BASE = {
    0x00: ("u1", 1, 0xFF),
    0x01: ("i1", 1, 0x7F),
    0x02: ("u1", 1, 0xFF),
    0x03: ("i2", 2, 0x7FFF),
    0x04: ("u2", 2, 0xFFFF),
    0x05: ("i4", 4, 0x7FFFFFFF),
    0x06: ("u4", 4, 0xFFFFFFFF),
    0x08: ("f4", 4, "nan"),
    0x09: ("f8", 8, "nan"),
    0x0A: ("u1", 1, 0),
    0x0B: ("u2", 2, 0),
    0x0C: ("u4", 4, 0),
    0x0E: ("i8", 8, 0x7FFFFFFFFFFFFFFF),
    0x0F: ("u8", 8, 0xFFFFFFFFFFFFFFFF),
    0x10: ("u8", 8, 0),
}

# FIT profile base type name -> (size, invalid raw value): the marker for "no value" that the
# profile's own type of a field uses, applied as well as the one the file's definition declares
# (a file may declare heart_rate as uint8z, but 255 is still the uint8 "invalid").
_PROFILE_INVALID = {
    "enum": (1, 0xFF),
    "sint8": (1, 0x7F),
    "uint8": (1, 0xFF),
    "uint8z": (1, 0),
    "byte": (1, 0xFF),
    "sint16": (2, 0x7FFF),
    "uint16": (2, 0xFFFF),
    "uint16z": (2, 0),
    "sint32": (4, 0x7FFFFFFF),
    "uint32": (4, 0xFFFFFFFF),
    "uint32z": (4, 0),
}


@cache
def profile_invalid(global_num: int, number: int) -> tuple[int, int] | None:
    """(size, invalid raw value) of a field's profile type, None when the profile has none."""
    message = profile.MESSAGE_TYPES.get(global_num)
    field = message.fields.get(number) if message else None
    if field is None:
        return None
    kind = field.type
    base = kind if type(kind).__name__ == "BaseType" else getattr(kind, "base_type", None)
    return _PROFILE_INVALID.get(getattr(base, "name", ""))


# ----------------------------------------------------------------------------- CRC-16 (FIT)


def _crc_table() -> Array:
    table = np.zeros(256, dtype=np.uint16)
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table[i] = crc
    return table


CRC_TABLE = _crc_table()
CRC_BLOCK = 64  # short blocks, many in parallel: fewest numpy steps for typical files


@cache
def _zero_shift_list() -> list[int]:
    values: list[int] = _zero_shift_table().tolist()
    return values


def _zero_shift_table() -> Array:
    """crc -> crc after CRC_BLOCK zero bytes (a linear map), for all 65536 values."""
    table_list = CRC_TABLE.tolist()
    columns = []
    for bit in range(16):
        crc = 1 << bit
        for _ in range(CRC_BLOCK):
            crc = (crc >> 8) ^ table_list[crc & 0xFF]
        columns.append(crc)
    values = np.arange(65536, dtype=np.uint32)
    out = np.zeros(65536, dtype=np.uint32)
    for bit, col in enumerate(columns):
        out ^= np.where(values & (1 << bit), col, 0).astype(np.uint32)
    return out.astype(np.uint16)


def fit_crc(data: bytes | Array) -> int:
    """FIT CRC-16 of `data` (init 0), computed over blocks in parallel with numpy."""
    arr = np.frombuffer(data, dtype=np.uint8) if isinstance(data, bytes | bytearray) else data
    pad = (-len(arr)) % CRC_BLOCK  # leading zero bytes leave a zero-init CRC unchanged
    blocks = np.concatenate([np.zeros(pad, dtype=np.uint8), arr]).reshape(-1, CRC_BLOCK)
    crc = np.zeros(len(blocks), dtype=np.uint16)
    table = CRC_TABLE
    for j in range(CRC_BLOCK):
        crc = (crc >> 8) ^ table[(crc ^ blocks[:, j]) & 0xFF]
    shift = _zero_shift_list()
    total = 0
    for value in crc.tolist():
        total = shift[total] ^ value
    return total


# ----------------------------------------------------------------------------- decoding


class _Definition:
    __slots__ = ("global_num", "big_endian", "fields", "size", "offsets")

    def __init__(
        self, global_num: int, big_endian: bool, fields: list[tuple[int, int, int]], size: int
    ):
        self.global_num = global_num
        self.big_endian = big_endian
        self.fields = fields  # (field number, size, base type)
        self.size = size
        self.offsets: list[int] = []


def _scan(buf: bytes, start: int, end: int, wanted: set[int] | None = WANTED) -> list[_Definition]:
    """Walk message headers; return definitions (with their data-message offsets) in order.

    Offsets are kept for the `wanted` global message numbers (None: all messages).
    """
    local: dict[int, _Definition] = {}
    layouts: dict[tuple[int, bool, bytes, int], _Definition] = {}
    seen: list[_Definition] = []
    i = start
    while i < end:
        header = buf[i]
        if header & 0x80:
            raise FastPathDeclined("compressed timestamp header")
        if header & 0x40:
            if i + 6 > end:
                raise FastPathDeclined("truncated definition")
            big = buf[i + 2] == 1
            global_num = int.from_bytes(buf[i + 3 : i + 5], "big" if big else "little")
            n_fields = buf[i + 5]
            j = i + 6 + 3 * n_fields
            raw = buf[i + 6 : j]
            fields = [(raw[k], raw[k + 1], raw[k + 2]) for k in range(0, 3 * n_fields, 3)]
            size = sum(f[1] for f in fields)
            if header & 0x20:
                if j >= end:
                    raise FastPathDeclined("truncated definition")
                n_dev = buf[j]
                dev = buf[j + 1 : j + 1 + 3 * n_dev]
                size += sum(dev[k + 1] for k in range(0, 3 * n_dev, 3))
                j += 1 + 3 * n_dev
            key = (global_num, big, raw, size)
            definition = layouts.get(key)
            if definition is None:  # identical re-definitions share one entry (one decode)
                definition = layouts[key] = _Definition(global_num, big, fields, size)
                seen.append(definition)
            local[header & 0x0F] = definition
            i = j
        else:
            definition = local.get(header & 0x0F)
            if definition is None:
                raise FastPathDeclined("data message with undefined local type")
            if wanted is None or definition.global_num in wanted:
                definition.offsets.append(i + 1)
            i += 1 + definition.size
    if i != end:
        raise FastPathDeclined("messages overrun the data size")
    return seen


def _columns(arr: Array, definition: _Definition) -> dict[int, Array | None]:
    """Field number -> float64 column (NaN = invalid) for one definition's data messages."""
    offsets = np.asarray(definition.offsets, dtype=np.int64)
    rows = arr[offsets[:, None] + np.arange(definition.size)]
    names, formats, positions = [], [], []
    order = ">" if definition.big_endian else "<"
    pos = 0
    out: dict[int, Array | None] = {}
    invalid: dict[int, Any] = {}
    for number, size, base in definition.fields:
        kind = _BASE.get(base & 0x1F)
        if kind is not None and kind[1] == size:
            names.append(f"f{number}_{pos}")
            formats.append(order + kind[0])
            positions.append(pos)
            invalid[len(names) - 1] = kind[2]
        pos += size
    if not names:
        return out
    dtype = np.dtype(
        {"names": names, "formats": formats, "offsets": positions, "itemsize": definition.size}
    )
    table = np.ascontiguousarray(rows).view(dtype).reshape(-1)
    for k, name in enumerate(names):
        number = int(name[1:].split("_")[0])
        if number in out:
            continue
        raw = table[name]
        values = raw.astype(np.float64)
        bad = invalid[k]
        if bad != "nan":
            values[raw == bad] = np.nan
        else:
            values[~np.isfinite(values)] = np.nan
        marker = profile_invalid(definition.global_num, number)
        if marker is not None and marker[0] == raw.dtype.itemsize and raw.dtype.kind in "iu":
            values[raw == marker[1]] = np.nan
        out[number] = values
    for number, _size, _base in definition.fields:
        if number not in out:
            out[number] = None  # present with an unexpected size / base type
    return out


@cache
def _spec(global_num: int, number: int) -> tuple[float, float, dict[int, str] | None]:
    field = profile.MESSAGE_TYPES[global_num].fields[number]
    enum = getattr(field.type, "enum", None)
    return float(field.scale or 1), float(field.offset or 0), enum


def _convert(global_num: int, number: int, values: Array) -> Array:
    scale, offset, _ = _spec(global_num, number)
    if scale != 1.0:
        values = values / scale
    if offset:
        values = values - offset
    return values


def _scalar(
    global_num: int, name: str, number: int, cols: dict[int, Array | None], row: int
) -> Any:
    column = cols.get(number)
    if number in cols and column is None:
        raise FastPathDeclined(f"field {name} has an unexpected size")
    if column is None:
        return None
    value = float(column[row])
    if np.isnan(value):
        return None
    if name in ("timestamp", "start_time", "local_timestamp"):
        return FIT_EPOCH_S + value
    _, _, enum = _spec(global_num, number)
    if enum is not None:
        return str(enum.get(int(value), int(value)))
    scale, offset, _ = _spec(global_num, number)
    if scale != 1.0:
        value = value / scale
    return value - offset if offset else value


def _messages(
    arr: Array, definitions: list[_Definition], global_num: int, fields: dict[str, int]
) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for definition in definitions:
        if definition.global_num != global_num or not definition.offsets:
            continue
        cols = _columns(arr, definition)
        for row, offset in enumerate(definition.offsets):
            out.append(
                (
                    offset,
                    {
                        name: _scalar(global_num, name, number, cols, row)
                        for name, number in fields.items()
                    },
                )
            )
    return out


def _records(arr: Array, definitions: list[_Definition]) -> tuple[Array, list[dict[str, Array]]]:
    offsets: list[Array] = []
    parts: list[dict[str, Array]] = []
    for definition in definitions:
        if definition.global_num != MSG_RECORD or not definition.offsets:
            continue
        cols = _columns(arr, definition)
        if RECORD_COMPRESSED_SPEED_DISTANCE in cols:
            raise FastPathDeclined("compressed speed/distance record")
        n = len(definition.offsets)
        part: dict[str, Array] = {}
        for name, (number, enhanced) in RECORD_FIELDS.items():
            for num in (enhanced, number):
                if num is not None and num in cols and cols[num] is None:
                    raise FastPathDeclined(f"record field {name} has an unexpected size")
            values = np.full(n, np.nan)
            plain = cols.get(number)
            if plain is not None:
                values = _convert(MSG_RECORD, number, plain)
            rich = cols.get(enhanced) if enhanced is not None else None
            if enhanced is not None and rich is not None:
                better = _convert(MSG_RECORD, enhanced, rich)
                values = np.where(np.isnan(better), values, better)
            part[name] = values
        offsets.append(np.asarray(definition.offsets))
        parts.append(part)
    return (np.concatenate(offsets) if offsets else np.empty(0)), parts


def decode_fit_fast(data: bytes) -> FitContent:
    """Decode a (possibly chained) FIT file; FastPathDeclined when fitdecode must do it."""
    arr = np.frombuffer(data, dtype=np.uint8)
    content = FitContent(decoder="fast")
    sessions, laps, sports, activities = [], [], [], []
    record_offsets: list[Array] = []
    record_parts: list[dict[str, Array]] = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < 12:
            raise FastPathDeclined("trailing bytes")
        header_size = data[pos]
        if header_size not in (12, 14) or data[pos + 8 : pos + 12] != b".FIT":
            raise FastPathDeclined("bad FIT header")
        data_size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        end = pos + header_size + data_size
        if end + 2 > len(data) or data_size == 0:
            raise FastPathDeclined("truncated FIT file")
        if header_size == 14:
            header_crc = int.from_bytes(data[pos + 12 : pos + 14], "little")
            if header_crc and fit_crc(arr[pos : pos + 12]) != header_crc:
                raise FastPathDeclined("header CRC mismatch")
        if fit_crc(arr[pos : end + 2]) != 0:
            # Several devices write bad CRCs while the data decode consistently: decode anyway
            # (linear time, no second pass) and say so.
            note = "CRC mismatch in the file; decoded with CRC checks off"
            if note not in content.notes:
                content.notes.append(note)
        definitions = _scan(data, pos + header_size, end)
        for _, values in _messages(arr, definitions, MSG_FILE_ID, FILE_ID_FIELDS):
            content.file_types.append(values["type"] or "unknown")
            content.manufacturer = content.manufacturer or values["manufacturer"]
        sessions += _messages(arr, definitions, MSG_SESSION, SESSION_FIELDS)
        laps += _messages(arr, definitions, MSG_LAP, LAP_FIELDS)
        sports += _messages(arr, definitions, MSG_SPORT, SPORT_FIELDS)
        activities += _messages(arr, definitions, MSG_ACTIVITY, ACTIVITY_FIELDS)
        offsets, parts = _records(arr, definitions)
        record_offsets.append(offsets)
        record_parts += parts
        pos = end + 2
    content.sessions = [v for _, v in sorted(sessions, key=lambda x: x[0])]
    content.laps = [v for _, v in sorted(laps, key=lambda x: x[0])]
    content.sports = [v for _, v in sorted(sports, key=lambda x: x[0])]
    if activities:
        last = sorted(activities, key=lambda x: x[0])[-1][1]
        content.local_offset_s = local_offset(last["timestamp"], last["local_timestamp"])
    all_offsets = np.concatenate(record_offsets) if record_offsets else np.empty(0)
    order = np.argsort(all_offsets, kind="stable")
    records = {}
    for name in RECORD_FIELDS:
        column = np.concatenate([p[name] for p in record_parts]) if record_parts else np.empty(0)
        records[name] = column[order]
    records["timestamp"] = records["timestamp"] + FIT_EPOCH_S
    for col in ("position_lat", "position_long"):
        records[col] = records[col] * SEMICIRCLE_DEG
    content.records = records
    return content


def iter_fit_files(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(start, header size, end of data) for each FIT file in a chain; FastPathDeclined if odd."""
    pos = 0
    while pos < len(data):
        header_size = data[pos]
        if header_size not in (12, 14) or data[pos + 8 : pos + 12] != b".FIT":
            raise FastPathDeclined("bad FIT header")
        end = pos + header_size + int.from_bytes(data[pos + 4 : pos + 8], "little")
        if end + 2 > len(data):
            raise FastPathDeclined("truncated FIT file")
        yield pos, header_size, end
        pos = end + 2


def shift_fit_times(data: bytes, delta_s: int) -> bytes:
    """A copy of a FIT file with every date_time field moved by `delta_s` and CRCs recomputed.

    Used to make realistic synthetic histories from real files (bench/bench_import.py).
    """
    out = bytearray(data)
    for start, header_size, end in iter_fit_files(data):
        for definition in _scan(data, start + header_size, end, wanted=None):
            if not definition.offsets:
                continue
            message = profile.MESSAGE_TYPES.get(definition.global_num)
            order: Literal["big", "little"] = "big" if definition.big_endian else "little"
            pos = 0
            for number, size, _base in definition.fields:
                field = message.fields.get(number) if message else None
                is_time = number == 253 or (
                    field is not None and field.type.name in ("date_time", "local_date_time")
                )
                if is_time and size == 4:
                    for offset in definition.offsets:
                        at = offset + pos
                        value = int.from_bytes(out[at : at + 4], order)
                        if 0x10000000 <= value < 0xFFFFFFFF:
                            out[at : at + 4] = (value + delta_s).to_bytes(4, order)
                pos += size
        crc = fit_crc(np.frombuffer(bytes(out[start:end]), dtype=np.uint8))
        out[end : end + 2] = crc.to_bytes(2, "little")
    return bytes(out)
