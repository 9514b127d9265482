"""DREAMER (23 subjects x 18 film clips): 14-channel EEG at 128 Hz, 2-channel ECG at 256 Hz.

Layout (``docs/datasets.md`` section 6; manifest ``manifests/dreamer.yaml``): one
``DREAMER.mat`` (MAT v5) holding the struct ``DREAMER`` with fields ``Data``
(1 x 23 struct), ``EEG_SamplingRate``, ``ECG_SamplingRate``,
``EEG_Electrodes``, ``noOfSubjects``, ``noOfVideoSequences`` and text fields.
Each ``Data{i}`` holds ``Age``, ``Gender``, ``EEG``, ``ECG`` and the scores
``ScoreValence``, ``ScoreArousal``, ``ScoreDominance`` ((18, 1), integers
1-5). ``EEG.baseline`` / ``EEG.stimuli`` (and the same for ``ECG``) are
(18, 1) cells of **samples x channels** arrays: a 61-s neutral clip before each
film, then the film.

What the reader returns per subject (:func:`read_dreamer_subject`): each clip
is one trial whose array is the baseline followed by the stimulus (channels x
samples), ``SubjectRecording.baseline`` = 61 s (the baseline length, from the
file), so ``ExtractConfig(baseline=...)`` drops, subtracts or keeps it as for
DEAP. EEG and ECG keep their own rates (128 and 256 Hz, from the file) and
share one window grid in seconds. The rates and electrode names come from the
file; the file states no unit: EEG is taken as uV (Emotiv EPOC output,
unverified) and returned in V, ECG is left in the file's arbitrary units (the
heart-rate features do not depend on them). Labels: ``valence``, ``arousal``,
``dominance`` on 1-5, binarised by default at 3 (a score of 4 or 5 is class
1, 1-3 class 0).
"""

import functools
import logging
from pathlib import Path

import numpy as np

from ..utils._checks import _check_option, _check_type
from ..utils._errors import ConfigError, DataFileError
from ..utils._logging import verbose as _verbose
from ._dataset import Dataset
from ._manifest import load_manifest
from ._registry import DATASETS
from ._types import Modality, SubjectRecording

logger = logging.getLogger("emopipe.io.dreamer")

#: values of ``source`` the reader accepts
SOURCES = ("auto", "mat")
#: the labels, in the order of the ``Score*`` fields
LABEL_NAMES = ("valence", "arousal", "dominance")
#: the score scale
SCORE_SCALE = (1.0, 5.0)
#: the one file of the download
FILE_NAME = "DREAMER.mat"
#: EEG rate in Hz the documentation gives (the reader takes the file's value)
SFREQ = 128.0


@functools.lru_cache(maxsize=1)
def _manifest():
    return load_manifest("dreamer")


def _where(fname):
    return Path(fname).name


def _fields(struct):
    """Field names of a struct as loadmat returns it (``None`` if it is no struct)."""
    names = getattr(getattr(struct, "dtype", None), "names", None)
    return list(names) if names else None


def _one(x):
    """The element of a (1, 1) MATLAB array (a struct, a cell or a scalar)."""
    while isinstance(x, np.ndarray) and x.dtype.names is None and x.dtype == object and x.size == 1:
        x = x.reshape(-1)[0]
    if isinstance(x, np.ndarray) and x.size == 1 and x.dtype.names is not None:
        x = x.reshape(-1)[0]
    return x


def _field(struct, name, where, expected):
    """``struct[name]``; a DataFileError naming the fields found when it is missing."""
    found = _fields(struct)
    if found is None:
        raise DataFileError(
            f"{where}: expected a struct with fields {', '.join(expected)}, got "
            f"{type(struct).__name__} {getattr(struct, 'shape', '')}. Is this the DREAMER.mat "
            f"the authors ship (docs/datasets.md section 6)?")
    if name not in found:
        missing = [f for f in expected if f not in found]
        raise DataFileError(
            f"{where}: struct field {name!r} missing; the struct has the fields "
            f"{', '.join(found) or 'none'}, expected {', '.join(expected)} (missing: "
            f"{', '.join(missing)}). The file is incomplete or was re-saved without them: "
            f"re-download DREAMER.mat.")
    return struct[name]


