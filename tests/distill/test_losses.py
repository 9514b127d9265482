"""Distillation losses against hand-computed or independently computed values."""

import logging

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from emopipe.distill._registry import LOSSES, register_loss
from emopipe.distill.losses import (
    AttentionLoss,
    CCCLoss,
    CELoss,
    CMCRDLoss,
    CRDLoss,
    HintLoss,
    HintonKDLoss,
    L1FeatureLoss,
    MCCLoss,
    MLKDLoss,
    NSTLoss,
    PKTLoss,
    RKDLoss,
    SPLoss,
)


def _t(a, dtype=torch.float64):
    return torch.tensor(np.asarray(a), dtype=dtype)


def _f(x):
    """Python float of a scalar tensor (detached) or number."""
    return float(x.detach()) if isinstance(x, torch.Tensor) else float(x)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------- registry
def test_registry_holds_the_catalogue():
    expected = {"ce", "hinton_kd", "hint", "l1_feature", "ccc", "crd", "cmcrd", "mcc", "mlkd",
                "sp", "rkd", "pkt", "nst", "attention"}
    assert expected <= set(LOSSES.names())
    assert LOSSES.get("crd") is CRDLoss
    with pytest.raises(KeyError, match=r"Loss 'crd_v2' not found\. Available losses: "
                                        r"'attention', .*Did you mean 'crd'\?"):
        LOSSES.get("crd_v2")
    with pytest.raises(ValueError, match="already registered"):
        register_loss("crd")(HintLoss)


# --------------------------------------------------------------------- CE / Hinton
Z_S = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]])
Z_T = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
Y = np.array([0, 2])


def test_ce_matches_numpy():
    want = -np.mean(np.log(_softmax(Z_S)[np.arange(2), Y]))
    got = CELoss()(_t(Z_S), torch.tensor(Y))
    assert_allclose(_f(got), want, rtol=1e-12)


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


# --------------------------------------------------------------------- CRD
NCE_T = 0.5


def _crd_setup(loss_cls, **kw):
    """A 2-sample bank, identity embed heads, fixed memories."""
    loss = loss_cls(2, 2, 2, embed_dim=2, nce_t=NCE_T, momentum=0.5, **kw).double()
    with torch.no_grad():
        for emb in (loss.embed_s, loss.embed_t):
            emb.linear.weight.copy_(torch.eye(2, dtype=torch.float64))
            emb.linear.bias.zero_()
        loss.memory.memory_s.copy_(_t([[1.0, 0.0], [0.0, 1.0]]))
        loss.memory.memory_t.copy_(_t([[0.6, 0.8], [-0.8, 0.6]]))
    return loss


F_S = np.array([[1.0, 0.0], [0.6, 0.8]])
F_T = np.array([[0.0, 1.0], [1.0, 0.0]])
M_S = np.array([[1.0, 0.0], [0.0, 1.0]])
M_T = np.array([[0.6, 0.8], [-0.8, 0.6]])


def _np_crd_terms(w=(1.0, 1.0), m=(1.0, 1.0)):
    """Two anchors (bank rows 0 and 1), one negative each (the other row), N = K + 1 = 2."""
    n, k = 2, 1
    kpn = k / n
    total = 0.0
    for anchors, bank in ((F_S, M_T), (F_T, M_S)):
        raw = np.array([[np.exp(anchors[i] @ bank[j] / NCE_T) for j in (i, 1 - i)]
                        for i in range(2)])
        z = n * raw.mean()                       # Z fixed at this first batch
        u = raw / z * np.array(w)[:, None]
        for i in range(2):
            ln_d1 = np.log(u[i, 0] / (u[i, 0] + kpn + 1e-7))
            ln_d0 = np.log(kpn / (u[i, 1] + kpn + 1e-7))
            total -= m[i] * (ln_d1 + ln_d0) / 2
    return total


def test_crd_nce_two_sample_hand_case():
    loss = _crd_setup(CRDLoss, nce_k=1)
    idx = torch.tensor([0, 1])
    neg = torch.tensor([[1], [0]])
    got = loss(_t(F_S), _t(F_T), idx, neg)
    assert_allclose(_f(got), _np_crd_terms(), rtol=1e-10)
    # the memory then moved: M_S[i] <- normalise(0.5 M_S[i] + 0.5 s_i)
    new_s = 0.5 * M_S + 0.5 * F_S
    new_s /= np.linalg.norm(new_s, axis=1, keepdims=True)
    new_t = 0.5 * M_T + 0.5 * F_T
    new_t /= np.linalg.norm(new_t, axis=1, keepdims=True)
    assert_allclose(loss.memory.memory_s.numpy(), new_s, rtol=1e-12)
    assert_allclose(loss.memory.memory_t.numpy(), new_t, rtol=1e-12)


