"""In Chromium on a phone-sized screen: the clinician's runner page (timeline, thresholds with
the audit log, notes) breaks no Content-Security-Policy rule, fits the screen's width, and its
forms work; the runner's Settings page shows the thresholds read-only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import live_server, log_in
from test_web_browser import shot
from test_web_runner_page import PASSWORD, TODAY, _fill

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    from strideback.accounts.service import add_user
    from strideback.store.db import close_all, open_database
    from strideback.web import create_app

    home = tmp_path_factory.mktemp("runner-page-home")
    old_home = os.environ.get("STRIDEBACK_HOME")
    os.environ["STRIDEBACK_HOME"] = str(home)
    url = f"sqlite:///{home / 'clinic.sqlite3'}"
    db = open_database(url)
    physio = add_user(db, "physio", "clinician", password=PASSWORD)
    runner = add_user(db, "runner1", "runner", display_name="Rita Runner", password=PASSWORD,
                      clinician_id=physio.id)  # fmt: skip
    _fill(db.for_runner(runner.id), Path(home))
    app = create_app(url, jobs_in_processes=False, clinic=True, today=lambda: TODAY)
    with live_server(app) as base:
        yield base, runner.id
    close_all()
    if old_home is None:
        os.environ.pop("STRIDEBACK_HOME", None)
    else:
        os.environ["STRIDEBACK_HOME"] = old_home


def _phone(browser: Any, violations: list[str]) -> tuple[Any, Any]:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return context, page


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page is {width}px wide on a {PHONE['width']}px phone"


def test_the_runner_page_on_a_phone(server: tuple[str, int], browser: Any) -> None:
    base, runner_id = server
    violations: list[str] = []
    context, page = _phone(browser, violations)
    log_in(page, base, "physio", PASSWORD)
    page.goto(f"{base}/runners/{runner_id}")
    assert page.locator("#load svg").count() == 2
    assert page.locator("#steps li").count() >= 2
    assert page.locator("#clips table.clip-metrics").count() >= 1
    _fits(page)
    shot(page, "clinic-runner-page")

    # A threshold out of its range: the error at the top names it; then a good value.
    page.fill("input[name=pain_ok_max]", "9")
    page.evaluate("document.querySelector('form.thresholds-form').noValidate = true")
    with page.expect_navigation():
        page.click("form.thresholds-form button[type=submit]")
    error = page.locator("[data-testid=runner-errors]").inner_text()
    assert "Pain allowed during or after a session" in error and "between 2 and 5" in error
    page.fill("input[name=pain_ok_max]", "4")
    with page.expect_navigation():
        page.click("form.thresholds-form button[type=submit]")
    audit = page.locator("[data-testid=audit-log]").inner_text()
    assert "physio" in audit and "Pain allowed during or after a session" in audit

    # A private note.
    page.fill("#notes form.note-form textarea[name=text]", "Seen today: knee settling.")
    with page.expect_navigation():
        page.click("#notes form.note-form button[type=submit]")
    assert "Seen today: knee settling." in page.locator("#notes").inner_text()
    _fits(page)
    context.close()

    # The runner: thresholds read-only, the new value in force, no note anywhere.
    context, page = _phone(browser, violations)
    log_in(page, base, "runner1", PASSWORD)
    page.goto(f"{base}/settings")
    assert "Your clinician sets these" in page.inner_text("main")
    assert page.locator("input[name=pain_ok_max]").count() == 0
    assert "knee settling" not in page.content()
    context.close()
    assert violations == [], violations
