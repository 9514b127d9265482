"""Format-faithful synthetic datasets with planted, documented effects."""

from ._cohort import SCENARIOS, Scenario, get_scenario
from .deap import write_deap_synth
from .eye import SynthGaze, synth_gaze, write_eyelink_asc, write_tobii_tsv
from .face import sample_face, write_face_video, write_openface_csv
from .seed_iv import write_seed_iv_synth

__all__ = [
    "SCENARIOS",
    "Scenario",
    "SynthGaze",
    "get_scenario",
    "sample_face",
    "synth_gaze",
    "write_deap_synth",
    "write_eyelink_asc",
    "write_face_video",
    "write_openface_csv",
    "write_seed_iv_synth",
    "write_tobii_tsv",
]
