"""Peripheral physiology per window: heart rate (ECG, PPG) and respiration rate.

Beats and breaths are found on each whole trial with neurokit2
(:func:`neurokit2.ecg_peaks`, :func:`neurokit2.ppg_peaks`,
:func:`neurokit2.rsp_peaks` after the matching ``*_clean``); the
instantaneous rate is interpolated between events
(:func:`instantaneous_rate`) and averaged over each window. A trial
with fewer than 3 detected events (or where neurokit2 fails on a signal
without cycles) has no usable rate: its windows get rate
0 (never NaN), ``*_count`` 0 and a ``quality`` entry saying so.
"""

import logging
import warnings

import numpy as np

from ..utils._checks import _check_option, _check_positive, _check_type
from ..utils._errors import ConfigError
from ._base import MODALITY_EXTRACTORS, Feature, _check_grid, _check_params, _trials
from ._signal import _as_signal, _robust_sd, _signal_quality

logger = logging.getLogger("emopipe.features.peripheral")

#: plausible rates in events per minute, for the quality check
PLAUSIBLE_RATE = {"ecg": (25.0, 240.0), "ppg": (25.0, 240.0), "resp": (3.0, 60.0)}
_RATE_NAME = {"ecg": "hr", "ppg": "hr", "resp": "rate"}
_COUNT_NAME = {"ecg": "beat_count", "ppg": "beat_count", "resp": "breath_count"}


def _standardise(x):
    """Centre on the median and scale to unit robust SD (rates are scale-free)."""
    sd = _robust_sd(x) or float(np.std(x)) or 1.0
    return (x - np.median(x)) / sd


