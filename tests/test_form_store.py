"""Form storage: migrations on SQLite and PostgreSQL, compare arithmetic, metronome."""

from __future__ import annotations

import datetime as dt
import json
import wave
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from strideback.cli import app
from strideback.form.compare import compare_metrics
from strideback.form.reference import load_reference
from strideback.video.metronome import click_track


def _row_roundtrip(url: str) -> None:
    from strideback.form.service import compare_clips, get_clip, list_clips
    from strideback.store.db import open_database
    from strideback.store.form import FormClipRow

    db = open_database(url)
    metrics_a = {"knee_flexion_contact": {"label": "Knee", "unit": "deg", "value": 14.0,
                                          "confidence": "good"},
                 "cadence": {"label": "Cadence", "unit": "steps/min", "value": 160.0,
                             "confidence": "good"}}  # fmt: skip
    metrics_b = json.loads(json.dumps(metrics_a))
    metrics_b["knee_flexion_contact"]["value"] = 27.0
    metrics_b["cadence"]["value"] = 162.0
    ids = []
    for day, metrics in ((dt.date(2026, 10, 1), metrics_a), (dt.date(2026, 11, 1), metrics_b)):
        with db.session() as s:
            row = FormClipRow(recorded_on=day, video_path="/x.mp4", video_sha256="0" * 64,
                              view="side", task="run", fps=60.0, capture_fps=60.0,
                              out_dir="/tmp/x", metrics_json=json.dumps(metrics),
                              quality_json="[]", backend="test")  # fmt: skip
            s.add(row)
            s.flush()
            ids.append(row.id)
    assert [c.id for c in list_clips(db)] == ids
    assert get_clip(db, ids[0]).metrics["cadence"]["value"] == 160.0
    comp = {c.name: c for c in compare_clips(db, ids[0], ids[1]).changes}
    assert comp["knee_flexion_contact"].difference == pytest.approx(13.0)
    assert comp["knee_flexion_contact"].exceeds_error is True  # > 10 deg
    assert comp["cadence"].exceeds_error is False  # 2 spm is within 2%


def test_store_sqlite(db_url: str) -> None:
    _row_roundtrip(db_url)


def test_store_postgres(postgres_url: str) -> None:
    _row_roundtrip(postgres_url)


def test_compare_small_angle_change_is_noise() -> None:
    a = {"k": {"label": "Knee", "unit": "deg", "value": 20.0, "confidence": "good"}}
    b = {"k": {"label": "Knee", "unit": "deg", "value": 27.0, "confidence": "limited"}}
    comp = compare_metrics(1, a, 30.0, "side", 2, b, 30.0, "front")
    change = comp.changes[0]
    assert change.exceeds_error is False
    assert "not a trustworthy change" in change.note and "limited" in change.note
    assert comp.warnings  # different views
    err = load_reference()["measurement_error"]["angle_deg"]
    assert err["value"] == 10 and "Damsted" in err["citation"]


def test_reference_ranges_all_cited() -> None:
    ref = load_reference()
    assert "not diagnostic" in ref["disclaimer"].lower() or "not diagnostic" in ref["disclaimer"]
    for name, entry in ref["metrics"].items():
        assert entry["citation"], name
    assert ref["metrics"]["trunk_lean"]["flag"] == "none"
    assert ref["metrics"]["hip_extension_toe_off"]["flag"] == "none"


def test_click_track_timing() -> None:
    samples = click_track(170, 0.5)
    assert samples.dtype == np.int16 and samples.size == 22050 * 30
    onsets = np.flatnonzero((np.abs(samples[1:]) > 1000) & (np.abs(samples[:-1]) <= 1000))
    clicks = onsets[np.r_[True, np.diff(onsets) > 2000]]
    assert len(clicks) == pytest.approx(85, abs=1)  # 170 steps/min for 30 s
    assert np.median(np.diff(clicks)) / 22050 == pytest.approx(60 / 170, rel=0.01)


def test_metronome_cli(tmp_path: Path) -> None:
    out = tmp_path / "click.wav"
    result = CliRunner().invoke(app, ["metronome", "--spm", "176", "--minutes", "0.2", str(out)])
    assert result.exit_code == 0, result.output
    with wave.open(str(out)) as w:
        assert w.getnchannels() == 1 and w.getframerate() == 22050
        assert w.getnframes() == int(22050 * 12)
    bad = CliRunner().invoke(app, ["metronome", "--spm", "20", str(tmp_path / "x.wav")])
    assert bad.exit_code == 1 and "outside" in bad.output


@pytest.mark.parametrize(("spm", "minutes"), [(172, 0.5), (180, 0.25), (165, 1.0)])
def test_metronome_wav_for_the_web(spm: int, minutes: float) -> None:
    import io

    from strideback.form.service import metronome_wav

    data = metronome_wav(spm, minutes)
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        rate = w.getframerate()
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    assert samples.size == round(minutes * 60 * rate)
    loud = np.abs(samples.astype(np.int32)) > 1000
    onsets = np.flatnonzero(loud[1:] & ~loud[:-1]) + 1
    clicks = onsets[np.r_[True, np.diff(onsets) > 0.1 * rate]]  # one onset per click
    assert len(clicks) == pytest.approx(spm * minutes, abs=1)
    assert np.median(np.diff(clicks)) / rate == pytest.approx(60 / spm, rel=0.01)


def test_metronome_wav_refuses_implausible_cadence() -> None:
    from strideback.form.service import FormError, metronome_wav

    with pytest.raises(FormError, match="outside 60-240"):
        metronome_wav(20, 1)
    with pytest.raises(FormError, match="outside 0-180"):
        metronome_wav(170, 0)
