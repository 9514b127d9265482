"""Galvanic skin response (GSR / EDA) features: conductance, tonic/phasic, SCRs, raw windows.

All signals are skin conductance in siemens (S) after :func:`to_conductance`
(DEAP stores a resistance in ohm; conductance = 1 / R). The tonic part (skin
conductance level, SCL) and the phasic part are split as
:func:`neurokit2.eda_phasic` splits them (its ``"highpass"`` and
``"smoothmedian"`` methods, re-implemented here on whole arrays with the same
SciPy calls, so the values are identical and neurokit2 is never imported);
skin-conductance responses (SCRs) are found on the slope of the smoothed
conductance (:func:`detect_scrs`).

SCR onsets are slow (rise times of 1-3 s), so their timing is judged to
within 0.5 s, not the 20 ms used for eye events.
"""

import logging
from fractions import Fraction
from functools import lru_cache

import numpy as np

from ..utils._checks import _check_option, _check_positive, _check_type
from ..utils._errors import ConfigError, DataFileError
from ._base import MODALITY_EXTRACTORS, Feature, _check_grid, _check_params, _trials
from ._entropy import POWER_FLOOR, gaussian_entropy
from ._events import EventTable, _event_table, _runs, _window_event_stats
from ._signal import (
    _as_signal,
    _robust_sd,
    _running_median,
    _signal_quality,
    _smooth_and_slope,
)

logger = logging.getLogger("emopipe.features.gsr")

#: declared unit -> factor to siemens (conductance units) or to ohm (resistance units)
_CONDUCTANCE_UNITS = {"S": 1.0, "mS": 1e-3, "uS": 1e-6, "nS": 1e-9}
_RESISTANCE_UNITS = {"ohm": 1.0, "kohm": 1e3, "Mohm": 1e6}
_UNIT_ALIASES = {
    "siemens": "S", "µS": "uS", "μS": "uS", "microsiemens": "uS", "Ohm": "ohm", "ohms": "ohm",
    "Ohms": "ohm", "Ω": "ohm", "kOhm": "kohm", "kΩ": "kohm", "MOhm": "Mohm", "MΩ": "Mohm",
}
#: plausible skin conductance, S: 0.001 uS .. 1 mS (typical 0.05 .. 60 uS)
PLAUSIBLE_CONDUCTANCE = (1e-9, 1e-3)
_TYPICAL_CONDUCTANCE = 5e-6


def _canonical_unit(unit):
    if unit in _CONDUCTANCE_UNITS or unit in _RESISTANCE_UNITS:
        return unit
    if isinstance(unit, str) and unit.strip() in _UNIT_ALIASES:
        return _UNIT_ALIASES[unit.strip()]
    _check_option("unit", unit, list(_CONDUCTANCE_UNITS) + list(_RESISTANCE_UNITS))


def _convert(x, unit):
    if unit in _CONDUCTANCE_UNITS:
        return x * _CONDUCTANCE_UNITS[unit]
    with np.errstate(divide="ignore"):
        return 1.0 / (x * _RESISTANCE_UNITS[unit])


def _check_modality_unit(modality):
    """Refuse a GSR modality whose unit is no conductance or resistance, naming its origin."""
    try:
        _canonical_unit(modality.unit)
    except ConfigError:
        allowed = ", ".join(repr(u) for u in list(_CONDUCTANCE_UNITS) + list(_RESISTANCE_UNITS))
        origin = modality.source_unit or "the reader"
        raise DataFileError(
            f"GSR channels {list(modality.ch_names)!r} have unit {modality.unit!r} ({origin}), "
            f"not a conductance or resistance unit ({allowed}), so they cannot be converted "
            f"to siemens. State the unit the device recorded in: the gsr extractor option "
            f"'unit' (extract config: modality_params: {{gsr: {{unit: uS}}}}; in Python "
            f"gsr_window_features(..., unit='uS'))."
        ) from None


