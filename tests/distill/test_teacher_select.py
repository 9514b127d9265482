"""``teacher_select_k``: teacher columns chosen on the fold's training windows only."""

import json

import numpy as np
import pytest

from emopipe.distill.data import CohortData, select_columns
from emopipe.distill.run_folder import _settings_hash
from emopipe.distill.train import DistillConfig, run_distill
from emopipe.utils._errors import ConfigError
from emopipe.utils.config import config_hash, config_to_dict


def test_f_score_and_correlation_by_hand():
    # column 0 = [0, 1, 2, 3], classes [0, 0, 1, 1]: class means 0.5, 2.5, grand mean 1.5;
    # between = 2 * 1 + 2 * 1 = 4 (df 1), within = 4 * 0.25 = 1 (df 2): F = 4 / 0.5 = 8.
    # column 1 constant: 0. column 2 = [1, 0, 1, 0]: class means equal, F = 0.
    X = np.array([[0, 5, 1], [1, 5, 0], [2, 5, 1], [3, 5, 0]], float)
    idx, score = select_columns(X, np.array([0, 0, 1, 1]), 1)
    np.testing.assert_allclose(score, [8.0, 0.0, 0.0])
    np.testing.assert_array_equal(idx, [0])
    # ties broken by the lower index: columns 1 and 2 both score 0
    np.testing.assert_array_equal(select_columns(X, np.array([0, 0, 1, 1]), 3)[0], [0, 1, 2])
    # continuous: |r| of [0, 1, 2, 3] with [3, 2, 1, 0] is 1; of [1, 0, 1, 0] with it 0.4472
    idx, score = select_columns(X, np.array([3.0, 2.0, 1.0, 0.0]), 2, kind="continuous")
    np.testing.assert_allclose(score, [1.0, 0.0, np.sqrt(0.2)])
    np.testing.assert_array_equal(idx, [0, 2])
    with pytest.raises(ConfigError, match=r"^teacher_select_k=4 must lie in \[1, 3\] \(the "
                                          r"teacher inputs have 3 columns\)\. Pick a smaller "
                                          r"teacher_select_k\.$"):
        select_columns(X, np.array([0, 0, 1, 1]), 4)


def test_planted_columns_recovered_exactly():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    X = rng.standard_normal((400, 30))
    for col, shift in ((17, 2.0), (3, 1.2), (25, 0.8)):  # planted, strongest first
        X[:, col] += shift * y
    idx, _ = select_columns(X, y, 3)
    np.testing.assert_array_equal(idx, [17, 3, 25])


def _cohort(seed, n_sub=4, n_trials=10, n_win=3, meta=None):
    """EEG de (3 channels x 2 bands = flat columns 0-5) + EOG (flat 6-9); label in flat 4 and 7."""
    rng = np.random.default_rng(seed)
    n = n_sub * n_trials * n_win
    subject = np.repeat([f"s{i}" for i in range(n_sub)], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(1, n_trials + 1), n_win), n_sub)
    y = np.repeat(rng.integers(0, 2, n_sub * n_trials), n_win)
    eeg = rng.standard_normal((n, 3, 2))
    eeg[:, 2, 0] += 3.0 * y  # flat column 2 * 2 + 0 = 4
    eog = rng.standard_normal((n, 4))
    eog[:, 1] += 2.0 * y  # flat column 6 + 1 = 7
    return CohortData.from_arrays({"eeg:de": eeg, "eog:features": eog}, subject=subject,
                                  trial=trial, labels={"arousal_class": y}, meta=meta)


def _run(cohort, out):
    run_distill(DistillConfig(teacher="eeg:de+eog:features", student="eog:features",
                              method="hinton_kd", protocol="loso", target="arousal", seed=0,
                              epochs=1, batch_size=32, n_threads=1, max_folds=1, out=str(out),
                              save_checkpoints=False, save_teacher_cache=False,
                              teacher_select_k=2), cohort=cohort)
    (pred,) = (out / "predictions").glob("*.json")
    (model,) = (out / "models").glob("*.json")
    test_idx = np.load(pred.with_suffix(".npz"))["test_idx"]
    return (json.loads(pred.read_text())["teacher"]["select"],
            json.loads(model.read_text())["models"]["teacher"]["select_columns"], test_idx)


