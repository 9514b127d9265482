"""Layer 2: pure array feature functions and the per-modality extractors.

EEG: :func:`differential_entropy`, :func:`band_power`, :func:`filter_bands`,
smoothing (:func:`moving_average`, :func:`lds`), mne-features bridge
(:func:`window_features`). EEG, EOG, GSR, peripheral, eye tracking and face
video each register an extractor in ``MODALITY_EXTRACTORS``, all called as
``extractor(modality, grid, params)`` on the window grid the modalities of a
subject share. Importing this package fills the registry from
``_EXTRACTOR_MODULES``.
"""

import importlib

from ._base import MODALITY_EXTRACTORS, Feature

#: the modules whose import registers the modality extractors
_EXTRACTOR_MODULES = ("eeg", "eog", "eye", "face", "gsr", "peripheral")


def _fill_extractors():
    """Import every extractor module; a failure names the module (never a silent skip)."""
    for name in _EXTRACTOR_MODULES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ImportError as exc:
            raise ImportError(
                f"Could not import {__name__}.{name}, which registers the {name!r} modality "
                f"extractor(s) in MODALITY_EXTRACTORS: {exc}. Install the missing package "
                f"or fix the module; emopipe.features does not start without it."
            ) from exc


_fill_extractors()

from ._windows import WindowGrid, sliding_windows, window_starts
from .bands import BAND_PRESETS, resolve_bands
from ._events import EventTable
from .eog import detect_blinks, detect_saccades, eog_window_features, pick_eog_pair
from .extract import ExtractConfig, extract_subject
from .eye import detect_eye_events, eye_window_features, pix_to_deg
from .face import crop_faces, detect_faces, openface_window_features, read_video_frames
from .filters import filter_bands
from .gsr import decompose_eda, detect_scrs, gsr_window_features, raw_windows, to_conductance
from .peripheral import detect_cycles, instantaneous_rate, rate_window_features
from .smoothing import CausalLDS, lds, moving_average
from .spectral import band_power, band_power_and_de, differential_entropy
from .univariate import UNIVARIATE_FEATURES, window_features

__all__ = [
    "BAND_PRESETS",
    "CausalLDS",
    "EventTable",
    "ExtractConfig",
    "Feature",
    "MODALITY_EXTRACTORS",
    "UNIVARIATE_FEATURES",
    "WindowGrid",
    "band_power",
    "band_power_and_de",
    "crop_faces",
    "decompose_eda",
    "detect_blinks",
    "detect_cycles",
    "detect_eye_events",
    "detect_faces",
    "detect_saccades",
    "detect_scrs",
    "differential_entropy",
    "eog_window_features",
    "extract_subject",
    "eye_window_features",
    "filter_bands",
    "gsr_window_features",
    "instantaneous_rate",
    "lds",
    "moving_average",
    "openface_window_features",
    "pick_eog_pair",
    "pix_to_deg",
    "rate_window_features",
    "raw_windows",
    "read_video_frames",
    "resolve_bands",
    "sliding_windows",
    "to_conductance",
    "window_features",
    "window_starts",
]
