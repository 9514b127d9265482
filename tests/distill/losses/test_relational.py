"""Relational losses (SP, RKD, PKT) against independently computed values."""

import numpy as np
from numpy.testing import assert_allclose

from _loss_data import _f, _t
from emopipe.distill.losses import PKTLoss, RKDLoss, SPLoss


# --------------------------------------------------------------------- relational
def _rotation(rng, d):
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    return q


def test_sp_invariance_and_value(rng):
    ft = rng.standard_normal((5, 4))
    fs = 3.0 * ft @ _rotation(rng, 4)
    assert _f(SPLoss()(_t(fs), _t(ft))) < 1e-20
    fs = rng.standard_normal((5, 6))
    g_s = fs @ fs.T
    g_t = ft @ ft.T
    g_s = g_s / np.linalg.norm(g_s, axis=1, keepdims=True)
    g_t = g_t / np.linalg.norm(g_t, axis=1, keepdims=True)
    want = np.sum((g_t - g_s) ** 2) / 25
    assert_allclose(_f(SPLoss()(_t(fs), _t(ft))), want, rtol=1e-10)


def test_rkd_invariance_and_value(rng):
    ft = rng.standard_normal((5, 3))
    fs = 2.5 * ft @ _rotation(rng, 3) + 7.0
    assert _f(RKDLoss()(_t(fs), _t(ft))) < 1e-12
    # distance term alone on three points, by hand: teacher triangle 3-4-5, student collinear
    ft = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]])
    fs = np.array([[0.0], [1.0], [2.0]])
    d_t = np.array([[0, 3, 4], [3, 0, 5], [4, 5, 0]]) / 4.0     # mean off-diagonal 4
    d_s = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0]]) / (4 / 3)  # mean off-diagonal 4/3
    diff = np.abs(d_s - d_t)
    huber = np.where(diff < 1, 0.5 * diff**2, diff - 0.5)
    got = RKDLoss(w_d=1.0, w_a=0.0)(_t(fs), _t(ft))
    assert_allclose(_f(got), huber.mean(), rtol=1e-7)
    # angle term: independent triple loop
    def cosines(e):
        out = np.zeros((3, 3, 3))
        for i in range(3):
            for j in range(3):
                for k in range(3):
                    a, b = e[j] - e[i], e[k] - e[i]
                    na, nb = np.linalg.norm(a), np.linalg.norm(b)
                    if na > 0 and nb > 0:
                        out[i, j, k] = a @ b / (na * nb)
        return out
    diff = np.abs(cosines(fs) - cosines(ft))
    huber = np.where(diff < 1, 0.5 * diff**2, diff - 0.5)
    got = RKDLoss(w_d=0.0, w_a=1.0)(_t(fs), _t(ft))
    assert_allclose(_f(got), huber.mean(), rtol=1e-7)


def test_pkt_zero_for_identical_and_value(rng):
    ft = rng.standard_normal((4, 3))
    assert abs(_f(PKTLoss()(_t(ft), _t(ft)))) < 1e-15
    assert abs(_f(PKTLoss()(_t(5 * ft), _t(ft)))) < 1e-6
    fs = rng.standard_normal((4, 6))

    def q(f):
        f = f / np.linalg.norm(f, axis=1, keepdims=True)
        c = (f @ f.T + 1) / 2
        return c / c.sum(axis=1, keepdims=True)

    qs, qt = q(fs), q(ft)
    want = np.mean(qt * np.log(qt / qs))
    assert_allclose(_f(PKTLoss(eps=0.0)(_t(fs), _t(ft))), want, rtol=1e-10)
