"""EEG features per window: DE, band power, relative band power, mne-features, raw.

The registered ``"eeg"`` extractor reads its options from the
:class:`~emopipe.features.extract.ExtractConfig` fields it lists in
``extract_eeg.config_fields`` (``bands``, ``eeg_features``, ``de_method``,
``taper``, ...); the extract stage passes them in ``params`` like any modality's options.
"""

import logging

import numpy as np

from ..utils._errors import ConfigError
from ._base import MODALITY_EXTRACTORS, Feature, _check_grid, _check_params
from ._entropy import gaussian_entropy
from ._windows import WindowGrid

logger = logging.getLogger("emopipe.features.eeg")

#: EEG features computed from band powers; any other name in ``eeg_features``
#: but ``"raw"`` is an mne-features univariate function
EEG_FEATURES = ("de", "band_power", "relative_band_power")

#: the ``ExtractConfig`` fields the EEG extractor reads (its ``params`` keys)
_CONFIG_FIELDS = ("bands", "eeg_features", "de_method", "taper", "log_base", "baseline",
                  "step", "smoothing", "smoothing_window", "lds_mode")


def _eeg_window_values(trial, sfreq, grid, t, bands, *, eeg_features, de_method, taper,
                       log_base):
    """EEG features of the windows of one trial.

    Parameters
    ----------
    trial : ndarray, shape (n_channels, n_times)
        One trial, baseline included.
    sfreq : float
        Sampling frequency in Hz.
    grid : WindowGrid
        Window grid (``t`` indexes its trials).
    t : int
        Trial position in ``grid``.
    bands : dict
        Resolved bands.
    eeg_features : tuple of str
        Features to compute.
    de_method : str
        ``"spectral"``, ``"butter"`` or ``"bandpass"``.
    taper : str | None
        Periodogram taper of ``"spectral"`` (``None``: Hann).
    log_base : float | None
        Unit of DE.

    Returns
    -------
    values : dict of str -> ndarray, shape (n_channels, n_win, ...)
        Per feature; ``"univariate"`` maps to ``(values, names)``.
    """
    from . import spectral

    out = {}
    need = [f for f in eeg_features if f in EEG_FEATURES]
    if need:
        if de_method in ("bandpass", "butter"):
            # filter the whole trial (no per-window edge effects), then window variance
            from .filters import butter_bands, filter_bands

            band_filter = butter_bands if de_method == "butter" else filter_bands
            filtered = band_filter(trial, sfreq, bands)  # (n_channels, n_bands, n_times)
            win = grid.cut(filtered, sfreq, t)  # (n_channels, n_bands, n_win, n_samples)
            power = np.moveaxis(win.var(axis=-1), 1, -1)  # (n_channels, n_win, n_bands)
            tot = grid.cut(trial, sfreq, t).var(axis=-1) if "relative_band_power" in need else None
        else:
            windows = grid.cut(trial, sfreq, t)  # (n_channels, n_win, n_samples)
            power, _, tot = spectral._band_powers(
                windows, sfreq, bands, window=grid.window, method="spectral", taper=taper,
                total="relative_band_power" in need)
            power = power[..., 0, :]
            tot = None if tot is None else tot[..., 0]
        if "band_power" in need:
            out["band_power"] = power
        if "relative_band_power" in need:
            out["relative_band_power"] = power / tot[..., None]
        if "de" in need:
            out["de"] = gaussian_entropy(power, log_base=log_base)
    if "raw" in eeg_features:
        # the signal itself, for models that learn from it (EmotionKD's EEG stream)
        out["raw"] = grid.cut(trial, sfreq, t)  # (n_channels, n_win, n_samples)
    others = [f for f in eeg_features if f not in EEG_FEATURES and f != "raw"]
    if others:
        from .univariate import window_features

        windows = grid.cut(trial, sfreq, t)
        vals, names = window_features(windows, sfreq, others, window=grid.window)
        out["univariate"] = (vals[..., 0, :], names)
    return out


def _smooth(x, smoothing, smoothing_window, lds_mode):
    """Smooth one trial's windows along axis 0."""
    if smoothing is None or x.shape[0] == 0:
        return x
    from .smoothing import lds, moving_average

    if smoothing == "moving_average":
        return moving_average(x, smoothing_window, axis=0)
    return lds(x, axis=0, mode=lds_mode)


