"""EmotionKD encoder blocks (docs/methods.md §4): convolutional token head and transformer."""

import math

import torch
from torch import nn
from torch.nn import functional as F

from ..utils._errors import ConfigError
from ._base import _check_size

# Keras BatchNormalization defaults (EmotionKD is a Keras model): eps 1e-3,
# moving-average momentum 0.99, i.e. PyTorch momentum 0.01.
_KERAS_BN = dict(eps=1e-3, momentum=0.01)


def n_conv_tokens(n_times, kernel_size, stride=1):
    """Number of output positions of a valid (unpadded) strided convolution.

    ``n_tokens = (n_times - kernel_size) // stride + 1``; e.g. 512 samples
    (4 s at 128 Hz) with kernel 32 and stride 8 give 61 tokens.

    Parameters
    ----------
    n_times : int
        Input length in samples.
    kernel_size : int
        Kernel length in samples.
    stride : int
        Hop between kernel positions in samples.

    Returns
    -------
    n_tokens : int
        Number of output positions.
    """
    n_times = _check_size("n_times", n_times)
    kernel_size = _check_size("kernel_size", kernel_size)
    stride = _check_size("stride", stride)
    if n_times < kernel_size:
        raise ConfigError(
            f"n_times = {n_times} samples is shorter than the convolution kernel "
            f"({kernel_size} samples). Use longer windows or a smaller kernel_size."
        )
    return (n_times - kernel_size) // stride + 1


class ConvTokenHead(nn.Module):
    """EmotionKD head: temporal strided conv, BN, ReLU, spatial conv -> tokens.

    ``Conv2d(dim, (1, kernel_size), stride (1, stride)) -> BN -> ReLU ->
    Conv2d(dim, (n_channels, 1)) -> squeeze -> Dropout``, valid padding.

    Parameters
    ----------
    n_channels : int
        Signal channels (spatial kernel height).
    n_times : int
        Samples per window.
    dim : int
        Filters, i.e. the token dimension.
    kernel_size : int
        Temporal kernel in samples.
    stride : int
        Temporal stride in samples.
    dropout : float
        Dropout on the tokens.

    Attributes
    ----------
    n_tokens : int
        ``(n_times - kernel_size) // stride + 1``.
    """

    def __init__(self, n_channels, n_times, *, dim=64, kernel_size=32, stride=8, dropout=0.3):
        super().__init__()
        self.n_tokens = n_conv_tokens(n_times, kernel_size, stride)
        self.temporal = nn.Conv2d(1, dim, (1, kernel_size), stride=(1, stride))
        self.bn = nn.BatchNorm2d(dim, **_KERAS_BN)
        self.spatial = nn.Conv2d(dim, dim, (n_channels, 1))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        """Turn a window into tokens.

        Parameters
        ----------
        x : Tensor, shape (batch, n_channels, n_times)
            Signal window.

        Returns
        -------
        tokens : Tensor, shape (batch, n_tokens, dim)
            One token per temporal kernel position.
        """
        x = self.temporal(x.unsqueeze(1))  # (batch, dim, n_channels, n_tokens)
        x = F.relu(self.bn(x))
        x = self.spatial(x).squeeze(2)  # (batch, dim, n_tokens)
        return self.dropout(x.transpose(1, 2))  # (batch, n_tokens, dim)


class MultiHeadAttention(nn.Module):
    """Keras-style multi-head self-attention: ``key_dim`` per head.

    Queries, keys and values are projected to ``n_heads * key_dim`` and the
    concatenated heads back to ``dim`` (``keras.layers.MultiHeadAttention``
    semantics; EmotionKD uses 8 heads of 64 on 64-d tokens).

    Parameters
    ----------
    dim : int
        Token dimension.
    n_heads : int
        Number of heads.
    key_dim : int
        Size of each head.
    """

    def __init__(self, dim, n_heads=8, key_dim=64):
        super().__init__()
        self.n_heads = n_heads
        self.key_dim = key_dim
        inner = n_heads * key_dim
        self.query = nn.Linear(dim, inner)
        self.key = nn.Linear(dim, inner)
        self.value = nn.Linear(dim, inner)
        self.out = nn.Linear(inner, dim)

    def forward(self, x):
        """Self-attention over the tokens.

        Parameters
        ----------
        x : Tensor, shape (batch, n_tokens, dim)
            Tokens.

        Returns
        -------
        y : Tensor, shape (batch, n_tokens, dim)
            Attended tokens.
        """
        b, n, _ = x.shape

        def split(t):  # (batch, n_tokens, n_heads * key_dim) -> (batch, n_heads, n_tokens, key_dim)
            return t.view(b, n, self.n_heads, self.key_dim).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.key_dim), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, n, self.n_heads * self.key_dim)
        return self.out(y)


class TransformerBlock(nn.Module):
    """Post-LN transformer block (Keras example block used by EmotionKD).

    ``h = LN(x + Dropout(MHA(x)))``; ``y = LN(h + Dropout(FFN(h)))`` with
    ``FFN = Dense(ffn_dim, ReLU) -> Dense(dim)``.

    Parameters
    ----------
    dim : int
        Token dimension.
    n_heads : int
        Attention heads.
    key_dim : int
        Size of each head.
    ffn_dim : int
        Hidden width of the feed-forward network.
    dropout : float
        Dropout after attention and after the FFN.
    eps : float
        LayerNorm epsilon.
    """

    def __init__(self, dim=64, *, n_heads=8, key_dim=64, ffn_dim=64, dropout=0.1, eps=1e-6):
        super().__init__()
        self.attention = MultiHeadAttention(dim, n_heads, key_dim)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_dim), nn.ReLU(), nn.Linear(ffn_dim, dim))
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x):
        """Apply the block.

        Parameters
        ----------
        x : Tensor, shape (batch, n_tokens, dim)
            Tokens.

        Returns
        -------
        y : Tensor, shape (batch, n_tokens, dim)
            Transformed tokens.
        """
        h = self.norm1(x + self.dropout1(self.attention(x)))
        return self.norm2(h + self.dropout2(self.ffn(h)))


class TransformerEncoder(nn.Module):
    """Learned positional embedding + ``n_blocks`` transformer blocks; keeps every block output.

    Parameters
    ----------
    n_tokens : int
        Number of tokens (length of the positional embedding).
    dim : int
        Token dimension.
    n_blocks : int
        Number of blocks (3 in EmotionKD).
    **block_kwargs
        Passed to :class:`TransformerBlock`.
    """

    def __init__(self, n_tokens, dim=64, *, n_blocks=3, **block_kwargs):
        super().__init__()
        self.position = nn.Parameter(torch.empty(n_tokens, dim))
        nn.init.uniform_(self.position, -0.05, 0.05)  # Keras Embedding default
        self.blocks = nn.ModuleList(TransformerBlock(dim, **block_kwargs) for _ in range(n_blocks))

    def forward(self, x):
        """Encode tokens.

        Parameters
        ----------
        x : Tensor, shape (batch, n_tokens, dim)
            Tokens from a :class:`ConvTokenHead`.

        Returns
        -------
        outs : list of Tensor, shape (batch, n_tokens, dim)
            Output of each block, shallow to deep (``x^1, x^2, x^3``).
        """
        x = x + self.position
        outs = []
        for block in self.blocks:
            x = block(x)
            outs.append(x)
        return outs


