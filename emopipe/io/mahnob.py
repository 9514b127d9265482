"""MAHNOB-HCI (HCI-tagging): emotion sessions of BDF physiology, gaze, face video, ratings.

Layout (``docs/datasets.md`` section 5; manifest ``manifests/mahnob.yaml``)::

    Sessions/<id>/session.xml                          felt ratings (emotion sessions)
    Sessions/<id>/Part_<s>_S_Trial<k>_emotion.bdf      47 channels at 256 Hz
    Sessions/<id>/P<s>-Rec1-All-Data-New_Section_<section>.tsv   Tobii gaze, 60 Hz
    Sessions/<id>/P<s>-Rec1-<date>_C1 trigger _C_Section_<section>.avi  face video
    lable_continous_Mahnob.mat                         continuous valence at 4 Hz (V2E)

The session id encodes subject and section, ``id = (subject - 1) * 130 +
section`` (:func:`decode_session_id`); emotion sessions are the even
sections 2-40, trial ``k = section / 2``. One subject is one
:class:`~emopipe.io._types.SubjectRecording` whose trials are its emotion
sessions in section order; ``trial_ids`` are ``k``.

Each trial is cut from its BDF between the two rising edges of Status
(:func:`read_mahnob_bdf`), keeping the 30 s recorded before the first edge
as baseline (``SubjectRecording.baseline``; the 30 s after the second edge
are in ``info``). Rates, channel names and units come from the header.
Tagging sessions (no ``felt*`` attributes) are skipped and counted; an
emotion session without a BDF, or whose Status does not have exactly two
rising edges, is skipped and counted when the subject has others
(``on_bad_session="skip"``), a :class:`~emopipe.utils._errors.DataFileError`
otherwise. Eye (gaze) and face cover every trial of a subject or none
(``missing`` says why). The continuous valence traces become the label
``valence_continuous`` (window means of the 4-Hz trace, sample 0 at the
first Status edge; trials the file does not annotate get NaN).
"""

import functools
import logging
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ..utils._checks import _check_option, _check_positive, _check_type
from ..utils._errors import DataFileError, EmopipeError
from ._bdf import VOLT_UNITS, _read_bdf_header
from ._dataset import Dataset
from ._files import _check_regular_file, _read_mat
from ._mahnob_face import _TrialVideo, find_video
from ._mahnob_gaze import read_mahnob_gaze
from ._manifest import load_manifest
from ._registry import DATASETS
from ._types import LabelTrace, Modality, SubjectRecording

logger = logging.getLogger("emopipe.io.mahnob")

SFREQ = 256.0
#: s recorded before the first and after the second Status edge
MARGIN = 30.0
SECTIONS_PER_SUBJECT = 130
EMOTION_SECTIONS = tuple(range(2, 41, 2))
#: label name -> ``session.xml`` attribute
FELT = {"valence": "feltVlnc", "arousal": "feltArsl", "control": "feltCtrl",
        "predictability": "feltPred"}
LABEL_NAMES = tuple(FELT)
RATING_SCALE = (1.0, 9.0)
CONTINUOUS_FILE = "lable_continous_Mahnob.mat"
CONTINUOUS_LABEL = "valence_continuous"
CONTINUOUS_SFREQ = 4.0
STATUS_MASK = 0xFFFF
SESSIONS = "Sessions"
BDF_GLOB = "Part_*_Trial*_emotion.bdf"
GAZE_FILE = "P{subject}-Rec1-All-Data-New_Section_{section}.tsv"
SOURCES = ("auto", "bdf")


@functools.lru_cache(maxsize=1)
def _manifest():
    return load_manifest("mahnob")


def decode_session_id(session_id):
    """Subject and section of a session folder id.

    Parameters
    ----------
    session_id : int | str
        ``Sessions/<id>`` folder name, ``id = (subject - 1) * 130 + section``.

    Returns
    -------
    subject : int
        1-based participant.
    section : int
        1-130 (emotion sessions: even sections 2-40, trial ``section / 2``).
    """
    sid = int(session_id)
    if sid < 1:
        raise DataFileError(f"session id {session_id!r} must be >= 1 ((subject - 1) * "
                            f"{SECTIONS_PER_SUBJECT} + section).")
    return (sid - 1) // SECTIONS_PER_SUBJECT + 1, (sid - 1) % SECTIONS_PER_SUBJECT + 1


