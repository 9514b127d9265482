"""One small synthetic DEAP cohort shared by tests/io/test_deap.py and test_synth_deap.py."""

import json

from emopipe.io.synth.deap import write_deap_synth

N_TRIALS = 6
RAW_TRIALS = 2
_CACHE = {}


def deap_cohort(tmp_path_factory):
    """Write (once per session) s01 (Twente) and s23 (Geneva), 6 trials, 2 raw trials."""
    if "root" not in _CACHE:
        root = tmp_path_factory.mktemp("deap_synth")
        truth = write_deap_synth(root, n_subjects=2, n_trials=N_TRIALS, seed=9, raw=True,
                                 raw_trials=RAW_TRIALS, matlab=True)
        _CACHE["root"] = root
        _CACHE["truth"] = truth
        assert json.loads((root / "ground_truth.json").read_text()) == json.loads(
            json.dumps(truth))
    return _CACHE["root"], _CACHE["truth"]
