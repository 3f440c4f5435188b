"""Issue #12: the clinician's runner page in clinic mode: the whole timeline, the runner's
thresholds with their audit log, and private clinician notes; the runner's own Settings page
shows the thresholds read-only; single-user mode is unchanged."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from strideback.accounts.service import add_user
from strideback.clinic.notes import list_notes
from strideback.coach.checks import run_check
from strideback.coach.diary import log_day
from strideback.coach.plans import set_plan_start
from strideback.coach.settings import get_settings, settings_audit
from strideback.domain import DiaryEntry
from strideback.store.accounts import UserRow
from strideback.store.db import Database, open_database
from strideback.store.form import FormClipRow
from strideback.web import create_app
from test_coach_assess import DEFN, pfp_answers

PASSWORD = "correct horse battery"
TODAY = dt.date(2026, 3, 20)
START = dt.date(2026, 3, 1)
CLINICIAN_NOTE = "zz-private-note-7d1c"


def _fill(db: Database, home: Path) -> int:
    """A runner with two checks (Kujala 70-ish, then better), a plan with a flare, a form clip."""
    first = pfp_answers(**{q.id: q.options[1].value for q in DEFN.kujala_items[:6]})
    run_check(db, first, START)
    set_plan_start(db, START)
    for i in range(1, 19):
        day = START + dt.timedelta(days=i - 1)
        pain = 7 if i == 9 else 1
        entry = DiaryEntry(day=day, pain_during=pain, pain_after=1, done="done", note=f"day {i}")
        log_day(db, entry, today=TODAY)
    run_check(db, pfp_answers(), dt.date(2026, 3, 15))
    folder = home / "form" / "clip"
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("<html>clip report</html>", encoding="utf-8")
    metrics = {
        "cadence": {"value": 171.4, "unit": "steps/min", "confidence": "good",
                    "label": "Cadence", "finding": "Cadence within the usual range."},
        "knee_flexion_contact": {"value": 9.0, "unit": "°", "confidence": "limited",
                                 "label": "Knee flexion at contact",
                                 "reason": "far leg only: lower confidence"},
    }  # fmt: skip
    with db.session() as s:
        for n in range(2):
            clip = FormClipRow(
                recorded_on=dt.date(2026, 3, 5 + n), video_path=f"/v/clip{n}.mp4",
                video_sha256="0" * 64, view="side", task="run", fps=60.0, capture_fps=60.0,
                out_dir=str(folder), backend="test", metrics_json=json.dumps(metrics),
                quality_json="[]",
            )  # fmt: skip
            s.add(clip)
        s.flush()
        return int(clip.id)


@pytest.fixture()
def clinic(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("STRIDEBACK_HOME", str(tmp_path / "home"))
    db = open_database(db_url)
    physio = add_user(db, "physio", "clinician", display_name="Pia Physio", password=PASSWORD)
    other = add_user(db, "physio2", "clinician", password=PASSWORD)
    runner = add_user(db, "runner1", "runner", display_name="Rita Runner", password=PASSWORD,
                      clinician_id=physio.id)  # fmt: skip
    clip = _fill(db.for_runner(runner.id), tmp_path / "home")
    app = create_app(db_url, jobs_in_processes=False, clinic=True, today=lambda: TODAY)
    return {"db": db, "app": app, "physio": physio, "other": other, "runner": runner,
            "clip": clip}  # fmt: skip


def client_for(app: Any, username: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    client.get("/login")
    data = {"username": username, "password": PASSWORD, "csrf_token": client.cookies["sb_csrf"]}
    response = client.post("/login", data=data)
    assert response.status_code == 303, response.text
    client.get(response.headers["location"])
    return client


def post(client: TestClient, path: str, data: dict[str, str] | None = None) -> Any:
    return client.post(path, data={"csrf_token": client.cookies["sb_csrf"], **(data or {})})


def visible_text(html: str) -> str:
    """What a person reads: the page without tags, attributes, scripts or SVG markup."""
    body = html[html.index("<main>") : html.index("</main>")]
    return unescape(re.sub(r"<[^>]+>", " ", body))


def section(html: str, anchor: str) -> str:
    """The visible text of one section of the runner page (by its id)."""
    start = html.index(f'<section id="{anchor}"')
    return visible_text("<main>" + html[start : html.index("</section>", start)] + "</main>")


# ------------------------------------------------------------------ the timeline


def test_the_runner_page_shows_the_whole_timeline(clinic: dict[str, Any]) -> None:
    physio = client_for(clinic["app"], "physio")
    runner = clinic["runner"]
    page = physio.get(f"/runners/{runner.id}")
    assert page.status_code == 200
    html = page.text
    text = visible_text(html)
    # Pain drawn over load (weekly) and daily pain, as inline SVG charts (no inline style).
    load = html[html.index('id="load"') : html.index('id="kujala"')]
    assert load.count("<svg") == 2 and "chart-scroll" in load
    assert "style=" not in html and "<script>" not in html
    # Kujala history: both scores with their dates and the change.
    kujala = section(html, "kujala")
    assert "2026-03-01" in kujala and "2026-03-15" in kujala and "100/100" in kujala
    assert re.search(r"\+\d+", kujala)
    # Plan steps from the engine: the start, the flare's step back (newest first).
    steps = section(html, "steps")
    assert "Start" in steps and "Step back" in steps and "2026-03-01" in steps
    assert steps.index("Step back") < steps.index("Start")
    assert "pain reached 7/10" in steps
    # Form clips with their metrics, confidence and the reason; report and comparison links.
    clips = html[html.index('id="clips"') : html.index('id="diary"')]
    assert "Cadence" in clips and "171 steps/min" in clips and "good" in clips
    assert "limited" in clips and "far leg only" in clips
    clip = clinic["clip"]
    assert f'value="/form/{clip}/report"' in clips  # not acting yet: "open their pages" first
    assert f"/form/compare?a={clip - 1}&amp;b={clip}" in clips
    # The latest diary days.
    assert "day 18" in text and "day 5" in text
    # Thresholds in plain words with their ranges and sources; no internal references.
    assert "Pain allowed during or after a session" in text and "2–5 (default 3)" in text
    assert "Thomeé 1997" in text
    for internal in ("evidence.md", "§", "pain_ok_max", "kujala_mcid", "rule 3"):
        assert internal not in text, internal
    assert "No changes yet" in text


def test_report_links_open_the_runners_pages(clinic: dict[str, Any]) -> None:
    physio = client_for(clinic["app"], "physio")
    runner, clip = clinic["runner"], clinic["clip"]
    chosen = post(physio, f"/runners/{runner.id}", {"next": f"/form/{clip}/report"})
    assert chosen.status_code == 303 and chosen.headers["location"] == f"/form/{clip}/report"
    assert "clip report" in physio.get(f"/form/{clip}/report").text
    page = physio.get(f"/runners/{runner.id}").text
    assert f'href="/form/{clip}/report"' in page  # acting: plain links
    away = post(physio, f"/runners/{runner.id}", {"next": "//evil.example/x"})
    assert away.headers["location"] == "/"


# ------------------------------------------------------------------ thresholds + audit


def test_the_clinician_changes_a_threshold_and_it_is_audited(clinic: dict[str, Any]) -> None:
    physio = client_for(clinic["app"], "physio")
    runner = clinic["runner"]
    rdb = clinic["db"].for_runner(runner.id)
    saved = post(physio, f"/runners/{runner.id}/thresholds", {"pain_ok_max": "4"})
    assert saved.status_code == 200, saved.text[:500]
    assert "Saved: “Pain allowed during or after a session”." in unescape(saved.text)
    assert get_settings(rdb)["pain_ok_max"] == 4
    (change,) = settings_audit(rdb)
    assert (change.actor, change.actor_id, change.key, change.old, change.new) == (
        "physio", clinic["physio"].id, "pain_ok_max", 3, 4
    )  # fmt: skip
    log = saved.text[saved.text.index('data-testid="audit-log"') :]
    row = visible_text("<main>" + log[: log.index("</table>")] + "</main>")
    assert "physio" in row and "Pain allowed during or after a session" in row
    assert re.search(r"\b3\s+4\b", row)
    # The runner's own Settings page shows the new value, read-only.
    me = client_for(clinic["app"], "runner1")
    mine = me.get("/settings").text
    assert '<span class="threshold-value">4</span>' in mine and 'name="pain_ok_max"' not in mine
    # Saving the same values again writes no audit row.
    again = post(physio, f"/runners/{runner.id}/thresholds", {"pain_ok_max": "4"})
    assert "Nothing changed" in again.text and len(settings_audit(rdb)) == 1


@pytest.mark.parametrize(
    "data,named",
    [
        ({"pain_ok_max": "9"}, "“Pain allowed during or after a session” must be between 2 and 5"),
        ({"gap_days": "soon"}, "“Days without a diary entry before Today asks what happened”"),
        (
            {"pain_ok_max": "5", "pain_hold_max": "2"},
            "“Pain that holds the step (above it, a step back)” must be between 3 and 6",
        ),
        (
            {"pain_ok_max": "5", "pain_hold_max": "4.0", "gap_days": "8"},
            "must be at least “Pain allowed during or after a session”",
        ),
    ],
)
def test_an_out_of_bounds_threshold_is_refused_naming_the_field(
    clinic: dict[str, Any], data: dict[str, str], named: str
) -> None:
    physio = client_for(clinic["app"], "physio")
    runner = clinic["runner"]
    rdb = clinic["db"].for_runner(runner.id)
    before = get_settings(rdb)
    refused = post(physio, f"/runners/{runner.id}/thresholds", data)
    assert refused.status_code == 422
    html = unescape(refused.text)
    top = html[html.index("<h1>") : html.index('id="now"')]
    assert 'data-testid="runner-errors"' in top and named in top, top
    assert get_settings(rdb) == before and settings_audit(rdb) == []


def test_the_runner_sees_thresholds_read_only_in_clinic_mode(clinic: dict[str, Any]) -> None:
    me = client_for(clinic["app"], "runner1")
    rdb = clinic["db"].for_runner(clinic["runner"].id)
    page = me.get("/settings")
    assert page.status_code == 200 and "Your clinician sets these" in page.text
    assert 'name="pain_ok_max"' not in page.text
    refused = post(me, "/settings", {"_present": "1", "pain_ok_max": "5"})
    assert refused.status_code == 422 and "Your clinician sets these thresholds" in refused.text
    assert get_settings(rdb)["pain_ok_max"] == 3 and settings_audit(rdb) == []
    units = post(me, "/settings", {"_present": "1", "units": "mi"})  # their own preference
    assert units.status_code == 200 and "Saved: units" in units.text
    # The runner never gets the clinician's page about them.
    assert me.get(f"/runners/{clinic['runner'].id}").status_code == 403


def test_the_clinician_on_the_runners_settings_page_is_audited(clinic: dict[str, Any]) -> None:
    physio = client_for(clinic["app"], "physio")
    runner = clinic["runner"]
    post(physio, f"/runners/{runner.id}")
    page = physio.get("/settings")
    assert 'name="pain_ok_max"' in page.text
    saved = post(physio, "/settings", {"_present": "1", "gap_days": "9"})
    assert saved.status_code == 200, saved.text[:300]
    (change,) = settings_audit(clinic["db"].for_runner(runner.id))
    assert (change.actor, change.key, change.old, change.new) == ("physio", "gap_days", 7, 9)


def test_single_user_settings_are_unchanged_and_audited_as_the_local_runner(db_url: str) -> None:
    app = create_app(db_url, jobs_in_processes=False, clinic=False, today=lambda: TODAY)
    client = TestClient(app, base_url="http://127.0.0.1")
    page = client.get("/settings")
    assert 'name="pain_ok_max"' in page.text and "Your clinician sets these" not in page.text
    token = client.cookies["sb_csrf"]
    saved = client.post("/settings", data={"csrf_token": token, "pain_ok_max": "4"})
    assert saved.status_code == 200 and "Saved: pain_ok_max" in saved.text
    (change,) = settings_audit(open_database(db_url))
    assert (change.actor, change.actor_id, change.old, change.new) == ("local runner", None, 3, 4)
    assert client.get("/runners/1").status_code == 404  # no clinician pages without --clinic


# ------------------------------------------------------------------ notes


def test_private_notes_are_written_edited_and_deleted(clinic: dict[str, Any]) -> None:
    physio = client_for(clinic["app"], "physio")
    runner = clinic["runner"]
    rdb = clinic["db"].for_runner(runner.id)
    text = f"{CLINICIAN_NOTE} <script>alert(1)</script>\x00 knee better"
    added = post(physio, f"/runners/{runner.id}/notes", {"text": text, "noted_on": "2026-03-19"})
    assert added.status_code == 303 and added.headers["location"].endswith("#notes")
    (note,) = list_notes(rdb)
    assert "\x00" not in note.text and note.noted_on == dt.date(2026, 3, 19)
    page = physio.get(f"/runners/{runner.id}").text
    assert CLINICIAN_NOTE in page and "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    edit = {"text": "edited text", "noted_on": "2026-03-20"}
    edited = post(physio, f"/runners/{runner.id}/notes/{note.id}", edit)
    assert edited.status_code == 303 and list_notes(rdb)[0].text == "edited text"
    # Errors at the top, the draft kept, nothing written.
    too_long = post(physio, f"/runners/{runner.id}/notes", {"text": "x" * 5001})
    assert too_long.status_code == 422 and "note: at most 5000 characters" in too_long.text
    future = post(
        physio, f"/runners/{runner.id}/notes", {"text": "later", "noted_on": "2027-01-01"}
    )
    assert future.status_code == 422 and "date:" in future.text
    assert len(list_notes(rdb)) == 1
    deleted = post(physio, f"/runners/{runner.id}/notes/{note.id}/delete")
    assert deleted.status_code == 303 and list_notes(rdb) == []
    assert post(physio, f"/runners/{runner.id}/notes/{note.id}/delete").status_code == 404


def test_notes_are_for_the_runners_clinician_only(clinic: dict[str, Any]) -> None:
    physio = client_for(clinic["app"], "physio")
    runner = clinic["runner"]
    post(physio, f"/runners/{runner.id}/notes", {"text": CLINICIAN_NOTE})
    (note,) = list_notes(clinic["db"].for_runner(runner.id))
    # Another clinician: 403 on the page and on every note action, and nothing changes.
    other = client_for(clinic["app"], "physio2")
    for path in (f"/runners/{runner.id}",):
        assert other.get(path).status_code == 403
    for path in (f"/runners/{runner.id}/notes", f"/runners/{runner.id}/notes/{note.id}",
                 f"/runners/{runner.id}/notes/{note.id}/delete"):  # fmt: skip
        refused = post(other, path, {"text": "mine"})
        assert refused.status_code == 403 and CLINICIAN_NOTE not in refused.text
    # The runner: none of their pages shows the note.
    me = client_for(clinic["app"], "runner1")
    for path in ("/", "/diary", "/load", "/check", "/plan", "/form", "/settings"):
        answer = me.get(path)
        assert answer.status_code == 200 and CLINICIAN_NOTE not in answer.text, path
    # Reassigned to another clinician: they read the earlier notes but may not change them.
    with clinic["db"].session() as s:
        s.execute(update(UserRow).where(UserRow.id == runner.id)
                  .values(clinician_id=clinic["other"].id))  # fmt: skip
    page = other.get(f"/runners/{runner.id}")
    assert page.status_code == 200 and CLINICIAN_NOTE in page.text
    assert "Edit or delete" not in page.text
    assert post(other, f"/runners/{runner.id}/notes/{note.id}", {"text": "x"}).status_code == 403
    assert post(other, f"/runners/{runner.id}/notes/{note.id}/delete").status_code == 403
    assert list_notes(clinic["db"].for_runner(runner.id))[0].text == CLINICIAN_NOTE
    assert physio.get(f"/runners/{runner.id}").status_code == 403  # no longer theirs
