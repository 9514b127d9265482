"""Electro-oculogram (EOG) features: blinks, saccades, band power, raw windows.

Blinks are detected on the vertical EOG (vEOG, upper minus lower electrode,
blinks positive-going), saccades on the horizontal EOG (hEOG, left minus right
electrode, as DEAP's ``hEOG1 - hEOG2``). Thresholds are robust: they scale
with the median absolute deviation (MAD) of the signal, so they follow the
noise level of each recording rather than a fixed number of microvolts.

Detection runs on a whole trial (baseline included); the events are then
counted in the window that holds their onset. A window without events has
count 0, rate 0 and mean duration / amplitude 0 (never NaN): read the
``*_count`` feature to tell "no event" from "small event".
"""

import logging
from dataclasses import dataclass

import numpy as np

from ..utils._checks import _check_bands, _check_positive, _check_type
from ..utils._errors import ConfigError
from ..io._mne import eog_role
from ._base import MODALITY_EXTRACTORS, Feature, _check_grid, _check_params, _trials
from ._entropy import POWER_FLOOR, gaussian_entropy
from ._events import EventTable, _event_table, _runs, _window_event_stats
from ._signal import (
    _as_signal,
    _lowpass,
    _robust_sd,
    _running_median,
    _signal_quality,
    _smooth_and_slope,
    _welch_band_power,
)

logger = logging.getLogger("emopipe.features.eog")


#: default EOG bands, Hz: slow eye movements, theta-range, alpha-range
EOG_BANDS = {"delta": (0.5, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 13.0)}


# --------------------------------------------------------------------------
# Channel selection
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class EOGPicks:
    """Channels that form the vertical and horizontal EOG derivations.

    Each derivation is ``data[plus] - data[minus]``; a missing side is
    ``None`` (``data[plus]`` alone, or ``-data[minus]`` alone).

    Parameters
    ----------
    veog : tuple of (int | None, int | None)
        ``(plus, minus)`` indices of the vertical EOG: upper and lower
        electrode (a bipolar ``vEOG`` channel is ``(i, None)``).
    heog : tuple of (int | None, int | None) | None
        ``(plus, minus)`` of the horizontal EOG: left and right electrode;
        ``None`` when the recording has no horizontal EOG.
    ch_names : tuple of str
        The channel names searched.
    """

    veog: tuple
    heog: tuple = None
    ch_names: tuple = ()

    def derive(self, data):
        """vEOG and hEOG signals from ``data``.

        Parameters
        ----------
        data : ndarray, shape (n_channels, n_times)
            One trial, channels in ``ch_names`` order.

        Returns
        -------
        veog : ndarray, shape (n_times,)
            Vertical EOG (blinks positive-going).
        heog : ndarray, shape (n_times,) | None
            Horizontal EOG (left minus right), ``None`` when absent.
        """
        return _derive(data, self.veog), (None if self.heog is None else _derive(data, self.heog))

    def describe(self):
        """Human-readable derivations, e.g. ``{'veog': 'vEOG', 'heog': 'LEOG - REOG'}``."""

        def text(pair):
            if pair is None:
                return None
            p, m = pair
            if m is None:
                return self.ch_names[p]
            if p is None:
                return f"-{self.ch_names[m]}"
            return f"{self.ch_names[p]} - {self.ch_names[m]}"

        return {"veog": text(self.veog), "heog": text(self.heog)}


def _derive(data, pair):
    p, m = pair
    if m is None:
        return np.asarray(data[p], dtype=float)
    if p is None:
        return -np.asarray(data[m], dtype=float)
    return np.asarray(data[p], dtype=float) - np.asarray(data[m], dtype=float)


def _slot_pair(slots, axis):
    """Derivation of ``axis`` (``"v"`` or ``"h"``) from the filled slots.

    A bipolar channel gives ``(i, None)``, else the ``+``/``-`` electrodes
    ``(i_plus, i_minus)`` (either may be ``None``), else ``None``.
    """
    if slots[axis] is not None:
        return (slots[axis], None)
    plus, minus = slots[axis + "+"], slots[axis + "-"]
    if plus is not None or minus is not None:
        return (plus, minus)
    return None


