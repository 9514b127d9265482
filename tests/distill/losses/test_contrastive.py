"""Contrastive losses (CRD, CMCRD) against hand-worked NCE cases."""

import logging

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from _loss_data import _f, _softmax, _t
from emopipe.distill.losses import CMCRDLoss, CRDLoss


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
