"""Layer 1: dataset readers returning typed modalities in SI units.

Readers never unpickle with :func:`pickle.load`; pickled dataset files go
through the restricted unpickler :func:`load_pickle`.
"""

from ._manifest import load_manifest
from ._pickle import load_pickle
from ._registry import DATASETS
from ._types import Modality, SubjectRecording
from .deap import (
    DEAP,
    binarize_labels,
    read_deap_matlab,
    read_deap_preprocessed,
    read_deap_raw,
    read_participant_ratings,
)

__all__ = [
    "DATASETS",
    "DEAP",
    "Modality",
    "SubjectRecording",
    "binarize_labels",
    "load_manifest",
    "load_pickle",
    "read_deap_matlab",
    "read_deap_preprocessed",
    "read_deap_raw",
    "read_participant_ratings",
]