def pick_eog_pair(ch_names, ch_types=None, *, roles=None):
    """Find the vertical and horizontal EOG channels by name (and type).

    Recognised names (case, spaces, punctuation and an ``"EOG "`` prefix
    ignored): bipolar ``vEOG``/``hEOG`` (DEAP); upper/lower ``vEOG1``/
    ``vEOG2``, ``VEOG_I``/``VEOG_II``, infraorbital ``IEOG`` and BrainVision
    ``Vb`` (lower); left/right ``hEOG1``/``hEOG2``, ``LEOG``/``REOG``,
    BrainVision ``HL``/``HR``. Channels whose names do not say their role
    (BioSemi ``EXG1``-``EXG4``) are used only when no channel has an EOG
    name, ``ch_types`` types them ``"eog"`` and ``roles`` gives their role,
    as the dataset's electrode layout declares it (``Modality.ch_roles``,
    e.g. DEAP's EXG1/EXG2 left/right, EXG3/EXG4 above/below the eye). If no
    name matches and exactly one channel is typed ``"eog"``, it is used as
    the vertical EOG (logged).

    Parameters
    ----------
    ch_names : list of str
        Channel names.
    ch_types : list of str | None
        MNE channel types in the same order (``"eog"``, ``"eeg"``, ...).
    roles : dict of str -> str | None
        Channel name -> EOG role (``"v+"``, ``"v-"``, ``"h+"``, ``"h-"``,
        ``"v"``, ``"h"``) for channels not named for their role.

    Returns
    -------
    picks : EOGPicks
        Indices of the derivations.
    """
    ch_names = [str(c) for c in ch_names]
    if ch_types is not None and len(ch_types) != len(ch_names):
        raise ConfigError(
            f"ch_types must have one entry per channel: got {len(ch_types)} types for "
            f"{len(ch_names)} channels."
        )
    slots = {"v": None, "v+": None, "v-": None, "h": None, "h+": None, "h-": None}
    for i, name in enumerate(ch_names):  # names first
        role = eog_role(name)
        if role is not None and slots[role] is None:
            slots[role] = i
    named = any(v is not None for v in slots.values())
    roles = roles or {}
    for name, role in roles.items():
        if role not in slots:
            raise ConfigError(
                f"roles[{name!r}] = {role!r} is not an EOG role; use one of "
                f"{', '.join(repr(r) for r in slots)}."
            )
    for i, name in enumerate(ch_names):  # then electrodes typed EOG with a declared role
        if not named and name in roles and ch_types is not None and ch_types[i] == "eog":
            slots[roles[name]] = i
    veog, heog = _slot_pair(slots, "v"), _slot_pair(slots, "h")
    if veog is None and ch_types is not None:
        used = {i for pair in (heog or (None, None),) for i in pair if i is not None}
        typed = [i for i, t in enumerate(ch_types) if t == "eog" and i not in used]
        if len(typed) == 1:
            veog = (typed[0], None)
            logger.info("EOG: using %r, the only unnamed EOG-typed channel, as vEOG.",
                        ch_names[typed[0]])
    if veog is None:
        shown = ", ".join(repr(c) for c in ch_names[:12]) + (", ..." if len(ch_names) > 12 else "")
        raise ConfigError(
            f"No vertical EOG channel found among {len(ch_names)} channels ({shown}). "
            f"Name it 'vEOG' (bipolar) or 'vEOG1'/'vEOG2' (above/below the eye), or type "
            f"exactly one channel 'eog'."
        )
    return EOGPicks(veog=veog, heog=heog, ch_names=tuple(ch_names))


# --------------------------------------------------------------------------
# Detection
# --------------------------------------------------------------------------
#: raised-cosine edge: onset = t20 - _RC_EXTRAP * (t80 - t20), where t20 and t80
#: are the 20 % and 80 % crossings; for 0.5 * (1 - cos(pi * t / R)),
#: t20 = 0.2952 R and t80 = 0.7048 R
_RC_EXTRAP = float(np.arccos(0.6) / (np.pi - 2 * np.arccos(0.6)))


