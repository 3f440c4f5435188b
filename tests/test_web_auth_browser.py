"""In Chromium, clinic mode end to end: an admin creates a clinician, the clinician sets a
password from the invite link and invites a runner, the runner sets a password and logs in.
No page breaks the Content-Security-Policy on the way."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from conftest import live_server, log_in, set_password
from test_web_browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ADMIN_PASSWORD = "admin password 123"


@pytest.fixture(scope="module")
def clinic_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:

    from strideback.accounts.service import add_user
    from strideback.store.db import open_database
    from strideback.web import create_app

    home = tmp_path_factory.mktemp("clinic-home")
    old_home = os.environ.get("STRIDEBACK_HOME")
    os.environ["STRIDEBACK_HOME"] = str(home)
    url = f"sqlite:///{home / 'clinic.sqlite3'}"
    add_user(open_database(url), "admin", "admin", password=ADMIN_PASSWORD)
    app = create_app(url, jobs_in_processes=False, clinic=True)
    with live_server(app) as url:
        yield url
    if old_home is None:
        os.environ.pop("STRIDEBACK_HOME", None)
    else:
        os.environ["STRIDEBACK_HOME"] = old_home


def _page(chromium, violations: list[str]):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": 1100, "height": 850})
    page = context.new_page()
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return context, page


def test_admin_clinician_runner_invite_chain(clinic_server: str, browser) -> None:
    base = clinic_server
    violations: list[str] = []

    # 1. The admin is sent to the login page, logs in and lands on Users.
    admin_ctx, admin = _page(browser, violations)
    admin.goto(f"{base}/plan")
    assert admin.url.startswith(f"{base}/login?next=")
    log_in(admin, base, "admin", "wrong password here")
    assert "Wrong username or password" in admin.locator("[data-testid=login-error]").inner_text()
    log_in(admin, base, "admin", ADMIN_PASSWORD)
    assert admin.url == f"{base}/plan"  # back where they were going
    admin.goto(f"{base}/users")
    assert "admin" in admin.locator("[data-testid=who]").inner_text()

    # 2. ... creates a clinician and gets a one-time link.
    admin.fill("form.add-user-form input[name=username]", "physio")
    admin.fill("form.add-user-form input[name=display_name]", "Pia Physio")
    admin.select_option("form.add-user-form select[name=role]", "clinician")
    with admin.expect_navigation():
        admin.click("form.add-user-form button[type=submit]")
    clinician_link = admin.locator("[data-testid=invite-link]").input_value()
    assert clinician_link.startswith(f"{base}/invite/")
    assert admin.locator("table.users tr[data-username=physio]").inner_text().count("invited") == 1
    shot(admin, "clinic-users")
    with admin.expect_navigation():
        admin.click("form.logout-form button")
    assert admin.url == f"{base}/login"
    admin_ctx.close()

    # 3. The clinician sets a password, logs in, and invites a runner.
    physio_ctx, physio = _page(browser, violations)
    set_password(physio, clinician_link, "physio password 1")
    log_in(physio, base, "physio", "physio password 1")
    assert physio.url == f"{base}/runners"
    physio.fill("form.add-runner-form input[name=username]", "runner1")
    physio.fill("form.add-runner-form input[name=display_name]", "Rita Runner")
    with physio.expect_navigation():
        physio.click("form.add-runner-form button[type=submit]")
    runner_link = physio.locator("[data-testid=invite-link]").input_value()
    assert runner_link.startswith(f"{base}/invite/") and runner_link != clinician_link
    assert physio.locator("table.runners tr[data-username=runner1]").count() == 1
    shot(physio, "clinic-runners")
    physio_ctx.close()

    # 4. The runner sets a password, logs in, sees Today; the admin pages are closed to them.
    runner_ctx, runner = _page(browser, violations)
    set_password(runner, runner_link, "runner password 1")
    log_in(runner, base, "runner1", "runner password 1")
    assert runner.url == f"{base}/"
    assert "Rita Runner" in runner.locator("[data-testid=who]").inner_text()
    assert runner.locator("nav a[href='/plan']").count() == 1
    assert runner.locator("nav a[href='/users']").count() == 0
    shot(runner, "clinic-runner-today")
    response = runner.goto(f"{base}/users")
    assert response is not None and response.status == 403
    # The invite link worked once.
    response = runner.goto(runner_link)
    assert response is not None and response.status == 404
    runner_ctx.close()

    assert violations == [], violations
