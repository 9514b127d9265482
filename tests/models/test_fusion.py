"""EmotionKD fusions: IMF and multi-depth fusion equal their formulas, score-block BN."""

import numpy as np
import torch
from numpy.testing import assert_allclose

from emopipe.models._fusion import IMF, MultiDepthFusion, ScoreBlock


def _fix_score_block(g, rng):
    """Give a score block fixed random weights and non-trivial BN statistics."""
    with torch.no_grad():
        for lin in (g.dense1, g.dense2):
            lin.weight.copy_(torch.from_numpy(rng.standard_normal(lin.weight.shape)))
            lin.bias.copy_(torch.from_numpy(rng.standard_normal(lin.bias.shape)))
        for bn in (g.bn1, g.bn2):
            bn.running_mean.copy_(torch.from_numpy(rng.standard_normal(bn.num_features)))
            bn.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, bn.num_features)))
            bn.weight.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, bn.num_features)))
            bn.bias.copy_(torch.from_numpy(rng.standard_normal(bn.num_features)))


def _score_by_hand(g, f):
    """g(F) = softsign(BN2(W2 relu(BN1(W1 F + b1)) + b2)) with eval-mode BN, in numpy."""

    def p(t):
        return t.detach().numpy()

    def bn(layer, a):
        return (a - p(layer.running_mean)) / np.sqrt(p(layer.running_var) + layer.eps) * p(
            layer.weight
        ) + p(layer.bias)

    h = np.maximum(bn(g.bn1, f @ p(g.dense1.weight).T + p(g.dense1.bias)), 0.0)
    z = bn(g.bn2, h @ p(g.dense2.weight).T + p(g.dense2.bias))
    return z / (1.0 + np.abs(z))


def test_imf_equals_its_formula(rng):
    dim, hidden, n_tok, batch = 3, 2, 2, 2
    imf = IMF(dim, hidden).double().eval()
    _fix_score_block(imf.score_before, rng)
    _fix_score_block(imf.score_after, rng)
    e_b, g_b, e_a, g_a = (rng.standard_normal((batch, n_tok, dim)) for _ in range(4))
    got = imf(*(torch.from_numpy(a) for a in (e_b, g_b, e_a, g_a))).detach().numpy()
    f_b = np.concatenate([e_b, g_b], axis=1)  # (batch, 2 * n_tokens, dim)
    f_a = np.concatenate([e_a, g_a], axis=1)  # the "after" feature uses the after tokens
    expected = _score_by_hand(imf.score_before, f_b) * f_b + _score_by_hand(imf.score_after, f_a) * f_a
    assert got.shape == (batch, 2 * n_tok, dim)
    assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # the reference code's F_a = [E_b; G_a] gives a different result (defect 2 is fixed)
    f_a_ref = np.concatenate([e_b, g_a], axis=1)
    wrong = _score_by_hand(imf.score_before, f_b) * f_b + _score_by_hand(imf.score_after, f_a_ref) * f_a_ref
    assert np.abs(got - wrong).max() > 1e-3


def test_multi_depth_fusion_equals_its_formula(rng):
    fusion = MultiDepthFusion(3, dim=3, hidden=2).double().eval()
    for g in fusion.scores:
        _fix_score_block(g, rng)
    xs = [rng.standard_normal((2, 4, 3)) for _ in range(3)]
    got = fusion([torch.from_numpy(x) for x in xs]).detach().numpy()
    expected = sum(_score_by_hand(g, x) * x for g, x in zip(fusion.scores, xs))
    assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_score_block_normalises_over_batch_and_tokens():
    # in training mode BN statistics pool batch and tokens (Keras axis=-1)
    torch.manual_seed(0)
    g = ScoreBlock(4, 3).train()
    x = torch.randn(5, 7, 4)
    g(x)
    h = g.dense1(x).detach().reshape(-1, 3)
    expected_mean = 0.01 * h.mean(0)  # momentum 0.01 from a zero running mean
    assert torch.allclose(g.bn1.running_mean, expected_mean, atol=1e-7)
