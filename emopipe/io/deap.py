"""DEAP readers (preprocessed Python/MATLAB files, raw BioSemi BDF) and the DEAP dataset.

DEAP (Koelstra et al., 2012): 32 subjects x 40 one-minute music videos,
rated for valence, arousal, dominance and liking on 1-9. Format facts are in
``docs/datasets.md`` section 1 and the manifest ``emopipe/io/manifests/deap.yaml``;
what generic code needs to know about DEAP (rates, sources, label scale and
binarisation, the BioSemi EXG electrode layout) is declared on :class:`DEAP`.
The ratings CSV is read by :mod:`emopipe.io._deap_ratings`, the face videos
are attached by :mod:`emopipe.io._deap_face`.

Every reader returns a :class:`emopipe.io._types.SubjectRecording` with the
modalities ``eeg`` (32 channels, Geneva order, V), ``eog`` (hEOG, vEOG; V),
``emg`` (zEMG, tEMG; V), ``gsr`` (GSR; ohm, a resistance, as the files hold
it), ``resp`` and ``ppg`` (a.u.) and ``temp`` (degC, unit not documented by
DEAP), trials in video order (``trial_ids`` = ``Experiment_id``, 1-based) and
a 3-s pre-stimulus baseline at the start of every trial.

When ``root/face_video/<subject>/`` exists (DEAP ships frontal face video
for s01-s22), :meth:`DEAP.read_subject` adds a ``face`` modality read
lazily, one :class:`emopipe.io._video._LazyVideo` per trial (see
:func:`emopipe.io._deap_face._attach_face`).

The ``.dat`` files are pickles and are read only through the restricted
unpickler of :mod:`emopipe.io._pickle`.
"""

import functools
import logging
import os
import re
from pathlib import Path

import numpy as np

from ..utils._checks import _check_option, _check_positive, _check_type
from ..utils._errors import ConfigError, DataFileError, EmopipeError
from ..utils._logging import verbose as _verbose
from ._bdf import VOLT_UNITS, _read_bdf_header
from ._dataset import Dataset
from ._files import _read_mat
# FACE_FILE and RATINGS_HEADER are DEAP layout facts imported from here by the synthetic writer
from ._deap_face import FACE_FILE, FACE_FOLDER, _attach_face, _check_face  # noqa: F401
from ._deap_ratings import (  # noqa: F401
    RATING_SCALE,
    RATINGS_FILE,
    RATINGS_HEADER,
    _subject_ratings,
    read_participant_ratings,
)
from ._manifest import load_manifest
from ._mne import eog_role
from ._pickle import _check_pickled_dict, load_pickle
from ._registry import DATASETS
from ._types import Modality, SubjectRecording

logger = logging.getLogger("emopipe.io.deap")

SFREQ = 128.0
RAW_SFREQ = 512.0
BASELINE = 3.0
STIMULUS = 60.0
N_TIMES = 8064
N_CHANNELS = 40
LABEL_NAMES = ("valence", "arousal", "dominance", "liking")
VIDEO_CODE = 4
STATUS_MASK = 0xFF

GENEVA_ORDER = [
    "Fp1", "AF3", "F3", "F7", "FC5", "FC1", "C3", "T7", "CP5", "CP1", "P3", "P7", "PO3",
    "O1", "Oz", "Pz", "Fp2", "AF4", "Fz", "F4", "F8", "FC6", "FC2", "Cz", "C4", "T8", "CP6",
    "CP2", "P4", "P8", "PO4", "O2",
]
TWENTE_ORDER = [
    "Fp1", "AF3", "F7", "F3", "FC1", "FC5", "T7", "C3", "CP1", "CP5", "P7", "P3", "Pz",
    "PO3", "O1", "Oz", "O2", "PO4", "P4", "P8", "CP6", "CP2", "C4", "T8", "FC6", "FC2", "F4",
    "F8", "AF4", "Fp2", "Fz", "Cz",
]
PREPROCESSED_CHANNELS = GENEVA_ORDER + [
    "hEOG", "vEOG", "zEMG", "tEMG", "GSR", "Resp", "Plet", "Temp",
]
RAW_AUX_LABELS = [
    "EXG1", "EXG2", "EXG3", "EXG4", "EXG5", "EXG6", "EXG7", "EXG8", "GSR1", "GSR2", "Erg1",
    "Erg2", "Resp", "Plet", "Temp", "Status",
]
SOURCES = ("auto", "preprocessed_python", "preprocessed_matlab", "raw")
_SOURCE_PATTERNS = {
    "preprocessed_python": ("data_preprocessed_python", ".dat"),
    "preprocessed_matlab": ("data_preprocessed_matlab", ".mat"),
    "raw": ("data_original", ".bdf"),
}

# modality, channel slice in the 40-channel layout, SI unit, unit in the
# preprocessed files, factor file unit -> SI
_LAYOUT = [
    ("eeg", slice(0, 32), "V", "uV", 1e-6),
    ("eog", slice(32, 34), "V", "uV", 1e-6),
    ("emg", slice(34, 36), "V", "uV", 1e-6),
    ("gsr", slice(36, 37), "ohm", "ohm", 1.0),
    ("resp", slice(37, 38), "a.u.", "a.u.", 1.0),
    ("ppg", slice(38, 39), "a.u.", "a.u.", 1.0),
    ("temp", slice(39, 40), "degC", "degC", 1.0),
]
_PREPROC_HINT = "Is this a DEAP preprocessed file?"


