"""The extractor contract: the registry, the container every extractor returns,
and the checks of what an extractor receives."""

from dataclasses import dataclass, field

import numpy as np

from ..utils._checks import _check_finite, _close_match_hint
from ..utils._registry import Registry
from ..utils._errors import ConfigError

#: modality name -> extractor ``fn(modality, grid, params) -> dict[str, Feature]``
#: where ``modality`` is an :class:`emopipe.io._types.Modality`, ``grid`` a
#: :class:`emopipe.features._windows.WindowGrid` and ``params`` a dict of the
#: modality's options. The extract stage builds ``params`` from
#: ``ExtractConfig.modality_params[name]`` plus the value of every
#: ``ExtractConfig`` field the extractor lists in its ``config_fields``
#: attribute (EEG: ``bands``, ``eeg_features``, ...). Filled by the imports of
#: the extractor modules in :mod:`emopipe.features`.
MODALITY_EXTRACTORS = Registry("Modality extractor", "modality extractors")


def default_feature(modality):
    """The feature a modality spec means when it names the modality alone.

    An extractor declares it in its ``default_feature`` attribute (EEG:
    ``"de"``, face: ``"frames"``); ``None`` (the default, and the answer
    for a modality without an extractor) means every non-raw feature of
    the modality, flattened and concatenated.

    Parameters
    ----------
    modality : str
        Modality name, e.g. ``"eeg"``.

    Returns
    -------
    feature : str | None
        The declared feature name, or ``None`` for all features.
    """
    if modality not in MODALITY_EXTRACTORS:
        return None
    return getattr(MODALITY_EXTRACTORS.get(modality), "default_feature", None)


@dataclass
class Feature:
    """A feature array with named axes and attributes, ready for the cache.

    Parameters
    ----------
    data : ndarray, shape (n_windows, ...)
        Values; the first axis is always the shared window index of the
        subject (all trials' windows concatenated in trial order).
    dims : tuple of str
        Axis names, first ``"window"``; then among ``"channel"``, ``"band"``,
        ``"feature"``, ``"time"``, ``"height"``, ``"width"``.
    attrs : dict
        Metadata stored as HDF5 attributes: ``unit`` always; ``ch_names``,
        ``band_names``, ``band_edges``, ``feature_names``, ``sfreq`` as the
        axes require.
    """

    data: np.ndarray
    dims: tuple
    attrs: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.dims[0] != "window":
            raise ConfigError(f"Feature dims must start with 'window', got {self.dims!r}.")
        if np.ndim(self.data) != len(self.dims):
            raise ConfigError(
                f"Feature data has {np.ndim(self.data)} axes, shape {np.shape(self.data)}, "
                f"but dims names {len(self.dims)}: {self.dims!r}."
            )


def _trials(modality, name):
    """Validated list of trial arrays ``(n_channels, n_times_i)`` of a Modality."""
    data = modality.data
    if data is None or len(data) == 0:
        raise ConfigError(
            f"The {name} modality is empty (no trials). A recording that lacks {name} must be "
            f"listed in SubjectRecording.missing instead of being passed to the extractor."
        )
    trials = [np.asarray(data[i], dtype=float) for i in range(len(data))]
    for i, tr in enumerate(trials):
        if tr.ndim != 2 or tr.shape[0] == 0 or tr.shape[1] == 0:
            raise ConfigError(
                f"{name} trial {i} must have shape (n_channels, n_times) with both > 0, "
                f"got shape {tr.shape}."
            )
        _check_finite(f"{name} data", tr, where=f" (trial {i})")
    return trials


def _check_grid(grid, n_trials, name):
    if grid.n_trials != n_trials:
        raise ConfigError(
            f"The window grid has {grid.n_trials} trials but the {name} modality has "
            f"{n_trials}; build the grid from this subject's trials."
        )


def _check_params(params, allowed, name):
    """``params`` as a dict, after checking every key is in ``allowed``."""
    params = {} if params is None else dict(params)
    for key in params:
        if key not in allowed:
            allowed_str = ", ".join(repr(a) for a in sorted(allowed))
            raise ConfigError(
                f"Unknown {name} parameter {key!r}. Allowed parameters are {allowed_str}."
                f"{_close_match_hint(key, sorted(allowed))}"
            )
    return params
