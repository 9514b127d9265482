"""Memory bank of the contrastive (CRD/CMCRD) losses.

Two banks, ``memory_s`` (student embeddings) and ``memory_t`` (teacher
embeddings), each ``(n_data, embed_dim)`` with ``n_data`` the number of
training samples of the fold (never a hard-coded size: CMCRD's 1200 breaks on
indices >= 1200, docs/methods.md section 7, CMCRD 5).
"""

import logging
import math
from typing import NamedTuple

import torch
from torch import nn

from ...utils._checks import _check_type
from ...utils._errors import ConfigError
from ._checks import _check_int_tensor, _check_pos, _check_unit_interval

logger = logging.getLogger("emopipe.distill.losses._memory")


def _check_index(parameter, idx, n_data):
    """Check a 1-D long tensor of bank indices in ``[0, n_data)``."""
    _check_int_tensor(
        parameter, idx, "bank indices",
        hint=" Return each sample's position in the training fold from the dataset.",
    )
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= n_data):
        raise ConfigError(
            f"{parameter} must hold indices in [0, n_data) = [0, {n_data}), got values in "
            f"[{int(idx.min())}, {int(idx.max())}]. Size the memory bank from the training "
            f"fold (n_data = number of training samples) and index samples within it."
        )
    return idx.long()


def _other_class_rows(labels, c):
    """Bank rows whose class is not ``c`` (the candidates of "exact" negatives)."""
    cand = torch.nonzero(labels != c).reshape(-1)
    if cand.numel() == 0:
        raise ConfigError(
            f"Class-conditional negatives need samples of another class, but every bank row "
            f"has class {c!r}. Use uniform negatives (negatives='uniform') or a fold holding "
            f"at least two classes."
        )
    return cand


class SharedNegatives(NamedTuple):
    """Negatives drawn once per group of anchors (per class, or once per batch).

    Equivalent to the per-anchor indices ``cat([idx[:, None], neg[group]], 1)``
    but scored with one ``(batch, n_groups * K)`` matrix product against
    ``n_groups * K`` bank rows instead of gathering ``batch * K`` rows: the
    cost of ``K`` no longer scales with the batch.

    Parameters
    ----------
    idx : Tensor, shape (batch,)
        Bank indices of the anchors (the positives).
    neg : Tensor, shape (n_groups, K)
        Negative bank indices of each group.
    group : Tensor, shape (batch,)
        Group of each anchor, in ``[0, n_groups)``.
    """

    idx: torch.Tensor
    neg: torch.Tensor
    group: torch.Tensor

    def expand(self):
        """Per-anchor indices ``(batch, 1 + K)``, column 0 the positive."""
        return torch.cat([self.idx[:, None], self.neg[self.group]], dim=1)


def _shared_dots(bank, v, shared):
    """``_dots`` of the expanded indices of ``shared``, by one matrix product."""
    bank = bank.detach()
    pos = (bank.index_select(0, shared.idx) * v).sum(dim=1, keepdim=True)  # (batch, 1)
    n_groups, k = shared.neg.shape
    rows = bank.index_select(0, shared.neg.reshape(-1))  # (n_groups * K, d)
    allneg = v @ rows.T  # (batch, n_groups * K)
    cols = shared.group[:, None] * k + torch.arange(k, device=v.device)[None, :]
    return torch.cat([pos, allneg.gather(1, cols)], dim=1)  # (batch, 1 + K)


def _dots(bank, v, contrast_idx, *, full=None):
    """``<bank[contrast_idx[b, k]], v[b]>``, shape (batch, n_idx); no gradient into ``bank``.

    With many indices per anchor relative to the bank size, all ``batch x n_data``
    products are computed and gathered (a matrix product); otherwise the rows
    are gathered first. Both give the same values; the first avoids copying
    ``batch x n_idx x embed_dim`` floats (about 4x faster for K ~ n_data).
    """
    bank = bank.detach()
    if full is None:
        full = 4 * contrast_idx.shape[1] >= bank.shape[0]
    if full:
        # clone: the product keeps ``bank`` for backward and ``update`` writes in place
        return (v @ bank.clone().T).gather(1, contrast_idx)
    # index_select reads the rows ~1.6x faster than advanced indexing on CPU
    rows = bank.index_select(0, contrast_idx.reshape(-1)).view(*contrast_idx.shape, -1)
    return torch.einsum("bkd,bd->bk", rows, v)  # (batch, n_idx, d) . (batch, d)


