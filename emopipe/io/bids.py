"""Any EEG dataset in BIDS (``--dataset bids --root DIR``): the generic route for new data.

Layout (``docs/datasets.md`` section 9)::

    root/dataset_description.json, participants.tsv
    root/sub-<label>/[ses-<label>/]eeg/
        sub-<label>[_ses-<label>]_task-<task>[_run-<index>]_eeg.<ext>
                             ext among .vhdr .set .edf .bdf .fif .cnt
        ..._channels.tsv     name, type (EEG, EOG, ECG, EMG, GSR, RESP, TEMP, PPG, MISC,
                             TRIG), units
        ..._events.tsv       onset, duration, trial_type, ... and the label columns
        ..._[recording-<label>_]physio.tsv.gz + .json   (no header row; SamplingFrequency,
                                                         StartTime, Columns)

The recording is read with mne-bids (``read_raw_bids(on_ch_mismatch="raise")``),
its channels split into typed modalities by their ``channels.tsv`` type. Trials
and labels come from ``events.tsv`` read directly (mne-bids turns it into
annotations from ``trial_type``/``value`` only): the rows whose ``trial_type``
is ``bids_trial_type`` (every row when unset) are the trials, each cut from
``onset - bids_baseline`` to ``onset + duration``, and the columns
``bids_label_columns`` are their labels. Physiological recordings in
``*_physio.tsv.gz`` (which ``read_raw_bids`` does not read) are cut on the same
clock, shifted by their ``StartTime``, each at its own ``SamplingFrequency``;
eye-tracking ones (BEP020, ``PhysioType: "eyetrack"``, one file per eye) make
the ``eye`` modality.

A BIDS dataset fixes no facts, so the :class:`~emopipe.io._dataset.Dataset`
contract is filled from the config and the files: ``sfreq`` ``None`` (each
recording's own rate, or ``ExtractConfig.sfreq`` to resample the EEG file's
channels), ``label_names`` the config's ``bids_label_columns``, ``label_scale``
its ``bids_label_scale`` and ``default_threshold`` ``None`` (the config's
``label_threshold``, or the midpoint of ``bids_label_scale``; without either
the labels are classes).
"""

import gzip
import json
import logging
import math
import re
from pathlib import Path

import numpy as np

from ..utils._checks import _check_number, _check_option, _check_type
from ..utils._errors import ConfigError, ConfigTypeError, DataFileError
from ._dataset import Dataset
from ._mne import _parse_unit, infer_channel_types, typed_modalities
from ._registry import DATASETS
from ._types import Modality, SubjectRecording

logger = logging.getLogger("emopipe.io.bids")

#: extensions of the EEG data files mne-bids reads
EEG_EXTENSIONS = (".vhdr", ".set", ".edf", ".bdf", ".fif", ".cnt")
#: ``channels.tsv`` type -> modality key (BIDS EEG specification)
CHANNEL_TYPES = {"EEG": "eeg", "EOG": "eog", "HEOG": "eog", "VEOG": "eog", "ECG": "ecg",
                 "EMG": "emg", "GSR": "gsr", "EDA": "gsr", "RESP": "resp", "PPG": "ppg",
                 "TEMP": "temp", "TRIG": "stim", "MISC": "misc"}
#: BIDS physio column names -> modality key; other names through the channel-name hints
PHYSIO_COLUMNS = {"cardiac": "ppg", "respiratory": "resp", "trigger": "stim"}
#: the missing-value marker of BIDS tables
NA = "n/a"
#: data files beside a header file, checksummed with it
_COMPANIONS = {".vhdr": (".eeg", ".vmrk"), ".set": (".fdt",)}
#: ExtractConfig fields the BIDS route reads (passed to :meth:`BIDS.read_subject`)
CONFIG_FIELDS = ("bids_task", "bids_label_columns", "bids_trial_type", "bids_label_scale",
                 "bids_baseline")
_HOW = "(docs/datasets.md section 9)"


def read_tsv(fname):
    """A BIDS table: its header and rows of strings.

    Parameters
    ----------
    fname : path-like
        A ``.tsv`` file (tab-separated, one header row).

    Returns
    -------
    header : list of str
        Column names.
    rows : list of list of str
        One list per row, as long as the header; ``"n/a"`` kept as written.
    """
    fname = Path(fname)
    with open(fname, encoding="utf-8-sig", newline="") as fh:
        lines = [line.rstrip("\r\n") for line in fh]
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise DataFileError(f"{fname.name}: empty; a BIDS table starts with a header row of "
                            f"tab-separated column names {_HOW}.")
    header = lines[0].split("\t")
    rows = []
    for k, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(header):
            raise DataFileError(
                f"{fname.name}: line {k} has {len(cells)} tab-separated cells but the header "
                f"has {len(header)} columns ({', '.join(header)}). Fix the line (n/a for a "
                f"missing value).")
        rows.append(cells)
    return header, rows


def _number(fname, text, row, column):
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DataFileError(
            f"{Path(fname).name}: row {row} has {text!r} in column {column!r}, expected a "
            f"number. Every trial row needs a numeric {column}; if some rows are not trials "
            f"(a baseline row with n/a labels), select the trial rows with bids_trial_type.")
    return value


