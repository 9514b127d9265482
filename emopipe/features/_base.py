"""The container every feature function's extractor returns."""

from dataclasses import dataclass, field

import numpy as np


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
            raise ValueError(f"Feature dims must start with 'window', got {self.dims!r}.")
        if np.ndim(self.data) != len(self.dims):
            raise ValueError(
                f"Feature data has {np.ndim(self.data)} axes, shape {np.shape(self.data)}, "
                f"but dims names {len(self.dims)}: {self.dims!r}."
            )


from ..utils._registry import Registry  # noqa: E402

#: modality name -> extractor ``fn(modality, grid, params) -> dict[str, Feature]``
#: where ``modality`` is an :class:`emopipe.io._types.Modality`, ``grid`` a
#: :class:`emopipe.features._windows.WindowGrid` and ``params`` a dict of the
#: modality's options from ``ExtractConfig.modality_params[name]``.
MODALITY_EXTRACTORS = Registry("Modality extractor", "modality extractors")
