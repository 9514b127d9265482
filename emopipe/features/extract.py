"""The ``extract`` stage: dataset reader -> features on one window grid -> cache.

:class:`ExtractConfig` holds every choice; its hash (with emopipe's version
and the dataset root) keys the cache, so a changed config never reuses stale
features, and a rerun skips subjects whose file already matches.
"""

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._version import __version__
from ..utils._checks import _check_option, _check_positive, _check_type
from ..utils.config import config_hash, config_to_dict
from ._base import MODALITY_EXTRACTORS, Feature
from ._windows import WindowGrid

logger = logging.getLogger("emopipe.features.extract")

KNOWN_MODALITIES = ("eeg", "eog", "gsr", "resp", "ppg", "ecg", "eye", "face")
EEG_FEATURES = ("de", "band_power", "relative_band_power")


@dataclass(frozen=True)
class ExtractConfig:
    """Everything the extract stage decides; YAML keys equal these fields.

    Parameters
    ----------
    dataset : str
        Dataset registry key (``"deap"``).
    source : str
        Which files to read: ``"auto"`` (preprocessed Python pickles, then
        MATLAB files, then raw BDF), ``"preprocessed_python"``,
        ``"preprocessed_matlab"`` or ``"raw"``.
    subjects : list of str | None
        Subjects to extract; ``None`` means every subject found.
    sfreq : float
        Target rate in Hz when reading raw recordings (DEAP raw: 512 -> 128).
    window : float
        Window length in seconds (shared by every modality).
    step : float | None
        Hop between windows in seconds; ``None`` means ``window``.
    bands : str | dict
        Band preset name (``"torcheeg4"``, ``"seed5"``, ``"v2e6"``) or a dict
        name -> ``(l_freq, h_freq)`` in Hz.
    eeg_features : list of str
        Among ``"de"``, ``"band_power"``, ``"relative_band_power"`` and any
        mne-features univariate function name (``"hjorth_mobility"``, ...);
        ``"raw"`` stores the windows themselves, (window, channel, time) in V.
    de_method : str
        ``"spectral"`` (default: plain bin sum of the window periodogram,
        exact for sinusoids and white noise, fastest) or ``"bandpass"``
        (MNE zero-phase FIR per band, then window variance).
    log_base : float | None
        ``None`` for nats, 2 for bits (SEED papers).
    baseline : str
        Pre-stimulus baseline (DEAP: first 3 s): ``"drop"`` it, ``"subtract"``
        its mean feature from every stimulus window (EEG features), or
        ``"keep"`` its windows (negative onsets).
    smoothing : str | None
        ``None``, ``"moving_average"`` or ``"lds"`` along windows of a trial.
    smoothing_window : int
        Windows of the moving average.
    lds_mode : str
        ``"trial"`` (SEED reference; starts at the trial mean, non-causal) or
        ``"rts"``. The causal form needs a training-fold mean and belongs to
        the distill stage.
    label_threshold : float
        Ratings above it are class 1 (high), the rest class 0.
    modalities : list of str
        Modalities to extract when the recording has them; missing ones are
        recorded as missing, never zero-filled.
    modality_params : dict
        Per-modality options passed to that modality's extractor.
    """

    dataset: str = "deap"
    source: str = "auto"
    subjects: tuple = None
    sfreq: float = 128.0
    window: float = 1.0
    step: float = None
    bands: object = "torcheeg4"
    eeg_features: tuple = ("de", "band_power")
    de_method: str = "spectral"
    log_base: float = None
    baseline: str = "drop"
    smoothing: str = None
    smoothing_window: int = 5
    lds_mode: str = "trial"
    label_threshold: float = 5.0
    modalities: tuple = ("eeg", "eog", "gsr")
    modality_params: dict = field(default_factory=dict)

    def __post_init__(self):
        _check_type("dataset", self.dataset, str)
        _check_option("source", self.source,
                      ("auto", "preprocessed_python", "preprocessed_matlab", "raw"))
        _check_positive("sfreq", self.sfreq)
        _check_positive("window", self.window)
        if self.step is not None:
            _check_positive("step", self.step)
        _check_option("de_method", self.de_method, ("spectral", "bandpass"))
        _check_option("baseline", self.baseline, ("drop", "subtract", "keep"))
        _check_option("smoothing", self.smoothing, (None, "moving_average", "lds"))
        _check_option("lds_mode", self.lds_mode, ("trial", "rts"),
                      extra=" (the causal LDS is fitted per fold in the distill stage)")
        _check_type("smoothing_window", self.smoothing_window, "int")
        if self.log_base is not None:
            _check_positive("log_base", self.log_base)
        for name in ("subjects", "eeg_features", "modalities"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            elif value is not None:
                object.__setattr__(self, name, tuple(value))
        for mod in self.modalities:
            _check_option("modalities", mod, KNOWN_MODALITIES)
        if not isinstance(self.bands, (str, dict)):
            raise TypeError(
                f"bands must be a preset name or a dict name -> (l_freq, h_freq), got "
                f"{type(self.bands).__name__}."
            )
        _check_type("modality_params", self.modality_params, dict)
        for key in self.modality_params:
            _check_option("modality_params key", key, KNOWN_MODALITIES)


def resolved_config(config, root):
    """Dict of the config plus what else keys the cache (version, root).

    ``subjects`` is left out: it selects which files to write, not what
    goes in them, so extracting a subset first and the rest later shares
    one cache.
    """
    d = config_to_dict(config)
    d.pop("subjects", None)
    d["emopipe_version"] = __version__
    d["root"] = str(Path(root).resolve())
    return d


def default_cache_dir(config, root):
    """``$EMOPIPE_CACHE_DIR`` or ``~/.cache/emopipe``, then ``<dataset>-<hash8>``."""
    base = os.environ.get("EMOPIPE_CACHE_DIR") or (Path.home() / ".cache" / "emopipe")
    return Path(base) / f"{config.dataset}-{config_hash(resolved_config(config, root))[:8]}"


def make_grid(rec, config):
    """The subject's window grid from trial lengths and the baseline mode."""
    ref = rec.modalities["eeg"] if "eeg" in rec.modalities else next(iter(rec.modalities.values()))
    durations = [ref.trial(i).shape[-1] / ref.sfreq for i in range(ref.n_trials)]
    if config.baseline == "keep":
        grid = WindowGrid.from_duration(durations, config.window, config.step, baseline=0.0)
        return WindowGrid([o - rec.baseline for o in grid.onsets], config.window, rec.baseline)
    stim = [d - rec.baseline for d in durations]
    return WindowGrid.from_duration(stim, config.window, config.step, baseline=rec.baseline)


def _eeg_window_values(trial, sfreq, grid, t, bands, config):
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
    config : ExtractConfig
        Feature choices.

    Returns
    -------
    values : dict of str -> ndarray, shape (n_channels, n_win, ...)
        Per feature; ``"univariate"`` maps to ``(values, names)``.
    """
    from . import spectral

    out = {}
    need = [f for f in config.eeg_features if f in EEG_FEATURES]
    if need:
        if config.de_method == "bandpass":
            # filter the whole trial (no per-window edge effects), then window variance
            from .filters import filter_bands

            filtered = filter_bands(trial, sfreq, bands)  # (n_channels, n_bands, n_times)
            win = grid.cut(filtered, sfreq, t)  # (n_channels, n_bands, n_win, n_samples)
            power = np.moveaxis(win.var(axis=-1), 1, -1)  # (n_channels, n_win, n_bands)
            tot = grid.cut(trial, sfreq, t).var(axis=-1) if "relative_band_power" in need else None
        else:
            windows = grid.cut(trial, sfreq, t)  # (n_channels, n_win, n_samples)
            power, _, tot = spectral._band_powers(
                windows, sfreq, bands, window=grid.window, method="spectral",
                total="relative_band_power" in need)
            power = power[..., 0, :]
            tot = None if tot is None else tot[..., 0]
        if "band_power" in need:
            out["band_power"] = power
        if "relative_band_power" in need:
            out["relative_band_power"] = power / tot[..., None]
        if "de" in need:
            de = 0.5 * np.log(2 * np.pi * np.e * power)
            if config.log_base is not None:
                de = de / np.log(config.log_base)
            out["de"] = de
    if "raw" in config.eeg_features:
        # the signal itself, for models that learn from it (EmotionKD's EEG stream)
        out["raw"] = grid.cut(trial, sfreq, t)  # (n_channels, n_win, n_samples)
    others = [f for f in config.eeg_features if f not in EEG_FEATURES and f != "raw"]
    if others:
        from .univariate import window_features

        windows = grid.cut(trial, sfreq, t)
        vals, names = window_features(windows, sfreq, others, window=grid.window)
        out["univariate"] = (vals[..., 0, :], names)
    return out


def extract_eeg(mod, grid, config, bands):
    """EEG features of every window of the grid.

    Parameters
    ----------
    mod : Modality
        EEG, (n_trials, n_channels, n_times) in V.
    grid : WindowGrid
        The subject's window grid.
    config : ExtractConfig
        Feature choices.
    bands : dict
        Resolved bands.

    Returns
    -------
    features : dict of str -> Feature
        ``de`` and ``band_power`` of shape (n_windows, n_channels, n_bands),
        ``univariate`` of shape (n_windows, n_channels, n_features).
    """
    per_trial = {}
    uni_names = None
    for t in range(grid.n_trials):
        trial = mod.trial(t)
        vals = _eeg_window_values(trial, mod.sfreq, grid, t, bands, config)
        if config.baseline == "subtract" and grid.baseline > 0:
            base_grid = WindowGrid.from_duration([grid.baseline], config.window, config.step)
            if base_grid.n_windows == 0:
                raise ValueError(
                    f"baseline='subtract' needs at least one {config.window}-s window in the "
                    f"{grid.baseline}-s baseline. Use a shorter window or baseline='drop'."
                )
            bvals = _eeg_window_values(trial, mod.sfreq, base_grid, 0, bands, config)
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
                               {"unit": mod.unit, "ch_names": list(mod.ch_names),
                                "sfreq": float(mod.sfreq)})
            continue
        chunks = [_smooth(c, config) for c in chunks]
        data = np.concatenate(chunks, axis=0)
        if k == "univariate":
            feats[k] = Feature(data, ("window", "channel", "feature"),
                               {"unit": "mixed", "ch_names": list(mod.ch_names),
                                "feature_names": list(uni_names)})
        else:
            unit = {"de": "nats" if config.log_base is None else f"log{config.log_base:g}",
                    "band_power": f"{mod.unit}^2", "relative_band_power": "1"}[k]
            feats[k] = Feature(data, ("window", "channel", "band"),
                               {"unit": unit, "ch_names": list(mod.ch_names),
                                "band_names": list(bands), "band_edges": edges,
                                "baseline": config.baseline,
                                "smoothing": config.smoothing or "none"})
    return feats


def _smooth(x, config):
    """Smooth one trial's windows along axis 0."""
    if config.smoothing is None or x.shape[0] == 0:
        return x
    from .smoothing import lds, moving_average

    if config.smoothing == "moving_average":
        return moving_average(x, config.smoothing_window, axis=0)
    return lds(x, axis=0, mode=config.lds_mode)


def extract_subject(rec, config, *, timings=None):
    """All requested modalities of one subject on one window grid.

    Parameters
    ----------
    rec : SubjectRecording
        What the dataset reader returned.
    config : ExtractConfig
        The extraction config.
    timings : dict | None
        If given, filled with the seconds each modality took (key = modality).

    Returns
    -------
    windows : dict of str -> ndarray, shape (n_windows,)
        Window index.
    labels : dict of str -> ndarray, shape (n_windows,)
        Ratings and binarised classes per window.
    modalities : dict of str -> dict of str -> Feature
        Features.
    missing : dict of str -> str
        Modalities requested but absent, with the reason.
    """
    from . import eog, eye, face, gsr, peripheral  # noqa: F401  (fill MODALITY_EXTRACTORS)
    from .bands import resolve_bands

    grid = make_grid(rec, config)
    if grid.n_windows == 0:
        raise ValueError(
            f"{rec.dataset} {rec.subject}: no complete {config.window}-s window fits the trials. "
            f"Use a shorter window."
        )
    trial_idx = grid.trial_index()
    windows = {
        "trial": np.asarray(rec.trial_ids)[trial_idx].astype(np.int64),
        "trial_index": trial_idx.astype(np.int64),
        "onset": grid.flat_onsets(),
        "duration": np.full(grid.n_windows, grid.window),
        "session": (np.zeros(grid.n_windows, np.int64) if rec.sessions is None
                    else np.asarray(rec.sessions)[trial_idx].astype(np.int64)),
    }
    labels = {}
    for name, values in rec.labels.items():
        v = np.asarray(values, dtype=float)[trial_idx]
        labels[name] = v
        labels[f"{name}_class"] = (v > config.label_threshold).astype(np.int64)
    modalities, missing = {}, {}
    for mod in config.modalities:
        if mod not in rec.modalities:
            missing[mod] = rec.missing.get(mod, f"the {rec.dataset} recording has no {mod} data")
            logger.info("%s: %s missing (%s)", rec.subject, mod, missing[mod])
            continue
        t0 = time.perf_counter()
        if mod == "eeg":
            m = rec.modalities["eeg"]
            bands = resolve_bands(config.bands, m.sfreq)
            modalities["eeg"] = extract_eeg(m, grid, config, bands)
        else:
            fn = MODALITY_EXTRACTORS.get(mod)
            modalities[mod] = fn(rec.modalities[mod], grid, dict(config.modality_params.get(mod, {})))
        if timings is not None:
            timings[mod] = time.perf_counter() - t0
    return windows, labels, modalities, missing
