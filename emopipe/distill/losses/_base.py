"""What a loss tells the objective: the batch fields it reads and the fold sizes it needs.

The objective (:class:`emopipe.distill.methods.Objective`) computes every
term of a method on one batch dict. Each loss class states, as class
attributes of :class:`DistillLoss`,

- ``inputs``: the batch fields it reads (keys of :data:`BATCH_FIELDS`), in
  the order of its ``forward`` arguments;
- ``needs``: the constructor arguments that
  :func:`~emopipe.distill.methods.make_objective` fills from the fold (keys
  of :data:`FOLD_ARGUMENTS`); the rest come from the recipe and
  ``loss_params``.

``forward_batch`` maps the declared fields to ``forward``'s arguments (by
default it passes them unchanged, in ``inputs`` order; a loss overrides it to
flatten features, say). A loss whose inputs hold a teacher output (``z_t``,
``f_t``) needs the teacher; the others (CE, CCC, MCC) do not, and the
objective's ``kd_scale`` never scales them.
"""

from torch import nn

#: batch field -> what it holds (the objective's batch dict)
BATCH_FIELDS = {
    "z_s": "student logits, shape (batch, n_classes)",
    "f_s": "student features, shape (batch, ...)",
    "z_t": "teacher logits, shape (batch, n_classes)",
    "f_t": "teacher features, shape (batch, ...)",
    "y": "targets: class indices or ratings, shape (batch,)",
    "idx": "row of each sample in the training fold, shape (batch,)",
}

#: the fields holding teacher outputs
TEACHER_FIELDS = ("z_t", "f_t")

#: what the objective may hold besides the fields: read with ``batch.get(key)``
OBJECTIVE_EXTRAS = ("generator",)

#: constructor argument -> what ``make_objective`` passes for it
FOLD_ARGUMENTS = {
    "s_dim": "flattened student feature size",
    "t_dim": "flattened teacher feature size",
    "n_data": "training samples of the fold",
    "n_classes": "number of classes",
    "bank_labels": "class of every training sample, shape (n_data,)",
    "generator": "torch.Generator of initialisation and sampling",
}


def _flat(x):
    """``(batch, ...) -> (batch, n_features)``."""
    return x.reshape(x.shape[0], -1)


class DistillLoss(nn.Module):
    """Base of the registered losses: a module that declares what it reads.

    Subclasses set ``inputs`` (batch fields, in ``forward`` order) and
    ``needs`` (constructor arguments taken from the fold), implement
    ``forward`` on explicit tensors and override :meth:`forward_batch` when
    the batch tensors need reshaping first.

    Examples
    --------
    >>> @register_loss("l2_logits")  # doctest: +SKIP
    ... class L2LogitLoss(DistillLoss):
    ...     inputs = ("z_s", "z_t")
    ...     def forward(self, z_s, z_t):
    ...         return ((z_s - z_t) ** 2).mean()
    """

    #: batch fields read by :meth:`forward_batch`, in ``forward`` order
    inputs = ()
    #: constructor arguments filled by ``make_objective`` from the fold
    needs = ()

    @property
    def uses_teacher(self):
        """True when the loss reads a teacher output (``z_t`` or ``f_t``)."""
        return any(k in TEACHER_FIELDS for k in self.inputs)

    def forward_batch(self, batch):
        """Compute the loss on the declared fields of a batch.

        Parameters
        ----------
        batch : mapping of str -> Tensor
            Holds at least the fields named in ``inputs``.

        Returns
        -------
        loss : Tensor, shape ()
            ``self(*(batch[k] for k in self.inputs))``.
        """
        return self(*(batch[k] for k in self.inputs))


class _DeclaredFields:
    """The fields of a batch that one loss declared; reading any other is a KeyError.

    Parameters
    ----------
    name : str
        Registry key of the loss (for messages).
    loss : DistillLoss
        The loss.
    batch : dict
        The objective's batch.
    """

    def __init__(self, name, loss, batch):
        self._name = name
        self._loss = loss
        self._batch = batch
        for key in loss.inputs:
            if batch.get(key) is None:
                held = ", ".join(repr(k) for k in sorted(batch) if batch[k] is not None)
                raise ValueError(
                    f"Loss {name!r} ({type(loss).__name__}) reads batch field {key!r} "
                    f"({BATCH_FIELDS.get(key, 'undocumented')}), but the batch has none (it "
                    f"holds {held or 'nothing'}). Put {key!r} in the batch or drop the "
                    f"{name!r} term."
                )

    def _check_declared(self, key):
        if key not in self._loss.inputs and key not in OBJECTIVE_EXTRAS:
            cls = type(self._loss).__name__
            raise KeyError(
                f"Loss {self._name!r} ({cls}) read batch field {key!r}, which it does not "
                f"declare: {cls}.inputs = {tuple(self._loss.inputs)!r}. Add {key!r} to "
                f"{cls}.inputs."
            )

    def __getitem__(self, key):
        self._check_declared(key)
        return self._batch[key]

    def get(self, key, default=None):
        self._check_declared(key)
        return self._batch.get(key, default)

    def __contains__(self, key):
        return key in self._loss.inputs and key in self._batch
