"""Smoothing of window features over time (methods.md §1.4): moving average and LDS.

Both run along one axis of windows (default ``-2``: features of shape
``(..., n_windows, n_features)``) and treat every other position as an
independent series. Pass one trial at a time (or trials along a leading axis):
smoothing across a trial boundary mixes trials.
"""

import logging

import numpy as np

from ..utils._checks import _check_option, _check_positive, _check_type
from ..utils._errors import ConfigError

logger = logging.getLogger("emopipe.features.smoothing")

_LDS_MODES = ("trial", "causal", "rts")


def _as_float_axis(x, axis, name="x"):
    x = np.asarray(x, dtype=np.float64)
    _check_type("axis", axis, ("int",))
    if x.ndim == 0 or not -x.ndim <= axis < x.ndim:
        raise ConfigError(
            f"axis = {axis} is out of range for {name} of shape {x.shape}; {name} must "
            f"have a windows axis, e.g. shape (..., n_windows, n_features) with axis=-2."
        )
    return x, axis % x.ndim


def moving_average(x, n, *, axis=-2):
    """Centred moving average over ``n`` windows, truncated at the edges.

    Output ``t`` is the mean of ``x[t - ceil((n - 1) / 2) : t + floor((n - 1) / 2) + 1]``
    clipped to the series, so edge windows average fewer values (the SEED
    ``*_movingAve`` convention).

    Parameters
    ----------
    x : ndarray, shape (..., n_windows, n_features)
        Features of one trial (or of trials along leading axes).
    n : int
        Width in windows (>= 1); ``1`` returns a copy.
    axis : int
        The windows axis.

    Returns
    -------
    smoothed : ndarray, same shape as ``x``
        Moving average along ``axis``.
    """
    _check_type("n", n, ("int",))
    _check_positive("n", n)
    x, axis = _as_float_axis(x, axis)
    xm = np.moveaxis(x, axis, 0)
    n_windows = xm.shape[0]
    left, right = (n - 1 + 1) // 2, (n - 1) // 2
    csum = np.concatenate([np.zeros((1,) + xm.shape[1:]), np.cumsum(xm, axis=0)])
    t = np.arange(n_windows)
    lo = np.clip(t - left, 0, n_windows)
    hi = np.clip(t + right + 1, 0, n_windows)
    count = (hi - lo).reshape((-1,) + (1,) * (xm.ndim - 1))
    out = (csum[hi] - csum[lo]) / count
    return np.moveaxis(out, 0, axis)


def _lds_gains(n_windows, q, r, v0):
    """Data-independent Kalman quantities of the scalar LDS (a = c = 1).

    Returns
    -------
    k : ndarray, shape (n_windows,)
        Filter gains ``k_t``.
    v : ndarray, shape (n_windows,)
        Filtered variances ``V_t``.
    p : ndarray, shape (n_windows,)
        One-step predicted variances ``P_t = a**2 V_t + q``.
    """
    a = c = 1.0
    k = np.empty(n_windows)
    v = np.empty(n_windows)
    p = np.empty(n_windows)
    k[0] = v0 * c / (c * c * v0 + r)
    v[0] = (1 - k[0] * c) * v0
    p[0] = a * a * v[0] + q
    for t in range(1, n_windows):
        k[t] = c * p[t - 1] / (c * c * p[t - 1] + r)
        v[t] = (1 - k[t] * c) * p[t - 1]
        p[t] = a * a * v[t] + q
    return k, v, p