def _edge_times(seg, height, *, rising):
    """Sub-sample 20 % and 80 % crossings of one blink edge.

    ``seg`` ends (rising) or starts (falling) at the peak. Returns the
    crossing positions in samples from the start of ``seg`` (rising:
    ``(t20, t80)``; falling: ``(t80, t20)``), or ``None`` when the edge stays
    above 20 % of ``height``.
    """
    out = []
    for frac in ((0.2, 0.8) if rising else (0.8, 0.2)):
        level = frac * height
        below = np.flatnonzero(seg <= level)
        if rising:
            if below.size == 0:
                return None
            i = below[-1]  # last sample at or below the level before the peak
            j = i + 1
        else:
            if below.size == 0:
                return None
            j = below[0]
            i = j - 1
        y0, y1 = seg[i], seg[j]
        out.append(i + (level - y0) / (y1 - y0) if y1 != y0 else float(i))
    return tuple(out)


def _check_detector(events, sfreq, k, min_duration, max_duration):
    """Common checks of the EOG detectors; ``events`` names them in the error."""
    _check_positive("sfreq", sfreq)
    _check_positive("k", k)
    if not 0 < min_duration < max_duration:
        raise ConfigError(
            f"{events} durations must satisfy 0 < min_duration < max_duration, got "
            f"min_duration = {min_duration!r} s and max_duration = {max_duration!r} s."
        )


def detect_blinks(
    veog,
    sfreq,
    *,
    threshold=None,
    k=5.0,
    min_duration=0.1,
    max_duration=0.4,
    h_freq=15.0,
    baseline_window=2.0,
    min_amplitude=None,
):
    """Detect blinks as positive-going vertical EOG deflections of 100-400 ms.

    The signal is low-passed at ``h_freq`` (zero-phase Butterworth) and a
    running median over ``baseline_window`` s (which a blink barely moves) is
    subtracted. Candidates are runs above ``threshold``; by default
    ``threshold = k * 1.4826 * MAD`` of the baseline-corrected signal, a
    robust noise SD that blinks (a few % of samples) hardly inflate.

    Onset and offset come from the steep part of each edge, which noise
    barely shifts: with ``t20`` and ``t80`` the (interpolated) times at which
    the edge crosses 20 % and 80 % of the peak height, the onset is
    ``t20 - 0.7207 * (t80 - t20)``, exact for a raised-cosine edge
    ``0.5 * (1 - cos(pi * t / R))`` (the offset mirrors this on the falling
    edge). For a linear ramp this places the onset ``0.23 R`` early.
    Candidates whose duration lies outside ``[min_duration, max_duration]``
    (steps from vertical saccades, slow drifts, spikes) are rejected, and so
    are blinks cut by the start or end of the signal.

    Parameters
    ----------
    veog : ndarray, shape (n_times,)
        Vertical EOG in V, upper minus lower electrode (blinks positive).
    sfreq : float
        Sampling frequency in Hz.
    threshold : float | None
        Detection threshold in V above the running baseline; ``None`` uses
        ``k`` robust SDs.
    k : float
        Robust SDs above baseline when ``threshold`` is ``None``.
    min_duration, max_duration : float
        Allowed blink duration in seconds.
    h_freq : float | None
        Low-pass cutoff in Hz applied before detection.
    baseline_window : float
        Length of the running-median baseline in seconds.
    min_amplitude : float | None
        Smallest blink height in V (e.g. ``50e-6``); ``None`` accepts any
        height above ``threshold``.

    Returns
    -------
    blinks : EventTable
        ``onset``/``duration``/``peak_time`` in s from the first sample,
        ``amplitude`` (peak height above baseline, V) and ``peak_velocity``
        (largest rising slope, V/s). ``info["threshold"]`` holds the threshold
        used (V); a flat or saturated signal gives an empty table and
        ``info["quality"]``.
    """
    x = _as_signal(veog, "veog")
    _check_detector("Blink", sfreq, k, min_duration, max_duration)
    quality = _signal_quality(x)
    if quality is not None:
        logger.warning("detect_blinks: the vEOG signal is %s; no blinks detected.", quality)
        return EventTable.empty("blink", "V", {"quality": quality, "threshold": np.nan})
    y = _lowpass(x, sfreq, h_freq)
    y = y - _running_median(y, sfreq, baseline_window)
    sd = _robust_sd(y)
    if threshold is None:
        threshold = k * sd
    _check_positive("threshold", threshold)
    vel = np.gradient(y) * sfreq
    starts, stops = _runs(y > threshold)
    rows = []
    last_off = -np.inf
    reach = int(max_duration * sfreq) + 1
    for a, b in zip(starts, stops):
        pk = a + int(np.argmax(y[a:b]))
        height = y[pk]
        seg_lo = max(0, pk - reach)
        seg_hi = min(y.size, pk + reach + 1)
        rise = _edge_times(y[seg_lo:pk + 1], height, rising=True)
        fall = _edge_times(y[pk:seg_hi], height, rising=False)
        if rise is None or fall is None:
            continue  # does not return below 20 % of its height within max_duration
        t20, t80 = rise
        on = (seg_lo + t20 - _RC_EXTRAP * (t80 - t20)) / sfreq
        f80, f20 = fall
        off = (pk + f20 + _RC_EXTRAP * (f20 - f80)) / sfreq
        if on <= last_off:  # same deflection as the previous candidate
            continue
        if on < 0 or off > (y.size - 1) / sfreq:
            continue  # cut by the start or end of the signal
        if min_amplitude is not None and height < min_amplitude:
            continue
        dur = off - on
        if not (min_duration <= dur <= max_duration):
            continue
        last_off = off
        i_on = max(0, int(np.floor(on * sfreq)))
        rows.append((on, dur, height, float(vel[i_on:pk + 1].max()), pk / sfreq))
    info = {"threshold": float(threshold), "robust_sd": sd, "quality": "ok"}
    return _event_table(rows, "blink", "V", info)


