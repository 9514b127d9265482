"""The model contract: :class:`EmoModule`, dry-run shapes and the size checks.

Every model follows ``forward(*inputs) -> (out, feat)`` and ``features(*inputs)
-> list``, has the attributes ``feat_dim`` and ``n_inputs`` and the
``input_shapes`` property used by :func:`output_shape` for a dry forward pass
(braindecode's ``EEGModuleMixin``). Each class declares the layout of its inputs
in :attr:`EmoModule.input_dims` (the cache's axis names), from which the
training driver sizes it with the shared signal arguments (:data:`SIGNAL_ARGS`).
"""

import logging

import torch
from torch import nn

from ..utils._checks import _check_positive, _check_shape, _check_type
from ..utils._errors import ConfigError

logger = logging.getLogger("emopipe.models")



def _check_size(parameter, value, *, minimum=1):
    """Check that ``value`` is an int >= ``minimum`` and return it as int."""
    _check_type(parameter, value, ("int",))
    if value < minimum:
        raise ConfigError(f"{parameter} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def _check_dropout(parameter, value):
    _check_type(parameter, value, ("numeric",))
    if not 0.0 <= value < 1.0:
        raise ConfigError(f"{parameter} must be in [0, 1), got {value!r}.")
    return float(value)


def _check_sfreq(sfreq):
    """``None``, or ``sfreq`` checked > 0 and returned as float (Hz)."""
    return None if sfreq is None else float(_check_positive("sfreq", sfreq))


#: Axes a model input may have, in the cache's vocabulary (a cached ``"band"``
#: axis reads as ``"feature"``), and the signal argument each one sizes.
#: ``"plane"`` (the one plane of a grey frame) and ``"step"`` (a sequence of
#: windows, any length) size none. Per-input arguments get a suffix ``_a``,
#: ``_b``, ... in input order on models with several inputs; ``n_times``,
#: ``frame_size`` and ``sfreq`` are shared by the inputs.
SIGNAL_ARGS = {
    "channel": "n_channels",
    "feature": "n_features",
    "time": "n_times",
    "height": "frame_size",
    "width": "frame_size",
    "plane": None,
    "step": None,
}

#: signal arguments suffixed per input on models with several inputs
_PER_INPUT = ("n_channels", "n_features")


class EmoModule(nn.Module):
    """Base class of emopipe models: input checks and the shared contract.

    Subclasses set ``input_names`` (tuple of str), ``input_axes`` (one tuple
    of axis names per input, batch excluded), ``_input_sizes`` (one tuple of
    ints per input, used for the dry run), ``_variable_axes`` (axis names
    whose size is free, e.g. ``n_steps``), ``feat_dim`` and implement
    ``_run(*inputs) -> (out, feats)``; :meth:`forward` and :meth:`features`
    check the inputs against the built sizes before calling it.

    Every model takes the same signal arguments (braindecode's models do
    too): ``n_channels``, ``n_times`` or ``n_features`` as its inputs need
    them (see :data:`SIGNAL_ARGS`), ``sfreq`` when an input has a time axis,
    and ``n_outputs`` (classes, or 1 for a continuous target). The class
    attribute ``input_dims`` declares, per input, its axes in the cache's
    vocabulary (batch excluded): ``("feature",)`` is one flat vector holding
    every value of a window, ``("channel", "feature")`` bands or features per
    channel, ``("channel", "time")`` a raw window. A model whose layout
    depends on a constructor argument sets ``input_dims_options = (argument,
    {value: input_dims})``. The training driver sizes a model from the dims
    of the cached features through this declaration.
    """

    input_names = ("x",)
    input_dims = (("feature",),)
    input_dims_options = None
    _variable_axes = frozenset()

    @classmethod
    def input_dims_for(cls, params):
        """The input layout the model has when built with ``params``.

        Parameters
        ----------
        params : dict
            Constructor arguments (only the one named by
            ``input_dims_options`` is read).

        Returns
        -------
        input_dims : tuple of tuple of str
            Per input, its axes in the cache's vocabulary.
        """
        if cls.input_dims_options is None:
            return cls.input_dims
        arg, options = cls.input_dims_options
        value = params.get(arg)
        return cls.input_dims if value not in options else options[value]

    @classmethod
    def signal_args(cls, input_dims=None):
        """Signal arguments that size the model from its input layout.

        Parameters
        ----------
        input_dims : tuple of tuple of str | None
            Per input, its axes; ``None`` reads the class's ``input_dims``.

        Returns
        -------
        names : tuple of str
            E.g. ``("n_channels", "n_times", "sfreq", "n_outputs")``.
        """
        input_dims = cls.input_dims if input_dims is None else input_dims
        multi = len(input_dims) > 1
        names = []
        for i, axes in enumerate(input_dims):
            for ax in axes:
                arg = SIGNAL_ARGS[ax]
                if arg in _PER_INPUT and multi:
                    arg = f"{arg}_{'abcdefgh'[i]}"
                if arg is not None and arg not in names:
                    names.append(arg)
        if any("time" in axes for axes in input_dims):
            names.append("sfreq")
        return tuple(names) + ("n_outputs",)

    def __init__(self):
        super().__init__()
        self.input_axes = [()]
        self._input_sizes = [()]
        self.feat_dim = 0

    @property
    def n_inputs(self):
        """Number of input tensors (one per modality)."""
        return len(self.input_names)

    @property
    def input_shapes(self):
        """Per-sample input shapes, batch excluded: list of tuples of int."""
        return [tuple(s) for s in self._input_sizes]

    def _check_inputs(self, inputs):
        """Raise a clear error if ``inputs`` do not match the built sizes."""
        name = type(self).__name__
        if len(inputs) != self.n_inputs:
            raise ConfigError(
                f"{name} takes {self.n_inputs} input tensor(s) "
                f"({', '.join(self.input_names)}), got {len(inputs)}."
            )
        for x, in_name, axes, sizes in zip(
            inputs, self.input_names, self.input_axes, self._input_sizes
        ):
            _check_type(f"{name} input {in_name!r}", x, (torch.Tensor,), type_name="Tensor")
            expected = ("batch",) + tuple(
                ax if ax in self._variable_axes else size for ax, size in zip(axes, sizes)
            )
            fixed = ", ".join(
                f"{ax}={size}" for ax, size in zip(axes, sizes) if ax not in self._variable_axes
            )
            hint = (
                f"Expected (batch, {', '.join(axes)}) with {fixed} as the model was "
                f"built; build it with the sizes of your data."
            )
            _check_shape(f"{name} input {in_name!r}", x, expected, hint=hint)

    def _run(self, *inputs):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, *inputs):
        """Predict from one tensor per modality.

        Parameters
        ----------
        *inputs : Tensor
            One tensor per modality, in the order of ``input_names``, each of
            shape ``(batch, *input_shapes[i])``.

        Returns
        -------
        out : Tensor, shape (batch, n_classes) or (batch, n_steps, n_outputs)
            Logits (classifiers) or predictions (sequence regressors).
        feat : Tensor, shape (batch, feat_dim) or (batch, n_steps, feat_dim)
            The embedding used for feature distillation.
        """
        self._check_inputs(inputs)
        out, feats = self._run(*inputs)
        return out, feats[-1]

    def features(self, *inputs):
        """Intermediate representations for multi-layer distillation.

        Parameters
        ----------
        *inputs : Tensor
            As in :meth:`forward`.

        Returns
        -------
        feats : list of Tensor
            Representations from shallow to deep, each with the batch axis
            first; the last one is ``feat`` of :meth:`forward`.
        """
        self._check_inputs(inputs)
        return self._run(*inputs)[1]


