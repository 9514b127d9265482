"""Argument checks shared by the distillation losses and the contrast memory."""

import torch

from ..utils._checks import _check_type


def _check_int_tensor(parameter, x, what, *, hint=""):
    """Raise a TypeError unless ``x`` is an int32/int64 tensor of ``what``.

    ``hint`` (starting with a space) is appended after the final period.
    """
    if not isinstance(x, torch.Tensor) or x.dtype not in (torch.int64, torch.int32):
        dtype = f" of dtype {x.dtype}" if isinstance(x, torch.Tensor) else ""
        raise TypeError(
            f"{parameter} must be an integer torch.Tensor of {what}, got "
            f"{type(x).__name__}{dtype}.{hint}"
        )
    return x


def _check_pos(parameter, value):
    """Check that ``value`` is a number > 0 and return it as float."""
    _check_type(parameter, value, ("numeric",))
    if not value > 0:
        raise ValueError(f"{parameter} must be > 0, got {value!r}.")
    return float(value)


def _check_unit_interval(parameter, value):
    """Check that ``value`` is a number in ``[0, 1]`` and return it as float."""
    _check_type(parameter, value, ("numeric",))
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{parameter} must be in [0, 1], got {value!r}.")
    return float(value)
