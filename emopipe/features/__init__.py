"""Layer 2: pure array feature functions and the per-modality extractors.

EEG: :func:`differential_entropy`, :func:`band_power`, :func:`filter_bands`,
smoothing (:func:`moving_average`, :func:`lds`), mne-features bridge
(:func:`window_features`). EOG, GSR, peripheral, eye tracking and face video
each register an extractor in ``MODALITY_EXTRACTORS`` that works on the
window grid shared with EEG.
"""

from . import eog, eye, face, gsr, peripheral  # noqa: F401  (register extractors)
from ._base import MODALITY_EXTRACTORS, Feature
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
