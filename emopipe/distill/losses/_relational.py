"""Relational losses: the student keeps the teacher's relations between samples (SP, RKD, PKT).

Each compares batch x batch (or triplet) structures, so the two feature sizes
may differ. Notation as in :mod:`emopipe.distill.losses`.
"""

import torch
import torch.nn.functional as F

from ...utils._errors import ConfigError
from ._base import DistillLoss, _flat
from ._checks import _check_nonneg, _check_pair
from ._registry import register_loss


@register_loss("sp")
class SPLoss(DistillLoss):
    r"""Similarity-preserving KD ``(1/B^2) ||G_T - G_S||_F^2``.

    ``G = normalise_rows(f f^T)`` on flattened features (batch x batch),
    Tung & Mori, "Similarity-preserving knowledge distillation", ICCV 2019.
    Invariant to scaling or rotating either feature space; sizes may differ.
    """

    inputs = ("f_s", "f_t")

    def __init__(self):
        super().__init__()

    def forward(self, f_s, f_t):
        """Compute the loss.

        Parameters
        ----------
        f_s : Tensor, shape (batch, ...)
            Student features.
        f_t : Tensor, shape (batch, ...)
            Teacher features.

        Returns
        -------
        loss : Tensor, shape ()
            The loss.
        """
        _check_pair("f_s", f_s, "f_t", f_t, what="batch")
        f_s, f_t = _flat(f_s), _flat(f_t)
        b = f_s.shape[0]
        g_s = F.normalize(f_s @ f_s.T, dim=1)
        g_t = F.normalize(f_t @ f_t.T, dim=1)
        return ((g_t - g_s) ** 2).sum() / (b * b)


def _pdist(e, eps=1e-12):
    sq = (e**2).sum(dim=1)
    d = (sq[:, None] + sq[None, :] - 2.0 * e @ e.T).clamp(min=eps).sqrt()
    eye = torch.eye(e.shape[0], dtype=torch.bool, device=e.device)
    return d.masked_fill(eye, 0.0)


def _angles(e):
    diff = F.normalize(e[None, :, :] - e[:, None, :], p=2, dim=2)  # (B, B, d): e_j - e_i
    return torch.bmm(diff, diff.transpose(1, 2)).reshape(-1)


@register_loss("rkd")
class RKDLoss(DistillLoss):
    r"""Relational KD ``w_d L_dist + w_a L_angle`` (Park et al., CVPR 2019).

    ``L_dist = huber(d_S / mean(d_S), d_T / mean(d_T))`` over pairwise
    Euclidean distances (means over off-diagonal pairs);
    ``L_angle = huber(cos angle_S, cos angle_T)`` over all triplets, with
    ``cos angle_ijk = <normalise(e_i - e_j), normalise(e_k - e_j)>``; huber is
    ``smooth_l1`` with beta 1. Invariant to scaling, rotating and translating
    either feature space. Weights 25 and 50 as in RepDistiller.

    Parameters
    ----------
    w_d : float
        Distance weight.
    w_a : float
        Angle weight.
    """

    inputs = ("f_s", "f_t")

    def __init__(self, *, w_d=25.0, w_a=50.0):
        super().__init__()
        self.w_d = _check_nonneg("w_d", w_d)
        self.w_a = _check_nonneg("w_a", w_a)

    def forward(self, f_s, f_t):
        """Compute the loss.

        Parameters
        ----------
        f_s : Tensor, shape (batch, ...)
            Student features.
        f_t : Tensor, shape (batch, ...)
            Teacher features.

        Returns
        -------
        loss : Tensor, shape ()
            The loss.
        """
        _check_pair("f_s", f_s, "f_t", f_t, what="batch")
        if f_s.shape[0] < 2:
            raise ConfigError(f"rkd needs batch >= 2, got f_s shape {tuple(f_s.shape)}.")
        s, t = _flat(f_s), _flat(f_t)
        d_s, d_t = _pdist(s), _pdist(t)
        d_s = d_s / d_s[d_s > 0].mean()
        d_t = d_t / d_t[d_t > 0].mean()
        loss_d = F.smooth_l1_loss(d_s, d_t)
        loss_a = F.smooth_l1_loss(_angles(s), _angles(t))
        return self.w_d * loss_d + self.w_a * loss_a

    def extra_repr(self):
        return f"w_d={self.w_d}, w_a={self.w_a}"


@register_loss("pkt")
class PKTLoss(DistillLoss):
    r"""Probabilistic knowledge transfer (Passalis & Tefas, ECCV 2018).

    Cosine similarities ``c_ij`` of L2-normalised flattened features, mapped
    to ``q_ij = (c_ij + 1) / 2`` and normalised per row to conditional
    probabilities; loss ``mean_ij q^T_ij ln((q^T_ij + eps) / (q^S_ij + eps))``
    (mean over the ``B^2`` entries, as RepDistiller). Zero for identical
    features, invariant to scaling either feature space.

    Parameters
    ----------
    eps : float
        Stabiliser in the norms and the log ratio.
    """

    inputs = ("f_s", "f_t")

    def __init__(self, *, eps=1e-7):
        super().__init__()
        self.eps = _check_nonneg("eps", eps)

    def _cond_prob(self, f):
        f = f / (f.norm(dim=1, keepdim=True) + self.eps)
        q = (f @ f.T + 1.0) / 2.0
        return q / q.sum(dim=1, keepdim=True)

    def forward(self, f_s, f_t):
        """Compute the loss.

        Parameters
        ----------
        f_s : Tensor, shape (batch, ...)
            Student features.
        f_t : Tensor, shape (batch, ...)
            Teacher features.

        Returns
        -------
        loss : Tensor, shape ()
            The loss.
        """
        _check_pair("f_s", f_s, "f_t", f_t, what="batch")
        q_s = self._cond_prob(_flat(f_s))
        q_t = self._cond_prob(_flat(f_t))
        return (q_t * torch.log((q_t + self.eps) / (q_s + self.eps))).mean()
