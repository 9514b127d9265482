"""One windowing rule for every modality, so all share the window index.

Every window of the package is cut by :func:`strided_windows`, a read-only
strided view over the last axis; :func:`windows_at` reaches it from start
samples, :func:`sliding_windows` from a window length and step in seconds,
and :meth:`WindowGrid.cut` from the grid a subject's modalities share.
"""

import numbers

import numpy as np

from ..utils._checks import _check_positive
from ..utils._errors import ConfigError


def _check_count(parameter, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(
            f"{parameter} must be an integer >= {minimum} (a number of samples or "
            f"windows), got {value!r}."
        )
    return int(value)


def strided_windows(data, n_win, n_step, n_windows, *, first=0):
    """Read-only view of ``data`` cut into windows along the last axis (no copy).

    Window ``w`` holds samples ``first + w * n_step`` up to (excluding)
    ``first + w * n_step + n_win``; windows overlap when ``n_step < n_win``.

    Parameters
    ----------
    data : ndarray, shape (..., n_times)
        Signal; any memory layout.
    n_win : int
        Samples per window (>= 1).
    n_step : int
        Samples between window starts (>= 1).
    n_windows : int
        Number of windows (>= 0); the last must end within ``n_times``.
    first : int
        Start sample of the first window (>= 0).

    Returns
    -------
    windows : ndarray, shape (..., n_windows, n_win)
        Read-only strided view of ``data``.
    """
    data = np.asarray(data)
    n_win = _check_count("n_win", n_win, 1)
    n_step = _check_count("n_step", n_step, 1)
    n_windows = _check_count("n_windows", n_windows, 0)
    first = _check_count("first", first, 0)
    if data.ndim < 1:
        raise ConfigError(f"data must have shape (..., n_times), got shape {data.shape}.")
    n_times = data.shape[-1]
    if n_windows and first + (n_windows - 1) * n_step + n_win > n_times:
        raise ConfigError(
            f"{n_windows} windows of n_win = {n_win} samples every n_step = {n_step} from "
            f"sample first = {first} need n_times >= {first + (n_windows - 1) * n_step + n_win}, "
            f"got data of shape {data.shape}. Give fewer windows or a longer signal."
        )
    base = data[..., min(first, n_times):]
    return np.lib.stride_tricks.as_strided(
        base,
        shape=data.shape[:-1] + (n_windows, n_win),
        strides=data.strides[:-1] + (n_step * data.strides[-1], data.strides[-1]),
        writeable=False,
    )


def windows_at(data, starts, n_win):
    """Windows of ``n_win`` samples starting at ``starts`` along the last axis.

    Parameters
    ----------
    data : ndarray, shape (..., n_times)
        Signal.
    starts : ndarray of int, shape (n_windows,)
        Start samples, each in ``[0, n_times - n_win]``.
    n_win : int
        Samples per window.

    Returns
    -------
    windows : ndarray, shape (..., n_windows, n_win)
        A read-only view of ``data`` (:func:`strided_windows`) when the
        starts are evenly spaced and increasing, as on every window grid;
        a copy otherwise.
    """
    data = np.asarray(data)
    starts = np.asarray(starts)
    if starts.ndim != 1 or (starts.size and starts.dtype.kind not in "iu"):
        raise ConfigError(
            f"starts must be a 1-D array of integer sample indices, got shape "
            f"{starts.shape} and dtype {starts.dtype}."
        )
    n_win = _check_count("n_win", n_win, 1)
    if data.ndim < 1:
        raise ConfigError(f"data must have shape (..., n_times), got shape {data.shape}.")
    n_times = data.shape[-1]
    if starts.size == 0:
        return strided_windows(data, n_win, 1, 0)
    lo, hi = int(starts.min()), int(starts.max())
    if lo < 0 or hi + n_win > n_times:
        raise ConfigError(
            f"starts must lie in [0, n_times - n_win] = [0, {n_times - n_win}] for windows "
            f"of n_win = {n_win} samples in data of shape {data.shape}, got starts from "
            f"{lo} to {hi}."
        )
    steps = np.diff(starts)
    if starts.size == 1 or (steps[0] >= 1 and np.all(steps == steps[0])):
        n_step = int(steps[0]) if starts.size > 1 else 1
        return strided_windows(data, n_win, n_step, starts.size, first=int(starts[0]))
    return strided_windows(data, n_win, 1, n_times - n_win + 1)[..., starts, :]


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
        raise ConfigError(
            f"window = {window} s and step = {step} s give {n_win} and {n_step} samples "
            f"at sfreq = {sfreq} Hz; both must be at least one sample."
        )
    if n_times < n_win:
        return np.zeros(0, dtype=np.int64), n_win
    n_windows = (n_times - n_win) // n_step + 1
    return np.arange(n_windows, dtype=np.int64) * n_step, n_win


def _window_grid(n_times, sfreq, window, step):
    """:func:`window_starts` plus the step in samples: ``(starts, n_win, n_step)``."""
    starts, n_win = window_starts(n_times, sfreq, window, step)
    n_step = int(round((window if step is None else step) * sfreq))
    return starts, n_win, n_step


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
    starts, n_win, n_step = _window_grid(data.shape[-1], sfreq, window, step)
    return strided_windows(data, n_win, n_step, len(starts))


class WindowGrid:
    """The window grid one subject's modalities share.

    Window ``w`` of trial ``t`` covers ``[onsets[t][w], onsets[t][w] + window)``
    seconds after stimulus onset; in a trial array that starts ``baseline``
    seconds before the stimulus, at a modality's own ``sfreq``, it starts at
    sample ``round((baseline + onset) * sfreq)``.

    Parameters
    ----------
    onsets : list of ndarray
        Per trial, window onsets in seconds after stimulus onset.
    window : float
        Window length in seconds.
    baseline : float
        Seconds of pre-stimulus data at the start of each trial array.
    """

    def __init__(self, onsets, window, baseline=0.0):
        self.onsets = [np.asarray(o, dtype=float) for o in onsets]
        self.window = float(window)
        self.baseline = float(baseline)

    @classmethod
    def from_duration(cls, durations, window, step=None, baseline=0.0):
        """Grid of complete windows over stimulus durations (s) per trial.

        Parameters
        ----------
        durations : sequence of float
            Stimulus duration of each trial in seconds.
        window : float
            Window length in seconds.
        step : float | None
            Hop between window starts in seconds; ``None`` means ``window``.
        baseline : float
            Seconds of pre-stimulus data at the start of each trial array.

        Returns
        -------
        grid : WindowGrid
            Window onsets (s after stimulus onset) of every trial.
        """
        onsets = []
        for dur in durations:
            # work in milliseconds to keep the grid exact for decimal steps
            starts, _ = window_starts(int(round(dur * 1000)), 1000.0, window, step)
            onsets.append(starts / 1000.0)
        return cls(onsets, window, baseline)

    @property
    def n_trials(self):
        """Number of trials."""
        return len(self.onsets)

    @property
    def n_windows(self):
        """Total windows over all trials."""
        return int(sum(len(o) for o in self.onsets))

    def n_windows_per_trial(self):
        """Number of windows of each trial.

        Returns
        -------
        counts : ndarray of int, shape (n_trials,)
            Windows per trial.
        """
        return np.array([len(o) for o in self.onsets], dtype=np.int64)

    def trial_index(self):
        """0-based trial position of every window.

        Returns
        -------
        trial_index : ndarray of int, shape (n_windows,)
            Trial position of each window, in window order.
        """
        return np.repeat(np.arange(self.n_trials), self.n_windows_per_trial())

    def flat_onsets(self):
        """Onsets of every window.

        Returns
        -------
        onsets : ndarray, shape (n_windows,)
            Seconds after stimulus onset, trials concatenated in order.
        """
        return np.concatenate(self.onsets) if self.onsets else np.zeros(0)

    def sample_starts(self, sfreq, trial):
        """Start samples of the windows of one trial.

        Parameters
        ----------
        sfreq : float
            Sampling frequency in Hz of the trial array.
        trial : int
            Trial position.

        Returns
        -------
        starts : ndarray of int, shape (n_windows_trial,)
            Sample index of each window start in the trial array (baseline
            included).
        """
        return np.round((self.baseline + self.onsets[trial]) * sfreq).astype(np.int64)

    def n_samples(self, sfreq):
        """Samples per window.

        Parameters
        ----------
        sfreq : float
            Sampling frequency in Hz.

        Returns
        -------
        n_samples : int
            ``round(window * sfreq)``.
        """
        return int(round(self.window * sfreq))

    def cut(self, data, sfreq, trial):
        """Windows of one trial array.

        Parameters
        ----------
        data : ndarray, shape (..., n_times)
            One trial (baseline included) at ``sfreq``.
        sfreq : float
            Sampling frequency of ``data`` in Hz.
        trial : int
            Trial position.

        Returns
        -------
        windows : ndarray, shape (..., n_windows_trial, n_win)
            Copies of the windows.
        """
        starts = self.sample_starts(sfreq, trial)
        n_win = self.n_samples(sfreq)
        data = np.asarray(data)
        if len(starts) and starts[-1] + n_win > data.shape[-1]:
            raise ConfigError(
                f"trial {trial}: the window grid needs {starts[-1] + n_win} samples at "
                f"{sfreq} Hz but the trial has {data.shape[-1]}."
            )
        win = windows_at(data, starts, n_win)
        return win.copy() if not win.flags.writeable else win