def test_crd_z_fixed_at_first_batch_and_eval_freezes_memory():
    loss = _crd_setup(CRDLoss, nce_k=1)
    idx, neg = torch.tensor([0, 1]), torch.tensor([[1], [0]])
    loss.eval()
    first = _f(loss(_t(F_S), _t(F_T), idx, neg))
    z_s = _f(loss.memory.z_s)
    assert_allclose(loss.memory.memory_s.numpy(), M_S)  # eval: no update
    # a second, different batch keeps Z
    loss(_t(F_T), _t(F_S), idx, neg)
    assert _f(loss.memory.z_s) == z_s
    assert_allclose(_f(loss(_t(F_S), _t(F_T), idx, neg)), first, rtol=1e-12)


def test_crd_sizes_and_cap(caplog):
    with caplog.at_level(logging.WARNING, logger="emopipe"):
        loss = CRDLoss(10, 6, 40, nce_k=16384)
    assert loss.nce_k == 39
    assert "nce_k = 16384 negatives exceeds n_data - 1 = 39" in caplog.text
    assert tuple(loss.memory.memory_s.shape) == (40, 128)
    assert tuple(loss.embed_s.linear.weight.shape) == (128, 10)
    assert tuple(loss.embed_t.linear.weight.shape) == (128, 6)
    g = torch.Generator().manual_seed(0)
    f_s = torch.randn(4, 10, requires_grad=True)
    out = loss(f_s, torch.randn(4, 6), torch.tensor([0, 5, 39, 7]), generator=g)
    out.backward()
    assert f_s.grad.abs().sum() > 0
    with pytest.raises(ValueError, match=r"idx must hold indices in \[0, n_data\) = \[0, 40\), "
                                         r"got values in \[0, 40\]"):
        loss(f_s, torch.randn(4, 6), torch.tensor([0, 5, 40, 7]))
    with pytest.raises(ValueError, match=r"f_t must have 6 features per sample"):
        loss(f_s, torch.randn(4, 5), torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"needs bank_labels"):
        CRDLoss(10, 6, 40, negatives="exact")


