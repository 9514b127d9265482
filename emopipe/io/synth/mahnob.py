"""Format-faithful synthetic MAHNOB-HCI emotion sessions from the shared cohort model.

:func:`write_mahnob_synth` writes a folder laid out as the MAHNOB-HCI download
(``docs/datasets.md`` section 5)::

    out/Sessions/<id>/session.xml                      id = (subject - 1) * 130 + section
    out/Sessions/<id>/Part_<s>_S_Trial<k>_emotion.bdf  47 channels at 256 Hz
    out/Sessions/<id>/P<s>-Rec1-All-Data-New_Section_<section>.tsv   Tobii gaze, 60 Hz
    out/Sessions/<id>/P<s>-Rec1-<date>_C1 trigger _C_Section_<section>.avi  (face=True)
    out/lable_continous_Mahnob.mat                     continuous valence at 4 Hz
    out/ground_truth.json                              everything planted

Emotion sessions are the even sections ``2, 4, ..., 2 * n_trials`` (trial
``k = section / 2``). Each BDF holds 30 s of recording, the stimulus (its
length drawn in ``stimulus``), 30 s more; Status (channel 47) rises at the
stimulus onset and at its end, nowhere else. The quirks of the real files
are reproduced: the space before ``_C_Section`` in the video name, the 23
preamble lines of the gaze file, one malformed gaze line (56 fields) in the
first subject's first session, one tagging session (section 41, no felt*
attributes) for the first subject.

Cohort (:mod:`emopipe.io.synth._cohort`): per subject and trial a latent
valence, arousal, dominance, liking on 1-9 (:func:`~._cohort.draw_subject`),
the felt ratings being integer self-reports of it (valence, arousal,
dominance -> ``feltCtrl``, liking -> ``feltPred``); per trial a latent valence
trajectory at 4 Hz (:func:`~._cohort.latent_trajectory`, time constant 5 s,
SD 0.5 around the trial's level) written as the continuous label
``(trajectory - 5) / 10`` (about -0.4 ... 0.4, as the real file's -0.33 ...
0.45). Planted effects:

- **valence trajectory -> frontal alpha asymmetry** (EEG): 10-Hz alpha
  amplitude times ``exp(+0.5 k (v(t) - 5))`` at F4, AF4, Fp2 and
  ``exp(-0.5 k (v(t) - 5))`` at F3, AF3, Fp1 (power slope ``k`` =
  the scenario's ``alpha_asym``, doubled: 0.5 per point), ``v(t)`` the
  trajectory held over each 0.25-s sample;
- **arousal -> beta** at C3, C4, Cz: ln power ``+ beta_gamma (a - 5)``;
- **arousal -> GSR**: skin-conductance responses at ``g + scr (a - 5)`` per
  minute on a tonic 1-4 uS level, written as resistance ``1e6 / G_uS`` ohm;
- **arousal -> pupil**: diameter ``3.5 + 0.1 (a - 5)`` mm;
- **face** (``face=True``): the face is visible in every stimulus frame;
  the background grey level is ``100 + 10 (valence level - 5)``, so the face
  crops carry the trial's valence level.
"""

import logging
from pathlib import Path

import numpy as np

from ...utils._checks import _check_positive, _check_type
from ...utils._errors import ConfigError
from ...utils.docs import fill_doc
from ..mahnob import (
    CONTINUOUS_FILE,
    CONTINUOUS_SFREQ,
    FELT,
    GAZE_FILE,
    MARGIN,
    SECTIONS_PER_SUBJECT,
    SESSIONS,
    SFREQ,
    _manifest,
)
from ._bdf import write_bdf
from ._cohort import draw_subject, get_scenario, latent_trajectory
from ._common import write_ground_truth
from ._registry import register_writer

logger = logging.getLogger("emopipe.io.synth.mahnob")

ALPHA_RIGHT = ("F4", "AF4", "Fp2")
ALPHA_LEFT = ("F3", "AF3", "Fp1")
BETA_CHANNELS = ("C3", "C4", "Cz")
GAZE_SFREQ = 60.0
SCREEN_PX = (1280, 1024)
PX_PER_DEG = 40.0
TAGGING_SECTION = 41
#: (latent name order of the cohort model) -> session.xml attribute
_REPORT_ATTRS = ("feltVlnc", "feltArsl", "feltCtrl", "feltPred")
MALFORMED_FIELDS = 56


def session_id(subject, section):
    """``Sessions/<id>`` of a subject's section: ``(subject - 1) * 130 + section``.

    Parameters
    ----------
    subject : int
        1-based participant.
    section : int
        1-130.

    Returns
    -------
    session : int
        The folder id.
    """
    return (int(subject) - 1) * SECTIONS_PER_SUBJECT + int(section)