@functools.lru_cache(maxsize=1)
def _manifest():
    return load_manifest("deap")


def _site(subject):
    """``"twente"`` for s01-s22, ``"geneva"`` for s23-s32 (DEAP readme)."""
    try:
        num = int(str(subject).lstrip("s"))
    except ValueError:
        return "unknown"
    return "twente" if num <= 22 else "geneva"


# --------------------------------------------------------------------------
# shared checks and container building
# --------------------------------------------------------------------------
def _check_trials(name, data, ch_names, trial_ids):
    """Raise ValueError naming file, trial and channel on NaN or flat channels.

    Parameters
    ----------
    name : str
        File name for messages.
    data : ndarray, shape (n_trials, n_channels, n_times)
        Signals to check.
    ch_names : list of str
        Channel names in ``data`` order.
    trial_ids : ndarray, shape (n_trials,)
        ``Experiment_id`` of each trial.
    """
    finite = np.isfinite(data)
    if not finite.all():
        bad = ~finite
        t, c = (int(i) for i in np.argwhere(bad.any(axis=-1))[0])
        n_bad = int(bad[t, c].sum())
        raise DataFileError(
            f"{name}: trial {t + 1} (Experiment_id {int(trial_ids[t])}), channel "
            f"{ch_names[c]!r} (index {c}) contains {n_bad} NaN or infinite samples of "
            f"{data.shape[-1]}. Re-download the file or drop the trial."
        )
    flat = data.max(axis=-1) == data.min(axis=-1)
    if flat.any():
        t, c = (int(i) for i in np.argwhere(flat)[0])
        raise DataFileError(
            f"{name}: trial {t + 1} (Experiment_id {int(trial_ids[t])}), channel "
            f"{ch_names[c]!r} (index {c}) is flat (constant {float(data[t, c, 0])!r} for all "
            f"{data.shape[-1]} samples): a disconnected sensor or a corrupt file."
        )


#: plausible skin resistance, ohm: 1 kohm - 1 Gohm, the conductance range 0.001 uS - 1 mS
#: that the GSR extractor accepts (:data:`emopipe.features.gsr.PLAUSIBLE_CONDUCTANCE`)
GSR_PLAUSIBLE_OHM = (1e3, 1e9)


#: largest |voltage| an EEG/EOG/EMG sample may hold, V (a BioSemi ActiveTwo records +-0.262 V)
EXG_LIMIT_V = 1.0


def _check_amplitude(name, data, trial_ids, volt):
    """Raise DataFileError naming file, trial and channel on an EEG/EOG/EMG sample past 1 V.

    Parameters
    ----------
    name : str
        File name for messages.
    data : ndarray, shape (n_trials, n_channels, n_times)
        The 40-channel layout (only channels 1-36, EEG, EOG and EMG, are checked).
    trial_ids : ndarray, shape (n_trials,)
        ``Experiment_id`` (or presentation position) of each trial.
    volt : float
        Size of the data's unit in V (1e-6 for uV).
    """
    peak = np.abs(data[:, :36]).max(axis=-1)  # (n_trials, 36)
    bad = peak > EXG_LIMIT_V / volt
    if bad.any():
        t, c = (int(i) for i in np.argwhere(bad)[0])
        raise DataFileError(
            f"{name}: trial {t + 1} (Experiment_id {int(trial_ids[t])}), channel "
            f"{PREPROCESSED_CHANNELS[c]!r} (index {c}) reaches {float(peak[t, c]) * volt:.3g} V; "
            f"no EEG, EOG or EMG amplifier records more than {EXG_LIMIT_V:g} V. The file (or "
            f"its header's physical range) is corrupt."
        )


def _check_labels(name, labels, trial_ids):
    """Raise DataFileError naming file, trial and label on NaN, Inf or off-scale ratings.

    Parameters
    ----------
    name : str
        File name for messages.
    labels : ndarray, shape (n_trials, 4)
        Valence, arousal, dominance, liking.
    trial_ids : ndarray, shape (n_trials,)
        ``Experiment_id`` of each trial.
    """
    lo, hi = RATING_SCALE
    bad = ~np.isfinite(labels) | (labels < lo) | (labels > hi)
    if bad.any():
        t, k = (int(i) for i in np.argwhere(bad)[0])
        raise DataFileError(
            f"{name}: trial {t + 1} (Experiment_id {int(trial_ids[t])}) has "
            f"{LABEL_NAMES[k]} = {float(labels[t, k])!r}, outside DEAP's rating scale "
            f"{lo:g}-{hi:g} ({int(bad.sum())} such value(s) in key 'labels'). The file is "
            f"corrupt; re-download it."
        )


