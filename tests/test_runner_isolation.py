"""Issue #12: one database, many runners, and each runner sees only their own knee.

Runner A is logged in (clinic mode); runner B has data of every kind (activities, diary,
check, settings, plan calendar, a form clip with its report and video, a job). Every route of
the app is requested as A with B's ids: a route that names a resource answers 403 or 404, and
no answer carries any of B's data. A new route without a case here fails
`test_every_route_has_an_isolation_case`. Afterwards B's data is as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.routing import Mount

from strideback.accounts.service import add_user
from strideback.activities.queries import list_activities
from strideback.activities.service import import_paths
from strideback.clinic.notes import add_note, list_notes
from strideback.coach.checks import delete_check, list_checks, run_check
from strideback.coach.diary import diary, log_day
from strideback.coach.plans import plan_ics, set_plan_start
from strideback.coach.settings import Actor, get_settings, settings_audit, update_settings
from strideback.domain import DiaryEntry
from strideback.form.service import ANNOTATED_MP4, REPORT_HTML, list_clips
from strideback.form.trash import delete_clip
from strideback.store.coach import CalendarRow
from strideback.store.db import Database, close_all, open_database
from strideback.store.form import FormClipRow
from strideback.web import create_app
from strideback.web.jobs import JobStore

PASSWORD = "correct horse battery"
TODAY = dt.date(2026, 3, 10)
B_NOTE = "zz-b-diary-secret-91f2"
B_CLIP = "zz-b-clip-secret-5c1d"
B_JOB = "zz-b-job-secret-77aa"
B_NAME = "Bea Secretrunner"
B_CLINIC_NOTE = "zz-b-clinician-note-3e8a"
A_FILE, B_FILE = "Runalyze__Standard.tcx", "GoldenCheetah__3386684871.fit"
B_DAY = dt.date(2026, 3, 4)  # a day only B logged


@dataclasses.dataclass
class World:
    db: Database
    app: Any
    ids: dict[str, Any]
    markers: list[str]


def _b_data(db: Database, activities_dir: Path, home: Path) -> dict[str, Any]:
    from test_coach_assess import pfp_answers

    (imported,) = import_paths(db, [activities_dir / B_FILE])
    check = run_check(db, pfp_answers(), dt.date(2026, 3, 2))
    deleted_check = run_check(db, pfp_answers(), dt.date(2026, 3, 3))
    delete_check(db, deleted_check.id)
    set_plan_start(db, dt.date(2026, 3, 2))
    for day, during in ((B_DAY, 2), (dt.date(2026, 3, 6), 3)):
        entry = DiaryEntry(day=day, pain_during=during, pain_after=1, note=f"{B_NOTE} {day}")
        log_day(db, entry, today=TODAY)
    update_settings(db, {"pain_ok_max": 4})
    plan_ics(db, TODAY)
    folder = home / "form" / "b-clip"
    folder.mkdir(parents=True)
    (folder / REPORT_HTML).write_text(f"<html>{B_CLIP}</html>", encoding="utf-8")
    (folder / ANNOTATED_MP4).write_bytes(B_CLIP.encode())
    with db.session() as s:
        clips = []
        for n in range(2):
            clip = FormClipRow(
                recorded_on=dt.date(2026, 3, 5), runner=B_CLIP, video_path=f"/v/{B_CLIP}.mp4",
                video_sha256="0" * 64, view="side", task="run", fps=30.0, capture_fps=30.0,
                out_dir=str(folder), backend="test",
                metrics_json=json.dumps({"cadence": {"value": 170 + n, "confidence": "high"}}),
                quality_json="{}",
            )  # fmt: skip
            s.add(clip)
            clips.append(clip)
        s.flush()
        clip_ids = [c.id for c in clips]
        uid = s.scalars(select(CalendarRow.plan_uid)).one()
    deleted_folder = home / "form" / "b-deleted-clip"
    deleted_folder.mkdir(parents=True)
    (deleted_folder / REPORT_HTML).write_text(f"<html>{B_CLIP} deleted</html>", encoding="utf-8")
    with db.session() as s:
        deleted_clip = FormClipRow(
            recorded_on=dt.date(2026, 3, 6), runner=B_CLIP, video_path=f"/v/{B_CLIP}-2.mp4",
            video_sha256="1" * 64, view="side", task="run", fps=30.0, capture_fps=30.0,
            out_dir=str(deleted_folder), backend="test", metrics_json="{}", quality_json="{}",
        )  # fmt: skip
        s.add(deleted_clip)
        s.flush()
        deleted_clip_id = deleted_clip.id
    delete_clip(db, deleted_clip_id)
    store = JobStore(db)
    job = store.create("import", {"files": [f"{B_JOB}.fit"]})
    store.finish(job, {"results": [{"name": B_JOB}]}, message=f"Finished {B_JOB}")
    activity = list_activities(db)[0]
    assert imported.status == "imported"
    return {
        "activity": activity.id, "clips": clip_ids, "job": job, "calendar_uid": uid,
        "check": check.id, "deleted_check": deleted_check.id, "deleted_clip": deleted_clip_id,
    }  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, activities_dir: Path) -> Iterator[World]:
    home = tmp_path_factory.mktemp("isolation-home")
    patch = pytest.MonkeyPatch()
    patch.setenv("STRIDEBACK_HOME", str(home))
    url = f"sqlite:///{home / 'clinic.sqlite3'}"
    db = open_database(url)
    physio = add_user(db, "physio", "clinician", password=PASSWORD)
    physio2 = add_user(db, "physio2", "clinician", password=PASSWORD)
    a = add_user(db, "runa", "runner", password=PASSWORD, clinician_id=physio.id)
    b = add_user(db, "runb", "runner", display_name=B_NAME, password=PASSWORD,
                 clinician_id=physio2.id)  # fmt: skip
    add_user(db, "admin", "admin", password=PASSWORD)
    import_paths(db.for_runner(a.id), [activities_dir / A_FILE])
    own = DiaryEntry(day=dt.date(2026, 3, 5), pain_during=1, pain_after=0, note="a's own note")
    log_day(db.for_runner(a.id), own, today=TODAY)
    ids = _b_data(db.for_runner(b.id), activities_dir, home)
    b_db = db.for_runner(b.id)
    update_settings(b_db, {"gap_days": 10}, actor=Actor(physio2.username, physio2.id))
    ids["note"] = add_note(b_db, physio2.id, f"{B_CLINIC_NOTE} private", TODAY, TODAY).id
    ids.update(a=a.id, b=b.id, physio=physio.id, physio2=physio2.id)
    app = create_app(url, jobs_in_processes=False, clinic=True, today=lambda: TODAY)
    markers = [B_NOTE, B_CLIP, B_JOB, B_NAME, B_CLINIC_NOTE, "3386684871", ids["calendar_uid"]]
    yield World(db, app, ids, markers)
    patch.undo()
    close_all()


def logged_in(app: Any, username: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    client.get("/login")
    token = client.cookies.get("sb_csrf")
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    client.get(response.headers["location"])  # the session's fresh CSRF token comes here
    assert client.cookies.get("sb_csrf"), "no CSRF token after logging in"
    return client


# ------------------------------------------------------------------ the route table

DENIED = "denied"  # the route names one of B's resources: 403 or 404
OWN = "own"  # the route shows or changes A's own data (or none): any answer, no B data


@dataclasses.dataclass(frozen=True)
class Case:
    method: str
    url: Callable[[dict[str, Any]], str]
    expect: str
    data: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    upload: str | None = None  # a multipart file field to send
    fresh_client: bool = False  # the request ends the session (logout) or starts one


def _ids_url(template: str) -> Callable[[dict[str, Any]], str]:
    return lambda ids: template.format(**ids, clip_a=ids["clips"][0], clip_b=ids["clips"][1])


def case(method: str, template: str, expect: str, **kw: Any) -> Case:
    return Case(method, _ids_url(template), expect, **kw)


ROUTES: dict[tuple[str, str], list[Case]] = {
    ("GET", "/"): [case("GET", "/", OWN)],
    ("GET", "/diary"): [case("GET", "/diary", OWN)],
    ("POST", "/diary"): [
        case("POST", "/diary", OWN, data=lambda ids: {"day": str(B_DAY), "pain_during": "1"})
    ],
    ("GET", "/diary/{day}"): [case("GET", f"/diary/{B_DAY}", OWN)],
    ("POST", "/diary/{day}/delete"): [case("POST", "/diary/2026-03-06/delete", OWN)],
    ("POST", "/diary/undo"): [
        case("POST", "/diary/undo", OWN, data=lambda ids: {"day": "2026-03-06"})
    ],
    ("GET", "/activities"): [case("GET", "/activities", OWN)],
    ("POST", "/activities/upload"): [case("POST", "/activities/upload", OWN, upload="files")],
    ("GET", "/activities/{activity_id}"): [case("GET", "/activities/{activity}", DENIED)],
    ("POST", "/activities/{activity_id}/sport"): [
        case(
            "POST", "/activities/{activity}/sport", DENIED, data=lambda ids: {"sport": "cycling"}
        )  # fmt: skip
    ],
    ("POST", "/activities/{activity_id}/delete"): [
        case("POST", "/activities/{activity}/delete", DENIED)
    ],
    ("POST", "/activities/{activity_id}/restore"): [
        case("POST", "/activities/{activity}/restore", DENIED)
    ],
    ("GET", "/load"): [case("GET", "/load", OWN)],
    ("GET", "/check"): [case("GET", "/check", OWN)],
    ("POST", "/check"): [case("POST", "/check", OWN, data=lambda ids: {})],
    ("POST", "/check/{check_id}/delete"): [case("POST", "/check/{check}/delete", DENIED)],
    ("POST", "/check/{check_id}/restore"): [case("POST", "/check/{deleted_check}/restore", DENIED)],
    ("GET", "/evidence"): [case("GET", "/evidence", OWN)],
    ("GET", "/exercises"): [case("GET", "/exercises", OWN)],
    ("GET", "/plan"): [case("GET", "/plan", OWN)],
    ("POST", "/plan/clearance"): [case("POST", "/plan/clearance", OWN, data=lambda ids: {})],
    ("GET", "/plan.ics"): [case("GET", "/plan.ics", OWN)],
    ("GET", "/report.pdf"): [case("GET", "/report.pdf", OWN)],
    ("GET", "/form"): [case("GET", "/form", OWN)],
    ("POST", "/form/upload"): [case("POST", "/form/upload", OWN, upload="video")],
    ("GET", "/form/metronome.wav"): [case("GET", "/form/metronome.wav?spm=170&minutes=1", OWN)],
    ("GET", "/form/compare"): [case("GET", "/form/compare?a={clip_a}&b={clip_b}", DENIED)],
    ("GET", "/form/{clip_id}"): [case("GET", "/form/{clip_a}", DENIED)],
    ("GET", "/form/{clip_id}/report"): [case("GET", "/form/{clip_a}/report", DENIED)],
    ("GET", "/form/{clip_id}/video"): [case("GET", "/form/{clip_a}/video", DENIED)],
    ("POST", "/form/{clip_id}/delete"): [case("POST", "/form/{clip_a}/delete", DENIED)],
    ("POST", "/form/{clip_id}/restore"): [case("POST", "/form/{deleted_clip}/restore", DENIED)],
    ("GET", "/settings"): [case("GET", "/settings", OWN)],
    ("POST", "/settings"): [case("POST", "/settings", OWN, data=lambda ids: {"pain_ok_max": "3"})],
    ("POST", "/settings/export"): [case("POST", "/settings/export", OWN)],
    ("POST", "/settings/restore"): [case("POST", "/settings/restore", DENIED, upload="backup")],
    ("GET", "/jobs/{job_id}"): [case("GET", "/jobs/{job}", DENIED)],
    ("GET", "/api/jobs/{job_id}"): [case("GET", "/api/jobs/{job}", DENIED)],
    ("GET", "/login"): [case("GET", "/login", OWN, fresh_client=True)],
    ("POST", "/login"): [
        case(
            "POST",
            "/login",
            OWN,
            fresh_client=True,
            data=lambda ids: {"username": "runb", "password": "wrong password!"},
        )  # fmt: skip
    ],
    ("POST", "/logout"): [case("POST", "/logout", OWN, fresh_client=True)],
    ("GET", "/invite/{code}"): [case("GET", "/invite/not-a-code", OWN)],
    ("POST", "/invite/{code}"): [
        case(
            "POST",
            "/invite/not-a-code",
            OWN,
            data=lambda ids: {"password": PASSWORD, "password_again": PASSWORD},
        )  # fmt: skip
    ],
    ("GET", "/users"): [case("GET", "/users", DENIED)],
    ("POST", "/users"): [
        case("POST", "/users", DENIED, data=lambda ids: {"username": "x", "role": "runner"})
    ],
    ("POST", "/users/{user_id}/reset"): [case("POST", "/users/{b}/reset", DENIED)],
    ("GET", "/runners"): [case("GET", "/runners", DENIED)],
    ("POST", "/runners"): [case("POST", "/runners", DENIED, data=lambda ids: {"username": "y"})],
    # The clinician's runner page: a runner gets 403, even on their own (notes are private).
    ("GET", "/runners/{runner_id}"): [
        case("GET", "/runners/{b}", DENIED),
        case("GET", "/runners/{a}", DENIED),
    ],
    ("POST", "/runners/{runner_id}/thresholds"): [
        case("POST", "/runners/{b}/thresholds", DENIED, data=lambda ids: {"pain_ok_max": "5"}),
        case("POST", "/runners/{a}/thresholds", DENIED, data=lambda ids: {"pain_ok_max": "5"}),
    ],
    ("POST", "/runners/{runner_id}/notes"): [
        case("POST", "/runners/{b}/notes", DENIED, data=lambda ids: {"text": "from a"}),
        case("POST", "/runners/{a}/notes", DENIED, data=lambda ids: {"text": "from a"}),
    ],
    ("POST", "/runners/{runner_id}/notes/{note_id}"): [
        case("POST", "/runners/{b}/notes/{note}", DENIED, data=lambda ids: {"text": "changed"}),
        case("POST", "/runners/{a}/notes/{note}", DENIED, data=lambda ids: {"text": "changed"}),
    ],
    ("POST", "/runners/{runner_id}/notes/{note_id}/delete"): [
        case("POST", "/runners/{b}/notes/{note}/delete", DENIED),
        case("POST", "/runners/{a}/notes/{note}/delete", DENIED),
    ],
    ("POST", "/runners/{runner_id}"): [case("POST", "/runners/{b}", DENIED)],
    ("POST", "/runners/{runner_id}/invite"): [case("POST", "/runners/{b}/invite", DENIED)],
    ("GET", "/healthz"): [case("GET", "/healthz", OWN)],
}


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route of the app, included routers followed."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Any) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif isinstance(route, APIRoute):
                found.update((m, route.path) for m in route.methods)
            elif isinstance(route, Mount):
                continue  # /static: the package's own files, no runner data
            else:
                path = getattr(route, "path", repr(route))
                found.update((m, path) for m in getattr(route, "methods", None) or {"?"})

    walk(app.routes)
    return found


def test_every_route_has_an_isolation_case(world: World) -> None:
    routes = app_routes(world.app)
    missing = sorted(routes - set(ROUTES))
    assert not missing, f"routes without an isolation case in this file: {missing}"
    stale = sorted(set(ROUTES) - routes)
    assert not stale, f"cases for routes the app no longer has: {stale}"


def _b_state(world: World) -> tuple[Any, ...]:
    b = world.db.for_runner(world.ids["b"])
    with b.session() as s:
        clips = s.scalar(select(func.count()).select_from(FormClipRow))
    return (
        [c.id for c in list_clips(b)],
        [(e.day, e.pain_during, e.note) for e in diary(b)],
        [(x.id, x.sport, x.name) for x in list_activities(b)],
        len(list_checks(b)),
        get_settings(b),
        clips,
        JobStore(b).get(world.ids["job"]) is not None,
        [(n.id, n.text, n.noted_on) for n in list_notes(b)],
        [(c.key, c.old, c.new, c.actor) for c in settings_audit(b)],
    )


@pytest.fixture(scope="module")
def runner_a(world: World) -> TestClient:
    return logged_in(world.app, "runa")


@pytest.fixture(scope="module")
def b_before(world: World) -> tuple[Any, ...]:
    return _b_state(world)


def _send(client: TestClient, c: Case, ids: dict[str, Any]) -> Any:
    if c.method == "GET":
        return client.get(c.url(ids))
    token = client.cookies.get("sb_csrf")
    assert token, "no CSRF token: every POST would be refused for the wrong reason"
    data = {"csrf_token": token, **(c.data(ids) if c.data else {})}
    files = None
    if c.upload:
        files = {c.upload: ("upload.gpx", b"<gpx></gpx>", "application/octet-stream")}
    return client.post(c.url(ids), data=data, files=files)


@pytest.mark.parametrize(
    "route,index",
    [(route, i) for route, cases in ROUTES.items() for i in range(len(cases))],
    ids=lambda v: f"{v[0]} {v[1]}" if isinstance(v, tuple) else str(v),
)
def test_runner_a_gets_none_of_runner_bs_data(
    world: World, runner_a: TestClient, b_before: tuple[Any, ...], route: tuple[str, str],
    index: int,
) -> None:  # fmt: skip
    c = ROUTES[route][index]
    if c.fresh_client:
        client = TestClient(world.app, base_url="http://127.0.0.1", follow_redirects=False)
        client.get("/login")
        if route == ("POST", "/logout"):
            client = logged_in(world.app, "runa")
    else:
        client = runner_a
    response = _send(client, c, world.ids)
    assert response.status_code < 500, response.text[:500]
    if c.expect == DENIED:
        assert response.status_code in (403, 404), (response.status_code, response.text[:300])
    body = response.content.decode("utf-8", "replace")
    assert "CSRF protection" not in body, "refused for its token, not for whose data it is"
    for marker in world.markers:
        assert marker not in body, f"{route}: B's {marker!r} in the answer"
    for value in response.headers.values():
        assert not any(marker in value for marker in world.markers)
    assert _b_state(world) == b_before, f"{route} changed runner B's data"


def test_runner_a_sees_own_data(world: World, runner_a: TestClient) -> None:
    """The cases above can fail: A's own pages do show A's data."""
    assert "a&#39;s own note" in runner_a.get("/diary").text or "a's own note" in (
        runner_a.get("/diary").text
    )
    a_activity = list_activities(world.db.for_runner(world.ids["a"]))[0]
    assert runner_a.get(f"/activities/{a_activity.id}").status_code == 200


def test_a_clinician_sees_only_their_runners(world: World) -> None:
    physio = logged_in(world.app, "physio")
    listing = physio.get("/runners")
    assert listing.status_code == 200 and "runa" in listing.text
    assert B_NAME not in listing.text and "runb" not in listing.text
    token = physio.cookies.get("sb_csrf")
    b = world.ids["b"]
    assert physio.get(f"/runners/{b}").status_code == 403
    assert physio.post(f"/runners/{b}", data={"csrf_token": token}).status_code == 403
    chosen = physio.post(f"/runners/{world.ids['a']}", data={"csrf_token": token})
    assert chosen.status_code in (200, 303)
    page = physio.get("/diary").text
    assert "own note" in page and B_NOTE not in page
    assert physio.get(f"/activities/{world.ids['activity']}").status_code == 404
    # B's runner page and its thresholds and notes: closed to A's clinician, and B's note id
    # under A's runner is no note of A's.
    a = world.ids["a"]
    note = world.ids["note"]
    for path, data in (
        (f"/runners/{b}/thresholds", {"gap_days": "12"}),
        (f"/runners/{b}/notes", {"text": "not yours"}),
        (f"/runners/{b}/notes/{note}", {"text": "not yours"}),
        (f"/runners/{b}/notes/{note}/delete", {}),
    ):
        refused = physio.post(path, data={"csrf_token": token, **data})
        assert refused.status_code == 403, path
        assert B_CLINIC_NOTE not in refused.text and B_NAME not in refused.text
    for path in (f"/runners/{a}/notes/{note}", f"/runners/{a}/notes/{note}/delete"):
        missing = physio.post(path, data={"csrf_token": token, "text": "not yours"})
        assert missing.status_code == 404, path
    own_page = physio.get(f"/runners/{a}")
    assert own_page.status_code == 200 and "runa" in own_page.text
    assert B_CLINIC_NOTE not in own_page.text and B_NOTE not in own_page.text
    assert [n.text for n in list_notes(world.db.for_runner(b))] == [f"{B_CLINIC_NOTE} private"]
    # The other clinician may act for B, and then sees B's data (the markers are real).
    physio2 = logged_in(world.app, "physio2")
    b_page = physio2.get(f"/runners/{b}").text
    assert B_CLINIC_NOTE in b_page and B_NOTE in b_page and "physio2" in b_page  # audit: who
    token2 = physio2.cookies.get("sb_csrf")
    assert (
        physio2.post(f"/runners/{world.ids['a']}", data={"csrf_token": token2}).status_code == 403
    )
    assert physio2.post(f"/runners/{b}", data={"csrf_token": token2}).status_code in (200, 303)
    assert B_NOTE in physio2.get("/diary").text
    assert physio2.get(f"/activities/{world.ids['activity']}").status_code == 200
    assert physio2.get(f"/form/{world.ids['clips'][0]}/report").text.find(B_CLIP) >= 0
    assert B_JOB in physio2.get(f"/api/jobs/{world.ids['job']}").text


def test_single_user_mode_acts_for_the_local_runner(db_url: str) -> None:
    """No login on 127.0.0.1: the dashboard and the CLI share the local runner's data."""
    db = open_database(db_url)
    me = db.local_runner()
    local = DiaryEntry(day=dt.date(2026, 3, 5), pain_during=1, note="local note")
    log_day(db.for_runner(me), local, today=TODAY)
    other = add_user(db, "someone", "runner")
    theirs = DiaryEntry(day=dt.date(2026, 3, 5), pain_during=5, note=B_NOTE)
    log_day(db.for_runner(other.id), theirs, today=TODAY)
    app = create_app(db_url, jobs_in_processes=False, clinic=False, today=lambda: TODAY)
    client = TestClient(app, base_url="http://127.0.0.1")
    page = client.get("/diary")
    assert page.status_code == 200 and "local note" in page.text and B_NOTE not in page.text
    assert [e.note for e in diary(db)] == ["local note"]  # a plain database: the local runner


