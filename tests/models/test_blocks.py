"""Building blocks: token counts, TCN causality and receptive field, attention, IMF."""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from emopipe.models._blocks import (
    IMF,
    Chomp1d,
    ConvTokenHead,
    DenseClassifier,
    MultiDepthFusion,
    MultiHeadAttention,
    ScoreBlock,
    TemporalConvNet,
    n_conv_tokens,
)


@pytest.mark.parametrize(
    "n_times, kernel, stride, expected",
    [(512, 32, 8, 61), (256, 32, 8, 29), (32, 32, 8, 1), (39, 32, 8, 1), (40, 32, 8, 2), (10, 1, 1, 10)],
)
def test_token_count_formula(n_times, kernel, stride, expected):
    assert n_conv_tokens(n_times, kernel, stride) == expected
    # the head's real convolution produces that many tokens
    torch.manual_seed(0)
    head = ConvTokenHead(3, n_times, dim=4, kernel_size=kernel, stride=stride).eval()
    assert head.n_tokens == expected
    assert head(torch.randn(2, 3, n_times)).shape == (2, expected, 4)


def test_token_count_rejects_short_windows():
    with pytest.raises(ValueError, match=r"n_times = 31 samples is shorter than the convolution kernel \(32"):
        n_conv_tokens(31, 32, 8)
    with pytest.raises(ValueError, match=r"stride must be an int >= 1, got 0"):
        n_conv_tokens(512, 32, 0)


def test_chomp_removes_trailing_steps():
    x = torch.arange(10.0).view(1, 1, 10)
    assert Chomp1d(3)(x).flatten().tolist() == list(range(7))
    assert Chomp1d(0)(x).shape == x.shape


def _influence(tcn, n_steps, t, n_in=3):
    """Output steps whose value changes when input step ``t`` is perturbed."""
    # float64: with the TCN's N(0, 0.01) initial weights, paths through several
    # convolutions carry ~1e-9 of the perturbation, below float32 resolution
    x = torch.randn(2, n_in, n_steps, dtype=torch.float64)
    x2 = x.clone()
    x2[:, :, t] += 1.0
    with torch.no_grad():
        diff = (tcn(x2)[-1] - tcn(x)[-1]).abs().amax(dim=(0, 1))  # (n_steps,)
    return torch.nonzero(diff > 0).flatten().tolist()


@pytest.mark.parametrize(
    "channels, kernel, expected_rf",
    [((128, 128), 3, 13), ((8, 8, 8), 2, 15), ((8,), 5, 9)],
)
def test_tcn_is_causal_with_the_stated_receptive_field(channels, kernel, expected_rf):
    torch.manual_seed(0)
    tcn = TemporalConvNet(3, channels, kernel_size=kernel, dropout=0.1).double().eval()
    # 1 + 2 * (k - 1) * sum(2**i)
    assert tcn.receptive_field == 1 + 2 * (kernel - 1) * sum(2**i for i in range(len(channels)))
    assert tcn.receptive_field == expected_rf
    n_steps, t = 40, 7
    affected = _influence(tcn, n_steps, t)
    # nothing before t changes (causal), and exactly the receptive field after it does
    assert affected == list(range(t, t + expected_rf))


def test_tcn_output_is_length_preserving_and_has_one_output_per_level():
    torch.manual_seed(0)
    tcn = TemporalConvNet(5, (6, 7), kernel_size=3).eval()
    outs = tcn(torch.randn(2, 5, 11))
    assert [tuple(o.shape) for o in outs] == [(2, 6, 11), (2, 7, 11)]
    with pytest.raises(ValueError, match=r"channels must list at least one"):
        TemporalConvNet(5, ())


def test_multi_head_attention_has_keras_semantics():
    torch.manual_seed(0)
    dim, n_heads, key_dim, n_tok = 6, 3, 4, 5
    mha = MultiHeadAttention(dim, n_heads, key_dim).double()
    # Keras MultiHeadAttention(num_heads=8, key_dim=64) on 64-d tokens has 132 672 weights
    big = MultiHeadAttention(64, 8, 64)
    assert sum(p.numel() for p in big.parameters()) == 3 * (64 * 8 * 64 + 8 * 64) + 8 * 64 * 64 + 64
    x = torch.randn(2, n_tok, dim, dtype=torch.float64)
    got = mha(x).detach().numpy()
    xn = x.numpy()

    def lin(layer, a):
        return a @ layer.weight.detach().numpy().T + layer.bias.detach().numpy()

    q, k, v = lin(mha.query, xn), lin(mha.key, xn), lin(mha.value, xn)
    heads = []
    for h in range(n_heads):
        sl = slice(h * key_dim, (h + 1) * key_dim)
        s = q[..., sl] @ np.swapaxes(k[..., sl], -1, -2) / math.sqrt(key_dim)
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        heads.append(a @ v[..., sl])
    expected = lin(mha.out, np.concatenate(heads, axis=-1))
    assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


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


def test_classifier_without_activation_is_affine():
    torch.manual_seed(0)
    x, y = torch.randn(4, 10), torch.randn(4, 10)
    lin = DenseClassifier(10, 2, hidden=8, activation=None).eval()
    zero = torch.zeros(1, 10)
    with torch.no_grad():
        assert torch.allclose(lin(x + y) - lin(y), lin(x) - lin(zero), atol=1e-5)
        relu = DenseClassifier(10, 2, hidden=8, activation="relu").eval()
        assert not torch.allclose(relu(x + y) - relu(y), relu(x) - relu(zero), atol=1e-3)
    with pytest.raises(ValueError, match=r"'classifier_activation'.*'relu', None, but got 'gelu'"):
        DenseClassifier(10, 2, activation="gelu")
