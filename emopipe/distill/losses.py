"""Distillation losses, each an ``nn.Module`` taking explicit tensors.

Every loss is registered in ``LOSSES`` under its YAML/CLI name
(``LOSSES.get("crd")``). Notation (methods.md): batch ``B``, classes ``K``,
logits ``z``, ``p = softmax(z)``, ``p^tau = softmax(z / tau)``, features ``f``,
teacher ``T``, student ``S``, ``ln`` natural log.

Losses never detach the teacher's tensors themselves (the EmotionKD feedback
step differentiates through them); freeze the teacher in the training loop.
The exceptions are documented rules of a method (CMCRD stop-gradients,
MCC/CMCRD entropy weights).
"""

import logging

import torch
import torch.nn.functional as F
from torch import nn

from ..utils._checks import _check_option, _check_type
from ..utils.docs import docdict, fill_doc
from ._checks import _check_int_tensor, _check_pos, _check_unit_interval
from ._memory import ContrastMemory, SharedNegatives, _other_class_rows
from ._registry import register_loss

logger = logging.getLogger("emopipe.distill.losses")


docdict["share_negatives"] = """share_negatives : bool
        Draw the ``K`` negatives once per batch (``"uniform"``) or once per
        class of the batch (``"exact"``) instead of once per anchor
        (:class:`~emopipe.distill._memory.SharedNegatives`): every anchor
        still gets ``K`` negatives from the same distribution, but anchors
        of a class share them, and the scores take one matrix product, so
        the cost no longer grows with ``batch x K``. Off by default (the
        papers draw per anchor)."""

_NCE_EPS = 1e-7
_ENTROPY_EPS = 1e-5


# --------------------------------------------------------------------------- checks
def _check_ndim(parameter, x, ndim, axes):
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{parameter} must be a torch.Tensor, got {type(x).__name__}.")
    if x.ndim != ndim:
        raise ValueError(
            f"{parameter} must have shape ({axes}), got shape {tuple(x.shape)}."
        )
    return x


def _check_logits(parameter, z, n_classes=None):
    _check_ndim(parameter, z, 2, "batch, n_classes")
    if n_classes is not None and z.shape[1] != n_classes:
        raise ValueError(
            f"{parameter} must have shape (batch, n_classes) = (batch, {n_classes}), got "
            f"shape {tuple(z.shape)}."
        )
    return z


def _check_logit_pair(z_s, z_t):
    """Student and teacher logits: both (batch, n_classes), same shape."""
    _check_logits("z_s", z_s)
    _check_logits("z_t", z_t)
    _check_pair("z_s", z_s, "z_t", z_t)


def _check_pair(name_s, a, name_t, b, *, what="shape"):
    """Student and teacher tensors must agree in batch (and shape if ``what='shape'``)."""
    if what == "shape" and a.shape != b.shape:
        raise ValueError(
            f"{name_s} and {name_t} must have the same shape, got {name_s} shape "
            f"{tuple(a.shape)} and {name_t} shape {tuple(b.shape)}. Use a loss with a "
            f"projector (e.g. 'hint') when the feature sizes differ."
        )
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_s} and {name_t} must have the same batch size, got {name_s} shape "
            f"{tuple(a.shape)} and {name_t} shape {tuple(b.shape)}."
        )


def _check_labels(y, batch):
    _check_int_tensor("y", y, "class indices, shape (batch,)")
    if y.shape != (batch,):
        raise ValueError(f"y must have shape (batch,) = ({batch},), got shape {tuple(y.shape)}.")
    return y.long()


def _check_nonneg(parameter, value):
    _check_type(parameter, value, ("numeric",))
    if not value >= 0:
        raise ValueError(f"{parameter} must be >= 0, got {value!r}.")
    return float(value)


def _check_dim(parameter, value):
    _check_type(parameter, value, ("int",))
    if value < 1:
        raise ValueError(f"{parameter} must be a positive int, got {value!r}.")
    return int(value)


def _make_projector(s_dim, t_dim, projector, *, loss):
    """Linear ``s_dim -> t_dim`` map, identity if equal; error if needed but refused."""
    if s_dim == t_dim:
        return nn.Identity()
    if not projector:
        raise ValueError(
            f"{loss}: student features of shape (batch, s_dim) = (batch, {s_dim}) cannot be "
            f"compared with teacher features of shape (batch, t_dim) = (batch, {t_dim}) "
            f"without a projector. Set projector=True (a learned Linear({s_dim}, {t_dim})) "
            f"or give both models the same feature size."
        )
    return nn.Linear(s_dim, t_dim)


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