def _felt_emotion(v, a):
    """A feltEmo code from the reported valence and arousal (0 neutral, 4 joy, ...)."""
    if abs(v - 5) <= 1 and abs(a - 5) <= 1:
        return 0
    if v > 5:
        return 4 if a > 5 else 11   # joy / amusement
    return 3 if a > 5 else 5         # fear / sadness


def _write_session_xml(fname, sid, subject, *, ratings=None, emotion=None, cut_len=0.0,
                       media="52.avi"):
    attrs = {"sessionId": str(sid), "isStim": "1", "cutNr": str(sid % 20 + 1),
             "cutLenSec": f"{cut_len:.2f}", "mediaFile": media, "vidRate": "60.0024",
             "audioSampleRate": "48000", "date": "2009-10-01"}
    if ratings is not None:
        attrs.update({"feltEmo": str(emotion)})
        attrs.update({att: f"{r:g}" for att, r in zip(_REPORT_ATTRS, ratings)})
    body = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    fname.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<session {body}>\n'
                     f'  <subject id="{subject}" />\n  <track type="Physiological" '
                     f'id="1" />\n</session>\n', encoding="utf-8")


def _band_noise(rng, n, lo, hi, sfreq):
    """Unit-RMS noise band-limited to ``[lo, hi)`` Hz, shape (n,)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / sfreq)
    spec[(f < lo) | (f >= hi)] = 0
    x = np.fft.irfft(spec, n)
    return x / (x.std() + 1e-12)


def _bdf_signals(rng, valence_traj, arousal, dur, sc, gsr_base):
    """(47, n) samples in the files' units for one session and the stimulus sample range."""
    man = _manifest()["bdf"]
    labels = list(man["labels"])
    n_pre = int(round(MARGIN * SFREQ))
    n_stim = int(round(dur * SFREQ))
    n = n_pre + n_stim + int(round(MARGIN * SFREQ))
    sig = np.zeros((47, n))
    t = np.arange(n) / SFREQ
    # EEG (uV): pink-ish background + alpha + beta, DC offsets of unreferenced BioSemi data
    v_t = np.full(n, 5.0)
    held = np.repeat(valence_traj, int(SFREQ / CONTINUOUS_SFREQ))[:n_stim]
    v_t[n_pre:n_pre + held.size] = held
    v_t[n_pre + held.size:n_pre + n_stim] = valence_traj[-1]
    k = 0.5 * 2 * sc.alpha_asym  # amplitude slope per point (power slope 2 * alpha_asym)
    for j in range(32):
        name = labels[j]
        x = 6.0 * _band_noise(rng, n, 1.0, 45.0, SFREQ)
        amp = 5.0
        if name in ALPHA_RIGHT:
            amp = 5.0 * np.exp(+k * (v_t - 5.0))
        elif name in ALPHA_LEFT:
            amp = 5.0 * np.exp(-k * (v_t - 5.0))
        x += amp * _band_noise(rng, n, 8.0, 12.0, SFREQ)
        if name in BETA_CHANNELS:
            x += 2.0 * np.exp(0.5 * sc.beta_gamma * (arousal - 5.0)) * _band_noise(
                rng, n, 14.0, 30.0, SFREQ)
        sig[j] = rng.uniform(-5000, 5000) + x
    # ECG on EXG1-3 (uV): spikes at 60-80 bpm
    beats = np.arange(rng.uniform(0.2, 0.8), n / SFREQ, 60.0 / rng.uniform(60, 80))
    ecg = np.zeros(n)
    for b in beats:
        ecg += 1000.0 * np.exp(-0.5 * ((t - b) / 0.015) ** 2)
    for j in range(32, 35):
        sig[j] = ecg * (1.0 - 0.2 * (j - 32)) + 10.0 * rng.standard_normal(n)
    sig[35:40] = 5.0 * rng.standard_normal((5, n))
    # GSR1 (Ohm) from conductance (uS): tonic level + SCRs during the stimulus
    rate = max(0.0, 2.0 + sc.scr * (arousal - 5.0))  # per minute
    n_scr = rng.poisson(rate * dur / 60.0)
    g = (gsr_base + 0.05 * np.sin(2 * np.pi * t / 40.0 + rng.uniform(0, 2 * np.pi))
         + 0.003 * rng.standard_normal(n))  # tonic drift and sensor noise
    onsets = np.sort(rng.uniform(MARGIN, MARGIN + dur, n_scr))
    for o in onsets:
        s = np.clip(t - o, 0, None)
        g += 0.3 * (np.exp(-s / 3.0) - np.exp(-s / 0.75)) * (t >= o)
    sig[40] = 1e6 / g
    sig[41] = 1e6 + 10.0 * rng.standard_normal(n)
    sig[42:44] = 5.0 * rng.standard_normal((2, n))
    sig[44] = 100.0 * np.sin(2 * np.pi * 0.25 * t) + rng.standard_normal(n)
    sig[45] = 33.0 + 0.01 * rng.standard_normal(n)
    # Status: one short pulse at the stimulus onset and one at its end (two rising edges)
    for e in (n_pre, n_pre + n_stim):
        sig[46, e:e + 5] = 1
    return sig, (n_pre, n_pre + n_stim), onsets.tolist()


