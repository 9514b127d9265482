"""Per-window univariate features from mne-features, kept per channel.

mne-features' ``compute_<name>(data)`` functions take ``(n_channels, n_times)``
and return ``(n_channels * k,)``, hiding the feature axis in the channel axis
(emopipe keeps every axis separate and named). :func:`window_features` cuts the
data into the shared window grid, stacks every window of every signal as a row,
calls each function once on all rows (the functions treat rows independently)
and returns ``(..., n_windows, n_features)`` with channels left in place.
"""

import difflib
import inspect
import logging

import numpy as np

from ..utils._checks import _check_data, _check_type
from ..utils._errors import ConfigError, UnknownNameError
from ._windows import _window_grid, strided_windows

logger = logging.getLogger("emopipe.features.univariate")

#: Names accepted by :func:`window_features`: the mne-features univariate
#: aliases (``mne_features.univariate.compute_<name>``). ``spect_slope`` is
#: left out: it fails with NumPy >= 2 in mne-features 0.3.
UNIVARIATE_FEATURES = (
    "app_entropy",
    "decorr_time",
    "energy_freq_bands",
    "higuchi_fd",
    "hjorth_complexity",
    "hjorth_complexity_spect",
    "hjorth_mobility",
    "hjorth_mobility_spect",
    "hurst_exp",
    "katz_fd",
    "kurtosis",
    "line_length",
    "mean",
    "pow_freq_bands",
    "ptp_amp",
    "quantile",
    "rms",
    "samp_entropy",
    "skewness",
    "spect_edge_freq",
    "spect_entropy",
    "std",
    "svd_entropy",
    "svd_fisher_info",
    "teager_kaiser_energy",
    "variance",
    "wavelet_coef_energy",
    "zero_crossings",
)


def _get_func(name):
    if not isinstance(name, str) or name not in UNIVARIATE_FEATURES:
        close = difflib.get_close_matches(str(name), UNIVARIATE_FEATURES, n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownNameError(
            f"Univariate feature {name!r} not found.{hint} Available univariate "
            f"features: {', '.join(repr(n) for n in UNIVARIATE_FEATURES)}."
        )
    return getattr(_import_univariate(), f"compute_{name}")


def _import_univariate():
    """Import mne_features.univariate, silencing numba's deprecation notices.

    mne-features compiles its numba functions at import (about 20 s on a busy
    2-core machine). numba releases have warned about their own API changes
    (``NumbaDeprecationWarning``) at that point, which pytest's ``-W error``
    would turn into failures; they concern mne-features, not the caller.
    """
    import warnings

    with warnings.catch_warnings():
        try:
            from numba.core.errors import (
                NumbaDeprecationWarning,
                NumbaPendingDeprecationWarning,
            )
        except ImportError:  # pragma: no cover - numba comes with mne-features
            pass
        else:
            warnings.simplefilter("ignore", NumbaDeprecationWarning)
            warnings.simplefilter("ignore", NumbaPendingDeprecationWarning)
        from mne_features import univariate
    return univariate


def _sub_names(func, rows, kwargs, n_out):
    """Names of the ``n_out`` values per channel a function returns."""
    if n_out == 1:
        return [""]
    if hasattr(func, "get_feature_names"):
        sig = inspect.signature(func)
        full = {
            k: p.default for k, p in sig.parameters.items()
            if k not in ("sfreq", "data") and p.default is not inspect.Parameter.empty
        }
        full.update(kwargs)
        names = func.get_feature_names(rows[:1], **full)
        if len(names) == n_out:
            return [n.split("__", 1)[1] if "__" in n else str(i) for i, n in enumerate(names)]
    return [str(i) for i in range(n_out)]


def window_features(data, sfreq, names, *, window=1.0, step=None, params=None):
    """mne-features univariate features of each window, per channel.

    Parameters
    ----------
    data : ndarray, shape (..., n_times)
        Signal, e.g. ``(n_channels, n_times)`` or ``(n_trials, n_channels,
        n_times)``; every leading position is its own series.
    sfreq : float
        Sampling frequency in Hz.
    names : str | list of str
        Feature names from :data:`UNIVARIATE_FEATURES` (the aliases of
        ``mne_features.univariate.compute_<name>``).
    window : float
        Window length in seconds.
    step : float | None
        Hop between window starts in seconds. ``None`` means ``window``.
    params : dict | None
        Per-feature keyword arguments, ``{name: {arg: value}}``, e.g.
        ``{"pow_freq_bands": {"freq_bands": {"alpha": (8, 14)}}}``.

    Returns
    -------
    values : ndarray, shape (..., n_windows, n_features)
        Features; a function returning ``k`` values per channel fills ``k``
        consecutive columns.
    feature_names : list of str
        ``n_features`` names, ``name`` or ``name__sub`` (e.g.
        ``"pow_freq_bands__alpha"``).
    """
    if isinstance(names, str):
        names = [names]
    _check_type("names", names, (list, tuple), type_name="str or list of str")
    params = {} if params is None else params
    _check_type("params", params, (dict,))
    funcs = [_get_func(n) for n in names]
    for key in params:
        if key not in names:
            raise ConfigError(
                f"params has an entry for {key!r}, which is not in names = {list(names)!r}."
            )
    sfreq = float(sfreq)
    n_win_req = int(round(window * sfreq))
    data = _check_data(data, sfreq, n_win_req, window)
    lead, n_times = data.shape[:-1], data.shape[-1]
    starts, n_win, n_step = _window_grid(n_times, sfreq, window, step)
    n_windows = len(starts)
    # every window of every signal as one row: (n_signals * n_windows, n_win)
    # (a writeable C array: mne-features' typed numba functions take no read-only views)
    view = strided_windows(data.reshape(-1, n_times), n_win, n_step, n_windows)
    rows = np.require(view.reshape(-1, n_win), requirements=["C", "W"])
    n_rows = rows.shape[0]
    columns, feature_names = [], []
    for name, func in zip(names, funcs):
        kwargs = dict(params.get(name, {}))
        takes_sfreq = next(iter(inspect.signature(func).parameters)) == "sfreq"
        out = func(sfreq, rows, **kwargs) if takes_sfreq else func(rows, **kwargs)
        out = np.asarray(out, dtype=np.float64).reshape(n_rows, -1)
        subs = _sub_names(func, rows, kwargs, out.shape[1])
        columns.append(out)
        feature_names.extend(name if s == "" else f"{name}__{s}" for s in subs)
        logger.debug("%s: %d values per window and signal", name, out.shape[1])
    values = np.concatenate(columns, axis=1)
    return values.reshape(lead + (n_windows, values.shape[1])), feature_names