# --------------------------------------------------------------------------- logits
@register_loss("ce")
class CELoss(nn.Module):
    r"""Cross-entropy ``L_CE = -(1/B) sum_i ln p_{i, y_i}``.

    Examples
    --------
    >>> loss = CELoss()(z, y)  # doctest: +SKIP
    """

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


@register_loss("hinton_kd")
class HintonKDLoss(nn.Module):
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
            raise ValueError(
                f"y (class indices, shape (batch,)) is required when alpha={self.alpha!r} "
                f"mixes in the cross-entropy. Pass y or set alpha=None."
            )
        y = _check_labels(y, z_s.shape[0])
        return self.alpha * F.cross_entropy(z_s, y) + (1.0 - self.alpha) * kd

    def extra_repr(self):
        return f"tau={self.tau}, alpha={self.alpha}"


# --------------------------------------------------------------------------- features
@register_loss("hint")
class HintLoss(nn.Module):
    r"""FitNet hint ``mean ||r(f_S) - f_T||^2`` over batch and entries.

    ``r`` is a learned ``Linear(s_dim, t_dim)`` on the last axis, the identity
    when ``s_dim == t_dim``. Romero et al., "FitNets: hints for thin deep
    nets", ICLR 2015.

    Parameters
    ----------
    s_dim : int
        Student feature size (last axis).
    t_dim : int
        Teacher feature size (last axis).
    projector : bool
        Allow a learned projector when the sizes differ; ``False`` makes a
        mismatch an error naming both shapes.
    """

    def __init__(self, s_dim, t_dim, *, projector=True):
        super().__init__()
        self.s_dim = _check_dim("s_dim", s_dim)
        self.t_dim = _check_dim("t_dim", t_dim)
        self.projector = _make_projector(s_dim, t_dim, projector, loss="hint")

    def forward(self, f_s, f_t):
        """Compute the loss.

        Parameters
        ----------
        f_s : Tensor, shape (batch, ..., s_dim)
            Student features.
        f_t : Tensor, shape (batch, ..., t_dim)
            Teacher features.

        Returns
        -------
        loss : Tensor, shape ()
            Mean squared error.
        """
        if f_s.shape[-1] != self.s_dim or f_t.shape[-1] != self.t_dim or (
            f_s.shape[:-1] != f_t.shape[:-1]
        ):
            raise ValueError(
                f"hint: f_s must have shape (batch, ..., s_dim) = (..., {self.s_dim}) and f_t "
                f"(batch, ..., t_dim) = (..., {self.t_dim}) with the same leading axes, got "
                f"f_s shape {tuple(f_s.shape)} and f_t shape {tuple(f_t.shape)}."
            )
        return F.mse_loss(self.projector(f_s), f_t)


@register_loss("l1_feature")
class L1FeatureLoss(nn.Module):
    r"""V2E feature loss ``mean |h_T - h_S|`` over batch x time x features.

    Zhang, Tang, Guan, "Visual-to-EEG cross-modal knowledge distillation for
    continuous emotion recognition", Pattern Recognition 2022 (weight ``w = 1``
    on the 128-d TCN output sequence).
    """

    def __init__(self):
        super().__init__()

    def forward(self, h_s, h_t):
        """Compute the loss.

        Parameters
        ----------
        h_s : Tensor, shape (batch, ...)
            Student features (V2E: ``(batch, n_times, 128)``).
        h_t : Tensor, shape (batch, ...)
            Teacher features, same shape.

        Returns
        -------
        loss : Tensor, shape ()
            Mean absolute difference.
        """
        _check_pair("h_s", h_s, "h_t", h_t)
        return (h_t - h_s).abs().mean()