def read_events(fname, *, label_columns, trial_type=None, label_scale=None):
    """Trials and their labels from an ``events.tsv``, read directly.

    Parameters
    ----------
    fname : path-like
        The ``*_events.tsv`` of a recording.
    label_columns : list of str
        Columns holding each trial's labels (numbers).
    trial_type : str | None
        ``trial_type`` of the trial rows; ``None`` means every row.
    label_scale : tuple of (float, float) | None
        Lowest and highest allowed label value.

    Returns
    -------
    onset : ndarray, shape (n_trials,)
        Trial onsets in s from the first sample of the recording.
    duration : ndarray, shape (n_trials,)
        Trial durations in s (positive).
    labels : dict of str -> ndarray, shape (n_trials,)
        Label column -> values, in row order.
    rows : ndarray of int, shape (n_trials,)
        Line number of each trial in the file (the header is line 1).
    """
    fname = Path(fname)
    header, rows = read_tsv(fname)
    missing = [c for c in ("onset", "duration", *label_columns) if c not in header]
    if missing:
        raise DataFileError(
            f"{fname.name}: no column {', '.join(repr(c) for c in missing)}; the columns found "
            f"are {', '.join(repr(c) for c in header)}. Set bids_label_columns to the columns "
            f"holding the labels (emopipe check --dataset bids lists each events.tsv's "
            f"columns).")
    col = {c: header.index(c) for c in header}
    types = [r[col["trial_type"]] for r in rows] if "trial_type" in col else None
    if trial_type is not None:
        if types is None:
            raise DataFileError(
                f"{fname.name}: bids_trial_type is {trial_type!r} but the file has no "
                f"trial_type column (columns: {', '.join(header)}). Leave bids_trial_type "
                f"unset to take every row as a trial.")
        keep = [k for k, t in enumerate(types) if t == trial_type]
        if not keep:
            found = sorted(set(types))
            raise DataFileError(
                f"{fname.name}: no row has trial_type {trial_type!r}; the trial_type values "
                f"found are {', '.join(repr(t) for t in found)}. Set bids_trial_type to one "
                f"of them.")
    else:
        keep = list(range(len(rows)))
        if not keep:
            raise DataFileError(f"{fname.name}: no event rows, so no trials {_HOW}.")
    onset, duration, labels, lines = [], [], {c: [] for c in label_columns}, []
    for k in keep:
        r, line = rows[k], k + 2
        onset.append(_number(fname, r[col["onset"]], line, "onset"))
        d = _number(fname, r[col["duration"]], line, "duration")
        if d <= 0:
            raise DataFileError(
                f"{fname.name}: row {line} has duration {r[col['duration']]!r}; a trial needs a "
                f"positive duration in s (its signal is cut from onset to onset + duration).")
        duration.append(d)
        for c in label_columns:
            v = _number(fname, r[col[c]], line, c)
            if label_scale is not None and not label_scale[0] <= v <= label_scale[1]:
                raise DataFileError(
                    f"{fname.name}: row {line} has {c} = {v!r}, outside bids_label_scale "
                    f"[{label_scale[0]:g}, {label_scale[1]:g}]. Fix the value or the scale.")
            labels[c].append(v)
        lines.append(line)
    return (np.asarray(onset), np.asarray(duration),
            {c: np.asarray(v) for c, v in labels.items()}, np.asarray(lines))


def _sidecar(fname):
    """The JSON sidecar of a ``*_physio.tsv.gz``."""
    return Path(str(fname)[: -len(".tsv.gz")] + ".json")