class ContrastMemory(nn.Module):
    """Student and teacher embedding banks with negative sampling (CRD, CMCRD).

    Each row starts uniform in ``[-1/sqrt(d/3), 1/sqrt(d/3)]`` (variance
    ``1/d``, RepDistiller ``ContrastMemory``) and moves by the momentum update
    ``M[i] <- normalise(momentum * M[i] + (1 - momentum) * v_i)``.

    The scores of anchor ``i`` against bank rows ``j`` are
    ``u^S_ij = exp(<M_T[j], s_i> / nce_t) / Z_S`` and
    ``u^T_ij = exp(<M_S[j], t_i> / nce_t) / Z_T``, where each ``Z`` is fixed
    at the first call to ``n_data * mean(unnormalised scores)`` (Tian, Krishnan,
    Isola, "Contrastive Representation Distillation", ICLR 2020).

    Parameters
    ----------
    n_data : int
        Number of training samples of the fold (rows of each bank), >= 2.
    embed_dim : int
        Embedding size ``d``.
    momentum : float
        Memory momentum ``mu`` in ``[0, 1]`` (0.5 RepDistiller, 0.05 CMCRD).
    nce_t : float
        Temperature of the scores.
    generator : torch.Generator | None
        Generator of the initial bank values (seeded runs).

    Attributes
    ----------
    memory_s : Tensor, shape (n_data, embed_dim)
        Student bank.
    memory_t : Tensor, shape (n_data, embed_dim)
        Teacher bank.
    z_s, z_t : Tensor, shape ()
        Normalisation constants; ``-1`` until the first call of ``scores``.
    """

    def __init__(self, n_data, embed_dim, *, momentum=0.5, nce_t=0.07, generator=None):
        super().__init__()
        _check_type("n_data", n_data, ("int",))
        _check_type("embed_dim", embed_dim, ("int",))
        if n_data < 2:
            raise ConfigError(
                f"n_data must be >= 2 (an anchor needs at least one other sample), got "
                f"{n_data!r}. Pass the number of training samples of the fold."
            )
        if embed_dim < 1:
            raise ConfigError(f"embed_dim must be >= 1, got {embed_dim!r}.")
        self.n_data = int(n_data)
        self.embed_dim = int(embed_dim)
        self.momentum = _check_unit_interval("momentum", momentum)
        self.nce_t = _check_pos("nce_t", nce_t)
        stdv = 1.0 / math.sqrt(embed_dim / 3.0)
        for name in ("memory_s", "memory_t"):
            bank = torch.rand(n_data, embed_dim, generator=generator) * (2 * stdv) - stdv
            self.register_buffer(name, bank)
        self.register_buffer("z_s", torch.tensor(-1.0))
        self.register_buffer("z_t", torch.tensor(-1.0))
        logger.debug(
            "Contrast memory: 2 banks of %d x %d, momentum %g, nce_t %g",
            n_data, embed_dim, momentum, nce_t,
        )

    def sample_negatives(self, idx, k, *, labels=None, generator=None):
        """Draw ``k`` negative bank indices per anchor.

        Parameters
        ----------
        idx : Tensor, shape (batch,)
            Bank indices of the anchors.
        k : int
            Negatives per anchor, >= 1.
        labels : Tensor, shape (n_data,) | None
            Class of every bank row. ``None``: uniform over the other
            ``n_data - 1`` rows, with replacement (the noise distribution of
            NCE; the anchor itself is never drawn). Given: "exact"
            class-conditional sampling (CMCRD), ``k`` rows of classes other
            than the anchor's, without replacement when there are at least
            ``k`` of them, with replacement otherwise.
        generator : torch.Generator | None
            Random generator (seeded runs).

        Returns
        -------
        neg_idx : Tensor, shape (batch, k)
            Bank indices (int64) of the negatives.
        """
        idx = _check_index("idx", idx, self.n_data).reshape(-1)
        _check_type("k", k, ("int",))
        if k < 1:
            raise ConfigError(f"k (number of negatives) must be >= 1, got {k!r}.")
        device = self.memory_s.device
        if labels is None:
            # uniform over {0..n_data-1} \ {i}: draw in [0, n_data - 1) and skip i
            draw = torch.randint(0, self.n_data - 1, (idx.numel(), k), generator=generator)
            draw = draw.to(device)
            return draw + (draw >= idx[:, None]).long()
        labels = torch.as_tensor(labels).reshape(-1)
        if labels.numel() != self.n_data:
            raise ConfigError(
                f"labels must have shape (n_data,) = ({self.n_data},), got shape "
                f"{tuple(labels.shape)}. Pass the class of every training sample of the fold."
            )
        labels = labels.to(device)
        out = torch.empty(idx.numel(), k, dtype=torch.long, device=device)
        anchor_cls = labels[idx]
        for c in torch.unique(anchor_cls).tolist():
            rows = torch.nonzero(anchor_cls == c).reshape(-1)
            cand = _other_class_rows(labels, c)
            for r in rows.tolist():
                if cand.numel() >= k:
                    pick = torch.randperm(cand.numel(), generator=generator)[:k]
                else:
                    pick = torch.randint(0, cand.numel(), (k,), generator=generator)
                out[r] = cand[pick.to(device)]
        return out

    def scores(self, s, t, contrast_idx):
        """Normalised scores of each anchor against its positive and negatives.

        Parameters
        ----------
        s : Tensor, shape (batch, embed_dim)
            L2-normalised student embeddings ``s_i``.
        t : Tensor, shape (batch, embed_dim)
            L2-normalised teacher embeddings ``t_i``.
        contrast_idx : Tensor, shape (batch, 1 + n_negatives) | SharedNegatives
            Bank indices; column 0 is the anchor's own index (positive). A
            :class:`SharedNegatives` gives the same scores as its
            ``expand()``, computed by one matrix product.

        Returns
        -------
        u_s : Tensor, shape (batch, 1 + n_negatives)
            ``exp(<M_T[j], s_i> / nce_t) / Z_S`` (student anchors, teacher bank).
        u_t : Tensor, shape (batch, 1 + n_negatives)
            ``exp(<M_S[j], t_i> / nce_t) / Z_T`` (teacher anchors, student bank).
        """
        if isinstance(contrast_idx, SharedNegatives):
            shared = SharedNegatives(
                _check_index("contrast_idx.idx", contrast_idx.idx, self.n_data).reshape(-1),
                _check_index("contrast_idx.neg", contrast_idx.neg, self.n_data),
                contrast_idx.group.long().reshape(-1))
            u_s = torch.exp(_shared_dots(self.memory_t, s, shared) / self.nce_t)
            u_t = torch.exp(_shared_dots(self.memory_s, t, shared) / self.nce_t)
        else:
            contrast_idx = _check_index("contrast_idx", contrast_idx, self.n_data)
            u_s = torch.exp(_dots(self.memory_t, s, contrast_idx) / self.nce_t)
            u_t = torch.exp(_dots(self.memory_s, t, contrast_idx) / self.nce_t)
        with torch.no_grad():
            if self.z_s < 0:
                self.z_s.fill_(float(u_s.mean()) * self.n_data)
                logger.info("CRD: normalisation constant Z_S fixed at %.4g", float(self.z_s))
            if self.z_t < 0:
                self.z_t.fill_(float(u_t.mean()) * self.n_data)
                logger.info("CRD: normalisation constant Z_T fixed at %.4g", float(self.z_t))
        return u_s / self.z_s, u_t / self.z_t

    @torch.no_grad()
    def update(self, idx, s, t):
        """Momentum update of the rows ``idx`` of both banks, then L2 renormalisation.

        ``M_S[i] <- normalise(momentum * M_S[i] + (1 - momentum) * s_i)``, and the
        same for ``M_T`` with ``t_i``. Gradients never flow into the banks.

        Parameters
        ----------
        idx : Tensor, shape (batch,)
            Bank indices of the samples.
        s : Tensor, shape (batch, embed_dim)
            Student embeddings.
        t : Tensor, shape (batch, embed_dim)
            Teacher embeddings.
        """
        idx = _check_index("idx", idx, self.n_data).reshape(-1)
        mu = self.momentum
        for bank, v in ((self.memory_s, s), (self.memory_t, t)):
            new = bank[idx] * mu + v.detach().to(bank.dtype) * (1.0 - mu)
            new = new / new.norm(dim=1, keepdim=True).clamp_min(1e-12)
            bank.index_copy_(0, idx, new)

    def extra_repr(self):
        return (
            f"n_data={self.n_data}, embed_dim={self.embed_dim}, "
            f"momentum={self.momentum}, nce_t={self.nce_t}"
        )

