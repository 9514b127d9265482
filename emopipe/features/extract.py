"""The ``extract`` stage: dataset reader -> features on one window grid -> cache.

:class:`ExtractConfig` holds every choice; its hash (with emopipe's version
and the dataset root) keys the cache, so a changed config never reuses stale
features, and a rerun skips subjects whose file already matches.
"""

import dataclasses
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._version import __version__
from ..utils._checks import _check_number, _check_option, _check_type
from ..utils._errors import ConfigError, ConfigTypeError, DataFileError
from ..utils.config import config_hash, config_to_dict
from ._base import MODALITY_EXTRACTORS
from ._windows import WindowGrid
from .precomputed import precomputed_features, precomputed_grid
from .spectral import _check_taper

logger = logging.getLogger("emopipe.features.extract")


@dataclass(frozen=True)
class ExtractConfig:
    """Everything the extract stage decides; YAML keys equal these fields.

    Parameters
    ----------
    dataset : str
        Dataset registry key (``"deap"``), required; the dataset class
        declares the facts below that ``None`` stands for (see
        :class:`emopipe.io._dataset.Dataset`).
    source : str
        Which files to read, among the dataset's ``sources``; ``"auto"``
        lets the reader pick (DEAP: preprocessed Python pickles, then MATLAB
        files, then raw BDF; or ``"preprocessed_python"``,
        ``"preprocessed_matlab"``, ``"raw"``).
    subjects : list of str | None
        Subjects to extract; ``None`` means every subject found.
    sfreq : float | None
        Target rate in Hz when reading raw recordings (DEAP raw: 512 -> 128).
        ``None`` means the dataset's rate (DEAP: 128 Hz), resolved when the
        config is built so the cache key holds the number.
    window : float | None
        Window length in seconds (shared by every modality). ``None`` means
        the dataset's ``default_window`` (1 s; SEED-IV: 4 s, its official
        features' windows), resolved when the config is built.
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
        exact for white noise and for sinusoids inside a band, fastest),
        ``"butter"`` (zero-phase Butterworth per band, order 4, then window
        variance, as SEED-style pipelines) or ``"bandpass"`` (MNE
        zero-phase FIR per band, then window variance; its bands are
        1.25-1.4 times wider than nominal). methods.md §1.2 gives each
        estimator's measured bias on real EEG.
    taper : str | None
        Periodogram taper of ``de_method="spectral"``: ``"hann"`` (what
        ``None`` resolves to there; little leakage between bands) or
        ``"boxcar"`` (exact for tones on a bin, but leaks about 1.5 % of an
        off-bin tone into each neighbouring band). Must stay ``None`` for
        the filter estimators.
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
    label_threshold : float | None
        Ratings above it are class 1 (high), the rest class 0. ``None``
        means the dataset's default binarisation (DEAP: 5 on its 1-9 scale),
        resolved when the config is built; a dataset whose labels are
        classes already (no default threshold) keeps ``None`` and its
        classes.
    modalities : list of str | None
        Modalities to extract when the recording has them; missing ones are
        recorded as missing, never zero-filled. ``None`` means the dataset's
        ``default_modalities`` (DEAP: EEG, EOG and GSR).
    modality_params : dict
        Per-modality options passed to that modality's extractor.
    bids_task : str | None
        BIDS route only (``dataset: bids``): the ``task-<label>`` to read;
        ``None`` means the only task of the tree (several tasks: name one).
    bids_label_columns : list of str | None
        BIDS route only, required there: the ``events.tsv`` columns holding
        each trial's labels (``[valence, arousal]``), read from the TSV
        itself (mne-bids drops extra columns). Each becomes a label of the
        cache (``labels/<column>`` and ``labels/<column>_class``).
    bids_trial_type : str | None
        BIDS route only: the ``trial_type`` value of the ``events.tsv`` rows
        that are trials (``"stimulus"``); ``None`` means every row.
    bids_label_scale : list of float | None
        BIDS route only: ``[lowest, highest]`` rating of the label columns
        (``[1, 9]``); a value outside it is refused. With
        ``label_threshold`` unset the threshold resolves to its midpoint;
        ``None`` with no threshold means the labels are classes already.
    bids_baseline : float
        BIDS route only: seconds of signal before each trial's onset read
        with the trial as its pre-stimulus baseline (see ``baseline``).
    """

    dataset: str = None
    source: str = "auto"
    subjects: tuple = None
    sfreq: float = None
    window: float = None
    step: float = None
    bands: object = "torcheeg4"
    eeg_features: tuple = ("de", "band_power")
    de_method: str = "spectral"
    taper: str = None
    log_base: float = None
    baseline: str = "drop"
    smoothing: str = None
    smoothing_window: int = 5
    lds_mode: str = "trial"
    label_threshold: float = None
    modalities: tuple = None
    modality_params: dict = field(default_factory=dict)
    bids_task: str = None
    bids_label_columns: tuple = None
    bids_trial_type: str = None
    bids_label_scale: tuple = None
    bids_baseline: float = 0.0

    def __post_init__(self):
        if self.dataset is None:
            from ..io import DATASETS

            raise ConfigError(
                f"ExtractConfig needs a dataset: set 'dataset' to one of "
                f"{', '.join(repr(n) for n in DATASETS.names())} (in YAML, 'dataset: deap' in "
                f"the extract section; on the command line, --dataset)."
            )
        _check_type("dataset", self.dataset, str)
        ds = _dataset_class(self.dataset)
        if self.modalities is None:
            object.__setattr__(self, "modalities", tuple(ds.default_modalities))
        _check_option("source", self.source, tuple(ds.sources))
        # None stands for the dataset's own value, stored resolved (it keys the cache)
        if self.sfreq is None:
            object.__setattr__(self, "sfreq", ds.sfreq)
        _check_number("sfreq", self.sfreq, low=0, low_open=True, none_ok=True)
        _check_number("label_threshold", self.label_threshold, none_ok=True)
        if self.label_threshold is None:
            object.__setattr__(self, "label_threshold", ds.default_threshold)
        if self.window is None:
            object.__setattr__(self, "window", float(ds.default_window))
        _check_number("window", self.window, low=0, low_open=True)
        _check_number("step", self.step, low=0, low_open=True, none_ok=True)
        fixed = getattr(ds, "source_windows", {}).get(self.source)  # precomputed features
        if fixed is not None and (self.window != fixed or self.step not in (None, fixed)):
            raise ConfigError(
                f"{self.dataset} source {self.source!r} holds features precomputed on {fixed:g}-s "
                f"windows without overlap, but the config asks window={self.window!r}, "
                f"step={self.step!r}. Set window: {fixed:g} (--window {fixed:g}) and leave step "
                f"unset.")
        _check_option("de_method", self.de_method, ("spectral", "butter", "bandpass"))
        # None stands for the estimator's taper (Hann for "spectral"), stored resolved
        object.__setattr__(self, "taper",
                           _check_taper(self.taper, self.de_method, method_param="de_method"))
        _check_option("baseline", self.baseline, ("drop", "subtract", "keep"))
        _check_option("smoothing", self.smoothing, (None, "moving_average", "lds"))
        _check_option("lds_mode", self.lds_mode, ("trial", "rts"),
                      extra=" (the causal LDS is fitted per fold in the distill stage)")
        _check_number("smoothing_window", self.smoothing_window, kind="int", low=1)
        _check_number("log_base", self.log_base, low=0, low_open=True, none_ok=True)
        if self.log_base == 1:
            raise ConfigError(
                "log_base must be > 0 and != 1, got 1 (a logarithm to base 1 divides by "
                "log(1) = 0). Use None for nats or 2 for bits."
            )
        for name in ("subjects", "eeg_features", "modalities"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            elif value is not None:
                object.__setattr__(self, name, tuple(value))
        for mod in self.modalities:
            _check_option("modalities", mod, MODALITY_EXTRACTORS.names())
        if not isinstance(self.bands, (str, dict)):
            raise ConfigTypeError(
                f"bands must be a preset name or a dict name -> (l_freq, h_freq), got "
                f"{type(self.bands).__name__}."
            )
        _check_type("modality_params", self.modality_params, dict)
        for key, params in self.modality_params.items():
            _check_option("modality_params key", key, MODALITY_EXTRACTORS.names())
            _check_type(f"modality_params[{key!r}]", params, dict)
            fields = getattr(MODALITY_EXTRACTORS.get(key), "config_fields", ())
            for name in params:
                if name in fields:
                    raise ConfigError(
                        f"modality_params[{key!r}][{name!r}] is an ExtractConfig field, which "
                        f"the {key} extractor reads from the config itself; set {name} at the "
                        f"top level of the config instead."
                    )
        # fields only some datasets read (bids_*): refused for the others, resolved by theirs
        own = set(ds.config_fields)
        for name, owners in _dataset_fields().items():
            if name not in own and getattr(self, name) != _FIELD_DEFAULTS[name]:
                raise ConfigError(
                    f"{name} applies to dataset {' and '.join(repr(o) for o in owners)} only, "
                    f"but the config's dataset is {self.dataset!r}, which does not read it. "
                    f"Remove {name} from the config, or set dataset: {owners[0]}."
                )
        for name, value in ds.resolve_config(self).items():
            object.__setattr__(self, name, value)


def _dataset_fields():
    """Field -> datasets reading it, for the fields a dataset class lists in ``config_fields``."""
    from ..io import DATASETS

    owners = {}
    for name in DATASETS.names():
        for f in DATASETS.get(name).config_fields:
            owners.setdefault(f, []).append(name)
    return owners


#: default of every ExtractConfig field that has one (a dataset's fields are refused elsewhere)
_FIELD_DEFAULTS = {f.name: f.default for f in dataclasses.fields(ExtractConfig)
                   if f.default is not dataclasses.MISSING}


def _dataset_class(name):
    """The registered dataset class ``name`` (KeyError listing the registered ones)."""
    from ..io import DATASETS

    return DATASETS.get(name)


def resolved_config(config, root):
    """Dict of the config plus what else keys the cache (version, root).

    ``subjects`` is left out: it selects which files to write, not what
    goes in them, so extracting a subset first and the rest later shares
    one cache; so are the fields of other datasets (``bids_*`` for DEAP),
    which stay at their defaults, so a DEAP cache keeps its hash.
    """
    d = config_to_dict(config)
    d.pop("subjects", None)
    own = set(_dataset_class(config.dataset).config_fields)
    for name in _dataset_fields():  # another dataset's fields, at their defaults: not a choice
        if name not in own:
            d.pop(name, None)
    d["emopipe_version"] = __version__
    d["root"] = str(Path(root).resolve())
    return d


def default_cache_dir(config, root):
    """``$EMOPIPE_CACHE_DIR`` or ``~/.cache/emopipe``, then ``<dataset>-<hash8>``."""
    base = os.environ.get("EMOPIPE_CACHE_DIR") or (Path.home() / ".cache" / "emopipe")
    return Path(base) / f"{config.dataset}-{config_hash(resolved_config(config, root))[:8]}"


def _n_times(modality, i):
    """Samples of trial ``i`` along the modality's time axis, without reading a lazy trial."""
    dims = tuple(modality.dims)[1:]  # a trial's axes
    axis = dims.index("time") if "time" in dims else -1
    return int(np.shape(modality.data[i])[axis])


def make_grid(rec, config):
    """The subject's window grid from trial lengths and the baseline mode."""
    ref = rec.modalities["eeg"] if "eeg" in rec.modalities else next(iter(rec.modalities.values()))
    durations = [_n_times(ref, i) / ref.sfreq for i in range(ref.n_trials)]
    if config.baseline == "keep":
        grid = WindowGrid.from_duration(durations, config.window, config.step, baseline=0.0)
        return WindowGrid([o - rec.baseline for o in grid.onsets], config.window, rec.baseline)
    stim = [d - rec.baseline for d in durations]
    return WindowGrid.from_duration(stim, config.window, config.step, baseline=rec.baseline)


def _check_window_counts(rec, grid, mods):
    """Every signal modality holds the grid's windows: a count that differs names both."""
    ref = "eeg" if "eeg" in rec.modalities else next(iter(rec.modalities), None)
    counts = grid.n_windows_per_trial()
    for mod in mods:
        modality = rec.modalities.get(mod)
        if modality is None or mod in rec.precomputed or tuple(modality.dims)[-1] != "time":
            continue  # video (its own frame handling), precomputed features
        n_win = grid.n_samples(modality.sfreq)
        for t in range(min(modality.n_trials, grid.n_trials)):
            starts = grid.sample_starts(modality.sfreq, t)
            n_times = _n_times(modality, t)
            fit = int(np.count_nonzero(starts + n_win <= n_times))
            if fit != counts[t]:
                raise DataFileError(
                    f"{rec.dataset} {rec.subject}: trial {int(rec.trial_ids[t])} has "
                    f"{int(counts[t])} {grid.window:g}-s windows in the {ref} signal but only "
                    f"{fit} fit in the {mod} signal ({n_times} samples at {modality.sfreq:g} "
                    f"Hz); the modalities of a trial must share its windows. The {mod} "
                    f"recording is shorter: re-export it, or leave {mod} out of modalities.")


def _extractor_params(config, name, extractor):
    """``params`` of one modality's extractor: its ``modality_params`` entry plus
    the values of the ``ExtractConfig`` fields it lists in ``config_fields``."""
    params = dict(config.modality_params.get(name, {}))
    params.update({f: getattr(config, f) for f in getattr(extractor, "config_fields", ())})
    return params


def trace_window_means(trace, grid):
    """Mean of a continuous annotation inside each window of the grid.

    Sample ``k`` of trial ``t``'s trace is at ``k / trace.sfreq`` s after
    stimulus onset; window ``w`` covers ``[onset, onset + window)``. A
    window holding no sample (baseline windows, or past the trace's end) is
    NaN.

    Parameters
    ----------
    trace : emopipe.io._types.LabelTrace
        One trace per trial of the grid.
    grid : WindowGrid
        The subject's window grid.

    Returns
    -------
    values : ndarray, shape (n_windows,)
        Window means, trials concatenated in trial order.
    """
    if len(trace.trials) != grid.n_trials:
        raise ConfigError(f"{trace.source}: {len(trace.trials)} annotated trials for a grid of "
                          f"{grid.n_trials} trials; the reader must give one trace per trial.")
    out = []
    for t, onsets in enumerate(grid.onsets):
        x = np.asarray(trace.trials[t], dtype=float)
        times = np.arange(x.size) / float(trace.sfreq)
        for onset in np.asarray(onsets, dtype=float):
            inside = (times >= onset - 1e-9) & (times < onset + grid.window - 1e-9)
            out.append(float(x[inside].mean()) if inside.any() else np.nan)
    return np.asarray(out, dtype=float)


def extract_subject(rec, config, *, timings=None):
    """All requested modalities of one subject on one window grid.

    Parameters
    ----------
    rec : SubjectRecording
        What the dataset reader returned. When ``rec.precomputed`` holds
        features the dataset ships ready (SEED-IV's and SEED-V's official
        features), the grid is theirs and those modalities are passed to
        the cache unchanged.
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
        Features. A modality the reader returned precomputed (official
        features, ``rec.precomputed``) is passed through unchanged, and its
        window counts fix the grid (:mod:`emopipe.features.precomputed`).
    missing : dict of str -> str
        Modalities requested but absent, with the reason.
    """
    # official features shipped with the dataset fix the grid (features.precomputed)
    grid = precomputed_grid(rec, config) if rec.precomputed else make_grid(rec, config)
    if grid.n_windows == 0:
        raise ConfigError(
            f"{rec.dataset} {rec.subject}: no complete {config.window}-s window fits the trials. "
            f"Use a shorter window."
        )
    _check_window_counts(rec, grid, config.modalities)
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
    dataset = _dataset_class(config.dataset)
    for name, values in rec.labels.items():
        v = np.asarray(values, dtype=float)[trial_idx]
        labels[name] = v
        labels[f"{name}_class"] = dataset.label_classes(v, config.label_threshold)
    for name, trace in rec.label_traces.items():  # continuous annotations (MAHNOB-HCI)
        labels[name] = trace_window_means(trace, grid)
    modalities, missing = {}, {}
    for mod in config.modalities:
        if mod in rec.precomputed:  # passed through; emopipe computes nothing for it
            modalities[mod] = precomputed_features(rec, mod, grid)
            continue
        if mod not in rec.modalities:
            missing[mod] = rec.missing.get(mod, f"the {rec.dataset} recording has no {mod} data")
            logger.info("%s: %s missing (%s)", rec.subject, mod, missing[mod])
            continue
        t0 = time.perf_counter()
        fn = MODALITY_EXTRACTORS.get(mod)
        modalities[mod] = fn(rec.modalities[mod], grid, _extractor_params(config, mod, fn))
        if timings is not None:
            timings[mod] = time.perf_counter() - t0
    return windows, labels, modalities, missing