def to_conductance(x, unit):
    """Skin conductance in siemens from a GSR signal in ``unit``.

    Resistances (``"ohm"``, ``"kohm"``, ``"Mohm"``) are inverted
    (``G = 1 / R``); conductances (``"S"``, ``"mS"``, ``"uS"``, ``"nS"``)
    are scaled. The median of the converted signal must lie in
    :data:`PLAUSIBLE_CONDUCTANCE` (0.001 uS to 1 mS); otherwise the error
    names the unit that would make it typical (about 5 uS).

    Parameters
    ----------
    x : ndarray, shape (..., n_times)
        GSR signal.
    unit : str
        Unit of ``x``.

    Returns
    -------
    conductance : ndarray, shape (..., n_times)
        Skin conductance in S.
    """
    unit = _canonical_unit(unit)
    x = np.asarray(x, dtype=float)
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        raise DataFileError(f"GSR signal of shape {x.shape} has no finite value to convert.")
    med = float(np.median(finite))
    if unit in _RESISTANCE_UNITS and np.any(finite <= 0):
        raise DataFileError(
            f"A resistance in {unit!r} must be > 0, got {np.count_nonzero(finite <= 0)} values "
            f"<= 0 (min {finite.min():.3g}). Is the signal a conductance? Pass its unit instead "
            f"(e.g. 'uS')."
        )
    g = _convert(med, unit) if med != 0 else 0.0
    lo, hi = PLAUSIBLE_CONDUCTANCE
    if not lo <= g <= hi:
        best, best_dist = None, np.inf
        for cand in list(_CONDUCTANCE_UNITS) + list(_RESISTANCE_UNITS):
            if med <= 0 and cand in _RESISTANCE_UNITS:
                continue
            gc = _convert(med, cand) if med != 0 else 0.0
            if lo <= gc <= hi:
                dist = abs(np.log10(gc / _TYPICAL_CONDUCTANCE))
                if dist < best_dist:
                    best, best_dist = cand, dist
        hint = f" Did you mean unit={best!r}?" if best else " Check the recording's calibration."
        raise DataFileError(
            f"GSR values with median {med:.3g} declared in {unit!r} give a skin conductance of "
            f"{g:.3g} S, outside the plausible {lo:g}-{hi:g} S (0.001 uS-1 mS).{hint}"
        )
    return _convert(x, unit)


#: neurokit2's ``eda_phasic`` defaults: Butterworth order 2 split at 0.05 Hz; 4-s median
_HIGHPASS_ORDER, _HIGHPASS_CUTOFF, _MEDIAN_SECONDS = 2, 0.05, 4


@lru_cache(maxsize=16)
def _split_sos(sfreq):
    """Low- and high-pass SOS of the ``"highpass"`` split (designed once per rate)."""
    from scipy.signal import butter

    low = butter(_HIGHPASS_ORDER, _HIGHPASS_CUTOFF, btype="lowpass", fs=sfreq, output="sos")
    high = butter(_HIGHPASS_ORDER, _HIGHPASS_CUTOFF, btype="highpass", fs=sfreq, output="sos")
    return low, high


def _split_tonic_phasic(x, sfreq, method):
    """Tonic and phasic parts (uS in, uS out) of every row of ``x`` (..., n_times).

    The computation of :func:`neurokit2.eda_phasic` (neurokit2 0.2.10-0.3):
    ``"highpass"`` is ``sosfiltfilt`` of an order-2 Butterworth low-pass
    (tonic) and high-pass (phasic) at 0.05 Hz, ``"smoothmedian"`` a
    :func:`scipy.signal.medfilt` of ``int(4 * sfreq)`` samples (made odd)
    as tonic and the rest as phasic. ``sosfiltfilt`` along the last axis and
    ``medfilt`` with a kernel of 1 on the other axes treat each row exactly as
    a 1-D call does, so the values are bitwise those of one neurokit2 call
    per row (``tests/features/test_gsr.py`` checks it).
    """
    if method == "highpass":
        from scipy.signal import sosfiltfilt

        low, high = (sos.copy() for sos in _split_sos(float(sfreq)))  # SciPy needs writeable
        return sosfiltfilt(low, x, axis=-1), sosfiltfilt(high, x, axis=-1)
    from scipy.signal import medfilt

    size = int(_MEDIAN_SECONDS * sfreq)
    size += 1 - size % 2
    if size > x.shape[-1]:
        raise ConfigError(
            f"method='smoothmedian' needs at least {_MEDIAN_SECONDS} s of conductance "
            f"({size} samples at sfreq = {sfreq:g} Hz), got {x.shape[-1]} samples. Use "
            f"method='highpass' or longer signals."
        )
    tonic = medfilt(x, [1] * (x.ndim - 1) + [size])
    return tonic, x - tonic


