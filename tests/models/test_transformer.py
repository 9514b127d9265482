"""Transformer blocks: token counts of the convolutional head, Keras attention."""

import math

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from emopipe.models._transformer import ConvTokenHead, MultiHeadAttention, n_conv_tokens


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