def _write_gaze(fname, rng, dur, arousal, *, malformed):
    """Tobii TSV with 23 preamble lines; optionally one 56-field line mid-file."""
    from .eye import synth_gaze, write_tobii_tsv

    total = 2 * MARGIN + dur
    g = synth_gaze(total, GAZE_SFREQ, seed=int(rng.integers(2**31)))
    gx = SCREEN_PX[0] / 2 + PX_PER_DEG * g.gaze_x
    gy = SCREEN_PX[1] / 2 + PX_PER_DEG * g.gaze_y
    pupil = np.where(g.pupil > 0, 3.5 + 0.1 * (arousal - 5.0)
                     + 0.05 * rng.standard_normal(g.gaze_x.size), 0.0)
    write_tobii_tsv(fname, gx, gy, pupil, GAZE_SFREQ, movie_start=MARGIN,
                    movie_end=MARGIN + dur, screen_size_px=SCREEN_PX,
                    seed=int(rng.integers(2**31)))
    lines = Path(fname).read_bytes().split(b"\r\n")
    lines.pop(22)  # MAHNOB's exports have 23 preamble lines, the header on line 24
    bad_line = None
    if malformed:
        bad_line = 24 + len(lines[24:]) // 2  # 1-based line number after the insertion
        lines.insert(bad_line - 1, b"\t".join([b"123"] * MALFORMED_FIELDS))
    Path(fname).write_bytes(b"\r\n".join(lines))
    return {"n_samples": int(g.gaze_x.size), "malformed_line": bad_line,
            "missing_fraction": float(np.mean(~(np.isfinite(gx) & (pupil > 0))))}


