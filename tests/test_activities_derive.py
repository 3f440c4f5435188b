"""The derived-metric maths on synthetic data (no files)."""

from __future__ import annotations

import numpy as np
import pytest

from strideback.activities import derive
from strideback.activities.series_codec import decode_series, encode_series
from strideback.activities.sports import fit_sport, gpx_type, tcx_sport
from strideback.domain import Series


def test_elevation_smoothing_ignores_noise_but_counts_hills():
    rng = np.random.default_rng(42)
    # 100 m up, 60 m down, 40 m up; 1 sample per metre of climb; +-1.5 m sensor noise
    true = np.concatenate(
        [np.linspace(200, 300, 1000), np.linspace(300, 240, 600), np.linspace(240, 280, 400)]
    )
    noisy = true + rng.normal(0, 0.75, len(true)).clip(-1.5, 1.5)
    noisy[500] += 25  # one GPS spike
    ascent, descent = derive.elevation_gain_loss(noisy)
    assert ascent == pytest.approx(140, abs=6)
    assert descent == pytest.approx(60, abs=6)
    # Naive summing of the noise would report far more climbing.
    naive = np.clip(np.diff(noisy), 0, None).sum()
    assert naive > 300


def test_flat_noisy_profile_has_no_climb():
    rng = np.random.default_rng(1)
    flat = 50 + rng.normal(0, 0.6, 3000).clip(-1.4, 1.4)
    ascent, descent = derive.elevation_gain_loss(flat)
    assert ascent < 3 and descent < 3


def test_moving_time_excludes_pauses_and_gaps():
    # 10 min running at 3 m/s, 5 min standing, an 18-min recording gap, 10 min running.
    run1 = np.arange(0, 600.0)
    stand = np.arange(600, 900.0)
    run2 = np.arange(2000, 2600.0)
    t = np.concatenate([run1, stand, run2])
    d1 = (run1 - run1[0]) * 3.0
    d_stand = np.full(len(stand), d1[-1])
    d2 = d1[-1] + (run2 - run2[0]) * 3.0
    distance = np.concatenate([d1, d_stand, d2])
    assert derive.moving_time_s(t, distance) == pytest.approx(599 + 599)
    # without distance only the gap is removed
    assert derive.moving_time_s(t, None) == pytest.approx(2599 - (2000 - 899))


def test_cadence_doubling_rule():
    per_leg = np.array([80.0, 82, 85, np.nan, 0])
    assert np.nanmax(derive.to_steps_per_minute(per_leg, "running")) == 170
    steps = np.array([160.0, 170, 175])
    assert derive.to_steps_per_minute(steps, "running").tolist() == [160, 170, 175]
    assert derive.to_steps_per_minute(np.array([55.0]), "walking")[0] == 110
    assert derive.to_steps_per_minute(np.array([110.0]), "walking")[0] == 110
    assert derive.to_steps_per_minute(np.array([90.0]), "cycling")[0] == 90


def test_gps_distance_skips_segment_breaks():
    lat = np.array([0.0, 0.0, 0.0, 0.0])
    lon = np.array([0.0, 0.001, 1.0, 1.001])
    one_step = derive.haversine_m(np.array([0.0, 0.0]), np.array([0.0, 0.001]))[0]
    assert derive.gps_distance_m(lat, lon, np.array([1, 1, 2, 2])) == pytest.approx(2 * one_step)
    assert derive.gps_distance_m(lat, lon) > 100_000


def test_sport_mapping():
    assert fit_sport("running", "trail") == ("running", "trail")
    assert fit_sport("running", None) == ("running", "generic")
    assert fit_sport("generic", "treadmill") == ("running", "treadmill")
    assert fit_sport("rowing", "indoor_rowing")[0] == "other"
    assert gpx_type("9") == "running" and gpx_type("10") == "walking" and gpx_type("1") == "cycling"
    assert gpx_type(None) is None
    assert tcx_sport("Biking") == "cycling" and tcx_sport("running") == "running"


def test_series_blob_roundtrip_is_compact():
    n = 3600
    series = Series(
        columns={
            "t_s": np.arange(n, dtype=float),
            "hr_bpm": np.full(n, 140.0),
            "lat": np.linspace(45, 45.1, n),
            "lon": np.linspace(7, 7.1, n),
        }
    )
    blob = encode_series(series)
    back = decode_series(blob)
    assert len(back) == n
    np.testing.assert_allclose(back.columns["lat"], series.columns["lat"])
    assert np.all(np.isnan(back.columns["speed_mps"]))
    assert len(blob) < n * 8  # far below one float64 column per sample


def test_impossible_altitudes_are_dropped():
    alt = np.array([-500.0, -487.2, 120.0, 9500.0, np.nan, 8000.0])
    cleaned = derive.plausible_altitude(alt)
    assert np.isnan(cleaned[[0, 1, 3, 4]]).all()
    assert cleaned[2] == 120 and cleaned[5] == 8000