def _check_gsr(name, gsr, trial_ids, unit):
    """Raise DataFileError naming file and trial on a GSR resistance no skin can have.

    Parameters
    ----------
    name : str
        File name for messages.
    gsr : ndarray, shape (n_trials, 1, n_times)
        GSR channel as read (finite; checked by :func:`_check_trials`).
    trial_ids : ndarray, shape (n_trials,)
        ``Experiment_id`` (or presentation position) of each trial.
    unit : str
        Unit of ``gsr``; only ``"ohm"`` is checked (other units are a.u.).
    """
    if unit.lower() != "ohm":
        return
    lo, hi = GSR_PLAUSIBLE_OHM
    for t in range(gsr.shape[0]):
        x = gsr[t]
        n_bad = int(np.count_nonzero(x <= 0))
        if n_bad:
            raise DataFileError(
                f"{name}: trial {t + 1} (Experiment_id {int(trial_ids[t])}), channel 'GSR' "
                f"holds {n_bad} resistance value(s) <= 0 ohm (min {float(x.min()):.3g}); a "
                f"skin resistance is positive. The file is corrupt or its GSR is not in ohm."
            )
        g = float(np.median(1.0 / x))  # as the GSR extractor converts it
        if not 1.0 / hi <= g <= 1.0 / lo:
            raise DataFileError(
                f"{name}: trial {t + 1} (Experiment_id {int(trial_ids[t])}), channel 'GSR' "
                f"has a median skin conductance of {g:.3g} S (resistance about {1 / g:.3g} "
                f"ohm), outside the physically plausible {1 / hi:g}-{1 / lo:g} S "
                f"({lo:g}-{hi:g} ohm). The file is corrupt or its GSR is not in ohm."
            )


def _build_recording(subject, data, labels, trial_ids, sfreq, *, units, sources, info):
    """Split the 40-channel layout into typed modalities (data already in SI units)."""
    modalities = {}
    for (mod, sl, si_unit, _, _), (src_unit, unit) in zip(_LAYOUT, units):
        modalities[mod] = Modality(
            data=np.ascontiguousarray(data[:, sl]),
            sfreq=float(sfreq),
            ch_names=PREPROCESSED_CHANNELS[sl],
            unit=unit,
            source_unit=src_unit,
        )
    return SubjectRecording(
        dataset="deap",
        subject=subject,
        modalities=modalities,
        labels=labels,
        trial_ids=np.asarray(trial_ids, dtype=np.int64),
        baseline=BASELINE,
        sessions=None,
        sources=[str(Path(s).resolve()) for s in sources],
        info=info,
        missing={},
    )


def _from_preprocessed_arrays(fname, data, labels, *, ratings):
    """Checks shared by the Python and MATLAB preprocessed readers."""
    name = Path(fname).name
    subject = Path(fname).stem
    man = _manifest()["preprocessed"]
    n_ch, n_times = len(man["channels"]), int(man["n_times"])
    sfreq = float(man["sfreq"])
    if data.dtype.kind != "f":
        raise DataFileError(
            f"{name}: key 'data' has dtype {data.dtype}, expected a floating dtype "
            f"(float64). {_PREPROC_HINT}"
        )
    if data.ndim != 3 or data.shape[1] != n_ch:
        raise DataFileError(
            f"{name}: key 'data' has shape {data.shape}, expected (n_trials, {n_ch}, "
            f"{n_times}) (trial, channel, sample). {_PREPROC_HINT}"
        )
    if data.shape[2] != n_times:
        raise DataFileError(
            f"{name}: key 'data' has {data.shape[2]} samples per trial, expected "
            f"{n_times} (63 s at the manifest's {sfreq:g} Hz): sampling-rate mismatch "
            f"or a truncated trial. {_PREPROC_HINT}"
        )
    if labels.dtype.kind not in "fiu":
        raise DataFileError(
            f"{name}: key 'labels' has dtype {labels.dtype}, expected float64. {_PREPROC_HINT}"
        )
    names = ", ".join(LABEL_NAMES)
    if labels.ndim != 2 or labels.shape[1] != 4:
        raise DataFileError(
            f"{name}: key 'labels' has shape {labels.shape}, expected (n_trials, 4) "
            f"({names}). {_PREPROC_HINT}"
        )
    if labels.shape[0] != data.shape[0]:
        raise DataFileError(
            f"{name}: key 'labels' has shape {labels.shape}, expected (n_trials, 4) with "
            f"n_trials = {data.shape[0]} as in key 'data'. {_PREPROC_HINT}"
        )
    n_trials = data.shape[0]
    if n_trials == 0:
        raise DataFileError(
            f"{name}: key 'data' holds 0 trials (shape {data.shape}); a DEAP subject has "
            f"{int(_manifest()['n_trials'])}. The file is truncated or corrupt; re-download it."
        )
    trial_ids = np.arange(1, n_trials + 1)
    _check_trials(name, data, PREPROCESSED_CHANNELS, trial_ids)
    _check_amplitude(name, data, trial_ids, 1e-6)  # the files hold uV
    _check_gsr(name, data[:, 36:37], trial_ids, "ohm")
    _check_labels(name, np.asarray(labels, dtype=np.float64), trial_ids)
    lab = {k: np.asarray(labels[:, i], dtype=np.float64) for i, k in enumerate(LABEL_NAMES)}
    info = {"site": _site(subject), "trial_order": "video", "format": "preprocessed"}
    sub = _subject_ratings(ratings, subject)
    if sub is not None:
        pos = {int(e): i for i, e in enumerate(sub["experiment_id"])}
        missing = [int(e) for e in trial_ids if int(e) not in pos]
        if missing:
            raise DataFileError(
                f"{RATINGS_FILE} has no row for {subject} with Experiment_id {missing}, "
                f"which {name} holds. Restore the rows, or remove the CSV to read {name} "
                f"without it."
            )
        idx = np.array([pos[int(e)] for e in trial_ids])
        info["presentation_trial"] = np.asarray(sub["trial"])[idx]
        info["familiarity"] = np.asarray(sub["familiarity"])[idx]
        diff = max(float(np.max(np.abs(np.asarray(sub[k])[idx] - lab[k]))) for k in LABEL_NAMES)
        if diff > 0.01:
            logger.warning("%s: labels differ from participant_ratings.csv by up to %.2f", name,
                           diff)
    data = np.asarray(data, dtype=np.float64)
    si = np.empty_like(data)
    units = []
    for mod, sl, si_unit, src_unit, factor in _LAYOUT:
        np.multiply(data[:, sl], factor, out=si[:, sl])
        units.append((src_unit, si_unit))
    logger.info("%s: %d trials x %d channels x %d samples at %g Hz", name, n_trials, n_ch,
                n_times, sfreq)
    return _build_recording(subject, si, lab, trial_ids, sfreq, units=units,
                            sources=[fname], info=info)


