"""Logit losses (Hinton KD, MLKD) against hand-computed values."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from _loss_data import Y, Z_S, Z_T, _f, _softmax, _t
from emopipe.distill.losses import CELoss, HintonKDLoss, MLKDLoss


# --------------------------------------------------------------------- Hinton
def test_hinton_kd_zero_for_identical_logits():
    z = _t(Z_T)
    assert abs(_f(HintonKDLoss(tau=4.0)(z, z.clone()))) < 1e-12


@pytest.mark.parametrize("tau", [1.0, 4.0])
def test_hinton_kd_matches_manual_kl_2x3(tau):
    q = _softmax(Z_T / tau)
    p = _softmax(Z_S / tau)
    # KL(q || p) per row by hand, then tau^2 * batch mean
    kl = [sum(q[i, k] * (np.log(q[i, k]) - np.log(p[i, k])) for k in range(3)) for i in range(2)]
    want = tau**2 * (kl[0] + kl[1]) / 2
    got = HintonKDLoss(tau=tau)(_t(Z_S), _t(Z_T))
    assert_allclose(_f(got), want, rtol=1e-10)


def test_hinton_kd_combined_alpha():
    zs, zt, y = _t(Z_S), _t(Z_T), torch.tensor(Y)
    ce = _f(CELoss()(zs, y))
    kd = _f(HintonKDLoss(tau=4.0)(zs, zt))
    assert_allclose(_f(HintonKDLoss(4.0, alpha=1.0)(zs, zt, y)), ce, rtol=1e-12)
    assert_allclose(_f(HintonKDLoss(4.0, alpha=0.0)(zs, zt, y)), kd, rtol=1e-12)
    assert_allclose(_f(HintonKDLoss(4.0, alpha=0.3)(zs, zt, y)), 0.3 * ce + 0.7 * kd,
                    rtol=1e-12)
    with pytest.raises(ValueError, match=r"y \(class indices, shape \(batch,\)\) is required"):
        HintonKDLoss(4.0, alpha=0.5)(zs, zt)
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\], got 1.5"):
        HintonKDLoss(4.0, alpha=1.5)
    with pytest.raises(ValueError, match=r"z_s and z_t must have the same shape, got z_s shape "
                                         r"\(2, 3\) and z_t shape \(2, 2\)"):
        HintonKDLoss()(zs, zt[:, :2])


# --------------------------------------------------------------------- MLKD
def test_mlkd_value_and_clipping():
    zs = np.array([[0.0, 20.0], [1.0, -1.0]])   # p_S[0, 0] ~ 2e-9 is clipped to 1e-7
    zt = np.array([[2.0, 0.0], [0.0, 0.5]])
    fs = np.array([[1.0, 2.0], [0.0, -1.0]])
    ft = np.array([[0.5, 2.0], [1.0, 1.0]])
    y = np.array([1, 0])
    e1, e2, e3 = 1.0, 0.1, 2.0
    p_s = np.clip(_softmax(zs), 1e-7, 1)
    p_t = np.clip(_softmax(zt), 1e-7, 1)
    ce = -np.mean(np.log(_softmax(zs)[np.arange(2), y]))
    kl = np.mean(np.sum(p_t * np.log(p_t / p_s), axis=1))
    mse = np.mean((fs - ft) ** 2)
    loss = MLKDLoss(2, 2, e1=e1, e2=e2, e3=e3, feature_align="none")
    got = loss(_t(zs), _t(zt), _t(fs), _t(ft), torch.tensor(y))
    assert_allclose(_f(got), e1 * ce + e2 * kl + e3 * mse, rtol=1e-10)


def test_mlkd_feature_align():
    loss = MLKDLoss(4, 8)
    assert tuple(loss.projector.weight.shape) == (8, 4)
    with pytest.raises(ValueError, match=r"\(batch, 4\) .* \(batch, 8\) without a projector"):
        MLKDLoss(4, 8, feature_align="none")
    # modality tokens: student compared with the last s_dim teacher entries
    tok = MLKDLoss(2, 4, e1=0.0, e2=0.0, e3=1.0, feature_align="modality_tokens")
    ft = _t([[9.0, 9.0, 1.0, 2.0]])
    fs = _t([[1.0, 4.0]])
    z = torch.zeros(1, 2, dtype=torch.float64)
    assert_allclose(_f(tok(z, z, fs, ft, torch.tensor([0]))), (0 + 4) / 2, rtol=1e-12)
    with pytest.raises(ValueError, match="t_dim = 2 < s_dim"):
        MLKDLoss(4, 2, feature_align="modality_tokens")