# --------------------------------------------------------------------- CMCRD
def test_cmcrd_weights_masks_hand_case():
    # rows: 0 student right / teacher wrong, 1 teacher right / student wrong, 2 both right
    y = torch.tensor([0, 1, 1])
    z_s = _t([[2.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    z_t = _t([[0.0, np.log(3.0)], [0.0, 0.0 + 1e-3], [0.0, np.log(9.0)]])
    w, m, stop_s, stop_t = CMCRDLoss.weights_and_masks(z_s, z_t, y)
    p = np.array([[0.25, 0.75], _softmax(np.array([0.0, 1e-3])), [0.1, 0.9]])
    h = -np.sum(p * np.log(p + 1e-5), axis=1)
    w_raw = 1 + np.exp(-h)
    assert_allclose(w.numpy(), 3 * w_raw / w_raw.sum(), rtol=1e-12)  # actual batch, not 32
    assert_allclose(_f(w.sum()), 3.0, rtol=1e-12)
    assert m.tolist() == [-1.0, 1.0, 1.0]
    assert stop_s.tolist() == [True, False, False]
    assert stop_t.tolist() == [False, True, False]
    # neither model right anywhere: both sides detached
    _, m, stop_s, stop_t = CMCRDLoss.weights_and_masks(z_s, z_t, torch.tensor([1, 0, 0]))
    assert m.tolist() == [1.0, -1.0, -1.0]   # teacher argmax of row 0 is 1
    _, m, stop_s, stop_t = CMCRDLoss.weights_and_masks(
        _t([[0.0, 1.0]] * 2), _t([[0.0, 1.0]] * 2), torch.tensor([0, 0])
    )
    assert m.tolist() == [-1.0, -1.0]
    assert stop_s.all() and stop_t.all()


def test_cmcrd_value_matches_weighted_masked_nce():
    loss = _crd_setup(CMCRDLoss, nce_k=1, negatives="uniform")
    y = torch.tensor([0, 1])
    z_s = _t([[1.0, 0.0], [1.0, 0.0]])            # student right on 0 only
    z_t = _t([[0.0, 1.0], [0.0, 2.0]])            # teacher right on 1 only
    p = _softmax(np.array([[0.0, 1.0], [0.0, 2.0]]))
    h = -np.sum(p * np.log(p + 1e-5), axis=1)
    w = 1 + np.exp(-h)
    w = 2 * w / w.sum()
    got = loss(_t(F_S), _t(F_T), torch.tensor([0, 1]), y, z_s, z_t, torch.tensor([[1], [0]]))
    assert_allclose(_f(got), _np_crd_terms(w=w, m=(-1.0, 1.0)), rtol=1e-10)


def test_cmcrd_stop_gradients():
    torch.manual_seed(0)
    bank = torch.tensor([0, 1, 0, 1, 0, 1])
    loss = CMCRDLoss(3, 4, 6, bank_labels=bank, embed_dim=5, nce_k=3)
    f_s = torch.randn(3, 3, requires_grad=True)
    f_t = torch.randn(3, 4, requires_grad=True)
    y = torch.tensor([0, 1, 1])
    z_s = torch.tensor([[2.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    z_t = torch.tensor([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    g = torch.Generator().manual_seed(1)
    loss(f_s, f_t, torch.tensor([0, 1, 3]), y, z_s, z_t, generator=g).backward()
    # row 0: student right, teacher wrong -> student row detached
    assert torch.all(f_s.grad[0] == 0) and torch.all(f_s.grad[1:].abs().sum(1) > 0)
    # row 1: teacher right, student wrong -> teacher row detached
    assert torch.all(f_t.grad[1] == 0)
    assert f_t.grad[0].abs().sum() > 0 and f_t.grad[2].abs().sum() > 0
    # nobody right: no gradient at all
    out = loss(f_s, f_t, torch.tensor([0, 1, 3]), torch.tensor([0, 0, 0]), z_t, z_t, generator=g)
    assert not out.requires_grad


def test_cmcrd_samples_other_class_negatives():
    bank = torch.tensor([0, 0, 1, 1, 2, 2, 2])
    loss = CMCRDLoss(3, 3, 7, bank_labels=bank, embed_dim=4, nce_k=5)
    seen = []
    orig = loss.memory.scores

    def spy(s, t, cidx):
        seen.append(cidx.clone())
        return orig(s, t, cidx)

    loss.memory.scores = spy
    g = torch.Generator().manual_seed(0)
    idx = torch.tensor([0, 2, 4])
    loss(torch.randn(3, 3), torch.randn(3, 3), idx, bank[idx], torch.randn(3, 3),
         torch.randn(3, 3), generator=g)
    cidx = seen[0]
    assert cidx.shape == (3, 6)
    assert torch.equal(cidx[:, 0], idx)
    assert torch.all(bank[cidx[:, 1:]] != bank[idx][:, None])


@pytest.mark.parametrize("negatives", ["exact", "uniform"])
def test_shared_negatives_give_the_loss_of_their_expansion(negatives):
    bank = torch.arange(30) % 3
    kw = dict(bank_labels=bank, embed_dim=6, nce_k=5, negatives=negatives)
    a = CMCRDLoss(4, 3, 30, share_negatives=True, generator=torch.Generator().manual_seed(0), **kw)
    b = CMCRDLoss(4, 3, 30, generator=torch.Generator().manual_seed(0), **kw)
    b.load_state_dict(a.state_dict())
    gen = torch.Generator().manual_seed(1)
    f_s, f_t = torch.randn(8, 4, generator=gen), torch.randn(8, 3, generator=gen)
    z_s, z_t = torch.randn(8, 3, generator=gen), torch.randn(8, 3, generator=gen)
    idx = torch.tensor([0, 4, 5, 9, 13, 17, 22, 29])
    y = bank[idx]
    shared = a._shared_negatives(idx, torch.Generator().manual_seed(2))
    # one row of negatives per class of the batch; exact ones come from the other classes
    assert shared.neg.shape == ((3, 5) if negatives == "exact" else (1, 5))
    if negatives == "exact":
        assert torch.equal(shared.group, y)
        for g in range(3):
            assert bool((bank[shared.neg[g]] != g).all())
    got = a(f_s, f_t, idx, y, z_s, z_t, shared)
    want = b(f_s, f_t, idx, y, z_s, z_t, shared.expand()[:, 1:])
    assert_allclose(_f(got), _f(want), rtol=1e-5)
    # drawn by the loss itself when no indices are given
    assert a._contrast_idx(idx, None, None).__class__.__name__ == "SharedNegatives"