def decompose_eda(conductance, sfreq, *, method="highpass"):
    """Tonic (skin conductance level) and phasic parts of skin conductance.

    Splits as :func:`neurokit2.eda_phasic` does (``"highpass"``: Butterworth
    split at 0.05 Hz as in Biopac AcqKnowledge; ``"smoothmedian"``: 4-s
    running median as tonic), with the same SciPy calls on the signal in uS,
    converted back; the values are those of neurokit2 (tested bitwise), but
    neurokit2 (and the matplotlib and pandas it imports) is not loaded.

    Parameters
    ----------
    conductance : ndarray, shape (n_times,)
        Skin conductance in S.
    sfreq : float
        Sampling frequency in Hz.
    method : str
        ``"highpass"`` or ``"smoothmedian"``.

    Returns
    -------
    tonic : ndarray, shape (n_times,)
        Tonic part in S.
    phasic : ndarray, shape (n_times,)
        Phasic part in S (``conductance - tonic`` up to filtering).
    """
    x = _as_signal(conductance, "conductance")
    return _decompose(x, sfreq, method)


def _decompose(x, sfreq, method):
    """:func:`decompose_eda` of every row of a finite ``x`` (..., n_times) in S."""
    _check_positive("sfreq", sfreq)
    _check_option("method", method, ("highpass", "smoothmedian"))
    if x.shape[-1] < 64:
        raise ConfigError(
            f"conductance must have at least 64 samples for the tonic/phasic split, "
            f"got {x.shape[-1]}."
        )
    tonic, phasic = _split_tonic_phasic(x * 1e6, sfreq, method)
    return tonic * 1e-6, phasic * 1e-6


