"""Every input ends in an import or one clean error line, and the batch goes on (issue 10).

Archives are built in the test from real corpus files, then damaged the way real archives
are: a corrupt deflate stream, an unsupported compression method (Deflate64), an encrypted
member, a bad or oversized Strava activities.csv.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from strideback.activities import parse, service, sources
from strideback.activities.parse import ERROR, IMPORTED, parse_item
from strideback.activities.sources import FileItem
from strideback.cli import app

GOOD = ["Runalyze__Standard.fit", "gpsbabel__fit-sample.fit", "Runalyze__Standard.tcx"]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _patch_member(archive: bytes, member: str, method: int | None = None, flags: int = 0) -> bytes:
    """Set a member's compression method and/or flag bits in its local and central headers."""
    out = bytearray(archive)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = zf.getinfo(member)
    local = info.header_offset
    pos = archive.index(b"PK\x01\x02")  # the central directory: find the member's record
    while True:
        pos = archive.index(b"PK\x01\x02", pos)
        name_len = struct.unpack_from("<H", archive, pos + 28)[0]
        if archive[pos + 46 : pos + 46 + name_len].decode() == member:
            break
        pos += 4
    for at, flag_at, method_at in ((local, local + 6, local + 8), (pos, pos + 8, pos + 10)):
        assert archive[at : at + 2] == b"PK"
        struct.pack_into("<H", out, flag_at, struct.unpack_from("<H", archive, flag_at)[0] | flags)
        if method is not None:
            struct.pack_into("<H", out, method_at, method)
    return bytes(out)


