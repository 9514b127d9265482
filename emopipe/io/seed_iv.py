"""SEED-IV readers (official EEG and eye features) and the SEED-IV dataset.

SEED-IV (Zheng et al., 2019): 15 subjects x 3 sessions x 24 film clips,
each clip one of four emotions, 0 neutral, 1 sad, 2 fear, 3 happy, fixed by
the clip (the same label list for every subject of a session). Format facts
are in ``docs/datasets.md`` section 3 and the manifest
``emopipe/io/manifests/seed_iv.yaml``; the facts generic code needs are
declared on :class:`SEEDIV`.

The reader returns the dataset's **official features** as precomputed
features (``SubjectRecording.precomputed``, passed through to the cache by
:mod:`emopipe.features.precomputed`):

- ``eeg_feature_smooth/<session>/<subject>_<date>.mat``: keys
  ``de_movingAve<k>, de_LDS<k>, psd_movingAve<k>, psd_LDS<k>`` for trial
  ``k = 1 ... 24``, each ``(62, W, 5)`` (channel, window, band), 4-s
  windows; cached as ``eeg/official_de_movingAve``, ``eeg/official_de_LDS``,
  ``eeg/official_psd_movingAve``, ``eeg/official_psd_LDS`` with dims
  ``(window, channel, band)``;
- ``eye_feature_smooth/<session>/<subject>_<date>.mat``: keys ``eye_1 ...
  eye_24``, each ``(31, W)``; cached as ``eye/official`` with dims
  ``(window, feature)`` and the 31 feature names of the manifest.

With ``source="raw"`` the EEG comes from ``eeg_raw_data/<session>/<subject>_<date>.mat``
(``<initials>_eeg1 ... _eeg24``, ``(62, n_times)`` uV at 200 Hz) as an ``eeg``
signal modality in V, and the eye features (still precomputed) fix the 4-s
window grid emopipe computes its own EEG features on, so the two align
window by window; a trial whose complete 4-s windows differ in number from
its eye windows is a :class:`~emopipe.utils._errors.DataFileError` naming
both counts.

The session is the folder number, never the date. Trial ids are unique
within a subject, ``24 * (session - 1) + k`` (1 ... 72), so trial-level
splits can never mix two sessions' clip ``k``.
"""

import functools
import logging
import re
from pathlib import Path

import numpy as np

from ..utils._checks import _check_option, _check_type
from ..utils._errors import ConfigError, DataFileError, EmopipeError
from ..utils._logging import verbose as _verbose
from ._dataset import Dataset, _session_trials
from ._files import _read_mat
from ._manifest import load_manifest
from ._registry import DATASETS
from ._types import Modality, PrecomputedFeature, SubjectRecording

logger = logging.getLogger("emopipe.io.seed_iv")

SFREQ = 200.0
WINDOW = 4.0
N_TRIALS = 24
SESSIONS = (1, 2, 3)
N_CHANNELS = 62
N_EYE = 31
EEG_FEATURE_FOLDER = "eeg_feature_smooth"
EYE_FEATURE_FOLDER = "eye_feature_smooth"
EEG_RAW_FOLDER = "eeg_raw_data"
EEG_FEATURE_KEYS = ("de_movingAve", "de_LDS", "psd_movingAve", "psd_LDS")
SOURCES = ("auto", "features", "raw")
_FILE = re.compile(r"^(\d+)_(\d{8})\.mat$")
_EEG_KEY = re.compile(r"^(de_movingAve|de_LDS|psd_movingAve|psd_LDS)(\d+)$")
_EYE_KEY = re.compile(r"^eye_(\d+)$")
_RAW_KEY = re.compile(r"^([A-Za-z]+)_eeg(\d+)$")


@functools.lru_cache(maxsize=1)
def _manifest():
    return load_manifest("seed_iv")


def session_labels(session):
    """The 24 emotion classes of one session's clips (ReadMe; the same for every subject).

    Parameters
    ----------
    session : int
        1, 2 or 3.

    Returns
    -------
    labels : ndarray of int64, shape (24,)
        0 neutral, 1 sad, 2 fear, 3 happy, clip 1 first.
    """
    _check_option("session", session, SESSIONS)
    return np.asarray(_manifest()["labels"][session], dtype=np.int64)


def _loadmat(fname, *, lazy=False):
    return _read_mat(fname, what="SEED-IV MAT file", shown=_rel(fname), lazy=lazy)