def detect_cycles(signal, sfreq, *, kind):
    """Times of heart beats (ECG R peaks, PPG systolic peaks) or breaths (inhalation peaks).

    Parameters
    ----------
    signal : ndarray, shape (n_times,)
        ECG or PPG (any unit; standardised internally) or respiration.
    sfreq : float
        Sampling frequency in Hz.
    kind : str
        ``"ecg"``, ``"ppg"`` or ``"resp"``.

    Returns
    -------
    peaks : ndarray of int, shape (n_events,)
        Sample index of each event.
    """
    import neurokit2 as nk

    _check_option("kind", kind, ("ecg", "ppg", "resp"))
    x = _standardise(_as_signal(signal, kind))
    _check_positive("sfreq", sfreq)
    with warnings.catch_warnings():
        # neurokit2 / pandas chatter that does not affect the values, and numpy's
        # "mean of empty slice" inside neurokit2 on signals without cycles
        warnings.simplefilter("ignore", category=FutureWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        warnings.simplefilter("ignore", category=RuntimeWarning)
        if kind == "ecg":
            clean = nk.ecg_clean(x, sampling_rate=sfreq)
            _, info = nk.ecg_peaks(clean, sampling_rate=sfreq)
            peaks = info["ECG_R_Peaks"]
        elif kind == "ppg":
            clean = nk.ppg_clean(x, sampling_rate=sfreq)
            _, info = nk.ppg_peaks(clean, sampling_rate=sfreq)
            peaks = info["PPG_Peaks"]
        else:
            clean = nk.rsp_clean(x, sampling_rate=sfreq)
            _, info = nk.rsp_peaks(clean, sampling_rate=sfreq)
            peaks = info["RSP_Peaks"]
    return np.asarray(peaks, dtype=np.int64)


def instantaneous_rate(peaks, sfreq, n_times):
    """Rate in events per minute at every sample, interpolated between events.

    Parameters
    ----------
    peaks : ndarray of int, shape (n_events,)
        Event samples (at least 3).
    sfreq : float
        Sampling frequency in Hz.
    n_times : int
        Length of the output.

    Returns
    -------
    rate : ndarray, shape (n_times,)
        Events per minute (``60 / interval``), each interval assigned to the
        time of its closing event and linearly interpolated (held constant
        outside the first and last event).
    """
    peaks = np.asarray(peaks, dtype=float)
    if peaks.size < 3:
        raise ConfigError(f"instantaneous_rate needs at least 3 events, got {peaks.size}.")
    rate = 60.0 * sfreq / np.diff(peaks)
    return np.interp(np.arange(n_times), peaks[1:], rate)


def rate_window_features(modality, grid, *, kind):
    """Mean rate and event count per window for each channel.

    Parameters
    ----------
    modality : Modality
        ECG, PPG or respiration, data shape (n_trials, n_channels, n_times)
        (or a list of (n_channels, n_times_i)); each trial starts
        ``grid.baseline`` s before the stimulus.
    grid : WindowGrid
        The subject's window grid.
    kind : str
        ``"ecg"``, ``"ppg"`` or ``"resp"``.

    Returns
    -------
    features : dict of str -> Feature
        ``hr`` (ECG/PPG, beats/min) or ``rate`` (resp, breaths/min) and
        ``beat_count`` / ``breath_count`` (events whose time falls in the
        window), each of shape (n_windows, n_channels).
    """
    _check_option("kind", kind, ("ecg", "ppg", "resp"))
    trials = _trials(modality, kind)
    _check_grid(grid, len(trials), kind)
    sfreq = float(modality.sfreq)
    names = list(modality.ch_names)
    lo, hi = PLAUSIBLE_RATE[kind]
    rates, counts, quality = [], [], []
    for t, tr in enumerate(trials):
        n_w = len(grid.onsets[t])
        starts = grid.sample_starts(sfreq, t)
        n_win = grid.n_samples(sfreq)
        r_t = np.zeros((n_w, len(names)))
        c_t = np.zeros((n_w, len(names)))
        for c, name in enumerate(names):
            q = _signal_quality(tr[c], flat_sd=0.0)
            if q is not None:
                quality.append(f"trial {t} {name}: {q}")
            peaks = np.zeros(0, dtype=np.int64)
            if q != "flat":
                try:
                    peaks = detect_cycles(tr[c], sfreq, kind=kind)
                except (IndexError, ValueError) as exc:  # neurokit2 on a signal without cycles
                    logger.debug("%s trial %d %s: detection failed: %s", kind, t, name, exc)
            for w, s in enumerate(starts):
                c_t[w, c] = np.count_nonzero((peaks >= s) & (peaks < s + n_win))
            if peaks.size < 3:
                msg = f"trial {t} {name}: {peaks.size} events detected, rate set to 0"
                logger.warning("%s: %s", kind.upper(), msg)
                quality.append(msg)
                continue
            rate = instantaneous_rate(peaks, sfreq, tr.shape[-1])
            r_t[:, c] = grid.cut(rate, sfreq, t).mean(axis=-1)
            med = float(np.median(60.0 * sfreq / np.diff(peaks)))
            if not lo <= med <= hi:
                msg = f"trial {t} {name}: median rate {med:.1f}/min outside {lo:g}-{hi:g}"
                logger.warning("%s: %s", kind.upper(), msg)
                quality.append(msg)
        rates.append(r_t)
        counts.append(c_t)
    quality = quality or ["ok"]
    attrs = {"ch_names": names, "quality": quality, "empty_value": 0.0}
    unit = "1/min"
    return {
        _RATE_NAME[kind]: Feature(np.concatenate(rates), ("window", "channel"),
                                  {"unit": unit, **attrs}),
        _COUNT_NAME[kind]: Feature(np.concatenate(counts), ("window", "channel"),
                                   {"unit": "count", **attrs}),
    }


def _extract(kind, modality, grid, params):
    params = _check_params(params, {"raw", "target_sfreq"}, kind)
    raw = params.get("raw", False)
    _check_type("raw", raw, (bool,))
    out = rate_window_features(modality, grid, kind=kind)
    if raw:
        from .gsr import raw_windows

        target = params.get("target_sfreq", float(modality.sfreq))
        data = raw_windows(_trials(modality, kind), float(modality.sfreq), grid,
                           target_sfreq=target)
        out["raw"] = Feature(data, ("window", "channel", "time"), {
            "unit": modality.unit, "sfreq": float(target), "ch_names": list(modality.ch_names),
        })
    return out


_EXTRACTOR_DOC = """Registered {kind} extractor: :func:`rate_window_features` (kind={kind!r}).

    Parameters
    ----------
    modality : Modality
        {what}.
    grid : WindowGrid
        The subject's window grid.
    params : dict
        ``raw`` (bool, default False): also return the signal windows as
        ``raw``, resampled to ``target_sfreq`` (Hz, default the modality's
        rate).

    Returns
    -------
    features : dict of str -> Feature
        See :func:`rate_window_features`.
    """


@MODALITY_EXTRACTORS.register("ecg")
def extract_ecg(modality, grid, params):
    return _extract("ecg", modality, grid, params)


@MODALITY_EXTRACTORS.register("ppg")
def extract_ppg(modality, grid, params):
    return _extract("ppg", modality, grid, params)


@MODALITY_EXTRACTORS.register("resp")
def extract_resp(modality, grid, params):
    return _extract("resp", modality, grid, params)


extract_ecg.__doc__ = _EXTRACTOR_DOC.format(kind="ecg", what="ECG (V)")
extract_ppg.__doc__ = _EXTRACTOR_DOC.format(kind="ppg", what="Photoplethysmogram (any unit)")
extract_resp.__doc__ = _EXTRACTOR_DOC.format(kind="resp", what="Respiration belt (any unit)")
