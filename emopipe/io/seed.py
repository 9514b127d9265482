"""SEED readers (both release layouts) and the SEED dataset.

SEED (Zheng and Lu, 2015): 15 subjects x 3 sessions x 15 film clips, each
clip negative (-1), neutral (0) or positive (1), fixed by the clip (the same
``label.mat`` list for every session). Format facts are in
``docs/datasets.md`` section 2 and the manifest
``emopipe/io/manifests/seed.yaml``; the facts generic code needs are
declared on :class:`SEED`.

Two release layouts are accepted (folder and file names matched
case-insensitively); a folder holding parts of both is a
:class:`~emopipe.utils._errors.DataFileError` naming what was found:

- older release: ``Preprocessed_EEG/`` and ``ExtractedFeatures/``;
- current release: ``SEED_EEG/{Preprocessed_EEG, ExtractedFeatures_1s,
  ExtractedFeatures_4s, SEED_RAW_EEG}/`` and ``SEED_Multimodal/Chinese/``.

Each EEG folder holds ``<subject>_<YYYYMMDD>.mat`` files and ``label.mat``.
The session is the rank of the date among the subject's dates (the
manifest's dates when they match, so a missing session does not renumber
the others); trial ids are ``15 * (session - 1) + k`` (1 ... 45), never
built from the variable names.

Sources:

- ``"features"``: ``ExtractedFeatures`` (older) or ``ExtractedFeatures_1s``
  (current): 180 variables ``de_movingAve<k> ... dcau_LDS<k>``, each
  ``(rows, T, 5)`` (channel or electrode pair, window, band) on 1-s windows,
  cached as ``eeg/official_<kind>`` (``official_de_LDS``,
  ``official_psd_movingAve``, ...) with dims ``(window, channel, band)``;
  the asymmetry kinds (``dasm``, ``rasm``: 27 rows, ``asm``: 54, ``dcau``:
  23) name their rows ``pair01 ...`` (which electrodes pair up is not
  documented). The values are uV-based: emopipe's own DE from volts is
  lower by ``ln(1e-6)`` = -13.8 nats.
- ``"features_4s"``: ``ExtractedFeatures_4s`` (current release only; the
  same names on 4-s windows is an assumption the reader checks only for
  shapes).
- ``"preprocessed"``: ``Preprocessed_EEG`` (``<prefix>_eeg1 ...
  <prefix>_eeg15``, the subject-specific prefix found by the pattern
  ``_eeg(\\d+)$``, each ``(62, 200 s + 1)`` uV at 200 Hz) as an ``eeg``
  signal modality in V, from which emopipe computes its own features on the
  official 1-s windows (``T = floor(N / 200)`` per trial, the windows of
  the official features and of the eye features).
- ``"auto"``: ``"features"`` when the subject has official 1-s features,
  else ``"preprocessed"``.

The eye modality (current release): ``SEED_Multimodal/Chinese/04-Eye-
tracking-feature/eye_tracking_feature/<subject>_<session>`` (no
extension), a bare pickle of ``{'train_data_eye', 'test_data_eye'}`` read
through the restricted unpickler (:func:`emopipe.io.load_pickle`), each
``(n_windows, n_features)`` for clips 1-9 and 10-15 concatenated; it is cut
into trials with the EEG's 1-s window counts and cached as
``eye/official``. Where ``02-EEG-DE-feature/eeg_used_1s/<subject>_<session>.npz``
exists, its ``train_label``/``test_label`` per window are checked against
``label.mat`` on the same cut (:func:`read_seed_multimodal_de`), so a
misaligned cut is an error. Window counts that differ between the eye file
and the EEG are a :class:`~emopipe.utils._errors.DataFileError` naming both.
Subjects outside the multimodal set (6, 7, 15), the older release and
``"features_4s"`` have no eye modality (``missing["eye"]`` says why).

- ``"raw"`` (current release): ``SEED_RAW_EEG/<subject>_<session>.cnt``
  (Neuroscan CNT at 1000 Hz, :func:`emopipe.io._cnt.read_cnt`, which says
  whether the samples are 16- or 32-bit). ``<session>`` is the session
  number 1-3 or, where a file is named by its date, the date's session as
  above. The 62 EEG channels are picked by name (case-insensitively; the
  rest, probably ``M1, M2, HEO, VEO``, and the ``STI 014`` trigger channel
  MNE builds from the event table are left out: the doc lists no trigger
  codes, so trials come from the windows, not the triggers). Trials are cut
  by the documented windows (the manifest's ``raw.trial_start`` /
  ``trial_end``, s from the start of the file, the same for every session),
  each read lazily (:class:`emopipe.io.seed_v.CntTrial`: only one trial's
  span of one recording in memory) and resampled (polyphase) to ``sfreq``,
  200 Hz by default, so that emopipe's own features use the official 1-s
  windows (``end - start`` of them per trial). Labels: ``label.mat`` of
  ``Preprocessed_EEG`` or ``ExtractedFeatures_1s`` when present, else the
  manifest's list (``info["labels"]`` says which). The eye modality is cut
  by the raw trials' 1-s window counts as above.
"""

import functools
import logging
from collections import Counter
import re
import zipfile
from pathlib import Path

import numpy as np

from ..utils._checks import _check_option, _check_type
from ..utils._errors import ConfigError, DataFileError, EmopipeError
from ..utils._logging import verbose as _verbose
from ._dataset import Dataset, _session_trials
from ._files import _check_regular_file, _open_npz, _read_mat
from ._manifest import load_manifest
from ._pickle import _check_pickled_dict, load_pickle
from ._registry import DATASETS
from ._types import Modality, PrecomputedFeature, SubjectRecording

logger = logging.getLogger("emopipe.io.seed")

SFREQ = 200.0
WINDOW = 1.0
N_TRIALS = 15
N_TRAIN = 9  # SEED_Multimodal train = clips 1-9, test = clips 10-15
SESSIONS = (1, 2, 3)
N_CHANNELS = 62
N_BANDS = 5
SOURCES = ("auto", "features", "features_4s", "preprocessed", "raw")
#: feature kinds of ExtractedFeatures, in the order of a trial's variables
FEATURE_KEYS = ("de_movingAve", "de_LDS", "psd_movingAve", "psd_LDS", "dasm_movingAve",
                "dasm_LDS", "rasm_movingAve", "rasm_LDS", "asm_movingAve", "asm_LDS",
                "dcau_movingAve", "dcau_LDS")
