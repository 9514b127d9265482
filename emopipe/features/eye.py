"""Eye-tracking features: gaze events (I-VT / I-DT) and SEED-style window statistics.

Conventions
-----------
Gaze is in degrees of visual angle with the screen centre at 0 (convert
screen pixels with :func:`pix_to_deg`), pupil diameter in metres, times in
seconds from the first sample. A sample is *missing* when a gaze coordinate
is NaN or the pupil diameter is NaN or ``<= 0`` (Tobii and EyeLink write 0 or
-1 during blinks and track loss).

Missing runs are classified by duration, following Tobii's I-VT filter and
the usual 75-500 ms blink window:

- shorter than ``max_gap`` (75 ms): tracking noise, linearly interpolated;
- from ``max_gap`` to ``max_blink`` (75-500 ms): a **blink**;
- longer than ``max_blink``, or touching the first/last sample (duration
  unknown): a **gap** (track loss), neither blink nor fixation.

A recording with at least ``1 - min_valid`` (90 %) missing samples raises
a ``ValueError`` by default (``on_missing="raise"``); ``on_missing="empty"``
logs a warning and returns empty event tables instead. The ``"eye"``
extractor uses ``"empty"`` per trial, so one lost trial does not stop a
subject; its windows then show ``valid_fraction`` near 0 in
``event_counts``.
"""

import logging

import numpy as np

from ..utils._checks import _check_option, _check_positive, _check_shape
from ..utils._errors import ConfigError, DataFileError
from ._base import MODALITY_EXTRACTORS, Feature
from ._entropy import gaussian_entropy

logger = logging.getLogger("emopipe.features.eye")

#: pupil-diameter bands of the SEED papers (Hz); the first is a low-pass
PUPIL_BANDS = {"0-0.2Hz": (0.0, 0.2), "0.2-0.4Hz": (0.2, 0.4),
               "0.4-0.6Hz": (0.4, 0.6), "0.6-1Hz": (0.6, 1.0)}

#: prefixes of pupil channel names: ``pupil_left`` (MNE, emopipe), ``ps_left`` (eyelinkio)
PUPIL_PREFIXES = ("pupil", "ps_")

#: variance floor (m**2 for pupil) below which DE / log power are clipped
_VAR_FLOOR = 1e-30

_EMPTY_KEYS = {
    "fixations": ("onset", "duration", "x", "y", "dispersion_x", "dispersion_y"),
    "saccades": ("onset", "duration", "amplitude", "peak_velocity"),
    "blinks": ("onset", "duration"),
}


def pix_to_deg(x_px, y_px, *, screen_size_px, screen_size_m, distance_m):
    """Screen pixels to degrees of visual angle, screen centre at 0.

    ``x_deg = degrees(arctan((x_px - W_px / 2) * W_m / W_px / distance_m))``,
    likewise for y (exact, no small-angle approximation; each axis
    separately, as eye trackers report horizontal and vertical angles).

    Parameters
    ----------
    x_px, y_px : ndarray, shape (n_times,)
        Gaze position in pixels from the top-left corner.
    screen_size_px : tuple of float
        Screen width and height in pixels.
    screen_size_m : tuple of float
        Screen width and height in metres.
    distance_m : float
        Eye-to-screen distance in metres.

    Returns
    -------
    x_deg, y_deg : ndarray, shape (n_times,)
        Horizontal and vertical angles in degrees (positive right / down).
    """
    w_px, h_px = (float(v) for v in screen_size_px)
    w_m, h_m = (float(v) for v in screen_size_m)
    for name, val in (("screen_size_px[0]", w_px), ("screen_size_px[1]", h_px),
                      ("screen_size_m[0]", w_m), ("screen_size_m[1]", h_m),
                      ("distance_m", distance_m)):
        _check_positive(name, val)
    x_m = (np.asarray(x_px, float) - w_px / 2.0) * (w_m / w_px)
    y_m = (np.asarray(y_px, float) - h_px / 2.0) * (h_m / h_px)
    return (np.degrees(np.arctan(x_m / distance_m)),
            np.degrees(np.arctan(y_m / distance_m)))


