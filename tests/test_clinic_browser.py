"""In Chromium, the clinic end to end (issue #12's browser test): an admin creates a
clinician; the clinician (from the invite link) invites two runners; each runner sets a
password, logs in, takes the check and logs a few diary days, one of them a flare; the board
lists the flare runner first; the clinician opens the other runner, changes a threshold on
Settings and that runner's own Today changes with it; runner A gets 403/404 on runner B's
pages and files. No page breaks the Content-Security-Policy on the way."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import live_server, log_in, set_password
from test_web_browser import fill_diary, shot, take_check

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN_PASSWORD = "admin password 123"
DAY0 = dt.date(2026, 3, 2)
B_SECRET = "zz-ben-secret-note-4e1"
B_FILE = "GoldenCheetah__3386684871.fit"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from strideback.accounts.service import add_user
    from strideback.clinic.board import clear_cache
    from strideback.store.db import open_database
    from strideback.web import create_app

    home = tmp_path_factory.mktemp("clinic-board-home")
    old_home = os.environ.get("STRIDEBACK_HOME")
    os.environ["STRIDEBACK_HOME"] = str(home)
    url = f"sqlite:///{home / 'clinic.sqlite3'}"
    db = open_database(url)
    add_user(db, "admin", "admin", password=ADMIN_PASSWORD)
    clear_cache()
    clock = {"day": DAY0}
    app = create_app(url, jobs_in_processes=False, clinic=True, today=lambda: clock["day"])
    with live_server(app) as base:
        yield {"url": base, "clock": clock, "db": db, "home": home}
    if old_home is None:
        os.environ.pop("STRIDEBACK_HOME", None)
    else:
        os.environ["STRIDEBACK_HOME"] = old_home


def _page(chromium, violations: list[str], width: int = 1100):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": width, "height": 850})
    page = context.new_page()
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return context, page


def _invite_runner(page, username: str, name: str) -> str:  # type: ignore[no-untyped-def]
    page.fill("form.add-runner-form input[name=username]", username)
    page.fill("form.add-runner-form input[name=display_name]", name)
    with page.expect_navigation():
        page.click("form.add-runner-form button[type=submit]")
    link: str = page.locator("[data-testid=invite-link]").input_value()
    return link


def _b_files(clinic: dict[str, Any], b_id: int, activities_dir: Path) -> dict[str, int]:
    """Runner B's activity and form clip (with a report and video on disk)."""
    from strideback.activities.queries import list_activities
    from strideback.activities.service import import_paths
    from strideback.form.service import ANNOTATED_MP4, REPORT_HTML
    from strideback.store.form import FormClipRow

    b = clinic["db"].for_runner(b_id)
    import_paths(b, [activities_dir / B_FILE])
    folder = Path(clinic["home"]) / "form" / f"runner-{b_id}" / "clip"
    folder.mkdir(parents=True)
    (folder / REPORT_HTML).write_text(f"<html>{B_SECRET}</html>", encoding="utf-8")
    (folder / ANNOTATED_MP4).write_bytes(B_SECRET.encode())
    with b.session() as s:
        clip = FormClipRow(
            recorded_on=DAY0, runner=B_SECRET, video_path="/v/b.mp4", video_sha256="0" * 64,
            view="side", task="run", fps=30.0, capture_fps=30.0, out_dir=str(folder),
            backend="test", metrics_json=json.dumps({"cadence": {"value": 170}}),
            quality_json="{}",
        )  # fmt: skip
        s.add(clip)
        s.flush()
        clip_id = clip.id
    return {"activity": list_activities(b)[0].id, "clip": clip_id}


def _decision(page) -> str:  # type: ignore[no-untyped-def]
    text: str = page.locator("[data-testid=decision]").inner_text()
    return text