#: rows of the first axis of each kind
FEATURE_ROWS = {"de": 62, "psd": 62, "dasm": 27, "rasm": 27, "asm": 54, "dcau": 23}
EYE_KEYS = ("train_data_eye", "test_data_eye")
DE_MEMBERS = ("train_data", "test_data", "train_label", "test_label")

_FILE = re.compile(r"^(\d+)_(\d{8})\.mat$", re.IGNORECASE)
_MM_FILE = re.compile(r"^(\d+)_(\d+)(\.npz)?$", re.IGNORECASE)
_RAW_FILE = re.compile(r"^(\d+)_(\d+)\.cnt$", re.IGNORECASE)
_EEG_KEY = re.compile(r"^(.+)_eeg(\d+)$")
_FEATURE_KEY = re.compile(r"^((?:de|psd|dasm|rasm|asm|dcau)_(?:movingAve|LDS))(\d+)$")


@functools.lru_cache(maxsize=1)
def _manifest():
    return load_manifest("seed")


def _rel(fname, n=2):
    """The last ``n`` parts of a path, how messages name a SEED file."""
    return "/".join(Path(fname).parts[-n:])


def _loadmat(fname):
    return _read_mat(fname, what="SEED MAT file", shown=_rel(fname))


def _keys(mat):
    """The variables of a loaded MAT file in file order (scipy keeps it)."""
    return [k for k in mat if not k.startswith("__")]


# --------------------------------------------------------------------------
# the two release layouts
# --------------------------------------------------------------------------
def _child(folder, name):
    """The entry of ``folder`` named ``name`` (case-insensitive), or ``None``."""
    if folder is None or not folder.is_dir():
        return None
    for p in sorted(folder.iterdir()):
        if p.name.lower() == name.lower():
            return p
    return None


def _path(root, rel):
    """``root / rel`` matched part by part case-insensitively, or ``None``."""
    p = Path(root)
    for part in rel.split("/"):
        p = _child(p, part)
        if p is None:
            return None
    return p


def _layout(root):
    """The folders of one release under ``root``: a dict (empty when none is found).

    Keys: ``release`` (``"old"`` | ``"new"``), ``preprocessed``,
    ``features_1s``, ``features_4s``, ``raw``, ``multimodal`` (Paths or
    ``None``). A folder holding parts of both releases is a DataFileError.
    """
    root = Path(root)
    old = [p for p in (_path(root, "Preprocessed_EEG"), _path(root, "ExtractedFeatures"),
                       _path(root, "SEED_EEG/ExtractedFeatures")) if p is not None]
    new = [p for p in (_path(root, "SEED_EEG"), _path(root, "SEED_Multimodal"),
                       _path(root, "ExtractedFeatures_1s"), _path(root, "ExtractedFeatures_4s"))
           if p is not None]
    if old and new:
        raise DataFileError(
            f"SEED root {str(root)!r} mixes the two SEED releases: found "
            f"{', '.join(repr(str(p.relative_to(root)) + '/') for p in old)} (older release: "
            f"Preprocessed_EEG/ and ExtractedFeatures/ at the top) and "
            f"{', '.join(repr(str(p.relative_to(root)) + '/') for p in new)} (current release: "
            f"SEED_EEG/ with ExtractedFeatures_1s/_4s, and SEED_Multimodal/). Keep one release "
            f"per folder (docs/datasets.md section 2)."
        )
    rel = _manifest()["releases"]["old" if old else "new"]
    if old:
        return {"release": "old", "preprocessed": _path(root, rel["preprocessed"]),
                "features_1s": _path(root, rel["features"]["1s"]), "features_4s": None,
                "raw": None, "multimodal": None}
    if new:
        return {"release": "new", "preprocessed": _path(root, rel["preprocessed"]),
                "features_1s": _path(root, rel["features"]["1s"]),
                "features_4s": _path(root, rel["features"]["4s"]),
                "raw": _path(root, rel["raw"]), "multimodal": _path(root, rel["multimodal"])}
    return {}


def _sessions(subject, dates):
    """``{date: session}``: the manifest's session of each date when all are listed, else the rank."""
    listed = _manifest()["dates"].get(subject, [])
    if all(d in listed for d in dates):
        return {d: listed.index(d) + 1 for d in dates}
    return {d: i for i, d in enumerate(sorted(dates), start=1)}


def _scan(folder):
    """``{subject: {session: path}}`` of ``<subject>_<YYYYMMDD>.mat`` in ``folder``."""
    by_date = {}
    for p in sorted(folder.iterdir()) if folder is not None and folder.is_dir() else []:
        m = _FILE.match(p.name)
        if m is None:
            continue
        sub, date = str(int(m.group(1))), m.group(2)
        if date in by_date.setdefault(sub, {}):
            raise DataFileError(
                f"{folder.name}/ holds two files of subject {sub} dated {date}: "
                f"{by_date[sub][date].name} and {p.name}. Keep one per subject and session."
            )
        by_date[sub][date] = p
    out = {}
    for sub, files in by_date.items():
        if len(files) > len(SESSIONS):
            raise DataFileError(
                f"{folder.name}/ holds {len(files)} files of subject {sub} "
                f"({', '.join(p.name for p in files.values())}); a SEED subject has "
                f"{len(SESSIONS)} sessions. Remove the extra file(s)."
            )
        ranks = _sessions(sub, list(files))
        out[sub] = dict(sorted((ranks[d], p) for d, p in files.items()))
    return out


def _scan_multimodal(folder, dates):
    """``{subject: {session: path}}`` of ``<subject>_<session>[.npz]`` in a multimodal folder.

    ``<session>`` is the session number (1-3) or the recording date (then
    its session comes from ``dates``, ``{subject: {date: session}}``).
    """
    out = {}
    for p in sorted(folder.iterdir()) if folder is not None and folder.is_dir() else []:
        m = _MM_FILE.match(p.name)
        if m is None or not p.is_file():
            continue
        sub, tag = str(int(m.group(1))), m.group(2)
        session = dates.get(sub, {}).get(tag) if len(tag) == 8 else int(tag)
        if session in SESSIONS:
            out.setdefault(sub, {})[session] = p
    return out


