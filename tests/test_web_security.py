"""The hardened edge of the dashboard: no 500s on hostile ids and dates, no open redirect,
no foreign Origin, security headers and a CSP every page passes, upload caps, NUL-free text."""

from __future__ import annotations

import asyncio
import datetime as dt
from html.parser import HTMLParser

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from strideback.web import create_app
from strideback.web.security import (
    CONTENT_SECURITY_POLICY,
    BodySizeLimitMiddleware,
    local_path,
)

TODAY = dt.date(2026, 3, 18)
PAGES = [
    "/", "/diary", "/load", "/check", "/plan", "/activities", "/form", "/settings", "/evidence",
    "/exercises",
]  # fmt: skip
HUGE = "99999999999999999999999"
# Inline handlers still allowed per page (none: every handler is a data attribute for app.js).
PENDING_ELSEWHERE: dict[str, set[str]] = {}


@pytest.fixture()
def app(db_url: str):
    app = create_app(db_url, jobs_in_processes=False, today=lambda: TODAY)
    boom = APIRouter()

    @boom.get("/test-boom")
    def explode() -> None:
        raise RuntimeError("secret internals /home/user/.db password=hunter2")

    app.include_router(boom)
    return app


@pytest.fixture()
def client(app):
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        yield c


def csrf(client: TestClient) -> str:
    client.get("/")
    return client.cookies["sb_csrf"]