def _corrupt_deflate(archive: bytes, member: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        info = zf.getinfo(member)
    name_len, extra_len = struct.unpack_from("<HH", archive, info.header_offset + 26)
    data_at = info.header_offset + 30 + name_len + extra_len
    out = bytearray(archive)
    for i in range(data_at + 10, data_at + min(info.compress_size, 200)):
        out[i] ^= 0x5A
    return bytes(out)


@pytest.fixture()
def good_members(activities_dir: Path) -> dict[str, bytes]:
    return {f"activities/{name}": (activities_dir / name).read_bytes() for name in GOOD}


def _by_file(results: list[service.ImportResult]) -> dict[str, service.ImportResult]:
    return {r.file.split(":", 1)[-1]: r for r in results}


def test_one_damaged_member_of_each_kind_is_one_error_and_the_rest_import(
    db, tmp_path: Path, good_members: dict[str, bytes], activities_dir: Path
):
    bad = (activities_dir / "Runalyze__Standard.fit").read_bytes()
    members = {
        **good_members,
        "bad/deflate64.fit": bad + b"1",
        "bad/encrypted.fit": bad + b"2",
        "bad/corrupt.fit": bad + b"3",
    }
    archive = _zip(members)
    archive = _patch_member(archive, "bad/deflate64.fit", method=9)
    archive = _patch_member(archive, "bad/encrypted.fit", flags=0x1)
    archive = _corrupt_deflate(archive, "bad/corrupt.fit")
    path = tmp_path / "export.zip"
    path.write_bytes(archive)
    results = _by_file(service.import_paths(db, [path]))
    assert {results[f"activities/{n}"].status for n in GOOD} == {IMPORTED}
    assert "Deflate64" in results["bad/deflate64.fit"].error
    assert "encrypted" in results["bad/encrypted.fit"].error
    assert results["bad/corrupt.fit"].status == ERROR
    assert "corrupt archive member" in results["bad/corrupt.fit"].error
    assert len(results) == len(members)


def test_a_bad_strava_csv_costs_the_names_not_the_activities(
    db, tmp_path: Path, good_members: dict[str, bytes]
):
    huge_cell = "x" * (2 * 1024 * 1024)  # over the csv field limit: a corrupt file
    archive = _zip({"activities.csv": f"Activity ID,Filename\n1,{huge_cell}\n", **good_members})
    path = tmp_path / "strava.zip"
    path.write_bytes(archive)
    results = service.import_paths(db, [path])
    errors = [r for r in results if r.status == ERROR]
    assert len(errors) == 1 and "activities.csv" in errors[0].file
    assert "names and types not read" in errors[0].error
    assert sum(r.status == IMPORTED for r in results) == len(GOOD)


def test_an_oversized_strava_csv_is_one_error(
    db, tmp_path: Path, good_members: dict[str, bytes], monkeypatch
):
    monkeypatch.setattr(sources, "MAX_CSV_BYTES", 1024)
    archive = _zip({"activities.csv": "Activity ID,Filename\n" + "1,a\n" * 2000, **good_members})
    path = tmp_path / "strava.zip"
    path.write_bytes(archive)
    results = service.import_paths(db, [path])
    assert [r.status for r in results].count(ERROR) == 1
    assert sum(r.status == IMPORTED for r in results) == len(GOOD)


def test_an_extreme_date_is_skipped_and_the_folder_goes_on(db, tmp_path: Path, activities_dir):
    gpx = (activities_dir / "Runalyze__hr-not-always-there.gpx").read_text(encoding="utf-8")
    (tmp_path / "far.gpx").write_text(gpx.replace("2016-09-16", "9999-12-31"), encoding="utf-8")
    (tmp_path / "old.gpx").write_text(gpx.replace("2016-09-16", "1985-09-16"), encoding="utf-8")
    for name in GOOD:
        (tmp_path / name).write_bytes((activities_dir / name).read_bytes())
    results = _by_file(service.import_paths(db, [tmp_path]))
    assert results[str(tmp_path / "far.gpx")].status in ("skipped", "error")
    assert results[str(tmp_path / "old.gpx")].status in ("skipped", "error")
    assert all(results[str(tmp_path / n)].status == IMPORTED for n in GOOD)


def test_fast_decoder_hands_any_error_to_fitdecode(activities_dir: Path, monkeypatch):
    from strideback.activities import fit_fast

    def broken(data: bytes):
        raise IndexError("index 70000 is out of bounds")

    monkeypatch.setattr(fit_fast, "decode_fit_fast", broken)
    parsed = parse_item(FileItem(name="x.fit", path=activities_dir / "Runalyze__Standard.fit"))
    assert parsed.status == IMPORTED and parsed.decoder == "fitdecode"


def test_reader_bugs_become_one_clean_error_line(activities_dir: Path, monkeypatch):
    def broken(*args, **kwargs):
        raise struct.error("unpack requires a buffer of 4 bytes")

    monkeypatch.setattr(parse, "read_tcx", broken)
    parsed = parse_item(FileItem(name="x.tcx", path=activities_dir / "Runalyze__Standard.tcx"))
    assert parsed.status == ERROR
    assert parsed.reason.startswith("not a readable TCX file (error: unpack")
    assert "\n" not in parsed.reason


def test_untimed_route_in_an_archive_is_skipped_and_exit_is_zero(
    tmp_path: Path, activities_dir: Path, good_members: dict[str, bytes]
):
    route = (
        '<?xml version="1.0"?><gpx version="1.1" creator="planner" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Planned</name><trkseg>'
        '<trkpt lat="46.1" lon="7.1"><ele>500</ele></trkpt>'
        '<trkpt lat="46.2" lon="7.2"><ele>510</ele></trkpt></trkseg></trk></gpx>'
    )
    path = tmp_path / "with-route.zip"
    path.write_bytes(_zip({"route.gpx": route.encode(), **good_members}))
    db_url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    result = CliRunner().invoke(app, ["--db", db_url, "import", "--json", str(path)])
    assert result.exit_code == 0, result.output
    assert '"status": "skipped"' in result.output and "planned route" in result.output


def test_a_few_points_without_coordinates_are_skipped_not_the_file(activities_dir: Path):
    text = (activities_dir / "Runalyze__hr-not-always-there.gpx").read_text(encoding="utf-8")
    first = text.index("<trkpt ")
    end = text.index(">", first)
    broken = text[:first] + "<trkpt" + text[end:]  # the first point loses lat and lon
    parsed = parse_item(FileItem(name="few.gpx", data=broken.encode()))
    assert parsed.status == IMPORTED, parsed.reason
    assert any("without valid coordinates" in n for n in parsed.notes)
    reference = parse_item(
        FileItem(name="ref.gpx", path=activities_dir / "Runalyze__hr-not-always-there.gpx")
    )
    assert parsed.activities[0].distance_m == pytest.approx(
        reference.activities[0].distance_m, rel=0.05
    )
