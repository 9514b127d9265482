"""Cohort assembly from the cache and from arrays; fold-fitted standardisation."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.cache import write_features
from emopipe.distill.data import (
    CohortData,
    FoldScaler,
    cohort_from_subjects,
    load_cohort,
    parse_spec,
)
from emopipe.features._base import Feature


def _write_subject(path, subject, n_trials=3, n_win=4, *, eog=True, eeg_windows=None, seed=0):
    rng = np.random.default_rng(seed)
    n = n_trials * n_win
    trial = np.repeat(np.arange(1, n_trials + 1), n_win)
    windows = {"trial": trial, "onset": np.tile(np.arange(n_win, dtype=float), n_trials),
               "duration": np.ones(n)}
    ratings = np.repeat(rng.uniform(1, 9, n_trials), n_win)
    labels = {"valence": ratings, "valence_class": (ratings > 5).astype(np.int64)}
    mods = {"eeg": {"de": Feature(rng.standard_normal((n, 2, 5)), ("window", "channel", "band"),
                                  {"unit": "nat"}),
                    "psd": Feature(rng.standard_normal((n, 2, 5)), ("window", "channel", "band"),
                                   {"unit": "V^2"})}}
    if eog:
        mods["eog"] = {"raw": Feature(rng.standard_normal((n, 2, 16)), ("window", "channel", "time"),
                                      {"unit": "V", "sfreq": 16.0})}
    write_features(path / f"{subject}.h5", dataset="deap", subject=subject, windows=windows,
                   labels=labels, modalities=mods, config={"a": 1}, config_hash="h0",
                   missing=None if eog else {"eog": "not recorded"})
    return mods, labels


def test_parse_spec():
    assert [s.key for s in parse_spec("eeg")] == ["eeg"]
    assert [(s.modality, s.feature) for s in parse_spec("eeg:de+eog:raw")] == [
        ("eeg", "de"), ("eog", "raw")]
    with pytest.raises(ValueError, match=r"Invalid modality spec part 'eeg:' in 'eeg:\+eog'"):
        parse_spec("eeg:+eog")


def test_load_cohort_concatenates_sorted_subjects(tmp_path):
    m2, l2 = _write_subject(tmp_path, "s02", seed=2)
    m1, l1 = _write_subject(tmp_path, "s01", seed=1)
    c = load_cohort(tmp_path, ["eeg", "eog:raw"])
    assert sorted(c.features) == ["eeg:de", "eog:raw"]  # 'eeg' alone -> default 'de'
    assert c.subject.tolist() == ["s01"] * 12 + ["s02"] * 12
    assert_allclose(c.features["eeg:de"], np.concatenate([m1["eeg"]["de"].data,
                                                          m2["eeg"]["de"].data]), rtol=1e-6)
    assert c.features["eog:raw"].shape == (24, 2, 16)
    assert c.is_raw("eog:raw") and not c.is_raw("eeg:de")
    assert c.window.tolist() == list(range(12)) * 2
    y, classes = c.target("valence")
    assert_allclose(classes[y], np.concatenate([l1["valence_class"], l2["valence_class"]]))
    r, _ = c.target("valence", kind="continuous")
    assert_allclose(r, np.concatenate([l1["valence"], l2["valence"]]))
    assert c.resolve("eeg+eog") == ["eeg:de", "eog:raw"]


def test_features_pseudo_feature_concatenates_non_raw_features(tmp_path):
    mods, _ = _write_subject(tmp_path, "s01")
    c = load_cohort(tmp_path, ["eeg:features", "eog"])
    assert c.resolve("eog") == ["eog:raw"]  # only raw windows: the modality alone means them
    expected = np.concatenate([mods["eeg"]["de"].data.reshape(12, -1),
                               mods["eeg"]["psd"].data.reshape(12, -1)], axis=1)
    assert_allclose(c.features["eeg:features"], expected, rtol=1e-6)
    assert c.dims["eeg:features"] == ("window", "feature")
    with pytest.raises(KeyError, match=r"spec 'eog:features' asks for the eog feature vector, but eog "
                                       r"holds only raw windows \('raw'\)\. Use 'eog:raw'"):
        load_cohort(tmp_path, ["eog:features"])


def test_missing_modality_names_the_file_and_what_exists(tmp_path):
    _write_subject(tmp_path, "s01")
    _write_subject(tmp_path, "s02", eog=False)
    with pytest.raises(KeyError, match=r"s02\.h5: modality 'eog' \(from spec 'eog'\) is not in "
                                       r"the cache \(not recorded\)\. Available modalities: 'eeg'"):
        load_cohort(tmp_path, ["eeg", "eog"])
    with pytest.raises(KeyError, match=r"feature eeg/band_power .* Available eeg features: "
                                       r"'de', 'psd'"):
        load_cohort(tmp_path, ["eeg:band_power"])
    # what the file holds, not only what this call loaded
    with pytest.raises(KeyError, match=r"s01\.h5: modality 'gaze' \(from spec 'gaze'\) is not "
                                       r"in the cache\. Available modalities: 'eeg', 'eog'\."):
        load_cohort(tmp_path, ["eeg", "gaze"])


def test_mismatched_window_counts_are_refused(tmp_path):
    from emopipe.cache import read_cohort

    _write_subject(tmp_path, "s01")
    subjects = read_cohort(tmp_path)
    feat = subjects[0].modalities["eog"]["raw"]
    subjects[0].modalities["eog"]["raw"] = Feature(feat.data[:-1], feat.dims, feat.attrs)
    with pytest.raises(ValueError, match=r"s01\.h5: eog:raw has 11 windows but the subject's "
                                         r"window index has 12 \(mismatched window counts"):
        cohort_from_subjects(subjects, ["eog:raw"])
    with pytest.raises(ValueError, match=r"features\['eog'\] has 3 windows but subject has 4"):
        CohortData.from_arrays({"eeg": np.zeros((4, 2)), "eog": np.zeros((3, 2))},
                               subject=["a"] * 4, trial=[1, 1, 2, 2], labels={})


def test_from_arrays_defaults():
    c = CohortData.from_arrays({"eeg": np.zeros((6, 3))}, subject=["b", "b", "b", "a", "a", "a"],
                               trial=[1, 1, 2, 1, 2, 2], labels={"valence_class": np.arange(6)})
    assert list(c.features) == ["eeg:de"]
    assert c.window.tolist() == [0, 1, 2, 0, 1, 2]
    assert c.onset.tolist() == [0, 1, 0, 0, 0, 1]
    with pytest.raises(KeyError, match=r"Target 'arousal' needs label 'arousal_class'.*"
                                       r"Available labels: 'valence_class'"):
        c.target("arousal")


def test_fold_scaler_uses_training_windows_only(rng):
    X = rng.normal(5.0, 2.0, (100, 3, 4))
    train = np.arange(60)
    sc = FoldScaler("pooled").fit(X[train])
    Xt = sc.transform(X)
    assert_allclose(Xt[train].mean(0), 0, atol=1e-5)
    assert_allclose(Xt[train].std(0), 1, atol=1e-5)
    # test windows are transformed with the training statistics, not their own
    assert_allclose(Xt[60:], (X[60:] - X[train].mean(0)) / X[train].std(0), rtol=1e-4, atol=1e-5)
    # raw windows: one statistic per channel over windows and time
    sc = FoldScaler("pooled", time_axis=True).fit(X[train])
    assert sc.mean_.shape == (3, 1)
    assert_allclose(sc.mean_[:, 0], X[train].mean(axis=(0, 2)), rtol=1e-5)


def test_fold_scaler_per_subject_falls_back_to_pooled_for_unseen_subjects(rng):
    subject = np.repeat(["a", "b", "c"], 20)
    X = rng.standard_normal((60, 2)) + np.repeat([[0.0], [10.0], [-10.0]], 20, axis=0)
    fit = subject != "c"
    sc = FoldScaler("per_subject").fit(X[fit], subject=subject[fit])
    Xt = sc.transform(X, subject=subject)
    for s in ("a", "b"):
        assert_allclose(Xt[subject == s].mean(0), 0, atol=1e-5)
    pooled = (X[subject == "c"] - X[fit].mean(0)) / X[fit].std(0)
    assert_allclose(Xt[subject == "c"], pooled, rtol=1e-4, atol=1e-5)
    assert_allclose(FoldScaler("none").transform(X), X.astype(np.float32))
    with pytest.raises(ValueError, match=r"Invalid value for the 'scope' parameter.*"
                                         r"Did you mean 'pooled'"):
        FoldScaler("pooed")


def test_load_cohort_keeps_the_sampling_frequency_of_raw_windows(tmp_path):
    _write_subject(tmp_path, "s01", seed=1)
    c = load_cohort(tmp_path, ["eeg", "eog:raw"])
    assert c.sfreq == {"eog:raw": 16.0}  # band features have no sfreq attribute
    assert c.dims["eog:raw"] == ("window", "channel", "time")
