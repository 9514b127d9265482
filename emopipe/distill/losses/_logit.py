"""Logit losses: the student matches the teacher's class distribution (Hinton KD, MLKD).

Notation as in :mod:`emopipe.distill.losses`.
"""

import torch
import torch.nn.functional as F
from torch import nn

from ...utils._checks import _check_option
from ...utils._errors import ConfigError
from ._base import DistillLoss
from ._checks import (
    _check_dim,
    _check_labels,
    _check_logit_pair,
    _check_nonneg,
    _check_pair,
    _check_pos,
    _check_unit_interval,
)
from ._feature import _make_projector
from ._registry import register_loss


@register_loss("hinton_kd")
class HintonKDLoss(DistillLoss):
    r"""Hinton knowledge distillation ``tau^2 (1/B) sum_i KL(p_T,i^tau || p_S,i^tau)``.

    ``KL(q || p) = sum_k q_k (ln q_k - ln p_k)``; Hinton, Vinyals, Dean,
    "Distilling the knowledge in a neural network", NIPS DL workshop 2015.
    With ``alpha`` set, returns ``alpha * L_CE + (1 - alpha) * L_KD`` (so
    ``alpha = 1`` is plain cross-entropy). The ``tau^2`` factor is included
    (as in CMCRD's ``DistillKL(4)``); RepDistiller uses ``tau = 4``.

    Parameters
    ----------
    tau : float
        Temperature, > 0.
    alpha : float | None
        Weight of the cross-entropy in ``[0, 1]``; ``None`` returns the KD
        term alone.
    """

    inputs = ("z_s", "z_t")

    def __init__(self, tau=4.0, *, alpha=None):
        super().__init__()
        self.tau = _check_pos("tau", tau)
        self.alpha = None if alpha is None else _check_unit_interval("alpha", alpha)

    def forward(self, z_s, z_t, y=None):
        """Compute the loss.

        Parameters
        ----------
        z_s : Tensor, shape (batch, n_classes)
            Student logits.
        z_t : Tensor, shape (batch, n_classes)
            Teacher logits.
        y : Tensor, shape (batch,) | None
            Class indices; required when ``alpha`` is set.

        Returns
        -------
        loss : Tensor, shape ()
            The loss.
        """
        _check_logit_pair(z_s, z_t)
        tau = self.tau
        kd = F.kl_div(
            F.log_softmax(z_s / tau, dim=1),
            F.log_softmax(z_t / tau, dim=1),
            reduction="batchmean",
            log_target=True,
        ) * tau**2
        if self.alpha is None:
            return kd
        if y is None:
            raise ConfigError(
                f"y (class indices, shape (batch,)) is required when alpha={self.alpha!r} "
                f"mixes in the cross-entropy. Pass y or set alpha=None."
            )
        y = _check_labels(y, z_s.shape[0])
        return self.alpha * F.cross_entropy(z_s, y) + (1.0 - self.alpha) * kd

    def extra_repr(self):
        return f"tau={self.tau}, alpha={self.alpha}"


