"""SEED-V (16 subjects x 3 sessions x 15 trials, five emotions): the official features.

Layout (``docs/datasets.md`` section 4; manifest ``manifests/seed_v.yaml``):
``EEG_DE_features/<subject>_123.npz`` and ``Eye_movement_features/<subject>_123.npz``,
whose members ``data`` and ``label`` are byte strings (dtype ``S``) holding
pickles of dicts keyed by the ints 0-44 (0-14 session 1, 15-29 session 2,
30-44 session 3). Every member goes through the restricted unpickler
(:func:`emopipe.io.load_pickle`), never :func:`pickle.loads`.

The official-feature reader returns no signal: the features are already
computed on 4-s windows, so it hands them to the extract stage in
``SubjectRecording.precomputed`` (see :func:`read_seed_v_features`), which
passes them to the cache unchanged.

``source="raw"`` reads ``EEG_raw/<subject>_<session>_<YYYYMMDD>.cnt``
(Neuroscan CNT, :func:`emopipe.io._cnt.read_cnt`) instead, the session taken
from the file name, never the date, and cuts the per-session trial windows of
``trial_start_end_timestamp.txt`` (the manifest's copy of them when the file
is absent). Each trial is read lazily (:class:`CntTrial`): only its span of one
recording is in memory, at the rate asked (200 Hz by default, polyphase
resampling from the file's 1000 Hz). The eye modality stays the official
4-s eye features, whose window counts the EEG's complete 4-s windows must
match trial by trial.
"""

import functools
import logging
import re
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..utils._checks import _check_option, _check_type
from ..utils._errors import DataFileError
from ._cnt import read_cnt, read_cnt_segment
from ._dataset import Dataset, _session_trials
from ._files import _open_npz
from ._manifest import load_manifest
from ._pickle import load_pickle
from ._registry import DATASETS
from ._types import Modality, PrecomputedFeature, SubjectRecording

logger = logging.getLogger("emopipe.io.seed_v")

#: values of ``source`` the reader accepts
SOURCES = ("auto", "official_features", "raw")
#: the file of the per-session trial windows, at the root of the download
TIMESTAMP_FILE = "trial_start_end_timestamp.txt"
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
    with _open_npz(fname, shown=fname.name, members="'data' and 'label'") as npz:
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
        feats["eye"] = {"official": _eye_feature(eye_data)}
        sources.append(str(eye_fname.resolve()))
    trial_ids = np.arange(1, len(n_win) + 1)
    return SubjectRecording(
        dataset="seed_v", subject=subject, modalities={}, labels={"emotion": classes},
        trial_ids=trial_ids, sessions=(trial_ids - 1) // N_TRIALS + 1, sources=sources,
        info={"format": "official_features"}, missing=missing,
        precomputed=feats, precomputed_window=WINDOW)


def _eye_feature(eye_data):
    """The official eye features of some trials as a precomputed feature."""
    return PrecomputedFeature(
        [e.astype(np.float64) for e in eye_data], ("window", "feature"),
        {"unit": "mixed", "feature_names": [f"col{i:02d}" for i in range(N_EYE)],
         "source": "official SEED-V Eye_movement_features",
         "column_order": "unverified (SEED-IV's 31 + 2 pupil PSD)"})


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


_TS_SESSION = re.compile(r"^\s*session\s*(\d+)\s*:?\s*$", re.IGNORECASE)
_TS_LIST = re.compile(r"^\s*(start|end)_second\s*:\s*\[([^\]]*)\]\s*$", re.IGNORECASE)