def read_physio(fname, *, data=True):
    """A BIDS physiological recording: ``*_physio.tsv.gz`` and its JSON sidecar.

    Parameters
    ----------
    fname : path-like
        The ``*_physio.tsv.gz`` (gzipped, tab-separated, no header row;
        ``n/a`` read as NaN).
    data : bool
        Read the samples too; ``False`` reads and checks the sidecar only
        (``physio["data"]`` is then ``None``).

    Returns
    -------
    physio : dict
        ``data`` (ndarray, shape (n_columns, n_times), as in the file;
        ``None`` with ``data=False``),
        ``sfreq`` (Hz), ``start_time`` (s of the first sample on the EEG
        recording's clock), ``columns`` (names), ``units`` (column -> the
        sidecar's ``Units`` or ``""``) and ``physio_type`` (the sidecar's
        ``PhysioType``, ``"generic"`` when absent).
    """
    fname = Path(fname)
    side = _sidecar(fname)
    if not side.is_file():
        raise DataFileError(f"{fname.name}: no JSON sidecar {side.name}; BIDS physio files "
                            f"need one with SamplingFrequency, StartTime and Columns {_HOW}.")
    try:
        meta = json.loads(side.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{side.name}: not valid JSON ({exc}).") from exc
    if not isinstance(meta, dict):
        raise DataFileError(f"{side.name}: expected a JSON object, got {type(meta).__name__}.")
    absent = [k for k in ("SamplingFrequency", "StartTime", "Columns") if k not in meta]
    if absent:
        raise DataFileError(
            f"{side.name}: no {', '.join(absent)}; a physio sidecar needs SamplingFrequency "
            f"(Hz), StartTime (s relative to the EEG's first sample) and Columns (the names of "
            f"the header-less columns). Keys found: {', '.join(sorted(meta)) or 'none'}.")
    sfreq, start, columns = meta["SamplingFrequency"], meta["StartTime"], meta["Columns"]
    if (isinstance(sfreq, bool) or not isinstance(sfreq, (int, float))
            or not math.isfinite(sfreq) or sfreq <= 0):
        raise DataFileError(f"{side.name}: SamplingFrequency must be a number > 0 (Hz), got "
                            f"{sfreq!r}.")
    if isinstance(start, bool) or not isinstance(start, (int, float)) or not math.isfinite(start):
        raise DataFileError(f"{side.name}: StartTime must be a number of seconds, got {start!r}.")
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str)
                                                                 for c in columns):
        raise DataFileError(f"{side.name}: Columns must be a non-empty list of column names, "
                            f"got {columns!r}.")
    units = {c: (meta.get(c) or {}).get("Units", "") if isinstance(meta.get(c), dict) else ""
             for c in columns}
    out = {"data": None, "sfreq": float(sfreq), "start_time": float(start),
           "columns": list(columns), "units": units,
           "physio_type": str(meta.get("PhysioType", "generic"))}
    if not data:
        return out
    try:
        with gzip.open(fname, "rt", encoding="utf-8") as fh:
            lines = [line.rstrip("\r\n") for line in fh if line.strip()]
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{fname.name}: not a readable gzip text file ({exc}).") from exc
    samples = np.empty((len(columns), len(lines)))
    for k, line in enumerate(lines):
        cells = line.split("\t")
        if len(cells) != len(columns):
            raise DataFileError(
                f"{fname.name}: line {k + 1} has {len(cells)} columns but {side.name} lists "
                f"{len(columns)} ({', '.join(columns)}). The file has no header row: its "
                f"columns are those of Columns, in order.")
        try:
            samples[:, k] = [math.nan if c == NA else float(c) for c in cells]
        except ValueError as exc:
            raise DataFileError(f"{fname.name}: line {k + 1} holds a non-number ({exc}); "
                                f"missing values are written n/a.") from exc
    out["data"] = samples
    return out


def _physio_modalities(physio):
    """Modality key -> (column indices, SI unit, factors, source unit) of a generic physio file."""
    cols = physio["columns"]
    hinted = infer_channel_types(cols, ["misc"] * len(cols))
    groups = {}
    for i, (name, typ) in enumerate(zip(cols, hinted)):
        key = PHYSIO_COLUMNS.get(name.lower(), typ)
        if name.lower() in ("timestamp", "time"):
            key = "misc"
        groups.setdefault(key, []).append(i)
    out = {}
    for key, idx in groups.items():
        if key in ("misc", "stim"):
            continue
        units, factors, src = [], [], []
        for i in idx:
            text = physio["units"][cols[i]]
            parsed = _parse_unit(text)
            unit, factor = parsed if parsed is not None else ("a.u.", 1.0)
            units.append(unit)
            factors.append(factor)
            src.append(text or "none given")
        unit = units[0] if len(set(units)) == 1 else "a.u."
        out[key] = (idx, unit, np.asarray(factors), ", ".join(dict.fromkeys(src)))
    return out


#: BEP020 eye-tracking columns read: gaze (x, y) and the pupil
EYE_COLUMNS = ("x_coordinate", "y_coordinate", "pupil_size")
#: gaze units -> the eye modality's unit; pupil units -> factor to m
_GAZE_UNITS = {"pixel": "px", "pixels": "px", "px": "px", "deg": "deg", "degree": "deg",
               "degrees": "deg"}
_PUPIL_UNITS = {"m": 1.0, "mm": 1e-3, "um": 1e-6}