# --------------------------------------------------------------------------
# preprocessed readers
# --------------------------------------------------------------------------
@_verbose
def read_deap_preprocessed(fname, *, ratings=None, verbose=None):
    """Read one ``data_preprocessed_python/sXX.dat`` file.

    The file is a Python 2 pickle read through the restricted unpickler
    (:func:`emopipe.io._pickle.load_pickle`); no code in it can run.

    Parameters
    ----------
    fname : path-like
        The ``sXX.dat`` file.
    ratings : dict | path-like | None
        Output of :func:`read_participant_ratings` (or the CSV path). When
        given, ``info["presentation_trial"]`` and ``info["familiarity"]`` are
        filled and the labels are cross-checked against the CSV.
    verbose : bool | str | int | None
        Log level for this call.

    Returns
    -------
    recording : SubjectRecording
        Modalities ``eeg``, ``eog``, ``emg``, ``gsr``, ``resp``, ``ppg``,
        ``temp``; each ``data`` has shape (n_trials, n_channels, 8064) at
        128 Hz, trials in video order, 3-s baseline first. EEG, EOG and EMG
        are converted from uV to V; GSR stays in ohm.
    """
    _check_type("fname", fname, ("path-like",))
    name = Path(fname).name
    obj = load_pickle(fname, name=name)
    obj = _check_pickled_dict(obj, name, ["data", "labels"], hint=_PREPROC_HINT)
    return _from_preprocessed_arrays(fname, obj["data"], np.asarray(obj["labels"]),
                                     ratings=ratings)


@_verbose
def read_deap_matlab(fname, *, ratings=None, verbose=None):
    """Read one ``data_preprocessed_matlab/sXX.mat`` file.

    Parameters
    ----------
    fname : path-like
        The ``sXX.mat`` file (MAT v5 with variables ``data`` and ``labels``).
    ratings : dict | path-like | None
        As in :func:`read_deap_preprocessed`.
    verbose : bool | str | int | None
        Log level for this call.

    Returns
    -------
    recording : SubjectRecording
        As :func:`read_deap_preprocessed` returns it.
    """
    _check_type("fname", fname, ("path-like",))
    name = Path(fname).name
    mat = _read_mat(fname, what="DEAP MATLAB file", shown=name)
    keys = sorted(k for k in mat if not k.startswith("__"))
    for key in ("data", "labels"):
        if key not in mat:
            raise DataFileError(
                f"{name}: missing variable {key!r}; found {keys}, expected ['data', "
                f"'labels']. {_PREPROC_HINT}"
            )
    return _from_preprocessed_arrays(fname, np.asarray(mat["data"]),
                                     np.asarray(mat["labels"]), ratings=ratings)



# --------------------------------------------------------------------------
# labels
# --------------------------------------------------------------------------
def binarize_labels(ratings, threshold=5.0):
    """Binarise 1-9 ratings: ``rating > threshold`` is class 1, else 0.

    A rating equal to the threshold (5.0, the scale midpoint) is class 0,
    as in the DEAP paper's high/low split.

    Parameters
    ----------
    ratings : ndarray | dict of str -> ndarray
        Ratings of shape (n_trials,) (or any shape), or a mapping of them.
    threshold : float
        Split point on the rating scale.

    Returns
    -------
    classes : ndarray of int64 | dict of str -> ndarray of int64
        Same shape (or keys) as ``ratings``.
    """
    _check_type("threshold", threshold, ("numeric",))
    if isinstance(ratings, dict):
        return {k: binarize_labels(v, threshold) for k, v in ratings.items()}
    arr = np.asarray(ratings, dtype=np.float64)
    return (arr > threshold).astype(np.int64)



# --------------------------------------------------------------------------
# raw BDF
# --------------------------------------------------------------------------
def _check_raw_header(fname, hdr):
    name = Path(fname).name
    man = _manifest()["raw"]
    if hdr["n_channels"] != int(man["n_channels"]):
        raise DataFileError(
            f"{name}: has {hdr['n_channels']} channels, expected {man['n_channels']} "
            f"(32 EEG, EXG1-8, GSR1, GSR2, Erg1, Erg2, Resp, Plet, Temp, Status). Is this a "
            f"DEAP raw file?"
        )
    rates = set(hdr["sfreq"])
    if rates != {float(man["sfreq"])}:
        raise DataFileError(
            f"{name}: sampling rate {sorted(rates)} Hz differs from the DEAP manifest "
            f"({float(man['sfreq']):g} Hz for every channel). Is this a DEAP raw file?"
        )
    eeg = hdr["labels"][:32]
    unknown = [c for c in eeg if c not in GENEVA_ORDER]
    if unknown or len(set(eeg)) != 32:
        missing = [c for c in GENEVA_ORDER if c not in eeg]
        raise DataFileError(
            f"{name}: channels 1-32 must be DEAP's 32 EEG channels; unknown {unknown}, "
            f"missing {missing}."
        )


