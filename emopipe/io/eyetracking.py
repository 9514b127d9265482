"""Eye-tracker readers: Tobii Studio TSV (MAHNOB-HCI), EyeLink ASCII and EDF.

Every reader returns a :class:`GazeRecording` (gaze in screen pixels, pupil
per eye, sampling rate from the file, events with times in seconds);
:func:`gaze_modality` stacks recordings into the ``"eye"``
:class:`~emopipe.io._types.Modality` that :mod:`emopipe.features.eye`
consumes.
"""

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..utils._checks import _check_type
from ..utils._errors import DataFileError
from ._files import _open_user_file
from ._types import Modality

logger = logging.getLogger("emopipe.io.eyetracking")

#: sampling rates of common eye trackers; an estimate within 1 % snaps to them
_TRACKER_RATES = (25.0, 30.0, 50.0, 60.0, 90.0, 120.0, 250.0, 300.0, 500.0, 600.0,
                  1000.0, 1200.0, 2000.0)
_TOBII_REQUIRED = ("Timestamp", "GazePointX", "GazePointY", "PupilLeft", "PupilRight",
                   "ValidityLeft", "ValidityRight", "Event")


@dataclass
class GazeRecording:
    """One eye-tracking recording.

    Parameters
    ----------
    gaze_x, gaze_y : ndarray, shape (n_times,)
        Gaze in screen pixels from the top-left corner, NaN when missing.
    pupil : ndarray, shape (n_pupils, n_times)
        Pupil size per eye, NaN when missing.
    pupil_names : list of str
        ``["pupil_left", "pupil_right"]`` or one of them.
    pupil_unit : str
        ``"m"`` (Tobii diameter, converted from mm) or ``"a.u."`` (EyeLink
        area or diameter in camera units).
    sfreq : float
        Sampling frequency in Hz, from the file's timestamps or header.
    events : list of (float, str)
        Event time in s (same clock as the samples: sample 0 at 0 s) and
        name.
    stimulus : tuple of float | None
        ``(start, stop)`` in s of the stimulus on the sample clock.
    screen_size_px : tuple of int | None
        Screen resolution when the file states it.
    fname : str
        File read.
    """

    gaze_x: np.ndarray
    gaze_y: np.ndarray
    pupil: np.ndarray
    pupil_names: list
    pupil_unit: str
    sfreq: float
    events: list = field(default_factory=list)
    stimulus: object = None
    screen_size_px: object = None
    fname: str = ""

    @property
    def n_times(self):
        """Number of samples."""
        return len(self.gaze_x)

    @property
    def ch_names(self):
        """``["gaze_x", "gaze_y"] + pupil_names``."""
        return ["gaze_x", "gaze_y"] + list(self.pupil_names)

    def get_data(self):
        """The samples of every channel, in ``ch_names`` order.

        Returns
        -------
        data : ndarray, shape (n_channels, n_times)
            Gaze x, gaze y and the pupil channels stacked.
        """
        return np.vstack([self.gaze_x, self.gaze_y, self.pupil])


def gaze_modality(recordings):
    """Stack per-trial recordings into the ``"eye"`` modality.

    Parameters
    ----------
    recordings : list of GazeRecording
        One per trial, same channels and sampling rate.

    Returns
    -------
    modality : Modality
        ``data`` a list of ``(n_channels, n_times_i)`` arrays, ``unit="px"``
        (gaze; the pupil channels keep ``recordings[0].pupil_unit``, given in
        ``source_unit``).
    """
    if not recordings:
        raise ValueError("recordings is empty; give one GazeRecording per trial.")
    first = recordings[0]
    for rec in recordings[1:]:
        if rec.ch_names != first.ch_names or not np.isclose(rec.sfreq, first.sfreq):
            raise ValueError(
                f"{rec.fname}: channels {rec.ch_names} at {rec.sfreq} Hz differ from "
                f"{first.fname}: {first.ch_names} at {first.sfreq} Hz; resample or pick "
                f"matching recordings."
            )
    return Modality([rec.get_data() for rec in recordings], first.sfreq, first.ch_names,
                    "px", f"gaze px, pupil {first.pupil_unit}")