def read_trial_windows(fname):
    """Per-session trial windows of ``trial_start_end_timestamp.txt``.

    The file holds, per session, a line ``Session N:`` and then the lines
    ``start_second: [30, 132, ...]`` and ``end_second: [102, 228, ...]``
    (seconds from the start of the recording).

    Parameters
    ----------
    fname : path-like
        The file.

    Returns
    -------
    windows : dict of int -> ndarray, shape (15, 2)
        Session -> ``(start, end)`` in s of each trial, trial 1 first.
    """
    fname = Path(fname)
    found, session = {}, None
    text = fname.read_text(encoding="utf-8", errors="replace")
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        m = _TS_SESSION.match(line)
        if m is not None:
            session = int(m.group(1))
            found.setdefault(session, {})
            continue
        m = _TS_LIST.match(line)
        if m is None or session is None:
            raise DataFileError(
                f"{fname.name}, line {n}: {line.strip()[:60]!r} is neither 'Session N:' nor "
                f"'start_second: [...]' / 'end_second: [...]' after one (docs/datasets.md "
                f"section 4). Re-download the file.")
        try:
            values = [float(v) for v in m.group(2).replace(",", " ").split()]
        except ValueError:
            raise DataFileError(f"{fname.name}, line {n}: {m.group(2)[:60]!r} is not a list "
                                f"of seconds.") from None
        found[session][m.group(1).lower()] = values
    out = {}
    for sess in SESSIONS:
        got = found.get(sess, {})
        start, end = got.get("start", []), got.get("end", [])
        if len(start) != N_TRIALS or len(end) != N_TRIALS:
            raise DataFileError(
                f"{fname.name}: session {sess} has {len(start)} start and {len(end)} end "
                f"seconds, expected {N_TRIALS} of each (one per trial). Re-download the file.")
        win = np.column_stack([start, end])
        if np.any(win[:, 1] <= win[:, 0]) or np.any(win[1:, 0] < win[:-1, 1]):
            raise DataFileError(
                f"{fname.name}: session {sess} trial windows {win.tolist()} are not increasing "
                f"non-overlapping (start, end) spans.")
        out[sess] = win
    return out


def trial_windows(root):
    """The trial windows of a download: its timestamp file, or the documented ones.

    Parameters
    ----------
    root : path-like
        Folder of the SEED-V download.

    Returns
    -------
    windows : dict of int -> ndarray, shape (15, 2)
        Session -> ``(start, end)`` in s of each trial.
    source : str
        ``"trial_start_end_timestamp.txt"`` or ``"manifest"`` (the
        documented windows, used when the file is absent).
    """
    fname = Path(root) / TIMESTAMP_FILE
    if fname.is_file():
        return read_trial_windows(fname), TIMESTAMP_FILE
    raw = _manifest()["raw"]
    return ({s: np.column_stack([raw["trial_start"][s], raw["trial_end"][s]]).astype(float)
             for s in SESSIONS}, "manifest")


