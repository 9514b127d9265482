"""Scores and statistics: classification, continuous agreement, paired tests.

Definitions follow methods.md section 8: macro-F1 is
``(1/K) sum_k 2 P_k R_k / (P_k + R_k)`` (a class with ``P_k + R_k = 0``
scores 0), balanced accuracy ``(1/K) sum_k R_k`` over the classes present
in ``y_true``, CCC uses population (biased) moments.
"""

import warnings

import numpy as np
from ..utils._errors import ConfigError


def _pair(y_true, y_pred, name="y_pred"):
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ConfigError(
            f"y_true and {name} must have the same shape (n_windows,), got {y_true.shape} and "
            f"{y_pred.shape}."
        )
    if y_true.size == 0:
        raise ConfigError("y_true is empty; a metric needs at least one window.")
    return y_true, y_pred


def accuracy(y_true, y_pred):
    """Fraction of correct predictions.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_windows,)
        True and predicted classes.

    Returns
    -------
    acc : float
        In ``[0, 1]``.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def _per_class(y_true, y_pred, classes):
    tp = np.array([np.sum((y_pred == c) & (y_true == c)) for c in classes], float)
    n_pred = np.array([np.sum(y_pred == c) for c in classes], float)
    n_true = np.array([np.sum(y_true == c) for c in classes], float)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(n_pred > 0, tp / np.maximum(n_pred, 1), 0.0)
        recall = np.where(n_true > 0, tp / np.maximum(n_true, 1), 0.0)
    return precision, recall, n_true


def f1_macro(y_true, y_pred, *, classes=None):
    """Unweighted mean of per-class F1.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_windows,)
        True and predicted classes.
    classes : array-like | None
        Classes averaged over; ``None`` uses those in ``y_true`` or ``y_pred``.

    Returns
    -------
    f1 : float
        Macro-F1 in ``[0, 1]``.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    classes = np.union1d(y_true, y_pred) if classes is None else np.asarray(classes)
    p, r, _ = _per_class(y_true, y_pred, classes)
    denom = p + r
    f1 = np.where(denom > 0, 2 * p * r / np.where(denom > 0, denom, 1), 0.0)
    return float(np.mean(f1))


