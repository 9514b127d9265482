"""Official features a dataset ships already computed, passed through to the cache.

A reader that finds a dataset's own features (SEED-IV ``eeg_feature_smooth``
and ``eye_feature_smooth``, SEED-V ``EEG_DE_features``) returns them in
``SubjectRecording.precomputed`` (modality -> feature name ->
:class:`emopipe.io._types.PrecomputedFeature`, one array per trial, windows
first) with their window length in ``SubjectRecording.precomputed_window``.
The extract stage then takes the window grid from their window counts
(:func:`precomputed_grid`) and stores them unchanged beside any feature
emopipe computes itself on that grid (:func:`precomputed_features`). Nothing
here knows a dataset.
"""

import numpy as np

from ..utils._errors import ConfigError, DataFileError
from ._base import Feature
from ._windows import WindowGrid


def _counts(rec):
    """Window count of every trial, checked equal across every precomputed feature."""
    ref = None
    for mod, feats in rec.precomputed.items():
        for name, feat in feats.items():
            counts = [int(np.shape(t)[0]) for t in feat.trials]
            if len(counts) != rec.n_trials:
                raise DataFileError(
                    f"{rec.dataset} {rec.subject}: {mod}/{name} holds {len(counts)} trials, "
                    f"but the recording has {rec.n_trials}. The reader must return one array "
                    f"per trial."
                )
            if ref is None:
                ref = (f"{mod}/{name}", counts)
                continue
            for t, (a, b) in enumerate(zip(ref[1], counts)):
                if a != b:
                    raise DataFileError(
                        f"{rec.dataset} {rec.subject}: trial {int(rec.trial_ids[t])} has {a} "
                        f"windows in {ref[0]} but {b} in {mod}/{name}; the official features "
                        f"of one trial must share its windows. The files are inconsistent: "
                        f"re-download them."
                    )
    return ref[1]


def precomputed_grid(rec, config):
    """The window grid of a recording's precomputed features.

    Window ``w`` of a trial starts at ``w * window`` seconds after stimulus
    onset, ``window = rec.precomputed_window``. Every signal modality of the
    recording (features emopipe computes on this grid) must hold exactly as
    many complete windows per trial.

    Parameters
    ----------
    rec : SubjectRecording
        A recording whose ``precomputed`` dict is not empty.
    config : ExtractConfig
        Its ``window`` must equal the features' window and its ``step`` be
        ``None`` or the window (the official features do not overlap).

    Returns
    -------
    grid : WindowGrid
        One onset per precomputed window of each trial.
    """
    window = float(rec.precomputed_window)
    if not np.isclose(config.window, window) or (config.step is not None
                                                 and not np.isclose(config.step, window)):
        raise ConfigError(
            f"{rec.dataset} {rec.subject}: the official features come in {window:g}-s windows "
            f"without overlap, but the config asks for window = {config.window!r} s, step = "
            f"{config.step!r}. Set window: {window:g} and leave step unset (on the command "
            f"line, --window {window:g}), or choose a source that reads the signals."
        )
    counts = _counts(rec)
    for mod, modality in rec.modalities.items():  # signals computed on the same grid
        n_win = int(round(window * modality.sfreq))
        for t in range(modality.n_trials):
            n_times = np.shape(modality.data[t])[-1] - int(round(rec.baseline * modality.sfreq))
            if n_times // n_win != counts[t]:
                raise DataFileError(
                    f"{rec.dataset} {rec.subject}: trial {int(rec.trial_ids[t])} has "
                    f"{counts[t]} windows in the official features but {n_times // n_win} "
                    f"complete {window:g}-s windows in the {mod} signal ({n_times} samples at "
                    f"{modality.sfreq:g} Hz); the modalities of a trial must share its windows."
                )
    return WindowGrid([np.arange(n) * window for n in counts], window, rec.baseline)


def precomputed_features(rec, modality, grid):
    """The precomputed features of one modality as cache features.

    Parameters
    ----------
    rec : SubjectRecording
        The recording.
    modality : str
        A key of ``rec.precomputed``.
    grid : WindowGrid
        The subject's grid (from :func:`precomputed_grid`).

    Returns
    -------
    features : dict of str -> Feature
        Feature name -> trials concatenated along the window axis.
    """
    out = {}
    counts = grid.n_windows_per_trial()
    for name, feat in rec.precomputed[modality].items():
        got = [int(np.shape(t)[0]) for t in feat.trials]
        if got != counts.tolist():
            raise DataFileError(
                f"{rec.dataset} {rec.subject}: {modality}/{name} has {sum(got)} windows "
                f"({got} per trial) but the window grid has {int(counts.sum())} "
                f"({counts.tolist()}); the modalities of a subject must share their windows."
            )
        data = np.concatenate([np.asarray(t) for t in feat.trials], axis=0)
        out[name] = Feature(data, tuple(feat.dims), dict(feat.attrs))
    return out
