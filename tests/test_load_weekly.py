"""Weekly load and its flags, on hand-built histories whose answers we can compute by hand."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from strideback.load.rules import load_rules
from strideback.load.weekly import LoadItem, iso_week, single_run_spikes, weekly_load

MONDAY = dt.date(2026, 10, 5)  # ISO week 2026-W41


def run(
    day: dt.date,
    km: float,
    hour: int = 8,
    descent: float = 0.0,
    ascent: float = 0.0,
    sport: str = "running",
    minutes: float | None = None,
) -> LoadItem:
    return LoadItem(
        activity_id=None,
        sport=sport,
        local_start=dt.datetime.combine(day, dt.time(hour)),
        distance_m=km * 1000,
        time_s=(minutes if minutes is not None else km * 6) * 60,
        ascent_m=ascent,
        descent_m=descent,
    )


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def test_weekly_totals_and_empty_weeks():
    items = [
        run(MONDAY, 5),
        run(MONDAY + days(2), 8),
        run(MONDAY + days(4), 6),
        # a gap week with no running, then one run and a swim
        run(MONDAY + days(14), 10),
        run(MONDAY + days(15), 0, sport="swimming", minutes=40),
    ]
    weeks = weekly_load(items, today=MONDAY + days(20))
    assert [w.week for w in weeks] == ["2026-W41", "2026-W42", "2026-W43"]
    w1, w2, w3 = weeks
    assert w1.distance_m == pytest.approx(19000)
    assert w1.runs == 3 and w1.longest_m == pytest.approx(8000)
    assert w1.time_s == pytest.approx(19 * 6 * 60)
    assert w2.distance_m == 0 and w2.runs == 0
    assert w2.ramp_prev_pct == pytest.approx(-100)
    assert w3.runs == 1 and w3.cross_training_s == pytest.approx(40 * 60)
    assert w3.ramp_prev_pct is None  # no baseline after a zero week


def test_weeks_option_keeps_history_for_ramps():
    items = [run(MONDAY + days(7 * i), 10 + i) for i in range(8)]
    weeks = weekly_load(items, today=MONDAY + days(7 * 7 + 1), weeks=3)
    assert len(weeks) == 3
    assert weeks[0].ramp_prev_pct == pytest.approx((15 - 14) / 14 * 100)
    # vs the mean of the previous 4 weeks: (11+12+13+14)/4 = 12.5
    assert weeks[0].ramp_4wk_pct == pytest.approx((15 - 12.5) / 12.5 * 100)


def test_single_run_spike_uses_longest_run_of_previous_30_days():
    rules = load_rules()
    runs = [
        run(MONDAY, 10),  # longest in window
        run(MONDAY + days(10), 6),
        run(MONDAY + days(20), 10.9),  # +9%: not a spike
        run(MONDAY + days(25), 12.5),  # +14.7% over 10.9: small spike
        run(MONDAY + days(70), 5),  # nothing in previous 30 days: no baseline
        run(MONDAY + days(72), 11),  # +120% over 5: large spike
    ]
    flags = single_run_spikes(runs, rules)
    assert set(flags) == {3, 5}
    assert "small spike" in flags[3].message and "15% longer" in flags[3].message
    assert "large spike" in flags[5].message
    assert "Frandsen" in flags[3].citation


def test_spike_window_excludes_runs_older_than_30_days():
    rules = load_rules()
    runs = [run(MONDAY, 20), run(MONDAY + days(31), 8), run(MONDAY + days(33), 9)]
    flags = single_run_spikes(runs, rules)
    assert set(flags) == {2}  # 9 km vs 8 km (+12.5%); the 20 km run is out of the window


def test_two_week_progression_flag():
    items = [run(MONDAY, 10), run(MONDAY + days(7), 11), run(MONDAY + days(14), 13.5)]
    weeks = weekly_load(items, today=MONDAY + days(15))
    rules = {f.rule for f in weeks[2].flags}
    assert "two_week_progression" in rules  # 10 -> 13.5 km = +35% over two weeks
    assert any("Nielsen" in f.citation for f in weeks[2].flags)
    # +29% over two weeks is below the threshold
    items = [run(MONDAY, 10), run(MONDAY + days(7), 11), run(MONDAY + days(14), 12.9)]
    weeks = weekly_load(items, today=MONDAY + days(15))
    assert "two_week_progression" not in {f.rule for f in weeks[2].flags}


def test_downhill_flags():
    items = [
        run(MONDAY, 10, descent=100),  # 10 m/km: flat enough
        run(MONDAY + days(2), 10, descent=250),  # 25 m/km: hilly
        run(MONDAY + days(4), 10, descent=200),  # week total 550 m
    ]
    weeks = weekly_load(items, today=MONDAY + days(5))
    rules = [f.rule for f in weeks[0].flags]
    assert rules.count("downhill_run") == 2
    assert "downhill_week" in rules
    assert weeks[0].descent_m == pytest.approx(550)


def test_acwr_is_coupled_four_week_mean_and_information_only():
    items = [run(MONDAY + days(7 * i), km) for i, km in enumerate([10, 10, 10, 30])]
    weeks = weekly_load(items, today=MONDAY + days(22))
    assert weeks[3].acwr == pytest.approx(30 / ((10 + 10 + 10 + 30) / 4))
    assert weeks[2].acwr is None  # fewer than 4 weeks of history
    assert all(f.rule != "acwr" for w in weeks for f in w.flags)


def test_local_time_decides_the_week():
    # Sunday 23:30 local is still the earlier ISO week.
    sunday_night = LoadItem(None, "running", dt.datetime(2026, 10, 11, 23, 30), 5000, 1800)
    weeks = weekly_load([sunday_night], today=dt.date(2026, 10, 12))
    assert weeks[0].week == "2026-W41" and weeks[0].runs == 1
    assert iso_week(dt.date(2026, 10, 12)) == "2026-W42"


def test_future_activities_ignored_and_empty_history():
    assert weekly_load([], today=MONDAY) == []
    weeks = weekly_load([run(MONDAY, 5), run(MONDAY + days(30), 5)], today=MONDAY + days(1))
    assert sum(w.runs for w in weeks) == 1


def test_chart_files(tmp_path):
    from strideback.load.chart import write_chart

    items = [run(MONDAY + days(7 * i), km) for i, km in enumerate([5, 5, 6, 14])]
    weeks = weekly_load(items, today=MONDAY + days(25))
    png = write_chart(weeks, tmp_path / "load.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = write_chart(weeks, tmp_path / "load.html").read_text()
    assert "<svg" in page and "two weeks" in page and "http://" not in page.split("<svg")[0]
    with pytest.raises(ValueError, match="load.txt"):
        write_chart(weeks, tmp_path / "load.txt")


def test_load_cli_json_and_chart(tmp_path, db_url):
    from typer.testing import CliRunner

    from strideback.cli import app
    from strideback.store.activities import ActivityRow, SourceFile
    from strideback.store.db import open_database

    db = open_database(db_url)
    with db.session() as s:
        s.add(
            SourceFile(sha256="a" * 64, name="x.fit", format="fit", size_bytes=1, status="imported")
        )
        s.flush()
        for i, km in enumerate([5, 5, 6, 9]):
            s.add(
                ActivityRow(
                    source_sha256="a" * 64,
                    leg_index=i,
                    source_format="fit",
                    source_file="x.fit",
                    sport="running",
                    start_time=dt.datetime(2026, 10, 5 + 7 * i, 7, 0),
                    utc_offset_s=3600,
                    distance_m=km * 1000,
                    moving_s=km * 360,
                    elapsed_s=km * 370,
                    ascent_m=10,
                    descent_m=12,
                )
            )
    result = CliRunner().invoke(
        app,
        [
            "--db",
            db_url,
            "load",
            "--json",
            "--today",
            "2026-10-30",
            "--chart",
            str(tmp_path / "c.png"),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["distance_m"] for r in rows] == [5000, 5000, 6000, 9000]
    assert any(f["rule"] == "two_week_progression" for f in rows[3]["flags"])
    assert (tmp_path / "c.png").stat().st_size > 1000