@register_loss("mlkd")
class MLKDLoss(DistillLoss):
    r"""EmotionKD multi-level KD ``e1 CE(y, p_S) + e2 KL(p_T || p_S) + e3 MSE(f_T, r(f_S))``.

    Liu, Jia, Wang, "EmotionKD", ACM MM 2023 (``Distill_zoo.py``). The KL uses
    plain softmax (no temperature) with both distributions clipped to
    ``[1e-7, 1]`` (Keras ``KLDivergence``), summed over classes and averaged
    over the batch; the MSE averages over batch and entries. Final weights of
    the code: ``e1 = 1, e2 = 0.1, e3 = 1``.

    The reference pairs a 7808-d teacher feature with a 3904-d student one,
    which cannot run (docs/methods.md section 7, EKD 1). ``feature_align``
    chooses:

    - ``"projector"`` (default): learned ``Linear(s_dim, t_dim)`` on ``f_S``
      (identity if the sizes agree);
    - ``"modality_tokens"``: compare ``f_S`` with the last ``s_dim`` entries of
      ``f_T``, i.e. the GSR-side tokens when the teacher flattens its fused
      feature ``[EEG tokens; GSR tokens]`` token-major (a plausible,
      unconfirmed reading of the paper);
    - ``"none"``: sizes must agree.

    Parameters
    ----------
    s_dim : int
        Student feature size.
    t_dim : int
        Teacher feature size.
    e1, e2, e3 : float
        Weights of CE, KL and feature MSE, >= 0.
    feature_align : str
        ``"projector"``, ``"modality_tokens"`` or ``"none"``.
    """

    inputs = ("z_s", "z_t", "f_s", "f_t", "y")
    needs = ("s_dim", "t_dim")

    def __init__(self, s_dim, t_dim, *, e1=1.0, e2=0.1, e3=1.0, feature_align="projector"):
        super().__init__()
        self.s_dim = _check_dim("s_dim", s_dim)
        self.t_dim = _check_dim("t_dim", t_dim)
        self.e1 = _check_nonneg("e1", e1)
        self.e2 = _check_nonneg("e2", e2)
        self.e3 = _check_nonneg("e3", e3)
        self.feature_align = _check_option(
            "feature_align", feature_align, ("projector", "modality_tokens", "none")
        )
        if feature_align == "modality_tokens" and t_dim < s_dim:
            raise ConfigError(
                f"feature_align='modality_tokens' takes the last s_dim = {s_dim} entries of "
                f"the teacher feature, but t_dim = {t_dim} < s_dim. Use "
                f"feature_align='projector'."
            )
        self.projector = (
            _make_projector(s_dim, t_dim, feature_align == "projector", loss="mlkd")
            if feature_align in ("projector", "none")
            else nn.Identity()
        )

    def forward(self, z_s, z_t, f_s, f_t, y):
        """Compute the loss.

        Parameters
        ----------
        z_s : Tensor, shape (batch, n_classes)
            Student logits.
        z_t : Tensor, shape (batch, n_classes)
            Teacher logits.
        f_s : Tensor, shape (batch, s_dim)
            Student features.
        f_t : Tensor, shape (batch, t_dim)
            Teacher features.
        y : Tensor, shape (batch,)
            Class indices.

        Returns
        -------
        loss : Tensor, shape ()
            The weighted sum.
        """
        _check_logit_pair(z_s, z_t)
        y = _check_labels(y, z_s.shape[0])
        f_s = f_s.reshape(f_s.shape[0], -1)
        f_t = f_t.reshape(f_t.shape[0], -1)
        if f_s.shape[1] != self.s_dim or f_t.shape[1] != self.t_dim:
            raise ConfigError(
                f"mlkd: f_s must have shape (batch, s_dim) = (batch, {self.s_dim}) and f_t "
                f"(batch, t_dim) = (batch, {self.t_dim}), got f_s shape {tuple(f_s.shape)} "
                f"and f_t shape {tuple(f_t.shape)}."
            )
        _check_pair("f_s", f_s, "f_t", f_t, what="batch")
        ce = F.cross_entropy(z_s, y)
        p_s = F.softmax(z_s, dim=1).clamp(1e-7, 1.0)
        p_t = F.softmax(z_t, dim=1).clamp(1e-7, 1.0)
        kl = (p_t * (torch.log(p_t) - torch.log(p_s))).sum(dim=1).mean()
        if self.feature_align == "modality_tokens":
            target = f_t[:, self.t_dim - self.s_dim:]
            mse = F.mse_loss(f_s, target)
        else:
            mse = F.mse_loss(self.projector(f_s), f_t)
        return self.e1 * ce + self.e2 * kl + self.e3 * mse

    def extra_repr(self):
        return (
            f"s_dim={self.s_dim}, t_dim={self.t_dim}, e1={self.e1}, e2={self.e2}, "
            f"e3={self.e3}, feature_align={self.feature_align!r}"
        )