def read_session_xml(fname):
    """The attributes of one ``session.xml``.

    Parameters
    ----------
    fname : path-like
        ``Sessions/<id>/session.xml``.

    Returns
    -------
    session : dict
        ``session_id`` (int), ``subject`` (int, from ``<subject id=...>``),
        ``attrs`` (every root attribute, str), ``ratings`` (label name ->
        float on 1-9, or ``None`` for a tagging session, which has no
        ``felt*`` attributes) and ``emotion`` (``feltEmo`` code or ``None``).
    """
    fname = Path(fname)
    _check_regular_file(fname, what="MAHNOB session.xml")
    try:
        root = ET.parse(fname).getroot()
    except ET.ParseError as exc:
        raise DataFileError(
            f"{fname.parent.name}/{fname.name}: not readable XML ({exc}). A MAHNOB session.xml "
            f"is one <session ...> element with a <subject id=.../> child; re-download the "
            f"session.") from exc
    where = f"{fname.parent.name}/{fname.name}"
    if root.tag != "session":
        raise DataFileError(f"{where}: root element <{root.tag}>, expected <session>.")
    attrs = dict(root.attrib)
    sub = root.find("subject")
    if sub is None or "id" not in sub.attrib or "sessionId" not in attrs:
        raise DataFileError(f"{where}: needs the attribute sessionId and a <subject id=.../> "
                            f"child; found attributes {sorted(attrs)} and children "
                            f"{[c.tag for c in root]}.")
    try:
        session_id, subject = int(attrs["sessionId"]), int(sub.attrib["id"])
    except ValueError as exc:
        raise DataFileError(f"{where}: sessionId {attrs['sessionId']!r} and subject id "
                            f"{sub.attrib['id']!r} must be integers.") from exc
    present = [a for a in FELT.values() if a in attrs]
    ratings = emotion = None
    if present:
        absent = [a for a in list(FELT.values()) + ["feltEmo"] if a not in attrs]
        if absent:
            raise DataFileError(f"{where}: has {present} but lacks {absent}; an emotion session "
                                f"has every felt* attribute.")
        lo, hi = RATING_SCALE
        ratings = {}
        for name, att in FELT.items():
            try:
                v = float(attrs[att])
            except ValueError:
                v = np.nan
            if not lo <= v <= hi:
                raise DataFileError(f"{where}: {att}={attrs[att]!r}, expected a rating "
                                    f"{lo:g}-{hi:g}.")
            ratings[name] = v
        emotion = int(attrs["feltEmo"])
    return {"session_id": session_id, "subject": subject, "attrs": attrs, "ratings": ratings,
            "emotion": emotion}


def _status_edges(status):
    """Sample indices where the (masked) Status goes from 0 to non-zero."""
    on = (status & STATUS_MASK) != 0
    return np.flatnonzero(on[1:] & ~on[:-1]) + 1