def _snap_rate(sfreq):
    near = min(_TRACKER_RATES, key=lambda r: abs(r - sfreq))
    return near if abs(near - sfreq) <= 0.01 * near else sfreq


def _float(s):
    s = s.strip().replace(",", ".")
    if not s:
        return np.nan
    try:
        return float(s)
    except ValueError:
        return np.nan


def _crop(fname, times, events, start_event, end_event, baseline):
    names = [e for _, e in events]
    for ev in (start_event, end_event):
        if ev not in names:
            found = sorted(set(names))
            raise ValueError(
                f"{fname}: event {ev!r} not found; events in the file: {found!r}. "
                f"Pass start_event/end_event matching them, or None to keep the "
                f"whole recording."
            )
    t0 = next(t for t, e in events if e == start_event)
    t1 = next(t for t, e in events if e == end_event and t > t0)
    if t0 - baseline < times[0] - 1e-9:
        raise ValueError(
            f"{fname}: baseline = {baseline} s before {start_event!r} at {t0 - times[0]:.3f} s "
            f"after the first sample reaches before the recording; lower baseline."
        )
    keep = (times >= t0 - baseline - 1e-9) & (times < t1 - 1e-9)
    return keep, (t0, t1)


def read_tobii_tsv(fname, *, start_event="MovieStart", end_event="MovieEnd", baseline=0.0):
    """Read a Tobii Studio gaze export (MAHNOB-HCI ``..._Section_<k>.tsv``).

    The file holds 24 header lines, a tab-separated header row
    (``Timestamp``, ``GazePointX/Y``, ``PupilLeft/Right`` (mm),
    ``ValidityLeft/Right`` (0 best ... 4 eye not found), ``Event``, ...)
    and one row per sample; event rows carry ``Event`` and a timestamp.
    A pupil sample is valid when its eye's validity is 0 or 1 and the value
    is positive; gaze is valid when at least one eye is. Invalid samples
    become NaN. The rate comes from the sample timestamps
    (``MicroSecondTimestamp`` when present, else ``Timestamp`` in ms):
    ``(n - 1) / span``, snapped to a standard tracker rate within 1 %.

    Parameters
    ----------
    fname : path-like
        The ``.tsv`` file.
    start_event, end_event : str | None
        Events bracketing the stimulus; the samples are cropped to
        ``[start - baseline, end)``. ``None`` keeps all samples.
    baseline : float
        Seconds kept before ``start_event``.

    Returns
    -------
    gaze : GazeRecording
        Pupil in m; times with sample 0 at 0 s (the first kept sample).
    """
    _check_type("fname", fname, ("path-like",))
    fname = Path(fname)
    with _open_user_file(fname, "r", what="Tobii gaze file", encoding="utf-8-sig",
                         errors="replace") as fid:
        lines = fid.read().splitlines()
    hdr_i = 24
    if len(lines) <= hdr_i or "GazePointX" not in lines[hdr_i].split("\t"):
        hits = [i for i, ln in enumerate(lines[:200]) if "GazePointX" in ln.split("\t")]
        if not hits:
            raise DataFileError(
                f"{fname}: no header row with a 'GazePointX' column (expected on line 25 "
                f"after 24 header lines). Is this a Tobii Studio gaze export?"
            )
        logger.info("%s: header row on line %d instead of 25", fname.name, hits[0] + 1)
        hdr_i = hits[0]
    screen = None
    for ln in lines[:hdr_i]:
        if ln.lower().startswith("recording resolution"):
            try:
                w, h = ln.split("\t", 1)[1].lower().split("x")
                screen = (int(w), int(h))
            except (IndexError, ValueError):
                pass
    cols = lines[hdr_i].split("\t")
    missing = [c for c in _TOBII_REQUIRED if c not in cols]
    if missing:
        raise DataFileError(
            f"{fname}: columns {missing!r} missing from the header row; found {cols!r}."
        )
    ci = {c: i for i, c in enumerate(cols)}
    use_us = "MicroSecondTimestamp" in ci
    t_col = ci["MicroSecondTimestamp" if use_us else "Timestamp"]
    scale = 1e-6 if use_us else 1e-3
    samples, events = [], []
    for k, ln in enumerate(lines[hdr_i + 1:], start=hdr_i + 2):
        if not ln.strip():
            continue
        parts = ln.split("\t")
        parts += [""] * (len(cols) - len(parts))
        t = _float(parts[t_col])
        if not np.isfinite(t):
            raise DataFileError(f"{fname}, line {k}: unreadable timestamp {parts[t_col]!r}.")
        t *= scale
        if parts[ci["Event"]].strip():
            events.append((t, parts[ci["Event"]].strip()))
        if parts[ci["ValidityLeft"]].strip() or parts[ci["ValidityRight"]].strip():
            samples.append((t, *(_float(parts[ci[c]]) for c in (
                "GazePointX", "GazePointY", "PupilLeft", "PupilRight",
                "ValidityLeft", "ValidityRight"))))
    if len(samples) < 2:
        raise DataFileError(f"{fname}: found {len(samples)} sample rows; need at least 2.")
    arr = np.array(samples)
    times, gx, gy, pl, pr, vl, vr = arr.T
    ok_l = (np.nan_to_num(vl, nan=4) <= 1) & (np.nan_to_num(pl, nan=0) > 0)
    ok_r = (np.nan_to_num(vr, nan=4) <= 1) & (np.nan_to_num(pr, nan=0) > 0)
    gaze_ok = (np.nan_to_num(vl, nan=4) <= 1) | (np.nan_to_num(vr, nan=4) <= 1)
    gx = np.where(gaze_ok, gx, np.nan)
    gy = np.where(gaze_ok, gy, np.nan)
    pupil = np.vstack([np.where(ok_l, pl * 1e-3, np.nan), np.where(ok_r, pr * 1e-3, np.nan)])
    span = times[-1] - times[0]
    if span <= 0:
        raise DataFileError(f"{fname}: sample timestamps do not increase (span {span} s).")
    sfreq = _snap_rate((len(times) - 1) / span)
    stimulus = None
    if start_event is not None:
        keep, stimulus = _crop(fname, times, events, start_event, end_event, baseline)
        gx, gy, pupil, times_k = gx[keep], gy[keep], pupil[:, keep], times[keep]
    else:
        times_k = times
    t_first = times_k[0]
    events = [(t - t_first, e) for t, e in events]
    if stimulus is not None:
        stimulus = (stimulus[0] - t_first, stimulus[1] - t_first)
    logger.info("%s: %d samples at %.2f Hz, %.1f %% gaze missing", fname.name, len(gx), sfreq,
                100 * np.mean(~np.isfinite(gx)))
    return GazeRecording(gx, gy, pupil, ["pupil_left", "pupil_right"], "m", float(sfreq),
                         events, stimulus, screen, str(fname))


