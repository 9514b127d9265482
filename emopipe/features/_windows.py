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
        """Grid of complete windows over stimulus durations (s) per trial."""
        onsets = []
        for dur in durations:
            # work in milliseconds to keep the grid exact for decimal steps
            starts, _ = window_starts(int(round(dur * 1000)), 1000.0, window, step)
            onsets.append(starts / 1000.0)
        return cls(onsets, window, baseline)

    @property
    def n_trials(self):
        return len(self.onsets)

    @property
    def n_windows(self):
        """Total windows over all trials."""
        return int(sum(len(o) for o in self.onsets))

    def n_windows_per_trial(self):
        """ndarray of int, shape (n_trials,)."""
        return np.array([len(o) for o in self.onsets], dtype=np.int64)

    def trial_index(self):
        """0-based trial position of every window, shape (n_windows,)."""
        return np.repeat(np.arange(self.n_trials), self.n_windows_per_trial())

    def flat_onsets(self):
        """Onsets of every window in seconds, shape (n_windows,)."""
        return np.concatenate(self.onsets) if self.onsets else np.zeros(0)

    def sample_starts(self, sfreq, trial):
        """Start samples of the windows of ``trial`` at ``sfreq`` (ndarray of int)."""
        return np.round((self.baseline + self.onsets[trial]) * sfreq).astype(np.int64)

    def n_samples(self, sfreq):
        """Samples per window at ``sfreq``."""
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
            raise ValueError(
                f"trial {trial}: the window grid needs {starts[-1] + n_win} samples at "
                f"{sfreq} Hz but the trial has {data.shape[-1]}."
            )
        idx = starts[:, None] + np.arange(n_win)[None, :]
        return data[..., idx]
