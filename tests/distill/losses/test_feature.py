"""Feature losses (hint, L1 feature, NST, attention) against hand-computed values."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from _loss_data import _f, _t
from emopipe.distill.losses import AttentionLoss, HintLoss, L1FeatureLoss, NSTLoss


# --------------------------------------------------------------------- hint / L1
def test_hint_projector_sizes_and_errors():
    loss = HintLoss(5, 7)
    assert isinstance(loss.projector, torch.nn.Linear)
    assert tuple(loss.projector.weight.shape) == (7, 5)
    assert isinstance(HintLoss(6, 6).projector, torch.nn.Identity)
    assert isinstance(HintLoss(6, 6, projector=False).projector, torch.nn.Identity)
    with pytest.raises(ValueError, match=r"student features of shape \(batch, s_dim\) = "
                                         r"\(batch, 5\) .* teacher features of shape "
                                         r"\(batch, t_dim\) = \(batch, 7\) without a projector"):
        HintLoss(5, 7, projector=False)
    with pytest.raises(ValueError, match=r"got f_s shape \(3, 4\) and f_t shape \(3, 7\)"):
        loss(torch.zeros(3, 4), torch.zeros(3, 7))


def test_hint_value(rng):
    fs, ft = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    assert_allclose(_f(HintLoss(3, 3)(_t(fs), _t(ft))), np.mean((fs - ft) ** 2), rtol=1e-12)
    loss = HintLoss(3, 2).double()
    with torch.no_grad():
        loss.projector.weight.copy_(_t([[1.0, 0.0, 0.0], [0.0, 2.0, 1.0]]))
        loss.projector.bias.copy_(_t([0.5, 0.0]))
    proj = np.stack([fs[:, 0] + 0.5, 2 * fs[:, 1] + fs[:, 2]], axis=1)
    assert_allclose(_f(loss(_t(fs), _t(ft[:, :2]))), np.mean((proj - ft[:, :2]) ** 2),
                    rtol=1e-12)


def test_l1_feature_value(rng):
    hs, ht = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 4))
    assert_allclose(_f(L1FeatureLoss()(_t(hs), _t(ht))), np.mean(np.abs(ht - hs)), rtol=1e-12)
    with pytest.raises(ValueError, match=r"h_s shape \(2, 5, 4\) and h_t shape \(2, 5, 3\)"):
        L1FeatureLoss()(_t(hs), _t(ht[..., :3]))


# --------------------------------------------------------------------- maps
def test_nst_permutation_invariance_and_value(rng):
    ft = rng.standard_normal((2, 3, 5))
    fs = ft[:, [2, 0, 1]] * np.array([2.0, 0.5, 3.0])[None, :, None]
    assert abs(_f(NSTLoss()(_t(fs), _t(ft)))) < 1e-12
    fs = rng.standard_normal((2, 4, 5))

    def k_mean(a, b):
        vals = [
            (a[n, i] @ b[n, j]) ** 2
            for n in range(2) for i in range(a.shape[1]) for j in range(b.shape[1])
        ]
        return np.mean(vals)

    s = fs / np.linalg.norm(fs, axis=2, keepdims=True)
    t = ft / np.linalg.norm(ft, axis=2, keepdims=True)
    want = k_mean(t, t) + k_mean(s, s) - 2 * k_mean(s, t)
    assert_allclose(_f(NSTLoss()(_t(fs), _t(ft))), want, rtol=1e-10)
    with pytest.raises(ValueError, match=r"nst: f_s must have shape \(batch, n_channels, \.\.\.\)"
                                         r" .*got shape \(2, 4\)"):
        NSTLoss()(torch.zeros(2, 4), _t(ft))


def test_attention_value(rng):
    fs, ft = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))

    def at(f):
        a = (f**2).mean(axis=1)
        return a / np.linalg.norm(a, axis=1, keepdims=True)

    want = np.mean((at(fs) - at(ft)) ** 2)
    assert_allclose(_f(AttentionLoss()(_t(fs), _t(ft))), want, rtol=1e-10)