def detect_scrs(
    conductance,
    sfreq,
    *,
    amplitude_min=0.01e-6,
    k=3.0,
    smooth=0.2,
    slope_window=20.0,
    onset_fraction=0.5,
    max_rise=5.0,
):
    """Detect skin-conductance responses (SCRs) from the conductance slope.

    **Definition** (docs/methods.md section 1.6). An SCR is a rise of the
    smoothed skin conductance whose slope, after the slow tonic slope is
    removed, exceeds a noise-scaled threshold, and that climbs by at least
    ``amplitude_min`` to its peak:

    - *smoothing*: a Gaussian of SD ``smooth`` s, then the slope (S/s); the
      tonic slope (running median of the slope over ``slope_window`` s) is
      subtracted;
    - *detection*: runs where this slope exceeds ``max(k * robust SD,
      amplitude_min / max_rise)`` (robust SD = 1.4826 * MAD; the floor means
      noiseless ramps give no SCRs);
    - *onset*: **where the rise starts**: walking back from the run's
      steepest sample until the slope falls below ``onset_fraction`` of that
      peak slope, and never before the previous SCR's peak (a response
      rising on the tail of the previous one is counted once its own rise
      starts). neurokit2's ``eda_peaks`` instead takes the trough of its
      phasic signal before each peak (on real recordings seen mid-rise); the
      two onset definitions differ by a fraction of the rise time;
    - *peak*: the next local maximum of the smoothed conductance, at most
      ``max_rise`` s after the onset; *amplitude* = peak minus onset value
      (>= ``amplitude_min``, 0.01 uS by default); *duration* = rise time;
    - SCRs cut by the start or the end of the signal are dropped.

    Scored against SCRs planted by ``neurokit2.eda_simulate`` (not written
    by emopipe; ``benchmarks/bench_scr.py``, 120-s traces, 10 seeds, 128
    and 1000 Hz, noise 0.01-0.1, SCRs every 4 or 10 s): recall >= 0.993,
    precision >= 0.938, onsets a median 0.114-0.125 s before the planted
    onset (the response reaching 1 % of its amplitude; the 0.2-s smoothing
    starts the slope early), MAD <= 0.023 s. neurokit2's own pipeline on the
    same traces: recall >= 0.99 but precision 0.15-0.86 once noise is 0.05 or
    more (it counts noise peaks); >= 98 % of emopipe's SCRs have a
    neurokit2 SCR within 0.5 s, emopipe's onsets 0.05-0.07 s earlier.

    Parameters
    ----------
    conductance : ndarray, shape (n_times,)
        Skin conductance in S.
    sfreq : float
        Sampling frequency in Hz.
    amplitude_min : float
        Smallest SCR amplitude in S (default 0.01 uS, a common criterion).
    k : float
        Robust SDs of the detrended slope for detection.
    smooth : float
        SD in seconds of the Gaussian smoothing.
    slope_window : float
        Window in seconds of the running median removing the tonic slope.
    onset_fraction : float
        Fraction of the peak slope that marks the onset.
    max_rise : float
        Longest onset-to-peak time in seconds.

    Returns
    -------
    scrs : EventTable
        ``onset`` and ``peak_time`` in s from the first sample, ``duration``
        = rise time (onset to peak, s), ``amplitude`` (S, peak minus onset
        value of the smoothed conductance), ``peak_velocity`` (largest slope,
        S/s); ``kind="scr"``, ``unit="S"``.
    """
    x = _as_signal(conductance, "conductance")
    _check_positive("sfreq", sfreq)
    _check_positive("amplitude_min", amplitude_min, strict=False)
    quality = _signal_quality(x, flat_sd=1e-12)
    if quality is not None:
        logger.warning("detect_scrs: the conductance signal is %s; no SCRs detected.", quality)
        return EventTable.empty("scr", "S", {"quality": quality, "threshold": np.nan})
    y, slope = _smooth_and_slope(x, sfreq, smooth)
    dslope = slope - _running_median(slope, sfreq, slope_window)
    sd = _robust_sd(dslope)
    # noiseless signals: never below the mean slope of the smallest SCR over max_rise
    threshold = max(k * sd, amplitude_min / max_rise)
    rows = []
    last_peak = -1
    starts, stops = _runs(dslope > threshold)
    reach = int(max_rise * sfreq)
    for a, b in zip(starts, stops):
        top = a + int(np.argmax(dslope[a:b]))
        level = onset_fraction * dslope[top]
        on = top
        while on > 0 and on > last_peak and dslope[on - 1] > level and top - on < reach:
            on -= 1
        if on <= last_peak:
            continue  # still rising from the previous SCR
        pk = top
        while pk < y.size - 1 and slope[pk + 1] > 0 and pk - on < reach:
            pk += 1
        if on == 0 or pk == y.size - 1:
            continue  # cut by the start or end of the signal
        amp = y[pk] - y[on]
        if amp < amplitude_min:
            continue
        last_peak = pk
        rows.append((on / sfreq, (pk - on) / sfreq, amp, slope[on:pk + 1].max(), pk / sfreq))
    info = {"threshold": float(threshold), "robust_sd": sd, "quality": "ok"}
    return _event_table(rows, "scr", "S", info)


