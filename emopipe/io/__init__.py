"""Layer 1: dataset readers returning typed modalities in SI units.

Readers never unpickle with :func:`pickle.load`; pickled dataset files go
through the restricted unpickler :func:`load_pickle`.
"""

from ._deap_ratings import read_participant_ratings
from ._manifest import load_manifest
from ._mne import eog_role, infer_channel_types, typed_modalities
from ._pickle import load_pickle
from ._registry import DATASETS, load_datasets
from ._types import Modality, PrecomputedFeature, SubjectRecording
from ._video import read_video_frames

load_datasets()  # every dataset module registers its class; a failure names the module

from .bids import BIDS, read_bids_recording, read_events, read_physio  # noqa: E402
from .deap import (  # noqa: E402
    DEAP,
    binarize_labels,
    read_deap_matlab,
    read_deap_preprocessed,
    read_deap_raw,
)
from .eyetracking import (  # noqa: E402
    GazeRecording,
    gaze_modality,
    read_eyelink_asc,
    read_eyelink_edf,
    read_tobii_tsv,
)
from .mahnob import MAHNOB, read_continuous_labels, read_mahnob_bdf, read_session_xml  # noqa: E402
from .openface import read_openface_csv  # noqa: E402
from .seed import (  # noqa: E402
    SEED,
    read_seed_features,
    read_seed_label,
    read_seed_multimodal_de,
    read_seed_multimodal_eye,
    read_seed_preprocessed,
)
from .seed_iv import (  # noqa: E402
    SEEDIV,
    read_seed_iv_eeg_features,
    read_seed_iv_eye_features,
    read_seed_iv_eye_raw,
    read_seed_iv_raw,
)
from .seed_v import SEEDV, read_seed_v_features  # noqa: E402

__all__ = [
    "BIDS",
    "DATASETS",
    "DEAP",
    "MAHNOB",
    "SEED",
    "SEEDV",
    "GazeRecording",
    "Modality",
    "PrecomputedFeature",
    "SEEDIV",
    "SubjectRecording",
    "binarize_labels",
    "eog_role",
    "gaze_modality",
    "infer_channel_types",
    "load_manifest",
    "load_pickle",
    "read_bids_recording",
    "read_deap_matlab",
    "read_deap_preprocessed",
    "read_deap_raw",
    "read_eyelink_asc",
    "read_events",
    "read_eyelink_edf",
    "read_continuous_labels",
    "read_mahnob_bdf",
    "read_session_xml",
    "read_openface_csv",
    "read_participant_ratings",
    "read_physio",
    "read_seed_features",
    "read_seed_iv_eeg_features",
    "read_seed_iv_eye_features",
    "read_seed_iv_eye_raw",
    "read_seed_iv_raw",
    "read_seed_label",
    "read_seed_multimodal_de",
    "read_seed_multimodal_eye",
    "read_seed_preprocessed",
    "read_seed_v_features",
    "read_tobii_tsv",
    "read_video_frames",
    "typed_modalities",
]
