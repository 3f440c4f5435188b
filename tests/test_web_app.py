"""Fast tests of the dashboard with FastAPI's TestClient: pages, CSRF, limits, loopback."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from strideback.domain import DiaryEntry, Flag, WeekLoad
from strideback.web import create_app

PAGES = ["/", "/diary", "/load", "/check", "/plan", "/activities", "/form", "/settings"]
TODAY = dt.date(2026, 3, 18)


@pytest.fixture()
def client(db_url: str):
    app = create_app(db_url, jobs_in_processes=False, today=lambda: TODAY)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def token(client: TestClient) -> str:
    client.get("/")
    value = client.cookies.get("sb_csrf")
    assert value and "." in value
    return value


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_with_the_navigation(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200, r.text[:500]
    assert "<nav>" in r.text and 'href="/load"' in r.text
    assert "not a diagnosis" in r.text  # the disclaimer is on every page
    assert "https://" not in re.sub(r"<small class=\"cite\">.*?</small>", "", r.text)


def test_assets_are_served_locally(client: TestClient) -> None:
    page = client.get("/").text
    srcs = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert srcs and all(s.startswith(("/", "#")) for s in srcs), srcs
    js = client.get("/static/vendor/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:200] and "BSD" in js.text[:200]
    assert client.get("/static/app.css").status_code == 200


def test_post_without_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/")
    r = client.post("/diary", data={"day": "2026-03-17", "pain_during": "2"})
    assert r.status_code == 403
    assert "security token" in r.text


def test_post_with_forged_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/")
    client.cookies.set("sb_csrf", "abc.def")
    r = client.post(
        "/diary", data={"day": "2026-03-17", "pain_during": "2", "csrf_token": "abc.def"}
    )
    assert r.status_code == 403


def test_csrf_token_in_form_must_match_cookie(client: TestClient) -> None:
    good = token(client)
    other = create_app.__globals__["CsrfSigner"]().new_token()
    r = client.post("/diary", data={"day": "2026-03-17", "pain_during": "2", "csrf_token": other})
    assert r.status_code == 403
    r = client.post("/diary", data={"day": "2026-03-17", "pain_during": "12", "csrf_token": good})
    assert r.status_code == 422  # past CSRF, stopped by validation


def test_csrf_header_accepted_like_htmx_sends_it(client: TestClient) -> None:
    good = token(client)
    r = client.post(
        "/diary",
        data={"day": "2026-03-17", "pain_during": "-1"},
        headers={"X-CSRF-Token": good, "HX-Request": "true"},
    )
    assert r.status_code == 422
    assert 'id="diary-form"' in r.text and "0 to 10" in r.text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"day": "2026-03-17", "pain_during": "11"}, "whole number from 0 to 10"),
        ({"day": "2026-03-17", "pain_after": "abc"}, "must be a number from 0"),
        ({"day": "2026-03-17", "pain_after": "2.5"}, "whole number"),
        ({"day": "2026-03-19", "pain_during": "1"}, "is in the future"),
        ({"day": "17/03/2026", "pain_during": "1"}, "use YYYY-MM-DD"),
        ({"day": "2026-03-17", "pain_during": "1", "swelling": "huge"}, "none, mild or marked"),
        ({"day": "2026-03-17"}, "at least one pain score"),
    ],
)
def test_diary_validation_messages(client: TestClient, fields: dict, message: str) -> None:
    r = client.post("/diary", data={**fields, "csrf_token": token(client)})
    assert r.status_code == 422
    assert message in r.text


def test_oversized_upload_is_refused_before_reading(client: TestClient) -> None:
    tok = token(client)
    huge = str(3 * 1024**3)
    r = client.post(
        "/activities/upload",
        content=b"x" * 10,
        headers={
            "content-length": huge,
            "content-type": "multipart/form-data; boundary=x",
            "X-CSRF-Token": tok,
        },
    )
    assert r.status_code == 413
    assert "too large" in r.text


def test_plain_form_posts_are_capped_too(client: TestClient) -> None:
    tok = token(client)
    r = client.post(
        "/diary", data={"day": "2026-03-17", "note": "x" * 2_000_000, "csrf_token": tok}
    )
    assert r.status_code == 413


def test_upload_wrong_type_is_refused_with_a_message(client: TestClient) -> None:
    tok = token(client)
    r = client.post(
        "/activities/upload",
        data={"csrf_token": tok},
        files=[("files", ("notes.txt", b"hello", "text/plain"))],
    )
    assert r.status_code == 422
    assert "notes.txt: not an accepted file type" in r.text


def test_upload_content_must_match_its_name(client: TestClient) -> None:
    tok = token(client)
    r = client.post(
        "/activities/upload",
        data={"csrf_token": tok},
        files=[("files", ("run.fit", b"this is not a fit file", "x/y"))],
    )
    assert r.status_code == 422
    assert "not a FIT file" in r.text
    r = client.post(
        "/form/upload",
        data={"csrf_token": tok, "view": "side"},
        files=[("video", ("clip.mp4", b"\x00" * 64, "video/mp4"))],
    )
    assert r.status_code == 422 and "not an MP4" in r.text


def test_only_loopback_host_names_are_accepted(client: TestClient) -> None:
    r = client.get("/", headers={"host": "evil.example.com"})
    assert r.status_code == 400
    assert client.get("/", headers={"host": "localhost:8000"}).status_code == 200


def test_serve_binds_loopback_by_default() -> None:
    import typer
    from typer.main import get_command

    from strideback.cli import web as web_cli

    app = typer.Typer()
    web_cli.register(app)
    app.command("noop")(lambda: None)
    command = get_command(app).commands["serve"]
    defaults = {p.name: p.default for p in command.params}
    assert defaults["host"] == "127.0.0.1"
    assert defaults["port"] == 8000


def test_unknown_pages_and_bad_ids(client: TestClient) -> None:
    assert client.get("/diary/not-a-date").status_code == 404
    assert client.get("/activities/abc").status_code == 422
    assert client.get("/jobs/999").status_code == 404


# --- pages rendered from fake services (the contracts), independent of other work -------

Session = SimpleNamespace


@pytest.fixture()
def fake_services(monkeypatch: pytest.MonkeyPatch):
    saved: list[DiaryEntry] = []
    weeks = [
        WeekLoad(
            week=f"2026-W{n:02d}",
            week_start=dt.date(2026, 1, 5) + dt.timedelta(weeks=n - 2),
            distance_m=d,
            runs=3,
            descent_m=40.0 * n,
        )
        for n, d in zip(
            range(2, 12), [10e3, 11e3, 12e3, 12e3, 30e3, 12e3, 8e3, 0, 5e3, 6e3], strict=True
        )
    ]
    weeks[4].flags.append(
        Flag(
            "single_run_spike",
            "A run 150% of your longest in 30 days",
            "Frandsen 2025 Br J Sports Med",
        )
    )
    fakes = {
        ("coach", "todays_session"): lambda db, today: Session(
            day=today,
            needs_check=False,
            referral=None,
            phase="walk-run",
            step=3,
            sessions=[
                Session(
                    kind="run",
                    minutes=24,
                    title="Walk 2 / run 3 x 5",
                    exercises=[],
                    notes="flat route",
                )
            ],
            decision=Session(
                action="progress",
                rule="pain_monitoring",
                reason="Two tolerated sessions with pain <= 3/10.",
            ),
            disclaimer="A self-care aid.",
        ),
        ("coach", "diary"): lambda db, start=None, end=None: [
            e for e in saved if (start is None or e.day >= start) and (end is None or e.day <= end)
        ],
        ("coach", "log_day"): lambda db, entry: saved.append(entry) or entry,
        ("load", "weekly_load"): lambda db, today, weeks_=None: weeks,
        ("coach", "get_settings"): lambda db: {"units": "km", "pain_during_max": 3},
    }

    # The pages import their service functions directly (issue 8): fake those names.
    from strideback.web.routes import load as load_routes
    from strideback.web.routes import today as today_routes

    def save_day(db, day, changes, today=None):
        fields = {k: v for k, v in changes.items() if v not in (None, "")}
        return fakes[("coach", "log_day")](db, DiaryEntry(day=day, **fields))

    monkeypatch.setattr(today_routes, "todays_session", fakes[("coach", "todays_session")])
    monkeypatch.setattr(today_routes, "diary", fakes[("coach", "diary")])
    monkeypatch.setattr(today_routes, "save_day", save_day)
    monkeypatch.setattr(load_routes, "diary", fakes[("coach", "diary")])
    monkeypatch.setattr(load_routes, "weekly_load", fakes[("load", "weekly_load")])
    return saved


def test_today_shows_decision_session_and_red_flags(client: TestClient, fake_services) -> None:
    page = client.get("/").text
    assert "Progress" in page and "Two tolerated sessions" in page  # one name per verdict
    assert "Walk 2 / run 3 x 5" in page and "24 min" in page
    assert 'data-testid="red-flags"' in page and "locks or gives way" in page


def test_diary_round_trip_through_the_form(client: TestClient, fake_services) -> None:
    tok = token(client)
    r = client.post(
        "/diary",
        data={
            "day": "2026-03-17",
            "pain_during": "2",
            "pain_after": "3",
            "pain_next_morning": "1",
            "swelling": "mild",
            "done": "done",
            "limp": "on",
            "csrf_token": tok,
            "next": "/diary",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/diary"
    assert fake_services[-1] == DiaryEntry(
        day=dt.date(2026, 3, 17),
        pain_during=2,
        pain_after=3,
        pain_next_morning=1,
        swelling="mild",
        done="done",
        limp=True,
    )
    page = client.get("/diary").text
    assert 'data-day="2026-03-17"' in page and "limp" in page
    assert "<svg" in page
    edit = client.get("/diary/2026-03-17").text
    assert 'name="pain_after" min="0" max="10" step="1" inputmode="numeric" value="3"' in edit


def test_load_chart_marks_the_spike_week_and_overlays_pain(
    client: TestClient, fake_services
) -> None:
    fake_services.append(DiaryEntry(day=dt.date(2026, 2, 4), pain_after=6))
    page = client.get("/load").text
    svg = re.search(r'<svg class="chart load-chart".*?</svg>', page, re.S).group(0)
    assert svg.count('class="bar distance flagged"') == 1
    assert svg.count('data-rule="single_run_spike"') == 1
    assert "worst pain 6/10" in svg
    assert "Frandsen 2025" in page


@pytest.mark.parametrize("path", ["/", "/check", "/activities", "/form", "/settings"])
def test_forms_embed_the_cookie_token(client: TestClient, path: str) -> None:
    page = client.get(path).text
    hidden = re.findall(r'name="csrf_token" value="([^"]*)"', page)
    assert hidden, "no CSRF field in the page's forms"
    assert set(hidden) == {client.cookies.get("sb_csrf")}


def test_missing_clip_and_activity_are_404(client: TestClient) -> None:
    pytest.importorskip("strideback.form.service")
    assert client.get("/form/999").status_code == 404
    assert client.get("/form/999/video").status_code == 404
    assert client.get("/form/compare?a=998&b=999").status_code == 404
    pytest.importorskip("strideback.activities.service")
    assert client.get("/activities/999").status_code == 404


def test_settings_units_and_threshold_validation(client: TestClient) -> None:
    pytest.importorskip("strideback.coach.service")
    tok = token(client)
    r = client.post("/settings", data={"csrf_token": tok, "_present": "1", "units": "mi"})
    assert r.status_code == 200 and "Saved: units" in r.text
    assert 'value="mi" selected' in r.text
    r = client.post("/settings", data={"csrf_token": tok, "_present": "1", "units": "furlong"})
    assert r.status_code == 422 and "units must be one of km, mi" in r.text
    r = client.post("/settings", data={"csrf_token": tok, "_present": "1", "pain_ok_max": "9"})
    assert r.status_code == 422 and "pain_ok_max" in r.text
    r = client.post("/settings", data={"csrf_token": tok, "_present": "1", "pain_ok_max": "2"})
    assert r.status_code == 200 and "Saved: pain_ok_max" in r.text
    assert 'name="pain_ok_max" value="2"' in r.text


def test_check_submission_with_the_real_questions(client: TestClient) -> None:
    coach = pytest.importorskip("strideback.coach.service")
    data = {"csrf_token": token(client)}
    for q in coach.check_questions():
        if q.kind == "yes_no":
            data[f"q_{q.id}"] = "no"
        elif q.kind == "choice":
            data[f"q_{q.id}"] = str(q.options[0].value)
        else:
            data[f"q_{q.id}"] = "30"
    data.update(
        q_loaded_flexion_pain="yes", q_pain_location="around_kneecap", q_gradual_onset="yes"
    )
    r = client.post("/check", data=data)
    assert r.status_code == 200
    assert 'data-testid="kujala-total">100<' in r.text
    assert "You can start or continue the plan" in r.text
    data["q_age"] = "-3"
    r = client.post("/check", data=data)
    assert r.status_code == 422 and "Enter a number from" in r.text
    assert client.get("/plan.ics").headers["content-type"].startswith("text/calendar")


def test_metronome_download_and_validation(tmp_path):
    import io
    import wave

    app = create_app(f"sqlite:///{tmp_path / 'm.sqlite3'}", jobs_in_processes=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        response = client.get("/form/metronome.wav", params={"spm": 180, "minutes": 0.5})
        assert response.status_code == 200
        assert response.headers["content-type"] == "audio/wav"
        assert "metronome-180spm" in response.headers["content-disposition"]
        with wave.open(io.BytesIO(response.content)) as wav:
            seconds = wav.getnframes() / wav.getframerate()
        assert abs(seconds - 30) < 1
        bad = client.get("/form/metronome.wav", params={"spm": 20, "minutes": 1})
        assert bad.status_code == 422


def test_metronome_download_is_streamed_in_small_chunks(tmp_path, monkeypatch):
    """A 20-minute click track (53 MB as WAV) is never built in memory: it streams in chunks
    of about 0.4 MB, with its full size announced, and the bytes equal the file the CLI writes."""
    import strideback.video.metronome as metronome

    sizes: list[int] = []
    real = metronome._render

    def spy(starts, first, stop, sample_rate):
        sizes.append(stop - first)
        return real(starts, first, stop, sample_rate)

    monkeypatch.setattr(metronome, "_render", spy)
    app = create_app(f"sqlite:///{tmp_path / 'm.sqlite3'}", jobs_in_processes=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        response = client.get("/form/metronome.wav", params={"spm": 176, "minutes": 20})
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content) == 44 + 2 * 26_460_000
    assert len(sizes) == 120 and max(sizes) == int(metronome.CHUNK_S * metronome.SAMPLE_RATE)
    assert response.content[:4] == b"RIFF" and response.content[8:12] == b"WAVE"
    monkeypatch.setattr(metronome, "_render", real)
    assert response.content[:400_000] == metronome.wav_bytes(176, 20)[:400_000]