def raw_windows(x, sfreq, grid, *, target_sfreq=128.0):
    """GSR windows on the grid, resampled to a fixed rate.

    Each trial is resampled as a whole with
    :func:`scipy.signal.resample_poly` (polyphase, anti-aliased) and then cut
    on ``grid`` at ``target_sfreq`` (EmotionKD's student takes 4-s windows
    at 128 Hz: 512 samples).

    Parameters
    ----------
    x : ndarray, shape (n_trials, n_channels, n_times) | list of ndarray
        Trials, each starting ``grid.baseline`` s before the stimulus.
    sfreq : float
        Sampling frequency of ``x`` in Hz.
    grid : WindowGrid
        The subject's window grid.
    target_sfreq : float
        Output rate in Hz.

    Returns
    -------
    windows : ndarray, shape (n_windows, n_channels, n_times_target)
        ``n_times_target = round(grid.window * target_sfreq)``.
    """
    from scipy.signal import resample_poly

    _check_positive("sfreq", sfreq)
    _check_positive("target_sfreq", target_sfreq)
    ratio = Fraction(float(target_sfreq) / float(sfreq)).limit_denominator(1000)
    if abs(float(ratio) - target_sfreq / sfreq) > 1e-9 * target_sfreq / sfreq:
        raise ConfigError(
            f"target_sfreq / sfreq = {target_sfreq} / {sfreq} is not a ratio of integers up to "
            f"1000; choose a target_sfreq that divides evenly."
        )
    n_trials = len(x)
    _check_grid(grid, n_trials, "gsr")
    out = []
    for t in range(n_trials):
        tr = np.asarray(x[t], dtype=float)
        if ratio != 1:
            tr = resample_poly(tr, ratio.numerator, ratio.denominator, axis=-1, padtype="line")
        out.append(np.moveaxis(grid.cut(tr, target_sfreq, t), -2, 0))
    n_ch = np.asarray(x[0]).shape[0] if n_trials else 0
    if not out:
        return np.zeros((0, n_ch, grid.n_samples(target_sfreq)))
    return np.concatenate(out)


def _slope(win, dt):
    """Least-squares slope of each window along the last axis, per second."""
    n = win.shape[-1]
    t = (np.arange(n) - (n - 1) / 2) * dt
    return (win * t).sum(axis=-1) / (t ** 2).sum()


_SCR_KEYS = {"amplitude_min", "k", "smooth", "slope_window", "onset_fraction", "max_rise"}
_GSR_KEYS = ("unit", "method", "scr", "raw", "target_sfreq")