def balanced_accuracy(y_true, y_pred):
    """Mean recall over the classes present in ``y_true``.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_windows,)
        True and predicted classes.

    Returns
    -------
    bacc : float
        In ``[0, 1]``.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    _, r, _ = _per_class(y_true, y_pred, np.unique(y_true))
    return float(np.mean(r))


def ccc(y_true, y_pred):
    """Concordance correlation coefficient with population moments.

    ``2 s_xy / (s_x^2 + s_y^2 + (mean_x - mean_y)^2)``.

    Parameters
    ----------
    y_true, y_pred : array-like of float, shape (n_windows,)
        Targets and predictions.

    Returns
    -------
    ccc : float
        In ``[-1, 1]``; 0 when both series are constant and different,
        1 when they are equal constants.
    """
    x, y = _pair(y_true, y_pred)
    x = x.astype(float)
    y = y.astype(float)
    mx, my = x.mean(), y.mean()
    sxy = np.mean((x - mx) * (y - my))
    denom = x.var() + y.var() + (mx - my) ** 2
    if denom == 0:
        return 1.0
    return float(2 * sxy / denom)


def pcc(y_true, y_pred):
    """Pearson correlation coefficient (``nan`` if either series is constant).

    Parameters
    ----------
    y_true, y_pred : array-like of float, shape (n_windows,)
        Targets and predictions.

    Returns
    -------
    r : float
        In ``[-1, 1]``.
    """
    x, y = _pair(y_true, y_pred)
    x = x.astype(float) - np.mean(x)
    y = y.astype(float) - np.mean(y)
    denom = np.sqrt(np.sum(x**2) * np.sum(y**2))
    if denom == 0:
        return float("nan")
    return float(np.sum(x * y) / denom)


def rmse(y_true, y_pred):
    """Root mean squared error.

    Parameters
    ----------
    y_true, y_pred : array-like of float, shape (n_windows,)
        Targets and predictions.

    Returns
    -------
    rmse : float
        ``sqrt(mean((y_true - y_pred) ** 2))``.
    """
    x, y = _pair(y_true, y_pred)
    return float(np.sqrt(np.mean((x.astype(float) - y.astype(float)) ** 2)))


CLASSIFICATION_METRICS = {"accuracy": accuracy, "f1_macro": f1_macro,
                          "balanced_accuracy": balanced_accuracy}
REGRESSION_METRICS = {"ccc": ccc, "pcc": pcc, "rmse": rmse}


def classification_scores(y_true, y_pred):
    """Accuracy, macro-F1 and balanced accuracy in one dict.

    Parameters
    ----------
    y_true, y_pred : array-like of int, shape (n_windows,)
        True and predicted classes.

    Returns
    -------
    scores : dict of str -> float
        Keys ``"accuracy"``, ``"f1_macro"``, ``"balanced_accuracy"``.
    """
    return {k: fn(y_true, y_pred) for k, fn in CLASSIFICATION_METRICS.items()}


def average_overlapping(values, trial, onset, duration, *, step=None):
    """Average overlapping-window values per time step within each trial.

    Window ``i`` covers the steps ``[onset_i, onset_i + duration_i)`` of a
    grid with spacing ``step`` that starts at the trial's first onset; each
    step receives the mean of the values of the windows covering it.

    Parameters
    ----------
    values : array-like of float, shape (n_windows,)
        One value per window (a prediction or a label).
    trial : array-like, shape (n_windows,)
        Trial key of each window (make it unique across subjects).
    onset, duration : array-like of float, shape (n_windows,)
        Window onset and length in seconds.
    step : float | None
        Grid spacing in s; ``None`` uses the smallest positive onset
        difference within a trial (the hop), or the duration when every
        trial has one window.

    Returns
    -------
    averaged : ndarray of float, shape (n_steps,)
        Per-step means, trials concatenated in sorted-trial order.
    step_trial : ndarray, shape (n_steps,)
        Trial key of each step.
    """
    values = np.asarray(values, float).ravel()
    trial = np.asarray(trial).ravel()
    onset = np.asarray(onset, float).ravel()
    duration = np.asarray(duration, float).ravel()
    n = values.shape[0]
    for name, arr in (("trial", trial), ("onset", onset), ("duration", duration)):
        if arr.shape[0] != n:
            raise ConfigError(
                f"{name} must have shape (n_windows,) = ({n},) like values, got {arr.shape}."
            )
    if step is None:
        diffs = []
        for t in np.unique(trial):
            d = np.diff(np.unique(onset[trial == t]))
            diffs.append(d[d > 0])
        diffs = np.concatenate(diffs) if diffs else np.zeros(0)
        step = float(diffs.min()) if diffs.size else float(duration.min())
    if not step > 0:
        raise ConfigError(f"step must be > 0 s, got {step!r}.")
    out, keys = [], []
    for t in np.unique(trial):
        sel = trial == t
        t0 = onset[sel].min()
        first = np.round((onset[sel] - t0) / step).astype(int)
        length = np.maximum(np.round(duration[sel] / step).astype(int), 1)
        n_steps = int((first + length).max())
        acc = np.zeros(n_steps)
        cnt = np.zeros(n_steps)
        # difference arrays: +v at start, -v at stop
        np.add.at(acc, first, values[sel])
        np.add.at(cnt, first, 1.0)
        stop = first + length
        inside = stop < n_steps
        np.add.at(acc, stop[inside], -values[sel][inside])
        np.add.at(cnt, stop[inside], -1.0)
        acc = np.cumsum(acc)
        cnt = np.cumsum(cnt)
        covered = cnt > 0.5
        out.append(acc[covered] / cnt[covered])
        keys.append(np.full(int(covered.sum()), t, dtype=trial.dtype))
    return np.concatenate(out), np.concatenate(keys)


def regression_scores(y_true, y_pred, *, trial=None, onset=None, duration=None):
    """CCC, PCC and RMSE, after averaging overlapping windows when timing is given.

    Parameters
    ----------
    y_true, y_pred : array-like of float, shape (n_windows,)
        Targets and predictions.
    trial, onset, duration : array-like, shape (n_windows,) | None
        Window timing; when all three are given, predictions and targets are
        averaged per time step within each trial (:func:`average_overlapping`)
        and the trials concatenated before scoring.

    Returns
    -------
    scores : dict of str -> float
        Keys ``"ccc"``, ``"pcc"``, ``"rmse"``.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if trial is not None and onset is not None and duration is not None:
        y_true, _ = average_overlapping(y_true, trial, onset, duration)
        y_pred, _ = average_overlapping(y_pred, trial, onset, duration)
    return {k: fn(y_true, y_pred) for k, fn in REGRESSION_METRICS.items()}


def paired_tests(a, b):
    """Paired t-test and Wilcoxon signed-rank test of ``a`` against ``b``.

    Typically ``a`` = a KD student's per-subject accuracy and ``b`` the
    baseline student's, same subjects in the same order.

    Parameters
    ----------
    a, b : array-like of float, shape (n_subjects,)
        Paired scores.

    Returns
    -------
    result : dict
        ``n``, ``mean_diff`` (mean of ``a - b``), ``t``, ``p_ttest``
        (two-sided, :func:`scipy.stats.ttest_rel`), ``w``, ``p_wilcoxon``
        (two-sided, :func:`scipy.stats.wilcoxon`). p-values are ``nan``
        with fewer than 2 pairs; when every difference is zero they are 1.
    """
    from scipy import stats

    a = np.asarray(a, float).ravel()
    b = np.asarray(b, float).ravel()
    if a.shape != b.shape:
        raise ConfigError(
            f"paired scores must have the same shape (n_subjects,), got {a.shape} and {b.shape}."
        )
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    d = a - b
    res = {"n": int(d.size), "mean_diff": float(d.mean()) if d.size else float("nan"),
           "t": float("nan"), "p_ttest": float("nan"), "w": float("nan"),
           "p_wilcoxon": float("nan")}
    if d.size < 2:
        return res
    if np.all(d == 0):
        res.update(t=0.0, p_ttest=1.0, w=0.0, p_wilcoxon=1.0)
        return res
    if np.all(d == d[0]):  # constant non-zero difference: t is infinite
        res.update(t=float(np.sign(d[0]) * np.inf), p_ttest=0.0)
    else:
        t = stats.ttest_rel(a, b)
        res.update(t=float(t.statistic), p_ttest=float(t.pvalue))
    with warnings.catch_warnings():
        # small samples with ties fall back to the normal approximation; scipy warns
        warnings.simplefilter("ignore", UserWarning)
        w = stats.wilcoxon(a, b)
    res.update(w=float(w.statistic), p_wilcoxon=float(w.pvalue))
    return res