def lds(x, *, axis=-2, mode="trial", q=1e-4, r=1.0, v0=0.01, mu0=None):
    """Linear dynamical system (Kalman) smoothing of window features.

    Each feature series of a trial is the scalar model
    ``s_t = a s_{t-1} + w_t`` (``w ~ N(0, q)``), ``x_t = c s_t + v_t``
    (``v ~ N(0, r)``) with ``a = c = 1`` (Shi & Lu, EMBC 2010, as SEED-style
    code uses it). The forward filter is
    ``m_0 = mu0 + k_0 (x_0 - c mu0)``, ``m_t = a m_{t-1} + k_t (x_t - c a m_{t-1})``;
    the gains do not depend on the data (``k_0 ~ 0.0099``, steady state
    ``~0.00995``, a time constant of ~100 windows).

    Parameters
    ----------
    x : ndarray, shape (..., n_windows, n_features)
        Features of one trial (or trials along leading axes).
    axis : int
        The windows axis.
    mode : ``"trial"`` | ``"causal"`` | ``"rts"``
        ``"trial"``: forward filter started at the trial mean, the SEED
        reference; every output depends on the whole trial (not causal).
        ``"causal"``: forward filter started at a given ``mu0`` (e.g. the
        training-fold mean, see :class:`CausalLDS`); output ``t`` depends
        on ``x[:t + 1]`` only. ``"rts"``: forward filter then the
        Rauch-Tung-Striebel backward pass (``mu0`` = trial mean unless given).
    q : float
        Process noise variance.
    r : float
        Observation noise variance.
    v0 : float
        Prior variance of the initial state.
    mu0 : float | ndarray | None
        Prior mean of the initial state, broadcastable to ``x`` without its
        windows axis. Required for ``"causal"``; not allowed for ``"trial"``.

    Returns
    -------
    smoothed : ndarray, same shape as ``x``
        Filtered (``"trial"``, ``"causal"``) or smoothed (``"rts"``) means.
    """
    _check_option("mode", mode, _LDS_MODES)
    for name, val in (("q", q), ("r", r), ("v0", v0)):
        _check_positive(name, val, strict=name != "q")
    x, axis = _as_float_axis(x, axis)
    xm = np.moveaxis(x, axis, 0)  # (n_windows, ...)
    n_windows = xm.shape[0]
    if mode == "trial" and mu0 is not None:
        raise ConfigError(
            "mu0 must be None for mode='trial', which starts at the trial mean; "
            "use mode='causal' (or 'rts') to start from a given mu0."
        )
    if mode == "causal" and mu0 is None:
        raise ConfigError(
            "mode='causal' needs mu0, the prior mean from training data (e.g. the "
            "training-fold mean of each feature); use CausalLDS().fit(x_train), or "
            "mode='trial' for the non-causal SEED reference."
        )
    if n_windows == 0:
        return x.copy()
    if mu0 is None:
        mu = xm.mean(axis=0)
    else:
        mu = np.asarray(mu0, dtype=np.float64)
        try:
            mu = np.broadcast_to(mu, xm.shape[1:])
        except ValueError:
            raise ConfigError(
                f"mu0 of shape {mu.shape} must broadcast to x without its windows "
                f"axis, shape {xm.shape[1:]}."
            ) from None
    a = c = 1.0
    k, v, p = _lds_gains(n_windows, q, r, v0)
    m = np.empty_like(xm)
    m[0] = mu + k[0] * (xm[0] - c * mu)
    for t in range(1, n_windows):
        pred = a * m[t - 1]
        m[t] = pred + k[t] * (xm[t] - c * pred)
    if mode == "rts":
        for t in range(n_windows - 2, -1, -1):
            j = a * v[t] / p[t]
            m[t] += j * (m[t + 1] - a * m[t])
    return np.moveaxis(m, 0, axis)


class CausalLDS:
    """Causal LDS smoothing with its prior mean fitted on training windows.

    Parameters
    ----------
    axis : int
        The windows axis of the arrays given to ``fit`` and ``transform``.
    q, r, v0 : float
        Model constants, as in :func:`lds`.

    Attributes
    ----------
    mu0_ : ndarray, shape (n_features,) or the shape of ``x`` after ``axis``
        Mean of the training data over the windows axis and every axis
        before it (trials, windows), used as ``mu0`` for every trial.
    """

    def __init__(self, *, axis=-2, q=1e-4, r=1.0, v0=0.01):
        self.axis = axis
        self.q, self.r, self.v0 = q, r, v0

    def fit(self, x_train):
        """Store the training mean of each feature.

        Parameters
        ----------
        x_train : ndarray, shape (..., n_windows, n_features)
            Training windows (e.g. all training trials, stacked).

        Returns
        -------
        self : CausalLDS
            The fitted smoother (``mu0_`` and the noise variances set).
        """
        x, axis = _as_float_axis(x_train, self.axis, "x_train")
        if x.shape[axis] == 0:
            raise ConfigError(f"x_train has no windows (shape {x.shape}).")
        self.mu0_ = x.mean(axis=tuple(range(axis + 1)))
        return self

    def transform(self, x):
        """Causal LDS of one trial (or trials along leading axes).

        Parameters
        ----------
        x : ndarray, shape (..., n_windows, n_features)
            Features; the axes after the windows axis must match ``mu0_``.

        Returns
        -------
        smoothed : ndarray, same shape as ``x``
            Filtered values, causal along the window axis.
        """
        if not hasattr(self, "mu0_"):
            raise RuntimeError("This CausalLDS is not fitted yet; call fit(x_train) first.")
        return lds(x, axis=self.axis, mode="causal", q=self.q, r=self.r, v0=self.v0,
                   mu0=self.mu0_)
