"""Eye-tracker readers: Tobii Studio TSV (MAHNOB-HCI), EyeLink ASCII and EDF.

Every reader returns a :class:`GazeRecording` (gaze in screen pixels, pupil
per eye, sampling rate from the file, events with times in seconds);
:func:`gaze_modality` stacks recordings into the ``"eye"``
:class:`~emopipe.io._types.Modality` that :mod:`emopipe.features.eye`
consumes.
"""

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..utils._checks import _check_option, _check_positive, _check_type
from ..utils._errors import ConfigError, DataFileError
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
        Screen resolution when the file states it (Tobii ``Recording
        resolution``; EyeLink ``GAZE_COORDS`` or ``DISPLAY_COORDS``).
    fname : str
        File read.
    eye_source : ndarray of int8, shape (n_times,) | None
        EyeLink readers: where each gaze sample came from, 0 lost, 1 left
        eye, 2 right eye, 3 mean of both. ``None`` for Tobii.
    eye_info : dict | None
        EyeLink readers: the ``eye`` asked for, the eyes in the file, the
        eye used (``"left"``, ``"right"``, ``"auto"`` or ``"both"``), the
        primary eye, sample counts per source, the number of binocular
        samples further apart than ``max_disparity_px`` and the eyes whose
        blinks came from the tracker's own events.
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
    eye_source: object = None
    eye_info: object = None

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
        raise ConfigError("recordings is empty; give one GazeRecording per trial.")
    first = recordings[0]
    for rec in recordings[1:]:
        if rec.ch_names != first.ch_names or not np.isclose(rec.sfreq, first.sfreq):
            raise ConfigError(
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
            raise ConfigError(
                f"{fname}: event {ev!r} not found; events in the file: {found!r}. "
                f"Pass start_event/end_event matching them, or None to keep the "
                f"whole recording."
            )
    t0 = next(t for t, e in events if e == start_event)
    t1 = next(t for t, e in events if e == end_event and t > t0)
    if t0 - baseline < times[0] - 1e-9:
        raise ConfigError(
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


#: EyeLink pupil channel prefixes: MNE's ASCII reader writes ``pupil_left``,
#: eyelinkio's ``to_mne()`` writes ``ps_left`` (and ``ps_right``)
_PUPIL_PREFIXES = ("pupil", "ps_")
_EYES = ("left", "right")
_EYE_OPTIONS = ("auto", "left", "right", "both")
_SCREEN_RE = re.compile(
    r"\b(GAZE_COORDS|DISPLAY_COORDS)\s*=?\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)")


def _screen_from_messages(texts):
    """Screen size in px from EyeLink ``GAZE_COORDS`` / ``DISPLAY_COORDS`` messages.

    ``GAZE_COORDS`` (the coordinate frame of the gaze samples) wins over
    ``DISPLAY_COORDS``; the size is ``right - left + 1`` by
    ``bottom - top + 1`` (EyeLink gives the last pixel, e.g. ``0 0 1919 1079``).
    """
    found = {}
    for text in texts:
        m = _SCREEN_RE.search(text)
        if m and m.group(1) not in found:
            x0, y0, x1, y1 = (float(v) for v in m.groups()[1:])
            w, h = int(round(x1 - x0)) + 1, int(round(y1 - y0)) + 1
            if w > 1 and h > 1:
                found[m.group(1)] = (w, h)
    return found.get("GAZE_COORDS", found.get("DISPLAY_COORDS"))


def _eye_of(ch):
    for eye in _EYES:
        if ch.lower().endswith("_" + eye):
            return eye
    return None


def _pick_eyelink_channels(raw, fname):
    """``{eye: {"x": i, "y": i, "pupil": i | None}}`` from names and MNE channel types."""
    types = raw.get_channel_types()
    eyes = {}
    for i, (ch, kind) in enumerate(zip(raw.ch_names, types)):
        low = ch.lower()
        if low.startswith("xpos"):
            role = "x"
        elif low.startswith("ypos"):
            role = "y"
        elif kind == "pupil" or low.startswith(_PUPIL_PREFIXES):
            role = "pupil"
        else:
            continue
        eye = _eye_of(ch) or "left"  # an eye-less name: a monocular export
        eyes.setdefault(eye, {}).setdefault(role, i)
    eyes = {e: r for e, r in eyes.items() if "x" in r and "y" in r}
    if not eyes:
        raise DataFileError(
            f"{fname}: no xpos/ypos channel pair; channels are {raw.ch_names!r}. Export gaze "
            f"(GAZE) samples with edf2asc, in screen pixels.")
    return {e: eyes[e] for e in _EYES if e in eyes}


def _lost_runs_to_nan(lost, max_len):
    """Mask of the True runs of ``lost`` no longer than ``max_len`` samples."""
    m = np.concatenate([[False], lost, [False]]).astype(np.int8)
    d = np.diff(m)
    out = np.zeros(len(lost), bool)
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
        if b - a <= max_len:
            out[a:b] = True
    return out


def _combine_eyes(per_eye, eye, primary, screen, max_disparity_px, blinks, sfreq, max_blink):
    """Gaze of the eye(s) asked for; returns ``(gx, gy, source, n_disagree)``.

    ``source`` per sample: 0 lost, 1 left, 2 right, 3 mean of both.
    """
    code = {"left": 1, "right": 2}
    if eye in ("left", "right"):
        x, y, ok = per_eye[eye]
        return (np.where(ok, x, np.nan), np.where(ok, y, np.nan),
                np.where(ok, code[eye], 0).astype(np.int8), 0)
    (xl, yl, okl), (xr, yr, okr) = per_eye["left"], per_eye["right"]
    both = okl & okr
    mean_x, mean_y = (xl + xr) / 2.0, (yl + yr) / 2.0
    if eye == "both":  # the mean where both eyes are tracked, else the eye that is
        src = np.select([both, okl, okr], [3, 1, 2], 0).astype(np.int8)
        gx = np.select([both, okl, okr], [mean_x, xl, xr], np.nan)
        gy = np.select([both, okl, okr], [mean_y, yl, yr], np.nan)
        return gx, gy, src, 0
    # auto: mean of agreeing eyes; one tracked eye alone; disagreeing eyes resolved
    with np.errstate(invalid="ignore"):
        disagree = both & (np.hypot(xl - xr, yl - yr) > max_disparity_px)
    pick = np.full(len(xl), code[primary], np.int8)
    if screen is not None:
        w, h = screen
        on_l = (xl >= 0) & (xl < w) & (yl >= 0) & (yl < h)
        on_r = (xr >= 0) & (xr < w) & (yr >= 0) & (yr < h)
        pick = np.where(on_l & ~on_r, 1, np.where(on_r & ~on_l, 2, pick)).astype(np.int8)
    src = np.select([both & ~disagree, both & disagree, okl, okr], [3, pick, 1, 2], 0)
    src = src.astype(np.int8)
    # a blink of the primary eye is a blink: keep it lost even where the other eye is seen
    ok_p = okl if primary == "left" else okr
    blink = _lost_runs_to_nan(~ok_p, int(round(max_blink * sfreq))) | blinks.get(primary, False)
    src[blink] = 0
    gx = np.select([src == 3, src == 1, src == 2], [mean_x, xl, xr], np.nan)
    gy = np.select([src == 3, src == 1, src == 2], [mean_y, yl, yr], np.nan)
    return gx, gy, src, int(disagree.sum())


def _tracker_blinks(raw, chans, n):
    """Per-eye masks of the tracker's own blink events (``BAD_blink`` annotations).

    An annotation naming channels of one eye only (MNE's ASCII reader) belongs
    to that eye; one naming both eyes' channels (eyelinkio) or none is not
    attributed to an eye and is left out.
    """
    sfreq = float(raw.info["sfreq"])
    names = {e: {raw.ch_names[i] for i in r.values() if i is not None} for e, r in chans.items()}
    masks = {}
    for ann in raw.annotations:
        if ann["description"] != "BAD_blink":
            continue
        chs = set(ann.get("ch_names", ()) or ())
        owners = [e for e, nm in names.items() if chs and chs <= nm]
        if len(owners) != 1:
            continue
        a = max(0, int(round((ann["onset"] - raw.first_time) * sfreq)))
        b = min(n, int(round((ann["onset"] - raw.first_time + ann["duration"]) * sfreq)) + 1)
        masks.setdefault(owners[0], np.zeros(n, bool))[a:b] = True
    return masks


def _from_mne_raw(raw, fname, start_event, end_event, baseline, *, eye="auto", screen=None,
                  max_disparity_px=100.0, max_blink=0.5):
    _check_option("eye", eye, _EYE_OPTIONS)
    _check_positive("max_disparity_px", max_disparity_px)
    chans = _pick_eyelink_channels(raw, fname)
    data = raw.get_data()
    n = data.shape[1]
    sfreq = float(raw.info["sfreq"])
    if screen is None:
        screen = _screen_from_messages(str(a["description"]) for a in raw.annotations)
    per_eye, pupils = {}, {}
    for e, r in chans.items():
        x, y = data[r["x"]], data[r["y"]]
        p = data[r["pupil"]] if r.get("pupil") is not None else None
        ok = np.isfinite(x) & np.isfinite(y)
        if p is not None:
            p = np.where(np.nan_to_num(p, nan=0.0) > 0, p, np.nan)
            ok &= np.isfinite(p)
            pupils[e] = p
        per_eye[e] = (x, y, ok)
    present = list(per_eye)
    if eye in ("left", "right") and eye not in per_eye:
        raise ConfigError(
            f"{fname}: eye={eye!r} asked for, but the file holds the {present[0]} eye only "
            f"(channels {raw.ch_names!r}). Pass eye={present[0]!r} or eye='auto'.")
    mode = eye
    if len(present) == 1 and eye in ("auto", "both"):
        mode = present[0]
    n_ok = {e: int(v[2].sum()) for e, v in per_eye.items()}
    if mode in ("left", "right"):
        primary = mode
    elif screen is not None:  # the eye with more valid samples on screen
        w, h = screen
        on = {e: int((v[2] & (v[0] >= 0) & (v[0] < w) & (v[1] >= 0) & (v[1] < h)).sum())
              for e, v in per_eye.items()}
        primary = max(_EYES, key=lambda e: (on[e], n_ok[e], e == "left"))
    else:
        primary = max(_EYES, key=lambda e: (n_ok[e], e == "left"))
    blinks = _tracker_blinks(raw, chans, n)
    gx, gy, src, n_dis = _combine_eyes(per_eye, mode, primary, screen, max_disparity_px, blinks,
                                       sfreq, max_blink)
    pnames = [f"pupil_{e}" for e in _EYES if e in pupils and (mode in ("auto", "both")
                                                            or e == mode)]
    pupil = (np.vstack([pupils[nm[len("pupil_"):]] for nm in pnames]) if pnames
             else np.zeros((0, n)))
    counts = {k: int((src == c).sum()) for k, c in
              (("lost", 0), ("left", 1), ("right", 2), ("mean", 3))}
    eye_info = {"eye": eye, "eyes_in_file": present, "used": mode,
                "primary": primary if mode in ("auto", "both") else mode,
                "n_samples": counts, "n_disagree": n_dis,
                "max_disparity_px": float(max_disparity_px),
                "tracker_blinks": sorted(blinks)}
    logger.info(
        "%s: eye=%r (eyes in file: %s): gaze from %s; samples mean %d, left %d, right %d, lost "
        "%d; %d binocular samples over %g px apart%s", Path(fname).name, eye, "+".join(present),
        mode if mode in ("left", "right") else f"{mode}, primary {primary}", counts["mean"],
        counts["left"], counts["right"], counts["lost"], n_dis, max_disparity_px,
        "" if screen is None else f"; screen {screen[0]} x {screen[1]} px")
    times = np.arange(n) / sfreq
    events = [(float(a["onset"] - raw.first_time), str(a["description"]))
              for a in raw.annotations]
    stimulus = None
    source = src
    if start_event is not None:
        keep, stimulus = _crop(fname, times, events, start_event, end_event, baseline)
        gx, gy, pupil, times, source = gx[keep], gy[keep], pupil[:, keep], times[keep], src[keep]
        events = [(t - times[0], e) for t, e in events]
        stimulus = (stimulus[0] - times[0], stimulus[1] - times[0])
    return GazeRecording(gx, gy, pupil, pnames, "a.u.", sfreq, events, stimulus, screen,
                         str(fname), eye_source=source, eye_info=eye_info)


_EYE_DOC = """eye : "auto" | "left" | "right" | "both"
        Which eye gives the gaze of a binocular recording (a monocular one
        always gives its own eye):

        - ``"left"`` / ``"right"``: that eye's gaze and pupil only; its
          lost samples are lost.
        - ``"auto"`` (default): per sample, the mean of the two eyes when
          both are tracked and lie within ``max_disparity_px`` of each
          other; the one eye tracked when only one is; when both are
          tracked but further apart, the one on screen (screen size from
          the file), else the *primary* eye (the eye with more valid
          samples on screen). Samples where the primary eye is lost for up
          to ``max_blink`` s, or lies inside one of its blinks as the
          tracker reported them (``EBLINK``), stay lost even when the
          other eye is seen: a blink counts when the primary eye closes,
          not only when both do. Longer losses of the primary eye (track
          loss) take the other eye. Both pupils are kept.
        - ``"both"``: the mean of the eyes tracked at each sample, with no
          agreement check, both pupils kept (the behaviour before this option; a sample
          is lost, and a blink seen, only when both eyes are lost).

        ``eye_source`` and ``eye_info`` of the result, and an INFO log
        line, say which eye each sample came from.
    max_disparity_px : float
        ``eye="auto"``: largest distance (px) between the two eyes' gaze
        averaged into one sample. The default 100 px is about 2 degrees at
        the 45-46 px/deg of a typical EyeLink 1000 set-up; on MNE's
        binocular test recording 99 % of the samples lie within 47 px.
    max_blink : float
        ``eye="auto"``: longest loss (s) of the primary eye kept lost (a
        blink, as :func:`~emopipe.features.eye.detect_eye_events` defines
        it) rather than filled from the other eye."""


def _asc_screen(fname):
    """Screen size from the ``GAZE_COORDS`` / ``DISPLAY_COORDS`` messages of an ASC file."""
    texts = []
    with open(fname, encoding="ascii", errors="replace") as fid:
        for line in fid:
            if line.startswith("MSG") and "_COORDS" in line:
                texts.append(line)
    return _screen_from_messages(texts)


def read_eyelink_asc(fname, *, start_event=None, end_event=None, baseline=0.0, eye="auto",
                     max_disparity_px=100.0, max_blink=0.5):
    """Read an EyeLink ASCII file (``edf2asc`` output) with ``mne.io.read_raw_eyelink``.

    Gaze must be in screen pixels (``SAMPLES GAZE``). Missing samples
    (``.``) and non-positive pupil values are NaN. Events are MNE's
    annotations: ``MSG`` texts, ``BAD_blink``, ``fixation``, ``saccade``,
    with onsets in s from the first sample. The screen size comes from the
    file's ``GAZE_COORDS`` message (else ``DISPLAY_COORDS``), e.g.
    ``GAZE_COORDS 0.00 0.00 1919.00 1079.00`` gives ``(1920, 1080)``.

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
    %s

    Returns
    -------
    gaze : GazeRecording
        Pupil in EyeLink units (``pupil_unit="a.u."``), channels
        ``pupil_left`` / ``pupil_right``.
    """
    _check_type("fname", fname, ("path-like",))
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"EyeLink ASCII file not found: {fname}")
    import mne

    try:
        raw = mne.io.read_raw_eyelink(fname, verbose="error")
    except (ValueError, RuntimeError, KeyError, IndexError) as err:
        raise DataFileError(
            f"{fname}: MNE could not parse this EyeLink ASCII file: {err}") from err
    return _from_mne_raw(raw, fname, start_event, end_event, baseline, eye=eye,
                         screen=_asc_screen(fname), max_disparity_px=max_disparity_px,
                         max_blink=max_blink)


def read_eyelink_edf(fname, *, start_event=None, end_event=None, baseline=0.0, eye="auto",
                     max_disparity_px=100.0, max_blink=0.5):
    """Read a binary EyeLink ``.edf`` with the optional package ``eyelinkio``.

    ``eyelinkio``'s ``to_mne()`` names the pupil channels ``ps_left`` /
    ``ps_right`` (type ``pupil``); they become ``pupil_left`` /
    ``pupil_right`` here. The screen size is eyelinkio's
    ``info["screen_coords"]`` (from ``GAZE_COORDS``), else the
    ``GAZE_COORDS`` / ``DISPLAY_COORDS`` message. No binary EDF fixture can
    be written without SR Research's API, so the suite tests this path
    with a stand-in ``eyelinkio`` returning MNE's parse of a real ASCII
    recording, renamed as eyelinkio names it.

    Parameters
    ----------
    fname : path-like
        The ``.edf`` file (EyeLink data format, not European Data Format).
    start_event, end_event : str | None
        As in :func:`read_eyelink_asc`.
    baseline : float
        As in :func:`read_eyelink_asc`.
    %s

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
    edf = eyelinkio.read_edf(os.fspath(fname))
    raw = edf.to_mne()
    if isinstance(raw, tuple):  # eyelinkio >= 0.2 returns (raw, calibrations)
        raw = raw[0]
    screen = None
    coords = getattr(edf, "info", {}).get("screen_coords")
    if coords is not None and len(coords) == 2 and min(coords) > 1:
        screen = (int(coords[0]), int(coords[1]))
    return _from_mne_raw(raw, Path(fname), start_event, end_event, baseline, eye=eye,
                         screen=screen, max_disparity_px=max_disparity_px, max_blink=max_blink)


read_eyelink_asc.__doc__ %= _EYE_DOC
read_eyelink_edf.__doc__ %= _EYE_DOC