def _from_mne_raw(raw, fname, start_event, end_event, baseline):
    picks = {}
    for ch in raw.ch_names:
        for key in ("xpos", "ypos", "pupil"):
            if ch.startswith(key):
                picks.setdefault(key, []).append(ch)
    if "xpos" not in picks or "ypos" not in picks:
        raise ValueError(f"{fname}: no xpos/ypos channels; channels are {raw.ch_names!r}. "
                         f"Export gaze (GAZE) samples with edf2asc.")
    data = raw.get_data()
    idx = {ch: i for i, ch in enumerate(raw.ch_names)}
    # binocular: average the eyes where both are present
    with np.errstate(invalid="ignore"):
        gx = np.vstack([data[idx[c]] for c in picks["xpos"]])
        gy = np.vstack([data[idx[c]] for c in picks["ypos"]])
    n_ok = np.isfinite(gx).sum(0)
    gx = np.where(n_ok > 0, np.nansum(gx, 0) / np.maximum(n_ok, 1), np.nan)
    gy = np.where(n_ok > 0, np.nansum(gy, 0) / np.maximum(n_ok, 1), np.nan)
    pnames = picks.get("pupil", [])
    pupil = np.vstack([data[idx[c]] for c in pnames]) if pnames else np.zeros((0, len(gx)))
    pupil = np.where(pupil > 0, pupil, np.nan)
    sfreq = float(raw.info["sfreq"])
    times = np.arange(len(gx)) / sfreq
    events = [(float(a["onset"]), str(a["description"])) for a in raw.annotations]
    stimulus = None
    if start_event is not None:
        keep, stimulus = _crop(fname, times, events, start_event, end_event, baseline)
        gx, gy, pupil, times = gx[keep], gy[keep], pupil[:, keep], times[keep]
        events = [(t - times[0], e) for t, e in events]
        stimulus = (stimulus[0] - times[0], stimulus[1] - times[0])
    return GazeRecording(gx, gy, pupil, list(pnames), "a.u.", sfreq, events, stimulus, None,
                         str(fname))


