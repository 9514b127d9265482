"""The model registry: snake_case name -> model class."""

import difflib
import inspect

from ..utils._registry import Registry
from ..utils._errors import ConfigTypeError

MODELS = Registry("Model", "models")


def register_model(name):
    """Decorator registering a model class under ``name`` (snake_case).

    Parameters
    ----------
    name : str
        Registry key, the value used in YAML configs and on the CLI.

    Returns
    -------
    decorator : callable
        Adds the class to ``MODELS`` and returns it unchanged.
    """
    return MODELS.register(name)


def build_model(name, **kwargs):
    """Build a registered model from its signal arguments and keyword sizes.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"mlp"``, ``"ekd_teacher"``.
    **kwargs
        The signal arguments the model declares (``n_channels``,
        ``n_times`` or ``n_features``, ``sfreq``, ``n_outputs``; see
        :meth:`EmoModule.signal_args`) and its tuning arguments.

    Returns
    -------
    model : EmoModule
        The model, in training mode.
    """
    cls = MODELS.get(name)
    signal = cls.signal_args(cls.input_dims_for(kwargs))
    # the tuning arguments are read from the constructor; the signal ones are declared
    params = inspect.signature(cls.__init__).parameters
    accepted = [p for p in params if p != "self" and params[p].kind == inspect.Parameter.KEYWORD_ONLY]
    unknown = [k for k in kwargs if k not in accepted]
    if unknown:
        hints = ""
        for k in unknown:
            close = difflib.get_close_matches(k, list(signal) + accepted, n=1)
            if close:
                hints += f" Did you mean {close[0]!r} for {k!r}?"
        raise ConfigTypeError(
            f"Model {name!r} ({cls.__name__}) got unknown argument(s) "
            f"{', '.join(repr(k) for k in unknown)}. Signal arguments: "
            f"{', '.join(repr(a) for a in signal)}; accepted: "
            f"{', '.join(repr(a) for a in accepted)}.{hints}"
        )
    missing = [
        p for p in accepted if params[p].default is inspect.Parameter.empty and p not in kwargs
    ]
    if missing:
        raise ConfigTypeError(
            f"Model {name!r} ({cls.__name__}) needs the argument(s) "
            f"{', '.join(repr(k) for k in missing)}; got {sorted(kwargs)}. Its signal "
            f"arguments are {', '.join(repr(a) for a in signal)}: give the sizes of your "
            f"data (emopipe distill reads them from the dims of the cached features)."
        )
    return cls(**kwargs)