def test_the_storage_layer_keeps_runners_apart(db_url: str) -> None:
    """Whatever a service forgets: reads, bulk updates and deletes see only the session's
    runner, new rows are stamped with it, and another runner's id is refused."""
    _storage_layer_keeps_runners_apart(db_url)


def test_the_storage_layer_keeps_runners_apart_on_postgresql(postgres_url: str) -> None:
    _storage_layer_keeps_runners_apart(postgres_url)


def _storage_layer_keeps_runners_apart(db_url: str) -> None:
    from sqlalchemy import delete, update

    from strideback.store.coach import DiaryRow
    from strideback.store.db import MissingRunner

    db = open_database(db_url)
    a, b = (add_user(db, name, "runner").id for name in ("ra", "rb"))
    for runner, note in ((a, "note a"), (b, B_NOTE)):
        log_day(db.for_runner(runner), DiaryEntry(day=B_DAY, pain_during=1, note=note),
                today=TODAY)  # fmt: skip
    with db.for_runner(a).session() as s:
        assert [r.note for r in s.scalars(select(DiaryRow))] == ["note a"]
        s.execute(update(DiaryRow).values(note="changed"))
        s.execute(delete(DiaryRow).where(DiaryRow.day == B_DAY))
    assert [e.note for e in diary(db.for_runner(b))] == [B_NOTE]
    assert diary(db.for_runner(a)) == []
    with pytest.raises(MissingRunner), db.for_runner(a).session() as s:
        s.add(DiaryRow(runner_id=b, day=TODAY, swelling="none"))
    clinic_base = db.requiring_runner()  # a clinic server's database before a runner is chosen
    assert diary(clinic_base) == []
    with pytest.raises(MissingRunner), clinic_base.session() as s:
        s.add(DiaryRow(day=TODAY, swelling="none"))
    assert len(diary(db.all_runners())) == 1