def read_eyelink_asc(fname, *, start_event=None, end_event=None, baseline=0.0):
    """Read an EyeLink ASCII file (``edf2asc`` output) with ``mne.io.read_raw_eyelink``.

    Gaze must be in screen pixels (``SAMPLES GAZE``); binocular gaze is the
    mean of the eyes present. Missing samples (``.``) and non-positive pupil
    values are NaN. Events are MNE's annotations: ``MSG`` texts,
    ``BAD_blink``, ``fixation``, ``saccade``, with onsets in s from the
    first sample.

    Parameters
    ----------
    fname : path-like
        The ``.asc`` file.
    start_event, end_event : str | None
        Message texts bracketing the stimulus (e.g. ``"MovieStart"``); the
        samples are cropped to ``[start - baseline, end)``. ``None`` keeps
        everything.
    baseline : float
        Seconds kept before ``start_event``.

    Returns
    -------
    gaze : GazeRecording
        Pupil in EyeLink units (``pupil_unit="a.u."``).
    """
    _check_type("fname", fname, ("path-like",))
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"EyeLink ASCII file not found: {fname}")
    import mne

    try:
        raw = mne.io.read_raw_eyelink(fname, verbose="error")
    except (ValueError, RuntimeError, KeyError, IndexError) as err:
        raise ValueError(f"{fname}: MNE could not parse this EyeLink ASCII file: {err}") from err
    return _from_mne_raw(raw, fname, start_event, end_event, baseline)


def read_eyelink_edf(fname, *, start_event=None, end_event=None, baseline=0.0):
    """Read a binary EyeLink ``.edf`` with the optional package ``eyelinkio``.

    Not tested in emopipe's suite (no binary EDF fixture can be written
    without SR Research's API); the conversion after ``eyelinkio`` is the
    one of :func:`read_eyelink_asc`.

    Parameters
    ----------
    fname : path-like
        The ``.edf`` file (EyeLink data format, not European Data Format).
    start_event, end_event : str | None
        As in :func:`read_eyelink_asc`.
    baseline : float
        As in :func:`read_eyelink_asc`.

    Returns
    -------
    gaze : GazeRecording
        As :func:`read_eyelink_asc`.
    """
    _check_type("fname", fname, ("path-like",))
    try:
        import eyelinkio
    except ImportError:
        raise ImportError(
            f"Reading the EyeLink binary file {os.fspath(fname)} needs the optional package "
            f"eyelinkio (pip install 'emopipe[eyelink]'). Alternatively convert it with "
            f"SR Research's edf2asc and use read_eyelink_asc."
        ) from None
    raw = eyelinkio.read_edf(os.fspath(fname)).to_mne()
    if isinstance(raw, tuple):  # some versions return (raw, calibrations)
        raw = raw[0]
    return _from_mne_raw(raw, Path(fname), start_event, end_event, baseline)
