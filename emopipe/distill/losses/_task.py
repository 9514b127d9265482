"""Task losses: one model's objective on its own outputs (CE, CCC, MCC).

They read no teacher output, so the objective never scales them by its
``kd_scale``; the teacher trains on them too. Notation as in
:mod:`emopipe.distill.losses`.
"""

import torch
import torch.nn.functional as F

from ...utils._checks import _check_option
from ...utils._errors import ConfigError
from ._base import DistillLoss
from ._checks import (
    _check_dim,
    _check_labels,
    _check_logits,
    _check_nonneg,
    _check_pair,
    _check_pos,
)
from ._registry import register_loss

_ENTROPY_EPS = 1e-5


def _entropy_weights(p, *, total=None):
    """CMCRD/MCC sample weights ``total * w_i / sum_j w_j``, ``w_i = 1 + exp(-H_i)``.

    Parameters
    ----------
    p : Tensor, shape (batch, n_classes)
        Class probabilities.
    total : float | None
        Sum of the weights; ``None`` means the actual batch size (not the
        reference code's hard-coded 32/64).

    Returns
    -------
    w : Tensor, shape (batch,)
        Detached weights, ``H_i = -sum_k p_ik ln(p_ik + 1e-5)``.
    """
    p = p.detach()
    h = -(p * torch.log(p + _ENTROPY_EPS)).sum(dim=1)
    w = 1.0 + torch.exp(-h)
    total = p.shape[0] if total is None else total
    return total * w / w.sum()


@register_loss("ce")
class CELoss(DistillLoss):
    r"""Cross-entropy ``L_CE = -(1/B) sum_i ln p_{i, y_i}``.

    Examples
    --------
    >>> loss = CELoss()(z, y)  # doctest: +SKIP
    """

    inputs = ("z_s", "y")

    def __init__(self):
        super().__init__()

    def forward(self, z, y):
        """Compute the loss.

        Parameters
        ----------
        z : Tensor, shape (batch, n_classes)
            Logits.
        y : Tensor, shape (batch,)
            Class indices (int64).

        Returns
        -------
        loss : Tensor, shape ()
            Batch mean.
        """
        _check_logits("z", z)
        y = _check_labels(y, z.shape[0])
        return F.cross_entropy(z, y)


@register_loss("ccc")
class CCCLoss(DistillLoss):
    r"""Concordance loss ``1 - CCC`` per sequence, mean over sequences.

    ``CCC = 2 s_xy / (s_x^2 + s_y^2 + (xbar - ybar)^2)`` (Lin 1989), moments
    over the last (time) axis. ``estimator="population"`` (default) uses
    population (1/n) moments throughout. ``"v2e"`` reproduces V2E's code
    (Zhang et al., Pattern Recognition 2022): biased covariance with
    *unbiased* (1/(n-1)) variances, so for equal means its CCC is
    ``(n - 1) / n`` times the population one and a perfect prediction scores
    ``1 - CCC = 1 / n`` instead of 0 (docs/methods.md section 7, V2E 1).

    Parameters
    ----------
    estimator : str
        ``"population"`` or ``"v2e"``.
    eps : float
        Added to the denominator (V2E adds 1e-50, which is 0 in float32).
    """

    inputs = ("z_s", "y")

    def __init__(self, *, estimator="population", eps=1e-8):
        super().__init__()
        self.estimator = _check_option("estimator", estimator, ("population", "v2e"))
        self.eps = _check_nonneg("eps", eps)

    def forward(self, y_pred, y_true):
        """Compute the loss.

        Parameters
        ----------
        y_pred : Tensor, shape (..., n_times)
            Predicted sequences; leading axes index sequences.
        y_true : Tensor, shape (..., n_times)
            Target sequences, same shape.

        Returns
        -------
        loss : Tensor, shape ()
            Mean of ``1 - CCC`` over sequences.
        """
        _check_pair("y_pred", y_pred, "y_true", y_true)
        n = y_pred.shape[-1]
        if n < 2:
            raise ConfigError(
                f"y_pred must have shape (..., n_times) with n_times >= 2, got shape "
                f"{tuple(y_pred.shape)}."
            )
        mx = y_pred.mean(dim=-1)
        my = y_true.mean(dim=-1)
        dx = y_pred - mx[..., None]
        dy = y_true - my[..., None]
        cov = (dx * dy).mean(dim=-1)
        unbiased = self.estimator == "v2e"
        vx = y_pred.var(dim=-1, unbiased=unbiased)
        vy = y_true.var(dim=-1, unbiased=unbiased)
        ccc = 2.0 * cov / (vx + vy + (mx - my) ** 2 + self.eps)
        return (1.0 - ccc).mean()

    def forward_batch(self, batch):
        """Compute the loss on a batch, its predictions and ratings taken as one sequence.

        Parameters
        ----------
        batch : mapping of str -> Tensor
            Holds ``z_s`` (batch, 1), the predicted ratings, and ``y`` (batch,).

        Returns
        -------
        loss : Tensor, shape ()
            ``1 - CCC`` over the batch axis.
        """
        z_s = batch["z_s"]
        return self(z_s.reshape(-1), batch["y"].reshape(-1).to(z_s.dtype))

    def extra_repr(self):
        return f"estimator={self.estimator!r}, eps={self.eps}"


@register_loss("mcc")
class MCCLoss(DistillLoss):
    r"""Minimum class confusion (Jin et al., ECCV 2020), on unlabelled logits.

    ``P = softmax(z / tau)``; entropy weights ``w~_i = B (1 + e^{-H_i}) /
    sum_j (1 + e^{-H_j})`` with ``H_i = -sum_k P_ik ln(P_ik + 1e-5)`` and ``B``
    the actual batch size (not the reference's 32/64), detached;
    ``C = P^T diag(w~) P`` (``n_classes x n_classes``), rows normalised
    ``C~_jk = C_jk / sum_l C_jl``, loss ``sum_{j != k} C~_jk / n_classes``.

    Parameters
    ----------
    n_classes : int
        Number of classes ``K`` (from the labels, not hard-coded).
    tau : float
        Temperature.
    """

    inputs = ("z_s",)
    needs = ("n_classes",)

    def __init__(self, n_classes, *, tau=2.5):
        super().__init__()
        self.n_classes = _check_dim("n_classes", n_classes)
        self.tau = _check_pos("tau", tau)

    def forward(self, z):
        """Compute the loss.

        Parameters
        ----------
        z : Tensor, shape (batch, n_classes)
            Logits of (training-fold) samples; labels are not used.

        Returns
        -------
        loss : Tensor, shape ()
            Off-diagonal mass of the normalised class-confusion matrix over ``K``.
        """
        _check_logits("z", z, self.n_classes)
        p = F.softmax(z / self.tau, dim=1)
        w = _entropy_weights(p)
        c = p.T @ (w[:, None] * p)
        c = c / c.sum(dim=1, keepdim=True)
        return (c.sum() - torch.trace(c)) / self.n_classes

    def extra_repr(self):
        return f"n_classes={self.n_classes}, tau={self.tau}"
