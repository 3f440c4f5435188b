"""End-to-end: the dashboard in Debian's Chromium (Playwright), against real files.

Starts the real server on a free 127.0.0.1 port with a temp database and a test clock,
imports real activity files (plus a few synthetic GPX runs that make a single-run spike),
fills the check and a week of diary entries, and checks what the pages show: the plan
steps forward, a flare steps it back, the load chart marks the spike. Screenshots go to
test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import os
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO_ROOT, live_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
DAY0 = dt.date(2026, 3, 2)  # the test clock's first day (a Monday)
PHONE = {"width": 390, "height": 844}
# Uploaded as loose files next to the Strava export below.
REAL_FILES = [
    "Runalyze__Standard.tcx",
    "GoldenCheetah__3386684871.fit",
    "Runalyze__hr-not-always-there.gpx",  # a GPX without <type>: its sport is guessed
    "Runalyze__Multiple-Trainings.tcx",
]
# Inside the Strava bulk export: (activity id, Activity Name, Activity Type, corpus file).
STRAVA_FILES = [
    ("4101", "Strava morning run", "Run", "Runalyze__Standard.fit"),
    ("4102", "Strava park loop", "Run", "Runalyze__strava-export.gpx"),
    ("4103", "Strava zwift ride", "Virtual Ride", "GoldenCheetah__14582164182.fit.gz"),
    ("4104", "Strava river run", "Run", "GoldenCheetah__Move_2014_01_16_19_48_44.gpx"),
]


def synthetic_gpx(folder: Path) -> list[Path]:
    """Four weekly 5 km runs, then a 12 km run: a single-run spike (Frandsen 2025)."""
    import gpxpy.gpx

    paths = []
    plan = [(35, 5000), (28, 5000), (21, 5000), (14, 5000), (7, 12000)]
    for days_before, metres in plan:
        start = dt.datetime.combine(
            DAY0 - dt.timedelta(days=days_before), dt.time(7, 0), tzinfo=dt.UTC
        )
        gpx = gpxpy.gpx.GPX()
        track = gpxpy.gpx.GPXTrack(name=f"synthetic {metres / 1000:.0f} km")
        gpx.tracks.append(track)
        segment = gpxpy.gpx.GPXTrackSegment()
        track.segments.append(segment)
        speed, step_s = 3.0, 5
        for i in range(int(metres / speed / step_s) + 1):
            north_m = i * speed * step_s
            segment.points.append(
                gpxpy.gpx.GPXTrackPoint(
                    latitude=55.0 + north_m / 111_320,
                    longitude=12.0,
                    elevation=20.0,
                    time=start + dt.timedelta(seconds=i * step_s),
                )
            )
        path = folder / f"synthetic-run-{days_before}d.gpx"
        path.write_text(gpx.to_xml(), encoding="utf-8")
        paths.append(path)
    return paths


def strava_export(activities_dir: Path, synthetic: list[Path], path: Path) -> dict[str, str]:
    """A Strava bulk-export zip (activities.csv + activities/*.fit.gz, *.gpx) built from real
    corpus files and the synthetic runs; returns member -> Activity Name."""
    rows = [(aid, name, kind, activities_dir / src) for aid, name, kind, src in STRAVA_FILES]
    rows += [
        (str(5000 + k), f"Strava synthetic {k}", "Run", gpx) for k, gpx in enumerate(synthetic)
    ]
    names = {}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Activity ID", "Activity Date", "Activity Name", "Activity Type", "Filename"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for aid, name, kind, source in rows:
            data = source.read_bytes()
            if source.suffix.lower() == ".fit":
                member, data = f"activities/{aid}.fit.gz", gzip.compress(data)
            elif source.name.endswith(".fit.gz"):
                member = f"activities/{aid}.fit.gz"
            else:
                member = f"activities/{aid}.gpx"
            zf.writestr(member, data)
            writer.writerow([aid, "Mar 1, 2026, 7:00:00 AM", name, kind, member])
            names[member] = name
        zf.writestr("activities.csv", out.getvalue())
        zf.writestr("profile.csv", "Athlete ID\n1\n")
    return names


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:

    home = tmp_path_factory.mktemp("web-home")
    old_home = os.environ.get("STRIDEBACK_HOME")
    os.environ["STRIDEBACK_HOME"] = str(home)
    from strideback.web import create_app

    clock = {"day": DAY0}
    app = create_app(
        f"sqlite:///{home / 'web.sqlite3'}", jobs_in_processes=True, today=lambda: clock["day"]
    )
    with live_server(app) as url:
        yield {"url": url, "clock": clock, "home": home}
    if old_home is None:
        os.environ.pop("STRIDEBACK_HOME", None)
    else:
        os.environ["STRIDEBACK_HOME"] = old_home


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def no_external_requests(page, base: str) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if not r.url.startswith(base) else None)
    return seen


def fill_diary(page, pain: int, morning: int, done: str = "done") -> None:
    form = page.locator("#diary-form")
    form.locator("input[name=pain_during]").fill(str(pain))
    form.locator("input[name=pain_after]").fill(str(pain))
    form.locator("input[name=pain_next_morning]").fill(str(morning))
    form.locator("select[name=done]").select_option(done)
    form.locator("button[type=submit]").click()
    page.locator("#diary-form .ok").wait_for(timeout=10_000)


def take_check(page: Any, base: str, kujala_pick: int = 0) -> None:
    """The check in the browser: no red flags, the runner's-knee pattern, and each Kujala item
    answered with its option number `kujala_pick` (0: the best answer)."""
    page.goto(f"{base}/check")
    specific = {
        "q_loaded_flexion_pain": "yes",
        "q_gradual_onset": "yes",
        "q_pain_location": "around_kneecap",
    }
    for fieldset in page.locator("fieldset.question").all():
        radios = fieldset.locator("input[type=radio]")
        if radios.count():
            name = radios.first.get_attribute("name")
            value = specific.get(name)
            if value is None:
                value = (
                    "no"
                    if fieldset.locator("input[value=no]").count()
                    else radios.nth(min(kujala_pick, radios.count() - 1)).get_attribute("value")
                )
            fieldset.locator(f"input[value='{value}']").check()
        else:
            number = fieldset.locator("input[type=number]")
            name = number.get_attribute("name")
            number.fill("34" if name == "q_age" else "5")
    page.click("form.check-form button[type=submit]")
    outcome = page.locator("[data-testid=check-outcome]")
    outcome.wait_for()
    assert "You can start or continue the plan" in outcome.inner_text()


def test_runner_journey(server: dict, browser, activities_dir: Path, tmp_path: Path) -> None:
    base, clock = server["url"], server["clock"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    external = no_external_requests(page, base)

    # 1. Import a Strava bulk export (real files + the synthetic spike) and loose real files
    # through the upload form: progress shows, then the names from activities.csv.
    archive = tmp_path / "export_4242.zip"
    strava_names = strava_export(activities_dir, synthetic_gpx(tmp_path), archive)
    files = [archive] + [activities_dir / name for name in REAL_FILES]
    page.goto(f"{base}/activities")
    page.set_input_files("input[name=files]", [str(f) for f in files])
    page.click("form[action='/activities/upload'] button[type=submit]")
    job = page.locator("#upload-result .job")
    job.wait_for(timeout=15_000)
    assert job.locator("progress").count() == 1  # progress bar shown while it runs
    shot(page, "activities-import-progress")
    page.wait_for_selector("#upload-result .job[data-status=done]", timeout=120_000)
    assert "imported" in job.inner_text()
    # The list refreshes itself when the import finishes (no reload needed).
    page.locator("table.activities", has_text="Strava morning run").wait_for(timeout=10_000)
    page.reload()  # the finished job is still listed after a reload
    assert page.locator(".jobs .job[data-status=done]").count() >= 1
    rows = page.locator("table.activities tbody tr")
    assert rows.count() >= 8
    table = page.locator("table.activities").inner_text()
    assert "running" in table
    missing = [n for n in strava_names.values() if n not in table]
    assert not missing, f"names from activities.csv not listed: {missing}"
    shot(page, "activities")

    # 1b. The guessed sport is marked; correcting it on the detail page clears the mark.
    guessed_row = page.locator("table.activities tbody tr", has=page.locator(".guessed")).first
    guessed_row.locator("a").first.click()
    page.wait_for_selector("[data-testid=sport-guessed]")
    page.select_option("form.sport-form select[name=sport]", "walking")
    page.click("form.sport-form button[type=submit]")
    page.wait_for_selector("p.ok")
    assert "walking" in page.locator("[data-testid=sport]").inner_text()
    assert page.locator("[data-testid=sport-guessed]").count() == 0
    page.goto(f"{base}/activities")

    # 2. An activity's detail page has real charts.
    page.click("table.activities tbody tr:first-child a")
    page.wait_for_selector("svg.pace-chart, svg.elevation-chart")
    assert page.locator("svg.chart polyline").count() >= 1
    shot(page, "activity-detail")

    # 3. The load chart marks the spike week.
    page.goto(f"{base}/load?weeks=12")
    markers = page.locator("svg.load-chart path.marker.flag")
    assert markers.count() >= 1
    rules = " ".join(markers.nth(i).get_attribute("data-rule") for i in range(markers.count()))
    assert "single_run_spike" in rules
    assert page.locator("svg.load-chart rect.bar.distance.flagged").count() >= 1
    shot(page, "load-spike")

    # 4. The check: no red flags, runner's-knee pattern, Kujala scored.
    take_check(page, base, kujala_pick=1)
    kujala = int(page.locator("[data-testid=kujala-total]").inner_text())
    assert 0 <= kujala < 100  # the second-best answers lose points
    shot(page, "check")

    # 5. A week of good diary days steps the plan forward; a flare steps it back.
    actions = []
    for k in range(8):
        clock["day"] = DAY0 + dt.timedelta(days=k)
        page.goto(f"{base}/")
        decision = page.locator("[data-testid=decision]")
        actions.append(decision.get_attribute("class"))
        if k == 4:
            shot(page, "today")
        if k == 7:  # the day after the flare
            assert "Step back" in decision.inner_text()
            assert "settle" in page.locator("[data-testid=phase]").inner_text().lower()
            shot(page, "today-after-flare")
        flare = k == 6
        fill_diary(page, pain=7 if flare else 1, morning=5 if flare else 0)
    assert any("action-progress" in a for a in actions[:7]), actions
    assert "action-step_back" in actions[7], actions

    # 6. The plan calendar shows the step forward and the step back.
    page.goto(f"{base}/plan")
    calendar = page.locator("[data-testid=calendar]")
    text = calendar.inner_text()
    assert "▲ progress" in text and "▼ step back" in text  # one name per verdict (issue 9)
    phases = [d.get_attribute("data-phase") for d in calendar.locator(".cal-day[data-phase]").all()]
    assert "walk" in phases and phases.index("walk") < len(phases) - 1
    shot(page, "plan")

    # 7. The diary lists the week; the load chart overlays pain on load.
    page.goto(f"{base}/diary")
    assert page.locator("table.diary-table tbody tr[data-day]").count() == 8
    assert page.locator("svg.diary-chart circle.dot").count() >= 8
    shot(page, "diary")
    page.goto(f"{base}/load?weeks=12")
    assert page.locator("svg.load-chart circle.dot.pain").count() >= 1
    assert "worst pain 7/10" in page.locator("svg.load-chart").inner_html()
    shot(page, "load-with-pain")

    # 8. Validation and settings.
    page.goto(f"{base}/diary/{clock['day'].isoformat()}")
    page.locator("#diary-form input[name=pain_during]").fill("12")
    page.locator("#diary-form button[type=submit]").click()
    page.wait_for_selector("#diary-form .error")
    assert "0 to 10" in page.locator("#diary-form").inner_text()
    page.goto(f"{base}/settings")
    page.select_option("select[name=units]", "mi")
    page.click("form.settings-form button[type=submit]")
    page.wait_for_selector("p.ok")
    shot(page, "settings")
    page.goto(f"{base}/activities")
    assert re.search(r"\d+\.\d\d mi", page.locator("table.activities").inner_text())
    page.goto(f"{base}/settings")
    with page.expect_download() as download:
        page.click("form[action='/settings/export'] button")
    assert download.value.suggested_filename.endswith(".zip")

    # 9. Back on track after the flare: good days (posted like the form does) up to the
    # 30-min brisk walk, where Today shows the run-entry checklist; logging the single-leg
    # squat test in the diary form ticks its item.
    token = next(c["value"] for c in context.cookies() if c["name"] == "sb_csrf")
    for k in range(8, 30):
        clock["day"] = DAY0 + dt.timedelta(days=k)
        if 'data-testid="entry-criteria"' in page.request.get(f"{base}/").text():
            break
        r = page.request.post(
            f"{base}/diary",
            form={
                "csrf_token": token,
                "day": clock["day"].isoformat(),
                "pain_during": "1",
                "pain_after": "1",
                "pain_next_morning": "0",
                "done": "done",
            },
            max_redirects=0,
        )
        assert r.status == 303, r.text()
    else:
        pytest.fail("the plan never reached the run-entry step")
    page.goto(f"{base}/")
    squat = page.locator("[data-criterion=single_leg_squat_test]")
    assert squat.get_attribute("data-met") == "no"
    assert page.locator("[data-criterion=brisk_walk]").count() == 1
    shot(page, "today-entry-criteria")
    page.locator("#diary-form input[name=squat_test_pain]").fill("1")
    page.locator("#diary-form button[type=submit]").click()
    page.locator("#diary-form .ok").wait_for(timeout=10_000)
    page.reload()
    assert page.locator("[data-criterion=single_leg_squat_test]").get_attribute("data-met") == "yes"

    # 10. Two flares in a row: the plan refers to a clinician; once one has cleared the
    # runner, the form on Today restarts the plan (at the 20-min walk here).
    k = (clock["day"] - DAY0).days
    for offset, flare in ((1, {"pain_during": "7", "pain_next_morning": "5"}), (2, {"limp": "on"})):
        clock["day"] = DAY0 + dt.timedelta(days=k + offset)
        r = page.request.post(
            f"{base}/diary",
            form={
                "csrf_token": token,
                "day": clock["day"].isoformat(),
                "done": "done",
                **flare,
            },
            max_redirects=0,
        )
        assert r.status == 303, r.text()
    clock["day"] = DAY0 + dt.timedelta(days=k + 3)
    page.goto(f"{base}/")
    assert "action-refer" in page.locator("[data-testid=decision]").get_attribute("class")
    form = page.locator("[data-testid=clearance-form]")
    form.locator("input[value=walk]").check()
    form.locator("input[name=note]").fill("physio, after assessment")
    shot(page, "today-referral-clearance")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=clearance]")
    assert page.locator("[data-testid=clearance-form]").count() == 0
    assert "Walk: 20" in page.locator("[data-testid=phase]").inner_text()

    # 11. Phone width: the pages still fit and the charts scroll inside their box.
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    mobile = phone.new_page()
    for name, path in [
        ("today", "/"),
        ("load", "/load?weeks=12"),
        ("plan", "/plan"),
        ("diary", "/diary"),
        ("activities", "/activities"),
        ("check", "/check"),
        ("settings", "/settings"),
    ]:
        mobile.goto(f"{base}{path}")
        width = mobile.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"{path} overflows at phone width ({width}px)"
        shot(mobile, f"phone-{name}")
    phone.close()
    assert external == [], f"requests left the machine: {external}"
    context.close()


def test_form_video_in_browser(server: dict, browser, videos_dir: Path) -> None:
    pytest.importorskip("strideback.form.service")
    base = server["url"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/form")
    page.set_input_files("input[name=video]", str(videos_dir / "zz_male_side.mp4"))
    page.select_option("select[name=view]", "side")
    page.click("form[action='/form/upload'] button[type=submit]")
    page.wait_for_selector("#upload-result .job", timeout=15_000)
    shot(page, "form-progress")
    # The server stays responsive while the video is analysed in the background.
    t = time.perf_counter()
    assert page.request.get(f"{base}/healthz").ok
    assert time.perf_counter() - t < 2.0
    page.wait_for_selector(
        "#upload-result .job[data-status=done], #upload-result .job[data-status=error]",
        timeout=300_000,
    )
    job_text = page.locator("#upload-result .job").inner_text()
    assert "done" in job_text.lower(), job_text
    page.click("#upload-result .job a")
    page.wait_for_selector("table.metrics")
    assert page.locator("table.metrics tbody tr").count() >= 3
    # Cadence retraining: the page offers click tracks at +5% and +10% of the measured cadence.
    link = page.locator(".metronome a").first
    href = link.get_attribute("href") or ""
    spm = int(href.split("spm=")[1].split("&")[0])
    assert 170 <= spm <= 182, href  # 1.05 x ~169 steps/min
    wav = page.request.get(f"{base}{href}")
    assert wav.ok and wav.body()[:4] == b"RIFF"
    shot(page, "form-report")
    context.close()
