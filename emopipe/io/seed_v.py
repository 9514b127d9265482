"""SEED-V (16 subjects x 3 sessions x 15 trials, five emotions): the official features.

Layout (``docs/datasets.md`` section 4; manifest ``manifests/seed_v.yaml``):
``EEG_DE_features/<subject>_123.npz`` and ``Eye_movement_features/<subject>_123.npz``,
whose members ``data`` and ``label`` are byte strings (dtype ``S``) holding
pickles of dicts keyed by the ints 0-44 (0-14 session 1, 15-29 session 2,
30-44 session 3). Every member goes through the restricted unpickler
(:func:`emopipe.io.load_pickle`), never :func:`pickle.loads`.

The reader returns no signal: the features are already computed on 4-s
windows, so it hands them to the extract stage in
``SubjectRecording.precomputed`` (see :func:`read_seed_v_features`),
which passes them to the cache unchanged. The raw ``EEG_raw/*.cnt`` files are
described in the manifest but not read yet.
"""

import functools
import re
import zipfile
from pathlib import Path

import numpy as np

from ..utils._checks import _check_option, _check_type
from ..utils._errors import DataFileError
from ._dataset import Dataset
from ._manifest import load_manifest
from ._pickle import load_pickle
from ._registry import DATASETS
from ._types import PrecomputedFeature, SubjectRecording

#: values of ``source`` the reader accepts
SOURCES = ("auto", "official_features")
#: seconds per official feature segment
WINDOW = 4.0
#: trials per session and sessions
N_TRIALS, SESSIONS = 15, (1, 2, 3)
#: the five classes, by label value
EMOTIONS = ("disgust", "fear", "sad", "neutral", "happy")
#: band order of the 5 values per channel in a 310-column EEG row
BANDS = ("delta", "theta", "alpha", "beta", "gamma")
#: columns of one eye-movement row
N_EYE = 33


@functools.lru_cache(maxsize=1)
def _manifest():
    return load_manifest("seed_v")


def _channels():
    return list(_manifest()["channels"])


def session_labels(session):
    """Official class of each trial of a session (``Read me.txt``).

    Parameters
    ----------
    session : int
        1, 2 or 3.

    Returns
    -------
    labels : ndarray of int64, shape (15,)
        0 disgust, 1 fear, 2 sad, 3 neutral, 4 happy.
    """
    _check_option("session", session, SESSIONS)
    return np.asarray(_manifest()["session_labels"][session], dtype=np.int64)


def _member_dict(npz, fname, member, n_cols):
    """Unpickle one npz member (restricted) and check it is ``{0..44: (n, n_cols)}``."""
    where = f"{Path(fname).name}[{member!r}]"
    if member not in npz.files:
        raise DataFileError(f"{where}: member missing; the file holds {sorted(npz.files)}, "
                            f"expected 'data' and 'label' (SEED-V official features).")
    try:
        arr = npz[member]
    except (ValueError, OSError, zipfile.BadZipFile) as exc:  # object arrays, corrupt members
        raise DataFileError(
            f"{where}: cannot be read without unpickling it as an object array ({exc}); the "
            f"official files store the pickle as a byte string (dtype S). Re-download the "
            f"file.") from exc
    if arr.dtype.kind != "S" or arr.ndim != 0:
        raise DataFileError(
            f"{where}: expected a byte string holding a pickle (0-d array of dtype S), got "
            f"dtype {arr.dtype} with shape {arr.shape}. Re-download the file.")
    obj = load_pickle(arr.item(), name=where)
    keys = list(range(len(SESSIONS) * N_TRIALS))
    if not isinstance(obj, dict):
        raise DataFileError(f"{where}: expected a pickled dict keyed 0-44, got "
                            f"{type(obj).__name__}.")
    if sorted(obj, key=repr) != sorted(keys, key=repr):
        missing = [k for k in keys if k not in obj]
        extra = sorted((repr(k) for k in obj if k not in keys))
        raise DataFileError(
            f"{where}: expected the 45 int keys 0-44 (15 trials x 3 sessions), found "
            f"{len(obj)} keys; missing {missing}, unexpected [{', '.join(extra)}]. The file is "
            f"incomplete or not a SEED-V feature file: re-download it.")
    out = []
    for k in keys:
        v = obj[k]
        want = (2,) if n_cols else (1,)
        if not isinstance(v, np.ndarray) or v.ndim != want[0] or (n_cols and v.shape[1] != n_cols):
            shape = getattr(v, "shape", type(v).__name__)
            exp = f"(n_windows, {n_cols})" if n_cols else "(n_windows,)"
            raise DataFileError(f"{where}: key {k} holds {shape}, expected an array {exp}.")
        out.append(v)
    return out