# --------------------------------------------------------------------------
# file readers
# --------------------------------------------------------------------------
def read_seed_label(fname):
    """Read a SEED ``label.mat``: the class of each of the 15 clips.

    Parameters
    ----------
    fname : path-like
        ``label.mat`` (key ``label``, shape (1, 15)).

    Returns
    -------
    labels : ndarray of int64, shape (15,)
        1 positive, 0 neutral, -1 negative, clip 1 first (as given, never
        re-encoded).
    """
    _check_type("fname", fname, ("path-like",))
    mat = _loadmat(fname)
    if "label" not in mat:
        raise DataFileError(
            f"{_rel(fname)}: no variable 'label'; found {_keys(mat)}. Is this SEED's "
            f"label.mat?")
    lab = np.asarray(mat["label"])
    if lab.size != N_TRIALS or lab.dtype.kind not in "fiu":
        raise DataFileError(
            f"{_rel(fname)}: variable 'label' has shape {lab.shape} and dtype {lab.dtype}, "
            f"expected (1, {N_TRIALS}) integers, one class per clip.")
    lab = lab.ravel()
    values = sorted(set(lab.tolist()))
    if not set(values) <= {-1, 0, 1}:
        hint = (" These look like SEED_stimulation.xlsx's 2/1/0 coding; label.mat codes the "
                "clips 1/0/-1." if set(values) <= {0, 1, 2} else "")
        raise DataFileError(
            f"{_rel(fname)}: variable 'label' holds the values {values}, expected the classes "
            f"-1 (negative), 0 (neutral), 1 (positive).{hint}")
    return lab.astype(np.int64)


def _group(fname, mat, pattern, what, expected):
    """``{trial: {name: array}}`` of the variables matching ``pattern``; trials 1-15 all there."""
    keys = _keys(mat)
    trials = {}
    for key in keys:
        m = pattern.match(key)
        if m is not None:
            trials.setdefault(int(m.group(2)), {})[m.group(1)] = np.asarray(mat[key])
    if not trials:
        raise DataFileError(
            f"{_rel(fname)}: no variable matches the SEED {what} names ({expected}); found "
            f"{keys}. Is this a SEED {what} file (or a SEED-IV or SEED-V file in a SEED "
            f"folder)?")
    numbers = sorted(trials)
    if numbers != list(range(1, N_TRIALS + 1)):
        absent = [k for k in range(1, N_TRIALS + 1) if k not in trials]
        extra = [k for k in numbers if not 1 <= k <= N_TRIALS]
        raise DataFileError(
            f"{_rel(fname)}: holds {len(numbers)} trials, expected {N_TRIALS} (a SEED session "
            f"has {N_TRIALS} clips, trials 1-{N_TRIALS}); absent trial(s) {absent}"
            f"{f', unexpected trial number(s) {extra}' if extra else ''}. The file is "
            f"incomplete; re-download it.")
    return trials


def read_seed_preprocessed(fname):
    """Read one ``Preprocessed_EEG/<subject>_<date>.mat`` file.

    Parameters
    ----------
    fname : path-like
        The file: 15 variables ``<prefix>_eeg1 ... <prefix>_eeg15`` (the
        prefix, the subject's initials, differs between subjects and is
        found by the pattern ``_eeg(\\d+)$``), each ``(62, n_times)`` in uV
        at 200 Hz.

    Returns
    -------
    trials : list of ndarray, shape (62, n_times_t)
        One array per trial in V, trial 1 first (by the number in the
        name, not the position in the file).
    prefix : str
        The prefix as the file names its variables.
    """
    _check_type("fname", fname, ("path-like",))
    mat = _loadmat(fname)
    trials = _group(fname, mat, _EEG_KEY, "preprocessed EEG", "<prefix>_eeg1 ... _eeg15")
    prefixes = sorted({p for tr in trials.values() for p in tr})
    if len(prefixes) != 1:
        raise DataFileError(
            f"{_rel(fname)}: the EEG variables carry {len(prefixes)} prefixes {prefixes}; a "
            f"SEED file holds one subject, named by one prefix (e.g. 'djc_eeg1'). The file "
            f"mixes subjects: re-download it.")
    prefix = prefixes[0]
    out = []
    for k in range(1, N_TRIALS + 1):
        arr = trials[k][prefix]
        if arr.ndim != 2 or arr.shape[0] != N_CHANNELS or arr.dtype.kind != "f":
            raise DataFileError(
                f"{_rel(fname)}: variable {prefix}_eeg{k} has shape {arr.shape} and dtype "
                f"{arr.dtype}, expected ({N_CHANNELS}, n_times) floating-point samples (uV at "
                f"{SFREQ:g} Hz).")
        if not np.all(np.isfinite(arr)):
            raise DataFileError(
                f"{_rel(fname)}: variable {prefix}_eeg{k} holds "
                f"{int(np.count_nonzero(~np.isfinite(arr)))} NaN or infinite samples. "
                f"Re-download the file.")
        arr = np.asarray(arr, dtype=np.float64)
        arr *= 1e-6  # in place: loadmat's own array (no second copy), uV -> V
        out.append(arr)
    return out, prefix


def read_seed_features(fname):
    """Read one ``ExtractedFeatures*/<subject>_<date>.mat`` file.

    Parameters
    ----------
    fname : path-like
        The file: 180 variables, per trial ``k`` the 12 kinds of
        :data:`FEATURE_KEYS` with the suffix ``k`` (``de_LDS1``), each
        ``(rows, T, 5)`` (channel or electrode pair, window, band).

    Returns
    -------
    features : dict of str -> list of ndarray, shape (n_windows_t, rows, 5)
        Kind (``"de_LDS"``) -> one (window, row, band) array per trial,
        trial 1 first.
    """
    _check_type("fname", fname, ("path-like",))
    mat = _loadmat(fname)
    trials = _group(fname, mat, _FEATURE_KEY, "extracted feature",
                    "de_movingAve<k>, de_LDS<k>, psd_movingAve<k>, ..., dcau_LDS<k>")
    out = {key: [] for key in FEATURE_KEYS}
    for k in range(1, N_TRIALS + 1):
        n_win = None
        for key in FEATURE_KEYS:
            if key not in trials[k]:
                raise DataFileError(
                    f"{_rel(fname)}: trial {k} has no variable {key}{k}; found "
                    f"{sorted(name + str(k) for name in trials[k])}. The file is incomplete.")
            arr = trials[k][key]
            rows = FEATURE_ROWS[key.split("_")[0]]
            if arr.ndim != 3 or arr.shape[0] != rows or arr.shape[2] != N_BANDS \
                    or arr.dtype.kind != "f":
                raise DataFileError(
                    f"{_rel(fname)}: variable {key}{k} has shape {arr.shape} and dtype "
                    f"{arr.dtype}, expected ({rows}, n_windows, {N_BANDS}) floats (channel or "
                    f"electrode pair, window, band).")
            if n_win is not None and arr.shape[1] != n_win:
                raise DataFileError(
                    f"{_rel(fname)}: trial {k} has {n_win} windows in {FEATURE_KEYS[0]}{k} but "
                    f"{arr.shape[1]} in {key}{k}; the features of a trial share its windows.")
            n_win = arr.shape[1]
            out[key].append(np.ascontiguousarray(arr.transpose(1, 0, 2), dtype=np.float64))
    return out


