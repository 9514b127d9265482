"""One small synthetic BIDS cohort shared by tests/io/test_bids.py and test_synth_bids.py."""

import shutil

from emopipe.io.synth.bids import write_bids_synth

N_SUBJECTS, N_TRIALS, SEED = 3, 4, 5
#: the extract-config fields that read the synthetic cohort
CONFIG = {"bids_label_columns": ["valence", "arousal"], "bids_trial_type": "stimulus",
          "bids_label_scale": [1, 9]}
_CACHE = {}


def bids_cohort(tmp_path_factory):
    """Write (once per session) sub-01 ... sub-03, 4 trials each, scenario kd."""
    if "root" not in _CACHE:
        root = tmp_path_factory.mktemp("bids_synth") / "root"
        _CACHE["truth"] = write_bids_synth(root, n_subjects=N_SUBJECTS, n_trials=N_TRIALS,
                                           seed=SEED, scenario="kd")
        _CACHE["root"] = root
    return _CACHE["root"], _CACHE["truth"]


def bids_copy(tmp_path_factory, tmp_path, subjects=("01",)):
    """A copy of the cohort with only ``subjects``, for tests that damage files."""
    root, truth = bids_cohort(tmp_path_factory)
    dst = tmp_path / "bids"
    shutil.copytree(root, dst, ignore=lambda d, names: [
        n for n in names if d == str(root) and n.startswith("sub-") and n[4:] not in subjects])
    return dst, truth
