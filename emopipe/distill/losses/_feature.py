"""Feature losses: the student's features match the teacher's, entry by entry or by map.

FitNet hints, V2E's L1 feature loss, neuron selectivity transfer and
attention transfer. Notation as in :mod:`emopipe.distill.losses`.
"""

import torch.nn.functional as F
from torch import nn

from ...utils._errors import ConfigError
from ._base import DistillLoss, _flat
from ._checks import _check_dim, _check_maps, _check_pair, _check_pos
from ._registry import register_loss


def _make_projector(s_dim, t_dim, projector, *, loss):
    """Linear ``s_dim -> t_dim`` map, identity if equal; error if needed but refused."""
    if s_dim == t_dim:
        return nn.Identity()
    if not projector:
        raise ConfigError(
            f"{loss}: student features of shape (batch, s_dim) = (batch, {s_dim}) cannot be "
            f"compared with teacher features of shape (batch, t_dim) = (batch, {t_dim}) "
            f"without a projector. Set projector=True (a learned Linear({s_dim}, {t_dim})) "
            f"or give both models the same feature size."
        )
    return nn.Linear(s_dim, t_dim)


@register_loss("hint")
class HintLoss(DistillLoss):
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

    inputs = ("f_s", "f_t")
    needs = ("s_dim", "t_dim")

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
            raise ConfigError(
                f"hint: f_s must have shape (batch, ..., s_dim) = (..., {self.s_dim}) and f_t "
                f"(batch, ..., t_dim) = (..., {self.t_dim}) with the same leading axes, got "
                f"f_s shape {tuple(f_s.shape)} and f_t shape {tuple(f_t.shape)}."
            )
        return F.mse_loss(self.projector(f_s), f_t)

    def forward_batch(self, batch):
        """Compute the loss on a batch's flattened features.

        Parameters
        ----------
        batch : mapping of str -> Tensor
            Holds ``f_s`` (batch, ...) and ``f_t`` (batch, ...), flattened
            here to (batch, s_dim) and (batch, t_dim).

        Returns
        -------
        loss : Tensor, shape ()
            Mean squared error.
        """
        return self(_flat(batch["f_s"]), _flat(batch["f_t"]))


@register_loss("l1_feature")
class L1FeatureLoss(DistillLoss):
    r"""V2E feature loss ``mean |h_T - h_S|`` over batch x time x features.

    Zhang, Tang, Guan, "Visual-to-EEG cross-modal knowledge distillation for
    continuous emotion recognition", Pattern Recognition 2022 (weight ``w = 1``
    on the 128-d TCN output sequence).
    """

    inputs = ("f_s", "f_t")

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


def _nst_maps(f):
    """Feature maps as they are; a pooled vector is one "channel" over its entries."""
    return f if f.ndim >= 3 else _flat(f)[:, None, :]


@register_loss("nst")
class NSTLoss(DistillLoss):
    r"""Neuron selectivity transfer, squared MMD with a polynomial kernel.

    Each channel's response over positions is L2-normalised; with
    ``k(a, b) = (a^T b)^2``, ``L = mean k(T, T) + mean k(S, S) - 2 mean k(S, T)``
    over channel pairs and the batch. Huang & Wang, "Like what you like:
    knowledge distill via neuron selectivity transfer", arXiv:1707.01219
    (2017). Channel counts may differ; zero when the student's channels are a
    positively rescaled permutation of the teacher's.
    """

    inputs = ("f_s", "f_t")

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

    def forward_batch(self, batch):
        """Compute the loss on a batch; a pooled feature vector is one channel over its entries.

        Parameters
        ----------
        batch : mapping of str -> Tensor
            Holds ``f_s`` and ``f_t``: feature maps (batch, n_channels, ...)
            are used as they are, vectors (batch, n_features) become
            (batch, 1, n_features) (NST needs a position axis).

        Returns
        -------
        loss : Tensor, shape ()
            The loss.
        """
        return self(_nst_maps(batch["f_s"]), _nst_maps(batch["f_t"]))


@register_loss("attention")
class AttentionLoss(DistillLoss):
    r"""Attention transfer ``mean (a_S - a_T)^2`` (Zagoruyko & Komodakis, ICLR 2017).

    ``a = normalise(mean_c |f_c|^p)`` over positions (flattened), ``p = 2``.

    Parameters
    ----------
    p : float
        Power of the channel activation.
    """

    inputs = ("f_s", "f_t")

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