def _resample(data, sfreq, new_sfreq):
    from fractions import Fraction

    from scipy.signal import resample_poly

    frac = Fraction(new_sfreq / sfreq).limit_denominator(1000)
    if frac == 1:
        return data
    return resample_poly(data, frac.numerator, frac.denominator, axis=-1)


@_verbose
def read_deap_raw(fname, *, sfreq=128.0, ratings=None, verbose=None):
    """Read one raw ``data_original/sXX.bdf`` file and cut it into trials.

    Channel types are set by position (``docs/datasets.md`` 1.2): EXG1-4 are EOG
    (``hEOG = EXG1 - EXG2``, ``vEOG = EXG3 - EXG4``), EXG5-8 EMG
    (``zEMG = EXG5 - EXG6``, ``tEMG = EXG7 - EXG8``), then GSR1, Resp, Plet,
    Temp; channel 48 is the trigger channel whatever its label, masked with
    ``& 0xFF``. EEG is reordered by name to the Geneva order, so Twente
    (BioSemi default order) and Geneva files give the same layout. Each
    Status code 4 (60-s music video) starts a trial; the 3 s before it are
    kept as baseline, so trials match the preprocessed layout.

    Parameters
    ----------
    fname : path-like
        The ``sXX.bdf`` file.
    sfreq : float
        Output sampling rate in Hz (polyphase resampling from 512 Hz).
    ratings : dict | path-like | None
        Output of :func:`read_participant_ratings` (or the CSV path). The
        Status sequence is presentation order; with ratings, trials are
        mapped to ``Experiment_id`` and sorted into video order, and labels
        are attached. Without, trials stay in presentation order, ``labels``
        is empty and a warning is logged.
    verbose : bool | str | int | None
        Log level for this call.

    Returns
    -------
    recording : SubjectRecording
        Each modality ``data`` has shape (n_trials, n_channels,
        round(63 * sfreq)); EEG, EOG and EMG in V.
    """
    import mne

    _check_type("fname", fname, ("path-like",))
    _check_positive("sfreq", sfreq)
    name = Path(fname).name
    subject = Path(fname).stem
    hdr = _read_bdf_header(fname)
    _check_raw_header(fname, hdr)
    raw_sfreq = hdr["sfreq"][0]
    labels, dims = hdr["labels"], hdr["dims"]
    for idx in range(40):
        if dims[idx].lower() not in VOLT_UNITS:
            raise DataFileError(
                f"{name}: channel {idx + 1} ({labels[idx]!r}) has unit {dims[idx]!r}, "
                f"expected a voltage (uV) for EEG and EXG channels."
            )
    if dims[40].lower() != "ohm":
        logger.warning("%s: GSR1 has unit %r, not 'Ohm'; returned as 'a.u.'", name, dims[40])
    try:
        raw = mne.io.read_raw_bdf(fname, preload=True, stim_channel=47, infer_types=False,
                                  verbose="error")
    except Exception as exc:
        raise DataFileError(f"{name}: MNE could not read the BDF file ({type(exc).__name__}: "
                            f"{str(exc)[:160]}).") from exc
    x = raw.get_data()  # (48, n_times); volts for uV/mV channels, file units otherwise
    status = np.rint(x[47]).astype(np.int64) & STATUS_MASK
    change = np.flatnonzero((status != 0) & (np.diff(status, prepend=0) != 0))
    codes = status[change]
    onsets = change[codes == VIDEO_CODE]
    if onsets.size == 0:
        found = sorted(set(codes.tolist()))
        raise DataFileError(
            f"{name}: no music-video onsets (Status code {VIDEO_CODE} after & 0xFF) in channel "
            f"48 ({labels[47] or 'unlabelled'!r}); found codes {found}. Is this a DEAP raw file?"
        )
    eeg_order = labels[:32]
    if eeg_order == GENEVA_ORDER:
        order_name = "geneva"
    elif eeg_order == TWENTE_ORDER:
        order_name = "twente"
    else:
        order_name = "other"
    pick = [eeg_order.index(ch) for ch in GENEVA_ORDER]
    gsr_dim, temp_dim = dims[40], dims[46]
    sig = np.concatenate([
        x[pick],
        x[[32, 34, 36, 38]] - x[[33, 35, 37, 39]],
        x[[40, 44, 45, 46]],
    ])  # (40, n_times) in the preprocessed layout
    sig = _resample(sig, raw_sfreq, float(sfreq))
    n_base, n_stim = round(BASELINE * sfreq), round(STIMULUS * sfreq)
    starts = np.rint(onsets * (sfreq / raw_sfreq)).astype(np.int64)
    for k, s in enumerate(starts):
        if s - n_base < 0 or s + n_stim > sig.shape[-1]:
            raise DataFileError(
                f"{name}: trial {k + 1} (video onset at {onsets[k] / raw_sfreq:.1f} s) needs "
                f"{BASELINE:g} s before and {STIMULUS:g} s after the onset, but the recording "
                f"spans {x.shape[-1] / raw_sfreq:.1f} s. The file may be truncated."
            )
    idx = starts[:, None] + np.arange(-n_base, n_stim)[None, :]
    trials = np.moveaxis(sig[:, idx], 1, 0)  # (n_trials, 40, n_times)
    n_trials = trials.shape[0]
    presentation = np.arange(1, n_trials + 1)
    sub = _subject_ratings(ratings, subject)
    info = {"site": _site(subject), "eeg_order_in_file": order_name, "format": "raw",
            "raw_sfreq": raw_sfreq, "video_onsets": onsets / raw_sfreq,
            "status_label": labels[47]}
    if sub is not None:
        by_trial = {int(t): i for i, t in enumerate(sub["trial"])}
        missing = [int(p) for p in presentation if int(p) not in by_trial]
        if missing:
            raise DataFileError(
                f"{RATINGS_FILE} has no row for {subject} with Trial {missing}, which {name} "
                f"holds (video onsets in the Status channel). Restore the rows, or remove the "
                f"CSV to read {name} in presentation order without labels."
            )
        rows = np.array([by_trial[int(p)] for p in presentation])
        exp_ids = np.asarray(sub["experiment_id"])[rows]
        order = np.argsort(exp_ids, kind="stable")
        trials, rows, presentation = trials[order], rows[order], presentation[order]
        trial_ids = exp_ids[order]
        lab = {k: np.asarray(sub[k], dtype=np.float64)[rows] for k in LABEL_NAMES}
        info["trial_order"] = "video"
        info["familiarity"] = np.asarray(sub["familiarity"])[rows]
    else:
        logger.warning(
            "%s: no participant_ratings given; trials stay in presentation order "
            "(trial_ids are presentation positions, not Experiment_id) and have no labels",
            name,
        )
        trial_ids = presentation
        lab = {}
        info["trial_order"] = "presentation"
    info["presentation_trial"] = presentation
    _check_trials(name, trials, PREPROCESSED_CHANNELS, trial_ids)
    _check_amplitude(name, trials, trial_ids, 1.0)  # MNE returns V
    _check_gsr(name, trials[:, 36:37], trial_ids, gsr_dim)
    src = {"eeg": dims[0], "eog": dims[32], "emg": dims[36], "gsr": gsr_dim,
           "resp": dims[44], "ppg": dims[45], "temp": temp_dim}
    units = []
    for mod, _, si_unit, _, _ in _LAYOUT:
        if mod == "gsr":
            si_unit = "ohm" if gsr_dim.lower() == "ohm" else "a.u."
        elif mod == "temp":
            si_unit = "degC" if temp_dim.lower() in ("degc", "°c", "c") else "a.u."
        units.append((src[mod] or "a.u.", si_unit))
    logger.info("%s: %d trials cut at Status code %d, %s EEG order, %g -> %g Hz", name,
                n_trials, VIDEO_CODE, order_name, raw_sfreq, sfreq)
    return _build_recording(subject, trials, lab, trial_ids, sfreq, units=units,
                            sources=[fname], info=info)


