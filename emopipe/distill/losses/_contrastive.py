"""Contrastive losses: CRD and CMCRD, NCE against a memory bank of embeddings.

The bank is :class:`~emopipe.distill.losses._memory.ContrastMemory`.
Notation as in :mod:`emopipe.distill.losses`.
"""

import logging

import torch
import torch.nn.functional as F
from torch import nn

from ...utils._checks import _check_option, _check_type
from ...utils.docs import docdict, fill_doc
from ...utils._errors import ConfigError
from ._base import DistillLoss, _flat
from ._checks import _check_dim, _check_labels, _check_logit_pair, _check_pair
from ._memory import ContrastMemory, SharedNegatives, _other_class_rows
from ._registry import register_loss
from ._task import _entropy_weights

logger = logging.getLogger("emopipe.distill.losses._contrastive")


docdict["share_negatives"] = """share_negatives : bool
        Draw the ``K`` negatives once per batch (``"uniform"``) or once per
        class of the batch (``"exact"``) instead of once per anchor
        (:class:`~emopipe.distill.losses._memory.SharedNegatives`): every anchor
        still gets ``K`` negatives from the same distribution, but anchors
        of a class share them, and the scores take one matrix product, so
        the cost no longer grows with ``batch x K``. Off by default (the
        papers draw per anchor)."""

_NCE_EPS = 1e-7


class _Embed(nn.Module):
    """``normalise(W f + b)`` on flattened features."""

    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.dim_in = dim_in
        self.linear = nn.Linear(dim_in, dim_out)

    def forward(self, f, name):
        f = f.reshape(f.shape[0], -1)
        if f.shape[1] != self.dim_in:
            raise ConfigError(
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


def _negatives(loss, batch):
    """Vectorised negative bank indices for the contrastive losses.

    Uniform negatives are left to the loss (``None``). Class-conditional
    ("exact") negatives are drawn here in one ``randint`` per class, with
    replacement, from the rows of the other classes; the loss's own sampler
    draws without replacement in a Python loop over anchors, which costs
    ~17 s per epoch on a DEAP LOSO fold (59 520 windows). With thousands of
    candidates per class the two distributions differ only by the rare
    repeated index.
    """
    labels = getattr(loss, "bank_labels", None)
    if (labels is None or getattr(loss, "negatives", "uniform") != "exact"
            or getattr(loss, "share_negatives", False)):
        return None  # the loss draws them (uniform, or shared per class)
    cache = getattr(loss, "_emopipe_class_rows", None)
    if cache is None:
        cache = {int(c): torch.nonzero(labels != c).reshape(-1) for c in torch.unique(labels)}
        loss._emopipe_class_rows = cache
    idx = batch["idx"].reshape(-1)
    anchor = labels[idx]
    out = torch.empty(idx.numel(), loss.nce_k, dtype=torch.long, device=idx.device)
    gen = batch.get("generator")
    for c, cand in cache.items():
        rows = torch.nonzero(anchor == c).reshape(-1)
        if rows.numel() == 0:
            continue
        if cand.numel() == 0:
            raise ConfigError(
                f"Class-conditional negatives need samples of another class, but every training "
                f"window has class {c}. Use loss_params={{'{type(loss).__name__}': "
                f"{{'negatives': 'uniform'}}}} or a fold holding two classes."
            )
        draw = torch.randint(0, cand.numel(), (rows.numel(), loss.nce_k), generator=gen)
        out[rows] = cand.to(idx.device)[draw.to(idx.device)]
    return out


class _ContrastBase(DistillLoss):
    """Embedding heads, memory bank, negative sampling and NCE of CRD and CMCRD."""

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
                raise ConfigError(
                    f"{loss}: negatives='exact' needs bank_labels, the class of every training "
                    f"sample of the fold, shape (n_data,) = ({n_data},). Pass them or use "
                    f"negatives='uniform'."
                )
            bank_labels = torch.as_tensor(bank_labels).long().reshape(-1)
            if bank_labels.numel() != n_data:
                raise ConfigError(
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
                raise ConfigError(
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
            raise ConfigError(
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
            raise ConfigError(
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

    inputs = ("f_s", "f_t", "idx")
    needs = ("s_dim", "t_dim", "n_data", "bank_labels", "generator")

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

    def forward_batch(self, batch):
        """Compute the loss on a batch, drawing its negatives.

        Parameters
        ----------
        batch : mapping of str -> Tensor
            Holds ``f_s``, ``f_t`` (flattened here) and ``idx``; the
            objective's ``generator``, if any, draws the negatives.

        Returns
        -------
        loss : Tensor, shape ()
            ``L^S + L^T``.
        """
        return self(_flat(batch["f_s"]), _flat(batch["f_t"]), batch["idx"],
                    contrast_idx=_negatives(self, batch), generator=batch.get("generator"))


@register_loss("cmcrd")
@fill_doc
class CMCRDLoss(_ContrastBase):
    r"""Cross-modal contrastive representation distillation (CMCRD).

    Kan et al., "CMCRD: Cross-Modal Contrastive Representation Distillation
    for Emotion Recognition", arXiv:2504.09221 (``unis_crdloss.py``). CRD
    (see ``CRDLoss``) with three changes, docs/methods.md section 5.4:

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
    ``N = 1200, K = 1000`` are hard-coded, docs/methods.md section 7, CMCRD 5).

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

    inputs = ("f_s", "f_t", "idx", "y", "z_s", "z_t")
    needs = ("s_dim", "t_dim", "n_data", "bank_labels", "generator")

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

    def forward_batch(self, batch):
        """Compute the loss on a batch, drawing its negatives.

        Parameters
        ----------
        batch : mapping of str -> Tensor
            Holds ``f_s``, ``f_t`` (flattened here), ``idx``, ``y``, ``z_s``
            and ``z_t``; the objective's ``generator``, if any, draws the
            negatives.

        Returns
        -------
        loss : Tensor, shape ()
            ``L^S + L^T`` with weights, mask and stop-gradients.
        """
        return self(_flat(batch["f_s"]), _flat(batch["f_t"]), batch["idx"], batch["y"],
                    batch["z_s"], batch["z_t"], contrast_idx=_negatives(self, batch),
                    generator=batch.get("generator"))