def _write_video(fname, rng, dur, level, *, fps, frame_size):
    from .face import write_face_video

    n_frames = int(np.ceil((2 * MARGIN + dur) * fps))
    a, b = int(round(MARGIN * fps)), int(round((MARGIN + dur) * fps))
    bg = 100.0 + 10.0 * (level - 5.0)
    write_face_video(fname, n_frames=n_frames, face_frames=range(a, b), fps=fps,
                     seed=int(rng.integers(2**31)), frame_size=tuple(frame_size),
                     face_size=int(min(frame_size) * 2 // 3), background=(bg - 20, bg + 20))
    return {"n_frames": n_frames, "face_frames": [a, b], "background_level": bg}


def write_mahnob_synth(out, *, n_subjects=3, n_trials=4, seed=0, scenario="kd",
                       stimulus=(12.0, 20.0), face=False, face_fps=60.0,
                       frame_size=(96, 72)):
    """Write a synthetic MAHNOB-HCI download (emotion sessions) with planted effects.

    Parameters
    ----------
    out : path-like
        Folder to write into (created).
    n_subjects : int
        Participants ``1 ... n_subjects``.
    n_trials : int
        Emotion sessions per participant (1-20; sections 2, 4, ...).
    seed : int
        Seed of the cohort.
    scenario : str
        Cohort scenario (:data:`emopipe.io.synth._cohort.SCENARIOS`).
    stimulus : tuple of float
        Range of the stimulus lengths in s (uniform, a multiple of 0.25 s).
    face : bool
        Also write a face video per session.
    face_fps : float
        Frame rate of the face videos (MAHNOB: 60).
    frame_size : tuple of int
        Width and height of the face videos in px.

    Returns
    -------
    truth : dict
        What ``ground_truth.json`` holds: per subject the trials (session id,
        section, felt ratings, latent, stimulus samples, SCR onsets), the
        tagging and malformed-gaze locations.
    """
    import scipy.io

    _check_type("out", out, ("path-like",))
    if not 1 <= int(n_trials) <= 20:
        raise ConfigError(f"n_trials must be 1-20 (MAHNOB-HCI's emotion sections 2-40), got "
                          f"{n_trials!r}.")
    _check_positive("face_fps", face_fps)
    sc = get_scenario(scenario)
    out = Path(out)
    (out / SESSIONS).mkdir(parents=True, exist_ok=True)
    root_rng = np.random.default_rng(seed)
    truth = {"dataset": "mahnob", "seed": seed, "scenario": sc.to_dict(), "subjects": {},
             "tagging_sessions": [], "malformed_gaze": None,
             "continuous": {"file": CONTINUOUS_FILE, "sfreq": CONTINUOUS_SFREQ,
                            "formula": "(latent valence trajectory - 5) / 10"}}
    included, traces = [], []
    for s in range(1, int(n_subjects) + 1):
        rng = np.random.default_rng([seed, s])
        draw = draw_subject(rng, np.random.default_rng([seed, s, 1]), sc, int(n_trials),
                            decimals=0)
        gsr_base = rng.uniform(1.0, 4.0)
        trials = []
        for k in range(1, int(n_trials) + 1):
            section = 2 * k
            sid = session_id(s, section)
            folder = out / SESSIONS / str(sid)
            folder.mkdir(parents=True, exist_ok=True)
            v_lat, a_lat = draw.latent[k - 1, 0], draw.latent[k - 1, 1]
            dur = float(np.round(rng.uniform(*stimulus) * 4) / 4)
            traj = latent_trajectory(rng, v_lat, int(round(dur * CONTINUOUS_SFREQ)),
                                     rate=CONTINUOUS_SFREQ, lo=1.0, hi=9.0)
            reports = draw.reports[k - 1]
            emotion = _felt_emotion(reports[0], reports[1])
            _write_session_xml(folder / "session.xml", sid, s, ratings=reports,
                               emotion=emotion, cut_len=dur)
            sig, stim, scr = _bdf_signals(rng, traj, a_lat, dur, sc, gsr_base)
            dims = ["uV"] * 40 + ["Ohm", "Ohm", "uV", "uV", "a.u.", "degC", "Boolean"]
            write_bdf(folder / f"Part_{s}_S_Trial{k}_emotion.bdf", sig,
                      list(_manifest()["bdf"]["labels"]), dims, SFREQ)
            gaze = _write_gaze(folder / GAZE_FILE.format(subject=s, section=section), rng,
                               dur, a_lat, malformed=(s == 1 and k == 1))
            if gaze["malformed_line"]:
                truth["malformed_gaze"] = {"session": sid, "line": gaze["malformed_line"],
                                           "fields": MALFORMED_FIELDS}
            video = None
            if face:
                name = (f"P{s}-Rec1-2009.10.{s:02d}.10.{k:02d}.00_C1 trigger _C_Section_"
                        f"{section}.avi")
                video = _write_video(folder / name, rng, dur, v_lat, fps=face_fps,
                                     frame_size=frame_size)
                video["file"] = f"{SESSIONS}/{sid}/{name}"
            included.append((s, section))
            traces.append((traj - 5.0) / 10.0)
            trials.append({"session": sid, "section": section, "trial": k,
                           "felt": dict(zip(FELT, (float(r) for r in reports))),
                           "felt_emotion": emotion,
                           "latent": dict(zip(("valence", "arousal", "dominance", "liking"),
                                              draw.latent[k - 1].tolist())),
                           "stimulus_s": dur, "stimulus_samples": list(stim),
                           # BDF data records are 1 s: pyedflib pads the last one
                           "post_margin_s": float(np.ceil(2 * MARGIN + dur) - MARGIN - dur),
                           "scr_onsets_s": scr, "gaze": gaze, "face": video})
        truth["subjects"][str(s)] = {"trials": trials, "gsr_tonic_uS": gsr_base}
        if s == 1:  # a tagging session: session.xml without felt* attributes
            sid = session_id(s, TAGGING_SECTION)
            (out / SESSIONS / str(sid)).mkdir(exist_ok=True)
            _write_session_xml(out / SESSIONS / str(sid) / "session.xml", sid, s,
                               media="tag_01.jpg")
            truth["tagging_sessions"].append(sid)
    cells = np.empty((len(traces), 1), dtype=object)
    for i, tr in enumerate(traces):
        cells[i, 0] = tr[None, :]
    scipy.io.savemat(out / CONTINUOUS_FILE, {"trials_included": np.array(included, np.uint8),
                                             "labels": cells})
    write_ground_truth(out, truth)
    logger.info("MAHNOB-HCI synthetic: %d subjects x %d trials in %s", n_subjects, n_trials, out)
    return truth


@fill_doc
@register_writer("mahnob", options=("trials", "face"),
                 note="MAHNOB-HCI ships raw BDF only (no preprocessed files), so raw_trials "
                      "and no_raw do not apply.")
def synth_mahnob(out, *, n_subjects, seed=0, scenario="legacy", trials=None, face=False):
    """``emopipe synth --dataset mahnob``: :func:`write_mahnob_synth` with the CLI's options.

    Parameters
    ----------
    %(synth_out)s
    %(synth_cohort)s
    trials : int | None
        Emotion sessions per subject (4 when ``None``).
    face : bool
        Also write face videos.
    """
    write_mahnob_synth(out, n_subjects=n_subjects, n_trials=4 if trials is None else trials,
                       seed=seed, scenario=scenario, face=face)