def _dry_run(model, batch):
    _check_type("model", model, (EmoModule,), type_name="emopipe model (EmoModule)")
    batch = _check_size("batch", batch)
    param = next(model.parameters(), None)
    kw = {} if param is None else dict(dtype=param.dtype, device=param.device)
    inputs = [torch.zeros((batch,) + tuple(shape), **kw) for shape in model.input_shapes]
    was_training = model.training
    model.eval()  # no BatchNorm statistics update, no dropout
    try:
        with torch.no_grad():
            out, feat = model(*inputs)
    finally:
        model.train(was_training)
    return out, feat


def output_shape(model, batch=2):
    """Shape of ``out`` from a dry forward pass with zeros.

    Parameters
    ----------
    model : EmoModule
        An emopipe model; its ``input_shapes`` give the zero inputs.
    batch : int
        Batch size of the dry run.

    Returns
    -------
    shape : tuple of int
        ``(batch, n_classes)`` or ``(batch, n_steps, n_outputs)``.
    """
    return tuple(_dry_run(model, batch)[0].shape)


def feature_shape(model, batch=2):
    """Shape of ``feat`` from a dry forward pass with zeros.

    Parameters
    ----------
    model : EmoModule
        An emopipe model; its ``input_shapes`` give the zero inputs.
    batch : int
        Batch size of the dry run.

    Returns
    -------
    shape : tuple of int
        ``(batch, feat_dim)`` or ``(batch, n_steps, feat_dim)``.
    """
    return tuple(_dry_run(model, batch)[1].shape)


