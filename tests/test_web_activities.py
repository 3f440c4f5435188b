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
