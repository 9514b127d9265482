"""Detected events (blinks, saccades, SCRs) and their per-window statistics."""

from dataclasses import dataclass, field

import numpy as np

from ..utils._errors import ConfigError


@dataclass(frozen=True, eq=False)
class EventTable:
    """Detected events (blinks, saccades, skin-conductance responses).

    All arrays have shape ``(n_events,)`` and are sorted by onset.

    Parameters
    ----------
    onset : ndarray, shape (n_events,)
        Onset in seconds from the first sample of the signal searched.
    duration : ndarray, shape (n_events,)
        Duration in seconds (blink: onset to return to baseline; saccade:
        velocity above threshold; SCR: onset to peak, the rise time).
    amplitude : ndarray, shape (n_events,)
        Size of the event in ``unit`` (blink height, absolute saccade step,
        SCR peak minus onset value).
    peak_velocity : ndarray, shape (n_events,)
        Largest absolute first derivative during the event, ``unit`` per s.
    peak_time : ndarray, shape (n_events,)
        Time of the event's peak (largest deflection) in seconds.
    kind : str
        ``"blink"``, ``"saccade"`` or ``"scr"``.
    unit : str
        Unit of ``amplitude`` (``"V"`` for EOG, ``"S"`` for skin conductance).
    info : dict
        Detection details: ``threshold`` used, ``robust_sd``, ``quality``
        (``"ok"``, ``"flat"``, ``"saturated"``) and, for saccades,
        ``direction`` (+1/-1 per event).
    """

    onset: np.ndarray
    duration: np.ndarray
    amplitude: np.ndarray
    peak_velocity: np.ndarray
    peak_time: np.ndarray
    kind: str = "event"
    unit: str = "V"
    info: dict = field(default_factory=dict, compare=False)

    _COLUMNS = ("onset", "duration", "amplitude", "peak_velocity", "peak_time")

    def __post_init__(self):
        arrays = {c: np.atleast_1d(np.asarray(getattr(self, c), dtype=float)) for c in self._COLUMNS}
        lengths = {c: a.shape for c, a in arrays.items()}
        if len({s for s in lengths.values()}) != 1 or any(len(s) != 1 for s in lengths.values()):
            raise ConfigError(
                f"EventTable columns must be 1-D arrays of one length, got shapes {lengths}."
            )
        order = np.argsort(arrays["onset"], kind="stable")
        for c, a in arrays.items():
            a = a[order]
            a.flags.writeable = False
            object.__setattr__(self, c, a)

    def __len__(self):
        return int(self.onset.shape[0])

    @property
    def rise_time(self):
        """Seconds from onset to peak, shape (n_events,)."""
        return self.peak_time - self.onset

    def to_dict(self):
        """Columns as a dict of 1-D arrays (for ``pandas.DataFrame``).

        Returns
        -------
        columns : dict of str -> ndarray, shape (n_events,)
            Copies of ``onset``, ``duration``, ``amplitude``,
            ``peak_velocity`` and ``peak_time``.
        """
        return {c: getattr(self, c).copy() for c in self._COLUMNS}

    @classmethod
    def empty(cls, kind="event", unit="V", info=None):
        """A table without events.

        Parameters
        ----------
        kind : str
            Event kind (``"blink"``, ``"saccade"``, ``"scr"``, ...).
        unit : str
            Unit of the amplitude column.
        info : dict | None
            Detector settings kept with the table.

        Returns
        -------
        table : EventTable
            A table whose columns all have length 0.
        """
        z = np.zeros(0)
        return cls(z, z, z, z, z, kind=kind, unit=unit, info=dict(info or {}))


def _runs(mask):
    """Start and stop (exclusive) indices of the runs of True in ``mask``."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    d = np.diff(m.astype(np.int8))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def _event_table(rows, kind, unit, info):
    """EventTable from rows ``(onset, duration, amplitude, peak_velocity, peak_time)``."""
    if not rows:
        return EventTable.empty(kind, unit, info)
    return EventTable(*np.array(rows).T, kind=kind, unit=unit, info=info)


def _window_event_stats(events, grid, sfreq, trial, n_win_trial):
    """Count, rate (per min), mean duration and amplitude per window (0 when empty).

    An event belongs to every window of ``trial`` holding its onset (one
    window when windows do not overlap).
    """
    count = np.zeros(n_win_trial)
    dur = np.zeros(n_win_trial)
    amp = np.zeros(n_win_trial)
    starts = grid.sample_starts(sfreq, trial) / sfreq
    ends = starts + grid.window
    for w in range(n_win_trial):
        sel = (events.onset >= starts[w]) & (events.onset < ends[w])
        n = int(np.count_nonzero(sel))
        count[w] = n
        if n:
            dur[w] = events.duration[sel].mean()
            amp[w] = events.amplitude[sel].mean()
    rate = count / grid.window * 60.0
    return count, rate, dur, amp