def _npz_member(npz, fname, member):
    """One member of a multimodal npz: a pickled dict (bytes, dtype S) or a numeric array."""
    where = f"{_rel(fname)}[{member!r}]"
    if member not in npz.files:
        raise DataFileError(
            f"{where}: member missing; the file holds {sorted(npz.files)}, expected "
            f"{list(DE_MEMBERS)} (SEED_Multimodal EEG DE features).")
    try:
        arr = npz[member]
    except (ValueError, OSError, zipfile.BadZipFile) as exc:  # object arrays, corrupt members
        raise DataFileError(
            f"{where}: cannot be read without unpickling it as an object array ({exc}); "
            f"emopipe reads pickled members only as byte strings (dtype S) through its "
            f"restricted unpickler. Re-save the member as pickle bytes or re-download the "
            f"file.") from exc
    if arr.dtype.kind == "S" and arr.ndim == 0:
        return load_pickle(arr.item(), name=where)
    return arr


def read_seed_multimodal_de(fname):
    """Read one ``SEED_Multimodal/.../eeg_used_1s/<subject>_<session>.npz`` file.

    Parameters
    ----------
    fname : path-like
        The npz: members ``train_data``, ``test_data`` (pickled dicts keyed
        ``delta ... gamma``, each ``(n_windows, 62)``; held as pickle bytes
        read by the restricted unpickler) and ``train_label``,
        ``test_label`` (int arrays, one class per window). Train holds clips
        1-9, test clips 10-15.

    Returns
    -------
    de : ndarray, shape (n_windows, 62, 5)
        Train windows then test windows, (window, channel, band).
    labels : ndarray of int64, shape (n_windows,)
        The class of each window.
    n_train : int
        Windows of clips 1-9 (the first ``n_train`` rows).
    """
    _check_type("fname", fname, ("path-like",))
    fname = Path(fname)
    _check_regular_file(fname, what="SEED_Multimodal npz file")
    bands = list(_manifest()["multimodal_de"]["bands"])
    with _open_npz(fname, shown=_rel(fname), members=list(DE_MEMBERS)) as npz:
        parts, labels = [], []
        for part in ("train", "test"):
            where = f"{_rel(fname)}[{part + '_data'!r}]"
            d = _check_pickled_dict(_npz_member(npz, fname, f"{part}_data"), where, bands)
            shapes = {b: d[b].shape for b in bands}
            n = d[bands[0]].shape[0] if d[bands[0]].ndim == 2 else -1
            if any(s != (n, N_CHANNELS) for s in shapes.values()):
                raise DataFileError(
                    f"{where}: band arrays have shapes {shapes}, expected (n_windows, "
                    f"{N_CHANNELS}) each, the same n_windows for every band.")
            lab = np.asarray(_npz_member(npz, fname, f"{part}_label"))
            if lab.dtype.kind not in "fiu" or lab.size != n:
                raise DataFileError(
                    f"{_rel(fname)}[{part + '_label'!r}]: shape {lab.shape}, dtype "
                    f"{lab.dtype}, expected {n} integer labels (one per {part} window).")
            parts.append(np.stack([d[b] for b in bands], axis=-1).astype(np.float64))
            labels.append(lab.ravel().astype(np.int64))
    return np.concatenate(parts), np.concatenate(labels), parts[0].shape[0]


def read_seed_multimodal_eye(fname):
    """Read one ``eye_tracking_feature/<subject>_<session>`` file (a bare pickle, no extension).

    Parameters
    ----------
    fname : path-like
        The pickle of a dict ``{'train_data_eye', 'test_data_eye'}``, read
        by the restricted unpickler (:func:`emopipe.io.load_pickle`).

    Returns
    -------
    eye : ndarray, shape (n_windows, n_features)
        Train windows (clips 1-9) then test windows (clips 10-15).
    n_train : int
        Windows of clips 1-9 (the first ``n_train`` rows).
    """
    _check_type("fname", fname, ("path-like",))
    name = _rel(fname)
    obj = _check_pickled_dict(load_pickle(fname, name=name), name, EYE_KEYS,
                              hint="Is this a SEED_Multimodal eye_tracking_feature file?")
    parts = [obj[k] for k in EYE_KEYS]
    if any(p.ndim != 2 or p.dtype.kind not in "fiu" for p in parts) \
            or parts[0].shape[1] != parts[1].shape[1]:
        raise DataFileError(
            f"{name}: {EYE_KEYS[0]} has shape {parts[0].shape} ({parts[0].dtype}) and "
            f"{EYE_KEYS[1]} {parts[1].shape} ({parts[1].dtype}), expected numeric "
            f"(n_windows, n_features) arrays of the same width.")
    return np.concatenate(parts).astype(np.float64), parts[0].shape[0]


def _cut(rows, n_train, counts, *, what, eeg_what, subject, session, kind="eye"):
    """Cut the train/test rows of a multimodal file into trials by the EEG's window counts."""
    want_train, want_test = sum(counts[:N_TRAIN]), sum(counts[N_TRAIN:])
    if (n_train, len(rows) - n_train) != (want_train, want_test):
        raise DataFileError(
            f"SEED subject {subject} session {session}: {what} holds {len(rows)} windows "
            f"({n_train} for clips 1-{N_TRAIN}, {len(rows) - n_train} for clips "
            f"{N_TRAIN + 1}-{N_TRIALS}) but {eeg_what} holds {want_train + want_test} 1-s "
            f"windows ({want_train} + {want_test}); the {kind} features and the EEG of a trial "
            f"share its windows. The files are inconsistent (or the {kind} features are not "
            f"on 1-s windows): re-download them.")
    edges = np.cumsum([0] + list(counts))
    return [rows[a:b] for a, b in zip(edges[:-1], edges[1:])]