def _scalar(x, where):
    x = _one(x)
    arr = np.asarray(x, dtype=float).reshape(-1)
    if arr.size != 1 or not np.isfinite(arr[0]):
        raise DataFileError(f"{where}: expected one finite number, got shape "
                            f"{np.shape(x)}.")
    return float(arr[0])


def _text(x):
    """A MATLAB char array or number (possibly wrapped in cells) as str."""
    x = _one(x)
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "U":
            return "".join(x.reshape(-1).tolist()).strip() if x.ndim else str(x).strip()
        if x.size == 0:
            return ""
        if x.dtype.kind in "fiu" and x.size == 1:
            return f"{x.reshape(-1)[0]:g}"
    return str(x).strip()


def _text_list(x):
    """Names of a cell of strings, or of the rows of a char matrix (as loadmat returns them)."""
    arr = np.asarray(x)
    if arr.dtype == object:
        return [_text(v) for v in arr.reshape(-1)]
    if arr.dtype.kind == "U" and arr.size > 1:
        return [str(v).strip() for v in arr.reshape(-1)]
    return [_text(arr)]


def _load(fname):
    """The ``DREAMER`` struct of ``fname`` (loaded once per process, keyed on size and mtime)."""
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"DREAMER file {str(fname)!r} not found (expected "
                                f"<root>/{FILE_NAME}).")
    st = fname.stat()
    return _load_cached(str(fname.resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _load_cached(path, size, mtime_ns):
    import scipy.io

    name = _where(path)
    try:
        mat = scipy.io.loadmat(path, squeeze_me=False, struct_as_record=True)
    except NotImplementedError as exc:  # MAT v7.3 (HDF5)
        raise DataFileError(f"{name}: a MAT v7.3 (HDF5) file ({exc}); DREAMER is shipped as MAT "
                            f"v5. Re-download it or re-save it with save('-v7').") from exc
    except (ValueError, TypeError, OSError, EOFError, IndexError,
            scipy.io.matlab.MatReadError) as exc:  # truncated or not a MAT file
        raise DataFileError(f"{name}: not a readable MAT v5 file ({exc}). Re-download "
                            f"it.") from exc
    var = _manifest()["struct"]["variable"]
    if var not in mat:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise DataFileError(f"{name}: no variable {var!r}; the file holds "
                            f"{', '.join(found) or 'no variable'}. Is it the DREAMER download?")
    return _one(mat[var])


def _top(struct, fname):
    """Rates, electrodes and the 1 x n ``Data`` array of the top-level struct."""
    where = f"{_where(fname)}: DREAMER"
    expected = _manifest()["struct"]["fields"]
    for name in expected[:6]:
        _field(struct, name, where, expected)
    data = np.asarray(struct["Data"])
    if data.dtype.names is None:
        raise DataFileError(f"{where}.Data: expected a 1 x n struct array, got "
                            f"{data.dtype} {data.shape}.")
    top = {"data": data.reshape(-1),
           "eeg_sfreq": _scalar(struct["EEG_SamplingRate"], f"{where}.EEG_SamplingRate"),
           "ecg_sfreq": _scalar(struct["ECG_SamplingRate"], f"{where}.ECG_SamplingRate"),
           "electrodes": _text_list(struct["EEG_Electrodes"]),
           "n_subjects": int(_scalar(struct["noOfSubjects"], f"{where}.noOfSubjects")),
           "n_clips": int(_scalar(struct["noOfVideoSequences"], f"{where}.noOfVideoSequences"))}
    for key in ("eeg_sfreq", "ecg_sfreq"):
        if top[key] <= 0:
            raise DataFileError(f"{where}: {key} = {top[key]!r} must be > 0.")
    return top


def _segments(sub, modality, where, n_clips, n_channels):
    """(baseline, stimuli) lists of the (n_times, n_channels) arrays of one modality."""
    man = _manifest()["struct"]
    node = _one(_field(sub, modality.upper(), where, man["subject_fields"]))
    out = []
    for seg in man["segment_fields"]:
        cells = np.asarray(_field(node, seg, f"{where}.{modality.upper()}",
                                  man["segment_fields"]))
        w = f"{where}.{modality.upper()}.{seg}"
        if cells.dtype != object or cells.size != n_clips:
            raise DataFileError(f"{w}: expected a ({n_clips}, 1) cell array (one per clip), got "
                                f"{cells.dtype} {cells.shape}.")
        arrs = []
        for t, cell in enumerate(cells.reshape(-1)):
            a = np.asarray(cell)
            if (a.ndim != 2 or a.shape[1] != n_channels or a.shape[0] == 0
                    or a.dtype.kind not in "fiu"):
                raise DataFileError(
                    f"{w}{{{t + 1}}}: expected a numeric samples x {n_channels} array "
                    f"(samples x channels), got {a.dtype} {a.shape}.")
            arrs.append(a)
        out.append(arrs)
    return out


def _scores(sub, where, n_clips):
    fields = _manifest()["struct"]["subject_fields"]
    out = {}
    lo, hi = SCORE_SCALE
    for name in LABEL_NAMES:
        key = f"Score{name.capitalize()}"
        arr = np.asarray(_field(sub, key, where, fields), dtype=float).reshape(-1)
        if arr.size != n_clips:
            raise DataFileError(f"{where}.{key}: expected {n_clips} scores (one per clip), got "
                                f"{arr.size}.")
        bad = ~(np.isfinite(arr) & (arr >= lo) & (arr <= hi))
        if bad.any():
            raise DataFileError(
                f"{where}.{key}: scores must be {lo:g}-{hi:g}; clip "
                f"{int(np.flatnonzero(bad)[0]) + 1} holds {float(arr[bad][0])!r}.")
        out[name] = arr
    return out


def _baseline_seconds(arrs, sfreq, where):
    lengths = sorted({a.shape[0] for a in arrs})
    if len(lengths) != 1:
        raise DataFileError(f"{where}: the baselines differ in length ({lengths[0]} to "
                            f"{lengths[-1]} samples); every clip's baseline must be as long "
                            f"(61 s) for one window grid.")
    return lengths[0] / sfreq


def subject_ids(n):
    """DREAMER subject ids of ``Data{1}`` ... ``Data{n}``.

    Parameters
    ----------
    n : int
        Number of subjects in ``Data``.

    Returns
    -------
    subjects : list of str
        ``["s01", ..., "s%02d" % n]``.
    """
    return [f"s{i:02d}" for i in range(1, n + 1)]


def read_dreamer_subject(fname, subject, *, modalities=None):
    """Read one subject of ``DREAMER.mat``.

    Parameters
    ----------
    fname : path-like
        ``DREAMER.mat``.
    subject : str
        ``"s01"`` ... ``"s23"`` (``Data{1}`` ... ``Data{23}``).
    modalities : list of str | None
        ``None`` reads EEG and ECG; otherwise those of ``"eeg"``, ``"ecg"``
        it names.

    Returns
    -------
    recording : SubjectRecording
        ``modalities["eeg"]``: 14 channels in V at the file's EEG rate (128
        Hz), electrode names from ``EEG_Electrodes``; ``modalities["ecg"]``:
        2 channels (``ECG1``, ``ECG2``, file units) at the file's ECG rate
        (256 Hz). Trial ``t`` is clip ``t + 1``: its baseline then its
        stimulus, ``(n_channels, n_times_t)``; ``baseline`` the baseline
        length in s (61). When EEG and ECG stimuli differ in duration, both
        are cut to the shorter one (listed in ``info["trimmed"]``).
        ``labels`` ``valence``, ``arousal``, ``dominance`` (1-5);
        ``trial_ids`` 1-18; ``info`` ``age``, ``gender``.
    """
    _check_type("fname", fname, ("path-like",))
    _check_type("subject", subject, (str,))
    wanted = ("eeg", "ecg") if modalities is None else tuple(m for m in modalities
                                                            if m in ("eeg", "ecg"))
    top = _top(_load(fname), fname)
    ids = subject_ids(top["data"].size)
    if subject not in ids:
        raise FileNotFoundError(
            f"DREAMER subject {subject!r} not found: {_where(fname)} holds Data{{1}} ... "
            f"Data{{{len(ids)}}}, i.e. subjects {', '.join(ids) or 'none'}.")
    s = ids.index(subject)
    sub = top["data"][s]
    where = f"{_where(fname)}: DREAMER.Data{{{s + 1}}}"
    fields = _manifest()["struct"]["subject_fields"]
    for name in fields:
        _field(sub, name, where, fields)
    scores = _scores(sub, where, len(np.asarray(sub["ScoreValence"]).reshape(-1)))
    n_clips = scores["valence"].size
    electrodes = top["electrodes"]
    man = _manifest()
    ecg_names = list(man["ecg"]["channels"])
    rates = {"eeg": top["eeg_sfreq"], "ecg": top["ecg_sfreq"]}
    n_ch = {"eeg": len(electrodes), "ecg": len(ecg_names)}
    segs, base_s = {}, {}
    for mod in ("eeg", "ecg"):
        segs[mod] = _segments(sub, mod, where, n_clips, n_ch[mod])
        base_s[mod] = _baseline_seconds(segs[mod][0], rates[mod],
                                        f"{where}.{mod.upper()}.baseline")
    if abs(base_s["eeg"] - base_s["ecg"]) > 1.0 / rates["eeg"]:
        raise DataFileError(
            f"{where}: the EEG baseline lasts {base_s['eeg']:g} s but the ECG baseline "
            f"{base_s['ecg']:g} s; both must cover the same neutral clip for one window grid.")
    baseline = base_s["eeg"]
    trimmed = []
    stim = {m: list(segs[m][1]) for m in segs}
    for t in range(n_clips):
        dur = {m: stim[m][t].shape[0] / rates[m] for m in stim}
        common = min(dur.values())
        if max(dur.values()) - common > 0:
            for m in stim:
                keep = int(np.floor(common * rates[m] + 1e-9))
                if keep < stim[m][t].shape[0]:
                    stim[m][t] = stim[m][t][:keep]
            trimmed.append({"trial": t + 1, "eeg_s": dur["eeg"], "ecg_s": dur["ecg"]})
    if trimmed:
        logger.info("%s: %d clip(s) whose EEG and ECG stimuli differ in duration cut to the "
                    "shorter one", subject, len(trimmed))
    units = {"eeg": (man["eeg"]["unit"], 1e-6, "V"), "ecg": (man["ecg"]["unit"], 1.0, "a.u.")}
    out = {}
    for mod in wanted:
        src_unit, factor, unit = units[mod]
        data = [np.ascontiguousarray(np.concatenate([b, st]).T, dtype=np.float64) * factor
                for b, st in zip(segs[mod][0], stim[mod])]
        out[mod] = Modality(data, rates[mod], electrodes if mod == "eeg" else ecg_names, unit,
                            source_unit=f"{src_unit} (no unit in the file; emopipe's choice)")
    return SubjectRecording(
        dataset="dreamer", subject=subject, modalities=out, labels=scores,
        trial_ids=np.arange(1, n_clips + 1), baseline=float(baseline),
        sources=[str(Path(fname).resolve())],
        info={"age": _text(sub["Age"]), "gender": _text(sub["Gender"]),
              "data_index": s + 1, "trimmed": trimmed,
              "segments": "trial = baseline (neutral clip) then stimulus (film)"},
        missing={m: "not requested" for m in ("eeg", "ecg") if m not in wanted})


@DATASETS.register("dreamer")
class DREAMER(Dataset):
    """The DREAMER dataset as the authors ship it (one ``DREAMER.mat``).

    The facts generic code reads (see :class:`emopipe.io._dataset.Dataset`):
    ``sfreq`` 128 Hz (EEG; ECG keeps its 256 Hz on the same window grid),
    ``sources`` ``"auto"`` and ``"mat"`` (the same file), ``label_names``
    valence, arousal, dominance on ``label_scale`` 1-5, binarised by default
    at ``default_threshold`` 3 (scores 4 and 5 are class 1, 1-3 class 0),
    ``default_modalities`` EEG and ECG, 4-s ``default_window``.
    """

    name = "dreamer"
    title = "DREAMER"
    sfreq = SFREQ
    sources = SOURCES
    label_names = LABEL_NAMES
    label_scale = SCORE_SCALE
    default_threshold = 3.0
    default_modalities = ("eeg", "ecg")
    default_window = 4.0

    @classmethod
    def subjects(cls, root):
        """Ids of the subjects in ``root/DREAMER.mat``.

        Parameters
        ----------
        root : path-like
            Folder holding ``DREAMER.mat``.

        Returns
        -------
        subjects : list of str
            ``["s01", ..., "s23"]`` (one per ``Data`` entry); empty without the file.
        """
        root = cls._root(root)
        fname = root / FILE_NAME
        if not fname.is_file():
            return []
        return subject_ids(_top(_load(fname), fname)["data"].size)

    @classmethod
    @_verbose
    def read_subject(cls, root, subject, *, source="auto", sfreq=None, modalities=None,
                     verbose=None):
        """Read one subject.

        Parameters
        ----------
        root : path-like
            Folder holding ``DREAMER.mat``.
        subject : str
            ``"s01"`` ... ``"s23"``.
        source : str
            ``"auto"`` or ``"mat"`` (the same file).
        sfreq : float | None
            ``None`` or the file's EEG rate (128 Hz); DREAMER is not resampled.
        modalities : list of str | None
            Modalities wanted (``"eeg"``, ``"ecg"``); ``None`` means both.
        verbose : bool | str | int | None
            Log level for this call.

        Returns
        -------
        recording : SubjectRecording
            See :func:`read_dreamer_subject`.
        """
        _check_option("source", source, SOURCES)
        root = cls._root(root)
        fname = root / FILE_NAME
        if not fname.is_file():
            raise FileNotFoundError(f"DREAMER root {str(root)!r} holds no {FILE_NAME} (the "
                                    f"download is that one file).")
        rec = read_dreamer_subject(fname, subject, modalities=modalities)
        eeg_rate = _top(_load(fname), fname)["eeg_sfreq"]
        if sfreq is not None and float(sfreq) != eeg_rate:
            raise ConfigError(
                f"sfreq = {sfreq!r} Hz: {FILE_NAME} holds EEG at {eeg_rate:g} Hz and emopipe "
                f"does not resample DREAMER. Leave sfreq unset (or set it to {eeg_rate:g}).")
        return rec

    @classmethod
    def check(cls, root):
        """List what is missing or malformed under ``root``.

        Parameters
        ----------
        root : path-like
            Folder holding ``DREAMER.mat``.

        Returns
        -------
        problems : list of str
            One sentence per problem; ``"info: "`` entries are not fatal.
            Every subject is read as :meth:`read_subject` reads it.
        """
        problem = cls._root_problem(root)
        if problem is not None:
            return [problem]
        fname = Path(root) / FILE_NAME
        if not fname.is_file():
            return [f"no {FILE_NAME} under {str(root)!r}: not a DREAMER download "
                    f"(docs/datasets.md section 6)"]
        try:
            top = _top(_load(fname), fname)
        except DataFileError as exc:
            return [str(exc)]
        problems = []
        n = top["data"].size
        if n != top["n_subjects"]:
            problems.append(f"{FILE_NAME}: noOfSubjects = {top['n_subjects']} but Data holds "
                            f"{n} subjects")
        if n != _manifest()["n_subjects"]:
            problems.append(f"info: {n} of {_manifest()['n_subjects']} subjects in Data")
        if top["electrodes"] != list(_manifest()["eeg"]["channels"]):
            problems.append(f"info: EEG_Electrodes {top['electrodes']} differ from the documented "
                            f"order; the file's names are used")
        for s in subject_ids(n):
            try:
                rec = read_dreamer_subject(fname, s)
            except (DataFileError, OSError) as exc:
                problems.append(str(exc))
                continue
            if rec.n_trials != top["n_clips"]:
                problems.append(f"subject {s}: {rec.n_trials} clips but noOfVideoSequences = "
                                f"{top['n_clips']}")
            if rec.info["trimmed"]:
                problems.append(f"info: subject {s}: {len(rec.info['trimmed'])} clip(s) with "
                                f"EEG and ECG stimuli of different durations (cut to the "
                                f"shorter)")
        return problems
