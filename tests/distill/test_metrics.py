"""Metrics against hand values and independent implementations (sklearn, scipy)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.metrics import balanced_accuracy_score, f1_score, mean_squared_error

from emopipe.distill.metrics import (
    accuracy,
    average_overlapping,
    balanced_accuracy,
    ccc,
    classification_scores,
    f1_macro,
    paired_tests,
    pcc,
    regression_scores,
    rmse,
)


def test_classification_hand_values():
    y_true = np.array([0, 0, 0, 0, 1, 1])
    y_pred = np.array([0, 0, 0, 1, 1, 0])
    assert accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    # class 0: P = 3/4, R = 3/4 -> F1 3/4; class 1: P = 1/2, R = 1/2 -> F1 1/2
    assert f1_macro(y_true, y_pred) == pytest.approx((0.75 + 0.5) / 2)
    assert balanced_accuracy(y_true, y_pred) == pytest.approx((0.75 + 0.5) / 2)
    # a class never predicted scores F1 = 0
    assert f1_macro([0, 1, 1], [1, 1, 1]) == pytest.approx((0 + 0.8) / 2)


def test_classification_matches_sklearn(rng):
    for _ in range(5):
        y_true = rng.integers(0, 4, 200)
        y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, 4, 200))
        s = classification_scores(y_true, y_pred)
        assert s["accuracy"] == pytest.approx(np.mean(y_true == y_pred))
        assert s["f1_macro"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
        assert s["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))


def test_ccc_pcc_rmse_hand_and_numpy(rng):
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert ccc(x, x) == pytest.approx(1.0)
    assert ccc(x, -x + 5) == pytest.approx(-1.0)  # same mean and variance, reversed
    # y = x + 1: s_xy = var = 1.25, (mean difference)^2 = 1 -> 2.5 / 3.5
    assert ccc(x, x + 1) == pytest.approx(2.5 / 3.5)
    assert pcc(x, 2 * x + 3) == pytest.approx(1.0)
    assert rmse(x, x + 1) == pytest.approx(1.0)
    a = rng.standard_normal(300)
    b = 0.5 * a + rng.standard_normal(300) + 0.3
    cov = np.cov(a, b, bias=True)[0, 1]
    expected = 2 * cov / (a.var() + b.var() + (a.mean() - b.mean()) ** 2)
    assert ccc(a, b) == pytest.approx(expected, rel=1e-12)
    assert pcc(a, b) == pytest.approx(np.corrcoef(a, b)[0, 1], rel=1e-12)
    assert rmse(a, b) == pytest.approx(np.sqrt(mean_squared_error(a, b)), rel=1e-12)
    assert np.isnan(pcc(x, np.ones(4)))


def test_average_overlapping_windows_by_hand():
    # one trial, 2-s windows every 1 s: windows cover steps [0,2), [1,3), [2,4)
    values = np.array([1.0, 2.0, 4.0])
    avg, key = average_overlapping(values, trial=np.zeros(3, int), onset=[0.0, 1.0, 2.0],
                                   duration=[2.0, 2.0, 2.0])
    assert_allclose(avg, [1.0, 1.5, 3.0, 4.0])
    assert (key == 0).all()
    # two trials, windows out of order, step given
    avg, key = average_overlapping([5.0, 1.0, 3.0], trial=["b", "a", "a"], onset=[0, 0.5, 0],
                                   duration=[1, 1, 1], step=0.5)
    assert_allclose(avg, [3.0, 2.0, 1.0, 5.0, 5.0])
    assert key.tolist() == ["a", "a", "a", "b", "b"]


def test_regression_scores_average_before_scoring():
    y = np.array([1.0, 1.0, 1.0, 3.0, 3.0, 3.0])
    pred = np.array([0.0, 2.0, 1.0, 2.0, 4.0, 3.0])
    trial = np.array([0, 0, 0, 1, 1, 1])
    onset = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # three identical windows per trial
    dur = np.ones(6)
    s = regression_scores(y, pred, trial=trial, onset=onset, duration=dur)
    # averaged per step: predictions equal the targets exactly
    assert s["ccc"] == pytest.approx(1.0)
    assert s["rmse"] == pytest.approx(0.0)
    assert regression_scores(y, pred)["rmse"] == pytest.approx(np.sqrt(4 / 6))


def test_paired_tests_match_scipy(rng):
    a = rng.normal(0.7, 0.05, 12)
    b = a - rng.normal(0.03, 0.02, 12)
    res = paired_tests(a, b)
    t = stats.ttest_rel(a, b)
    w = stats.wilcoxon(a, b)
    assert res["n"] == 12
    assert res["mean_diff"] == pytest.approx(np.mean(a - b))
    assert res["t"] == pytest.approx(t.statistic)
    assert res["p_ttest"] == pytest.approx(t.pvalue)
    assert res["w"] == pytest.approx(w.statistic)
    assert res["p_wilcoxon"] == pytest.approx(w.pvalue)
    same = paired_tests(a, a)
    assert same["p_ttest"] == 1.0 and same["p_wilcoxon"] == 1.0
    assert np.isnan(paired_tests([0.5], [0.4])["p_ttest"])


def test_metric_errors():
    with pytest.raises(ValueError, match=r"y_true and y_pred must have the same shape "
                                         r"\(n_windows,\), got \(3,\) and \(2,\)"):
        accuracy([0, 1, 0], [0, 1])
    with pytest.raises(ValueError, match=r"paired scores must have the same shape"):
        paired_tests([1, 2], [1, 2, 3])