def read_mahnob_bdf(fname, *, sfreq=None):
    """Read one emotion BDF and cut it between the two rising edges of Status.

    Parameters
    ----------
    fname : path-like
        ``Part_<s>_S_Trial<k>_emotion.bdf``.
    sfreq : float | None
        Output rate in Hz (polyphase resampling); ``None`` keeps the header's.

    Returns
    -------
    trial : dict
        ``signals`` modality -> ``(n_channels, n_times)`` from 30 s before
        the first edge to the second edge (``eeg``, ``ecg`` in V; ``gsr``
        in ohm when the header says Ohm; ``resp``, ``temp``), ``ch_names``,
        ``units`` (SI, source) per modality, ``sfreq`` (output), ``raw_sfreq``
        (header), ``edges_s`` (the two edges, s from the recording start),
        ``post_margin_s`` (recording after the second edge) and ``labels``.
    """
    import mne

    fname = Path(fname)
    name = fname.name
    man = _manifest()["bdf"]
    hdr = _read_bdf_header(fname)
    if hdr["n_channels"] != int(man["n_channels"]):
        raise DataFileError(
            f"{name}: {hdr['n_channels']} channels, expected {man['n_channels']} (32 EEG, "
            f"EXG1-8, GSR1, GSR2, Erg1, Erg2, Resp, Temp, Status). Is this a MAHNOB-HCI "
            f"emotion BDF?")
    rates = sorted(set(hdr["sfreq"]))
    if len(rates) != 1:
        raise DataFileError(f"{name}: channels sampled at {rates} Hz; MAHNOB-HCI records every "
                            f"channel at one rate.")
    raw_sfreq = rates[0]
    labels, dims = hdr["labels"], hdr["dims"]
    for idx in list(range(*man["eeg"])) + list(range(*man["ecg"])):
        if dims[idx].lower() not in VOLT_UNITS:
            raise DataFileError(f"{name}: channel {idx + 1} ({labels[idx]!r}) has unit "
                                f"{dims[idx]!r}, expected a voltage (uV) for EEG and ECG.")
    try:
        raw = mne.io.read_raw_bdf(fname, preload=True, stim_channel=int(man["status_index"]),
                                  infer_types=False, verbose="error")
    except Exception as exc:
        raise DataFileError(f"{name}: MNE could not read the BDF file ({type(exc).__name__}: "
                            f"{str(exc)[:160]}).") from exc
    x = raw.get_data()
    status = np.rint(x[int(man["status_index"])]).astype(np.int64)
    edges = _status_edges(status)
    if edges.size != 2:
        raise DataFileError(
            f"{name}: Status (channel {int(man['status_index']) + 1}, "
            f"{labels[int(man['status_index'])]!r}) has {edges.size} rising edge(s)"
            f"{' at ' + ', '.join(f'{e / raw_sfreq:.2f} s' for e in edges[:5]) if edges.size else ''}"
            f"; a MAHNOB emotion recording has exactly two, bracketing the stimulus. The "
            f"stimulus cannot be located without guessing: the session is reported, not read.")
    n_margin = int(round(MARGIN * raw_sfreq))
    if edges[0] < n_margin:
        raise DataFileError(
            f"{name}: the first Status edge is at {edges[0] / raw_sfreq:.2f} s, but MAHNOB "
            f"records {MARGIN:g} s before the stimulus (the baseline); the file is truncated.")
    seg = x[:, edges[0] - n_margin:edges[1]]
    out_sfreq = raw_sfreq if sfreq is None else float(sfreq)
    if out_sfreq != raw_sfreq:
        from fractions import Fraction

        from scipy.signal import resample_poly

        frac = Fraction(out_sfreq / raw_sfreq).limit_denominator(1000)
        seg = resample_poly(seg, frac.numerator, frac.denominator, axis=-1)
    signals, ch_names, units = {}, {}, {}
    for mod in ("eeg", "ecg", "gsr", "resp", "temp"):
        lo, hi = man[mod]
        signals[mod] = np.ascontiguousarray(seg[lo:hi])
        ch_names[mod] = labels[lo:hi]
        src = dims[lo] or "a.u."
        if mod in ("eeg", "ecg"):
            si = "V"
        elif mod == "gsr":
            si = "ohm" if src.lower() == "ohm" else "a.u."
        elif mod == "temp":
            si = "degC" if src.lower() in ("degc", "°c", "c") else "a.u."
        else:
            si = "a.u."
        units[mod] = (si, src)
    return {"signals": signals, "ch_names": ch_names, "units": units, "sfreq": out_sfreq,
            "raw_sfreq": raw_sfreq, "edges_s": (edges / raw_sfreq).tolist(),
            "post_margin_s": (x.shape[1] - edges[1]) / raw_sfreq, "labels": labels}