class CntTrial:
    """One trial of a CNT recording, read only when converted to an array.

    ``np.shape`` and :attr:`shape` need no samples; ``np.asarray(trial)``
    opens the recording (in the sample format found when it was first
    opened), reads the trial's span of the EEG channels and resamples it.

    Parameters
    ----------
    fname : path-like
        The ``.cnt`` file.
    data_format : str
        ``"int16"`` or ``"int32"`` (from :func:`emopipe.io._cnt.read_cnt`).
    picks : list of str
        Channel names in the file, in the order wanted.
    start, stop : float
        Span in s from the start of the recording.
    file_sfreq, sfreq : float
        Rate of the file and rate wanted (Hz).
    """

    def __init__(self, fname, data_format, picks, start, stop, file_sfreq, sfreq):
        self.fname, self.data_format, self.picks = Path(fname), data_format, list(picks)
        self.start, self.stop = float(start), float(stop)
        self.file_sfreq, self.sfreq = float(file_sfreq), float(sfreq)
        ratio = Fraction(self.sfreq).limit_denominator(1000) / Fraction(
            self.file_sfreq).limit_denominator(1000)
        self._up, self._down = ratio.numerator, ratio.denominator
        n_in = int(round(self.stop * self.file_sfreq)) - int(round(self.start * self.file_sfreq))
        self.shape = (len(self.picks), -(-n_in * self._up // self._down))

    def __len__(self):
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        import mne
        from scipy.signal import resample_poly

        raw = mne.io.read_raw_cnt(self.fname, data_format=self.data_format, preload=False,
                                  verbose="error")
        data = read_cnt_segment(raw, self.picks, self.start, self.stop)
        if (self._up, self._down) != (1, 1):
            data = resample_poly(data, self._up, self._down, axis=-1)
        return data if dtype is None else data.astype(dtype)


def _eeg_picks(fname, ch_names):
    """File channel names of the 62 EEG channels, matched case-insensitively."""
    by_upper = {c.upper(): c for c in ch_names}
    missing = [c for c in _channels() if c.upper() not in by_upper]
    if missing:
        raise DataFileError(
            f"{Path(fname).name}: the recording lacks {len(missing)} of the 62 SEED-V EEG "
            f"channels ({', '.join(missing[:8])}{', ...' if len(missing) > 8 else ''}); it has "
            f"{len(ch_names)} channels ({', '.join(ch_names[:8])}, ...). Is this a SEED-V "
            f"recording?")
    return [by_upper[c.upper()] for c in _channels()]


def read_seed_v_raw(root, subject, *, sfreq=200.0, eye_fname=None):
    """Read one subject's raw SEED-V EEG (``EEG_raw/*.cnt``), trial by trial on demand.

    Parameters
    ----------
    root : path-like
        Folder of the SEED-V download.
    subject : str
        ``"1"`` ... ``"16"``.
    sfreq : float
        Rate in Hz the trials are returned at (resampled from the file's).
    eye_fname : path-like | None
        ``Eye_movement_features/<subject>_123.npz``; its trials of the
        sessions read become ``precomputed["eye"]["official"]``.

    Returns
    -------
    recording : SubjectRecording
        ``modalities["eeg"]``: 62 channels in V at ``sfreq``, ``data`` a list
        of :class:`CntTrial` (read when indexed); ``trial_ids``
        ``15 * (session - 1) + k``, ``sessions`` from the file names,
        ``labels["emotion"]`` in the official order; ``info`` the data
        format found per file and where the trial windows came from.
    """
    root = Path(root)
    files = raw_files(root, subject)
    if not files:
        raise FileNotFoundError(
            f"SEED-V subject {subject!r}: no EEG_raw/{subject}_<session>_<YYYYMMDD>.cnt under "
            f"{str(root)!r}.")
    windows, win_source = trial_windows(root)
    trials, labels, formats, picks = [], [], {}, None
    for session, fname in files.items():
        raw, fmt = read_cnt(fname)  # one recording at a time, header only
        formats[fname.name] = fmt
        file_sfreq, n_sec = raw.info["sfreq"], raw.n_times / raw.info["sfreq"]
        picks = _eeg_picks(fname, raw.ch_names)
        win = windows[session]
        if win[-1, 1] > n_sec + 1e-9:
            k = int(np.argmax(win[:, 1] > n_sec + 1e-9)) + 1
            raise DataFileError(
                f"EEG_raw/{fname.name}: trial {k} of session {session} ends at "
                f"{win[k - 1, 1]:g} s ({win_source}), after the end of the recording "
                f"({n_sec:g} s at {file_sfreq:g} Hz). The file is truncated, or its name gives "
                f"the wrong session.")
        for k, (a, b) in enumerate(win, start=1):
            trials.append(CntTrial(fname, fmt, picks, a, b, file_sfreq, sfreq))
        labels.append(session_labels(session))
        del raw
    trial_ids, sessions = _session_trials(list(files), N_TRIALS)
    sources = [str(p.resolve()) for p in files.values()]
    precomputed, missing = {}, {}
    if eye_fname is None:
        missing["eye"] = (f"Eye_movement_features/{subject}_123.npz not read (absent or not "
                          f"wanted)")
    else:
        eye_fname = Path(eye_fname)
        eye_data, eye_labels = _read_npz(eye_fname, N_EYE)
        _check_labels(eye_fname, eye_labels)
        precomputed["eye"] = {"official": _eye_feature([eye_data[i - 1] for i in trial_ids])}
        sources.append(str(eye_fname.resolve()))
    logger.info("SEED-V subject %s (raw CNT): sessions %s, formats %s, trial windows from %s",
                subject, list(files), sorted(set(formats.values())), win_source)
    return SubjectRecording(
        dataset="seed_v", subject=subject,
        modalities={"eeg": Modality(data=trials, sfreq=float(sfreq), ch_names=_channels(),
                                    unit="V", source_unit="V (CNT counts x calibration)")},
        labels={"emotion": np.concatenate(labels).astype(np.int64)}, trial_ids=trial_ids,
        sessions=sessions, sources=sources,
        info={"format": "raw CNT", "data_format": formats, "trial_windows": win_source,
              "sessions": list(files)},
        missing=missing, precomputed=precomputed,
        precomputed_window=WINDOW if precomputed else None)


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


def _found_raw(root):
    folder = Path(root) / "EEG_raw"
    names = (_RAW_NAME.match(p.name) for p in folder.glob("*")) if folder.is_dir() else ()
    return sorted({m.group(1) for m in names if m is not None}, key=int)


@DATASETS.register("seed_v")
class SEEDV(Dataset):
    """The SEED-V dataset laid out as the authors ship it (official features or raw CNT).

    The facts generic code reads (see :class:`emopipe.io._dataset.Dataset`):
    ``sfreq`` 200 Hz (the rate raw EEG is read at; the official features
    are on 4-s windows, :data:`WINDOW`), ``sources`` ``"auto"``,
    ``"official_features"`` (what ``"auto"`` reads) and ``"raw"`` (the
    ``EEG_raw`` CNT files, :func:`read_seed_v_raw`), ``label_names`` ``emotion`` with classes 0-4
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
    #: each raw trial is read only when the extract stage asks for it
    lazy_sources = ("raw",)

    @classmethod
    def subjects(cls, root):
        """Ids of the subjects with an ``EEG_DE_features/<subject>_123.npz`` or a raw CNT.

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
        return sorted(set(_found(root)) | set(_found_raw(root)), key=int)

    @classmethod
    def read_subject(cls, root, subject, *, source="auto", sfreq=None, modalities=None,
                     verbose=None):
        """Read one subject's official features, or its raw CNT EEG.

        Parameters
        ----------
        root : path-like
            Folder of the SEED-V download.
        subject : str
            ``"1"`` ... ``"16"``.
        source : str
            ``"auto"`` or ``"official_features"`` (the same), or ``"raw"``.
        sfreq : float | None
            Rate the raw EEG is returned at (``None``: 200 Hz); unused by
            the official features.
        modalities : list of str | None
            ``None`` or a list holding ``"eye"`` reads the eye file too.
        verbose : bool | str | int | None
            Unused (kept for the common signature).

        Returns
        -------
        recording : SubjectRecording
            See :func:`read_seed_v_features` and :func:`read_seed_v_raw`.
        """
        _check_type("subject", subject, (str,))
        _check_option("source", source, SOURCES)
        want_eye = modalities is None or "eye" in modalities
        if source == "raw":
            root = cls._root(root)
            eye = _files(root, subject)[1]
            return read_seed_v_raw(root, subject, sfreq=sfreq or cls.sfreq,
                                   eye_fname=eye if want_eye and eye.is_file() else None)
        found = _found(cls._root(root))
        if subject not in found:
            raise FileNotFoundError(
                f"SEED-V subject {subject!r} not found: no EEG_DE_features/{subject}_123.npz "
                f"under {str(root)!r}. Available subjects: {', '.join(found) or 'none'}.")
        eeg, eye = _files(root, subject)
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
        features, raws = _found(root), _found_raw(root)
        found = sorted(set(features) | set(raws), key=int)
        if not found:
            return [f"no EEG_DE_features/<subject>_123.npz nor EEG_raw/<subject>_<session>_"
                    f"<YYYYMMDD>.cnt under {str(root)!r}: not a SEED-V download "
                    f"(docs/datasets.md section 4)"]
        problems = []
        absent = [s for s in _manifest()["subjects"] if s not in found]
        if absent:
            problems.append(f"info: {len(absent)} of 16 subjects absent: {', '.join(absent)}")
        if raws:
            try:
                _, win_source = trial_windows(root)
                problems.append(f"info: raw trial windows from {win_source}")
            except DataFileError as exc:
                problems.append(str(exc))
                raws = []
        for s in found:
            eeg, eye = _files(root, s)
            if not eye.is_file():
                problems.append(f"subject {s}: no Eye_movement_features/{s}_123.npz (eye "
                                f"modality missing)")
            if s in raws:
                try:
                    raw = raw_files(root, s)
                    lacking = [k for k in SESSIONS if k not in raw]
                    if lacking:
                        problems.append(f"subject {s}: EEG_raw has no file for session(s) "
                                        f"{lacking}")
                    rec = read_seed_v_raw(root, s, eye_fname=eye if eye.is_file() else None)
                    formats = ", ".join(sorted(set(rec.info["data_format"].values())))
                    problems.append(f"info: subject {s}: raw CNT sessions "
                                    f"{', '.join(f'{k}={p.name}' for k, p in raw.items())} "
                                    f"(read as {formats})")
                except (DataFileError, OSError) as exc:
                    problems.append(str(exc))
            if s in features:
                try:
                    read_seed_v_features(eeg, eye if eye.is_file() else None, subject=s)
                except (DataFileError, OSError) as exc:
                    problems.append(str(exc))
        return problems
