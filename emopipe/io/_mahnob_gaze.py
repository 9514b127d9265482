"""MAHNOB-HCI's Tobii gaze files: 23 preamble lines, one column header, bad lines counted.

``Sessions/<id>/P<s>-Rec1-All-Data-New_Section_<section>.tsv`` (Tobii
Studio, 60 Hz; ``docs/datasets.md`` section 5): 23 preamble lines, the
column header on line 24, then one tab-separated row per sample or event.
Invalid samples hold ``-1``; a row whose field count differs from the
header's (session 1200 section 30 has rows of 56 fields) is skipped and
counted, never guessed. A header without MAHNOB's columns is a
:class:`~emopipe.utils._errors.DataFileError`.
"""

import logging
from pathlib import Path

import numpy as np

from ..utils._errors import DataFileError
from ._files import _open_user_file
from .eyetracking import GazeRecording, _float, _snap_rate

logger = logging.getLogger("emopipe.io.mahnob")

#: lines before the column header
PREAMBLE_LINES = 23
#: columns every MAHNOB gaze file has (``Timestamp`` gives the sample clock in ms)
REQUIRED_COLUMNS = (
    "Timestamp", "Number", "GazePointXLeft", "GazePointYLeft", "CamXLeft", "CamYLeft",
    "DistanceLeft", "PupilLeft", "ValidityLeft", "GazePointXRight", "GazePointYRight",
    "CamXRight", "CamYRight", "DistanceRight", "PupilRight", "ValidityRight", "GazePointX",
    "GazePointY", "Event", "StimuliName",
)


def read_mahnob_gaze(fname, *, baseline=0.0, start_event="MovieStart", end_event="MovieEnd"):
    """Read one MAHNOB-HCI gaze TSV, cropped to ``[MovieStart - baseline, MovieEnd)``.

    Parameters
    ----------
    fname : path-like
        The ``..._Section_<section>.tsv`` file.
    baseline : float
        Seconds kept before ``MovieStart``.
    start_event, end_event : str
        Events bracketing the stimulus.

    Returns
    -------
    gaze : GazeRecording
        Gaze in screen px and pupil diameters in m, NaN where Tobii marks
        the sample invalid (validity above 1 or ``-1`` values); sample 0 at
        ``MovieStart - baseline``.
    n_bad : int
        Rows skipped because their field count differs from the header's
        or their timestamp does not parse.
    """
    fname = Path(fname)
    with _open_user_file(fname, "r", what="MAHNOB gaze file", encoding="utf-8-sig",
                         errors="replace") as fid:
        lines = fid.read().splitlines()
    if len(lines) <= PREAMBLE_LINES:
        raise DataFileError(
            f"{fname.name}: {len(lines)} lines; a MAHNOB gaze file has {PREAMBLE_LINES} preamble "
            f"lines, then the column header on line {PREAMBLE_LINES + 1}. The file is truncated.")
    cols = lines[PREAMBLE_LINES].split("\t")
    while cols and not cols[-1].strip():
        cols.pop()  # Tobii ends every line with a tab
    missing = [c for c in REQUIRED_COLUMNS if c not in cols]
    if missing:
        raise DataFileError(
            f"{fname.name}: line {PREAMBLE_LINES + 1} (the column header after "
            f"{PREAMBLE_LINES} preamble lines) lacks the MAHNOB gaze columns {missing}; found "
            f"{len(cols)} columns {cols[:8]}{' ...' if len(cols) > 8 else ''}. This is another "
            f"column set (another Tobii export or not a MAHNOB-HCI gaze file); export the "
            f"session with MAHNOB's column set.")
    ci = {c: i for i, c in enumerate(cols)}
    n_cols = len(cols)
    samples, events, n_bad, first_bad = [], [], 0, None
    for k, ln in enumerate(lines[PREAMBLE_LINES + 1:], start=PREAMBLE_LINES + 2):
        if not ln.strip():
            continue
        parts = ln.split("\t")
        if len(parts) == n_cols + 1 and not parts[-1].strip():
            parts.pop()
        t = _float(parts[ci["Timestamp"]]) if len(parts) == n_cols else np.nan
        if not np.isfinite(t):
            n_bad += 1
            first_bad = first_bad or (k, len(parts))
            continue
        t *= 1e-3
        if parts[ci["Event"]].strip():
            events.append((t, parts[ci["Event"]].strip()))
        if parts[ci["ValidityLeft"]].strip() or parts[ci["ValidityRight"]].strip():
            samples.append((t, *(_float(parts[ci[c]]) for c in (
                "GazePointX", "GazePointY", "PupilLeft", "PupilRight", "ValidityLeft",
                "ValidityRight"))))
    if n_bad:
        logger.warning("%s: skipped %d malformed line(s) (first: line %d with %d fields, the "
                       "header has %d)", fname.name, n_bad, first_bad[0], first_bad[1], n_cols)
    if len(samples) < 2:
        raise DataFileError(f"{fname.name}: {len(samples)} sample rows after the header; need "
                            f"at least 2.")
    times, gx, gy, pl, pr, vl, vr = np.array(samples).T
    ok_l = (np.nan_to_num(vl, nan=4) <= 1) & (np.nan_to_num(pl, nan=-1) > 0)
    ok_r = (np.nan_to_num(vr, nan=4) <= 1) & (np.nan_to_num(pr, nan=-1) > 0)
    gaze_ok = (((np.nan_to_num(vl, nan=4) <= 1) | (np.nan_to_num(vr, nan=4) <= 1))
               & (np.nan_to_num(gx, nan=-1) >= 0) & (np.nan_to_num(gy, nan=-1) >= 0))
    gx, gy = np.where(gaze_ok, gx, np.nan), np.where(gaze_ok, gy, np.nan)
    pupil = np.vstack([np.where(ok_l, pl * 1e-3, np.nan), np.where(ok_r, pr * 1e-3, np.nan)])
    span = times[-1] - times[0]
    if not span > 0:
        raise DataFileError(f"{fname.name}: sample timestamps do not increase (span {span} s).")
    sfreq = _snap_rate((len(times) - 1) / span)
    names = [e for _, e in events]
    for ev in (start_event, end_event):
        if ev not in names:
            raise DataFileError(f"{fname.name}: no {ev!r} event; events in the file: "
                                f"{sorted(set(names))}. The stimulus cannot be located.")
    t0 = next(t for t, e in events if e == start_event)
    t1 = next((t for t, e in events if e == end_event and t > t0), None)
    if t1 is None:
        raise DataFileError(f"{fname.name}: no {end_event!r} event after {start_event!r} at "
                            f"{t0:.3f} s.")
    if t0 - baseline < times[0] - 0.5 / sfreq:
        raise DataFileError(
            f"{fname.name}: {start_event} is {t0 - times[0]:.2f} s after the first sample, but "
            f"the {baseline:g}-s baseline needs that much gaze before it.")
    keep = (times >= t0 - baseline - 1e-9) & (times < t1 - 1e-9)
    t_first = times[keep][0]
    gaze = GazeRecording(gx[keep], gy[keep], pupil[:, keep], ["pupil_left", "pupil_right"], "m",
                         float(sfreq), [(t - t_first, e) for t, e in events],
                         (t0 - t_first, t1 - t_first), None, str(fname))
    return gaze, n_bad