def read_continuous_labels(fname):
    """The continuous valence traces of ``lable_continous_Mahnob.mat``.

    Parameters
    ----------
    fname : path-like
        The MAT file (variables ``trials_included`` (n, 2) = [participant,
        section] and ``labels`` (n, 1) cell of (1, T) traces at 4 Hz).

    Returns
    -------
    traces : dict of (int, int) -> ndarray, shape (T,)
        (participant, section) -> trace.
    """
    fname = Path(fname)
    mat = _read_mat(fname, what="MAHNOB continuous-label file", shown=fname.name, hint="")
    for key in _manifest()["continuous"]["variables"]:
        if key not in mat:
            raise DataFileError(f"{fname.name}: variable {key!r} missing; found "
                                f"{sorted(k for k in mat if not k.startswith('__'))}.")
    inc, lab = np.asarray(mat["trials_included"]), np.asarray(mat["labels"], dtype=object)
    if inc.ndim != 2 or inc.shape[1] != 2 or lab.size != inc.shape[0]:
        raise DataFileError(
            f"{fname.name}: trials_included has shape {inc.shape} and labels {lab.shape}; "
            f"expected (n, 2) [participant, section] and (n, 1) traces.")
    out = {}
    for (p, s), trace in zip(inc.astype(int), lab.ravel()):
        x = np.asarray(trace, dtype=np.float64).ravel()
        if not np.all(np.isfinite(x)):
            raise DataFileError(f"{fname.name}: the trace of participant {p}, section {s} "
                                f"holds NaN or infinite values.")
        out[(int(p), int(s))] = x
    return out


def _sessions(root):
    """Session id -> folder of every ``Sessions/<digits>/`` under ``root``."""
    folder = Path(root) / SESSIONS
    if not folder.is_dir():
        return {}
    return {int(p.name): p for p in sorted(folder.iterdir())
            if p.is_dir() and p.name.isdigit() and int(p.name) >= 1}


def _subject_sessions(root, subject):
    """``[(section, folder)]`` of one subject's session folders, by section."""
    s = int(subject)
    out = [(decode_session_id(i)[1], p) for i, p in _sessions(root).items()
           if decode_session_id(i)[0] == s]
    return sorted(out)


def _bdf_of(folder):
    hits = sorted(Path(folder).glob(BDF_GLOB))
    if len(hits) > 1:
        raise DataFileError(f"{folder.name}: {len(hits)} emotion BDF files "
                            f"({', '.join(h.name for h in hits)}); expected one.")
    return hits[0] if hits else None


def _session_xml(folder, subject, section):
    """The checked ``session.xml`` of a session folder (its ids must match the folder's)."""
    xml = read_session_xml(folder / "session.xml")
    if xml["session_id"] != int(folder.name) or xml["subject"] != int(subject):
        raise DataFileError(
            f"{folder.name}/session.xml: sessionId {xml['session_id']} and subject "
            f"{xml['subject']}, but the folder name {folder.name} decodes to subject {subject}, "
            f"section {section} (id = (subject - 1) * 130 + section). The release differs "
            f"from the documented layout; rename nothing by guess.")
    return xml


def _session_bdf(folder, section, sfreq):
    """``(trial, None)`` read from the session's BDF, or ``(None, (reason key, error))``."""
    bdf = _bdf_of(folder)
    if bdf is None:
        return None, ("no_bdf", DataFileError(
            f"{folder.name}: emotion session (section {section}) without a {BDF_GLOB} file "
            f"(MAHNOB ships none for sessions 1854 and 1984)."))
    try:
        trial = read_mahnob_bdf(bdf, sfreq=sfreq)
    except DataFileError as exc:
        return None, ("bad_bdf", exc)
    trial["bdf"] = bdf
    return trial, None


def _read_session(folder, subject, section, sfreq):
    """One session: (xml, bdf trial) or (xml, None) for a tagging session; errors raised."""
    xml = _session_xml(folder, subject, section)
    if xml["ratings"] is None:
        return xml, None
    trial, bad = _session_bdf(folder, section, sfreq)
    if bad is not None:
        raise bad[1]
    return xml, trial


def _attach_eye(rec, folders, sections):
    recs, files, n_bad = [], [], 0
    for folder, section in zip(folders, sections):
        f = folder / GAZE_FILE.format(subject=rec.subject, section=section)
        if not f.is_file():
            rec.missing["eye"] = f"{folder.name}: no gaze file {f.name}"
            logger.warning("%s: eye missing (%s)", rec.subject, rec.missing["eye"])
            return
        gaze, bad = read_mahnob_gaze(f, baseline=rec.baseline)  # a broken file is an error
        recs.append(gaze)
        files.append(f)
        n_bad += bad
    from .eyetracking import gaze_modality

    rec.modalities["eye"] = gaze_modality(recs)
    rec.sources.extend(str(f.resolve()) for f in files)
    rec.info["gaze_bad_lines"] = n_bad