# --------------------------------------------------------------------------
# dataset class
# --------------------------------------------------------------------------
def _file(root, source, subject):
    folder, ext = _SOURCE_PATTERNS[source]
    return Path(root) / folder / f"{subject}{ext}"


def _found(root):
    """Subject -> list of sources present under ``root`` (any entry named ``sXX.<ext>``).

    Folders, FIFOs and devices with a subject's name are listed too, so that
    reading or checking them says what they are instead of skipping them.
    """
    out = {}
    for source, (folder, ext) in _SOURCE_PATTERNS.items():
        d = Path(root) / folder
        if not d.is_dir():
            continue
        for p in sorted(d.glob(f"s[0-9][0-9]{ext}")):
            out.setdefault(p.stem, []).append(source)
    return out


def _misnamed(root):
    """Entries of the source folders that look like subject files but miss ``sXX.<ext>``.

    E.g. ``S01.dat``, ``s1.dat``, ``s01.DAT``: DEAP names its files with a
    lower-case ``s``, two digits and a lower-case extension; anything else is
    ignored by the readers, so it is reported.

    Returns
    -------
    misnamed : list of str
        ``"<folder>/<name>"`` with the expected pattern, sorted.
    """
    out = []
    for folder, ext in _SOURCE_PATTERNS.values():
        d = Path(root) / folder
        if not d.is_dir():
            continue
        pattern = re.compile(rf"s\d+{re.escape(ext)}", re.IGNORECASE)
        exact = re.compile(rf"s\d\d{re.escape(ext)}")
        for p in sorted(d.iterdir()):
            if pattern.fullmatch(p.name) and not exact.fullmatch(p.name):
                out.append(f"{folder}/{p.name} (expected s01{ext} ... s32{ext}: a lower-case "
                           f"'s', two digits, '{ext}')")
    return out


def _warn_misnamed(root):
    misnamed = _misnamed(root)
    if misnamed:
        logger.warning("%d file(s) under %s are not named like DEAP subject files and are "
                       "ignored: %s", len(misnamed), root, "; ".join(misnamed))
    return misnamed


