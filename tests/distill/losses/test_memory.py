"""CRD memory bank: sizes, initialisation, negative sampling, momentum update."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from emopipe.distill.losses._memory import ContrastMemory


def test_bank_sized_from_input_and_uniform_init():
    d = 16
    mem = ContrastMemory(3000, d, generator=torch.Generator().manual_seed(0))
    assert tuple(mem.memory_s.shape) == (3000, d)
    assert tuple(mem.memory_t.shape) == (3000, d)
    bound = 1 / np.sqrt(d / 3)
    for bank in (mem.memory_s, mem.memory_t):
        assert float(bank.abs().max()) <= bound
        # uniform on [-a, a]: variance a^2 / 3 = 1 / d; 48000 draws, SE of var ~ 0.4 %
        assert_allclose(float(bank.var()), 1 / d, rtol=0.03)
        assert abs(float(bank.mean())) < 0.01 * bound
    assert not torch.equal(mem.memory_s, mem.memory_t)


def test_bad_sizes():
    with pytest.raises(ValueError, match=r"n_data must be >= 2 .* got 1\. Pass the number of "
                                         r"training samples"):
        ContrastMemory(1, 4)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\], got 1.5"):
        ContrastMemory(5, 4, momentum=1.5)


def test_uniform_negatives_exclude_the_anchor_and_cover_the_rest():
    mem = ContrastMemory(5, 2)
    g = torch.Generator().manual_seed(0)
    idx = torch.arange(5)
    neg = mem.sample_negatives(idx, 4000, generator=g)
    assert neg.shape == (5, 4000) and neg.dtype == torch.int64
    assert torch.all(neg != idx[:, None])
    assert int(neg.min()) == 0 and int(neg.max()) == 4
    for i in range(5):
        counts = torch.bincount(neg[i], minlength=5).numpy()
        assert counts[i] == 0
        # 4000 draws over 4 rows: 1000 each, binomial SD ~ 27
        assert np.all(np.abs(np.delete(counts, i) - 1000) < 150)
    # reproducible with the same seed
    a = mem.sample_negatives(idx, 7, generator=torch.Generator().manual_seed(3))
    b = mem.sample_negatives(idx, 7, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_exact_negatives_other_classes_only():
    labels = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2])
    mem = ContrastMemory(9, 2)
    g = torch.Generator().manual_seed(0)
    idx = torch.tensor([0, 3, 5, 8])
    # k = 4: class 0 has 6 candidates -> no repeats; class 1 has 7; class 2 has 5
    neg = mem.sample_negatives(idx, 4, labels=labels, generator=g)
    assert torch.all(labels[neg] != labels[idx][:, None])
    for row in neg:
        assert len(set(row.tolist())) == 4  # without replacement when enough candidates
    # k = 20 > candidates: with replacement, still other classes only, all candidates reachable
    neg = mem.sample_negatives(idx, 200, labels=labels, generator=g)
    assert torch.all(labels[neg] != labels[idx][:, None])
    assert set(neg[0].tolist()) == {3, 4, 5, 6, 7, 8}
    with pytest.raises(ValueError, match=r"every bank row has class 0"):
        mem.sample_negatives(idx[:1], 2, labels=torch.zeros(9, dtype=torch.long))
    with pytest.raises(ValueError, match=r"labels must have shape \(n_data,\) = \(9,\), got "
                                         r"shape \(8,\)"):
        mem.sample_negatives(idx, 2, labels=labels[:8])


def test_index_checks():
    mem = ContrastMemory(4, 2)
    with pytest.raises(ValueError, match=r"idx must hold indices in \[0, n_data\) = \[0, 4\), "
                                         r"got values in \[0, 1200\]"):
        mem.sample_negatives(torch.tensor([0, 1200]), 2)
    with pytest.raises(TypeError, match=r"idx must be an integer torch.Tensor"):
        mem.sample_negatives(torch.tensor([0.0, 1.0]), 2)


def test_momentum_update_by_hand():
    mem = ContrastMemory(3, 2, momentum=0.25).double()
    with torch.no_grad():
        mem.memory_s.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]], dtype=torch.float64))
        mem.memory_t.copy_(torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.8, 0.6]], dtype=torch.float64))
    s = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([[3.0, 4.0], [0.0, -2.0]], dtype=torch.float64)
    mem.update(torch.tensor([2, 0]), s, t)
    # row 2: 0.25 * (0.6, 0.8) + 0.75 * (0, 1) = (0.15, 0.95), normalised
    r2 = np.array([0.15, 0.95]) / np.hypot(0.15, 0.95)
    # row 0: 0.25 * (1, 0) + 0.75 * (1, 0) = (1, 0)
    assert_allclose(mem.memory_s.numpy(), [[1.0, 0.0], [0.0, 1.0], r2], rtol=1e-12)
    # teacher bank: row 2 -> 0.25 * (0.8, 0.6) + 0.75 * (3, 4) = (2.45, 3.15); row 0 ->
    # 0.25 * (0, 1) + 0.75 * (0, -2) = (0, -1.25) -> (0, -1)
    t2 = np.array([2.45, 3.15]) / np.hypot(2.45, 3.15)
    assert_allclose(mem.memory_t.numpy(), [[0.0, -1.0], [1.0, 0.0], t2], rtol=1e-12)
    assert not mem.memory_s.requires_grad


def test_scores_normalised_by_z_fixed_once():
    mem = ContrastMemory(4, 2, nce_t=0.5).double()
    with torch.no_grad():
        mem.memory_t.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]))
        mem.memory_s.copy_(mem.memory_t.flip(0))
    s = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    t = torch.tensor([[0.0, 1.0]], dtype=torch.float64)
    cidx = torch.tensor([[0, 1, 2]])
    u_s, u_t = mem.scores(s, t, cidx)
    raw_s = np.exp(np.array([1.0, 0.0, -1.0]) / 0.5)
    assert_allclose(float(mem.z_s), 4 * raw_s.mean(), rtol=1e-12)
    assert_allclose(u_s.numpy()[0], raw_s / (4 * raw_s.mean()), rtol=1e-12)
    # memory_s rows 0, 1, 2 = (0,-1), (-1,0), (0,1): <., t> = -1, 0, 1
    raw_t = np.exp(np.array([-1.0, 0.0, 1.0]) / 0.5)
    assert_allclose(u_t.numpy()[0], raw_t / (4 * raw_t.mean()), rtol=1e-12)
    z = float(mem.z_s)
    mem.scores(-s, t, cidx)
    assert float(mem.z_s) == z


def test_score_paths_agree(rng):
    from emopipe.distill.losses._memory import _dots

    bank = torch.as_tensor(rng.standard_normal((50, 8)))
    v = torch.as_tensor(rng.standard_normal((3, 8)))
    cidx = torch.as_tensor(rng.integers(0, 50, (3, 6)))
    want = np.einsum("bkd,bd->bk", bank.numpy()[cidx.numpy()], v.numpy())
    for full in (True, False):
        assert_allclose(_dots(bank, v, cidx, full=full).numpy(), want, rtol=1e-12)


def test_shared_negatives_score_as_their_per_anchor_expansion():
    from emopipe.distill.losses._memory import SharedNegatives

    g = torch.Generator().manual_seed(0)
    mem = ContrastMemory(40, 8, generator=g)
    s = torch.nn.functional.normalize(torch.randn(6, 8, generator=g), dim=1)
    t = torch.nn.functional.normalize(torch.randn(6, 8, generator=g), dim=1)
    shared = SharedNegatives(torch.tensor([3, 7, 9, 11, 20, 39]),
                             torch.randint(0, 40, (2, 5), generator=g),
                             torch.tensor([0, 1, 1, 0, 1, 0]))
    expanded = shared.expand()
    assert expanded.shape == (6, 6)
    assert torch.equal(expanded[1, 1:], shared.neg[1]) and torch.equal(expanded[:, 0], shared.idx)
    u_shared = mem.scores(s, t, shared)   # fixes Z at this first call
    u_full = mem.scores(s, t, expanded)   # same Z
    for a, b in zip(u_shared, u_full):
        assert_allclose(a.numpy(), b.numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match=r"contrast_idx\.neg must hold indices in \[0, n_data\)"):
        mem.scores(s, t, shared._replace(neg=shared.neg + 40))
