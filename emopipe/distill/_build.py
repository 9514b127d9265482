"""Models sized from the cohort's metadata: cached dims -> the models' signal arguments.

Each model class declares the axes of its inputs (``EmoModule.input_dims``,
in the cache's axis vocabulary); the cache stores the axes of every feature
(its ``dims``). :func:`plan_model` matches the two by axis name:

- a model input ``("feature",)`` takes every value of a window as one flat
  vector (``n_features`` = their count);
- otherwise the feature's axes (``"band"`` read as ``"feature"``) must be the
  model's, in order; a ``"channel"``, ``"feature"`` or ``"plane"`` axis the
  feature lacks has size 1 (one GSR channel, the one plane of grey frames).

Each model axis sizes one signal argument (:data:`emopipe.models.SIGNAL_ARGS`):
``(window, channel, band)`` gives ``n_channels`` and ``n_features`` (the
bands), ``(window, channel, time)`` gives ``n_channels``, ``n_times`` and the
feature's ``sfreq``. The arrays are then reshaped to the matched layout,
which only flattens or adds axes of size 1, so values keep their order.
"""

from dataclasses import dataclass

import numpy as np

from ..utils._errors import ConfigError
from ..models import MODELS, SIGNAL_ARGS, build_model

#: cache axis names read as another model axis
_ALIASES = {"band": "feature"}
#: model axes a cached feature may lack (size 1)
_OPTIONAL_AXES = ("channel", "feature", "plane")


@dataclass(frozen=True)
class InputMeta:
    """What the cache says about one model input.

    Parameters
    ----------
    key : str
        ``"modality:feature"``, for messages.
    shape : tuple of int
        Shape of one window.
    dims : tuple of str | None
        Axis names, ``"window"`` first as in the cache (``None``: all
        ``"feature"``).
    sfreq : float | None
        Sampling frequency in Hz from the feature's attributes.
    """

    key: str
    shape: tuple
    dims: tuple | None = None
    sfreq: float | None = None

    @property
    def axes(self):
        """Axis names of one window (``"window"`` dropped, aliases applied)."""
        dims = tuple(self.dims) if self.dims else ("window",) + ("feature",) * len(self.shape)
        if dims and dims[0] == "window":
            dims = dims[1:]
        return tuple(_ALIASES.get(d, d) for d in dims)


def cohort_inputs(cohort, keys):
    """:class:`InputMeta` of the cohort features ``keys``.

    Parameters
    ----------
    cohort : CohortData
        The cohort.
    keys : list of str
        ``"modality:feature"`` keys, in model input order.

    Returns
    -------
    inputs : list of InputMeta
        One per key.
    """
    return [InputMeta(k, tuple(cohort.features[k].shape[1:]), cohort.dims.get(k),
                      cohort.sfreq.get(k)) for k in keys]


def _arranged_shape(meta, layout):
    """Window shape of ``meta`` in ``layout`` and whether it matched without flattening.

    ``None`` when the feature does not fit the layout.
    """
    axes = meta.axes
    if tuple(layout) == ("feature",):
        return (int(np.prod(meta.shape, dtype=np.int64)),), axes == ("feature",)
    shape, j = [], 0
    for ax in layout:
        if j < len(axes) and axes[j] == ax:
            shape.append(int(meta.shape[j]))
            j += 1
        elif ax in _OPTIONAL_AXES:
            shape.append(1)
        else:
            return None
    if j != len(axes):
        return None
    return tuple(shape), True


def _choose_layout(cls, inputs, params):
    """The model's input layout for ``inputs``, and the constructor option choosing it."""
    if cls.input_dims_options is None or cls.input_dims_options[0] in params:
        return cls.input_dims_for(params), {}
    arg, options = cls.input_dims_options
    for value, layout in options.items():
        if len(layout) == len(inputs):
            fits = [_arranged_shape(m, ax) for m, ax in zip(inputs, layout)]
            if all(f is not None and f[1] for f in fits):
                return layout, {arg: value}
    return cls.input_dims, {}


def _shared(kwargs, name, value, inputs, model):
    if name in kwargs and kwargs[name] != value:
        raise ConfigError(
            f"Model {model!r} takes one {name} for all its inputs, but the inputs "
            f"{', '.join(m.key for m in inputs)} give {kwargs[name]!r} and {value!r}. Use inputs "
            f"of equal {name} (e.g. the same window length and rate)."
        )
    kwargs[name] = value


