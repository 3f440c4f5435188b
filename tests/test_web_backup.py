"""The Settings page backs up everything and restores the same file; errors at the top."""

from __future__ import annotations

import datetime as dt
import json
import zipfile

from fastapi.testclient import TestClient

from strideback.activities.service import import_paths
from strideback.coach import service
from strideback.domain import DiaryEntry
from strideback.store.db import open_database
from strideback.web import create_app


def _client(url: str) -> TestClient:
    app = create_app(url, jobs_in_processes=False)
    return TestClient(app, base_url="http://127.0.0.1")


def _token(client: TestClient) -> str:
    client.get("/settings")
    return client.cookies["sb_csrf"]


def _restore(client: TestClient, name: str, data: bytes, mode: str = "empty"):
    return client.post(
        "/settings/restore",
        files={"backup": (name, data, "application/zip")},
        data={"csrf_token": _token(client), "mode": mode},
    )


def test_dashboard_backup_restores_through_the_dashboard(tmp_path, activities_dir) -> None:
    first = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    db = open_database(first)
    import_paths(db, [activities_dir / "Runalyze__Standard.fit"])
    service.log_day(db, DiaryEntry(dt.date(2026, 3, 1), pain_during=2, note="ok"))
    with _client(first) as client:
        r = client.post("/settings/export", data={"csrf_token": _token(client)})
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        assert "strideback-backup-" in r.headers["content-disposition"]
        backup = r.content
    with zipfile.ZipFile(__import__("io").BytesIO(backup)) as zf:
        assert json.loads(zf.read("manifest.json"))["tables"]["activities"]["rows"] == 1

    second = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    with _client(second) as client:
        r = _restore(client, "strideback-backup.zip", backup)
        assert r.status_code == 200, r.text[:500]
        assert "Restored (empty)" in r.text and "activities 1" in r.text
        assert "Something is not right" not in r.text
        # Again: refused (the database now holds data), the error first on the page.
        r = _restore(client, "strideback-backup.zip", backup)
        assert r.status_code == 422
        error = r.text.index('data-testid="settings-error"')
        assert error < r.text.index("<h2>") and "--replace" in r.text
        r = _restore(client, "strideback-backup.zip", backup, mode="merge")
        assert r.status_code == 200 and "nothing new" in r.text
    restored = open_database(second)
    assert service.diary(restored)[0].note == "ok"


def test_restore_errors_are_at_the_top_of_the_page(tmp_path) -> None:
    with _client(f"sqlite:///{tmp_path / 'c.sqlite3'}") as client:
        for name, data, words in (
            ("notes.txt", b"hello", "not an accepted file type"),
            ("fake.zip", b"hello", "not a zip archive"),
            ("backup.json", b'{"format": "nope"}', "not a StrideBack coach backup"),
        ):
            r = _restore(client, name, data)
            assert r.status_code == 422, name
            assert r.text.index('data-testid="settings-error"') < r.text.index("<h2>")
            assert words in r.text, (name, r.text[:1500])
