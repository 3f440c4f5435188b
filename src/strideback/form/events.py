"""Gait events (foot contact, toe-off) from filtered landmark trajectories. Pure numpy.

Side view, two stages:
1. The coordinate-based method of Zeni JA, Richards JG, Higginson JS, "Two simple methods for
   determining gait events during treadmill and overground walking using kinematic data",
   Gait Posture 2008;27(4):710-714: heel furthest ahead of the pelvis / toe furthest behind
   it. It needs no floor line (treadmill and overground alike) and brackets each stance, but
   in running it fires early for contact (swing retraction) and late for toe-off.
2. Refinement inside that bracket: contact is where the lowest point of the foot comes
   within FLOOR_TOLERANCE leg lengths of the stance's floor level, toe-off where the toe
   rises above it (linear sub-frame interpolation of the crossings).
Front/back view: the foot's lowest image position (largest y) marks stance; contact and
toe-off are where the foot enters / leaves a band just above its per-step lowest point.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from strideback.form.geometry import lowpass, parabolic_peak, smooth_xy
from strideback.form.model import FloatArray, GaitEvents, Landmarks, Stance

FEET = ("left", "right")
MIN_STRIDE_S = 0.45  # one foot's contacts are at least this far apart (running)
FLOOR_TOLERANCE = 0.05  # of leg length: the foot counts as on the floor within this band


def facing_direction(lm: Landmarks) -> int:
    """+1 if the runner faces +x (image right), -1 if image left (side view)."""
    votes = []
    for foot in FEET:
        d = lm.xy(f"{foot}_foot_index")[:, 0] - lm.xy(f"{foot}_heel")[:, 0]
        votes.append(np.nanmedian(d))
    nose_vs_ears = lm.xy("nose")[:, 0] - (lm.xy("left_ear")[:, 0] + lm.xy("right_ear")[:, 0]) / 2
    votes.append(np.nanmedian(nose_vs_ears))
    total = float(np.nansum(np.sign(votes)))
    return 1 if total >= 0 else -1


def near_leg(lm: Landmarks) -> str:
    """The leg nearer the camera in a side view (MediaPipe depth, then visibility)."""
    dz = np.nanmedian([lm.z(f"left_{j}") - lm.z(f"right_{j}") for j in ("hip", "knee", "ankle")])
    if np.isfinite(dz) and abs(dz) > 1e-6:
        return "left" if dz < 0 else "right"
    vis_l = np.nanmean([lm.vis(f"left_{j}") for j in ("hip", "knee", "ankle")])
    vis_r = np.nanmean([lm.vis(f"right_{j}") for j in ("hip", "knee", "ankle")])
    return "left" if vis_l >= vis_r else "right"


def _extrema(signal: FloatArray, fps: float, min_period_s: float) -> list[float]:
    """Sub-frame positions of the maxima of `signal`, at least `min_period_s` apart."""
    finite = np.isfinite(signal)
    if finite.sum() < 5:
        return []
    sig = np.where(finite, signal, np.nanmin(signal))
    spread = np.nanpercentile(signal, 95) - np.nanpercentile(signal, 5)
    peaks, _ = find_peaks(sig, distance=max(1, int(min_period_s * fps)), prominence=0.25 * spread)
    return [parabolic_peak(sig, int(p)) for p in peaks if finite[p]]


def _time_at(t_s: FloatArray, pos: float) -> float:
    return float(np.interp(pos, np.arange(len(t_s)), t_s))


def _pair(foot: str, contacts: list[float], toe_offs: list[float], t_s: FloatArray) -> list[Stance]:
    stances = []
    toe = np.array(toe_offs)
    for k, c in enumerate(contacts):
        nxt = contacts[k + 1] if k + 1 < len(contacts) else np.inf
        after = toe[(toe > c) & (toe < nxt)]
        if after.size == 0:
            continue
        o = float(after[0])
        stances.append(
            Stance(foot, _time_at(t_s, c), _time_at(t_s, o), int(round(c)), int(round(o)))
        )
    return stances


def leg_length(lm: Landmarks, side: str) -> float:
    """Median thigh + shank length in pixels."""
    hip, knee, ankle = (lm.xy(f"{side}_{j}") for j in ("hip", "knee", "ankle"))
    thigh = np.linalg.norm(hip - knee, axis=1)
    shank = np.linalg.norm(knee - ankle, axis=1)
    return float(np.nanmedian(thigh + shank))


def _crossing(y: FloatArray, level: float, lo: int, hi: int, rising: bool) -> float | None:
    """First sub-frame position in [lo, hi] where y goes above `level` (or, when `rising` is
    False, the last position where it is still above, i.e. where it drops below)."""
    idx = range(lo, hi + 1) if rising else range(hi, lo - 1, -1)
    prev = None
    for i in idx:
        if not np.isfinite(y[i]):
            prev = None
            continue
        if y[i] >= level:
            if prev is None:
                return float(i)
            frac = (level - y[prev]) / (y[i] - y[prev]) if y[i] != y[prev] else 0.0
            return float(prev + (i - prev) * frac)
        prev = i
    return None


def _refine(
    foot_low: FloatArray, toe_y: FloatArray, c: float, o: float, tol_px: float
) -> tuple[float, float] | None:
    lo, hi = max(0, int(np.floor(c)) - 1), min(len(foot_low) - 1, int(np.ceil(o)) + 1)
    window = foot_low[lo : hi + 1]
    if hi - lo < 2 or not np.isfinite(window).any():
        return None
    level = float(np.nanmax(window)) - tol_px
    contact = _crossing(foot_low, level, lo, hi, rising=True)
    toe_off = _crossing(toe_y, level, lo, hi, rising=False)
    if contact is None or toe_off is None or toe_off <= contact:
        return None
    return contact, toe_off


def side_events(lm: Landmarks, fps: float) -> GaitEvents:
    """Contacts and toe-offs for both feet from a side view (see module doc)."""
    forward = facing_direction(lm)
    pelvis = smooth_xy((lm.xy("left_hip") + lm.xy("right_hip")) / 2, fps)
    stances: list[Stance] = []
    for foot in FEET:
        tol_px = FLOOR_TOLERANCE * leg_length(lm, foot)
        heel = smooth_xy(lm.xy(f"{foot}_heel"), fps)
        toe = smooth_xy(lm.xy(f"{foot}_foot_index"), fps)
        heel_ahead: FloatArray = float(forward) * (heel[:, 0] - pelvis[:, 0])
        toe_behind: FloatArray = -float(forward) * (toe[:, 0] - pelvis[:, 0])
        contacts = _extrema(heel_ahead, fps, MIN_STRIDE_S)
        toe_offs = _extrema(toe_behind, fps, MIN_STRIDE_S)
        vertical_cut = min(10.0, 0.4 * fps)
        heel_y = lowpass(lm.xy(f"{foot}_heel")[:, 1], fps, vertical_cut)
        toe_y = lowpass(lm.xy(f"{foot}_foot_index")[:, 1], fps, vertical_cut)
        foot_low = np.fmax(heel_y, toe_y)
        for s in _pair(foot, contacts, toe_offs, lm.t_s):
            refined = _refine(foot_low, toe_y, s.contact_i, s.toe_off_i, tol_px)
            if refined is None:
                continue
            c, o = refined
            stances.append(
                Stance(foot, _time_at(lm.t_s, c), _time_at(lm.t_s, o), int(round(c)),
                       int(round(o)))
            )  # fmt: skip
    stances.sort(key=lambda s: s.contact_t)
    return GaitEvents(stances=stances, forward=forward, near=near_leg(lm))


def far_contact_lags(events: GaitEvents) -> list[float]:
    """Lag (s) of each far-foot contact behind the midpoint of the near foot's contacts around
    it (side view; empty for a frontal view or too few steps).

    On a steady run the two steps of a stride take about the same time, so far-leg lags that
    are large or scattered compared with the frame interval are a detection problem (the far
    foot's landing is hidden behind the near leg or the treadmill console), which a side view
    cannot tell apart from a real left-right difference. Young et al. 2023 (Sensors 23:696,
    evidence.md §6d) saw the same: far-limb timing errors from occlusion.
    """
    if events.near is None:
        return []
    near = np.array([s.contact_t for s in events.for_foot(events.near)])
    far = [s.contact_t for s in events.stances if s.foot != events.near]
    if near.size < 2 or not far:
        return []
    gaps = np.diff(near)
    typical = float(np.median(gaps))
    lags = []
    for t in far:
        k = int(np.searchsorted(near, t))
        if 0 < k < near.size and abs(near[k] - near[k - 1] - typical) < 0.25 * typical:
            lags.append(float(t - (near[k] + near[k - 1]) / 2))
    return lags


MIN_STEP_S = 0.22  # consecutive steps (either foot) are at least this far apart


def _relative_ankle_height(
    lm: Landmarks, foot: str, fps: float, pelvis_y: FloatArray
) -> FloatArray:
    """Ankle below the pelvis, in leg lengths: free of the drift of a runner approaching or
    receding (the whole body moves up or down the image and grows or shrinks)."""
    scale = lowpass(
        np.linalg.norm(lm.xy(f"{foot}_hip") - lm.xy(f"{foot}_knee"), axis=1)
        + np.linalg.norm(lm.xy(f"{foot}_knee") - lm.xy(f"{foot}_ankle"), axis=1),
        fps, 0.5,
    )  # fmt: skip
    ankle_y = lowpass(lm.xy(f"{foot}_ankle")[:, 1], fps)
    with np.errstate(invalid="ignore", divide="ignore"):
        out: FloatArray = (ankle_y - pelvis_y) / scale
    return out


def frontal_events(lm: Landmarks, fps: float, band: float = 0.25) -> GaitEvents:
    """Stances in a front or rear view.

    Midstance is where the pelvis is lowest (the body's centre of mass is lowest at
    midstance in running); the foot in stance then is the one lower below the pelvis. Both
    are measured relative to the body (drift of an approaching or receding runner removed:
    the pelvis height is detrended, the ankle taken relative to the pelvis in leg lengths).
    Contact and toe-off are where that foot enters and leaves a band just above its lowest
    point, cut at the neighbouring midstances so a stance is always shorter than a step.
    Falls back to each foot's lowest points when the pelvis shows no clear bounce.
    """
    pelvis_y = lowpass((lm.xy("left_hip")[:, 1] + lm.xy("right_hip")[:, 1]) / 2, fps)
    trend = lowpass(pelvis_y, fps, 0.7)
    rel = {foot: _relative_ankle_height(lm, foot, fps, pelvis_y) for foot in FEET}
    mids = _extrema(pelvis_y - trend, fps, MIN_STEP_S)
    feet: list[tuple[float, str]] = []
    for pos in mids:
        i = int(round(pos))
        left, right = rel["left"][i], rel["right"][i]
        if np.isfinite(left) and np.isfinite(right) and abs(left - right) > 0.03:
            feet.append((pos, "left" if left > right else "right"))
    if len(feet) < 6:  # no clear pelvis bounce: each foot's lowest points instead
        feet = sorted(
            (pos, foot) for foot in FEET for pos in _extrema(rel[foot], fps, MIN_STRIDE_S)
        )
    stances: list[Stance] = []
    for k, (pos, foot) in enumerate(feet):
        y = rel[foot]
        i = int(round(pos))
        lo = int(np.ceil(feet[k - 1][0])) if k > 0 else 0
        hi = int(np.floor(feet[k + 1][0])) if k + 1 < len(feet) else len(y) - 1
        finite = y[lo : hi + 1][np.isfinite(y[lo : hi + 1])]
        if finite.size < 3 or not np.isfinite(y[i]):
            continue
        amplitude = float(np.nanpercentile(y, 95) - np.nanpercentile(y, 5))
        level = y[i] - band * amplitude
        a = i
        while a > lo and np.isfinite(y[a - 1]) and y[a - 1] >= level:
            a -= 1
        b = i
        while b < hi and np.isfinite(y[b + 1]) and y[b + 1] >= level:
            b += 1
        if b > a:
            stances.append(Stance(foot, float(lm.t_s[a]), float(lm.t_s[b]), a, b, mid=i))
    stances.sort(key=lambda s: s.contact_t)
    return GaitEvents(stances=_shorter_than_a_step(stances), forward=0, near=None)


def _shorter_than_a_step(stances: list[Stance]) -> list[Stance]:
    """Drop stances that last as long as a step or longer: running has a flight phase, so
    each contact ends before the other foot lands (a longer one is a detection error)."""
    contacts = np.array([s.contact_t for s in stances])
    if contacts.size < 3:
        return stances
    step = float(np.median(np.diff(contacts)))
    return [s for s in stances if s.duration < step]