@pytest.mark.parametrize(
    "path",
    [
        f"/activities/{HUGE}",
        f"/jobs/{HUGE}",
        f"/api/jobs/{HUGE}",
        f"/api/jobs/-{HUGE}",
        f"/form/{HUGE}",
        f"/form/{HUGE}/report",
        f"/form/{HUGE}/video",
        "/activities/9223372036854775808",
    ],
)
def test_ids_past_64_bits_are_404_not_500(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404, (path, r.status_code, r.text[:200])


def test_largest_64_bit_id_still_reaches_the_route(client: TestClient) -> None:
    r = client.get("/jobs/9223372036854775807")
    assert r.status_code == 404 and "No job" in r.text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-02-30", "abc"])
def test_extreme_dates_on_the_diary_never_give_500(client: TestClient, day: str) -> None:
    token = csrf(client)
    r = client.post("/diary", data={"day": day, "pain_during": "2", "csrf_token": token})
    assert r.status_code < 500, (day, r.status_code, r.text[:300])
    assert "Traceback" not in r.text
    assert client.get(f"/diary/{day}").status_code < 500
    assert client.get(f"/plan?start={day}").status_code < 500


def test_an_unexpected_error_is_a_plain_page_without_internals(client: TestClient) -> None:
    r = client.get("/test-boom")
    assert r.status_code == 500
    assert "Something went wrong" in r.text and "<nav>" in r.text
    assert "hunter2" not in r.text and "Traceback" not in r.text and "RuntimeError" not in r.text
    assert r.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/diary", "/diary"),
        ("/diary/2026-03-01?saved=1", "/diary/2026-03-01?saved=1"),
        ("//evil.example", "/"),
        ("//evil.example/diary", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("diary", "/"),
        ("/diary\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_local_path_keeps_only_paths_on_this_site(target: str | None, expected: str) -> None:
    assert local_path(target) == expected


@pytest.mark.parametrize("evil", ["//evil.example", "https://evil.example/x", "/\\evil.example"])
def test_next_parameter_never_redirects_off_site(client: TestClient, evil: str) -> None:
    token = csrf(client)
    r = client.post(
        "/diary",
        data={"day": "2026-03-17", "pain_during": "2", "csrf_token": token, "next": evil},
        follow_redirects=False,
    )
    assert r.status_code in (200, 303), r.text[:300]
    location = r.headers.get("location", "/")
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location


def test_foreign_origin_is_refused_even_with_a_valid_token(client: TestClient) -> None:
    token = csrf(client)
    data = {"day": "2026-03-17", "pain_during": "2", "csrf_token": token}
    for headers in (
        {"origin": "http://evil.example"},
        {"origin": "null"},
        {"origin": "http://127.0.0.1.evil.example"},
        {"referer": "http://evil.example/page"},
    ):
        r = client.post("/diary", data=data, headers=headers, follow_redirects=False)
        assert r.status_code == 403, headers
        assert "another site" in r.text
    same = client.post(
        "/diary", data=data, headers={"origin": "http://127.0.0.1"}, follow_redirects=False
    )
    assert same.status_code in (200, 303)
    referer = client.post(
        "/diary",
        data=data,
        headers={"referer": "http://127.0.0.1/diary"},
        follow_redirects=False,
    )
    assert referer.status_code in (200, 303)


def test_foreign_origin_upload_is_refused_before_its_body_is_read(app) -> None:
    received: list[bytes] = []
    status = _call_raw(
        app,
        "/activities/upload",
        {"origin": "http://evil.example", "content-type": "multipart/form-data; boundary=x"},
        received,
    )
    assert status == 403 and received == []


def _call_raw(app, path: str, headers: dict[str, str], received: list[bytes]) -> int:
    """Send one POST straight to the ASGI app; record whether it ever read the body."""
    sent: list[dict] = []

    async def receive() -> dict:
        received.append(b"x" * 1024)
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")]
        + [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }

    app.middleware_stack = app.middleware_stack or app.build_middleware_stack()
    asyncio.run(app.middleware_stack(scope, receive, send))
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def test_declared_oversized_upload_is_refused_without_reading_it(app) -> None:
    received: list[bytes] = []
    status = _call_raw(
        app,
        "/activities/upload",
        {"content-length": str(2 * 1024**4), "content-type": "multipart/form-data; boundary=x"},
        received,
    )
    assert status == 413 and received == []


def test_streamed_body_over_the_cap_is_stopped_while_it_streams(client: TestClient) -> None:
    token = csrf(client)
    chunks_sent = 0

    def body():
        nonlocal chunks_sent
        for _ in range(64):  # 64 MiB offered, the plain-form cap is 1 MiB
            chunks_sent += 1
            yield b"a=" + b"x" * (1024 * 1024)

    r = client.post(
        "/diary",
        content=body(),
        headers={"x-csrf-token": token, "content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413 and "too large" in r.text


def test_upload_cap_shrinks_to_the_free_disk_space(monkeypatch, db_url: str) -> None:
    from strideback.web import app as app_module

    monkeypatch.setattr(app_module, "free_disk_bytes", lambda: app_module.DISK_MARGIN + 5 * 2**20)
    web = create_app(db_url, jobs_in_processes=False)
    received: list[bytes] = []
    status = _call_raw(
        web,
        "/activities/upload",
        {"content-length": str(50 * 2**20), "content-type": "multipart/form-data; boundary=x"},
        received,
    )
    assert status == 413 and received == []
    assert BodySizeLimitMiddleware  # the middleware that enforces both caps


@pytest.mark.parametrize("path", [*PAGES, "/static/app.css", "/healthz", "/nope"])
def test_security_headers_on_every_response(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


class InlineFinder(HTMLParser):
    """What a `script-src 'self'; style-src 'self'` policy would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(name)
            if name == "style":
                self.problems.append("style attribute")
            if name in ("href", "src", "action") and (value or "").startswith("javascript:"):
                self.problems.append(f"javascript: {name}")
            if name.startswith("hx-on") or (name == "hx-vals" and "js:" in (value or "")):
                self.problems.append(name)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_passes_the_content_security_policy(client: TestClient, path: str) -> None:
    finder = InlineFinder()
    finder.feed(client.get(path).text)
    assert set(finder.problems) <= PENDING_ELSEWHERE.get(path, set()), finder.problems


def test_page_script_is_a_static_file(client: TestClient) -> None:
    page = client.get("/").text
    assert '<script src="/static/app.js" defer></script>' in page
    assert '"includeIndicatorStyles":false' in page  # htmx would add a <style> element
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "scrollCharts" in js.text


def test_nul_characters_never_reach_the_database(db) -> None:
    from sqlalchemy import select

    from strideback.store.coach import DiaryRow

    with db.session() as session:
        session.add(DiaryRow(day=dt.date(2026, 3, 1), note="knee\x00 ok\x00"))
    with db.session() as session:
        assert session.scalars(select(DiaryRow.note)).one() == "knee ok"


def test_nul_characters_are_stripped_on_postgresql(postgres_url: str) -> None:
    from sqlalchemy import select

    from strideback.store.coach import DiaryRow
    from strideback.store.db import open_database

    db = open_database(postgres_url)
    with db.session() as session:
        session.add(DiaryRow(day=dt.date(2026, 3, 2), note="a\x00b"))
    with db.session() as session:
        notes = session.scalars(select(DiaryRow.note).where(DiaryRow.day == dt.date(2026, 3, 2)))
        assert notes.one() == "ab"


def test_diary_note_with_nul_posts_fine_on_postgresql(postgres_url: str) -> None:
    from strideback.coach.service import diary

    app = create_app(postgres_url, jobs_in_processes=False, today=lambda: TODAY)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = csrf(client)
        r = client.post(
            "/diary",
            data={
                "day": "2026-03-10",
                "pain_during": "1",
                "note": "ok\x00 fine",
                "csrf_token": token,
            },
            follow_redirects=False,
        )
        assert r.status_code in (200, 303), r.text[:300]
    notes = [e.note for e in diary(app.state.db) if e.day == dt.date(2026, 3, 10)]
    assert notes == ["ok fine"]
