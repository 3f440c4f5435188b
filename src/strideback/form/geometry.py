"""Angles and signal clean-up on landmark arrays (pixel coordinates, y down). Pure numpy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.signal import butter, filtfilt

from strideback.form.model import FloatArray


def angle_between(u: FloatArray, v: FloatArray) -> FloatArray:
    """Unsigned angle in degrees between 2D vectors u and v, row-wise ((N, 2) arrays)."""
    dot = np.einsum("ij,ij->i", u, v)
    norm = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.clip(dot / norm, -1.0, 1.0)
    out: FloatArray = np.degrees(np.arccos(cos))
    return out


def flexion(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Joint flexion at b for segments a-b and b-c: 0 when straight (180 - interior angle)."""
    out: FloatArray = 180.0 - angle_between(a - b, c - b)
    return out


def inclination(top: FloatArray, bottom: FloatArray, forward: int) -> FloatArray:
    """Signed angle (deg) of segment bottom->top from vertical; + when `top` leans forward.

    `forward` is +1 when the runner faces +x in the image, -1 when facing -x.
    """
    d = top - bottom
    out: FloatArray = np.degrees(np.arctan2(forward * d[:, 0], -d[:, 1]))
    return out


def fill_gaps(x: FloatArray, max_gap: int = 5) -> FloatArray:
    """Linear interpolation over NaN runs up to `max_gap` samples (longer gaps stay NaN)."""
    x = np.asarray(x, dtype=float).copy()
    nan = np.isnan(x)
    if nan.all() or not nan.any():
        return x
    idx = np.arange(len(x))
    filled = np.interp(idx, idx[~nan], x[~nan])
    # Keep long gaps and the unbounded ends NaN.
    run_start = None
    for i in range(len(x) + 1):
        is_nan = i < len(x) and nan[i]
        if is_nan and run_start is None:
            run_start = i
        elif not is_nan and run_start is not None:
            bounded = run_start > 0 and i < len(x)
            if bounded and i - run_start <= max_gap:
                x[run_start:i] = filled[run_start:i]
            run_start = None
    return x


def lowpass(x: FloatArray, fps: float, cutoff_hz: float = 6.0) -> FloatArray:
    """Zero-lag 2nd-order Butterworth low-pass (gaps filled first; long gaps stay NaN)."""
    x = fill_gaps(x)
    out = np.full_like(x, np.nan)
    if fps <= 2 * cutoff_hz:
        return x
    b, a = butter(2, cutoff_hz / (fps / 2.0))
    good = ~np.isnan(x)
    # Filter each contiguous valid run separately.
    edges = np.flatnonzero(np.diff(np.r_[0, good.astype(int), 0]))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        if stop - start > 3 * max(len(a), len(b)):
            out[start:stop] = filtfilt(b, a, x[start:stop])
        else:
            out[start:stop] = x[start:stop]
    return out


def smooth_xy(xy: FloatArray, fps: float, cutoff_hz: float = 6.0) -> FloatArray:
    return np.stack([lowpass(xy[:, 0], fps, cutoff_hz), lowpass(xy[:, 1], fps, cutoff_hz)], 1)


def median_iqr(values: Sequence[float] | FloatArray) -> tuple[float | None, float | None, int]:
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        return None, None, 0
    q1, q3 = np.percentile(arr, [25, 75])
    return float(np.median(arr)), float(q3 - q1), int(arr.size)


def parabolic_peak(y: FloatArray, i: int) -> float:
    """Sub-sample position of the extremum at index i (parabola through i-1, i, i+1)."""
    if i <= 0 or i >= len(y) - 1:
        return float(i)
    a, b, c = y[i - 1], y[i], y[i + 1]
    denom = a - 2 * b + c
    if not np.isfinite(denom) or denom == 0:
        return float(i)
    return float(i + 0.5 * (a - c) / denom)
