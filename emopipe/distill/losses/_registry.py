"""The loss registry: ``@register_loss("crd")`` and ``LOSSES.get("crd")``.

Importing :mod:`emopipe.distill.losses` fills it: the package imports every
loss module.
"""

from ...utils._checks import _close_match_hint
from ...utils._registry import Registry
from ._base import BATCH_FIELDS, FOLD_ARGUMENTS, DistillLoss

LOSSES = Registry("Loss", "losses")


def register_loss(name):
    """Register a loss class under a snake_case ``name``.

    The class must subclass :class:`~emopipe.distill.losses.DistillLoss` and
    declare its ``inputs`` (the batch fields it reads) and ``needs`` (the
    fold sizes it takes); both are checked here.

    Parameters
    ----------
    name : str
        Registry key, equal to the YAML and CLI value (e.g. ``"hinton_kd"``).

    Returns
    -------
    decorator : callable
        Class decorator adding the class to ``LOSSES`` and returning it unchanged.

    Examples
    --------
    >>> @register_loss("my_loss")  # doctest: +SKIP
    ... class MyLoss(DistillLoss):
    ...     inputs = ("z_s", "z_t")
    """
    add = LOSSES.register(name)

    def decorator(cls):
        _check_declarations(name, cls)
        return add(cls)

    return decorator


def _check_declarations(name, cls):
    """Raise unless ``cls`` is a DistillLoss declaring known ``inputs`` and ``needs``."""
    if not (isinstance(cls, type) and issubclass(cls, DistillLoss)):
        raise TypeError(
            f"Loss {name!r} must be a subclass of emopipe.distill.losses.DistillLoss (which "
            f"declares the batch fields a loss reads), got {cls!r}."
        )
    for attr, allowed, what in (("inputs", BATCH_FIELDS, "batch fields"),
                                ("needs", FOLD_ARGUMENTS, "fold arguments")):
        value = getattr(cls, attr)
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            raise TypeError(
                f"{cls.__name__}.{attr} must be a tuple of str ({what}), got {value!r}."
            )
        for key in value:
            if key not in allowed:
                raise ValueError(
                    f"{cls.__name__}.{attr} holds {key!r}, which is none of the {what} "
                    f"{', '.join(repr(k) for k in allowed)}.{_close_match_hint(key, allowed)}"
                )
    if not cls.inputs:
        raise ValueError(
            f"Loss {name!r} ({cls.__name__}) must declare the batch fields it reads, e.g. "
            f"inputs = ('z_s', 'z_t'); got inputs = ()."
        )