def _empty_root_message(root):
    return (
        f"no DEAP files found under {str(root)!r}; expected data_preprocessed_python/s01.dat "
        f"... s32.dat, data_preprocessed_matlab/sXX.mat or data_original/sXX.bdf"
    )


def _ratings(root, subject):
    """The checked ratings CSV under ``root``; None when absent or lacking ``subject``."""
    path = Path(root) / RATINGS_FILE
    if not os.path.lexists(path):
        return None
    ratings = read_participant_ratings(path)
    return ratings if subject in ratings else None


def _read_source(root, subject, source, ratings, *, sfreq=SFREQ, verbose=None):
    """Read one subject from one source with every check; the same call for read and check."""
    fname = _file(root, source, subject)
    if source == "preprocessed_python":
        return read_deap_preprocessed(fname, ratings=ratings, verbose=verbose)
    if source == "preprocessed_matlab":
        return read_deap_matlab(fname, ratings=ratings, verbose=verbose)
    return read_deap_raw(fname, sfreq=sfreq, ratings=ratings, verbose=verbose)


@DATASETS.register("deap")
class DEAP(Dataset):
    """The DEAP dataset laid out as the authors ship it.

    Folders under ``root``: ``data_preprocessed_python/sXX.dat``,
    ``data_preprocessed_matlab/sXX.mat``, ``data_original/sXX.bdf``,
    ``metadata_csv/participant_ratings.csv``, ``face_video/sXX/sXX_trialYY.avi``
    (s01-s22). Any subset may be present.
    Methods work on the class or on an instance.

    The facts generic code reads (see :class:`emopipe.io._dataset.Dataset`):
    ``sfreq`` 128 Hz (the preprocessed files; raw BDF is resampled to it),
    ``sources`` ``"auto"``, ``"preprocessed_python"``,
    ``"preprocessed_matlab"``, ``"raw"``, ``label_names`` valence, arousal,
    dominance, liking on ``label_scale`` 1-9, binarised by default at
    ``default_threshold`` 5 (a rating above 5 is class 1, 5 itself class 0,
    as in the DEAP paper), ``default_modalities`` EEG, EOG and GSR, and
    :meth:`exg_layout` from the manifest.
    """

    name = "deap"
    title = "DEAP"
    sfreq = SFREQ
    sources = SOURCES
    label_names = LABEL_NAMES
    label_scale = RATING_SCALE
    default_threshold = 5.0
    default_modalities = ("eeg", "eog", "gsr")
    montage = "standard_1020"

    @classmethod
    def label_classes(cls, ratings, threshold=None):
        """High (1) / low (0) class of 1-9 ratings, see :func:`binarize_labels`.

        Parameters
        ----------
        ratings : ndarray, shape (n_trials,)
            Ratings on 1-9.
        threshold : float | None
            A rating above it is class 1; ``None`` means 5.0.

        Returns
        -------
        classes : ndarray of int64, shape (n_trials,)
            The class of each trial.
        """
        return binarize_labels(ratings, cls.default_threshold if threshold is None else threshold)

    @classmethod
    def exg_layout(cls):
        """DEAP's BioSemi ``EXG1``-``EXG8`` electrodes, from the manifest (``raw.aux_channels``).

        EXG1/EXG2 left/right of the eyes (``hEOG1``/``hEOG2``: roles ``"h+"``,
        ``"h-"``), EXG3/EXG4 above/below the right eye (``vEOG1``/``vEOG2``:
        ``"v+"``, ``"v-"``), EXG5-EXG8 the zygomaticus and trapezius EMG
        (``docs/datasets.md`` section 1.2).

        Returns
        -------
        layout : dict of str -> tuple of (str, str | None)
            ``"exg1"`` ... ``"exg8"`` -> ``(channel type, EOG role)``.
        """
        return {
            label.lower(): (typ, eog_role(name) if typ == "eog" else None)
            for label, typ, name in _manifest()["raw"]["aux_channels"]
            if label.lower().startswith("exg")
        }

    @classmethod
    def subjects(cls, root):
        """Sorted ids of the subjects with at least one file under ``root``.

        Parameters
        ----------
        root : path-like
            Folder of the DEAP download.

        Returns
        -------
        subjects : list of str
            E.g. ``["s01", "s02"]``; empty when no DEAP file is found.
        """
        root = cls._root(root)
        _warn_misnamed(root)
        return sorted(_found(root))

    @classmethod
    def read_subject(cls, root, subject, *, source="auto", sfreq=SFREQ, modalities=None,
                     verbose=None):
        """Read one subject.

        Parameters
        ----------
        root : path-like
            Folder of the DEAP download.
        subject : str
            Subject id, ``"s01"`` ... ``"s32"``.
        source : str
            ``"preprocessed_python"``, ``"preprocessed_matlab"``, ``"raw"``,
            or ``"auto"`` (the first of these present).
        sfreq : float
            Output rate in Hz. The preprocessed files are at 128 Hz; other
            rates need ``source="raw"``.
        modalities : list of str | None
            Modalities wanted; ``None`` means all. The face videos are opened
            (and listed in ``sources``, so checksummed into the cache) only
            when ``"face"`` is wanted.
        verbose : bool | str | int | None
            Log level for this call.

        Returns
        -------
        recording : SubjectRecording
            See :func:`read_deap_preprocessed` and :func:`read_deap_raw`.
            When ``root/face_video/<subject>/`` holds the subject's trial
            videos, also a ``face`` modality: ``data[t]`` is trial ``t``'s
            video, decoded lazily as grey uint8 frames (n_frames, height,
            width), ``sfreq`` the frame rate from the files, ``dims``
            ``("trial", "time", "height", "width")``, the videos listed in
            ``sources``. Otherwise ``missing["face"]`` says why (see
            :func:`emopipe.io._deap_face._attach_face` for the assumed file naming
            and timing).
        """
        _check_type("root", root, ("path-like",))
        _check_type("subject", subject, (str,))
        _check_option("source", source, SOURCES)
        _check_positive("sfreq", sfreq)
        root = Path(root)
        found = _found(root) if root.is_dir() else {}
        if not found:
            raise FileNotFoundError(_empty_root_message(root))
        if subject not in found:
            raise FileNotFoundError(
                f"Subject {subject!r} not found under {str(root)!r}: no "
                f"data_preprocessed_python/{subject}.dat, data_preprocessed_matlab/"
                f"{subject}.mat or data_original/{subject}.bdf. Available subjects: "
                f"{', '.join(repr(s) for s in sorted(found))}."
            )
        if source == "auto":
            for cand in ("preprocessed_python", "preprocessed_matlab", "raw"):
                if cand in found[subject]:
                    source = cand
                    break
            if source != "raw" and float(sfreq) != SFREQ:
                if "raw" in found[subject]:
                    source = "raw"
        if source not in found[subject]:
            raise FileNotFoundError(
                f"Subject {subject!r} has no {source} file "
                f"{str(_file(root, source, subject))!r}; present sources: "
                f"{', '.join(repr(s) for s in found[subject])}."
            )
        if source != "raw" and float(sfreq) != SFREQ:
            raise ConfigError(
                f"sfreq = {sfreq!r} Hz is not available from source {source!r}: the DEAP "
                f"preprocessed files are at {SFREQ:g} Hz. Use sfreq={SFREQ:g} or "
                f"source='raw'."
            )
        rec = _read_source(root, subject, source, _ratings(root, subject), sfreq=sfreq,
                           verbose=verbose)
        if modalities is None or "face" in modalities:
            _attach_face(root, rec)
        return rec

    @classmethod
    def check(cls, root):
        """List what is missing or malformed under ``root``.

        Parameters
        ----------
        root : path-like
            Folder of the DEAP download.

        Returns
        -------
        problems : list of str
            One sentence per problem; entries starting with ``"info: "``
            (e.g. a subset of subjects present) are not fatal. Empty when
            complete and well-formed. Every file is read by the reader
            :meth:`read_subject` calls, with the same ratings, so every check
            ``extract`` makes on the input is made here (no feature is
            computed). Misnamed files (``S01.dat``, ``s1.dat``) are listed.
            Each ``face_video/sXX`` folder is checked for absent trial videos,
            for videos that cannot be opened, are empty, truncated or corrupt
            (every frame decoded) and for frame rates that differ.
        """
        problem = cls._root_problem(root)
        if problem is not None:
            return [problem]
        root = Path(root)
        found = _found(root)
        misnamed = [f"misnamed, so ignored: {m}" for m in _misnamed(root)]
        if not found:
            return [_empty_root_message(root)] + misnamed
        problems = []
        man = _manifest()
        absent = [s for s in man["subjects"] if s not in found]
        if absent:
            problems.append(
                f"info: {len(absent)} of {len(man['subjects'])} subjects in the manifest are "
                f"absent ({', '.join(absent)}); {len(found)} present"
            )
        extra = sorted(s for s in found if s not in man["subjects"])
        if extra:
            problems.append(f"files for subjects not in the manifest: {', '.join(extra)}")
        problems.extend(misnamed)
        ratings_path = root / RATINGS_FILE
        ratings, ratings_problems = None, []
        if os.path.lexists(ratings_path):
            try:
                ratings = read_participant_ratings(ratings_path)
            except (EmopipeError, OSError) as exc:  # report, do not stop
                ratings_problems.append(f"{RATINGS_FILE}: {exc}")
            else:
                lacking = [s for s in sorted(found) if s not in ratings]
                if lacking:
                    ratings_problems.append(f"{RATINGS_FILE} has no rows for "
                                            f"{', '.join(lacking)}")
        elif any("raw" in v for v in found.values()):
            ratings_problems.append(
                f"info: {RATINGS_FILE} is absent; raw trials will stay in presentation order "
                f"without labels"
            )
        for subject in sorted(found):
            sub_ratings = ratings if ratings is not None and subject in ratings else None
            for source in found[subject]:
                # the reader extract calls, with the same arguments: every check it makes
                fname = _file(root, source, subject)
                try:
                    _read_source(root, subject, source, sub_ratings)
                except (EmopipeError, OSError) as exc:  # report, do not stop
                    problems.append(f"{source}/{fname.name}: {exc}")
        problems.extend(ratings_problems)
        face_root = root / FACE_FOLDER
        if face_root.is_dir():
            for folder in sorted(p for p in face_root.iterdir() if p.is_dir()):
                problems.extend(_check_face(root, folder.name, ratings,
                                               n_trials=int(man["n_trials"])))
        return problems