def _attach_face(rec, folders, sections, durations):
    from ._video import _LazyVideo

    videos, files = [], []
    for folder, section, (start_s, dur_s) in zip(folders, sections, durations):
        f = find_video(folder, section)
        if f is None:
            rec.missing["face"] = (f"{folder.name}: no face video "
                                   f"'P{rec.subject}-Rec1-<date>_C1 trigger _C_Section_"
                                   f"{section}.avi'")
            logger.warning("%s: face missing (%s)", rec.subject, rec.missing["face"])
            return
        video = _LazyVideo(f)
        first = int(round(start_s * video.fps))
        n = int(np.floor(dur_s * video.fps + 1e-6))
        if first + n > len(video):
            raise DataFileError(f"{f.name}: {len(video)} frames at {video.fps:g} fps, but the "
                                f"trial needs frames {first}-{first + n - 1} (BDF clock).")
        videos.append(_TrialVideo(video, first, n))
        files.append(f)
    rates = sorted({v.fps for v in videos})
    if len(rates) > 1:
        raise DataFileError(f"{rec.subject}: face videos at different frame rates {rates} fps; "
                            f"one modality needs one rate.")
    rec.modalities["face"] = Modality(videos, rates[0], ["video"], "a.u.", "a.u.",
                                      dims=("trial", "time", "height", "width"))
    rec.sources.extend(str(f.resolve()) for f in files)