def _rel(fname):
    """``<folder>/<session>/<file>``, how messages name a SEED-IV file."""
    p = Path(fname)
    return "/".join(p.parts[-3:])


def _by_trial(fname, mat, pattern, what, expected):
    """Group the variables matching ``pattern`` by trial number; check every trial 1-24 is there.

    Returns ``{trial: {name: array}}`` (``name`` the regex's first group or
    ``what`` when it has one group).
    """
    keys = [k for k in mat if not k.startswith("__")]
    trials = {}
    for key in keys:
        m = pattern.match(key)
        if m is None:
            continue
        name, k = (what, int(m.group(1))) if pattern.groups == 1 else (m.group(1),
                                                                        int(m.group(2)))
        value = mat[key]  # an array, or a _Header (shape and dtype only) when read lazily
        trials.setdefault(k, {})[name] = value if hasattr(value, "ndim") else np.asarray(value)
    if not trials:
        raise DataFileError(
            f"{_rel(fname)}: no variable matches the SEED-IV {what} names ({expected}); "
            f"found {sorted(keys)}. Is this a SEED-IV {what} file (or a file of SEED or SEED-V "
            f"in a SEED-IV folder)?"
        )
    numbers = sorted(trials)
    if numbers != list(range(1, N_TRIALS + 1)):
        absent = [k for k in range(1, N_TRIALS + 1) if k not in trials]
        extra = [k for k in numbers if not 1 <= k <= N_TRIALS]
        raise DataFileError(
            f"{_rel(fname)}: holds {len(numbers)} trials, expected {N_TRIALS} (a SEED-IV "
            f"session has {N_TRIALS} clips, trials 1-{N_TRIALS}); absent trial(s) {absent}"
            f"{f', unexpected trial number(s) {extra}' if extra else ''}. The file is "
            f"incomplete; re-download it."
        )
    return trials


def read_seed_iv_eeg_features(fname):
    """Read one ``eeg_feature_smooth/<session>/<subject>_<date>.mat`` file.

    Parameters
    ----------
    fname : path-like
        The file (96 variables ``de_movingAve1 ... psd_LDS24``).

    Returns
    -------
    features : dict of str -> list of ndarray, shape (n_windows_t, 62, 5)
        ``"de_movingAve"``, ``"de_LDS"``, ``"psd_movingAve"``, ``"psd_LDS"`` ->
        one (window, channel, band) array per trial, trial 1 first.
    """
    _check_type("fname", fname, ("path-like",))
    mat = _loadmat(fname)
    trials = _by_trial(fname, mat, _EEG_KEY, "EEG feature",
                       "de_movingAve<k>, de_LDS<k>, psd_movingAve<k>, psd_LDS<k>")
    out = {key: [] for key in EEG_FEATURE_KEYS}
    for k in range(1, N_TRIALS + 1):
        n_win = None
        for key in EEG_FEATURE_KEYS:
            if key not in trials[k]:
                raise DataFileError(
                    f"{_rel(fname)}: trial {k} has no variable {key}{k}; found "
                    f"{sorted(name + str(k) for name in trials[k])}. The file is incomplete."
                )
            arr = trials[k][key]
            if arr.ndim != 3 or arr.shape[0] != N_CHANNELS or arr.shape[2] != 5:
                raise DataFileError(
                    f"{_rel(fname)}: variable {key}{k} has shape {arr.shape}, expected "
                    f"({N_CHANNELS}, n_windows, 5) (channel, window, band)."
                )
            if arr.dtype.kind != "f":
                raise DataFileError(
                    f"{_rel(fname)}: variable {key}{k} has dtype {arr.dtype}, expected a "
                    f"floating dtype (float64)."
                )
            if n_win is not None and arr.shape[1] != n_win:
                raise DataFileError(
                    f"{_rel(fname)}: trial {k} has {n_win} windows in "
                    f"{EEG_FEATURE_KEYS[0]}{k} but {arr.shape[1]} in {key}{k}."
                )
            n_win = arr.shape[1]
            out[key].append(np.ascontiguousarray(arr.transpose(1, 0, 2), dtype=np.float64))
    return out


