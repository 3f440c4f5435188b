"""Pure parts of the dashboard: form parsing, upload sniffing, charts, view builders."""

from __future__ import annotations

import datetime as dt
import gzip

import numpy as np
import pytest

from strideback.domain import DiaryEntry, WeekLoad
from strideback.web.charts import Chart, nice_max
from strideback.web.config import load_config
from strideback.web.forms import parse_diary_form
from strideback.web.uploads import safe_name, sniff_error
from strideback.web.views import PainBands, activity_charts, pain_by_week

TODAY = dt.date(2026, 5, 10)


def test_parse_diary_form_builds_an_entry() -> None:
    entry, errors = parse_diary_form(
        {
            "day": "2026-05-09",
            "pain_during": "3",
            "pain_after": "",
            "swelling": "marked",
            "done": "modified",
            "sharp_pain": "on",
            "note": "  hills  ",
        },
        TODAY,
    )
    assert not errors
    assert entry == DiaryEntry(
        day=dt.date(2026, 5, 9),
        pain_during=3,
        swelling="marked",
        done="modified",
        sharp_pain=True,
        note="hills",
    )


def test_parse_diary_form_collects_every_problem() -> None:
    entry, errors = parse_diary_form(
        {"day": "2026-05-11", "pain_during": "10.5", "pain_after": "x", "done": "ran"}, TODAY
    )
    assert entry is None
    assert set(errors.messages) == {"day", "pain_during", "pain_after", "done"}


@pytest.mark.parametrize(
    ("name", "head", "ok"),
    [
        ("a.fit", b"\x0e\x10\x00\x00\x00\x00\x00\x00.FIT\x00\x00", True),
        ("a.fit", b"<gpx>", False),
        ("a.gpx", b"\xef\xbb\xbf  <?xml version='1.0'?><gpx>", True),
        ("a.tcx", b"PK\x03\x04", False),
        ("a.zip", b"PK\x03\x04rest", True),
        ("a.zip", b"<xml>", False),
        ("a.gpx.gz", gzip.compress(b"<?xml version='1.0'?><gpx/>"), True),
        ("a.fit.gz", gzip.compress(b"<?xml version='1.0'?>"), False),
        ("a.gz", b"plain", False),
        ("v.mp4", b"\x00\x00\x00\x18ftypmp42", True),
        ("v.mov", b"\x00\x00\x00\x14ftypqt  ", True),
        ("v.webm", b"\x1a\x45\xdf\xa3", True),
        ("v.mp4", b"\x1a\x45\xdf\xa3\x00\x00\x00\x00", False),
    ],
)
def test_sniffing_checks_content_against_the_name(name: str, head: bytes, ok: bool) -> None:
    assert (sniff_error(name, head) is None) is ok


def test_safe_name_strips_paths_and_odd_characters() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\me\\run 1 (copy).fit") == "run_1_copy_.fit"
    assert safe_name("...") == "upload"


def test_config_file_has_caps_and_citations() -> None:
    cfg = load_config()
    assert cfg.uploads["video"].max_bytes > cfg.form_max_bytes
    assert cfg.uploads["activities"].check_name("run.FIT") is None
    assert "not an accepted file type" in cfg.uploads["video"].check_name("clip.exe")
    assert "Silbernagel" in cfg.pain_citation and "evidence.md" in cfg.red_flag_citation
    assert 0 < cfg.pain_safe_max <= cfg.pain_acceptable_max <= 10


def test_nice_max_rounds_up() -> None:
    assert [nice_max(v) for v in (0, 0.7, 3.2, 19, 101)] == [1.0, 1.0, 5.0, 20.0, 200.0]


def test_chart_scales_and_renders_titles() -> None:
    chart = Chart(title="t & <x>", x_labels=["a", "b"], y_max=10)
    chart.bars([5, 10], "distance", ["half", "full"])
    svg = chart.render()
    assert svg.startswith("<svg") and "t &amp; &lt;x&gt;" in svg
    assert svg.count('class="bar distance"') == 2
    assert chart.y(10) < chart.y(5) < chart.y(0)


def test_pain_by_week_takes_the_worst_score_of_the_week() -> None:
    weeks = [
        WeekLoad(week="W1", week_start=dt.date(2026, 5, 4)),
        WeekLoad(week="W0", week_start=dt.date(2026, 4, 27)),
    ]
    entries = [
        DiaryEntry(day=dt.date(2026, 5, 5), pain_during=2, pain_next_morning=4),
        DiaryEntry(day=dt.date(2026, 5, 10), pain_after=3),
        DiaryEntry(day=dt.date(2026, 4, 1), pain_after=9),
        DiaryEntry(day=dt.date(2026, 4, 28)),
    ]
    assert pain_by_week(entries, weeks) == [4, None]


def test_activity_charts_handle_missing_columns() -> None:
    t = np.arange(0, 1200, 1.0)
    cols = {
        "t_s": t,
        "distance_m": t * 3.0,
        "speed_mps": np.full_like(t, 3.0),
        "altitude_m": 100 + np.sin(t / 100) * 5,
        "cadence_spm": np.full_like(t, np.nan),
    }
    charts = activity_charts(cols, "km")
    assert len(charts) == 2  # pace and elevation; no cadence or heart rate
    assert "Pace (min/km)" in charts[0] and "Elevation" in charts[1]
    assert charts[0].count("<polyline") == 1
    assert activity_charts({"t_s": np.array([])}) == []


def test_pain_bands_are_drawn_from_settings() -> None:
    from strideback.web.views import diary_chart

    svg = diary_chart([DiaryEntry(day=TODAY, pain_during=2)], PainBands(2, 5, "cite"))
    assert 'class="band pain-safe"' in svg and "Pain 0-2: safe zone" in svg