def test_selection_is_recorded_and_never_sees_the_test_fold(tmp_path):
    cohort = _cohort(0)
    sel, cols, test_idx = _run(cohort, tmp_path / "a")
    assert sel["columns"] == [4, 7] and cols == [4, 7]
    assert sel["names"] == ["eeg:de[4]", "eog:features[1]"]
    # the test subject's teacher features and labels replaced: bit-identical selection
    other = _cohort(0)
    rng = np.random.default_rng(1)
    for key in ("eeg:de", "eog:features"):
        x = other.features[key]
        x[test_idx] = 100.0 * rng.standard_normal(x[test_idx].shape)
        y_test = other.labels["arousal_class"][test_idx].astype(float)
        # a column that reads the label perfectly, on the test fold only
        x[test_idx, 0] = 50.0 * y_test.reshape((-1,) + (1,) * (x.ndim - 2))
    other.labels["arousal_class"][test_idx] = 1 - other.labels["arousal_class"][test_idx]
    sel2, cols2, test_idx2 = _run(other, tmp_path / "b")
    np.testing.assert_array_equal(test_idx2, test_idx)
    assert sel2 == sel and cols2 == cols


def test_default_keeps_older_run_hashes_and_the_option_changes_it():
    cfg = DistillConfig(method="hinton_kd")
    d = config_to_dict(cfg)
    for k in ("out", "device", "resume", "max_folds", "cache", "teacher_select_k",
              "teacher_centre"):
        d.pop(k, None)
    assert _settings_hash(cfg) == config_hash(d)
    assert _settings_hash(DistillConfig(method="hinton_kd", teacher_select_k=10)) != \
        _settings_hash(cfg)


def test_errors():
    with pytest.raises(ConfigError, match=r"^teacher_select_k=3 selects teacher inputs, but "
                                          r"method 'none' has no teacher\. Drop "
                                          r"teacher_select_k or pick a method with a teacher "
                                          r"\(e\.g\. 'hinton_kd'\)\.$"):
        DistillConfig(method="none", teacher_select_k=3)
    with pytest.raises(ConfigError, match=r"^teacher_select_k=11: it selects columns of feature "
                                          r"teacher inputs and must lie in \[1, 10\] \(the "
                                          r"teacher 'eeg:de\+eog:features' has 10 columns\)\. "
                                          r"Pick a K in that range over feature inputs, or drop "
                                          r"teacher_select_k\.$"):
        run_distill(DistillConfig(teacher="eeg:de+eog:features", student="eog:features",
                                  method="hinton_kd", target="arousal", epochs=1,
                                  teacher_select_k=11), cohort=_cohort(0))


def test_run_reader_reproduces_the_selected_teacher(tmp_path):
    from emopipe.distill.run_reader import load_run

    cohort = _cohort(0)
    out = tmp_path / "r"
    run_distill(DistillConfig(teacher="eeg:de+eog:features", student="eog:features",
                              method="hinton_kd", protocol="loso", target="arousal", seed=0,
                              epochs=1, batch_size=32, n_threads=1, max_folds=1, out=str(out),
                              save_teacher_cache=False, teacher_select_k=2), cohort=cohort)
    (pred,) = (out / "predictions").glob("*.npz")
    stored = np.load(pred)
    fold = load_run(out).folds[0]
    te = stored["test_idx"]
    got = fold.predict("teacher", {k: v[te] for k, v in cohort.features.items()},
                       subject=cohort.subject[te])
    np.testing.assert_allclose(got, stored["teacher"], rtol=0, atol=1e-6)


def test_columns_named_by_channel_and_band(tmp_path):
    meta = {"eeg:de": {"ch_names": ["Cz", "C3", "T8"], "band_names": ["beta", "gamma"]}}
    sel, cols, _ = _run(_cohort(0, meta=meta), tmp_path / "m")
    assert cols == [4, 7] and sel["names"] == ["eeg:de[T8,beta]", "eog:features[1]"]