def read_seed_iv_eye_features(fname):
    """Read one ``eye_feature_smooth/<session>/<subject>_<date>.mat`` file.

    Parameters
    ----------
    fname : path-like
        The file (variables ``eye_1 ... eye_24``).

    Returns
    -------
    features : list of ndarray, shape (n_windows_t, 31)
        One (window, feature) array per trial, trial 1 first, rows in the
        manifest's ``eye_features.names`` order.
    """
    _check_type("fname", fname, ("path-like",))
    mat = _loadmat(fname)
    trials = _by_trial(fname, mat, _EYE_KEY, "eye feature", "eye_1 ... eye_24")
    out = []
    for k in range(1, N_TRIALS + 1):
        arr = trials[k]["eye feature"]
        if arr.ndim != 2 or arr.shape[0] != N_EYE:
            raise DataFileError(
                f"{_rel(fname)}: variable eye_{k} has shape {arr.shape}, expected ({N_EYE}, "
                f"n_windows) (feature, window)."
            )
        if arr.dtype.kind not in "fiu":
            raise DataFileError(
                f"{_rel(fname)}: variable eye_{k} has dtype {arr.dtype}, expected float64."
            )
        out.append(np.ascontiguousarray(arr.T, dtype=np.float64))
    return out


class MatTrial:
    """One raw trial of a SEED-IV MAT file, loaded only when converted to an array.

    ``np.shape`` and :attr:`shape` need no samples (they come from the
    file's variable headers, :func:`scipy.io.whosmat`); ``np.asarray(trial)``
    loads that one variable (``scipy.io.loadmat(..., variable_names=[...])``),
    checks it is finite and returns it in V.

    Parameters
    ----------
    fname : path-like
        The ``eeg_raw_data/<session>/<subject>_<date>.mat`` file.
    name : str
        The variable (``"cz_eeg3"``).
    shape : tuple of int
        Its ``(62, n_times)``.
    """

    def __init__(self, fname, name, shape):
        self.fname, self.name, self.shape = Path(fname), name, tuple(shape)

    def __len__(self):
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        import scipy.io

        arr = scipy.io.loadmat(self.fname, variable_names=[self.name])[self.name]
        out = _raw_trial_volts(self.fname, self.name, arr)
        return out if dtype is None else out.astype(dtype)


def _raw_trial_volts(fname, name, arr):
    """A raw trial's samples in V after the finiteness check."""
    if not np.all(np.isfinite(arr)):
        raise DataFileError(
            f"{_rel(fname)}: variable {name} holds {int(np.count_nonzero(~np.isfinite(arr)))} "
            f"NaN or infinite samples. Re-download the file."
        )
    return np.asarray(arr, dtype=np.float64) * 1e-6


def read_seed_iv_raw(fname, *, lazy=False):
    """Read one ``eeg_raw_data/<session>/<subject>_<date>.mat`` file.

    Parameters
    ----------
    fname : path-like
        The file: 24 variables ``<initials>_eeg1 ... <initials>_eeg24``
        (one prefix per file, found by the pattern ``_eeg(\\d+)$``), each
        ``(62, n_times)`` in uV at 200 Hz.
    lazy : bool
        Return :class:`MatTrial` objects that load their variable when
        converted to an array (shapes and names are checked now, the
        samples when read), so a session of 24 four-minute trials (0.6 GB
        in float64) is never in memory at once.

    Returns
    -------
    trials : list of ndarray, shape (62, n_times_t)
        One array (or :class:`MatTrial`) per trial in V, trial 1 first (by
        the number in the name, not the position in the file).
    prefix : str
        The subject's initials as the file names its variables.
    """
    _check_type("fname", fname, ("path-like",))
    if lazy:
        found = _loadmat(fname, lazy=True)
        kinds = {name: mclass for name, _, mclass in found}
        mat = {name: _Header(shape, kinds[name]) for name, shape, _ in found}
    else:
        mat = _loadmat(fname)
    trials = _by_trial(fname, mat, _RAW_KEY, "raw EEG", "<initials>_eeg1 ... _eeg24")
    prefixes = sorted({p for tr in trials.values() for p in tr})
    if len(prefixes) != 1:
        raise DataFileError(
            f"{_rel(fname)}: the raw EEG variables carry {len(prefixes)} prefixes {prefixes}; "
            f"a SEED-IV file holds one subject, named by one prefix (e.g. 'cz_eeg1'). The "
            f"file mixes subjects: re-download it."
        )
    prefix = prefixes[0]
    out = []
    for k in range(1, N_TRIALS + 1):
        arr = trials[k][prefix]
        if arr.ndim != 2 or arr.shape[0] != N_CHANNELS or arr.dtype.kind not in "fiu":
            raise DataFileError(
                f"{_rel(fname)}: variable {prefix}_eeg{k} has shape {arr.shape} and dtype "
                f"{arr.dtype}, expected ({N_CHANNELS}, n_times) floating-point samples (uV at "
                f"{SFREQ:g} Hz)."
            )
        name = f"{prefix}_eeg{k}"
        out.append(MatTrial(fname, name, arr.shape) if lazy
                   else _raw_trial_volts(fname, name, arr))
    return out, prefix