def _read_npz(fname, n_cols):
    """``(data, label)`` lists of the 45 trials of one official feature file."""
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"SEED-V feature file {str(fname)!r} not found.")
    with open(fname, "rb") as fh:  # closed even when np.load fails
        try:
            npz = np.load(fh, allow_pickle=False)
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise DataFileError(f"{fname.name}: not a readable npz file ({exc}). "
                                f"Re-download it.") from exc
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise DataFileError(f"{fname.name}: a single .npy array, not an npz archive with "
                                f"members 'data' and 'label'. Re-download it.")
        with npz:
            return (_member_dict(npz, fname, "data", n_cols),
                    _member_dict(npz, fname, "label", 0))


def _check_labels(fname, labels):
    """Each trial's labels constant and equal to the official order; the 45 classes."""
    classes = []
    for k, lab in enumerate(labels):
        session, pos = divmod(k, N_TRIALS)
        want = int(session_labels(session + 1)[pos])
        if lab.size == 0 or not np.all(lab == want):
            found = np.unique(lab).tolist()
            raise DataFileError(
                f"{Path(fname).name}: trial key {k} (session {session + 1}, trial {pos + 1}) has "
                f"labels {found}, expected the constant {want} ({EMOTIONS[want]}) of the "
                f"official order (docs/datasets.md section 4).")
        classes.append(want)
    return np.asarray(classes, dtype=np.int64)


def read_seed_v_features(eeg_fname, eye_fname=None, *, subject=None):
    """Read one subject's official SEED-V features (EEG DE, and eye movements if given).

    Parameters
    ----------
    eeg_fname : path-like
        ``EEG_DE_features/<subject>_123.npz``.
    eye_fname : path-like | None
        ``Eye_movement_features/<subject>_123.npz``; ``None`` leaves the eye
        modality out (listed in ``missing``).
    subject : str | None
        Subject id; the part of the file name before ``_`` by default.

    Returns
    -------
    recording : SubjectRecording
        No signal modalities; ``trial_ids`` 1-45 (``dict key + 1``),
        ``sessions`` 1-3, ``labels["emotion"]`` 0-4 per trial.
        ``precomputed`` holds :class:`~emopipe.io._types.PrecomputedFeature`
        per modality (``precomputed_window`` 4.0): ``eeg/official_de`` with
        dims ``(window, channel, band)`` (62 channels x 5 bands from the
        channel-major 310 columns) and ``eye/official`` with dims ``(window,
        feature)`` (33 columns, not named: their order is not documented).
    """
    _check_type("eeg_fname", eeg_fname, ("path-like",))
    eeg_fname = Path(eeg_fname)
    subject = subject or eeg_fname.name.split("_")[0]
    data, labels = _read_npz(eeg_fname, 310)
    classes = _check_labels(eeg_fname, labels)
    n_win = [d.shape[0] for d in data]
    for k, (d, lab) in enumerate(zip(data, labels)):
        if lab.shape[0] != d.shape[0]:
            raise DataFileError(
                f"{eeg_fname.name}: trial key {k} has {d.shape[0]} data rows but "
                f"{lab.shape[0]} labels; they must match.")
    n_ch, n_b = len(_channels()), len(BANDS)
    man = _manifest()["official_features"]
    feats = {"eeg": {"official_de": PrecomputedFeature(
        [d.astype(np.float64).reshape(-1, n_ch, n_b) for d in data],
        ("window", "channel", "band"),
        {"unit": "nats (uV-based)", "ch_names": _channels(), "band_names": list(BANDS),
         "band_edges": [list(man["bands"][b]) for b in BANDS],
         "source": "official SEED-V EEG_DE_features",
         "reshape": "310 -> (62, 5), channel-major"})}}
    sources, missing = [str(eeg_fname.resolve())], {}
    if eye_fname is None:
        missing["eye"] = (f"Eye_movement_features/{subject}_123.npz not read (absent or not "
                          f"wanted)")
    else:
        eye_fname = Path(eye_fname)
        eye_data, eye_labels = _read_npz(eye_fname, N_EYE)
        for k, (d, e) in enumerate(zip(data, eye_data)):
            if d.shape[0] != e.shape[0]:
                raise DataFileError(
                    f"SEED-V subject {subject}, trial key {k}: {eye_fname.parent.name}/"
                    f"{eye_fname.name} holds {e.shape[0]} eye windows but "
                    f"{eeg_fname.parent.name}/{eeg_fname.name} holds {d.shape[0]} EEG "
                    f"windows; both modalities must share the 4-s windows.")
        _check_labels(eye_fname, eye_labels)
        feats["eye"] = {"official": PrecomputedFeature(
            [e.astype(np.float64) for e in eye_data], ("window", "feature"),
            {"unit": "mixed", "feature_names": [f"col{i:02d}" for i in range(N_EYE)],
             "source": "official SEED-V Eye_movement_features",
             "column_order": "unverified (SEED-IV's 31 + 2 pupil PSD)"})}
        sources.append(str(eye_fname.resolve()))
    trial_ids = np.arange(1, len(n_win) + 1)
    return SubjectRecording(
        dataset="seed_v", subject=subject, modalities={}, labels={"emotion": classes},
        trial_ids=trial_ids, sessions=(trial_ids - 1) // N_TRIALS + 1, sources=sources,
        info={"format": "official_features"}, missing=missing,
        precomputed=feats, precomputed_window=WINDOW)