def _runs(mask):
    """Start (inclusive) and stop (exclusive) indices of True runs."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(np.int8))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def _empty_tables():
    return tuple({k: np.zeros(0) for k in _EMPTY_KEYS[name]}
                 for name in ("fixations", "saccades", "blinks"))


def _velocity(x, y, valid, sfreq, velocity_window):
    """Speed in deg/s by a centred difference over ``velocity_window`` s.

    The difference is taken inside each run of valid samples; at run edges
    the window is clipped (one-sided). NaN where invalid.
    """
    n = len(x)
    k = max(1, int(round(velocity_window * sfreq / 2.0)))
    v = np.full(n, np.nan)
    idx = np.arange(n)
    for a, b in zip(*_runs(valid)):
        if b - a < 2:
            v[a:b] = 0.0
            continue
        i = idx[a:b]
        hi = np.minimum(i + k, b - 1)
        lo = np.maximum(i - k, a)
        dt = (hi - lo) / sfreq
        v[a:b] = np.hypot(x[hi] - x[lo], y[hi] - y[lo]) / dt
    return v


def _idt_fixations(x, y, valid, n_min, threshold):
    """Salvucci & Goldberg (2000) dispersion-threshold fixations (index runs)."""
    out = []
    for a, b in zip(*_runs(valid)):
        i = a
        while i + n_min <= b:
            j = i + n_min
            xs, ys = x[i:j], y[i:j]
            xmin, xmax, ymin, ymax = xs.min(), xs.max(), ys.min(), ys.max()
            if (xmax - xmin) + (ymax - ymin) > threshold:
                i += 1
                continue
            while j < b:
                nxmin, nxmax = min(xmin, x[j]), max(xmax, x[j])
                nymin, nymax = min(ymin, y[j]), max(ymax, y[j])
                if (nxmax - nxmin) + (nymax - nymin) > threshold:
                    break
                xmin, xmax, ymin, ymax = nxmin, nxmax, nymin, nymax
                j += 1
            out.append((i, j))
            i = j
    return out


def detect_eye_events(gaze_x, gaze_y, pupil, sfreq, *, method="ivt", velocity_threshold=30.0,
                      min_fixation=0.1, dispersion_threshold=1.0, max_gap=0.075,
                      max_blink=0.5, merge_angle=0.5, velocity_window=0.02, min_valid=0.1,
                      on_missing="raise"):
    """Fixations, saccades and blinks of one gaze recording.

    Fixations come from velocity (``method="ivt"``: speed below
    ``velocity_threshold``, Tobii I-VT) or dispersion (``method="idt"``:
    ``(max x - min x) + (max y - min y) <= dispersion_threshold`` over at
    least ``min_fixation`` s, Salvucci & Goldberg 2000). Adjacent fixations
    less than ``max_gap`` s apart whose mean positions differ by less than
    ``merge_angle`` degrees are merged (noise spikes), then fixations
    shorter than ``min_fixation`` are dropped. A **saccade** is the movement
    between two consecutive fixations with no missing sample between them:
    for I-VT it spans the supra-threshold samples of that interval, for
    I-DT the whole interval; its amplitude is the distance from the last
    sample of the first fixation to the first sample of the next. Blinks
    are missing runs of ``max_gap`` to ``max_blink`` s (see the module
    docstring for the missing-data rules).

    Parameters
    ----------
    gaze_x, gaze_y : ndarray, shape (n_times,)
        Gaze in degrees of visual angle (NaN when missing).
    pupil : ndarray, shape (n_times,) | None
        Pupil diameter (any unit; ``<= 0`` or NaN marks missing). ``None``
        uses the gaze alone.
    sfreq : float
        Sampling frequency in Hz.
    method : "ivt" | "idt"
        Velocity- or dispersion-threshold identification.
    velocity_threshold : float
        I-VT speed threshold in deg/s.
    min_fixation : float
        Shortest fixation in s (also the I-DT window).
    dispersion_threshold : float
        I-DT dispersion threshold in degrees.
    max_gap : float
        Missing runs shorter than this (s) are interpolated; it is also the
        shortest blink and the longest gap bridged when merging fixations.
    max_blink : float
        Longest blink in s; longer missing runs are track loss.
    merge_angle : float
        Largest distance (deg) between merged fixations.
    velocity_window : float
        Span (s) of the centred difference used for the speed (Tobii's
        20-ms velocity calculator window); at least one sample each side.
    min_valid : float
        Smallest fraction of valid samples accepted (default 0.1, i.e. a
        recording with >= 90 % missing samples is rejected).
    on_missing : "raise" | "empty"
        What to do when fewer than ``min_valid`` samples are valid: raise a
        ``ValueError``, or log a warning and return empty tables.

    Returns
    -------
    fixations : dict of str -> ndarray, shape (n_fixations,)
        ``onset`` and ``duration`` (s), mean position ``x`` and ``y`` (deg),
        ``dispersion_x`` and ``dispersion_y`` (max - min, deg).
    saccades : dict of str -> ndarray, shape (n_saccades,)
        ``onset``, ``duration`` (s), ``amplitude`` (deg),
        ``peak_velocity`` (deg/s).
    blinks : dict of str -> ndarray, shape (n_blinks,)
        ``onset``, ``duration`` (s).
    """
    _check_option("method", method, ("ivt", "idt"))
    _check_option("on_missing", on_missing, ("raise", "empty"))
    _check_positive("sfreq", sfreq)
    x = np.array(gaze_x, dtype=float)
    y = np.array(gaze_y, dtype=float)
    _check_shape("gaze_x", x, ("n_times",))
    _check_shape("gaze_y", y, (len(x),), hint="gaze_x and gaze_y must have the same length.")
    valid = np.isfinite(x) & np.isfinite(y)
    if pupil is not None:
        p = np.asarray(pupil, dtype=float)
        _check_shape("pupil", p, (len(x),), hint="pupil must have the length of gaze_x.")
        valid &= np.isfinite(p) & (np.nan_to_num(p, nan=0.0) > 0)
    n = len(x)
    frac = valid.mean() if n else 0.0
    if valid.sum() <= min_valid * n:
        msg = (f"gaze has {100 * (1 - frac):.1f} % missing samples ({n - valid.sum()} of {n}), "
               f"more than the {100 * (1 - min_valid):.0f} % allowed by min_valid = {min_valid}. "
               f"Check the validity codes and the stimulus bounds, or pass "
               f"on_missing='empty' to get empty event tables.")
        if on_missing == "raise":
            raise ConfigError(msg)
        logger.warning(msg)
        return _empty_tables()

    # missing runs: fill short ones, classify the rest
    blink_on, blink_dur = [], []
    filled = valid.copy()
    good = np.flatnonzero(valid)
    for a, b in zip(*_runs(~valid)):
        dur = (b - a) / sfreq
        edge = a == 0 or b == n
        if dur < max_gap and not edge:
            filled[a:b] = True
        elif not edge and dur <= max_blink:
            blink_on.append(a / sfreq)
            blink_dur.append(dur)
    if (filled & ~valid).any():
        miss = filled & ~valid
        x[miss] = np.interp(np.flatnonzero(miss), good, x[good])
        y[miss] = np.interp(np.flatnonzero(miss), good, y[good])
    valid = filled

    vel = _velocity(x, y, valid, sfreq, velocity_window)
    n_min = max(2, int(round(min_fixation * sfreq)))
    if method == "ivt":
        slow = valid & (vel < velocity_threshold)
        cand = list(zip(*_runs(slow)))
    else:
        cand = _idt_fixations(x, y, valid, n_min, dispersion_threshold)

    # merge fixations split by noise, then drop short ones
    n_gap = int(round(max_gap * sfreq))
    merged = []
    for a, b in cand:
        # look back over fragments shorter than min_fixation lying within max_gap
        target = None
        k = len(merged) - 1
        while k >= 0 and a - merged[k][1] < n_gap and valid[merged[k][1]:a].all():
            pa, pb = merged[k]
            if np.hypot(x[pa:pb].mean() - x[a:b].mean(),
                        y[pa:pb].mean() - y[a:b].mean()) < merge_angle:
                target = k
                break
            if pb - pa >= n_min:
                break
            k -= 1
        if target is None:
            merged.append((a, b))
        else:
            merged[target:] = [(merged[target][0], b)]
    fix = [(a, b) for a, b in merged if (b - a) / sfreq >= min_fixation]

    fixations = {k: [] for k in _EMPTY_KEYS["fixations"]}
    for a, b in fix:
        fixations["onset"].append(a / sfreq)
        fixations["duration"].append((b - a) / sfreq)
        fixations["x"].append(x[a:b].mean())
        fixations["y"].append(y[a:b].mean())
        fixations["dispersion_x"].append(np.ptp(x[a:b]))
        fixations["dispersion_y"].append(np.ptp(y[a:b]))

    saccades = {k: [] for k in _EMPTY_KEYS["saccades"]}
    for (a0, b0), (a1, b1) in zip(fix[:-1], fix[1:]):
        if b0 >= a1 or not valid[b0:a1].all():
            continue
        lo, hi = b0, a1
        if method == "ivt":
            fast = np.flatnonzero(vel[b0:a1] >= velocity_threshold)
            if len(fast):
                lo, hi = b0 + fast[0], b0 + fast[-1] + 1
        saccades["onset"].append(lo / sfreq)
        saccades["duration"].append((hi - lo) / sfreq)
        saccades["amplitude"].append(np.hypot(x[a1] - x[b0 - 1], y[a1] - y[b0 - 1]))
        saccades["peak_velocity"].append(np.nanmax(vel[lo:hi]))

    blinks = {"onset": blink_on, "duration": blink_dur}
    out = tuple({k: np.asarray(v, dtype=float) for k, v in t.items()}
                for t in (fixations, saccades, blinks))
    logger.debug("eye events (%s): %d fixations, %d saccades, %d blinks in %.1f s",
                 method, len(fix), len(out[1]["onset"]), len(blink_on), n / sfreq)
    return out


# --------------------------------------------------------------------------
# window features

def _pupil_names(slot):
    return ([f"{slot}_mean", f"{slot}_std"]
            + [f"{slot}_de_{b}" for b in PUPIL_BANDS])


#: descriptive names of every window feature, in the "named" layout order;
#: the SEED-V layout is the first 33, the SEED-IV layout the first 31.
EYE_FEATURE_NAMES = (
    _pupil_names("pupil_a") + _pupil_names("pupil_b")
    + ["fix_disp_x_mean", "fix_disp_x_std", "fix_disp_y_mean", "fix_disp_y_std",
       "fix_dur_mean", "fix_dur_std", "blink_dur_mean", "blink_dur_std",
       "sacc_dur_mean", "sacc_dur_std", "sacc_amp_mean", "sacc_amp_std",
       "blink_rate", "fix_rate", "fix_dur_max", "fix_disp_total", "fix_disp_max",
       "sacc_rate", "sacc_latency",
       "pupil_a_logpow_0-1Hz", "pupil_b_logpow_0-1Hz",
       "gaze_x_std", "gaze_y_std"]
)
EYE_LAYOUTS = {"named": len(EYE_FEATURE_NAMES), "seed_iv": 31, "seed_v": 33}
#: columns of ``event_counts``: events with onset in the window, and the
#: fraction of window samples with finite gaze and at least one valid pupil
EVENT_COUNT_NAMES = ["n_fixations", "n_saccades", "n_blinks", "valid_fraction"]


def _band_signal(p, sfreq, l_freq, h_freq):
    """Zero-phase 4th-order Butterworth band-pass (low-pass when l_freq == 0)."""
    from scipy.signal import butter, sosfiltfilt

    nyq = sfreq / 2.0
    if h_freq >= nyq:
        raise ConfigError(
            f"pupil band ({l_freq:g}, {h_freq:g}) Hz must lie below sfreq / 2 = {nyq:g} Hz. "
            f"Use gaze sampled above {2 * h_freq:g} Hz."
        )
    if l_freq <= 0:
        sos = butter(4, h_freq, btype="lowpass", fs=sfreq, output="sos")
    else:
        sos = butter(4, [l_freq, h_freq], btype="bandpass", fs=sfreq, output="sos")
    # odd extension over up to 20 s: the 0.2-Hz-wide bands ring for ~10 s
    return sosfiltfilt(sos, p, padlen=min(len(p) - 1, int(round(20.0 * sfreq))))


def _mean_std(v):
    v = np.asarray(v, float)
    return (float(v.mean()), float(v.std())) if len(v) else (0.0, 0.0)


def eye_window_features(gaze_x, gaze_y, pupils, sfreq, starts, n_win, *, events=None,
                        **event_kw):
    """SEED-style eye features of the windows of one trial.

    Pupil features are computed on the pupil interpolated over missing
    samples (constant beyond the ends): mean and std over the valid samples
    of the window, differential entropy ``0.5 * log(2 * pi * e * var)`` (nats)
    of the window after zero-phase 4th-order Butterworth filtering of the
    whole trial into each of :data:`PUPIL_BANDS` (0-0.2 Hz is a low-pass;
    odd extension over 20 s at the trial ends limits edge transients),
    and ``log(var)`` of the 0-1 Hz low-passed pupil (the two "PSD" rows of
    the SEED-V layout); variances are floored at 1e-30. Events belong to the
    window holding their onset. Rates are counts per second of window,
    durations in s, amplitudes and dispersions in degrees, ``sacc_latency``
    the time from window start to its first saccade. Statistics of an empty
    set are 0 (never NaN); ``event_counts`` tells them apart.

    Parameters
    ----------
    gaze_x, gaze_y : ndarray, shape (n_times,)
        Gaze in degrees for the whole trial.
    pupils : list of ndarray, shape (n_times,)
        One or two pupil-diameter signals (m); one is used for both the
        ``pupil_a`` and ``pupil_b`` slots.
    sfreq : float
        Sampling frequency in Hz.
    starts : ndarray of int, shape (n_windows,)
        Window start samples.
    n_win : int
        Samples per window.
    events : tuple of dict | None
        Output of :func:`detect_eye_events`; computed when ``None``.
    **event_kw
        Passed to :func:`detect_eye_events`.

    Returns
    -------
    features : ndarray, shape (n_windows, n_features)
        Columns as :data:`EYE_FEATURE_NAMES`.
    counts : ndarray, shape (n_windows, 4)
        Columns as :data:`EVENT_COUNT_NAMES`.
    """
    x = np.asarray(gaze_x, float)
    y = np.asarray(gaze_y, float)
    if len(pupils) not in (1, 2):
        raise ConfigError(f"pupils must hold 1 or 2 pupil signals, got {len(pupils)}.")
    if len(pupils) == 1:
        pupils = [pupils[0], pupils[0]]
    pupils = [np.asarray(p, float) for p in pupils]
    if events is None:
        ok0 = np.isfinite(pupils[0]) & (np.nan_to_num(pupils[0], nan=0.0) > 0)
        either = np.where(ok0, pupils[0], pupils[1])  # a sample is valid if one eye is
        events = detect_eye_events(x, y, either, sfreq, **event_kw)
    fixations, saccades, blinks = events
    valid = np.isfinite(x) & np.isfinite(y)
    valid &= np.any([np.isfinite(p) & (np.nan_to_num(p, nan=0.0) > 0) for p in pupils], axis=0)

    # pupil band signals over the whole trial (interpolated over missing samples)
    pupil_rows = []
    for p in pupils:
        ok = np.isfinite(p) & (np.nan_to_num(p, nan=0.0) > 0)
        if ok.sum() < 2:
            pupil_rows.append(None)
            continue
        pf = np.interp(np.arange(len(p)), np.flatnonzero(ok), p[ok])
        bands = [_band_signal(pf, sfreq, lo, hi) for lo, hi in PUPIL_BANDS.values()]
        bands.append(_band_signal(pf, sfreq, 0.0, 1.0))
        pupil_rows.append((p, ok, bands))

    win_s = n_win / sfreq
    feats = np.zeros((len(starts), len(EYE_FEATURE_NAMES)))
    counts = np.zeros((len(starts), len(EVENT_COUNT_NAMES)))
    for w, s0 in enumerate(starts):
        sl = slice(s0, s0 + n_win)
        row = []
        for rows in pupil_rows:
            if rows is None or not rows[1][sl].any():
                row += [0.0] * 6
                continue
            p, ok, bands = rows
            row += list(_mean_std(p[sl][ok[sl]]))
            row += [float(gaussian_entropy(np.var(b[sl]), floor=_VAR_FLOOR)) for b in bands[:4]]
        t0, t1 = s0 / sfreq, (s0 + n_win) / sfreq

        def pick(table, t0=t0, t1=t1):
            m = (table["onset"] >= t0) & (table["onset"] < t1)
            return {k: v[m] for k, v in table.items()}

        fx, sc, bl = pick(fixations), pick(saccades), pick(blinks)
        row += [*_mean_std(fx["dispersion_x"]), *_mean_std(fx["dispersion_y"]),
                *_mean_std(fx["duration"]), *_mean_std(bl["duration"]),
                *_mean_std(sc["duration"]), *_mean_std(sc["amplitude"])]
        fdisp = fx["dispersion_x"] + fx["dispersion_y"]
        row += [len(bl["onset"]) / win_s, len(fx["onset"]) / win_s,
                float(fx["duration"].max()) if len(fx["onset"]) else 0.0,
                float(fdisp.sum()), float(fdisp.max()) if len(fdisp) else 0.0,
                len(sc["onset"]) / win_s,
                float(sc["onset"].min() - t0) if len(sc["onset"]) else 0.0]
        for rows in pupil_rows:
            row.append(0.0 if rows is None or not rows[1][sl].any()
                       else float(np.log(max(np.var(rows[2][4][sl]), _VAR_FLOOR))))
        vw = valid[sl]
        row += [float(x[sl][vw].std()) if vw.any() else 0.0,
                float(y[sl][vw].std()) if vw.any() else 0.0]
        feats[w] = row
        counts[w] = [len(fx["onset"]), len(sc["onset"]), len(bl["onset"]), vw.mean()]
    return feats, counts


@MODALITY_EXTRACTORS.register("eye")
def extract_eye(modality, grid, params):
    """Registered ``"eye"`` extractor: window features of raw gaze.

    The modality holds channels ``gaze_x``, ``gaze_y`` and one or two
    pupil channels (names starting with ``pupil`` or ``ps_``, see
    :data:`PUPIL_PREFIXES`; diameter in m), with
    ``unit="deg"`` (gaze already in degrees) or ``unit="px"`` (then
    ``params`` must give ``screen_size_px``, ``screen_size_m`` and
    ``distance_m`` for :func:`pix_to_deg`).

    ``params["layout"]`` picks the rows of ``eye_features``:

    - ``"named"`` (default): all of :data:`EYE_FEATURE_NAMES`, named.
    - ``"seed_iv"``: 31 rows ``eye_00 ... eye_30``; ``"seed_v"``: 33 rows
      ``eye_00 ... eye_32``. The official SEED-IV/SEED-V row order is not
      recoverable from public sources; these layouts follow the feature
      table of the SEED-IV paper (pupil X/Y -> the two pupil channels: mean,
      std, DE in four bands; fixation dispersion X/Y; fixation, blink and
      saccade statistics; event statistics without the saccade duration
      and amplitude averages, which repeat rows 20 and 22) and, for SEED-V,
      the two pupil log-powers. The attribute ``feature_labels`` gives
      the meaning of each row. Do not mix these rows with the official
      SEED feature files.

    Other ``params`` keys are passed to :func:`detect_eye_events`
    (``on_missing`` defaults to ``"empty"`` here).

    Parameters
    ----------
    modality : Modality
        Eye modality, trials ``(n_channels, n_times)``.
    grid : WindowGrid
        The subject's window grid.
    params : dict
        ``layout``, the screen geometry when in px, and
        :func:`detect_eye_events` options, e.g. ``{"layout": "seed_iv",
        "method": "idt"}``.

    Returns
    -------
    features : dict of str -> Feature
        ``eye_features`` (window, feature) and ``event_counts``
        (window, feature) = :data:`EVENT_COUNT_NAMES`.
    """
    import inspect

    params = dict(params or {})
    known = (["layout", "screen_size_px", "screen_size_m", "distance_m"]
             + list(inspect.signature(detect_eye_events).parameters)[4:])
    for key in params:
        _check_option("eye params key", key, known)
    layout = _check_option("layout", params.pop("layout", "named"), tuple(EYE_LAYOUTS))
    geometry = {k: params.pop(k) for k in ("screen_size_px", "screen_size_m", "distance_m")
                if k in params}
    params.setdefault("on_missing", "empty")
    ch = list(modality.ch_names)
    for need in ("gaze_x", "gaze_y"):
        if need not in ch:
            raise ConfigError(f"eye modality has channels {ch!r}; channel {need!r} is required.")
    pupil_idx = [i for i, c in enumerate(ch) if c.lower().startswith(PUPIL_PREFIXES)]
    if not 1 <= len(pupil_idx) <= 2:
        raise DataFileError(
            f"eye modality needs 1 or 2 pupil channels (names starting with 'pupil', as MNE "
            f"and emopipe's readers name them, or 'ps_', as eyelinkio names them), got "
            f"{[ch[i] for i in pupil_idx]!r} among {ch!r}. Read EyeLink files with "
            f"emopipe.io.read_eyelink_asc / read_eyelink_edf."
        )
    _check_option("modality.unit", modality.unit, ("deg", "px"))
    if modality.unit == "px" and len(geometry) < 3:
        raise ConfigError(
            "eye modality is in px: params must give screen_size_px, screen_size_m and "
            f"distance_m to convert to degrees, got {sorted(geometry)!r}."
        )
    ix, iy = ch.index("gaze_x"), ch.index("gaze_y")
    sfreq = float(modality.sfreq)
    n_win = grid.n_samples(sfreq)
    all_f, all_c = [], []
    for t in range(grid.n_trials):
        data = modality.trial(t)
        starts = grid.sample_starts(sfreq, t)
        if len(starts) and starts[-1] + n_win > data.shape[-1]:
            raise ConfigError(
                f"eye trial {t}: the window grid needs {starts[-1] + n_win} samples at "
                f"{sfreq} Hz but the trial has {data.shape[-1]}."
            )
        gx, gy = data[ix], data[iy]
        if modality.unit == "px":
            gx, gy = pix_to_deg(gx, gy, **geometry)
        f, c = eye_window_features(gx, gy, [data[i] for i in pupil_idx], sfreq, starts, n_win,
                                   **params)
        all_f.append(f)
        all_c.append(c)
    feats = np.concatenate(all_f) if all_f else np.zeros((0, len(EYE_FEATURE_NAMES)))
    counts = np.concatenate(all_c) if all_c else np.zeros((0, len(EVENT_COUNT_NAMES)))
    n_rows = EYE_LAYOUTS[layout]
    labels = list(EYE_FEATURE_NAMES[:n_rows])
    names = labels if layout == "named" else [f"eye_{i:02d}" for i in range(n_rows)]
    return {
        "eye_features": Feature(feats[:, :n_rows], ("window", "feature"),
                                {"unit": "mixed", "feature_names": names,
                                 "feature_labels": labels, "layout": layout,
                                 "pupil_channels": [ch[i] for i in pupil_idx]}),
        "event_counts": Feature(counts, ("window", "feature"),
                                {"unit": "count", "feature_names": list(EVENT_COUNT_NAMES)}),
    }
