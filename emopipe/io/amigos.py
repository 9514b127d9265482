"""AMIGOS (40 participants, 16 short + 4 long videos): EEG, ECG and GSR at 128 Hz.

Layout (``docs/datasets.md`` section 7; manifest ``manifests/amigos.yaml``):
``Data_Preprocessed_Pxx/Data_Preprocessed_Pxx.mat`` (or the ``.mat`` flat under
the root), MAT v5 with the keys ``VideoIDs``, ``joined_data``,
``labels_selfassessment`` and ``labels_ext_annotation``, each a (1, 20) cell
array (one cell per video, the 16 short videos then the 4 long ones).

What the reader returns per participant (:func:`read_amigos_subject`): one
trial per usable cell, trial id = the cell's position (1-20), session 1 for a
short video and 2 for a long one (``N1``, ``P1``, ``B1``, ``U1``), no baseline.
``joined_data{k}`` (samples x 17) splits into EEG (columns 1-14, in V: taken as
uV, emopipe's choice, unverified), ECG (15 right, 16 left; file units) and GSR
(17; file units, ``"a.u."``: the unit is unverified, so a GSR extraction
states it, ``modality_params: {gsr: {unit: ...}}``). Labels: the
self-assessment ``arousal``, ``valence``, ``dominance``, ``liking``,
``familiarity`` (1-9, **arousal first in the file**) and the external
annotations as a second target set, ``ext_valence`` and ``ext_arousal`` (the
mean over the video's 20-s annotated segments), all binarised at 5 by
default. A cell that is empty (0 x 0), holds a channel that is all NaN (or any
non-finite sample) in the modalities read, lacks its self-assessment or its
external annotation is skipped, and the skips are counted (logged,
``info["skipped"]``, ``emopipe check``); a file whose cells are not (1, 20) is
a :class:`~emopipe.utils._errors.DataFileError`.
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

logger = logging.getLogger("emopipe.io.amigos")

#: values of ``source`` the reader accepts
SOURCES = ("auto", "preprocessed")
#: the self-assessment ratings read (the first five columns, arousal first), then the
#: external annotations
LABEL_NAMES = ("arousal", "valence", "dominance", "liking", "familiarity", "ext_valence",
               "ext_arousal")
RATING_SCALE = (1.0, 9.0)
SFREQ = 128.0
MODALITIES = ("eeg", "ecg", "gsr")


@functools.lru_cache(maxsize=1)
def _manifest():
    return load_manifest("amigos")


def _files(root, subject):
    man = _manifest()["files"]
    return (Path(root) / man["preprocessed"].format(subject=subject),
            Path(root) / man["preprocessed_flat"].format(subject=subject))


def _found(root):
    """Participant -> file, from both layouts; a participant in both is a DataFileError."""
    root = Path(root)
    found = {}
    for path in sorted(root.glob("Data_Preprocessed_P*.mat")) + sorted(
            root.glob("Data_Preprocessed_P*/Data_Preprocessed_P*.mat")):
        sub = path.stem.removeprefix("Data_Preprocessed_")
        if not (sub[:1] == "P" and sub[1:].isdigit()):
            continue
        if path.parent != root and path.parent.name != path.stem:
            continue
        if sub in found:
            raise DataFileError(
                f"AMIGOS participant {sub} has two files, {found[sub].relative_to(root)} and "
                f"{path.relative_to(root)}; keep one (in its folder or flat under the root).")
        found[sub] = path
    return dict(sorted(found.items(), key=lambda kv: int(kv[0][1:])))


def _cell_array(mat, key, name, n):
    keys = _manifest()["keys"]
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise DataFileError(
            f"{name}: key {key!r} missing; the file holds {', '.join(found) or 'no variable'}, "
            f"expected {', '.join(keys)} (AMIGOS preprocessed data, docs/datasets.md section 7).")
    cells = np.asarray(mat[key])
    if cells.dtype != object or cells.shape != (1, n):
        raise DataFileError(
            f"{name}: {key} has {cells.size} cells, shape {cells.shape} ({cells.dtype}), "
            f"expected (1, {n}) cells: {_manifest()['n_short']} short and "
            f"{n - _manifest()['n_short']} long videos. The file is incomplete: re-download it.")
    return cells.reshape(-1)


def _text(x):
    x = np.asarray(x)
    if x.dtype == object and x.size == 1:
        return _text(x.reshape(-1)[0])
    if x.dtype.kind == "U":
        return "".join(x.reshape(-1).tolist()).strip()
    if x.dtype.kind in "fiu" and x.size == 1:
        return f"{x.reshape(-1)[0]:g}"
    return str(x.tolist())


def read_amigos_subject(fname, *, subject=None, modalities=None):
    """Read one participant's ``Data_Preprocessed_Pxx.mat``.

    Parameters
    ----------
    fname : path-like
        The participant's file.
    subject : str | None
        Participant id; ``"Pxx"`` from the file name by default.
    modalities : list of str | None
        Modalities to return among ``"eeg"``, ``"ecg"``, ``"gsr"``; ``None``
        means all three. Only their columns decide whether a cell is usable.

    Returns
    -------
    recording : SubjectRecording
        ``modalities`` EEG (14, V), ECG (2: ``ECG_right``, ``ECG_left``, file
        units) and GSR (1, ``"a.u."``), each trial ``(n_channels, n_times)``
        at 128 Hz; ``trial_ids`` the cell positions kept (1-20),
        ``sessions`` 1 (short video) or 2 (long); ``labels`` see
        :data:`LABEL_NAMES`; ``info["video_ids"]`` the ``VideoIDs`` kept,
        ``info["skipped"]`` cell position -> why it was skipped.
    """
    import scipy.io

    _check_type("fname", fname, ("path-like",))
    fname = Path(fname)
    name = fname.name
    subject = subject or fname.stem.removeprefix("Data_Preprocessed_")
    wanted = MODALITIES if modalities is None else tuple(m for m in MODALITIES
                                                         if m in modalities)
    if not fname.is_file():
        raise FileNotFoundError(f"AMIGOS file {str(fname)!r} not found.")
    try:
        mat = scipy.io.loadmat(fname, squeeze_me=False, struct_as_record=True)
    except NotImplementedError as exc:
        raise DataFileError(f"{name}: a MAT v7.3 (HDF5) file ({exc}); AMIGOS ships MAT v5. "
                            f"Re-download it.") from exc
    except (ValueError, TypeError, OSError, EOFError, IndexError,
            scipy.io.matlab.MatReadError) as exc:
        raise DataFileError(f"{name}: not a readable MAT v5 file ({exc}). Re-download "
                            f"it.") from exc
    man = _manifest()
    n = man["n_videos"]
    ids = [_text(v) for v in _cell_array(mat, "VideoIDs", name, n)]
    joined = _cell_array(mat, "joined_data", name, n)
    selfa = _cell_array(mat, "labels_selfassessment", name, n)
    ext = _cell_array(mat, "labels_ext_annotation", name, n)
    cols = {m: man["columns"][m] for m in MODALITIES}
    n_cols = max(c[1] for c in cols.values())
    n_sa = len(man["selfassessment"])
    long_ids = set(man["video_ids"][man["n_short"]:])
    data = {m: [] for m in wanted}
    labels = {k: [] for k in LABEL_NAMES}
    kept, sessions, skipped = [], [], {}
    for k in range(n):
        where = f"{name}: cell {k + 1} (VideoID {ids[k]})"
        jd = np.asarray(joined[k])
        if jd.size == 0:
            skipped[k + 1] = "empty joined_data cell"
            continue
        if jd.ndim != 2 or jd.shape[1] != n_cols or jd.dtype.kind not in "fiu":
            raise DataFileError(f"{where}: joined_data holds {jd.dtype} {jd.shape}, expected "
                                f"samples x {n_cols} (14 EEG, 2 ECG, 1 GSR columns).")
        picked = np.concatenate([np.arange(*cols[m]) for m in wanted]) if wanted else []
        block = jd[:, picked].astype(np.float64)
        finite = np.isfinite(block)
        if not finite.all():
            names = [c for m in wanted for c in man["channels"][m]]
            dead = [names[j] for j in np.flatnonzero(~finite.any(axis=0))]
            if len(dead) == len(names):
                skipped[k + 1] = "every channel all NaN"
            elif dead:
                skipped[k + 1] = f"channels {', '.join(dead)} all NaN"
            else:
                skipped[k + 1] = f"{int((~finite).sum())} non-finite samples"
            continue
        sa = np.asarray(selfa[k], dtype=float).reshape(-1)
        if sa.size == 0:
            skipped[k + 1] = "no self-assessment"
            continue
        if sa.size != n_sa:
            raise DataFileError(f"{where}: labels_selfassessment holds {sa.size} values, "
                                f"expected (1, {n_sa}): arousal, valence, dominance, liking, "
                                f"familiarity, then 7 emotion flags.")
        if not np.isfinite(sa[:5]).all():
            skipped[k + 1] = "self-assessment holds NaN"
            continue
        lo, hi = RATING_SCALE
        if np.any((sa[:5] < lo) | (sa[:5] > hi)):
            raise DataFileError(f"{where}: labels_selfassessment ratings {sa[:5].tolist()} must "
                                f"be {lo:g}-{hi:g} (arousal, valence, dominance, liking, "
                                f"familiarity).")
        ea = np.asarray(ext[k], dtype=float)
        if ea.size == 0:
            skipped[k + 1] = "no external annotation"
            continue
        if ea.ndim != 2 or ea.shape[1] != 3:
            raise DataFileError(f"{where}: labels_ext_annotation holds {ea.shape}, expected "
                                f"(n_segments, 3) = segment index, valence, arousal.")
        if not np.isfinite(ea[:, 1:]).all():
            skipped[k + 1] = "external annotation holds NaN"
            continue
        start = 0
        for m in wanted:
            width = cols[m][1] - cols[m][0]
            arr = np.ascontiguousarray(block[:, start:start + width].T)
            data[m].append(arr * 1e-6 if m == "eeg" else arr)
            start += width
        for j, lab in enumerate(LABEL_NAMES[:5]):
            labels[lab].append(sa[j])
        labels["ext_valence"].append(float(ea[:, 1].mean()))
        labels["ext_arousal"].append(float(ea[:, 2].mean()))
        kept.append(k + 1)
        sessions.append(2 if ids[k] in long_ids else 1)
    if skipped:
        reasons = {}
        for r in skipped.values():
            reasons[r] = reasons.get(r, 0) + 1
        logger.warning("%s: %d of %d videos skipped (%s)", subject, len(skipped), n,
                       ", ".join(f"{c} x {r}" for r, c in reasons.items()))
    if not kept:
        raise DataFileError(f"{name}: none of the {n} videos is usable ("
                            f"{', '.join(sorted(set(skipped.values())))}).")
    units = man["units"]
    out = {}
    for m in wanted:
        unit = "V" if m == "eeg" else units[m]
        out[m] = Modality(data[m], SFREQ, list(man["channels"][m]), unit,
                          source_unit=f"{units[m]} (no unit in the file; emopipe's choice)")
    return SubjectRecording(
        dataset="amigos", subject=subject, modalities=out,
        labels={k: np.asarray(v, dtype=float) for k, v in labels.items()},
        trial_ids=np.asarray(kept), sessions=np.asarray(sessions), baseline=0.0,
        sources=[str(fname.resolve())],
        info={"video_ids": [ids[k - 1] for k in kept], "skipped": skipped,
              "n_skipped": len(skipped), "sessions": "1 short videos, 2 long videos"},
        missing={m: "not requested" for m in MODALITIES if m not in wanted})


@DATASETS.register("amigos")
class AMIGOS(Dataset):
    """The AMIGOS dataset as the authors ship it (preprocessed ``.mat`` per participant).

    The facts generic code reads (see :class:`emopipe.io._dataset.Dataset`):
    ``sfreq`` 128 Hz (every signal), ``sources`` ``"auto"`` and
    ``"preprocessed"``, ``label_names`` the self-assessment (arousal,
    valence, dominance, liking, familiarity) and the external annotations
    (``ext_valence``, ``ext_arousal``) on ``label_scale`` 1-9, binarised at
    ``default_threshold`` 5 (above 5 is class 1), ``default_modalities`` EEG
    and ECG (GSR needs its unit stated: it is unverified), sessions 1 (short
    videos) and 2 (long), 4-s ``default_window``.
    """

    name = "amigos"
    title = "AMIGOS"
    sfreq = SFREQ
    sources = SOURCES
    label_names = LABEL_NAMES
    label_scale = RATING_SCALE
    default_threshold = 5.0
    default_modalities = ("eeg", "ecg")
    default_window = 4.0

    @classmethod
    def subjects(cls, root):
        """Participants with a ``Data_Preprocessed_Pxx.mat`` (in its folder or flat).

        Parameters
        ----------
        root : path-like
            Folder of the AMIGOS download.

        Returns
        -------
        subjects : list of str
            In numeric order (``["P01", "P02", ...]``).
        """
        return list(_found(cls._root(root)))

    @classmethod
    @_verbose
    def read_subject(cls, root, subject, *, source="auto", sfreq=None, modalities=None,
                     verbose=None):
        """Read one participant.

        Parameters
        ----------
        root : path-like
            Folder of the AMIGOS download.
        subject : str
            ``"P01"`` ... ``"P40"``.
        source : str
            ``"auto"`` or ``"preprocessed"`` (the same files).
        sfreq : float | None
            ``None`` or 128 (AMIGOS is not resampled).
        modalities : list of str | None
            Modalities wanted; ``None`` means EEG, ECG and GSR.
        verbose : bool | str | int | None
            Log level for this call.

        Returns
        -------
        recording : SubjectRecording
            See :func:`read_amigos_subject`.
        """
        _check_type("subject", subject, (str,))
        _check_option("source", source, SOURCES)
        if sfreq is not None and float(sfreq) != SFREQ:
            raise ConfigError(f"sfreq = {sfreq!r} Hz: AMIGOS is preprocessed at {SFREQ:g} Hz and "
                              f"emopipe does not resample it. Leave sfreq unset.")
        found = _found(cls._root(root))
        if subject not in found:
            raise FileNotFoundError(
                f"AMIGOS participant {subject!r} not found: no Data_Preprocessed_{subject}.mat "
                f"under {str(root)!r} (in its folder or flat). Available participants: "
                f"{', '.join(found) or 'none'}.")
        return read_amigos_subject(found[subject], subject=subject, modalities=modalities)

    @classmethod
    def check(cls, root):
        """List what is missing or malformed under ``root``.

        Parameters
        ----------
        root : path-like
            Folder of the AMIGOS download.

        Returns
        -------
        problems : list of str
            One sentence per problem; ``"info: "`` entries are not fatal
            (absent participants, skipped videos). Every file is read as
            :meth:`read_subject` reads it.
        """
        problem = cls._root_problem(root)
        if problem is not None:
            return [problem]
        try:
            found = _found(root)
        except DataFileError as exc:
            return [str(exc)]
        if not found:
            return [f"no Data_Preprocessed_Pxx.mat under {str(root)!r} (in its folder or flat): "
                    f"not an AMIGOS download (docs/datasets.md section 7)"]
        problems = []
        absent = [s for s in _manifest()["subjects"] if s not in found]
        if absent:
            problems.append(f"info: {len(absent)} of 40 participants absent")
        for s, path in found.items():
            try:
                rec = read_amigos_subject(path, subject=s)
            except (DataFileError, OSError) as exc:
                problems.append(str(exc))
                continue
            if rec.info["skipped"]:
                parts = ", ".join(f"{k}: {r}" for k, r in rec.info["skipped"].items())
                problems.append(f"info: participant {s}: {len(rec.info['skipped'])} of 20 "
                                f"videos skipped ({parts})")
        return problems