_RAW_NAME = re.compile(r"^(\d+)_([123])_(\d{8})\.cnt$", re.IGNORECASE)


def raw_files(root, subject):
    """The raw CNT files of a subject, by session taken from the file name (not the date).

    ``EEG_raw/<subject>_<session>_<YYYYMMDD>.cnt``: the session follows the
    stimuli watched, so ``1_2_20180810.cnt`` is session 2 even though it was
    recorded after ``1_3_20180808.cnt`` (``Read me.txt``).

    Parameters
    ----------
    root : path-like
        Folder of the SEED-V download.
    subject : str
        ``"1"`` ... ``"16"``.

    Returns
    -------
    files : dict of int -> Path
        Session (1-3) -> file, in session order; empty without ``EEG_raw/``.
    """
    folder = Path(root) / "EEG_raw"
    found = {}
    for path in sorted(folder.glob("*")) if folder.is_dir() else []:
        m = _RAW_NAME.match(path.name)
        if m is None or m.group(1) != subject:
            continue
        session = int(m.group(2))
        if session in found:
            raise DataFileError(
                f"EEG_raw: subject {subject} has two session-{session} files, "
                f"{found[session].name} and {path.name}; expected one "
                f"<subject>_<session>_<YYYYMMDD>.cnt per session. Remove the copy.")
        found[session] = path
    return dict(sorted(found.items()))


def _files(root, subject):
    man = _manifest()["files"]
    return (Path(root) / man["eeg_de"].format(subject=subject),
            Path(root) / man["eye"].format(subject=subject))


def _found(root):
    folder = Path(root) / "EEG_DE_features"
    if not folder.is_dir():
        return []
    subs = [p.name.removesuffix("_123.npz") for p in folder.glob("*_123.npz")]
    return sorted((s for s in subs if s.isdigit()), key=int)