def _eye_trials(files, onset, duration, baseline, lines):
    """The ``eye`` modality from BEP020 eye-tracking physio files (one per eye), cut into trials.

    Gaze comes from the first file (``recording-eye1``), a pupil channel
    ``pupil_<recording>`` from each file with ``pupil_size``.
    """
    first_name, first = files[0]
    for name, ph in files:
        absent = [c for c in EYE_COLUMNS[:2] if c not in ph["columns"]]
        if absent:
            raise DataFileError(
                f"{name}: PhysioType eyetrack but no {', '.join(absent)} column; the columns "
                f"are {', '.join(ph['columns'])} (BEP020: x_coordinate, y_coordinate, "
                f"pupil_size).")
        if ph["sfreq"] != first["sfreq"]:
            raise DataFileError(
                f"{name}: eye tracking at {ph['sfreq']:g} Hz but {first_name} at "
                f"{first['sfreq']:g} Hz; the eyes of one recording must share a rate.")
    gaze_unit_text = first["units"]["x_coordinate"]
    gaze_unit = _GAZE_UNITS.get(gaze_unit_text.strip().lower(), "px")
    rows = [(first_name, first, first["columns"].index(c), c) for c in EYE_COLUMNS[:2]]
    names, pupil_src = ["gaze_x", "gaze_y"], []
    for name, ph in files:
        if "pupil_size" in ph["columns"]:
            rec = re.search(r"_recording-([A-Za-z0-9]+)_", name)
            names.append(f"pupil_{rec.group(1) if rec else len(names) - 1}")
            rows.append((name, ph, ph["columns"].index("pupil_size"), "pupil_size"))
            pupil_src.append(ph["units"]["pupil_size"] or "none given")
    fs = first["sfreq"]
    n = [int(round((baseline + d) * fs)) for d in duration]
    trials = []
    for o, k, line in zip(onset, n, lines):
        chans = []
        for name, ph, i, col in rows:
            x = _cut(ph["data"][i:i + 1], fs, ph["start_time"], o - baseline, k, name, line)[0]
            if col == "pupil_size":
                factor = _PUPIL_UNITS.get(ph["units"][col].strip(), 1.0)
                x = np.where(x > 0, x * factor, np.nan)  # 0 = lost (blink), as Tobii writes it
            chans.append(x)
        trials.append(np.vstack(chans))
    return Modality(trials, fs, names, gaze_unit,
                    f"gaze {gaze_unit_text or 'px (none given)'}, pupil "
                    f"{', '.join(dict.fromkeys(pupil_src)) or 'none'} "
                    f"({', '.join(n for n, _ in files)})")


def _tasks(root):
    from mne_bids import get_entity_vals

    return sorted(get_entity_vals(str(root), "task"))


def _resolve_task(root, task):
    tasks = _tasks(root)
    if task is not None:
        if task not in tasks:
            raise ConfigError(
                f"bids_task is {task!r}, but the BIDS tree {str(root)!r} has the task(s) "
                f"{', '.join(repr(t) for t in tasks) or 'none'}. Set bids_task to one of them.")
        return task
    if len(tasks) > 1:
        raise ConfigError(
            f"The BIDS tree {str(root)!r} holds several tasks "
            f"({', '.join(repr(t) for t in tasks)}); set bids_task in the extract config to the "
            f"one to read.")
    return tasks[0] if tasks else None


def _recordings(root, subject=None, task=None):
    """BIDSPaths of the EEG recordings (``*_eeg.<ext>``), sorted by subject, session, run."""
    from mne_bids import find_matching_paths

    subjects = None if subject is None else [subject]
    tasks = None if task is None else [task]
    paths = find_matching_paths(str(root), subjects=subjects, tasks=tasks, datatypes="eeg",
                                suffixes="eeg", extensions=list(EEG_EXTENSIONS))
    # a BrainVision recording is found once (.vhdr), never by its .eeg/.vmrk
    return sorted(paths, key=lambda p: (p.subject or "", p.session or "", p.run or "",
                                        p.acquisition or "", str(p.fpath)))


def _sibling(bids_path, suffix, extension):
    return bids_path.copy().update(suffix=suffix, extension=extension).fpath


def _physio_files(eeg_fname):
    """The ``*_physio.tsv.gz`` beside an EEG file, with or without a ``recording-`` entity."""
    eeg_fname = Path(eeg_fname)
    stem = eeg_fname.name.rsplit("_", 1)[0]
    found = [eeg_fname.parent / f"{stem}_physio.tsv.gz"]
    found += sorted(eeg_fname.parent.glob(f"{stem}_recording-*_physio.tsv.gz"))
    return [p for p in found if p.is_file()]


def _channel_overrides(fname):
    """Type -> channel names of ``channels.tsv`` (for :func:`typed_modalities`: it wins), and
    name -> its ``units`` cell (``""`` without that column)."""
    header, rows = read_tsv(fname)
    for c in ("name", "type"):
        if c not in header:
            raise DataFileError(f"{Path(fname).name}: no {c!r} column; the columns found are "
                                f"{', '.join(header)} {_HOW}.")
    i_name, i_type = header.index("name"), header.index("type")
    overrides, unknown = {}, []
    for r in rows:
        key = CHANNEL_TYPES.get(r[i_type].upper())
        if key is None:
            unknown.append(f"{r[i_name]} ({r[i_type]})")
            key = "misc"
        if key != "eeg":
            overrides.setdefault(key, []).append(r[i_name])
    if unknown:
        logger.info("%s: channel types not among %s read as misc: %s", Path(fname).name,
                    ", ".join(CHANNEL_TYPES), ", ".join(unknown))
    i_unit = header.index("units") if "units" in header else None
    units = {r[i_name]: ("" if i_unit is None else r[i_unit]) for r in rows}
    return overrides, units


