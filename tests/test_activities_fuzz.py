"""Property-based fuzzing of every reader with mutated real files (hypothesis, bounded).

Property: every input ends in an import or one clean error (or skip) line; no exception
escapes; nothing outside the plausibility bounds is kept. The longer campaign (thousands of
inputs) is bench/fuzz_import.py.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strideback.activities import service
from strideback.activities.bounds import violations
from strideback.activities.parse import ERROR, IMPORTED, SKIPPED, ParsedFile, parse_item
from strideback.activities.series_codec import decode_series
from strideback.activities.sources import FileItem, ItemStream
from strideback.store.db import open_database

NOW = dt.datetime.now(dt.UTC)
SEEDS = {
    "fit": ["gpsbabel__fit-sample.fit", "Runalyze__Standard.fit"],
    "gpx": ["Runalyze__hr-not-always-there.gpx"],
    "tcx": ["Runalyze__Runtastic.tcx", "Runalyze__missing-distances.tcx"],
}
# One mutation: (kind, where as a share of the length, a byte or length)
MUTATION = st.tuples(
    st.sampled_from(["flip", "set", "insert", "delete", "truncate", "repeat", "digit"]),
    st.floats(0.0, 1.0),
    st.integers(0, 255),
)
MUTATIONS = st.lists(MUTATION, min_size=1, max_size=6)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure reproduces
    database=None,  # nothing written next to the repository
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def mutate(data: bytes, ops: list[tuple[str, float, int]]) -> bytes:
    out = bytearray(data)
    for kind, where, value in ops:
        if not out:
            out = bytearray(b"\0")
        at = min(int(where * len(out)), len(out) - 1)
        if kind == "flip":
            out[at] ^= 1 << (value % 8)
        elif kind == "set":
            out[at] = value
        elif kind == "insert":
            out[at:at] = bytes([value]) * (1 + value % 16)
        elif kind == "delete":
            del out[at : at + 1 + value % 64]
        elif kind == "truncate":
            del out[at:]
        elif kind == "repeat":  # a run of bytes repeated: long numbers, duplicated records
            out[at:at] = out[at : at + 1 + value % 32] * (1 + value % 8)
        elif kind == "digit":  # an XML number grows huge / odd ("9999999...")
            out[at:at] = b"9" * (1 + value % 40)
    return bytes(out)


def check_parsed(parsed: ParsedFile) -> None:
    """One clean line per input; nothing implausible kept."""
    assert parsed.status in (IMPORTED, SKIPPED, ERROR)
    if parsed.status != IMPORTED:
        assert parsed.reason and "\n" not in parsed.reason and "Traceback" not in parsed.reason
        return
    for activity, (_, blob) in zip(parsed.activities, parsed.series_blobs, strict=True):
        activity.series = decode_series(blob)
        found = [v for v in violations(activity, NOW) if not v.startswith("start date")]
        assert not found, found


def _seed(activities_dir: Path, kind: str, index: int) -> bytes:
    names = SEEDS[kind]
    return (activities_dir / names[index % len(names)]).read_bytes()


@pytest.mark.parametrize("kind", ["fit", "gpx", "tcx"])
@FUZZ
@given(ops=MUTATIONS, which=st.integers(0, 1))
def test_mutated_files_end_cleanly(activities_dir: Path, kind: str, ops, which: int):
    data = mutate(_seed(activities_dir, kind, which), ops)
    check_parsed(parse_item(FileItem(name=f"fuzz.{kind}", data=data)))


@FUZZ
@given(ops=MUTATIONS, inner=st.booleans())
def test_mutated_gzip_ends_cleanly(activities_dir: Path, ops, inner: bool):
    seed = gzip.compress(_seed(activities_dir, "fit", 0), mtime=0)
    data = (
        gzip.compress(mutate(gzip.decompress(seed), ops), mtime=0) if inner else mutate(seed, ops)
    )
    check_parsed(parse_item(FileItem(name="fuzz.fit.gz", data=data)))


def _zip_seed(activities_dir: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "activities.csv",
            "Activity ID,Activity Name,Activity Type,Filename\n"
            "1,Morning Run,Run,activities/1.fit\n2,Hike,Hike,activities/2.gpx\n",
        )
        zf.writestr("activities/1.fit", _seed(activities_dir, "fit", 0))
        zf.writestr("activities/2.gpx", _seed(activities_dir, "gpx", 0))
        zf.writestr("activities/3.tcx", _seed(activities_dir, "tcx", 0))
    return buffer.getvalue()


@FUZZ
@given(ops=MUTATIONS)
def test_mutated_zip_ends_cleanly(activities_dir: Path, tmp_path_factory, ops):
    path = tmp_path_factory.mktemp("zip") / "fuzz.zip"
    path.write_bytes(mutate(_zip_seed(activities_dir), ops))
    items = list(ItemStream([path]))
    assert items  # at least one line: an item or the archive's error
    for item in items:
        check_parsed(parse_item(item))


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=MUTATIONS, kind=st.sampled_from(["fit", "gpx", "tcx", "zip"]))
def test_mutated_inputs_through_the_whole_import_store_nothing_implausible(
    activities_dir: Path, tmp_path_factory, ops, kind: str
):
    folder = tmp_path_factory.mktemp("import")
    seed = _zip_seed(activities_dir) if kind == "zip" else _seed(activities_dir, kind, 0)
    (folder / f"fuzz.{kind}").write_bytes(mutate(seed, ops))
    db = open_database(f"sqlite:///{folder / 'db.sqlite3'}")
    results = service.import_paths(db, [folder / f"fuzz.{kind}"], workers=1)
    assert results
    for result in results:
        json.dumps(result.to_dict(), allow_nan=False)  # no NaN/Infinity reaches JSON
        assert result.status in ("imported", "duplicate", "skipped", "error")
        if result.status == "error":
            assert result.error and "\n" not in result.error
    for summary in service.list_activities(db):
        stored = service.get_activity(db, summary.id)
        assert not violations(stored, dt.datetime.now(dt.UTC)), summary