@DATASETS.register("seed_v")
class SEEDV(Dataset):
    """The SEED-V dataset laid out as the authors ship it (official features).

    The facts generic code reads (see :class:`emopipe.io._dataset.Dataset`):
    ``sfreq`` 200 Hz (the rate raw EEG is read at; the official features
    are on 4-s windows, :data:`WINDOW`), ``sources`` ``"auto"`` and
    ``"official_features"``, ``label_names`` ``emotion`` with classes 0-4
    (0 disgust, 1 fear, 2 sad, 3 neutral, 4 happy) never thresholded
    (``default_threshold`` and ``label_scale`` ``None``), sessions 1-3,
    ``default_modalities`` EEG and eye.
    """

    name = "seed_v"
    title = "SEED-V"
    sfreq = 200.0
    window = WINDOW
    default_window = WINDOW
    montage = "standard_1020"
    sources = SOURCES
    #: sources whose features come precomputed, and their fixed window (s); the
    #: extract config must use it (ExtractConfig checks)
    source_windows = {"auto": WINDOW, "official_features": WINDOW}
    label_names = ("emotion",)
    label_scale = None
    default_threshold = None
    default_modalities = ("eeg", "eye")
    protocols = ("cross_session",)
    sessions = SESSIONS
    classes = EMOTIONS

    @classmethod
    def subjects(cls, root):
        """Ids of the subjects with an ``EEG_DE_features/<subject>_123.npz``.

        Parameters
        ----------
        root : path-like
            Folder of the SEED-V download.

        Returns
        -------
        subjects : list of str
            In numeric order (``["1", "2", ..., "16"]``).
        """
        root = cls._root(root)
        return _found(root)

    @classmethod
    def read_subject(cls, root, subject, *, source="auto", sfreq=None, modalities=None,
                     verbose=None):
        """Read one subject's official features.

        Parameters
        ----------
        root : path-like
            Folder of the SEED-V download.
        subject : str
            ``"1"`` ... ``"16"``.
        source : str
            ``"auto"`` or ``"official_features"`` (the same).
        sfreq : float | None
            Unused by the official features (kept for the common signature).
        modalities : list of str | None
            ``None`` or a list holding ``"eye"`` reads the eye file too.
        verbose : bool | str | int | None
            Unused (kept for the common signature).

        Returns
        -------
        recording : SubjectRecording
            See :func:`read_seed_v_features`.
        """
        _check_type("subject", subject, (str,))
        _check_option("source", source, SOURCES)
        found = cls.subjects(root)
        if subject not in found:
            raise FileNotFoundError(
                f"SEED-V subject {subject!r} not found: no EEG_DE_features/{subject}_123.npz "
                f"under {str(root)!r}. Available subjects: {', '.join(found) or 'none'}.")
        eeg, eye = _files(root, subject)
        want_eye = modalities is None or "eye" in modalities
        return read_seed_v_features(eeg, eye if want_eye and eye.is_file() else None,
                                    subject=subject)

    @classmethod
    def check(cls, root):
        """List what is missing or malformed under ``root``.

        Parameters
        ----------
        root : path-like
            Folder of the SEED-V download.

        Returns
        -------
        problems : list of str
            One sentence per problem; ``"info: "`` entries are not fatal.
            Every subject's files are read as :meth:`read_subject` reads them.
        """
        problem = cls._root_problem(root)
        if problem is not None:
            return [problem]
        root = Path(root)
        found = _found(root)
        if not found:
            return [f"no EEG_DE_features/<subject>_123.npz under {str(root)!r}: not a SEED-V "
                    f"download (docs/datasets.md section 4)"]
        problems = []
        absent = [s for s in _manifest()["subjects"] if s not in found]
        if absent:
            problems.append(f"info: {len(absent)} of 16 subjects absent: {', '.join(absent)}")
        for s in found:
            try:
                raw = raw_files(root, s)
            except DataFileError as exc:
                problems.append(str(exc))
                raw = {}
            if raw:
                problems.append(f"info: subject {s}: raw CNT sessions "
                                f"{', '.join(f'{k}={p.name}' for k, p in raw.items())} (not "
                                f"read yet: emopipe reads the official features)")
            eeg, eye = _files(root, s)
            if not eye.is_file():
                problems.append(f"subject {s}: no Eye_movement_features/{s}_123.npz (eye "
                                f"modality missing)")
            try:
                read_seed_v_features(eeg, eye if eye.is_file() else None, subject=s)
            except (DataFileError, OSError) as exc:
                problems.append(str(exc))
        return problems
