"""Differential entropy of a Gaussian: the one DE formula every modality calls.

A signal of variance ``var`` (a band power, the variance of a band-passed
or phasic signal) has, under a Gaussian model, the differential entropy
``0.5 * log(2 * pi * e * var)``: in nats, or in ``log_base`` units.
"""

import math

import numpy as np

from ..utils._checks import _check_type
from ..utils._errors import ConfigError

#: ``log(2 * pi * e)``, the constant of the Gaussian entropy
_LOG_2_PI_E = math.log(2 * math.pi * math.e)

#: floor on a variance or band power (V**2, S**2) before the log of the DE of
#: the peripheral signals, so a flat channel gives a finite, very low DE
#: instead of ``-inf``
POWER_FLOOR = 1e-24


def _check_log_base(log_base):
    """``None`` (nats) or a float base > 0 and != 1 (2 gives bits)."""
    if log_base is None:
        return None
    _check_type("log_base", log_base, ("numeric",))
    if not log_base > 0 or log_base == 1:
        raise ConfigError(
            f"log_base must be > 0 and != 1, got {log_base!r}. Give None for nats or 2 "
            f"for bits."
        )
    return float(log_base)


def gaussian_entropy(var, *, log_base=None, floor=None):
    """Differential entropy ``0.5 * log(2 * pi * e * var)`` of a Gaussian.

    Parameters
    ----------
    var : float | ndarray, shape (...)
        Variances (or band powers), in squared signal units.
    log_base : float | None
        ``None`` for nats, ``2`` for bits.
    floor : float | None
        Variances below it are raised to it first, so that a flat signal
        gives a finite, very low DE; ``None`` keeps them (a zero variance
        gives ``-inf``).

    Returns
    -------
    de : float | ndarray, shape (...)
        DE in nats (or ``log_base`` units), a new array of ``var``'s shape.
    """
    log_base = _check_log_base(log_base)
    var = np.asarray(var, dtype=np.float64)
    if floor is not None:
        var = np.maximum(var, floor)
    with np.errstate(divide="ignore"):
        de = np.log(var)
    de += _LOG_2_PI_E
    de *= 0.5 if log_base is None else 0.5 / math.log(log_base)
    return de