def test_clinic_board_journey(clinic: dict[str, Any], browser, activities_dir: Path) -> None:
    base, clock = clinic["url"], clinic["clock"]
    violations: list[str] = []

    # 1. The admin creates a clinician and gets a one-time link.
    admin_ctx, admin = _page(browser, violations)
    admin.goto(f"{base}/users")
    log_in(admin, base, "admin", ADMIN_PASSWORD)
    admin.goto(f"{base}/users")
    admin.fill("form.add-user-form input[name=username]", "physio")
    admin.fill("form.add-user-form input[name=display_name]", "Pia Physio")
    admin.select_option("form.add-user-form select[name=role]", "clinician")
    with admin.expect_navigation():
        admin.click("form.add-user-form button[type=submit]")
    clinician_link = admin.locator("[data-testid=invite-link]").input_value()
    admin_ctx.close()

    # 2. The clinician sets a password from the link, logs in and invites two runners.
    physio_ctx, physio = _page(browser, violations)
    set_password(physio, clinician_link, "physio password 1")
    log_in(physio, base, "physio", "physio password 1")
    assert physio.url == f"{base}/runners"
    links = {
        "ana": _invite_runner(physio, "ana", "Ana Alvarez"),
        "ben": _invite_runner(physio, "ben", "Ben Brown"),
    }
    assert physio.locator("table.board tr[data-username]").count() == 2

    # 3. Each runner sets a password, logs in and takes the check (day 0).
    runners: dict[str, Any] = {}
    for name, link in links.items():
        ctx, page = _page(browser, violations, width=390)  # a phone
        set_password(page, link, f"{name} password 12")
        log_in(page, base, name, f"{name} password 12")
        assert page.url == f"{base}/"
        take_check(page, base)
        runners[name] = (ctx, page)
    ana, ben = runners["ana"][1], runners["ben"][1]

    # 4. Three diary days each: Ana at 4/10 (above the default 3/10: hold), Ben fine and then
    # a flare on day 2 (7/10 during and after, a bad next morning).
    for k in range(3):
        clock["day"] = DAY0 + dt.timedelta(days=k)
        for name, page in (("ana", ana), ("ben", ben)):
            page.goto(f"{base}/")
            flare = name == "ben" and k == 2
            pain = 4 if name == "ana" else 7 if flare else 1
            if flare:
                page.locator("#diary-form [name=note]").fill(B_SECRET)
            fill_diary(page, pain=pain, morning=4 if flare else 0)

    # 5. The board lists Ben (the flare) first, with the reason and a sparkline.
    clock["day"] = DAY0 + dt.timedelta(days=3)
    physio.goto(f"{base}/runners")
    rows = physio.locator("table.board tbody tr")
    assert rows.count() == 2
    first = rows.nth(0)
    assert first.get_attribute("data-username") == "ben"
    assert first.get_attribute("data-urgency") == "flare"
    assert "7/10" in first.locator("li.reason-flare").inner_text()
    assert rows.nth(1).get_attribute("data-username") == "ana"
    assert physio.locator("svg.spark polyline.spark-line").count() == 2
    shot(physio, "clinic-board")
    phone_ctx, phone = _page(browser, violations, width=390)
    phone.context.add_cookies(physio.context.cookies())
    phone.goto(f"{base}/runners")
    box = phone.locator("table.board svg.spark").first.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390  # fits the phone's width
    shot(phone, "clinic-board-phone")
    phone_ctx.close()

    # 6. Ana's Today holds at 4/10; the clinician opens Ana's pages and allows 4/10 ...
    ana.goto(f"{base}/")
    before = _decision(ana)
    assert "above 3/10" in before and "action-hold" in (
        ana.locator("[data-testid=decision]").get_attribute("class") or ""
    )
    ana_row = physio.locator("table.board tr[data-username=ana]")
    with physio.expect_navigation():
        ana_row.locator("form.inline-action button").click()
    assert "above 3/10" in _decision(physio)  # the clinician sees Ana's Today
    physio.goto(f"{base}/settings")
    physio.fill("form.settings-form input[name=pain_ok_max]", "4")
    with physio.expect_navigation():
        physio.click("form.settings-form button[type=submit]")
    assert physio.locator("form.settings-form input[name=pain_ok_max]").input_value() == "4"
    # ... and Ana's own Today now counts those sessions as good and moves on.
    ana.goto(f"{base}/")
    after = _decision(ana)
    assert after != before and "≤4/10" in after
    assert "action-progress" in (ana.locator("[data-testid=decision]").get_attribute("class") or "")
    shot(ana, "clinic-runner-today-after-threshold")

    # 7. Runner A (Ana) gets 403/404 on runner B's (Ben's) pages and files.
    users = {u.username: u.id for u in _users(clinic)}
    b_ids = _b_files(clinic, users["ben"], activities_dir)
    denied = [
        f"/runners/{users['ben']}",
        "/runners",
        "/users",
        f"/activities/{b_ids['activity']}",
        f"/form/{b_ids['clip']}",
        f"/form/{b_ids['clip']}/report",
        f"/form/{b_ids['clip']}/video",
    ]
    for path in denied:
        response = ana.goto(f"{base}{path}")
        assert response is not None and response.status in (403, 404), (path, response.status)
        body = ana.content()
        assert B_SECRET not in body and "Ben Brown" not in body, path
    ana.goto(f"{base}/diary")
    assert B_SECRET not in ana.content()
    ben.goto(f"{base}/diary")
    assert B_SECRET in ben.content()  # the marker is real: Ben sees his own note

    for ctx, _unused in runners.values():
        ctx.close()
    physio_ctx.close()
    assert violations == [], violations


def _users(clinic: dict[str, Any]) -> list[Any]:
    from strideback.accounts.service import list_users

    return list_users(clinic["db"])