# --------------------------------------------------------------------------
# raw CNT recordings (current release)
# --------------------------------------------------------------------------
def _scan_raw(folder, dates):
    """``{subject: {session: path}}`` of ``<subject>_<session>.cnt`` in ``SEED_RAW_EEG/``.

    ``<session>`` is 1-3, or a date whose session ``dates`` (``{subject:
    {date: session}}``) or the manifest's dates give.
    """
    out = {}
    for p in sorted(folder.iterdir()) if folder is not None and folder.is_dir() else []:
        m = _RAW_FILE.match(p.name)
        if m is None:
            continue
        sub, tag = str(int(m.group(1))), m.group(2)
        listed = _manifest()["dates"].get(sub, [])
        if len(tag) == 8:
            session = dates.get(sub, {}).get(tag) or (listed.index(tag) + 1 if tag in listed
                                                      else None)
        else:
            session = int(tag)
        if session not in SESSIONS:
            raise DataFileError(
                f"{folder.name}/{p.name}: {tag!r} names no session of subject {sub}; expected "
                f"<subject>_<session>.cnt with session 1, 2 or 3 (or a recording date of the "
                f"subject: {', '.join(listed) or 'none known'}). Rename the file.")
        if session in out.setdefault(sub, {}):
            raise DataFileError(
                f"{folder.name}/ holds two session-{session} recordings of subject {sub}: "
                f"{out[sub][session].name} and {p.name}. Keep one per subject and session.")
        out[sub][session] = p
    return {sub: dict(sorted(files.items())) for sub, files in out.items()}


def raw_trial_windows():
    """The documented trial windows of every ``SEED_RAW_EEG`` recording.

    Returns
    -------
    windows : ndarray of float64, shape (15, 2)
        ``(start, end)`` in s from the start of the file, trial 1 first; the
        same for every session (``docs/datasets.md`` section 2).
    """
    raw = _manifest()["raw"]
    return np.column_stack([raw["trial_start"], raw["trial_end"]]).astype(np.float64)


def _raw_picks(fname, ch_names):
    """File names of the 62 EEG channels in SEED's order, matched case-insensitively."""
    by_upper = {c.upper(): c for c in ch_names}
    want = list(_manifest()["channels"])
    missing = [c for c in want if c.upper() not in by_upper]
    if missing:
        raise DataFileError(
            f"{_rel(fname)}: the recording lacks {len(missing)} of the 62 SEED EEG channels "
            f"({', '.join(missing[:8])}{', ...' if len(missing) > 8 else ''}); it has "
            f"{len(ch_names)} channels ({', '.join(ch_names[:8])}"
            f"{', ...' if len(ch_names) > 8 else ''}). Is this a SEED recording?")
    return [by_upper[c.upper()] for c in want]


def read_seed_raw(fname, *, sfreq=SFREQ):
    """Open one ``SEED_RAW_EEG/<subject>_<session>.cnt`` and cut its 15 trials, unread.

    Parameters
    ----------
    fname : path-like
        The Neuroscan CNT recording (the header only is read here).
    sfreq : float
        Rate in Hz the trials are returned at (polyphase resampling from
        the file's, 1000 Hz in the real download).

    Returns
    -------
    trials : list of CntTrial, shape (62, n_times_t)
        Trial 1 first; each reads its span of the 62 EEG channels (V, SEED's
        channel order) when converted with :func:`numpy.asarray`.
    data_format : str
        ``"int16"`` or ``"int32"``, the sample format that read the file.
    """
    from ._cnt import read_cnt
    from .seed_v import CntTrial

    _check_type("fname", fname, ("path-like",))
    fname = Path(fname)
    raw, fmt = read_cnt(fname)
    file_sfreq = float(raw.info["sfreq"])
    n_sec = raw.n_times / file_sfreq
    picks = _raw_picks(fname, raw.ch_names)
    win = raw_trial_windows()
    late = np.flatnonzero(win[:, 1] > n_sec + 1e-9)
    if late.size:
        k = int(late[0]) + 1
        raise DataFileError(
            f"{_rel(fname)}: trial {k} ends at {win[k - 1, 1]:g} s (the documented SEED trial "
            f"windows, docs/datasets.md section 2), after the end of the recording "
            f"({n_sec:g} s: {raw.n_times} samples at {file_sfreq:g} Hz). The file is truncated "
            f"or not a SEED raw recording; re-download it.")
    del raw
    return [CntTrial(fname, fmt, picks, a, b, file_sfreq, sfreq) for a, b in win], fmt


def _raw_labels(layout):
    """``(labels, label.mat path or None)``: a sibling folder's label.mat, else the manifest's."""
    for key in ("preprocessed", "features_1s"):
        folder = layout.get(key)
        if folder is not None and _child(folder, "label.mat") is not None:
            return _labels(folder)
    return np.asarray(_manifest()["labels"], dtype=np.int64), None


def _raw_dates(layout):
    """``{subject: {date: session}}`` from the .mat files beside the raw folder."""
    out = {}
    for key in ("preprocessed", "features_1s", "features_4s"):
        for sub, files in _scan(layout.get(key)).items():
            out.setdefault(sub, {}).update({_FILE.match(p.name).group(2): ses
                                            for ses, p in files.items()})
    return out