class _Header:
    """Shape and numeric kind of a MAT variable, from its header only (``whosmat``)."""

    _KINDS = {"double": "float64", "single": "float32", "int8": "int8", "int16": "int16",
              "int32": "int32", "int64": "int64", "uint8": "uint8", "uint16": "uint16",
              "uint32": "uint32", "uint64": "uint64"}

    def __init__(self, shape, mclass):
        self.shape, self.ndim = tuple(shape), len(shape)
        self.dtype = np.dtype(self._KINDS.get(mclass, "O"))


#: ``eye_raw_data`` file kinds and the variable each holds (one cell per clip)
EYE_RAW_KINDS = {"blink": "Eye_Blink", "event": "Eye_Event", "fixation": "Eye_Fixation",
                 "pupil": "Eye_Pupil", "saccade": "Eye_Saccade"}
EYE_RAW_FOLDER = "eye_raw_data"


def read_seed_iv_eye_raw(root, subject, date):
    """Read the five ``eye_raw_data/<subject>_<date>_<kind>.mat`` event tables of one session.

    ``eye_raw_data/`` is flat (not per session): the date, which the
    session's EEG file name carries, names the session's files.

    Parameters
    ----------
    root : path-like
        Folder of the SEED-IV download.
    subject : str
        Subject id, ``"1"`` ... ``"15"``.
    date : str
        ``YYYYMMDD`` of the session.

    Returns
    -------
    tables : dict of str -> list of ndarray
        Kind (``"blink"``, ``"event"``, ``"fixation"``, ``"pupil"``,
        ``"saccade"``) -> one 2-D float array per clip (24, clip 1 first),
        as the file's cell holds it (``pupil`` rows: average pupil size X,
        Y in px, dispersion X, Y; ``saccade`` rows: duration in ms,
        amplitude in deg). Kinds whose file is absent are left out.
    """
    _check_type("root", root, ("path-like",))
    out = {}
    for kind, key in EYE_RAW_KINDS.items():
        fname = Path(root) / EYE_RAW_FOLDER / f"{subject}_{date}_{kind}.mat"
        if not fname.exists():
            continue
        mat = _loadmat(fname)
        name = f"{EYE_RAW_FOLDER}/{fname.name}"
        if key not in mat:
            raise DataFileError(
                f"{name}: no variable {key!r}; found "
                f"{sorted(k for k in mat if not k.startswith('__'))}. Is this a SEED-IV "
                f"eye_raw_data {kind} file?"
            )
        cells = np.asarray(mat[key])
        if cells.dtype != object or cells.size != N_TRIALS:
            raise DataFileError(
                f"{name}: variable {key!r} holds {cells.size} "
                f"{'cells' if cells.dtype == object else 'values (not a cell array)'}, "
                f"shape {cells.shape}, expected a cell array of {N_TRIALS} (one per clip)."
            )
        tables = []
        for k, cell in enumerate(cells.ravel(), start=1):
            arr = np.asarray(cell)
            if arr.dtype.kind not in "fiu" or arr.ndim > 2:
                raise DataFileError(
                    f"{name}: cell {k} of {key!r} has shape {arr.shape} and dtype {arr.dtype}, "
                    f"expected a numeric table (rows x events)."
                )
            tables.append(np.atleast_2d(arr.astype(np.float64)))
        out[kind] = tables
    return out


def _scan(root, folder):
    """``{subject: {session: path}}`` of the ``<folder>/<session>/<subject>_<date>.mat`` files."""
    found = {}
    for session in SESSIONS:
        d = Path(root) / folder / str(session)
        if not d.is_dir():
            continue
        for p in sorted(d.iterdir()):
            m = _FILE.match(p.name)
            if m is None:
                continue
            sub = str(int(m.group(1)))
            if session in found.setdefault(sub, {}):
                raise DataFileError(
                    f"{folder}/{session}/ holds two files of subject {sub}: "
                    f"{found[sub][session].name} and {p.name}. Keep one per subject and "
                    f"session."
                )
            found[sub][session] = p
    return found


