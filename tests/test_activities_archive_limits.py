"""Hostile and huge archives: budgets that scale with the archive, nested limits, bounded memory.

The bombs are built in the test: a nested zip of about 11 KB that would inflate to hundreds
of GB, and a ratio bomb (one member of zeros). The CLI runs in a subprocess whose whole
process tree's memory is sampled with psutil: it must stay under 1 GB.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import psutil
import pytest

from strideback.activities import service, sources
from strideback.activities.sources import Budget, ItemStream

RSS_LIMIT = 1024**3


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method, compresslevel=9 if method else None) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def nested_bomb(levels: int = 5, copies: int = 10, leaf_mib: int = 10) -> bytes:
    data = _zip({"run.fit": b"\0" * (leaf_mib * 1024**2)})
    for level in range(levels):
        data = _zip({f"part{level}-{i}.zip": data for i in range(copies)})
    return data


def ratio_bomb(mib: int = 400) -> bytes:
    return _zip({"activities/huge.fit": b"\0" * (mib * 1024**2)})


def _peak_tree_rss(
    cmd: list[str], env: dict[str, str], stdout=None, timeout: float = 120
) -> tuple[int, int]:
    """Run `cmd`; (exit code, peak RSS of the process and its children, sampled)."""
    out = open(os.devnull, "wb") if stdout is None else stdout
    proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    peak = 0
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("import did not finish in time")
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.02)
    return proc.returncode, peak


@pytest.mark.parametrize("bomb", ["nested", "ratio"])
def test_bombs_keep_the_cli_under_1_gb(tmp_path: Path, bomb: str):
    data = nested_bomb() if bomb == "nested" else ratio_bomb()
    if bomb == "nested":
        assert len(data) < 40_000  # a small file ...
    path = tmp_path / f"{bomb}.zip"
    path.write_bytes(data)
    env = {**os.environ, "STRIDEBACK_HOME": str(tmp_path / "home")}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(Path(sources.__file__).parents[2]), env.get("PYTHONPATH")])
    )
    db_url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    cli = "from strideback.cli import main; main()"
    cmd = [sys.executable, "-c", cli, "--db", db_url, "import", "--json", str(path)]
    with (tmp_path / "out.jsonl").open("wb") as out:
        code, peak = _peak_tree_rss(cmd, env, stdout=out)
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert code == 1 and lines  # refused members are errors, one line each
    assert all(line["status"] == "error" for line in lines)
    assert any("bomb" in line["error"] or "nested" in line["error"] for line in lines)
    assert peak < RSS_LIMIT, f"peak RSS {peak / 1024**2:.0f} MiB"


def test_nested_bomb_items_are_refused_cleanly(tmp_path: Path):
    path = tmp_path / "bomb.zip"
    path.write_bytes(nested_bomb(levels=4, copies=4, leaf_mib=4))
    items = list(ItemStream([path]))
    errors = {item.error for item in items}
    assert all(item.error for item in items)
    assert any("nested too deeply" in e for e in errors)


def test_the_budget_scales_with_the_archive():
    assert Budget.for_archive(10_000).remaining == sources.MIN_BUDGET_BYTES
    big = 10 * 1024**3  # a decade of Garmin export parts
    assert Budget.for_archive(big).remaining == sources.BUDGET_RATIO * big > 2 * 1024**3


def test_the_budget_is_shared_by_every_member_at_every_level(
    tmp_path: Path, activities_dir: Path, monkeypatch
):
    fit = (activities_dir / "Runalyze__Standard.fit").read_bytes()
    inner = _zip({f"DI_CONNECT/a{i}.fit": fit + bytes([i]) for i in range(6)}, zipfile.ZIP_STORED)
    outer = _zip({"part1.zip": inner, "part2.zip": inner + b""}, zipfile.ZIP_STORED)
    path = tmp_path / "export.zip"
    path.write_bytes(outer)
    monkeypatch.setattr(sources, "MIN_BUDGET_BYTES", len(inner) + 4 * len(fit))
    monkeypatch.setattr(sources, "BUDGET_RATIO", 0)
    items = list(ItemStream([path]))
    assert any(i.error and "budget" in i.error for i in items)
    assert 0 < sum(i.data is not None for i in items) < 12


def test_a_big_garmin_export_part_is_not_a_zip_bomb(
    db, tmp_path: Path, activities_dir: Path, monkeypatch
):
    """A part over the per-file cap (266 MiB in real exports, 3 MiB here with the cap at 1
    MiB) is streamed from a temporary file, and its FIT files import."""
    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 1024**2)
    fit = (activities_dir / "Runalyze__Standard.fit").read_bytes()
    padding = os.urandom(3 * 1024**2)  # incompressible: the part is over 1 MiB
    part = _zip(
        {"DI_CONNECT/DI-Connect-Uploaded-Files/run.fit": fit, "DI_CONNECT/notes.bin": padding},
        zipfile.ZIP_STORED,
    )
    assert len(part) > sources.MAX_MEMBER_BYTES
    outer = tmp_path / "garmin.zip"
    outer.write_bytes(
        _zip({"DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": part})
    )
    (result,) = service.import_paths(db, [outer])
    assert result.status == "imported", result.error


def test_many_members_stream_in_one_pass(tmp_path: Path, activities_dir: Path, monkeypatch):
    """The archive is opened twice at most (count, then stream) and each member read once:
    no re-opening per member."""
    fit = (activities_dir / "gpsbabel__fit-sample.fit").read_bytes()
    path = tmp_path / "many.zip"
    path.write_bytes(_zip({f"a/{i}.fit": fit + i.to_bytes(2, "big") for i in range(300)}))
    opened = []
    real = zipfile.ZipFile.__init__

    def counting(self, *args, **kwargs):
        opened.append(args[0] if args else None)
        real(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "__init__", counting)
    reads = []
    real_read = sources.read_member
    monkeypatch.setattr(
        sources, "read_member", lambda *a: reads.append(a[1].filename) or real_read(*a)
    )
    stream = ItemStream([path])
    items = list(stream)
    assert len(items) == 300 == stream.total
    assert len(opened) <= 2
    assert len(reads) == len(set(reads)) == 300


@pytest.mark.parametrize("bomb", ["nested", "ratio"])
def test_bombs_uploaded_to_the_server_keep_it_under_1_gb(tmp_path: Path, bomb: str):
    """The same bombs through the dashboard's upload on a real `strideback serve` (import in
    its worker process): the job ends with the members refused, and the whole process tree
    (server, worker) stays under 1 GB while it runs."""
    import httpx

    from conftest import serve_subprocess

    data = nested_bomb() if bomb == "nested" else ratio_bomb()
    proc, base = serve_subprocess(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "home")
    server = psutil.Process(proc.pid)
    peak = 0

    def sample() -> None:
        nonlocal peak
        try:
            tree = [server, *server.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass

    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/")
            r = client.post(
                "/activities/upload",
                files=[("files", (f"{bomb}.zip", data, "application/zip"))],
                headers={"x-csrf-token": client.cookies["sb_csrf"], "hx-request": "true"},
            )
            assert r.status_code == 202, r.text[:300]
            deadline = time.monotonic() + 120
            job: dict = {}
            while time.monotonic() < deadline:
                sample()
                job = client.get("/api/jobs/1").json()
                if job["status"] not in ("queued", "running"):
                    break
                time.sleep(0.02)
            assert job.get("status") == "done", job
            assert client.get("/healthz").status_code == 200  # still serving
    finally:
        proc.kill()
        proc.wait(timeout=30)
    results = job["result"]["results"]
    assert results and all(r["status"] == "error" for r in results)
    assert all("refused" in r["error"] for r in results), results[:3]
    assert all(r["file"].startswith(f"{bomb}.zip:") for r in results)  # as uploaded, no path
    print(f"{bomb}: peak RSS of the server's process tree {peak / 1024**2:.0f} MiB")
    assert peak < RSS_LIMIT, f"peak RSS {peak / 1024**2:.0f} MiB"