def _read_raw(root, layout, subject, *, sfreq, modalities):
    """The ``"raw"`` source of :func:`_read_subject`."""
    if layout["release"] != "new":
        raise ConfigError(
            f"source 'raw' reads SEED_EEG/SEED_RAW_EEG/*.cnt of the current SEED release, but "
            f"{str(root)!r} holds the older release (Preprocessed_EEG/ and ExtractedFeatures/, "
            f"no raw files). Use source 'preprocessed' or 'features'.")
    files = _scan_raw(layout["raw"], _raw_dates(layout))
    if subject not in files:
        raise FileNotFoundError(
            f"SEED subject {subject!r} not found under {str(root)!r}: no SEED_EEG/SEED_RAW_EEG/"
            f"{subject}_<session>.cnt (source 'raw'). Subjects with raw files: "
            f"{', '.join(repr(s) for s in sorted(files, key=int)) or 'none'}.")
    clip_labels, label_file = _raw_labels(layout)
    sessions = sorted(files[subject])
    eye_files, npz_files, why = _eye_for(layout, subject, modalities is None
                                         or "eye" in modalities, "raw", sessions)
    missing = {"eye": why} if why else {}
    win = raw_trial_windows()
    counts = [int((b - a) // WINDOW) for a, b in win]
    trials, eye, formats = [], [], {}
    sources = [label_file] if label_file is not None else []
    for session in sessions:
        fname = files[subject][session]
        got, formats[fname.name] = read_seed_raw(fname, sfreq=sfreq)
        trials.extend(got)
        sources.append(fname)
        eeg_what = f"{_rel(fname)} (the documented trial windows)"
        if eye_files:
            eye_trials, read = _session_eye(eye_files, npz_files, session, counts, clip_labels,
                                            subject=subject, eeg_what=eeg_what)
            eye.extend(eye_trials)
            sources.extend(read)
    trial_ids, trial_sessions = _session_trials(sessions, N_TRIALS)
    precomputed = {"eye": {"official": _eye_feature(eye)}} if eye else {}
    logger.info("SEED subject %s (raw CNT): sessions %s, sample formats %s", subject, sessions,
                sorted(set(formats.values())))
    return SubjectRecording(
        dataset="seed",
        subject=subject,
        modalities={"eeg": Modality(data=trials, sfreq=float(sfreq),
                                    ch_names=list(_manifest()["channels"]), unit="V",
                                    source_unit="V (CNT counts x calibration)")},
        labels={"emotion": np.tile(clip_labels, len(sessions)).astype(np.float64)},
        trial_ids=trial_ids,
        baseline=0.0,
        sessions=trial_sessions,
        sources=[str(Path(s).resolve()) for s in sources],
        info={"format": "raw", "release": "new", "source": "raw", "sessions": sessions,
              "data_format": formats, "trial_windows": "manifest (docs/datasets.md section 2)",
              "labels": "label.mat" if label_file is not None else "manifest"},
        missing=missing,
        precomputed=precomputed,
        precomputed_window=WINDOW if precomputed else None,
    )


def _eye_feature(eye):
    """The eye rows of some trials (SEED_Multimodal) as a precomputed feature."""
    width = eye[0].shape[1]
    return PrecomputedFeature(
        eye, ("window", "feature"),
        {"unit": "mixed", "feature_names": [f"col{i:02d}" for i in range(width)],
         "source": "SEED_Multimodal eye_tracking_feature train_data_eye + test_data_eye, "
                   "cut into trials by the EEG's 1-s window counts",
         "column_order": "unverified"})


# --------------------------------------------------------------------------
# the dataset
# --------------------------------------------------------------------------
def _eeg_folder(layout, source):
    return {"features": layout.get("features_1s"), "features_4s": layout.get("features_4s"),
            "preprocessed": layout.get("preprocessed"), "raw": layout.get("raw")}[source]


@DATASETS.register("seed")
class SEED(Dataset):
    """The SEED dataset laid out as the authors ship it, in either release.

    See the module docstring for the layouts, sources and eye modality. The
    facts generic code reads (see :class:`emopipe.io._dataset.Dataset`):
    ``sfreq`` 200 Hz (Preprocessed_EEG), ``sources`` ``"auto"``,
    ``"features"`` (official 1-s features), ``"features_4s"`` and
    ``"preprocessed"`` and ``"raw"`` (SEED_RAW_EEG CNT, read lazily), ``label_names``
    ``("emotion",)`` with the classes
    -1, 0, 1 never thresholded (``label_scale``, ``default_threshold``
    ``None``), ``default_modalities`` EEG and eye, ``default_window`` 1 s
    (the official windowing).
    """

    name = "seed"
    title = "SEED"
    sfreq = SFREQ
    sources = SOURCES
    source_windows = {"features": WINDOW, "features_4s": 4.0}
    label_names = ("emotion",)
    label_scale = None
    default_threshold = None
    default_modalities = ("eeg", "eye")
    protocols = ("cross_session",)
    default_window = WINDOW
    #: each raw trial is read only when the extract stage asks for it
    lazy_sources = ("raw",)
    subject_ids = tuple(str(s) for s in range(1, 16))
    session_ids = SESSIONS

    @classmethod
    def subjects(cls, root):
        """Sorted ids (``"1"`` ... ``"15"``) of the subjects with a .mat or a raw file.

        Parameters
        ----------
        root : path-like
            Folder of the SEED download (holding ``Preprocessed_EEG/`` or
            ``SEED_EEG/``).

        Returns
        -------
        subjects : list of str
            Numeric order; empty when no file is found.
        """
        root = cls._root(root)
        layout = _layout(root)
        found = set()
        for key in ("preprocessed", "features_1s", "features_4s"):
            found |= set(_scan(layout.get(key)))
        if layout.get("raw") is not None:
            found |= set(_scan_raw(layout["raw"], _raw_dates(layout)))
        return sorted(found, key=int)

    @classmethod
    def read_subject(cls, root, subject, *, source="auto", sfreq=SFREQ, modalities=None,
                     verbose=None):
        """Read one subject, every session present.

        Parameters
        ----------
        root : path-like
            Folder of the SEED download.
        subject : str
            Subject id, ``"1"`` ... ``"15"``.
        source : str
            ``"features"``, ``"features_4s"``, ``"preprocessed"``, ``"raw"``
            or ``"auto"`` (see the module docstring).
        sfreq : float
            200 (the rate of Preprocessed_EEG), or with ``source="raw"`` the
            rate the CNT trials are resampled to (``None``: 200).
        modalities : list of str | None
            Modalities wanted (``"eeg"``, ``"eye"``); ``None`` means both.
        verbose : bool | str | int | None
            Log level for this call.

        Returns
        -------
        recording : SubjectRecording
            With a feature source, ``precomputed["eeg"]`` the 12 official
            features; with ``"preprocessed"``, ``modalities["eeg"]`` (62
            channels, V, 200 Hz, one array per trial); with ``"raw"`` the
            same from the CNT files, one lazy trial each
            (``info["data_format"]`` the sample format per file). ``precomputed["eye"]
            ["official"]`` where the current release has the subject's eye
            features (else ``missing["eye"]``), ``labels["emotion"]`` -1/0/1
            per trial, ``sessions`` the date ranks, ``trial_ids``
            ``15 * (session - 1) + k``.
        """
        return _read_subject(root, subject, source=source, sfreq=sfreq, modalities=modalities,
                             verbose=verbose)

    @classmethod
    def check(cls, root):
        """List what is missing or malformed under ``root``.

        Parameters
        ----------
        root : path-like
            Folder of the SEED download.

        Returns
        -------
        problems : list of str
            One sentence per problem; entries starting with ``"info: "`` are
            not fatal. Every subject is read as ``extract`` reads it.
        """
        return _check_root(root)


def _labels(folder):
    fname = _child(folder, "label.mat")
    if fname is None:
        raise DataFileError(
            f"{folder.name}/ has no label.mat (key 'label', the 15 clips' classes 1/0/-1); "
            f"it ships with every SEED EEG folder: re-download it.")
    return read_seed_label(fname), fname


def _eye_for(layout, subject, want_eye, source, sessions):
    """``(files {session: path}, npz {session: path}, why missing or None)``.

    No files (and the reason) unless every one of ``sessions`` has its eye file.
    """
    if not want_eye:
        return {}, {}, None
    if layout["release"] == "old":
        return {}, {}, ("the older SEED release has no eye data (SEED_Multimodal ships with the "
                        "current release)")
    if source == "features_4s":
        return {}, {}, ("the eye features are on 1-s windows, source 'features_4s' on 4-s "
                        "windows")
    rel = _manifest()["releases"]["new"]
    mm = layout["multimodal"]
    dates = _raw_dates(layout) if source == "raw" else {
        s: {Path(p).stem.split("_")[1]: ses for ses, p in f.items()}
        for s, f in _scan(_eeg_folder(layout, source)).items()}
    eye = _scan_multimodal(_path(mm, rel["multimodal_eye"]) if mm else None, dates)
    npz = _scan_multimodal(_path(mm, rel["multimodal_de"]["1s"]) if mm else None, dates)
    if subject not in eye:
        return {}, {}, (f"SEED_Multimodal has no eye_tracking_feature file of subject "
                        f"{subject} (it covers subjects "
                        f"{', '.join(_manifest()['multimodal_subjects'])})")
    if any(s not in eye[subject] for s in sessions):
        return {}, {}, (f"SEED_Multimodal has no eye_tracking_feature file of subject "
                        f"{subject} for session(s) "
                        f"{[s for s in sessions if s not in eye[subject]]}")
    return eye[subject], npz.get(subject, {}), None


def _session_eye(eye_files, npz_files, session, counts, clip_labels, *, subject, eeg_what):
    """One session's eye-feature trials cut to the EEG trials' windows, and the files read."""
    efile = eye_files[session]
    rows, n_train = read_seed_multimodal_eye(efile)
    eye = _cut(rows, n_train, counts, what=_rel(efile), eeg_what=eeg_what, subject=subject,
               session=session)
    read = [efile]
    if session in npz_files:
        _check_npz_labels(npz_files[session], counts, clip_labels, subject, session, eeg_what)
        read.append(npz_files[session])
    return eye, read


@_verbose
def _read_subject(root, subject, *, source, sfreq, modalities, verbose=None):
    _check_type("root", root, ("path-like",))
    _check_type("subject", subject, (str,))
    _check_option("source", source, SOURCES)
    if source != "raw" and sfreq is not None and float(sfreq) != SFREQ:
        raise ConfigError(
            f"sfreq = {sfreq!r} Hz is not available from SEED: its preprocessed EEG is at "
            f"{SFREQ:g} Hz and its features per 1-s window. Use sfreq={SFREQ:g}, or source "
            f"'raw' (the SEED_RAW_EEG recordings, resampled to the rate asked).")
    root = SEED._root(root)
    layout = _layout(root)
    if not layout:
        raise FileNotFoundError(
            f"No SEED download under {str(root)!r}: expected Preprocessed_EEG/ and "
            f"ExtractedFeatures/ (older release) or SEED_EEG/ (current release)."
            f"{_parent_hint(root)}")
    if source == "raw":
        return _read_raw(root, layout, subject, sfreq=SFREQ if sfreq is None else float(sfreq),
                         modalities=modalities)
    if source == "auto":
        source = "features" if subject in _scan(layout["features_1s"]) else "preprocessed"
    folder = _eeg_folder(layout, source)
    files = _scan(folder)
    if subject not in files:
        where = folder.name if folder is not None else {
            "features": "ExtractedFeatures", "features_4s": "ExtractedFeatures_4s",
            "preprocessed": "Preprocessed_EEG"}[source]
        raise FileNotFoundError(
            f"SEED subject {subject!r} not found under {str(root)!r}: no {where}/{subject}_"
            f"<YYYYMMDD>.mat (source {source!r}, {layout['release']} release). Subjects with "
            f"such files: {', '.join(repr(s) for s in sorted(files, key=int)) or 'none'}.")
    clip_labels, label_file = _labels(folder)
    sessions = sorted(files[subject])
    eye_files, npz_files, why = _eye_for(layout, subject, modalities is None
                                         or "eye" in modalities, source, sessions)
    missing = {"eye": why} if why else {}
    feats = {key: [] for key in FEATURE_KEYS}
    raw, eye, prefixes = [], [], {}
    sources = [label_file]
    step = 4.0 if source == "features_4s" else WINDOW
    for session in sessions:
        fname = files[subject][session]
        sources.append(fname)
        if source == "preprocessed":
            trials, prefixes[session] = read_seed_preprocessed(fname)
            raw.extend(trials)
            counts = [int(t.shape[1] // int(WINDOW * SFREQ)) for t in trials]
            eeg_what = f"{folder.name}/{fname.name} ({prefixes[session]}_eeg<k>)"
        else:
            got = read_seed_features(fname)
            for key in FEATURE_KEYS:
                feats[key].extend(got[key])
            counts = [len(t) for t in got["de_LDS"]]
            eeg_what = f"{folder.name}/{fname.name} (de_LDS<k>)"
        if eye_files:
            eye_trials, read = _session_eye(eye_files, npz_files, session, counts, clip_labels,
                                            subject=subject, eeg_what=eeg_what)
            eye.extend(eye_trials)
            sources.extend(read)
    trial_ids, trial_sessions = _session_trials(sessions, N_TRIALS)
    man = _manifest()
    ch_names = list(man["channels"])
    bands = list(man["extracted_features"]["bands"])
    precomputed, signals = {}, {}
    if source == "preprocessed":
        signals["eeg"] = Modality(data=raw, sfreq=SFREQ, ch_names=ch_names, unit="V",
                                  source_unit="uV")
    else:
        precomputed["eeg"] = {}
        for key in FEATURE_KEYS:
            kind = key.split("_")[0]
            rows = FEATURE_ROWS[kind]
            attrs = {"unit": "uV-based (log power)" if kind in ("de", "dasm", "rasm", "asm",
                                                                 "dcau") else "uV^2",
                     "ch_names": ch_names if rows == N_CHANNELS else
                     [f"pair{i:02d}" for i in range(1, rows + 1)],
                     "band_names": bands,
                     "band_edges": np.asarray(man["extracted_features"]["band_edges"], float),
                     "source": f"{folder.name} {key}<k> (row, window, band), transposed"}
            if rows != N_CHANNELS:
                attrs["pairs"] = "electrode pairs of the official asymmetry feature (undocumented)"
            precomputed["eeg"][f"official_{key}"] = PrecomputedFeature(
                feats[key], ("window", "channel", "band"), attrs)
    if eye:
        precomputed["eye"] = {"official": _eye_feature(eye)}
    logger.info("SEED subject %s (%s, %s release): sessions %s, %d trials", subject, source,
                layout["release"], sessions, N_TRIALS * len(sessions))
    info = {"format": source, "release": layout["release"], "source": source,
            "sessions": sessions,
            "dates": {s: _FILE.match(files[subject][s].name).group(2) for s in sessions}}
    if prefixes:
        info["prefix"] = sorted(set(prefixes.values()))
    return SubjectRecording(
        dataset="seed",
        subject=subject,
        modalities=signals,
        labels={"emotion": np.tile(clip_labels, len(sessions)).astype(np.float64)},
        trial_ids=trial_ids,
        baseline=0.0,
        sessions=trial_sessions,
        sources=[str(Path(s).resolve()) for s in sources],
        info=info,
        missing=missing,
        precomputed=precomputed,
        precomputed_window=step if precomputed else None,
    )


def _check_npz_labels(fname, counts, clip_labels, subject, session, eeg_what):
    """The multimodal DE file's per-window labels must be label.mat's on the EEG's cut."""
    _, labels, n_train = read_seed_multimodal_de(fname)
    cut = _cut(labels, n_train, counts, what=_rel(fname), eeg_what=eeg_what, subject=subject,
               session=session, kind="eeg_used_1s")
    for k, (got, n) in enumerate(zip(cut, counts), start=1):
        if not np.all(got == clip_labels[k - 1]):
            raise DataFileError(
                f"SEED subject {subject} session {session}: {_rel(fname)} labels the windows "
                f"of clip {k} {sorted(set(got.tolist()))}, but label.mat gives clip {k} the "
                f"class {int(clip_labels[k - 1])}; the multimodal files do not line up with "
                f"the EEG's windows. Re-download them.")


def _parent_hint(root):
    """A sentence pointing at ``root/SEED`` when the user gave the folder above it."""
    child = _child(Path(root), "SEED")
    if child is None or not _layout(child):
        return ""
    return f" {str(child)!r} holds a SEED download: pass that folder as the root."


def _check_root(root):
    problem = SEED._root_problem(root)
    if problem is not None:
        return [problem]
    root = Path(root)
    try:
        layout = _layout(root)
        scans = {k: _scan(layout.get(k)) for k in ("preprocessed", "features_1s",
                                                    "features_4s")} if layout else {}
    except DataFileError as exc:
        return [str(exc)]
    present = set().union(*scans.values()) if scans else set()
    try:
        present |= set(_scan_raw(layout.get("raw"), _raw_dates(layout))) if layout else set()
    except DataFileError:
        pass  # reported by _check_raw
    if not present:
        return [f"no SEED EEG file under {str(root)!r}: expected Preprocessed_EEG/ and "
                f"ExtractedFeatures/ (older release) or SEED_EEG/{{Preprocessed_EEG, "
                f"ExtractedFeatures_1s, ExtractedFeatures_4s}}/ (current release) holding "
                f"<subject>_<YYYYMMDD>.mat and label.mat (docs/datasets.md section 2)."
                f"{_parent_hint(root)}"]
    problems = [f"info: {layout['release']} release"]
    absent = [s for s in SEED.subject_ids if s not in present]
    if absent:
        problems.append(f"info: {len(absent)} of 15 subjects are absent ({', '.join(absent)}); "
                        f"{len(present)} present")
    sources = {"preprocessed": "preprocessed", "features_1s": "features",
               "features_4s": "features_4s"}
    for sub in sorted(present, key=int):
        for key, source in sources.items():
            if sub not in scans[key]:
                continue
            lacking = [s for s in SESSIONS if s not in scans[key][sub]]
            if lacking:
                problems.append(f"subject {sub}: {layout[key].name} has no file for "
                                f"session(s) {lacking}")
            try:
                rec = _read_subject(root, sub, source=source, sfreq=SFREQ, modalities=None)
            except (EmopipeError, OSError) as exc:
                problems.append(f"subject {sub}: {exc}")
                continue
            if "eye" in rec.missing and source == "features" and layout["release"] == "new":
                problems.append(f"info: subject {sub}: eye modality missing: "
                                f"{rec.missing['eye']}")
    problems.extend(_check_raw(root, layout))
    return problems


def _check_raw(root, layout):
    """The check lines of ``SEED_RAW_EEG/``: each recording opened, its sample format said."""
    folder = layout.get("raw")
    if folder is None:
        return []
    try:
        files = _scan_raw(folder, _raw_dates(layout))
    except DataFileError as exc:
        return [str(exc)]
    lines, formats = [], {}
    for sub in sorted(files, key=int):
        lacking = [s for s in SESSIONS if s not in files[sub]]
        if lacking:
            lines.append(f"subject {sub}: {folder.name} has no recording for session(s) "
                         f"{lacking}")
        try:
            rec = _read_raw(root, layout, sub, sfreq=SFREQ, modalities=None)
        except (EmopipeError, OSError) as exc:
            lines.append(f"subject {sub}: {exc}")
            continue
        formats.update(rec.info["data_format"])
        lines.append(f"info: subject {sub}: raw CNT sessions "
                     f"{', '.join(f'{k}={p.name}' for k, p in files[sub].items())} (read as "
                     f"{', '.join(sorted(set(rec.info['data_format'].values())))})")
    n = sum(len(f) for f in files.values())
    if n:
        counts = Counter(formats.values())
        lines.insert(0, f"info: {folder.name}/ holds {n} raw .cnt file(s); {len(formats)} read "
                        f"({', '.join(f'{k}: {v}' for k, v in sorted(counts.items())) or 'none'})"
                        f", trials cut by the documented windows")
    return lines
