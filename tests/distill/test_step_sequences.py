"""Step sequences: a window as the windows of its trial ending at it (``'eeg:band_power@13'``)."""

import numpy as np
import pytest
import torch

from emopipe.distill._build import cohort_inputs, plan_model
from emopipe.distill.data import CohortData, InputSpec, parse_spec, step_sequences
from emopipe.distill.run_folder import _data_hash
from emopipe.utils._errors import ConfigError


def test_step_sequences_take_the_trial_windows_ending_at_each_window():
    # two trials of subject a (rows out of onset order) and one of b; X holds the row number
    subject = np.array(["a", "a", "a", "b", "a", "b", "a"])
    trial = np.array([1, 1, 2, 1, 1, 1, 2])
    onset = np.array([0.0, 0.5, 0.0, 0.0, 0.25, 0.25, 0.25])
    X = np.arange(7.0)[:, None] * np.ones((1, 2))  # (n_windows, 2)
    seq = step_sequences(X, subject, trial, onset, n_steps=3)
    assert seq.shape == (7, 3, 2)
    # a/1 in onset order: rows 0, 4, 1; a/2: rows 2, 6; b/1: rows 3, 5
    expected = {0: [0, 0, 0], 4: [0, 0, 4], 1: [0, 4, 1], 2: [2, 2, 2], 6: [2, 2, 6],
                3: [3, 3, 3], 5: [3, 3, 5]}
    for row, steps in expected.items():
        assert seq[row, :, 0].tolist() == steps
        assert seq[row, :, 1].tolist() == steps
    assert step_sequences(X, subject, trial, onset, n_steps=1)[:, 0].tolist() == X.tolist()


def test_spec_with_steps_parses_and_bad_counts_are_refused():
    assert parse_spec("eeg:band_power@13") == [InputSpec("eeg", "band_power", 13)]
    assert parse_spec("eeg@4+face:frames")[0].key == "eeg@4"
    assert parse_spec("eeg:de") == [InputSpec("eeg", "de")]
    for bad in ("eeg:band_power@", "eeg:band_power@0", "eeg:band_power@x"):
        with pytest.raises(ConfigError, match=r"'@' must be followed by the number of steps"):
            parse_spec(bad)


def _cohort(rng):
    n_trials, n_win = 3, 5
    subject = np.repeat(["s1", "s2"], n_trials * n_win)
    trial = np.tile(np.repeat([1, 2, 3], n_win), 2)
    bp = rng.standard_normal((len(subject), 4, 6))
    return CohortData.from_arrays({"eeg:band_power": bp, "face:frames": rng.random(
        (len(subject), 4, 8, 8))}, subject=subject, trial=trial,
        labels={"valence_continuous": rng.standard_normal(len(subject))},
        dims={"eeg:band_power": ("window", "channel", "band"),
              "face:frames": ("window", "time", "height", "width")},
        meta={"eeg:band_power": {"unit": "V^2"}})


def test_cohort_resolves_step_specs_and_sizes_the_window_tcn(rng):
    c = _cohort(rng)
    before = _data_hash(c)
    assert c.resolve("eeg:band_power@3") == ["eeg:band_power@3"]
    X = c.features["eeg:band_power@3"]
    assert X.shape == (30, 3, 4, 6) and X.dtype == np.float32
    assert c.dims["eeg:band_power@3"] == ("window", "step", "channel", "band")
    assert c.meta["eeg:band_power@3"] == {"unit": "V^2"}
    base = c.features["eeg:band_power"]
    assert np.array_equal(X[:, -1], base)  # the window itself is the last step
    assert np.array_equal(X[7, 0], base[5]) and np.array_equal(X[5, 0], base[5])  # trial start
    assert _data_hash(c) == before  # derived from the hashed features: not hashed twice
    plan = plan_model("tcn_window_regressor", cohort_inputs(c, ["eeg:band_power@3"]), 1)
    assert (plan.kwargs["n_channels"], plan.kwargs["n_features"], plan.shapes) == (
        4, 6, ((3, 4, 6),))
    model = plan.build()
    out, feat = model(torch.from_numpy(X[:2]))
    assert out.shape == (2, 1) and feat.shape == (2, 128)
    with pytest.raises(ConfigError, match=r"step sequences are built from feature vectors of "
                                          r"one window, but face:frames has dims"):
        c.resolve("face:frames@3")
    with pytest.raises(ConfigError, match=r"features key 'eeg:band_power@3': give the feature "
                                          r"of one window"):
        CohortData.from_arrays({"eeg:band_power@3": X}, subject=c.subject, trial=c.trial,
                               labels={})


def test_window_tcn_last_step_is_the_sequence_tcn_at_that_step():
    from emopipe.models import build_model

    torch.manual_seed(0)
    model = build_model("tcn_window_regressor", n_channels=2, n_features=3, n_steps=13).eval()
    x = torch.randn(4, 20, 2, 3)
    with torch.no_grad():
        seq_out, _ = super(type(model), model)._run(x.flatten(2))  # (4, 20, 1) per step
        # a window carrying the 13 steps ending at step 16 predicts the sequence's step 16
        out, feat = model(x[:, 4:17])
    assert torch.allclose(out, seq_out[:, 16], atol=1e-6)
    assert feat.shape == (4, 128)
