"""Task losses (CE, CCC, MCC) against hand-computed values."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from _loss_data import Y, Z_S, _f, _softmax, _t
from emopipe.distill.losses import CCCLoss, CELoss, MCCLoss


# --------------------------------------------------------------------- CE
def test_ce_matches_numpy():
    want = -np.mean(np.log(_softmax(Z_S)[np.arange(2), Y]))
    got = CELoss()(_t(Z_S), torch.tensor(Y))
    assert_allclose(_f(got), want, rtol=1e-12)


# --------------------------------------------------------------------- CCC
def test_ccc_perfect_agreement_is_zero(rng):
    y = _t(rng.standard_normal((3, 20)))
    assert abs(_f(CCCLoss()(y, y.clone()))) < 1e-7


def test_ccc_known_value():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    y = np.array([2.0, 2.0, 4.0, 5.0])
    # population moments by hand: xbar 2.5, ybar 3.25, s_x^2 1.25, s_y^2 1.6875,
    # s_xy = (-1.5*-1.25 + -0.5*-1.25 + 0.5*0.75 + 1.5*1.75) / 4 = 1.375
    ccc = 2 * 1.375 / (1.25 + 1.6875 + 0.75**2)
    got = CCCLoss(eps=0.0)(_t(x[None]), _t(y[None]))
    assert_allclose(_f(got), 1 - ccc, rtol=1e-12)
    # batch mean over sequences
    got2 = CCCLoss(eps=0.0)(_t(np.stack([x, x])), _t(np.stack([y, x])))
    assert_allclose(_f(got2), (1 - ccc + 0) / 2, rtol=1e-12, atol=1e-15)


def test_ccc_v2e_estimator_factor(rng):
    n = 10
    x = rng.standard_normal(n)
    y = 0.5 * x + rng.standard_normal(n)
    y = y - y.mean() + x.mean()  # equal means: v2e CCC = (n - 1) / n * population CCC
    pop = 1 - _f(CCCLoss(eps=0.0)(_t(x), _t(y)))
    v2e = 1 - _f(CCCLoss(estimator="v2e", eps=0.0)(_t(x), _t(y)))
    assert_allclose(v2e, (n - 1) / n * pop, rtol=1e-10)
    # perfect prediction: the v2e loss is 1/n, not 0
    assert_allclose(_f(CCCLoss(estimator="v2e", eps=0.0)(_t(x), _t(x))), 1 / n, rtol=1e-10)
    with pytest.raises(ValueError, match=r"'estimator' parameter.*'population', 'v2e', but "
                                         r"got 'v2' instead\. Did you mean 'v2e'\?"):
        CCCLoss(estimator="v2")


# --------------------------------------------------------------------- MCC
def test_mcc_uniform_predictions_hand_value():
    # every row uniform: C is constant, each normalised row is 1/K, loss = (K - 1) / K
    for k in (2, 3, 5):
        assert_allclose(_f(MCCLoss(k)(torch.zeros(7, k, dtype=torch.float64))), (k - 1) / k,
                        rtol=1e-12)


def test_mcc_hand_confusion_matrix():
    # logits chosen so that softmax(z / 2.5) = P exactly
    p = np.array([[0.8, 0.2], [0.2, 0.8], [0.5, 0.5]])
    z = 2.5 * np.log(p)
    h = -np.sum(p * np.log(p + 1e-5), axis=1)
    w = 1 + np.exp(-h)
    w = 3 * w / w.sum()  # actual batch size 3
    # C by hand, entry by entry
    c = np.zeros((2, 2))
    for j in range(2):
        for k in range(2):
            c[j, k] = sum(w[i] * p[i, j] * p[i, k] for i in range(3))
    c_tilde = c / c.sum(axis=1, keepdims=True)
    want = (c_tilde[0, 1] + c_tilde[1, 0]) / 2
    assert_allclose(_f(MCCLoss(2)(_t(z))), want, rtol=1e-10)
    # confident, diverse predictions: little confusion
    assert _f(MCCLoss(2)(_t([[20.0, -20.0], [-20.0, 20.0]]))) < 1e-5
    with pytest.raises(ValueError, match=r"z must have shape \(batch, n_classes\) = \(batch, 3\)"
                                         r", got shape \(3, 2\)"):
        MCCLoss(3)(_t(z))