def detect_saccades(
    heog,
    sfreq,
    *,
    threshold=None,
    k=5.0,
    k_onset=3.0,
    onset_fraction=0.1,
    min_duration=0.01,
    max_duration=0.2,
    smooth=0.01,
    min_amplitude=None,
):
    """Detect saccades as step-like horizontal EOG changes of high velocity.

    The velocity is the derivative of the hEOG smoothed by a Gaussian of SD
    ``smooth`` seconds (about a 13-Hz low-pass at 0.01 s, without the
    ringing of a Butterworth filter, which would add opposite-sign velocity
    lobes around every step). A saccade is a
    run of ``|velocity| > threshold``, by default ``threshold = k * 1.4826 *
    MAD`` of the velocity (robust: fixations dominate). Onset and offset
    extend the run while the velocity keeps its sign and stays above both
    ``k_onset`` robust SDs and ``onset_fraction`` of the peak velocity. The amplitude is the absolute hEOG change from onset
    to offset. Runs shorter than ``min_duration`` or longer than
    ``max_duration`` are rejected.

    Parameters
    ----------
    heog : ndarray, shape (n_times,)
        Horizontal EOG in V.
    sfreq : float
        Sampling frequency in Hz.
    threshold : float | None
        Velocity threshold in V/s; ``None`` uses ``k`` robust SDs.
    k : float
        Robust SDs of the velocity for detection.
    k_onset : float
        Robust SDs of the velocity marking onset and offset (noise floor).
    onset_fraction : float
        Fraction of the peak velocity marking onset and offset.
    min_duration, max_duration : float
        Allowed saccade duration in seconds.
    smooth : float
        SD in seconds of the Gaussian smoothing before differentiation.
    min_amplitude : float | None
        Smallest step in V; ``None`` accepts any.

    Returns
    -------
    saccades : EventTable
        ``onset``/``duration``/``peak_time`` (time of peak velocity) in s,
        ``amplitude`` (absolute step, V), ``peak_velocity`` (V/s, absolute).
        ``info["direction"]`` holds the sign of each step (+1: hEOG rises).
    """
    x = _as_signal(heog, "heog")
    _check_detector("Saccade", sfreq, k, min_duration, max_duration)
    quality = _signal_quality(x)
    if quality is not None:
        logger.warning("detect_saccades: the hEOG signal is %s; no saccades detected.", quality)
        return EventTable.empty("saccade", "V", {"quality": quality, "threshold": np.nan,
                                                  "direction": np.zeros(0)})
    y, vel = _smooth_and_slope(x, sfreq, smooth)
    sd = _robust_sd(vel)
    if threshold is None:
        threshold = k * sd
    _check_positive("threshold", threshold)
    low = k_onset * sd
    rows, direction = [], []
    for sign in (1.0, -1.0):
        starts, stops = _runs(sign * vel > threshold)
        for a, b in zip(starts, stops):
            pk = a + int(np.argmax(sign * vel[a:b]))
            edge = max(low, onset_fraction * sign * vel[pk])
            on = off = pk
            while on > 0 and sign * vel[on - 1] > edge:
                on -= 1
            while off < vel.size - 1 and sign * vel[off + 1] > edge:
                off += 1
            dur = (off - on + 1) / sfreq
            if not (min_duration <= dur <= max_duration):
                continue
            amp = abs(y[off] - y[on])
            if min_amplitude is not None and amp < min_amplitude:
                continue
            rows.append((on / sfreq, dur, amp, abs(vel[pk]), pk / sfreq))
            direction.append(sign)
    info = {"threshold": float(threshold), "robust_sd": sd, "quality": "ok"}
    if not rows:
        info["direction"] = np.zeros(0)
        return EventTable.empty("saccade", "V", info)
    rows = np.array(rows)
    order = np.argsort(rows[:, 0], kind="stable")
    # merge runs of one sign that overlap after onset/offset extension
    keep, end = [], -np.inf
    for i in order:
        if rows[i, 0] < end:
            continue
        keep.append(i)
        end = rows[i, 0] + rows[i, 1]
    info["direction"] = np.asarray(direction)[keep]
    return EventTable(*rows[keep].T, kind="saccade", unit="V", info=info)