def test_cli_backs_up_and_restores_one_runner(
    db_url: str, tmp_path: Path, activities_dir: Path
) -> None:
    """`strideback export/restore --runner NAME`: one runner's rows, restored as another's,
    and nobody else's touched; without --runner the CLI acts for the local runner."""
    from typer.testing import CliRunner

    from strideback.cli import app as cli_app

    db = open_database(db_url)
    b, c = (add_user(db, name, "runner").id for name in ("rb", "rc"))
    import_paths(db, [activities_dir / B_FILE])  # the local runner's: ids 1.. are taken
    import_paths(db.for_runner(b), [activities_dir / A_FILE])
    b_run = list_activities(db.for_runner(b))[0].id
    b_entry = DiaryEntry(day=B_DAY, pain_during=2, note=B_NOTE, activity_id=b_run)
    log_day(db.for_runner(b), b_entry, today=TODAY)
    mine = DiaryEntry(day=B_DAY, pain_during=0, note="local note")
    log_day(db.for_runner(db.local_runner()), mine, today=TODAY)
    from strideback.store.db import data_dir

    folder = data_dir() / "form" / f"runner-{b}" / "clip1"
    folder.mkdir(parents=True)
    (folder / REPORT_HTML).write_text(B_CLIP, encoding="utf-8")
    with db.for_runner(b).session() as s:
        s.add(FormClipRow(recorded_on=B_DAY, video_path="/v/x.mp4", video_sha256="0" * 64,
                          view="side", task="run", fps=30.0, capture_fps=30.0,
                          out_dir=str(folder), backend="test", metrics_json="{}",
                          quality_json="{}"))  # fmt: skip
    cli = CliRunner()
    out = tmp_path / "b.zip"
    done = cli.invoke(cli_app, ["--db", db_url, "export", "--runner", "rb", "--out", str(out)])
    assert done.exit_code == 0, done.output
    done = cli.invoke(cli_app, ["--db", db_url, "restore", str(out), "--runner", "rc"])
    assert done.exit_code == 0, done.output
    assert [e.note for e in diary(db.for_runner(c))] == [B_NOTE]
    (c_run,) = list_activities(db.for_runner(c))
    assert c_run.id != b_run and diary(db.for_runner(c))[0].activity_id == c_run.id
    with db.for_runner(c).session() as s:
        (restored,) = s.scalars(select(FormClipRow.out_dir)).all()
    assert Path(restored) == data_dir() / "form" / f"runner-{c}" / "clip1"  # C's own folder
    assert (Path(restored) / REPORT_HTML).read_text(encoding="utf-8") == B_CLIP
    assert (folder / REPORT_HTML).is_file()  # B's files stay
    assert [e.note for e in diary(db)] == ["local note"]
    refused = cli.invoke(cli_app, ["--db", db_url, "restore", str(out)])  # the local runner
    assert refused.exit_code != 0 and "already holds data" in refused.output
    unknown = cli.invoke(cli_app, ["--db", db_url, "export", "--runner", "nobody"])
    assert unknown.exit_code != 0 and "no runner account" in unknown.output
