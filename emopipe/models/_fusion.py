"""EmotionKD fusions (docs/methods.md §4): score block, inter-modal and multi-depth fusion."""

import torch
from torch import nn
from torch.nn import functional as F

from ._transformer import _KERAS_BN


class ScoreBlock(nn.Module):
    """EmotionKD score block ``g``: ``Dense -> BN -> ReLU -> Dense -> BN -> softsign`` per token.

    BatchNorm statistics are taken over batch and tokens (Keras ``axis=-1``).

    Parameters
    ----------
    dim : int
        Token dimension (input and output).
    hidden : int
        Width of the first dense layer.
    """

    def __init__(self, dim=64, hidden=64):
        super().__init__()
        self.dense1 = nn.Linear(dim, hidden)
        self.bn1 = nn.BatchNorm1d(hidden, **_KERAS_BN)
        self.dense2 = nn.Linear(hidden, dim)
        self.bn2 = nn.BatchNorm1d(dim, **_KERAS_BN)

    @staticmethod
    def _bn(bn, x):  # BatchNorm1d wants (batch, C, L); tokens are (batch, L, C)
        return bn(x.transpose(1, 2)).transpose(1, 2)

    def forward(self, x):
        """Scores in (-1, 1) for every token and feature.

        Parameters
        ----------
        x : Tensor, shape (batch, n_tokens, dim)
            Tokens.

        Returns
        -------
        score : Tensor, shape (batch, n_tokens, dim)
            ``softsign`` scores.
        """
        x = F.relu(self._bn(self.bn1, self.dense1(x)))
        return F.softsign(self._bn(self.bn2, self.dense2(x)))


class IMF(nn.Module):
    """EmotionKD inter-modal fusion of two depths ("before" b and "after" a).

    ``F_b = [E_b; G_b]`` and ``F_a = [E_a; G_a]`` (token concatenation),
    ``IMF = g_b(F_b) * F_b + g_a(F_a) * F_a``. The reference code builds
    ``F_a`` from ``E_b`` (docs/methods.md §7, EKD defect 2); here ``F_a`` uses the
    "after" tokens of both modalities.

    Parameters
    ----------
    dim : int
        Token dimension.
    hidden : int
        Hidden width of the score blocks.
    """

    def __init__(self, dim=64, hidden=64):
        super().__init__()
        self.score_before = ScoreBlock(dim, hidden)
        self.score_after = ScoreBlock(dim, hidden)

    def forward(self, e_before, g_before, e_after, g_after):
        """Fuse.

        Parameters
        ----------
        e_before, g_before : Tensor, shape (batch, n_tokens, dim)
            Tokens of modality A and B at the shallower depth.
        e_after, g_after : Tensor, shape (batch, n_tokens, dim)
            Tokens of modality A and B at the deeper depth.

        Returns
        -------
        fused : Tensor, shape (batch, 2 * n_tokens, dim)
            Modality-A tokens first, then modality-B tokens.
        """
        f_b = torch.cat([e_before, g_before], dim=1)
        f_a = torch.cat([e_after, g_after], dim=1)
        return self.score_before(f_b) * f_b + self.score_after(f_a) * f_a


class MultiDepthFusion(nn.Module):
    """EmotionKD student fusion ``sum_d g_d(x^d) * x^d`` over encoder depths.

    Parameters
    ----------
    n_depths : int
        Number of depths fused.
    dim : int
        Token dimension.
    hidden : int
        Hidden width of the score blocks.
    """

    def __init__(self, n_depths=3, dim=64, hidden=64):
        super().__init__()
        self.scores = nn.ModuleList(ScoreBlock(dim, hidden) for _ in range(n_depths))

    def forward(self, xs):
        """Fuse.

        Parameters
        ----------
        xs : list of Tensor, shape (batch, n_tokens, dim)
            One tensor per depth.

        Returns
        -------
        fused : Tensor, shape (batch, n_tokens, dim)
            Score-weighted sum.
        """
        return sum(g(x) * x for g, x in zip(self.scores, xs))