@dataclass(frozen=True)
class ModelPlan:
    """A model sized from its inputs: the build arguments and the window shapes.

    Parameters
    ----------
    name : str
        Registry key of the model.
    kwargs : dict
        Signal arguments from the inputs, then the user's parameters.
    shapes : tuple of tuple of int
        Window shape of each input in the model's layout.
    """

    name: str
    kwargs: dict
    shapes: tuple

    def to_record(self):
        """The plan as JSON values, for the run folder (``models/<fold>.json``).

        Returns
        -------
        record : dict
            ``name``, ``kwargs`` (the exact constructor arguments; tuples as
            lists, their names in ``tuple_kwargs``) and ``shapes``.
        """
        return {"name": self.name,
                "kwargs": {k: list(v) if isinstance(v, tuple) else v
                           for k, v in self.kwargs.items()},
                "tuple_kwargs": sorted(k for k, v in self.kwargs.items() if isinstance(v, tuple)),
                "shapes": [list(s) for s in self.shapes]}

    @classmethod
    def from_record(cls, record):
        """The plan :meth:`to_record` wrote.

        Parameters
        ----------
        record : dict
            ``name``, ``kwargs``, ``tuple_kwargs`` and ``shapes``.

        Returns
        -------
        plan : ModelPlan
            Builds the model with the recorded arguments.
        """
        tuples = set(record.get("tuple_kwargs", ()))
        kwargs = {k: tuple(v) if k in tuples else v for k, v in record["kwargs"].items()}
        return cls(record["name"], kwargs, tuple(tuple(s) for s in record["shapes"]))

    def build(self):
        """Build the model (consumes the torch RNG for its initial weights).

        Returns
        -------
        model : EmoModule
            The model, in training mode.
        """
        return build_model(self.name, **self.kwargs)

    def arrange(self, arrays):
        """Reshape each input array to the model's layout.

        Parameters
        ----------
        arrays : list of Tensor | ndarray, shape (n_windows, ...)
            One per input, as cached.

        Returns
        -------
        arrays : list of Tensor | ndarray, shape (n_windows, *shapes[i])
            The same values, flattened or with axes of size 1 added.
        """
        return [x.reshape((x.shape[0],) + tuple(s)) for x, s in zip(arrays, self.shapes)]


def plan_model(name, inputs, n_outputs, params=None):
    """Signal arguments of model ``name`` from the metadata of its inputs.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"mlp"``, ``"ekd_teacher"``.
    inputs : list of InputMeta
        One per model input, in order.
    n_outputs : int
        Classes, or 1 for a continuous target.
    params : dict | None
        The user's model parameters (``teacher_params`` / ``student_params``);
        they override the signal arguments.

    Returns
    -------
    plan : ModelPlan
        Build arguments and window shapes.
    """
    params = dict(params or {})
    cls = MODELS.get(name)
    layout, option = _choose_layout(cls, inputs, params)
    if len(layout) != len(inputs):
        raise ConfigError(
            f"Model {name!r} ({cls.__name__}) takes {len(layout)} input(s) "
            f"({', '.join(cls.input_names)}), got {len(inputs)} "
            f"({', '.join(m.key for m in inputs)}). Pick a model for this many inputs "
            f"(teacher_model / student_model) or change the modality spec."
        )
    kwargs, shapes = {}, []
    multi = len(inputs) > 1
    for i, (meta, axes) in enumerate(zip(inputs, layout)):
        fit = _arranged_shape(meta, axes)
        if fit is None:
            raise ConfigError(
                f"Model {name!r} ({cls.__name__}) input {cls.input_names[i]!r} takes axes "
                f"{axes}, but {meta.key} has dims {tuple(meta.dims or ())} (shape "
                f"{meta.shape} per window). Pick a model for this input (teacher_model / "
                f"student_model) or another feature (e.g. '{meta.key.split(':')[0]}:raw' for "
                f"raw windows)."
            )
        shape = fit[0]
        shapes.append(shape)
        for ax, size in zip(axes, shape):
            arg = SIGNAL_ARGS[ax]
            if arg in ("n_channels", "n_features"):
                kwargs[f"{arg}_{'abcdefgh'[i]}" if multi else arg] = size
            elif arg == "n_times":
                _shared(kwargs, arg, size, inputs, name)
        if "height" in axes and "width" in axes:
            size = (shape[axes.index("height")], shape[axes.index("width")])
            _shared(kwargs, "frame_size", size, inputs, name)
        if "time" in axes and meta.sfreq is not None:
            _shared(kwargs, "sfreq", float(meta.sfreq), inputs, name)
    kwargs["n_outputs"] = int(n_outputs)
    kwargs.update(option)
    kwargs.update(params)
    return ModelPlan(name, kwargs, tuple(shapes))
