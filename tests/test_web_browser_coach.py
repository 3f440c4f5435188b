"""Issue 9 in the browser (Debian's Chromium via Playwright, as tests/test_web_browser.py):
the check refuses a half-filled form with a summary at the top, a same-day red flag leaves only
the referral on Today, a diary save updates Today in place, a deleted day can be undone."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DAY0 = dt.date(2026, 3, 2)


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[dict]:
    """A real server on a free port, a fresh database and a test clock, per test."""
    from strideback.store.db import open_database
    from strideback.web import create_app

    old_home = os.environ.get("STRIDEBACK_HOME")
    os.environ["STRIDEBACK_HOME"] = str(tmp_path)
    db_url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    clock = {"day": DAY0}
    app = create_app(db_url, jobs_in_processes=False, today=lambda: clock["day"])
    with live_server(app) as url:
        yield {"url": url, "clock": clock, "db": open_database(db_url)}
    if old_home is None:
        os.environ.pop("STRIDEBACK_HOME", None)
    else:
        os.environ["STRIDEBACK_HOME"] = old_home


def _checked_in(db) -> None:
    from strideback.coach import service
    from test_coach_assess import pfp_answers

    service.run_check(db, pfp_answers(), DAY0)


def _good(db, offset: int, morning: int | None = 1) -> None:
    from strideback.coach import service

    day = DAY0 + dt.timedelta(days=offset)
    fields = {"pain_during": 1, "pain_after": 1, "done": "done", "pain_next_morning": morning}
    service.save_day(db, day, fields)


def test_the_check_refuses_a_half_filled_form_with_a_summary_at_the_top(server, browser):
    base = server["url"]
    page = browser.new_page()
    page.goto(f"{base}/check")
    for qid in ("rf_trauma_no_weight", "rf_locking", "rf_giving_way"):
        page.locator(f"#q-{qid} input[value=no]").check()
    page.locator("form.check-form button[type=submit]").click()
    summary = page.locator("[data-testid=error-summary]")
    summary.wait_for()
    assert "not complete" in summary.inner_text() and "Nothing was stored" in summary.inner_text()
    links = [a.get_attribute("href") for a in summary.locator("a").all()]
    assert "#q-rf_hot_swollen" in links and "#q-rf_calf" in links and "#q-age" in links
    assert "#q-rf_locking" not in links  # answered
    # At the top: above the first question, right under the page heading.
    assert summary.bounding_box()["y"] < page.locator("#q-rf_trauma_no_weight").bounding_box()["y"]
    assert page.locator("#q-rf_locking input[value=no]").is_checked()  # answers kept
    summary.locator("a[href='#q-rf_calf']").click()
    assert page.evaluate("location.hash") == "#q-rf_calf"
    assert page.locator("#q-rf_calf").get_attribute("aria-required") == "true"
    page.goto(f"{base}/")
    assert page.locator("[data-testid=needs-check]").count() == 1  # nothing stored
    page.close()


def test_a_same_day_red_flag_leaves_only_the_referral_on_today(server, browser):
    base, db = server["url"], server["db"]
    _checked_in(db)
    _good(db, 0)
    _good(db, 2)
    server["clock"]["day"] = DAY0 + dt.timedelta(days=4)  # a day that would step forward
    page = browser.new_page()
    page.goto(f"{base}/")
    assert "action-progress" in page.locator("[data-testid=decision]").get_attribute("class")
    page.locator("#diary-form input[name=pain_during]").fill("2")
    page.locator("#diary-form select[name=red_flag_kind]").select_option("calf")
    page.locator("#diary-form button[type=submit]").click()
    page.locator("[data-testid=referral-reason]").wait_for()
    main = page.locator("[data-testid=today-main]")
    text = main.inner_text()
    assert "See a clinician today" in text and "blood clot" in text
    assert "emergency" in page.locator("[data-testid=next-step]").inner_text()
    assert page.locator(".action-progress").count() == 0
    assert page.locator("[data-testid=sessions]").count() == 0
    assert (
        "Progress" not in text
        and "walk" not in page.locator("[data-testid=decision]").inner_text().lower()
    )
    page.close()


def test_a_diary_save_updates_today_in_place(server, browser):
    base, db = server["url"], server["db"]
    _checked_in(db)
    _good(db, 0)
    _good(db, 2, morning=None)  # the morning after is not logged yet
    server["clock"]["day"] = DAY0 + dt.timedelta(days=3)
    page = browser.new_page()
    page.goto(f"{base}/")
    decision = page.locator("[data-testid=decision]")
    assert "action-hold" in decision.get_attribute("class")
    question = page.locator("[data-testid=morning-question]")
    assert "this morning, after yesterday's walk" in question.inner_text()
    page.evaluate("window.__stillHere = true")  # gone if the page reloads
    question.locator("input[name=morning_now]").fill("1")
    page.locator("#diary-form button[type=submit]").click()
    page.wait_for_selector("[data-testid=decision].action-progress", timeout=10_000)
    assert page.evaluate("window.__stillHere === true")  # swapped in place, no reload
    assert "Walk: 20" in page.locator("[data-testid=step]").inner_text()
    assert page.locator("#diary-form .ok").count() == 1
    from strideback.coach import service

    assert service.diary(db, DAY0 + dt.timedelta(days=2))[0].pain_next_morning == 1
    page.close()


def test_a_deleted_day_can_be_undone(server, browser):
    base, db = server["url"], server["db"]
    _checked_in(db)
    _good(db, 0)
    server["clock"]["day"] = DAY0 + dt.timedelta(days=1)
    page = browser.new_page()
    page.goto(f"{base}/diary")
    row = page.locator("tr[data-day='2026-03-02']")
    row.locator("[data-testid=delete-day]").click()
    page.locator("[data-testid=deleted-row]").wait_for()
    from strideback.coach import service

    assert service.diary(db) == []
    page.locator("[data-testid=undo-delete]").click()
    page.locator("tr[data-day='2026-03-02'] [data-testid=delete-day]").wait_for()
    restored = service.diary(db)
    assert [(e.day, e.pain_during, e.pain_next_morning, e.done) for e in restored] == [
        (DAY0, 1, 1, "done")
    ]
    page.reload()
    assert page.locator("tr[data-day='2026-03-02']").count() == 1
    page.close()
