"""One windowing rule for every modality, so all share the window index."""

import numpy as np

from ..utils._checks import _check_positive


def window_starts(n_times, sfreq, window, step=None):
    """Sample index of each window start.

    Windows of ``round(window * sfreq)`` samples start every
    ``round(step * sfreq)`` samples from sample 0; only complete windows
    are kept.

    Parameters
    ----------
    n_times : int
        Samples in the signal.
    sfreq : float
        Sampling frequency in Hz.
    window : float
        Window length in seconds.
    step : float | None
        Hop in seconds; ``None`` means ``window``.

    Returns
    -------
    starts : ndarray of int, shape (n_windows,)
        Start samples.
    n_win : int
        Samples per window.
    """
    _check_positive("window", window)
    step = window if step is None else step
    _check_positive("step", step)
    n_win = int(round(window * sfreq))
    n_step = int(round(step * sfreq))
    if n_win < 1 or n_step < 1:
        raise ValueError(
            f"window = {window} s and step = {step} s give {n_win} and {n_step} samples "
            f"at sfreq = {sfreq} Hz; both must be at least one sample."
        )
    if n_times < n_win:
        return np.zeros(0, dtype=np.int64), n_win
    n_windows = (n_times - n_win) // n_step + 1
    return np.arange(n_windows, dtype=np.int64) * n_step, n_win


def sliding_windows(data, sfreq, window, step=None):
    """View of ``data`` cut into windows along the last axis (no copy).

    Parameters
    ----------
    data : ndarray, shape (..., n_times)
        Signal.
    sfreq : float
        Sampling frequency in Hz.
    window : float
        Window length in seconds.
    step : float | None
        Hop in seconds; ``None`` means ``window``.

    Returns
    -------
    windows : ndarray, shape (..., n_windows, n_win)
        Read-only strided view.
    """
    data = np.asarray(data)
    starts, n_win = window_starts(data.shape[-1], sfreq, window, step)
    if len(starts) == 0:
        return np.zeros(data.shape[:-1] + (0, n_win), dtype=data.dtype)
    view = np.lib.stride_tricks.sliding_window_view(data, n_win, axis=-1)
    n_step = starts[1] - starts[0] if len(starts) > 1 else 1
    return view[..., :: n_step, :][..., : len(starts), :]