def _sorted_subjects(subjects):
    return sorted(subjects, key=int)


@DATASETS.register("seed_iv")
class SEEDIV(Dataset):
    """The SEED-IV dataset laid out as the authors ship it.

    Folders under ``root``: ``eeg_feature_smooth/{1,2,3}/<subject>_<date>.mat``
    and ``eye_feature_smooth/{1,2,3}/<subject>_<date>.mat`` (see the module
    docstring) and ``eeg_raw_data/{1,2,3}/<subject>_<date>.mat`` (``source="raw"``:
    emopipe's own features on the eye features' 4-s windows); the flat
    ``eye_raw_data/<subject>_<date>_<kind>.mat`` event tables, where present,
    go to ``info["eye_raw"]`` (:func:`read_seed_iv_eye_raw`; no extractor
    uses them yet).

    The facts generic code reads (see :class:`emopipe.io._dataset.Dataset`):
    ``sfreq`` 200 Hz (the raw EEG), ``sources`` ``"auto"``, ``"features"``
    (the official features; ``"auto"`` picks them when present) and ``"raw"``,
    ``label_names`` ``("emotion",)``, classes 0-3 never thresholded
    (``label_scale`` and ``default_threshold`` ``None``),
    ``default_modalities`` EEG and eye. The official features come in
    ``default_window`` = 4-s windows, the window ``extract`` uses unless the
    config names another (which the official features refuse).
    """

    name = "seed_iv"
    title = "SEED-IV"
    sfreq = SFREQ
    sources = SOURCES
    label_names = ("emotion",)
    label_scale = None
    default_threshold = None
    default_modalities = ("eeg", "eye")
    protocols = ("cross_session",)
    default_window = WINDOW
    montage = "standard_1020"
    subject_ids = tuple(str(s) for s in range(1, 16))
    session_ids = SESSIONS

    @classmethod
    def subjects(cls, root):
        """Sorted ids (``"1"`` ... ``"15"``) of the subjects with an EEG feature or raw file.

        Parameters
        ----------
        root : path-like
            Folder of the SEED-IV download.

        Returns
        -------
        subjects : list of str
            Numeric order; empty when no file is found.
        """
        root = cls._root(root)
        return _sorted_subjects(set(_scan(root, EEG_FEATURE_FOLDER))
                                | set(_scan(root, EEG_RAW_FOLDER)))

    @classmethod
    def read_subject(cls, root, subject, *, source="auto", sfreq=SFREQ, modalities=None,
                     verbose=None):
        """Read one subject's official features, every session present.

        Parameters
        ----------
        root : path-like
            Folder of the SEED-IV download.
        subject : str
            Subject id, ``"1"`` ... ``"15"``.
        source : str
            ``"features"`` (the official EEG features), ``"raw"``
            (``eeg_raw_data``: an ``eeg`` signal modality emopipe computes its
            own features from) or ``"auto"`` (features when present, else
            raw).
        sfreq : float
            Must be 200 (the rate of the files; no resampling).
        modalities : list of str | None
            Modalities wanted (``"eeg"``, ``"eye"``); ``None`` means both.
        verbose : bool | str | int | None
            Log level for this call.

        Returns
        -------
        recording : SubjectRecording
            With ``source="features"``, no signal modalities and
            ``precomputed["eeg"]`` the four official EEG features; with
            ``source="raw"``, ``modalities["eeg"]`` (62 channels, V, 200 Hz,
            one array per trial). Both: ``precomputed["eye"]["official"]`` the 31 eye
            features (when ``eye_feature_smooth`` has the subject; otherwise
            ``missing["eye"]`` says why), ``precomputed_window`` 4.0,
            ``labels["emotion"]`` (n_trials,), ``sessions`` the folder
            numbers, ``trial_ids`` ``24 * (session - 1) + k``.
        """
        return _read_subject(root, subject, source=source, sfreq=sfreq, modalities=modalities,
                             verbose=verbose)

    @classmethod
    def check(cls, root):
        """List what is missing or malformed under ``root``.

        Parameters
        ----------
        root : path-like
            Folder of the SEED-IV download.

        Returns
        -------
        problems : list of str
            One sentence per problem; entries starting with ``"info: "`` are
            not fatal. Every file present is read by the reader ``extract``
            uses, so each check it makes is made here.
        """
        return _check_root(root)