@DATASETS.register("mahnob")
class MAHNOB(Dataset):
    """The MAHNOB-HCI emotion sessions laid out as the authors ship them.

    The facts generic code reads (see :class:`emopipe.io._dataset.Dataset`):
    ``sfreq`` 256 Hz (what the BDF headers say; read from each file),
    ``sources`` ``"auto"`` and ``"bdf"``, ``label_names`` the felt valence,
    arousal, control and predictability on ``label_scale`` 1-9, class 1
    above ``default_threshold`` 5, ``default_modalities`` EEG and GSR
    (``eye``, ``face``, ``ecg``, ``resp``, ``temp`` on request), the
    continuous valence as the label ``valence_continuous`` when
    ``lable_continous_Mahnob.mat`` is at the root.
    """

    name = "mahnob"
    title = "MAHNOB-HCI"
    sfreq = SFREQ
    sources = SOURCES
    label_names = LABEL_NAMES
    label_scale = RATING_SCALE
    default_threshold = 5.0
    default_modalities = ("eeg", "gsr")
    montage = "standard_1020"  # the 32 EEG labels of the BDF headers are 10-20 names

    @classmethod
    def subjects(cls, root):
        """Subjects with at least one session folder, decoded from the folder ids.

        Parameters
        ----------
        root : path-like
            Folder of the MAHNOB-HCI download (holding ``Sessions/``).

        Returns
        -------
        subjects : list of str
            ``["1", "2", ...]`` in numeric order.
        """
        root = cls._root(root)
        return [str(s) for s in sorted({decode_session_id(i)[0] for i in _sessions(root)})]

    @classmethod
    def read_subject(cls, root, subject, *, source="auto", sfreq=None, modalities=None,
                     on_bad_session="skip", verbose=None):
        """Read one subject's emotion sessions.

        Parameters
        ----------
        root : path-like
            Folder of the MAHNOB-HCI download.
        subject : str
            ``"1"`` ... ``"30"``.
        source : str
            ``"auto"`` or ``"bdf"`` (the same).
        sfreq : float | None
            Output rate in Hz; ``None`` keeps the headers' 256 Hz.
        modalities : list of str | None
            Modalities wanted; ``None`` means all. Gaze and video files are
            opened only when ``"eye"`` / ``"face"`` is wanted.
        on_bad_session : str
            ``"skip"``: an emotion session without a BDF, or whose BDF is
            unreadable or has not two Status edges, is left out and counted
            (``info["skipped"]``: ``no_bdf``, ``bad_bdf``, ``tagging``) when
            the subject has others; ``"raise"``: its ``DataFileError``.
        verbose : bool | str | int | None
            Unused (kept for the common signature).

        Returns
        -------
        recording : SubjectRecording
            Trials = emotion sessions by section (``trial_ids`` = section /
            2), each ``(n_channels, n_times_i)`` from 30 s before the first
            Status edge to the second (``baseline`` 30 s); ``labels`` the
            felt ratings; ``label_traces["valence_continuous"]`` when the
            continuous-label file is present; ``info["felt_emotion"]`` the
            ``feltEmo`` codes, ``info["skipped"]`` the sessions left out.
        """
        _check_type("subject", subject, (str,))
        _check_option("source", source, SOURCES)
        _check_option("on_bad_session", on_bad_session, ("skip", "raise"))
        if sfreq is not None:
            _check_positive("sfreq", sfreq)
        root = cls._root(root)
        found = cls.subjects(root)
        if subject not in found:
            raise FileNotFoundError(
                f"MAHNOB-HCI subject {subject!r} not found: no {SESSIONS}/<id>/ folder decodes to "
                f"it under {str(root)!r}. Available subjects: {', '.join(found) or 'none'}.")
        want = (lambda m: modalities is None or m in modalities)
        skipped = {"tagging": [], "no_bdf": [], "bad_bdf": []}
        trials, xmls, folders, sections, sources = [], [], [], [], []
        for section, folder in _subject_sessions(root, subject):
            xml = _session_xml(folder, subject, section)  # an unreadable xml is an error
            if xml["ratings"] is None:
                skipped["tagging"].append(int(folder.name))
                continue
            trial, bad = _session_bdf(folder, section, sfreq)
            if bad is not None:
                if on_bad_session == "raise":
                    raise bad[1]
                skipped[bad[0]].append(int(folder.name))
                logger.warning("MAHNOB subject %s: session %s skipped: %s", subject,
                               folder.name, bad[1])
                continue
            trials.append(trial)
            xmls.append(xml)
            folders.append(folder)
            sections.append(section)
            sources.extend([folder / "session.xml", trial["bdf"]])
        if not trials:
            bad = sorted(skipped["no_bdf"] + skipped["bad_bdf"])
            raise DataFileError(
                f"MAHNOB-HCI subject {subject}: no readable emotion session under "
                f"{str(root / SESSIONS)!r} ({len(skipped['tagging'])} tagging session(s) "
                f"skipped; sessions without a readable BDF with two Status edges: {bad or 'none'}). "
                f"Run 'emopipe check --dataset mahnob' for each session's problem.")
        if skipped["tagging"]:
            logger.info("MAHNOB subject %s: %d tagging session(s) skipped", subject,
                        len(skipped["tagging"]))
        rates = {t["sfreq"] for t in trials}
        if len(rates) > 1:
            raise DataFileError(f"MAHNOB-HCI subject {subject}: BDF files at different rates "
                                f"{sorted(rates)} Hz; pass sfreq to resample them to one.")
        out_sfreq = trials[0]["sfreq"]
        mods = {}
        for mod in ("eeg", "ecg", "gsr", "resp", "temp"):
            names = trials[0]["ch_names"][mod]
            for t, f in zip(trials, folders):
                if t["ch_names"][mod] != names:
                    raise DataFileError(f"{f.name}: {mod} channels {t['ch_names'][mod]} differ "
                                        f"from the subject's first session {names}.")
            si, src = trials[0]["units"][mod]
            mods[mod] = Modality([t["signals"][mod] for t in trials], out_sfreq, list(names),
                                 si, src)
        rec = SubjectRecording(
            dataset="mahnob", subject=subject, modalities=mods,
            labels={k: np.array([x["ratings"][k] for x in xmls]) for k in LABEL_NAMES},
            trial_ids=np.array([s // 2 for s in sections], dtype=np.int64),
            baseline=MARGIN, sources=[str(Path(p).resolve()) for p in sources],
            info={"sessions": [int(f.name) for f in folders], "sections": sections,
                  "felt_emotion": np.array([x["emotion"] for x in xmls]),
                  "edges_s": [t["edges_s"] for t in trials],
                  "post_margin_s": [t["post_margin_s"] for t in trials],
                  "raw_sfreq": trials[0]["raw_sfreq"], "skipped": skipped})
        if want("eye"):
            _attach_eye(rec, folders, sections)
        if want("face"):
            spans = [(t["edges_s"][0] - MARGIN, t["signals"]["eeg"].shape[1] / out_sfreq)
                     for t in trials]
            _attach_face(rec, folders, sections, spans)
        cont = root / CONTINUOUS_FILE
        if cont.is_file():
            traces = read_continuous_labels(cont)
            rec.label_traces[CONTINUOUS_LABEL] = LabelTrace(
                [traces.get((int(subject), s), np.zeros(0)) for s in sections],
                CONTINUOUS_SFREQ, f"{CONTINUOUS_FILE}:labels")
            rec.sources.append(str(cont.resolve()))
            rec.info["continuous_annotated"] = [(int(subject), s) in traces for s in sections]
        return rec

    @classmethod
    def check(cls, root):
        """List what is missing or malformed under ``root``; nothing is guessed.

        Parameters
        ----------
        root : path-like
            Folder of the MAHNOB-HCI download.

        Returns
        -------
        problems : list of str
            One sentence per problem; ``"info: "`` entries are not fatal
            (tagging sessions, subjects absent, trial counts that differ
            from 20). Every session is read as :meth:`read_subject` reads it.
        """
        problem = cls._root_problem(root)
        if problem is not None:
            return [problem]
        root = Path(root)
        sessions = _sessions(root)
        if not sessions:
            return [f"no {SESSIONS}/<id>/ folders under {str(root)!r}: not a MAHNOB-HCI "
                    f"download (docs/datasets.md section 5)"]
        problems = []
        subjects = sorted({decode_session_id(i)[0] for i in sessions})
        absent = [s for s in _manifest()["subjects"] if int(s) not in subjects]
        if absent:
            problems.append(f"info: {len(absent)} of {_manifest()['n_subjects']} subjects "
                            f"absent: {', '.join(absent)}")
        traces = {}
        cont = root / CONTINUOUS_FILE
        if cont.is_file():
            try:
                traces = read_continuous_labels(cont)
            except (EmopipeError, OSError) as exc:
                problems.append(str(exc))
        else:
            problems.append(f"info: no {CONTINUOUS_FILE} at the root: no continuous valence "
                            f"(V2E) target")
        read = set()
        for s in subjects:
            by_section = dict(_subject_sessions(root, s))
            gone = [sec for sec in EMOTION_SECTIONS if sec not in by_section]
            n_tag, n_ok = 0, 0
            for section, folder in sorted(by_section.items()):
                if not (folder / "session.xml").is_file():
                    problems.append(f"{SESSIONS}/{folder.name}: no session.xml")
                    continue
                try:
                    xml, trial = _read_session(folder, s, section, None)
                except (EmopipeError, OSError) as exc:
                    problems.append(f"{SESSIONS}/{folder.name}: {exc}")
                    continue
                if trial is None:
                    n_tag += 1
                    continue
                n_ok += 1
                read.add((s, section))
                gaze = folder / GAZE_FILE.format(subject=s, section=section)
                if not gaze.is_file():
                    problems.append(f"{SESSIONS}/{folder.name}: no gaze file {gaze.name}")
                else:
                    try:
                        _, n_bad = read_mahnob_gaze(gaze, baseline=MARGIN)
                    except (EmopipeError, OSError) as exc:
                        problems.append(f"{SESSIONS}/{folder.name}: {exc}")
                    else:
                        if n_bad:
                            problems.append(f"info: {SESSIONS}/{folder.name}/{gaze.name}: "
                                            f"{n_bad} malformed line(s) skipped")
                try:
                    if find_video(folder, section) is None:
                        problems.append(f"info: {SESSIONS}/{folder.name}: no face video "
                                        f"'..._C1 trigger _C_Section_{section}.avi' (face "
                                        f"will be missing for subject {s})")
                except DataFileError as exc:
                    problems.append(str(exc))
            if gone:
                problems.append(f"info: subject {s}: emotion sections absent: "
                                f"{', '.join(map(str, gone))}")
            problems.append(f"info: subject {s}: {n_ok} emotion trial(s) read, {n_tag} "
                            f"tagging session(s) skipped")
        if traces:
            orphan = sorted(k for k in traces if k not in read)
            if orphan:
                problems.append(
                    f"info: {CONTINUOUS_FILE} annotates {len(orphan)} (participant, section) "
                    f"pair(s) with no readable emotion session here: "
                    f"{', '.join(f'{p}/{q}' for p, q in orphan[:10])}"
                    f"{' ...' if len(orphan) > 10 else ''} (another release?)")
        return problems
