"""Argument checks shared by the distillation losses and the contrast memory."""

import torch

from ...utils._checks import _check_type
from ...utils._errors import ConfigError, ConfigTypeError


# --------------------------------------------------------------------------- numbers
def _check_pos(parameter, value):
    """Check that ``value`` is a number > 0 and return it as float."""
    _check_type(parameter, value, ("numeric",))
    if not value > 0:
        raise ConfigError(f"{parameter} must be > 0, got {value!r}.")
    return float(value)


def _check_nonneg(parameter, value):
    """Check that ``value`` is a number >= 0 and return it as float."""
    _check_type(parameter, value, ("numeric",))
    if not value >= 0:
        raise ConfigError(f"{parameter} must be >= 0, got {value!r}.")
    return float(value)


def _check_unit_interval(parameter, value):
    """Check that ``value`` is a number in ``[0, 1]`` and return it as float."""
    _check_type(parameter, value, ("numeric",))
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{parameter} must be in [0, 1], got {value!r}.")
    return float(value)


def _check_dim(parameter, value):
    """Check that ``value`` is an int >= 1 (a size) and return it."""
    _check_type(parameter, value, ("int",))
    if value < 1:
        raise ConfigError(f"{parameter} must be a positive int, got {value!r}.")
    return int(value)


# --------------------------------------------------------------------------- tensors
def _check_int_tensor(parameter, x, what, *, hint=""):
    """Raise a TypeError unless ``x`` is an int32/int64 tensor of ``what``.

    ``hint`` (starting with a space) is appended after the final period.
    """
    if not isinstance(x, torch.Tensor) or x.dtype not in (torch.int64, torch.int32):
        dtype = f" of dtype {x.dtype}" if isinstance(x, torch.Tensor) else ""
        raise ConfigTypeError(
            f"{parameter} must be an integer torch.Tensor of {what}, got "
            f"{type(x).__name__}{dtype}.{hint}"
        )
    return x


def _check_ndim(parameter, x, ndim, axes):
    """Check that ``x`` is a tensor with ``ndim`` axes named ``axes``."""
    if not isinstance(x, torch.Tensor):
        raise ConfigTypeError(f"{parameter} must be a torch.Tensor, got {type(x).__name__}.")
    if x.ndim != ndim:
        raise ConfigError(
            f"{parameter} must have shape ({axes}), got shape {tuple(x.shape)}."
        )
    return x


def _check_logits(parameter, z, n_classes=None):
    """Check logits of shape (batch, n_classes), with ``n_classes`` columns if given."""
    _check_ndim(parameter, z, 2, "batch, n_classes")
    if n_classes is not None and z.shape[1] != n_classes:
        raise ConfigError(
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
        raise ConfigError(
            f"{name_s} and {name_t} must have the same shape, got {name_s} shape "
            f"{tuple(a.shape)} and {name_t} shape {tuple(b.shape)}. Use a loss with a "
            f"projector (e.g. 'hint') when the feature sizes differ."
        )
    if a.shape[0] != b.shape[0]:
        raise ConfigError(
            f"{name_s} and {name_t} must have the same batch size, got {name_s} shape "
            f"{tuple(a.shape)} and {name_t} shape {tuple(b.shape)}."
        )


def _check_labels(y, batch):
    """Check class indices of shape (batch,) and return them as int64."""
    _check_int_tensor("y", y, "class indices, shape (batch,)")
    if y.shape != (batch,):
        raise ConfigError(f"y must have shape (batch,) = ({batch},), got shape {tuple(y.shape)}.")
    return y.long()


def _check_maps(f_s, f_t, loss):
    """Feature maps (batch, n_channels, ...) with the same batch and number of positions."""
    for name, f in (("f_s", f_s), ("f_t", f_t)):
        if not isinstance(f, torch.Tensor) or f.ndim < 3:
            raise ConfigError(
                f"{loss}: {name} must have shape (batch, n_channels, ...) with at least one "
                f"position axis (e.g. n_times), got shape "
                f"{tuple(getattr(f, 'shape', ()))}. Pass a feature map, not a pooled vector."
            )
    if f_s.shape[0] != f_t.shape[0] or f_s.shape[2:].numel() != f_t.shape[2:].numel():
        raise ConfigError(
            f"{loss}: f_s and f_t must share batch and number of positions, got f_s shape "
            f"{tuple(f_s.shape)} and f_t shape {tuple(f_t.shape)}. Pool or resample one map "
            f"to the other's positions."
        )