@register_loss("ccc")
class CCCLoss(nn.Module):
    r"""Concordance loss ``1 - CCC`` per sequence, mean over sequences.

    ``CCC = 2 s_xy / (s_x^2 + s_y^2 + (xbar - ybar)^2)`` (Lin 1989), moments
    over the last (time) axis. ``estimator="population"`` (default) uses
    population (1/n) moments throughout. ``"v2e"`` reproduces V2E's code
    (Zhang et al., Pattern Recognition 2022): biased covariance with
    *unbiased* (1/(n-1)) variances, so for equal means its CCC is
    ``(n - 1) / n`` times the population one and a perfect prediction scores
    ``1 - CCC = 1 / n`` instead of 0 (methods.md section 7, V2E 1).

    Parameters
    ----------
    estimator : str
        ``"population"`` or ``"v2e"``.
    eps : float
        Added to the denominator (V2E adds 1e-50, which is 0 in float32).
    """

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
            raise ValueError(
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

    def extra_repr(self):
        return f"estimator={self.estimator!r}, eps={self.eps}"


@register_loss("mlkd")
class MLKDLoss(nn.Module):
    r"""EmotionKD multi-level KD ``e1 CE(y, p_S) + e2 KL(p_T || p_S) + e3 MSE(f_T, r(f_S))``.

    Liu, Jia, Wang, "EmotionKD", ACM MM 2023 (``Distill_zoo.py``). The KL uses
    plain softmax (no temperature) with both distributions clipped to
    ``[1e-7, 1]`` (Keras ``KLDivergence``), summed over classes and averaged
    over the batch; the MSE averages over batch and entries. Final weights of
    the code: ``e1 = 1, e2 = 0.1, e3 = 1``.

    The reference pairs a 7808-d teacher feature with a 3904-d student one,
    which cannot run (methods.md section 7, EKD 1). ``feature_align`` chooses:

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
            raise ValueError(
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
            raise ValueError(
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


# --------------------------------------------------------------------------- relational
def _flat(x):
    return x.reshape(x.shape[0], -1)


@register_loss("sp")
class SPLoss(nn.Module):
    r"""Similarity-preserving KD ``(1/B^2) ||G_T - G_S||_F^2``.

    ``G = normalise_rows(f f^T)`` on flattened features (batch x batch),
    Tung & Mori, "Similarity-preserving knowledge distillation", ICCV 2019.
    Invariant to scaling or rotating either feature space; sizes may differ.
    """

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
class RKDLoss(nn.Module):
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
            raise ValueError(f"rkd needs batch >= 2, got f_s shape {tuple(f_s.shape)}.")
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
class PKTLoss(nn.Module):
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


def _check_maps(f_s, f_t, loss):
    for name, f in (("f_s", f_s), ("f_t", f_t)):
        if not isinstance(f, torch.Tensor) or f.ndim < 3:
            raise ValueError(
                f"{loss}: {name} must have shape (batch, n_channels, ...) with at least one "
                f"position axis (e.g. n_times), got shape "
                f"{tuple(getattr(f, 'shape', ()))}. Pass a feature map, not a pooled vector."
            )
    if f_s.shape[0] != f_t.shape[0] or f_s.shape[2:].numel() != f_t.shape[2:].numel():
        raise ValueError(
            f"{loss}: f_s and f_t must share batch and number of positions, got f_s shape "
            f"{tuple(f_s.shape)} and f_t shape {tuple(f_t.shape)}. Pool or resample one map "
            f"to the other's positions."
        )


@register_loss("nst")
class NSTLoss(nn.Module):
    r"""Neuron selectivity transfer, squared MMD with a polynomial kernel.

    Each channel's response over positions is L2-normalised; with
    ``k(a, b) = (a^T b)^2``, ``L = mean k(T, T) + mean k(S, S) - 2 mean k(S, T)``
    over channel pairs and the batch. Huang & Wang, "Like what you like:
    knowledge distill via neuron selectivity transfer", arXiv:1707.01219
    (2017). Channel counts may differ; zero when the student's channels are a
    positively rescaled permutation of the teacher's.
    """

    def __init__(self):
        super().__init__()

    def forward(self, f_s, f_t):
        """Compute the loss.

        Parameters
        ----------
        f_s : Tensor, shape (batch, n_channels_s, ...)
            Student feature map.
        f_t : Tensor, shape (batch, n_channels_t, ...)
            Teacher feature map, same number of positions.

        Returns
        -------
        loss : Tensor, shape ()
            The loss.
        """
        _check_maps(f_s, f_t, "nst")
        s = F.normalize(f_s.reshape(f_s.shape[0], f_s.shape[1], -1), dim=2)
        t = F.normalize(f_t.reshape(f_t.shape[0], f_t.shape[1], -1), dim=2)

        def kernel(a, b):  # (batch, n_a, n_b)
            return (a @ b.transpose(1, 2)) ** 2

        return kernel(t, t).mean() + kernel(s, s).mean() - 2.0 * kernel(s, t).mean()


@register_loss("attention")
class AttentionLoss(nn.Module):
    r"""Attention transfer ``mean (a_S - a_T)^2`` (Zagoruyko & Komodakis, ICLR 2017).

    ``a = normalise(mean_c |f_c|^p)`` over positions (flattened), ``p = 2``.

    Parameters
    ----------
    p : float
        Power of the channel activation.
    """

    def __init__(self, *, p=2.0):
        super().__init__()
        self.p = _check_pos("p", p)

    def _at(self, f):
        return F.normalize(f.abs().pow(self.p).mean(dim=1).reshape(f.shape[0], -1), dim=1)

    def forward(self, f_s, f_t):
        """Compute the loss.

        Parameters
        ----------
        f_s : Tensor, shape (batch, n_channels_s, ...)
            Student feature map.
        f_t : Tensor, shape (batch, n_channels_t, ...)
            Teacher feature map, same number of positions.

        Returns
        -------
        loss : Tensor, shape ()
            The loss.
        """
        _check_maps(f_s, f_t, "attention")
        return ((self._at(f_s) - self._at(f_t)) ** 2).mean()


# --------------------------------------------------------------------------- MCC
@register_loss("mcc")
class MCCLoss(nn.Module):
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


# --------------------------------------------------------------------------- CRD
class _Embed(nn.Module):
    """``normalise(W f + b)`` on flattened features."""

    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.dim_in = dim_in
        self.linear = nn.Linear(dim_in, dim_out)

    def forward(self, f, name):
        f = f.reshape(f.shape[0], -1)
        if f.shape[1] != self.dim_in:
            raise ValueError(
                f"{name} must have {self.dim_in} features per sample (flattened), got shape "
                f"{tuple(f.shape)}. Check s_dim/t_dim against the models' feat_dim."
            )
        return F.normalize(self.linear(f), dim=1)


def _nce_terms(u, n_data):
    """NCE log-terms of scores ``u`` (column 0 positive), ``P_n = 1 / n_data``.

    Returns ``ln D1`` of shape (batch,) and ``ln D0`` of shape (batch, K).
    """
    k = u.shape[1] - 1
    m_pn = k / n_data
    log_d1 = torch.log(u[:, 0] / (u[:, 0] + m_pn + _NCE_EPS))
    log_d0 = torch.log(m_pn / (u[:, 1:] + m_pn + _NCE_EPS))
    return log_d1, log_d0


class _ContrastBase(nn.Module):
    def __init__(self, s_dim, t_dim, n_data, *, embed_dim, nce_k, nce_t, momentum,
                 negatives, bank_labels, generator, loss, share_negatives=False):
        super().__init__()
        _check_type("share_negatives", share_negatives, (bool,))
        self.share_negatives = share_negatives
        self.s_dim = _check_dim("s_dim", s_dim)
        self.t_dim = _check_dim("t_dim", t_dim)
        self.embed_dim = _check_dim("embed_dim", embed_dim)
        n_data = _check_dim("n_data", n_data)
        nce_k = _check_dim("nce_k", nce_k)
        self.negatives = _check_option("negatives", negatives, ("uniform", "exact"))
        if nce_k > n_data - 1:
            logger.warning(
                "%s: nce_k = %d negatives exceeds n_data - 1 = %d (training samples of the "
                "fold minus the anchor); using nce_k = %d.",
                loss, nce_k, n_data - 1, n_data - 1,
            )
            nce_k = n_data - 1
        self.nce_k = nce_k
        self.embed_s = _Embed(s_dim, embed_dim)
        self.embed_t = _Embed(t_dim, embed_dim)
        self.memory = ContrastMemory(
            n_data, embed_dim, momentum=momentum, nce_t=nce_t, generator=generator
        )
        if negatives == "exact":
            if bank_labels is None:
                raise ValueError(
                    f"{loss}: negatives='exact' needs bank_labels, the class of every training "
                    f"sample of the fold, shape (n_data,) = ({n_data},). Pass them or use "
                    f"negatives='uniform'."
                )
            bank_labels = torch.as_tensor(bank_labels).long().reshape(-1)
            if bank_labels.numel() != n_data:
                raise ValueError(
                    f"{loss}: bank_labels must have shape (n_data,) = ({n_data},), got shape "
                    f"{tuple(bank_labels.shape)}."
                )
            self.register_buffer("bank_labels", bank_labels)
        else:
            self.bank_labels = None
        self.n_data = n_data

    def _contrast_idx(self, idx, contrast_idx, generator):
        idx = idx.reshape(-1).long()
        if isinstance(contrast_idx, SharedNegatives):
            if contrast_idx.idx.reshape(-1).shape != idx.shape or contrast_idx.group.numel() != \
                    idx.numel():
                raise ValueError(
                    f"contrast_idx (SharedNegatives) must hold idx and group of shape (batch,) "
                    f"= ({idx.numel()},), got {tuple(contrast_idx.idx.shape)} and "
                    f"{tuple(contrast_idx.group.shape)}. Build it from this batch's idx, one "
                    f"group per anchor."
                )
            return contrast_idx
        if contrast_idx is None and self.share_negatives:
            return self._shared_negatives(idx, generator)
        if contrast_idx is None:
            contrast_idx = self.memory.sample_negatives(
                idx, self.nce_k, labels=self.bank_labels, generator=generator
            )
        elif contrast_idx.ndim != 2 or contrast_idx.shape[0] != idx.numel():
            raise ValueError(
                f"contrast_idx must have shape (batch, n_negatives) = ({idx.numel()}, K), got "
                f"shape {tuple(contrast_idx.shape)}. It holds negatives only; the anchor is "
                f"prepended internally."
            )
        return torch.cat([idx[:, None], contrast_idx.long().to(idx.device)], dim=1)

    def _shared_negatives(self, idx, generator):
        """``nce_k`` negatives per class of the batch (``"exact"``) or per batch (uniform).

        Uniform shared negatives may include an anchor of the batch (with
        probability ``nce_k / n_data`` per anchor); exact ones never do.
        """
        k = self.nce_k
        if self.bank_labels is None:
            neg = torch.randint(0, self.n_data, (1, k), generator=generator).to(idx.device)
            return SharedNegatives(idx, neg, torch.zeros_like(idx))
        labels = self.bank_labels.to(idx.device)
        anchor = labels[idx]
        classes = torch.unique(anchor)  # sorted
        group = torch.searchsorted(classes, anchor)
        neg = torch.empty(len(classes), k, dtype=torch.long, device=idx.device)
        for g, c in enumerate(classes.tolist()):
            cand = _other_class_rows(labels, c)
            neg[g] = cand[torch.randint(0, cand.numel(), (k,), generator=generator).to(idx.device)]
        return SharedNegatives(idx, neg, group)

    def _embed(self, f_s, f_t, idx):
        _check_pair("f_s", f_s, "f_t", f_t, what="batch")
        if idx.ndim != 1 or idx.shape[0] != f_s.shape[0]:
            raise ValueError(
                f"idx must have shape (batch,) = ({f_s.shape[0]},), got shape "
                f"{tuple(idx.shape)}."
            )
        return self.embed_s(f_s, "f_s"), self.embed_t(f_t, "f_t")

    def _nce_loss(self, s, t, idx, contrast_idx, generator, *, w=None, m=None):
        """``L^S + L^T`` of embeddings ``s``, ``t``; memory update in training mode.

        ``w`` (batch,) scales every score of an anchor before the NCE logs and
        ``m`` (batch,) multiplies each anchor's log-terms (CMCRD); ``None``
        leaves them out (CRD).
        """
        cidx = self._contrast_idx(idx, contrast_idx, generator)
        u_s, u_t = self.memory.scores(s, t, cidx)
        loss = 0.0
        for u in (u_s, u_t):
            log_d1, log_d0 = _nce_terms(u if w is None else u * w[:, None], self.n_data)
            terms = log_d1 + log_d0.sum(dim=1)
            loss = loss - (terms if m is None else m * terms).mean()
        if self.training:
            self.memory.update(idx, s, t)
        return loss

    def extra_repr(self):
        return (
            f"s_dim={self.s_dim}, t_dim={self.t_dim}, n_data={self.n_data}, "
            f"nce_k={self.nce_k}, negatives={self.negatives!r}"
        )


@register_loss("crd")
@fill_doc
class CRDLoss(_ContrastBase):
    r"""Contrastive representation distillation ``L_CRD = L^S + L^T``.

    Tian, Krishnan, Isola, ICLR 2020 (RepDistiller ``crd/``). Embeddings
    ``s_i = normalise(W_S f_S,i + b_S)``, ``t_i = normalise(W_T f_T,i + b_T)``;
    scores against the memory banks (``ContrastMemory``, ``Z`` fixed at the
    first batch); with ``K`` negatives and ``P_n = 1 / n_data``:
    ``ln D1_i = ln(u_ii / (u_ii + K P_n + eps))``,
    ``ln D0_ik = ln(K P_n / (u_ik + K P_n + eps))``, ``eps = 1e-7``,
    ``L^dir = -(1/B) sum_i [ln D1_i + sum_k ln D0_ik]``. In training mode the
    banks then take the momentum update with this batch's embeddings.

    Parameters
    ----------
    s_dim : int
        Student feature size (flattened).
    t_dim : int
        Teacher feature size (flattened).
    n_data : int
        Training samples of the fold (bank rows).
    embed_dim : int
        Embedding size ``d``.
    nce_k : int
        Negatives per anchor; capped at ``n_data - 1`` with a logged warning.
    nce_t : float
        Temperature.
    momentum : float
        Memory momentum ``mu``.
    negatives : str
        ``"uniform"`` (default) or ``"exact"`` (other classes only).
    bank_labels : Tensor, shape (n_data,) | None
        Class of every training sample, required by ``negatives="exact"``.
    generator : torch.Generator | None
        Generator of the memory initialisation.
    %(share_negatives)s
    """

    def __init__(self, s_dim, t_dim, n_data, *, embed_dim=128, nce_k=16384, nce_t=0.07,
                 momentum=0.5, negatives="uniform", bank_labels=None, generator=None,
                 share_negatives=False):
        super().__init__(
            s_dim, t_dim, n_data, embed_dim=embed_dim, nce_k=nce_k, nce_t=nce_t,
            momentum=momentum, negatives=negatives, bank_labels=bank_labels,
            generator=generator, loss="crd", share_negatives=share_negatives,
        )

    def forward(self, f_s, f_t, idx, contrast_idx=None, *, generator=None):
        """Compute the loss (and update the memory in training mode).

        Parameters
        ----------
        f_s : Tensor, shape (batch, s_dim)
            Student features.
        f_t : Tensor, shape (batch, t_dim)
            Teacher features.
        idx : Tensor, shape (batch,)
            Position of each sample in the training fold (bank row).
        contrast_idx : Tensor, shape (batch, n_negatives) | None
            Negative bank indices; ``None`` samples ``nce_k`` of them.
        generator : torch.Generator | None
            Generator of the negative sampling.

        Returns
        -------
        loss : Tensor, shape ()
            ``L^S + L^T``.
        """
        s, t = self._embed(f_s, f_t, idx)
        return self._nce_loss(s, t, idx, contrast_idx, generator)


@register_loss("cmcrd")
@fill_doc
class CMCRDLoss(_ContrastBase):
    r"""Cross-modal contrastive representation distillation (CMCRD).

    Kan et al., "CMCRD: Cross-Modal Contrastive Representation Distillation
    for Emotion Recognition", arXiv:2504.09221 (``unis_crdloss.py``). CRD
    (see ``CRDLoss``) with three changes, methods.md section 5.4:

    - entropy weights from the teacher logits (no temperature):
      ``H_i = -sum_k p_T,ik ln(p_T,ik + 1e-5)``, ``w_i = 1 + exp(-H_i)``,
      ``w~_i = B w_i / sum_j w_j`` with ``B`` the actual batch size (the code's
      32 is hard-coded); every score of anchor ``i``, both directions, is
      multiplied by ``w~_i`` before the NCE logs;
    - correctness mask ``m_i = +1`` if the teacher's argmax equals ``y_i``,
      else ``-1``, multiplying ``ln D1_i`` and every ``ln D0_ik``:
      ``L^dir = -(1/B) sum_i m_i [ln D1_i + sum_k ln D0_ik]``;
    - stop-gradients, with ``a_i`` = student correct, ``b_i`` = teacher
      correct: the student embedding ``s_i`` is detached if ``a_i and not
      b_i``, the teacher embedding ``t_i`` if ``b_i and not a_i``; if no sample
      of the batch is classified correctly by either model, both sides are
      detached (the returned loss then carries no gradient).

    Negatives are class-conditional by default (``negatives="exact"``);
    ``n_data`` comes from the fold and ``nce_k`` is capped (the code's
    ``N = 1200, K = 1000`` are hard-coded, methods.md section 7, CMCRD 5).

    Parameters
    ----------
    s_dim : int
        Student feature size (flattened).
    t_dim : int
        Teacher feature size (flattened).
    n_data : int
        Training samples of the fold (bank rows).
    bank_labels : Tensor, shape (n_data,) | None
        Class of every training sample; required by ``negatives="exact"``.
    embed_dim : int
        Embedding size ``d``.
    nce_k : int
        Negatives per anchor (capped at ``n_data - 1``).
    nce_t : float
        Temperature.
    momentum : float
        Memory momentum ``mu`` (CMCRD: 0.05).
    negatives : str
        ``"exact"`` (default) or ``"uniform"``.
    generator : torch.Generator | None
        Generator of the memory initialisation.
    %(share_negatives)s
    """

    def __init__(self, s_dim, t_dim, n_data, *, bank_labels=None, embed_dim=128, nce_k=1000,
                 nce_t=0.07, momentum=0.05, negatives="exact", generator=None,
                 share_negatives=False):
        super().__init__(
            s_dim, t_dim, n_data, embed_dim=embed_dim, nce_k=nce_k, nce_t=nce_t,
            momentum=momentum, negatives=negatives, bank_labels=bank_labels,
            generator=generator, loss="cmcrd", share_negatives=share_negatives,
        )

    @staticmethod
    def weights_and_masks(z_s, z_t, y):
        """Entropy weights, correctness mask and stop-gradient masks of a batch.

        Parameters
        ----------
        z_s : Tensor, shape (batch, n_classes)
            Student logits.
        z_t : Tensor, shape (batch, n_classes)
            Teacher logits.
        y : Tensor, shape (batch,)
            Class indices.

        Returns
        -------
        w : Tensor, shape (batch,)
            Entropy weights ``w~_i`` (sum ``batch``).
        m : Tensor, shape (batch,)
            ``+1`` where the teacher is correct, ``-1`` elsewhere.
        stop_s : Tensor, shape (batch,)
            True where the student embedding is detached.
        stop_t : Tensor, shape (batch,)
            True where the teacher embedding is detached.
        """
        _check_logit_pair(z_s, z_t)
        y = _check_labels(y, z_s.shape[0])
        w = _entropy_weights(F.softmax(z_t.detach(), dim=1))
        a = z_s.detach().argmax(dim=1) == y
        b = z_t.detach().argmax(dim=1) == y
        m = torch.where(b, 1.0, -1.0).to(z_t.dtype)
        stop_s = a & ~b
        stop_t = b & ~a
        if not bool(a.any()) and not bool(b.any()):
            stop_s = torch.ones_like(a)
            stop_t = torch.ones_like(b)
        return w, m, stop_s, stop_t

    def forward(self, f_s, f_t, idx, y, z_s, z_t, contrast_idx=None, *, generator=None):
        """Compute the loss (and update the memory in training mode).

        Parameters
        ----------
        f_s : Tensor, shape (batch, s_dim)
            Student features.
        f_t : Tensor, shape (batch, t_dim)
            Teacher features.
        idx : Tensor, shape (batch,)
            Position of each sample in the training fold (bank row).
        y : Tensor, shape (batch,)
            Class indices.
        z_s : Tensor, shape (batch, n_classes)
            Student logits (correctness only; no gradient flows through them).
        z_t : Tensor, shape (batch, n_classes)
            Teacher logits (entropy weights and correctness; no gradient).
        contrast_idx : Tensor, shape (batch, n_negatives) | None
            Negative bank indices; ``None`` samples ``nce_k`` of them.
        generator : torch.Generator | None
            Generator of the negative sampling.

        Returns
        -------
        loss : Tensor, shape ()
            ``L^S + L^T`` with weights, mask and stop-gradients.
        """
        w, m, stop_s, stop_t = self.weights_and_masks(z_s, z_t, y)
        s, t = self._embed(f_s, f_t, idx)
        # the rows to stop; a fully stopped side is detached as a whole (no graph at all)
        s = s.detach() if bool(stop_s.all()) else torch.where(stop_s[:, None], s.detach(), s)
        t = t.detach() if bool(stop_t.all()) else torch.where(stop_t[:, None], t.detach(), t)
        return self._nce_loss(s, t, idx, contrast_idx, generator, w=w, m=m)
