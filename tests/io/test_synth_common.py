import json

from emopipe.io.synth._common import write_ground_truth
from emopipe.io.synth._registry import load_writers


def test_write_ground_truth_writes_indent_one_json_and_returns_truth(tmp_path):
    truth = {"subjects": {"s01": [1, 2.5]}, "note": "é"}
    assert write_ground_truth(tmp_path, truth) is truth
    text = (tmp_path / "ground_truth.json").read_text(encoding="utf-8")
    assert text == json.dumps(truth, indent=1)
    assert json.loads(text) == truth


def test_writer_docstrings_are_filled():
    for name in load_writers().names():
        doc = load_writers().get(name).write.__doc__
        assert "%(" not in doc
        assert "    seed : int\n        Seed of the cohort.\n" in doc


def test_session_eeg_strengths_pools_every_trial_of_every_session():
    import numpy as np

    from emopipe.io.synth._common import session_eeg_strengths

    def trial(v, a, alpha, beta):
        return {"valence": v, "arousal": a, "alpha_asym_ln_power": alpha,
                "beta_gamma_ln_power": beta}

    subjects = {"1": {"1": {"trials": [trial(1, 3, 2, -1), trial(2, 1, 4, 1)]},
                      "2": {"trials": [trial(3, 2, 6, 0)]}},
                "2": {"1": {"trials": [trial(4, 5, 8, 2)]}}}
    got = session_eeg_strengths(subjects)
    assert list(got) == ["alpha_asymmetry_vs_valence", "beta_gamma_vs_arousal"]
    assert abs(got["alpha_asymmetry_vs_valence"] - 1.0) < 1e-12  # alpha = 2 * valence
    expected = np.corrcoef([-1, 1, 0, 2], [3, 1, 2, 5])[0, 1]
    assert abs(got["beta_gamma_vs_arousal"] - expected) < 1e-12