def _eog_without_unit(mods, raw, units, fname):
    """EOG channels whose ``channels.tsv`` unit is ``n/a`` (or unknown) read as uV.

    :func:`typed_modalities` reads an EOG channel with a non-voltage header
    unit as uV (the sample value times the header resolution); mne-bids puts
    the ``channels.tsv`` units in place of the header's, so a garbled unit
    written there as ``n/a`` arrives as volts unscaled. The same rule applies.
    """
    eog = mods.get("eog")
    if eog is None:
        return
    fixed = []
    for row, name in enumerate(eog.ch_names):
        text = units.get(name, "")
        if text.strip() and _parse_unit(text) is not None:
            continue  # a unit typed_modalities understood (uV, or S read as uV already)
        ch = raw.info["chs"][raw.ch_names.index(name)]
        eog.data[0][row] = eog.data[0][row] / (float(ch["range"]) or 1.0) * 1e-6
        fixed.append(name)
    if fixed:
        logger.info("%s: EOG channel(s) %s have no unit in channels.tsv; read as uV.", fname,
                    ", ".join(fixed))
        eog.source_unit = f"uV for {', '.join(fixed)} (channels.tsv units n/a); {eog.source_unit}"


def _cut(data, sfreq, start_time, t0, n_times, what, trial_line):
    """``data[:, s:s + n_times]`` for a trial starting at ``t0`` s (``s`` on this file's clock)."""
    s = int(round((t0 - start_time) * sfreq))
    if s < 0 or s + n_times > data.shape[-1]:
        end = start_time + data.shape[-1] / sfreq
        raise DataFileError(
            f"{what}: the trial of events.tsv row {trial_line} needs {t0:g} to "
            f"{t0 + n_times / sfreq:g} s of the recording, but the file covers {start_time:g} to "
            f"{end:g} s. Fix the event's onset or duration (or bids_baseline).")
    return data[:, s:s + n_times]


def read_bids_recording(bids_path, *, label_columns, trial_type=None, label_scale=None,
                        baseline=0.0, sfreq=None, modalities=None):
    """One BIDS EEG recording cut into trials, with its physio files.

    Parameters
    ----------
    bids_path : mne_bids.BIDSPath
        The EEG recording (``*_eeg.<ext>``).
    label_columns : list of str
        ``events.tsv`` columns holding the labels.
    trial_type : str | None
        ``trial_type`` of the trial rows; ``None``: every row.
    label_scale : tuple of (float, float) | None
        Allowed label range.
    baseline : float
        Seconds before each onset read with the trial.
    sfreq : float | None
        Resample the EEG file's channels to this rate; ``None`` keeps theirs.
    modalities : list of str | None
        Modalities wanted; ``None``: every one found.

    Returns
    -------
    trials : dict of str -> Modality
        Each modality's trials (``data`` a list of ``(n_channels, n_times_i)``
        arrays, SI units).
    labels : dict of str -> ndarray, shape (n_trials,)
        Label column -> values.
    sources : list of str
        Files read (absolute paths).
    info : dict
        ``eeg_file``, ``physio_files``, ``events_rows``, ``bads`` and, per
        physio file, the columns not read. Eye-tracking physio files
        (``PhysioType: "eyetrack"``, BEP020) make the ``eye`` modality:
        ``gaze_x``, ``gaze_y`` (unit ``"px"`` or ``"deg"`` from the
        ``x_coordinate`` Units) from the first file and one
        ``pupil_<recording>`` channel (m; 0 read as missing) per file.
    """
    import mne
    from mne_bids import read_raw_bids

    fname = Path(bids_path.fpath)
    events = _sibling(bids_path, "events", ".tsv")
    channels = _sibling(bids_path, "channels", ".tsv")
    if not events.is_file():
        raise DataFileError(f"{fname.name}: no {events.name} beside it; the trials and their "
                            f"labels come from the events.tsv {_HOW}.")
    onset, duration, labels, lines = read_events(
        events, label_columns=label_columns, trial_type=trial_type, label_scale=label_scale)
    try:
        with mne.utils.use_log_level("error"):
            raw = read_raw_bids(bids_path, on_ch_mismatch="raise", verbose="error")
    except (ValueError, RuntimeError, KeyError) as exc:
        raise DataFileError(f"{fname.name}: mne-bids cannot read it ({type(exc).__name__}: "
                            f"{exc}).") from exc
    overrides, units = _channel_overrides(channels) if channels.is_file() else ({}, {})
    if sfreq is not None and not np.isclose(sfreq, raw.info["sfreq"]):
        raw.load_data().resample(sfreq, verbose="error")
    mods = typed_modalities(raw, **{k: v for k, v in overrides.items() if k != "eeg"},
                            verbose="error")
    _eog_without_unit(mods, raw, units, fname.name)
    want = None if modalities is None else set(modalities)
    out = {}
    for key, mod in mods.items():
        if key in ("stim", "misc") or (want is not None and key not in want):
            continue
        data, fs = mod.data[0], mod.sfreq
        n = [int(round((baseline + d) * fs)) for d in duration]
        out[key] = Modality([_cut(data, fs, 0.0, o - baseline, k, fname.name, line)
                             for o, k, line in zip(onset, n, lines)],
                            fs, mod.ch_names, mod.unit, mod.source_unit, ch_roles=mod.ch_roles)
    # the files a header names hold the samples too (BrainVision .eeg/.vmrk, EEGLAB .fdt)
    companions = [fname.with_suffix(x) for x in _COMPANIONS.get(fname.suffix.lower(), ())]
    sources = [str(p.resolve()) for p in (fname, *companions, events, channels) if p.is_file()]
    side = _sibling(bids_path, "eeg", ".json")
    if side.is_file():
        sources.append(str(side.resolve()))
    info = {"eeg_file": fname.name, "physio_files": [], "events_rows": lines.tolist(),
            "bads": list(raw.info["bads"]), "physio_not_read": {}}
    eyes = []
    for phys in _physio_files(fname):
        physio = read_physio(phys, data=False)  # the sidecar says what the file holds
        eye = physio["physio_type"].lower() == "eyetrack"
        groups = {} if eye else _physio_modalities(physio)
        keys = ["eye"] if eye else list(groups)
        if want is not None and not want & set(keys):
            info["physio_not_read"][phys.name] = f"{', '.join(keys) or 'nothing'} not wanted"
            continue
        physio = read_physio(phys)
        info["physio_files"].append(phys.name)
        sources += [str(phys.resolve()), str(_sidecar(phys).resolve())]
        if eye:
            eyes.append((phys.name, physio))
            continue
        used = {i for idx, *_ in groups.values() for i in idx}
        skipped = [c for i, c in enumerate(physio["columns"]) if i not in used]
        if skipped:
            info["physio_not_read"][phys.name] = ", ".join(skipped)
        fs, start = physio["sfreq"], physio["start_time"]
        for key, (idx, unit, factors, src) in groups.items():
            if want is not None and key not in want:
                continue
            if key in out:
                raise DataFileError(
                    f"{phys.name}: columns {[physio['columns'][i] for i in idx]} are {key}, "
                    f"but {key} channels were already read from {fname.name}; emopipe does not "
                    f"guess which to use. Remove one, or type the EEG file's channels MISC in "
                    f"channels.tsv.")
            data = physio["data"][idx] * factors[:, None]
            n = [int(round((baseline + d) * fs)) for d in duration]
            out[key] = Modality([_cut(data, fs, start, o - baseline, k, phys.name, line)
                                 for o, k, line in zip(onset, n, lines)],
                                fs, [physio["columns"][i] for i in idx], unit,
                                f"{src} ({phys.name})")
    if eyes and (want is None or "eye" in want):
        out["eye"] = _eye_trials(eyes, onset, duration, baseline, lines)
    return out, labels, sources, info


