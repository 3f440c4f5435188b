"""Activities in the dashboard over the real import service: the "guessed" marker and the
sport correction form (CSRF-protected, validated, and the load page follows it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from strideback.web import create_app

activities = pytest.importorskip("strideback.activities.service")
if not hasattr(activities, "set_sport"):
    pytest.skip("activities.service.set_sport not there yet", allow_module_level=True)

GUESSED_GPX = "Runalyze__hr-not-always-there.gpx"  # a GPX without <type>: sport guessed


@pytest.fixture()
def imported(db_url: str, activities_dir: Path):
    clock = {}
    app = create_app(db_url, jobs_in_processes=False, today=lambda: clock["day"])
    with TestClient(app, base_url="http://127.0.0.1") as client:
        db = app.state.db
        (result,) = activities.import_paths(db, [activities_dir / GUESSED_GPX])
        assert result.status == "imported" and result.sport_guessed
        summary = activities.list_activities(db)[0]
        clock["day"] = summary.local_start.date()
        yield client, db, summary


def token(client: TestClient) -> str:
    client.get("/healthz")
    return client.cookies.get("sb_csrf")


def runs_on_load_page(client: TestClient) -> int:
    """Runs counted in the Load page's weekly table."""
    page = client.get("/load?weeks=4").text
    return sum(
        int(n) for n in re.findall(r"<td>\d{4}-W\d\d</td><td>[^<]*</td><td>(\d+)</td>", page)
    )


def test_guessed_sport_is_marked_and_can_be_corrected(imported) -> None:
    client, db, summary = imported
    listing = client.get("/activities").text
    assert listing.count('class="guessed"') == 1
    detail = client.get(f"/activities/{summary.id}").text
    assert 'data-testid="sport-guessed"' in detail
    assert f'action="/activities/{summary.id}/sport"' in detail
    assert "Sport guessed: is it right?" in detail
    assert runs_on_load_page(client) == 1  # counted as a run while guessed

    r = client.post(
        f"/activities/{summary.id}/sport",
        data={"csrf_token": token(client), "sport": "walking", "sub_sport": "trail"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/activities/{summary.id}?saved=1"
    stored = activities.list_activities(db)[0]
    assert (stored.sport, stored.sub_sport, stored.sport_guessed) == ("walking", None, False)
    detail = client.get(r.headers["location"]).text
    assert 'data-testid="sport-guessed"' not in detail
    assert "now counts as walking" in detail
    assert 'class="guessed"' not in client.get("/activities").text
    assert runs_on_load_page(client) == 0  # the load page follows the correction


def test_running_sub_sport_is_kept(imported) -> None:
    client, db, summary = imported
    r = client.post(
        f"/activities/{summary.id}/sport",
        data={"csrf_token": token(client), "sport": "running", "sub_sport": "trail"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    stored = activities.list_activities(db)[0]
    assert (stored.sport, stored.sub_sport, stored.sport_guessed) == ("running", "trail", False)


def test_sport_form_refuses_bad_input_and_missing_token(imported) -> None:
    client, db, summary = imported
    url = f"/activities/{summary.id}/sport"
    assert client.post(url, data={"sport": "walking"}).status_code == 403
    tok = token(client)
    r = client.post(url, data={"csrf_token": tok, "sport": "skydiving"})
    assert r.status_code == 422 and "Choose a sport" in r.text
    r = client.post(url, data={"csrf_token": tok, "sport": "running", "sub_sport": "moon"})
    assert r.status_code == 422 and "unknown running sub-sport" in r.text
    assert activities.list_activities(db)[0].sport_guessed  # nothing changed
    r = client.post("/activities/999/sport", data={"csrf_token": tok, "sport": "walking"})
    assert r.status_code == 404


def test_delete_shows_undo_and_the_load_follows(imported) -> None:
    client, db, summary = imported
    detail = client.get(f"/activities/{summary.id}").text
    assert f'action="/activities/{summary.id}/delete"' in detail
    assert runs_on_load_page(client) == 1
    r = client.post(
        f"/activities/{summary.id}/delete",
        data={"csrf_token": token(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/activities?deleted={summary.id}"
    listing = client.get(r.headers["location"]).text
    assert 'data-testid="undo"' in listing and f"/activities/{summary.id}/restore" in listing
    assert "No activities" in listing
    assert runs_on_load_page(client) == 0  # the load no longer counts it
    assert client.get(f"/activities/{summary.id}").status_code == 404
    r = client.post(
        f"/activities/{summary.id}/restore",
        data={"csrf_token": token(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.get(f"/activities/{summary.id}").status_code == 200
    assert runs_on_load_page(client) == 1


def test_delete_needs_the_csrf_token_and_an_existing_activity(imported) -> None:
    client, db, summary = imported
    r = client.post(f"/activities/{summary.id}/delete", data={}, follow_redirects=False)
    assert r.status_code in (400, 403)
    assert activities.list_activities(db)
    r = client.post("/activities/999999/delete", data={"csrf_token": token(client)})
    assert r.status_code == 404
    r = client.post(
        "/activities/99999999999999999999999/delete", data={"csrf_token": token(client)}
    )
    assert r.status_code in (404, 422)


def test_a_hostile_archive_uploaded_ends_in_one_line_per_member(imported, activities_dir) -> None:
    """Web upload of an archive with a good run, a Deflate64 member, a ratio bomb and nested
    (empty) archives: the job finishes, the run is imported, every bad member is one error
    line, and the job's JSON is strict (no Infinity/NaN)."""
    import io
    import json
    import struct
    import time
    import zipfile

    client, db, _ = imported
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("good/run.fit", (activities_dir / "Runalyze__Standard.fit").read_bytes())
        zf.writestr("bad/d64.fit", b"x" * 1000)
        zf.writestr("bad/bomb.fit", b"\0" * (64 * 1024**2))
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z2:
            for i in range(4):
                z2.writestr(f"deep{i}.zip", b"PK\x05\x06" + b"\0" * 18)
        zf.writestr("bad/nested.zip", inner.getvalue())
    data = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        offset = zf.getinfo("bad/d64.fit").header_offset
    struct.pack_into("<H", data, offset + 8, 9)  # local header says Deflate64
    central = bytes(data).index(b"bad/d64.fit", bytes(data).index(b"PK\x01\x02")) - 46
    struct.pack_into("<H", data, central + 10, 9)  # and so does the central directory
    r = client.post(
        "/activities/upload",
        data={"csrf_token": token(client)},
        files=[("files", ("export.zip", bytes(data), "application/zip"))],
    )
    assert r.status_code == 202, r.text
    runner = client.app.state.jobs
    deadline = time.monotonic() + 60
    while True:
        (job,) = runner.store.recent("import", limit=1)
        if job.finished or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert job.status == "done", (job.status, job.error)
    rows = {row["file"].split(":", 1)[-1]: row for row in job.result["results"]}
    assert rows["good/run.fit"]["status"] == "imported"
    assert "Deflate64" in rows["bad/d64.fit"]["error"]
    assert "bomb" in rows["bad/bomb.fit"]["error"]
    json.dumps(job.result, allow_nan=False)
    assert job.result["counts"] == {"error": 2, "imported": 1}