def eeg_window_features(modality, grid, *, bands="torcheeg4", eeg_features=("de", "band_power"),
                        de_method="spectral", taper=None, log_base=None, baseline="drop",
                        step=None,
                        smoothing=None, smoothing_window=5, lds_mode="trial"):
    """EEG features of every window of the grid.

    The keyword arguments are the :class:`~emopipe.features.extract.ExtractConfig`
    fields of the same names, with the same defaults (see there).

    Parameters
    ----------
    modality : Modality
        EEG, (n_trials, n_channels, n_times) in V; each trial starts
        ``grid.baseline`` s before the stimulus.
    grid : WindowGrid
        The subject's window grid.
    bands : str | dict
        Band preset name or dict name -> ``(l_freq, h_freq)`` in Hz.
    eeg_features : tuple of str
        Among ``"de"``, ``"band_power"``, ``"relative_band_power"``,
        ``"raw"`` and mne-features univariate function names.
    de_method : str
        ``"spectral"`` (periodogram band sum), ``"butter"`` (Butterworth
        band-pass, then window variance) or ``"bandpass"`` (MNE FIR).
    taper : str | None
        ``"hann"`` or ``"boxcar"`` periodogram taper of ``"spectral"``;
        ``None`` means ``"hann"`` there and is the only value the filter
        methods take.
    log_base : float | None
        ``None`` for nats, 2 for bits.
    baseline : str
        ``"subtract"`` removes the mean feature of the baseline windows of
        each trial (every feature but ``raw``); ``"drop"`` and ``"keep"``
        shape the grid and change nothing here.
    step : float | None
        Hop between windows in seconds, for the baseline windows of
        ``baseline="subtract"``.
    smoothing : str | None
        ``None``, ``"moving_average"`` or ``"lds"`` along the windows of a
        trial (every feature but ``raw``).
    smoothing_window : int
        Windows of the moving average.
    lds_mode : str
        ``"trial"`` or ``"rts"``.

    Returns
    -------
    features : dict of str -> Feature
        ``de``, ``band_power`` and ``relative_band_power`` of shape
        (n_windows, n_channels, n_bands), ``univariate`` of shape
        (n_windows, n_channels, n_features), ``raw`` of shape
        (n_windows, n_channels, n_times).
    """
    from .bands import resolve_bands

    _check_grid(grid, modality.n_trials, "eeg")
    bands = resolve_bands(bands, modality.sfreq)
    from .spectral import _check_taper

    taper = _check_taper(taper, de_method, method_param="de_method")
    kw = dict(eeg_features=tuple(eeg_features), de_method=de_method, taper=taper,
              log_base=log_base)
    per_trial = {}
    uni_names = None
    for t in range(grid.n_trials):
        trial = modality.trial(t)
        vals = _eeg_window_values(trial, modality.sfreq, grid, t, bands, **kw)
        if baseline == "subtract" and grid.baseline > 0:
            base_grid = WindowGrid.from_duration([grid.baseline], grid.window, step)
            if base_grid.n_windows == 0:
                raise ConfigError(
                    f"baseline='subtract' needs at least one {grid.window}-s window in the "
                    f"{grid.baseline}-s baseline. Use a shorter window or baseline='drop'."
                )
            bvals = _eeg_window_values(trial, modality.sfreq, base_grid, 0, bands, **kw)
            for k in vals:
                if k == "raw":
                    continue
                if k == "univariate":
                    vals[k] = (vals[k][0] - bvals[k][0].mean(axis=1, keepdims=True), vals[k][1])
                else:
                    vals[k] = vals[k] - bvals[k].mean(axis=1, keepdims=True)
        for k, v in vals.items():
            if k == "univariate":
                v, uni_names = v
            per_trial.setdefault(k, []).append(np.moveaxis(v, 0, 1))  # (n_win, n_channels, ...)
    feats = {}
    edges = [list(e) for e in bands.values()]
    for k, chunks in per_trial.items():
        if k == "raw":
            feats[k] = Feature(np.concatenate(chunks, axis=0), ("window", "channel", "time"),
                               {"unit": modality.unit, "ch_names": list(modality.ch_names),
                                "sfreq": float(modality.sfreq)})
            continue
        chunks = [_smooth(c, smoothing, smoothing_window, lds_mode) for c in chunks]
        data = np.concatenate(chunks, axis=0)
        if k == "univariate":
            feats[k] = Feature(data, ("window", "channel", "feature"),
                               {"unit": "mixed", "ch_names": list(modality.ch_names),
                                "feature_names": list(uni_names)})
        else:
            unit = {"de": "nats" if log_base is None else f"log{log_base:g}",
                    "band_power": f"{modality.unit}^2", "relative_band_power": "1"}[k]
            feats[k] = Feature(data, ("window", "channel", "band"),
                               {"unit": unit, "ch_names": list(modality.ch_names),
                                "band_names": list(bands), "band_edges": edges,
                                "baseline": baseline,
                                "smoothing": smoothing or "none"})
    return feats


@MODALITY_EXTRACTORS.register("eeg")
def extract_eeg(modality, grid, params):
    """Registered EEG extractor: :func:`eeg_window_features` with ``params``.

    Parameters
    ----------
    modality : Modality
        EEG modality (V).
    grid : WindowGrid
        The subject's window grid.
    params : dict
        Keys among ``bands``, ``eeg_features``, ``de_method``, ``taper``, ``log_base``,
        ``baseline``, ``step``, ``smoothing``, ``smoothing_window``,
        ``lds_mode``: the ``ExtractConfig`` fields listed in
        ``extract_eeg.config_fields``, which the extract stage fills in.

    Returns
    -------
    features : dict of str -> Feature
        See :func:`eeg_window_features`.
    """
    params = _check_params(params, set(_CONFIG_FIELDS), "eeg")
    return eeg_window_features(modality, grid, **params)


extract_eeg.config_fields = _CONFIG_FIELDS
extract_eeg.default_feature = "de"  # what the spec "eeg" means