def _subject_label(subject):
    return subject[4:] if subject.startswith("sub-") else subject


@DATASETS.register("bids")
class BIDS(Dataset):
    """Any EEG dataset laid out in BIDS, read through mne-bids.

    A BIDS dataset fixes no facts, so the contract
    (:class:`emopipe.io._dataset.Dataset`) comes from the config and the
    files: ``sfreq`` ``None`` (each file's own rate; ``ExtractConfig.sfreq``
    resamples the EEG file's channels), ``label_names`` empty (the labels
    are the ``events.tsv`` columns ``bids_label_columns`` names),
    ``label_scale`` ``None`` (``bids_label_scale``), ``default_threshold``
    ``None`` (``label_threshold``, or the midpoint of ``bids_label_scale``),
    ``default_modalities`` EEG, ``default_window`` 1 s. Subjects are the
    labels of the ``sub-<label>`` folders holding an EEG recording (``01``
    for ``sub-01``); sessions are the
    ``ses-<label>`` entities in sorted order (1, 2, ...).
    """

    name = "bids"
    title = "BIDS"
    # sfreq, sources, label_names, label_scale, default_threshold,
    # default_modalities and default_window are Dataset's defaults
    #: a tree with ses-<label> entities has sessions (one without: the protocol says so)
    protocols = ("cross_session",)
    config_fields = CONFIG_FIELDS

    @classmethod
    def resolve_config(cls, config):
        """Check the ``bids_*`` fields of an extract config; their resolved values.

        Parameters
        ----------
        config : ExtractConfig
            A config with ``dataset="bids"``.

        Returns
        -------
        values : dict of str -> object
            ``bids_label_columns`` and ``bids_label_scale`` as tuples,
            ``bids_baseline`` as a float, and ``label_threshold`` the
            midpoint of ``bids_label_scale`` when the config gives a scale
            and no threshold.
        """
        cols = config.bids_label_columns
        if isinstance(cols, str):
            cols = (cols,)
        if not cols:
            raise ConfigError(
                "dataset bids needs bids_label_columns: the events.tsv columns holding each "
                "trial's labels, e.g. 'bids_label_columns: [valence, arousal]' in the extract "
                "section of --config. 'emopipe check --dataset bids --root DIR' lists the "
                "columns of each events.tsv.")
        if not isinstance(cols, (list, tuple)) or not all(isinstance(c, str) and c for c in cols):
            raise ConfigTypeError(f"bids_label_columns must be a list of column names, got "
                                  f"{cols!r}.")
        if len(set(cols)) != len(cols):
            raise ConfigError(f"bids_label_columns names a column twice: {list(cols)!r}.")
        reserved = [c for c in cols
                    if c in ("onset", "duration", "sample") or c.endswith("_class")]
        if reserved:
            raise ConfigError(
                f"bids_label_columns cannot hold {reserved[0]!r}: onset, duration and sample "
                f"place the trials, and '<label>_class' names the cache's binarised labels.")
        _check_type("bids_task", config.bids_task, (str, None))
        _check_type("bids_trial_type", config.bids_trial_type, (str, None))
        _check_number("bids_baseline", config.bids_baseline, low=0)
        values = {"bids_label_columns": tuple(cols), "bids_baseline": float(config.bids_baseline)}
        scale = config.bids_label_scale
        if scale is not None:
            if (not isinstance(scale, (list, tuple)) or len(scale) != 2
                    or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in scale)):
                raise ConfigTypeError(f"bids_label_scale must be [lowest, highest] (two numbers), "
                                      f"got {scale!r}.")
            lo, hi = float(scale[0]), float(scale[1])
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ConfigError(f"bids_label_scale must be [lowest, highest] with lowest < "
                                  f"highest, got {list(scale)!r}.")
            values["bids_label_scale"] = (lo, hi)
            if config.label_threshold is None:
                values["label_threshold"] = 0.5 * (lo + hi)
        return values

    @classmethod
    def describe(cls):
        """The facts ``emopipe datasets`` lists: the config and the files give most of them.

        Returns
        -------
        facts : dict
            As :meth:`emopipe.io._dataset.Dataset.describe`, with
            ``subjects`` and ``sessions`` ``"any"`` and ``labels`` saying
            where they come from.
        """
        return {"name": cls.name, "modalities": tuple(cls.default_modalities),
                "sources": tuple(cls.sources), "subjects": "any", "sessions": "any",
                "labels": "labels: the events.tsv columns bids_label_columns names, scale and "
                          "threshold from the config",
                "window": float(cls.default_window), "protocols": tuple(cls.protocols)}

    @classmethod
    def subjects(cls, root):
        """Labels (``01`` of ``sub-01``) of the subjects with an EEG recording.

        Parameters
        ----------
        root : path-like
            The BIDS root (holding ``dataset_description.json``).

        Returns
        -------
        subjects : list of str
            Sorted, e.g. ``["01", "02"]`` (the cache files ``01.h5``, ...).
        """
        root = cls._root(root)
        return sorted({p.subject for p in _recordings(root)})

    @classmethod
    def read_subject(cls, root, subject, *, source="auto", sfreq=None, modalities=None,
                     bids_task=None, bids_label_columns=None, bids_trial_type=None,
                     bids_label_scale=None, bids_baseline=0.0, verbose=None):
        """Read every recording of one subject's task, cut into trials.

        Parameters
        ----------
        root : path-like
            The BIDS root.
        subject : str
            The subject's label, ``"01"`` for ``sub-01`` (``"sub-01"`` is
            accepted too).
        source : str
            ``"auto"`` (the only source).
        sfreq : float | None
            Resample the EEG file's channels to this rate.
        modalities : list of str | None
            Modalities wanted; ``None``: every one found.
        bids_task, bids_label_columns, bids_trial_type, bids_label_scale, bids_baseline
            The ``ExtractConfig`` fields of the same names.
        verbose : bool | str | int | None
            Unused (kept for the common signature).

        Returns
        -------
        recording : SubjectRecording
            The trials of every session and run in order (``trial_ids``
            1, 2, ...; ``sessions`` 1, 2, ... by sorted ``ses-`` label, or
            ``None`` without sessions), ``labels`` the label columns,
            ``baseline`` ``bids_baseline``, ``missing`` the wanted
            modalities no file holds.
        """
        _check_type("subject", subject, (str,))
        _check_option("source", source, cls.sources)
        if not bids_label_columns:
            raise ConfigError("BIDS.read_subject needs bids_label_columns (the events.tsv "
                              "columns holding the labels).")
        root = cls._root(root)
        task = _resolve_task(root, bids_task)
        label = _subject_label(subject)
        paths = _recordings(root, label, task)
        if not paths:
            found = cls.subjects(root)
            raise FileNotFoundError(
                f"BIDS subject {subject!r}: no EEG recording of task {task!r} under "
                f"{str(root)!r}. Subjects with EEG recordings (labels of sub-<label>): "
                f"{', '.join(found) or 'none'}.")
        sessions_found = sorted({p.session for p in paths if p.session})
        parts, labels, sources, infos, sess = {}, {c: [] for c in bids_label_columns}, [], [], []
        for path in paths:
            mods, labs, srcs, info = read_bids_recording(
                path, label_columns=bids_label_columns, trial_type=bids_trial_type,
                label_scale=bids_label_scale, baseline=bids_baseline, sfreq=sfreq,
                modalities=modalities)
            n = len(next(iter(labs.values())))
            if parts and set(mods) != set(parts):
                raise DataFileError(
                    f"{info['eeg_file']}: holds the modalities {sorted(mods)} but "
                    f"{infos[0]['eeg_file']} holds {sorted(parts)}; every recording of a "
                    f"subject must carry the same ones.")
            for key, mod in mods.items():
                if key in parts:
                    first = parts[key][0]
                    if mod.ch_names != first.ch_names or not np.isclose(mod.sfreq, first.sfreq):
                        raise DataFileError(
                            f"{info['eeg_file']}: {key} channels {mod.ch_names} at "
                            f"{mod.sfreq:g} Hz differ from {infos[0]['eeg_file']}'s "
                            f"{first.ch_names} at {first.sfreq:g} Hz.")
                parts.setdefault(key, []).append(mod)
            for c in bids_label_columns:
                labels[c].append(labs[c])
            sources += srcs
            infos.append(info)
            sess += [sessions_found.index(path.session) + 1 if path.session else 0] * n
        trials = {key: Modality([t for m in ms for t in m.data], ms[0].sfreq, ms[0].ch_names,
                                ms[0].unit, ms[0].source_unit, ch_roles=ms[0].ch_roles)
                  for key, ms in parts.items()}
        if "eeg" not in trials and (modalities is None or "eeg" in modalities):
            raise DataFileError(f"{infos[0]['eeg_file']}: no channel typed EEG in its "
                                f"channels.tsv; the BIDS route reads EEG datasets {_HOW}.")
        missing = {}
        for key in modalities or ():
            if key not in trials:
                missing[key] = (f"no channel of the {task!r} recordings of {subject} and no "
                                f"physio column is {key}")
        labels = {c: np.concatenate(v) for c, v in labels.items()}
        n_trials = len(next(iter(labels.values())))
        return SubjectRecording(
            dataset=cls.name, subject=label, modalities=trials, labels=labels,
            trial_ids=np.arange(1, n_trials + 1), baseline=float(bids_baseline),
            sessions=np.asarray(sess) if sessions_found else None, sources=sources,
            info={"task": task, "recordings": infos}, missing=missing)

    @classmethod
    def check(cls, root):
        """List what is missing or malformed under a BIDS root.

        Parameters
        ----------
        root : path-like
            The BIDS root.

        Returns
        -------
        problems : list of str
            One sentence per problem; ``"info: "`` entries are not fatal
            (the tasks, the columns of the events.tsv files, physio files
            and the subjects of participants.tsv without recordings).
        """
        from mne_bids import read_raw_bids

        problem = cls._root_problem(root)
        if problem is not None:
            return [problem]
        root = Path(root)
        problems = []
        if not (root / "dataset_description.json").is_file():
            problems.append(f"no dataset_description.json under {str(root)!r}: not a BIDS root "
                            f"{_HOW}")
        paths = _recordings(root)
        if not paths:
            return problems + [
                f"no EEG recording (sub-<label>/[ses-<label>/]eeg/*_eeg.<ext>, ext among "
                f"{', '.join(EEG_EXTENSIONS)}) under {str(root)!r}: not a BIDS EEG dataset "
                f"{_HOW}"]
        problems.append(f"info: tasks {', '.join(_tasks(root))}; {len(paths)} EEG recording(s) "
                        f"of {len({p.subject for p in paths})} subject(s)")
        found = {p.subject for p in paths}
        part = root / "participants.tsv"
        if part.is_file():
            try:
                header, rows = read_tsv(part)
                ids = ([r[header.index("participant_id")] for r in rows]
                       if "participant_id" in header else [])
                absent = [i for i in ids if _subject_label(i) not in found]
                if absent:
                    problems.append(f"info: participants.tsv lists {', '.join(absent)} without "
                                    f"an EEG recording")
            except DataFileError as exc:
                problems.append(str(exc))
        columns = {}
        for p in paths:
            fname = Path(p.fpath)
            events = _sibling(p, "events", ".tsv")
            if not events.is_file():
                problems.append(f"{fname.name}: no {events.name}; its trials and labels "
                                f"cannot be read")
            else:
                try:
                    header, rows = read_tsv(events)
                    key = ", ".join(header)
                    if "trial_type" in header:
                        i = header.index("trial_type")
                        kinds = sorted({r[i] for r in rows})
                        key += f" (trial_type values: {', '.join(kinds)})"
                    columns.setdefault(key, []).append(events.name)
                except DataFileError as exc:
                    problems.append(str(exc))
            try:
                read_raw_bids(p, on_ch_mismatch="raise", verbose="error")
            except (ValueError, RuntimeError, KeyError, OSError) as exc:
                problems.append(f"{fname.name}: mne-bids cannot read it ({type(exc).__name__}: "
                                f"{exc})")
            for phys in _physio_files(fname):
                try:
                    physio = read_physio(phys)
                    problems.append(f"info: {phys.name}: {physio['physio_type']} at "
                                    f"{physio['sfreq']:g} Hz, columns "
                                    f"{', '.join(physio['columns'])}")
                except DataFileError as exc:
                    problems.append(str(exc))
        for key, files in columns.items():
            which = files[0] if len(files) == 1 else f"{len(files)} events.tsv files"
            problems.append(f"info: {which}: columns {key}")
        return problems