def _resolve_source(source, subject, feature_files, raw_files):
    if source == "auto":
        source = "features" if subject in feature_files else "raw"
    files = feature_files if source == "features" else raw_files
    folder = EEG_FEATURE_FOLDER if source == "features" else EEG_RAW_FOLDER
    return source, files, folder


@_verbose
def _read_subject(root, subject, *, source, sfreq, modalities, verbose=None):
    _check_type("root", root, ("path-like",))
    _check_type("subject", subject, (str,))
    _check_option("source", source, SOURCES)
    if float(sfreq) != SFREQ:
        raise ConfigError(
            f"sfreq = {sfreq!r} Hz is not available from SEED-IV: its EEG files are at "
            f"{SFREQ:g} Hz and its features per 4-s window. Use sfreq={SFREQ:g}."
        )
    root = Path(root)
    feature_files = _scan(root, EEG_FEATURE_FOLDER) if root.is_dir() else {}
    raw_files = _scan(root, EEG_RAW_FOLDER) if root.is_dir() else {}
    source, eeg_files, folder = _resolve_source(source, subject, feature_files, raw_files)
    if subject not in eeg_files:
        raise FileNotFoundError(
            f"Subject {subject!r} not found under {str(root)!r}: no "
            f"{folder}/{{1,2,3}}/{subject}_<date>.mat (source {source!r}). Subjects with "
            f"such files: {', '.join(repr(s) for s in _sorted_subjects(eeg_files)) or 'none'}."
        )
    want_eye = modalities is None or "eye" in modalities
    eye_files = _scan(root, EYE_FEATURE_FOLDER).get(subject, {}) if want_eye else {}
    sessions = sorted(eeg_files[subject])
    eeg = {key: [] for key in EEG_FEATURE_KEYS}
    raw, eye, labels, sources = [], [], [], []
    missing, prefixes, eye_raw = {}, {}, {}
    if want_eye and any(s not in eye_files for s in sessions):
        absent = [s for s in sessions if s not in eye_files]
        missing["eye"] = (f"{EYE_FEATURE_FOLDER}/ has no file of subject {subject} for "
                          f"session(s) {absent}")
    read_eye = want_eye and "eye" not in missing
    for session in sessions:
        fname = eeg_files[subject][session]
        sources.append(fname)
        if source == "features":
            feats = read_seed_iv_eeg_features(fname)
            for key in EEG_FEATURE_KEYS:
                eeg[key].extend(feats[key])
            counts = [len(t) for t in feats["de_LDS"]]
            what = "de_LDS"
        else:
            trials, prefixes[session] = read_seed_iv_raw(fname, lazy=True)
            raw.extend(trials)
            counts = [int(t.shape[1] // int(WINDOW * SFREQ)) for t in trials]
            what = f"{prefixes[session]}_eeg"
        if read_eye:
            eye_trials = read_seed_iv_eye_features(eye_files[session])
            sources.append(eye_files[session])
            for k, (e, n) in enumerate(zip(eye_trials, counts), start=1):
                if e.shape[0] != n:
                    raise DataFileError(
                        f"Subject {subject} session {session} trial {k}: "
                        f"{_rel(eye_files[session])} (eye_{k}) has {e.shape[0]} windows but "
                        f"{_rel(fname)} ({what}{k}) has {n}"
                        f"{' complete 4-s windows' if source == 'raw' else ''}; the eye and "
                        f"EEG of a trial share its 4-s windows. The files are inconsistent: "
                        f"re-download them."
                    )
            eye.extend(eye_trials)
        if want_eye:
            date = _FILE.match(Path(fname).name).group(2)
            tables = read_seed_iv_eye_raw(root, subject, date)
            if tables:
                eye_raw[session] = tables
                sources.extend(root / EYE_RAW_FOLDER / f"{subject}_{date}_{kind}.mat"
                               for kind in tables)
        labels.append(session_labels(session))
    trial_ids, trial_sessions = _session_trials(sessions, N_TRIALS)
    man = _manifest()
    band_names = list(man["eeg_features"]["bands"])
    precomputed, signals = {}, {}
    if source == "features":
        precomputed["eeg"] = {
            f"official_{key}": PrecomputedFeature(
                eeg[key], ("window", "channel", "band"),
                {"unit": "a.u.", "ch_names": list(man["channels"]), "band_names": band_names,
                 "band_edges": np.asarray(man["eeg_features"]["band_edges"], dtype=float),
                 "source": f"{EEG_FEATURE_FOLDER} {key}<k> (channel, window, band), "
                           f"transposed"})
            for key in EEG_FEATURE_KEYS}
    else:
        signals["eeg"] = Modality(data=raw, sfreq=SFREQ, ch_names=list(man["channels"]),
                                  unit="V", source_unit="uV")
    if read_eye:
        precomputed["eye"] = {"official": PrecomputedFeature(
            eye, ("window", "feature"),
            {"unit": "mixed", "feature_names": list(man["eye_features"]["names"]),
             "source": f"{EYE_FEATURE_FOLDER} eye_<k> (feature, window), transposed"})}
    logger.info("SEED-IV subject %s (%s): sessions %s, %d trials", subject, source, sessions,
                N_TRIALS * len(sessions))
    info = {"format": "official features" if source == "features" else "raw EEG",
            "source": source, "sessions": sessions}
    if prefixes:
        info["prefix"] = sorted(set(prefixes.values()))
    if eye_raw:  # event tables per session -> kind -> 24 arrays (read_seed_iv_eye_raw)
        info["eye_raw"] = eye_raw
    return SubjectRecording(
        dataset="seed_iv",
        subject=subject,
        modalities=signals,
        labels={"emotion": np.concatenate(labels).astype(np.float64)},
        trial_ids=trial_ids,
        baseline=0.0,
        sessions=trial_sessions,
        sources=[str(Path(s).resolve()) for s in sources],
        info=info,
        missing=missing,
        precomputed=precomputed,
        precomputed_window=WINDOW if precomputed else None,
    )


def _check_root(root):
    problem = SEEDIV._root_problem(root)
    if problem is not None:
        return [problem]
    root = Path(root)
    scans = {}
    for folder in (EEG_FEATURE_FOLDER, EEG_RAW_FOLDER, EYE_FEATURE_FOLDER):
        scans[folder] = _scan_safe(root, folder)
        if isinstance(scans[folder], str):
            return [scans[folder]]
    by_source = {"features": scans[EEG_FEATURE_FOLDER], "raw": scans[EEG_RAW_FOLDER]}
    eye_files = scans[EYE_FEATURE_FOLDER]
    present = set(by_source["features"]) | set(by_source["raw"])
    if not present:
        return [f"no SEED-IV EEG file under {str(root)!r}: expected "
                f"{EEG_FEATURE_FOLDER}/{{1,2,3}}/<subject>_<YYYYMMDD>.mat or "
                f"{EEG_RAW_FOLDER}/{{1,2,3}}/<subject>_<YYYYMMDD>.mat (docs/datasets.md "
                f"section 3)"]
    problems = []
    absent = [s for s in SEEDIV.subject_ids if s not in present]
    if absent:
        problems.append(f"info: {len(absent)} of 15 subjects are absent ({', '.join(absent)}); "
                        f"{len(present)} present")
    for sub in _sorted_subjects(present):
        for source, files in by_source.items():
            if sub not in files:
                continue
            folder = EEG_FEATURE_FOLDER if source == "features" else EEG_RAW_FOLDER
            lacking = [s for s in SESSIONS if s not in files[sub]]
            if lacking:
                problems.append(f"subject {sub}: {folder} has no file for session(s) {lacking}")
            try:
                rec = _read_subject(root, sub, source=source, sfreq=SFREQ, modalities=None)
                for t in range(rec.modalities["eeg"].n_trials if "eeg" in rec.modalities
                               else 0):
                    rec.modalities["eeg"].trial(t)  # raw trials load one at a time
            except (EmopipeError, OSError) as exc:
                problems.append(f"subject {sub}: {exc}")
        sessions = set(by_source["features"].get(sub, {})) | set(by_source["raw"].get(sub, {}))
        eye_lacking = sorted(s for s in sessions if s not in eye_files.get(sub, {}))
        if eye_lacking:
            problems.append(f"subject {sub}: {EYE_FEATURE_FOLDER} has no file for session(s) "
                            f"{eye_lacking} (the eye modality will be missing)")
    return problems


def _scan_safe(root, folder):
    try:
        return _scan(root, folder)
    except DataFileError as exc:
        return str(exc)