def gsr_window_features(modality, grid, *, unit=None, method="highpass", scr=None, raw=True,
                        target_sfreq=128.0):
    """Skin-conductance features on the window grid.

    Per channel and trial: conversion to conductance
    (:func:`to_conductance`), tonic/phasic split (:func:`decompose_eda`)
    and SCR detection (:func:`detect_scrs`) on the whole trial, then per
    window: SCL mean and slope (tonic), SCR count, rate and mean amplitude
    (SCRs belong to the window holding their onset; 0 when none, never
    NaN), and the Gaussian differential entropy of the phasic part. A flat
    or saturated channel is logged and listed in ``attrs["quality"]``.

    Parameters
    ----------
    modality : Modality
        GSR, data shape (n_trials, n_channels, n_times) (or a list of
        (n_channels, n_times_i)); each trial starts ``grid.baseline`` s before
        the stimulus.
    grid : WindowGrid
        The subject's window grid.
    unit : str | None
        Unit of the data; ``None`` uses ``modality.unit`` (DEAP: ``"ohm"``;
        from an EDF/BDF header through :func:`emopipe.io.typed_modalities`).
        A header without a usable unit (``"n/a"``, empty) gives ``"a.u."``,
        refused with an error naming the file and channel: state the
        unit here then.
    method : str
        Tonic/phasic method of :func:`decompose_eda`.
    scr : dict | None
        Keyword arguments of :func:`detect_scrs`.
    raw : bool
        Also return the conductance windows resampled to ``target_sfreq``.
    target_sfreq : float
        Rate of the raw windows in Hz.

    Returns
    -------
    features : dict of str -> Feature
        ``scl_mean`` (S), ``scl_slope`` (S/s), ``scr_count``, ``scr_rate``
        (1/min), ``scr_amplitude`` (S), ``phasic_de`` (nats), each of shape
        (n_windows, n_channels); ``raw`` (S), shape (n_windows, n_channels,
        n_times) at ``target_sfreq``.
    """
    trials = _trials(modality, "gsr")
    _check_grid(grid, len(trials), "gsr")
    sfreq = float(modality.sfreq)
    if unit is None:
        _check_modality_unit(modality)
        unit = modality.unit
    scr = _check_params(scr, _SCR_KEYS, "scr")
    _check_type("raw", raw, (bool,))
    names = list(modality.ch_names)
    feats = {k: [] for k in ("scl_mean", "scl_slope", "scr_count", "scr_rate", "scr_amplitude",
                             "phasic_de")}
    quality = []
    conductances = [to_conductance(tr, unit) for tr in trials]
    # one tonic/phasic split for the whole subject (row-wise, so each row's
    # values equal a call per trial and channel) when the trials are equally long
    if len({g.shape for g in conductances}) == 1:
        splits = _decompose(np.stack(conductances), sfreq, method)
        splits = list(zip(*splits))
    else:
        splits = [_decompose(g, sfreq, method) for g in conductances]
    for t, g in enumerate(conductances):
        n_w = len(grid.onsets[t])
        per = {k: np.zeros((n_w, len(names))) for k in feats}
        for c, name in enumerate(names):
            q = _signal_quality(g[c], flat_sd=1e-12)
            if q is not None:
                msg = f"trial {t} {name}: {q}"
                logger.warning("GSR quality: %s", msg)
                quality.append(msg)
            tonic, phasic = splits[t][0][c], splits[t][1][c]
            if q is None:
                events = detect_scrs(g[c], sfreq, **scr)
            else:
                events = EventTable.empty("scr", "S")
            count, rate, _, amp = _window_event_stats(events, grid, sfreq, t, n_w)
            tw = grid.cut(tonic, sfreq, t)  # (n_w, n_times)
            pw = grid.cut(phasic, sfreq, t)
            per["scl_mean"][:, c] = tw.mean(axis=-1)
            per["scl_slope"][:, c] = _slope(tw, 1.0 / sfreq)
            per["scr_count"][:, c] = count
            per["scr_rate"][:, c] = rate
            per["scr_amplitude"][:, c] = amp
            var = pw.var(axis=-1)
            per["phasic_de"][:, c] = gaussian_entropy(var, floor=POWER_FLOOR)
        for k in feats:
            feats[k].append(per[k])
    quality = quality or ["ok"]
    units = {"scl_mean": "S", "scl_slope": "S/s", "scr_count": "count", "scr_rate": "1/min",
             "scr_amplitude": "S", "phasic_de": "nats"}
    out = {
        k: Feature(np.concatenate(v), ("window", "channel"),
                   {"unit": units[k], "ch_names": names, "quality": quality,
                    "source_unit": str(unit), "method": method})
        for k, v in feats.items()
    }
    if raw:
        data = raw_windows(conductances, sfreq, grid, target_sfreq=target_sfreq)
        out["raw"] = Feature(data, ("window", "channel", "time"), {
            "unit": "S", "sfreq": float(target_sfreq), "ch_names": names, "quality": quality,
            "source_unit": str(unit),
        })
    logger.info("GSR: %d trials x %d channels -> %d windows", len(trials), len(names),
                grid.n_windows)
    return out


@MODALITY_EXTRACTORS.register("gsr")
def extract_gsr(modality, grid, params):
    """Registered GSR extractor: :func:`gsr_window_features` with ``params``.

    Parameters
    ----------
    modality : Modality
        GSR modality (unit ``"ohm"``, ``"S"``, ``"uS"``, ...).
    grid : WindowGrid
        The subject's window grid.
    params : dict
        Keys among ``unit``, ``method``, ``scr``, ``raw``, ``target_sfreq``,
        e.g. ``{"target_sfreq": 128.0, "raw": True}``.

    Returns
    -------
    features : dict of str -> Feature
        See :func:`gsr_window_features`.
    """
    params = _check_params(params, set(_GSR_KEYS), "gsr")
    return gsr_window_features(modality, grid, **params)