# --------------------------------------------------------------------------
# Per-window features and the registered extractor
# --------------------------------------------------------------------------
_BLINK_KEYS = {
    "threshold", "k", "min_duration", "max_duration", "h_freq", "baseline_window", "min_amplitude",
}
_SACCADE_KEYS = {
    "threshold", "k", "k_onset", "onset_fraction", "min_duration", "max_duration", "smooth",
    "min_amplitude",
}
_PARAM_KEYS = ("bands", "blink", "saccade", "raw", "welch_seconds")


def eog_window_features(
    modality, grid, *, bands=None, blink=None, saccade=None, raw=True, welch_seconds=2.0
):
    """Blink, saccade, spectral and raw features of EOG on the window grid.

    The channels are combined into vertical and horizontal derivations by
    :func:`pick_eog_pair`. Blinks (vEOG) and saccades (hEOG) are detected on
    each whole trial, baseline included, then assigned to the window holding
    their onset. Event features of a window without events are 0 (rate,
    mean duration, mean amplitude), never NaN; ``*_count`` tells empty
    windows apart. Without a horizontal channel the saccade features are
    left out (logged).

    A flat or saturated derivation in a trial is logged as a warning and
    listed in every feature's ``attrs["quality"]`` (``["ok"]`` when clean);
    it yields no events (counts 0) and, when flat, band power 0 and DE at
    the floor ``0.5 * log(2 * pi * e * 1e-24)``.

    Parameters
    ----------
    modality : Modality
        EOG, data shape (n_trials, n_channels, n_times) in V (or a list of
        (n_channels, n_times_i)); each trial starts ``grid.baseline`` s
        before the stimulus.
    grid : WindowGrid
        The subject's window grid.
    bands : dict | None
        Name -> ``(l_freq, h_freq)`` in Hz; ``None`` uses :data:`EOG_BANDS`
        (0.5-4, 4-8, 8-13 Hz).
    blink : dict | None
        Keyword arguments of :func:`detect_blinks`.
    saccade : dict | None
        Keyword arguments of :func:`detect_saccades`.
    raw : bool
        Also return the raw derivation windows (feature ``"raw"``).
    welch_seconds : float
        Welch segment length for band power, in seconds.

    Returns
    -------
    features : dict of str -> Feature
        ``blink_count``, ``blink_rate`` (1/min), ``blink_duration`` (s),
        ``blink_amplitude`` (V), the same four for ``saccade_*``, each of
        shape (n_windows,); ``band_power`` (V**2) and ``de`` (nats), shape
        (n_windows, n_channels, n_bands); ``raw`` (V), shape
        (n_windows, n_channels, n_times) with channels ``vEOG`` [, ``hEOG``].
    """
    trials = _trials(modality, "eog")
    _check_grid(grid, len(trials), "eog")
    sfreq = float(modality.sfreq)
    bands = _check_bands(EOG_BANDS if bands is None else bands, sfreq)
    blink = _check_params(blink, _BLINK_KEYS, "blink")
    saccade = _check_params(saccade, _SACCADE_KEYS, "saccade")
    _check_type("raw", raw, (bool,))
    # every channel of the EOG modality is an EOG channel
    picks = pick_eog_pair(modality.ch_names, ["eog"] * len(modality.ch_names),
                          roles=getattr(modality, "ch_roles", None))
    names = ["vEOG"] + ([] if picks.heog is None else ["hEOG"])
    if picks.heog is None:
        logger.warning("EOG: no horizontal EOG channel among %s; saccade features skipped.",
                       list(modality.ch_names))
    logger.info("EOG: %d trials, derivations %s, %d windows of %.2f s",
                len(trials), picks.describe(), grid.n_windows, grid.window)
    ev = {"blink": [], "saccade": []}
    bp, raws, quality = [], [], []
    for t, tr in enumerate(trials):
        veog, heog = picks.derive(tr)
        sigs = [veog] + ([] if heog is None else [heog])
        for name, sig in zip(names, sigs):
            q = _signal_quality(sig)
            if q is not None:
                msg = f"trial {t} {name}: {q}"
                logger.warning("EOG quality: %s", msg)
                quality.append(msg)
        n_w = len(grid.onsets[t])
        with _quiet():
            blinks = detect_blinks(veog, sfreq, **blink)
        ev["blink"].append(_window_event_stats(blinks, grid, sfreq, t, n_w))
        if heog is not None:
            with _quiet():
                sacc = detect_saccades(heog, sfreq, **saccade)
            ev["saccade"].append(_window_event_stats(sacc, grid, sfreq, t, n_w))
        win = grid.cut(np.stack(sigs), sfreq, t)  # (n_channels, n_w, n_times)
        win = np.moveaxis(win, 1, 0)  # (n_w, n_channels, n_times)
        bp.append(_welch_band_power(win, sfreq, bands, seg_seconds=welch_seconds))
        if raw:
            raws.append(win)
    quality = quality or ["ok"]
    out = {}
    units = {"count": "count", "rate": "1/min", "duration": "s", "amplitude": "V"}
    for kind in ("blink", "saccade"):
        if not ev[kind]:
            continue
        stats = [np.concatenate([s[i] for s in ev[kind]]) for i in range(4)]
        for (stat, unit), arr in zip(units.items(), stats):
            out[f"{kind}_{stat}"] = Feature(
                arr, ("window",), {"unit": unit, "quality": quality, "empty_value": 0.0}
            )
    n_b = len(bands)
    power = np.concatenate(bp) if bp else np.zeros((0, len(names), n_b))
    battrs = {
        "ch_names": names,
        "band_names": list(bands),
        "band_edges": [list(e) for e in bands.values()],
        "derivation": [picks.describe()[k] for k in ("veog", "heog")[: len(names)]],
        "quality": quality,
    }
    out["band_power"] = Feature(power, ("window", "channel", "band"), {"unit": "V**2", **battrs})
    out["de"] = Feature(gaussian_entropy(power, floor=POWER_FLOOR), ("window", "channel", "band"),
                        {"unit": "nats", **battrs})
    if raw:
        n_t = grid.n_samples(sfreq)
        data = np.concatenate(raws) if raws else np.zeros((0, len(names), n_t))
        out["raw"] = Feature(data, ("window", "channel", "time"), {
            "unit": "V", "sfreq": sfreq, "ch_names": names,
            "derivation": battrs["derivation"], "quality": quality,
        })
    return out


class _quiet:
    """Silence the per-call quality warnings of the detectors (the extractor logs its own)."""

    def __enter__(self):
        self._level = logger.level
        logger.setLevel(logging.ERROR)

    def __exit__(self, *exc):
        logger.setLevel(self._level)


@MODALITY_EXTRACTORS.register("eog")
def extract_eog(modality, grid, params):
    """Registered EOG extractor: :func:`eog_window_features` with ``params``.

    Parameters
    ----------
    modality : Modality
        EOG modality (V).
    grid : WindowGrid
        The subject's window grid.
    params : dict
        Keys among ``bands``, ``blink``, ``saccade``, ``raw``,
        ``welch_seconds``.

    Returns
    -------
    features : dict of str -> Feature
        See :func:`eog_window_features`.
    """
    params = _check_params(params, set(_PARAM_KEYS), "eog")
    return eog_window_features(modality, grid, **params)
