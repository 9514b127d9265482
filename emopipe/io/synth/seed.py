"""A synthetic SEED download in either release layout, with planted, documented effects.

Layouts written (``docs/datasets.md`` section 2; names, key order, shapes and
dtypes as the authors ship them)::

    release="old":
      out/Preprocessed_EEG/<subject>_<date>.mat     <prefix>_eeg1 ... _eeg15, (62, 200 s_k + 1)
                                                    float64 uV, numeric order
      out/Preprocessed_EEG/label.mat, readme.txt    label (1, 15) int
      out/ExtractedFeatures/<subject>_<date>.mat    180 variables grouped trial by trial:
                                                    de_movingAve<k>, de_LDS<k>, psd_movingAve<k>,
                                                    ..., dcau_LDS<k>, (rows, s_k, 5) float64
      out/ExtractedFeatures/label.mat, readme.txt
    release="new":
      out/SEED_EEG/Preprocessed_EEG/...             as above
      out/SEED_EEG/ExtractedFeatures_1s/...         as ExtractedFeatures
      out/SEED_EEG/ExtractedFeatures_4s/...         the same names, floor(s_k / 4) 4-s windows
      out/SEED_Multimodal/Chinese/02-EEG-DE-feature/eeg_used_{1s,4s}/<subject>_<session>.npz
           members train_data, test_data (pickle bytes, dtype S, of a dict delta ... gamma ->
           (n_windows, 62), the de_LDS of the features), train_label, test_label (int64 per
           window); train = clips 1-9
      out/SEED_Multimodal/Chinese/04-Eye-tracking-feature/eye_tracking_feature/
           <subject>_<session>                      (no extension) a bare protocol-2 pickle of
                                                    {'train_data_eye', 'test_data_eye'}, each
                                                    (n_windows, 33) float64 on 1-s windows
      (multimodal files for the subjects of the manifest's ``multimodal_subjects`` only)
      out/SEED_EEG/SEED_RAW_EEG/<subject>_<session>.cnt   with raw=True: Neuroscan CNT,
                                                    62 EEG channels then M1, M2, HEO, VEO
    out/ground_truth.json                           everything planted, for scoring

Dates are the manifest's real ones (so subjects 1 and 7 share dates); trial
``k`` lasts ``s_k`` whole seconds, ``N = 200 s_k + 1`` samples (the
real files' one extra sample), and every feature file has ``T = floor(N /
200) = s_k`` 1-s windows. The prefixes are :data:`PREFIXES` (``djc``,
``jl`` verified for subjects 1, 2; the rest invented), so at least two
differ. ``label.mat`` holds the official clip classes.

With ``raw=True`` (current release) each session is also a Neuroscan CNT
recording (:func:`emopipe.io.synth._cnt.write_cnt`, ``raw_format`` samples
of 0.1 uV at ``raw_sfreq`` Hz, the header dated with the session's date)
whose trials span the **documented** windows (27-262 s, ..., 3599-3805 s,
then 5 s more): SEED has no file of trial windows a short fixture could
rewrite, so the files stay small by a low ``raw_sfreq`` instead (50 Hz in
the tests: 25 MB per session in int16; the real 1000 Hz: 503 MB, written in
12 s with a peak RSS of 1.3 GB). Each raw trial lasts ``end - start`` s, not
``seconds``, so the raw trials and the .mat trials differ in length (the
real ones agree), and ``raw=True`` writes no ``SEED_Multimodal`` (its eye
windows could not match both). The raw signal: white noise of SD
:data:`RAW_NOISE_UV` on every channel, a 10-Hz tone of amplitude
:data:`RAW_TONE_UV` scaled by ``exp(+/- asym / 2)`` at the right / left
frontal channels and a 20-Hz tone scaled by ``exp(bg / 2)`` at C3, C4, CZ,
T7, T8 inside each trial (``asym``, ``bg`` the trial's planted ln-power
shifts of the .mat files), so a tone-dominated right-minus-left alpha DE is
``asym``. No trigger events are written (the doc lists none).

Cohort model (:mod:`emopipe.io.synth._cohort`): the class of a clip is its
official label (the stimulus's emotion: no self-report noise); the latent
valence and arousal of a trial is drawn around the class centre
(:data:`CLASS_CENTRES`, SD :data:`LATENT_SD`) and rendered with the
scenario's strengths:

- EEG DE (nats; uV-based in the feature files): subject baseline per
  channel and band, window noise SD :data:`WINDOW_SD`; frontal alpha
  asymmetry ``+/- alpha_asym * (valence - 5) / 2`` at the right / left
  frontal channels, beta and gamma ``+ beta_gamma * (arousal - 5) / 2`` at
  C3, C4, CZ, T7, T8 (DE moves by half the ln-power shift).
  ``de_movingAve`` / ``de_LDS`` smooth it as the SEED-IV writer does,
  ``psd_* = exp(2 DE) / (2 pi e)``, ``dasm`` = DE(left) - DE(right) over
  :data:`ASYM_PAIRS`, ``rasm`` their ratio, ``asm`` both stacked, ``dcau``
  = DE(front) - DE(back) over :data:`CAUDAL_PAIRS`.
- Preprocessed EEG (uV): band-passed white noise per band of SD
  :data:`RAW_BAND_UV` scaled by ``exp(shift / 2)`` with the trial's planted
  ln-power shifts (the SEED-IV writer's renderer).
- Eye (33 columns, 1-s windows): columns 0-1 (pupil) ``+ 0.1 * blink *
  (arousal - 5)``, column 22 (blink frequency, per s) ``+ blink / 60 *
  (arousal - 5)``, column 27 (saccade frequency) ``+ saccade / 60 *
  (arousal - 5)``; a subject baseline and window noise elsewhere.
"""

import logging
from pathlib import Path

import numpy as np

from ...utils._checks import _check_number, _check_option
from ...utils._errors import ConfigError
from ...utils.docs import fill_doc
from .. import seed as _layout
from ._cnt import write_cnt
from ._cohort import get_scenario
from ._pickle2 import py2_pickle_bytes
from ._common import session_eeg_strengths, write_ground_truth
from ._registry import register_writer
# the SEED-family EEG model (latent spread, DE levels, planted channels) is SEED-IV's
from .seed_iv import (AROUSAL_CHANNELS, BASE_DE, LATENT_SD, LEFT_FRONTAL, RIGHT_FRONTAL,
                      WINDOW_SD, _raw_trial, _smooth_exp, _smooth_ma)

logger = logging.getLogger("emopipe.io.synth.seed")

#: class -> (valence, arousal) centre of the latent on 1-9
CLASS_CENTRES = {-1: (3.0, 6.5), 0: (5.0, 4.0), 1: (7.0, 6.5)}
RAW_BAND_UV = 10.0
N_EYE = 33
PUPIL_COLS, BLINK_COL, SACCADE_COL = (0, 1), 22, 27
#: Preprocessed_EEG prefixes of subjects 1-15 (djc, jl verified; the rest invented)
PREFIXES = ("djc", "jl", "phl", "ww", "wsf", "wyw", "xyl", "ys", "zjy", "lqj", "ly", "mhw",
            "sxy", "wk", "jj")
#: the 27 left/right electrode pairs of dasm/rasm (the real pairing is undocumented)
ASYM_PAIRS = (("FP1", "FP2"), ("AF3", "AF4"), ("F7", "F8"), ("F5", "F6"), ("F3", "F4"),
              ("F1", "F2"), ("FT7", "FT8"), ("FC5", "FC6"), ("FC3", "FC4"), ("FC1", "FC2"),
              ("T7", "T8"), ("C5", "C6"), ("C3", "C4"), ("C1", "C2"), ("TP7", "TP8"),
              ("CP5", "CP6"), ("CP3", "CP4"), ("CP1", "CP2"), ("P7", "P8"), ("P5", "P6"),
              ("P3", "P4"), ("P1", "P2"), ("PO7", "PO8"), ("PO5", "PO6"), ("PO3", "PO4"),
              ("CB1", "CB2"), ("O1", "O2"))
#: the 23 frontal/posterior pairs of dcau (the real pairing is undocumented)
CAUDAL_PAIRS = (("FT7", "TP7"), ("FC5", "CP5"), ("FC3", "CP3"), ("FC1", "CP1"), ("FCZ", "CPZ"),
                ("FC2", "CP2"), ("FC4", "CP4"), ("FC6", "CP6"), ("FT8", "TP8"), ("F7", "P7"),
                ("F5", "P5"), ("F3", "P3"), ("F1", "P1"), ("FZ", "PZ"), ("F2", "P2"),
                ("F4", "P4"), ("F6", "P6"), ("F8", "P8"), ("FP1", "O1"), ("FPZ", "OZ"),
                ("FP2", "O2"), ("AF3", "PO3"), ("AF4", "PO4"))
RAW_NOISE_UV, RAW_TONE_UV = 5.0, 10.0
#: seconds recorded after the last trial's end
RAW_TAIL = 5.0
README = "Synthetic SEED folder written by emopipe (emopipe.io.synth.seed); no real data.\n"


def _kinds(de, ch):
    """The 6 kinds of one smoothing, (rows, window, band) each, from DE (62, window, band)."""
    left = [ch.index(a) for a, _ in ASYM_PAIRS]
    right = [ch.index(b) for _, b in ASYM_PAIRS]
    front = [ch.index(a) for a, _ in CAUDAL_PAIRS]
    back = [ch.index(b) for _, b in CAUDAL_PAIRS]
    dasm = de[left] - de[right]
    rasm = de[left] / de[right]
    return {"de": de, "psd": np.exp(2 * de) / (2 * np.pi * np.e), "dasm": dasm, "rasm": rasm,
            "asm": np.concatenate([dasm, rasm]), "dcau": de[front] - de[back]}


def _feature_vars(trial_de, ch):
    """The 180 variables of one ExtractedFeatures file, grouped trial by trial."""
    out = {}
    for k, de in enumerate(trial_de, start=1):
        smooth = {"movingAve": _kinds(_smooth_ma(de), ch), "LDS": _kinds(_smooth_exp(de), ch)}
        for key in _layout.FEATURE_KEYS:
            kind, how = key.split("_")
            out[f"{key}{k}"] = smooth[how][kind]
    return out


def write_multimodal_npz(fname, train, test, train_label, test_label):
    """Write a ``SEED_Multimodal`` ``eeg_used_*`` npz: band dicts as pickle bytes (dtype S).

    Parameters
    ----------
    fname : path-like
        Output ``.npz``.
    train, test : dict of str -> ndarray, shape (n_windows, 62) | bytes
        Band name -> DE of clips 1-9 / 10-15, or pickle bytes written as given.
    train_label, test_label : ndarray, shape (n_windows,)
        The class of each window.
    """
    members = {}
    for name, obj in (("train_data", train), ("test_data", test)):
        raw = obj if isinstance(obj, bytes) else py2_pickle_bytes(obj)
        members[name] = np.array(raw, dtype=f"S{len(raw)}")
    members["train_label"] = np.asarray(train_label, dtype=np.int64)
    members["test_label"] = np.asarray(test_label, dtype=np.int64)
    np.savez(fname, **members)


def write_eye_pickle(fname, train, test):
    """Write a ``SEED_Multimodal`` eye feature file: a bare pickle, no extension.

    Parameters
    ----------
    fname : path-like
        Output file.
    train, test : ndarray, shape (n_windows, n_features)
        Eye features of clips 1-9 / 10-15.
    """
    Path(fname).write_bytes(py2_pickle_bytes({"train_data_eye": train, "test_data_eye": test}))


def _write_mat(path, variables):
    import scipy.io

    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, variables)


def _write_folder(folder, files, labels):
    """One EEG folder: the subject files, label.mat and readme.txt."""
    for name, variables in files.items():
        _write_mat(folder / name, variables)
    _write_mat(folder / "label.mat", {"label": np.asarray(labels, dtype=np.int64)[None, :]})
    (folder / "readme.txt").write_text(README, encoding="utf-8")


def _write_raw_session(fname, rng, asym, bg, ch, sfreq, data_format, date):
    """One session's CNT: noise, and each trial's planted tones inside its documented window."""
    win = _layout.raw_trial_windows()
    extra = list(_layout._manifest()["raw"]["extra_channels"])  # after the 62 (unverified)
    n_times = int(round((win[-1, 1] + RAW_TAIL) * sfreq))
    data = rng.standard_normal((len(ch) + len(extra), n_times), dtype=np.float32)
    data *= np.float32(RAW_NOISE_UV * 1e-6)  # float32 in place: 1 GB per session at 1000 Hz
    right = [ch.index(c) for c in RIGHT_FRONTAL]
    left = [ch.index(c) for c in LEFT_FRONTAL]
    aro = [ch.index(c) for c in AROUSAL_CHANNELS]
    for (a, b), s_a, s_b in zip(win, asym, bg):
        i0, i1 = int(round(a * sfreq)), int(round(b * sfreq))
        t = np.arange(i1 - i0) / sfreq
        alpha = RAW_TONE_UV * 1e-6 * np.sin(2 * np.pi * 10.0 * t)
        data[right, i0:i1] += (np.exp(s_a / 2) * alpha).astype(np.float32)
        data[left, i0:i1] += (np.exp(-s_a / 2) * alpha).astype(np.float32)
        data[aro, i0:i1] += (RAW_TONE_UV * 1e-6 * np.exp(s_b / 2)
                             * np.sin(2 * np.pi * 20.0 * t)).astype(np.float32)
    write_cnt(fname, data, sfreq, list(ch) + extra, data_format=data_format,
              date=f"{date[4:6]}/{date[6:8]}/{date[2:4]}")


def write_seed_synth(out, *, release="new", n_subjects=3, n_sessions=3, seconds=(6, 10), seed=0,
                     scenario="kd", preprocessed=True, multimodal=None, raw=False,
                     raw_sfreq=1000, raw_format="int16"):
    """Write a synthetic SEED download (either release) with planted effects.

    See the module docstring for the layouts and the effects.

    Parameters
    ----------
    out : path-like
        Output folder (created).
    release : str
        ``"old"`` (Preprocessed_EEG/ + ExtractedFeatures/) or ``"new"``
        (SEED_EEG/ + SEED_Multimodal/).
    n_subjects : int
        Subjects ``1 ... n_subjects`` (<= 15).
    n_sessions : int
        Sessions ``1 ... n_sessions`` (<= 3), 15 trials each.
    seconds : tuple of (int, int)
        Lowest and highest trial length in s (drawn uniformly, inclusive;
        the real clips last about 4 minutes). ``"new"`` needs >= 4 so that
        every trial has a 4-s window.
    seed : int
        Seed of the local random generator; recorded with the outputs.
    scenario : str
        Cohort scenario of :data:`emopipe.io.synth._cohort.SCENARIOS`.
    preprocessed : bool
        Also write ``Preprocessed_EEG`` (62 x 200 s float64 per trial:
        about 0.1 MB per second of trial).
    multimodal : bool | None
        ``"new"`` only: also write ``SEED_Multimodal`` for the subjects it
        covers. ``None``: unless ``raw``.
    raw : bool
        ``"new"`` only: also write ``SEED_EEG/SEED_RAW_EEG/*.cnt`` on the
        documented trial windows (about 3810 s per session; see the module
        docstring). Excludes ``multimodal``.
    raw_sfreq : int
        Rate of the raw files in Hz, at least 50 (the 20-Hz tone under
        Nyquist); the real ones: 1000.
    raw_format : str
        ``"int16"`` or ``"int32"`` samples.

    Returns
    -------
    ground_truth : dict
        What ``out/ground_truth.json`` holds.
    """
    _check_option("release", release, ("old", "new"))
    _check_number("n_subjects", n_subjects, kind="int", low=1, high=15)
    _check_number("n_sessions", n_sessions, kind="int", low=1, high=3)
    low = 4 if release == "new" else 1
    if (not isinstance(seconds, (tuple, list)) or len(seconds) != 2
            or not all(isinstance(n, int) for n in seconds)
            or not low <= seconds[0] <= seconds[1]):
        raise ConfigError(f"seconds must be a pair (lowest, highest) of ints with {low} <= lowest "
                          f"<= highest (release {release!r}), got {seconds!r}.")
    if multimodal is None:
        multimodal = not raw
    if raw and (release != "new" or multimodal):
        raise ConfigError(
            f"raw=True writes SEED_EEG/SEED_RAW_EEG of the current release without "
            f"SEED_Multimodal (its eye windows cannot match both the raw and the .mat trials), "
            f"got release={release!r}, multimodal={multimodal!r}. Use release='new', "
            f"multimodal=False.")
    if raw:
        _check_number("raw_sfreq", raw_sfreq, kind="int", low=50)
        _check_option("raw_format", raw_format, ("int16", "int32"))
    sc = get_scenario(scenario)
    from scipy.signal import butter

    out = Path(out)
    man = _layout._manifest()
    ch = list(man["channels"])
    labels = np.asarray(man["labels"], dtype=np.int64)
    right = [ch.index(c) for c in RIGHT_FRONTAL]
    left = [ch.index(c) for c in LEFT_FRONTAL]
    aro = [ch.index(c) for c in AROUSAL_CHANNELS]
    fs = _layout.SFREQ
    sos = [butter(4, (lo, hi), btype="bandpass", fs=fs, output="sos")
           for lo, hi in man["extracted_features"]["band_edges"]]
    rel = man["releases"][release]
    pre_dir = out / rel["preprocessed"]
    feat_dirs = {w: out / d for w, d in rel["features"].items()}
    mm = out / rel["multimodal"] if release == "new" else None
    rng = np.random.default_rng(seed)
    files = {"pre": {}, "1s": {}, "4s": {}}
    subjects = {}
    for i in range(1, n_subjects + 1):
        sub = str(i)
        base_de = np.asarray(BASE_DE)[None, :] + rng.standard_normal((62, 5))
        base_eye = 1.0 + 0.2 * rng.standard_normal(N_EYE)
        in_mm = release == "new" and multimodal and sub in man["multimodal_subjects"]
        sessions = {}
        for session in range(1, n_sessions + 1):
            date = man["dates"][sub][session - 1]
            fname = f"{sub}_{date}.mat"
            raw_vars, trial_de, eye_trials, trials, planted = {}, [], [], [], []
            for k, c in enumerate(labels, start=1):
                v0, a0 = CLASS_CENTRES[int(c)]
                val = float(v0 + LATENT_SD * rng.standard_normal())
                aro_l = float(a0 + LATENT_SD * rng.standard_normal())
                s = int(rng.integers(seconds[0], seconds[1] + 1))
                asym = sc.alpha_asym * (val - 5.0) + sc.alpha_jitter * rng.standard_normal()
                bg = sc.beta_gamma * (aro_l - 5.0) + sc.beta_gamma_jitter * rng.standard_normal()
                shift = np.zeros((62, 5))  # ln power
                shift[right, 2] += asym
                shift[left, 2] -= asym
                shift[aro, 3:5] += bg
                de = base_de[:, None, :] + shift[:, None, :] / 2 \
                    + WINDOW_SD * rng.standard_normal((62, s, 5))
                trial_de.append(de)
                planted.append((asym, bg))
                if preprocessed:
                    raw_vars[f"{PREFIXES[i - 1]}_eeg{k}"] = _raw_trial(
                        rng, np.exp(shift / 2), int(s * fs) + 1, sos)
                ev = base_eye[None, :] + 0.1 * rng.standard_normal((s, N_EYE))
                pupil = 0.1 * sc.blink * (aro_l - 5.0)
                blink = sc.blink / 60.0 * (aro_l - 5.0)
                sacc = sc.saccade / 60.0 * (aro_l - 5.0)
                ev[:, list(PUPIL_COLS)] += pupil
                ev[:, BLINK_COL] += blink
                ev[:, SACCADE_COL] += sacc
                eye_trials.append(ev)
                trials.append({"trial": k, "trial_id": 15 * (session - 1) + k,
                               "emotion": int(c), "valence": round(val, 4),
                               "arousal": round(aro_l, 4), "seconds": s,
                               "n_samples": int(s * fs) + 1,
                               "alpha_asym_ln_power": round(float(asym), 4),
                               "beta_gamma_ln_power": round(float(bg), 4),
                               "pupil_shift": round(float(pupil), 4),
                               "blink_frequency_shift": round(float(blink), 5),
                               "saccade_frequency_shift": round(float(sacc), 5)})
            if preprocessed:
                files["pre"][fname] = raw_vars
            files["1s"][fname] = _feature_vars(trial_de, ch)
            if "4s" in feat_dirs:
                files["4s"][fname] = _feature_vars(
                    [de[:, :4 * (de.shape[1] // 4)].reshape(62, -1, 4, 5).mean(axis=2)
                     for de in trial_de], ch)
            if in_mm:
                _write_multimodal(mm, rel, f"{sub}_{session}", trial_de, eye_trials, labels)
            sessions[str(session)] = {"file": fname, "date": date,
                                      "prefix": PREFIXES[i - 1], "trials": trials}
            if raw:
                raw_name = f"{sub}_{session}.cnt"
                (out / rel["raw"]).mkdir(parents=True, exist_ok=True)
                _write_raw_session(out / rel["raw"] / raw_name,
                                   np.random.default_rng([seed, i, session]),
                                   *zip(*planted), ch, raw_sfreq, raw_format, date)
                sessions[str(session)]["raw_file"] = raw_name
        subjects[sub] = sessions
    if preprocessed:
        _write_folder(pre_dir, files["pre"], labels)
    for w, d in feat_dirs.items():
        _write_folder(d, files[w], labels)
    truth = {
        "dataset": "seed", "release": release,
        "settings": {"n_subjects": n_subjects, "n_sessions": n_sessions,
                     "seconds": list(seconds), "seed": seed, "preprocessed": preprocessed,
                     "multimodal": bool(release == "new" and multimodal), "raw": bool(raw),
                     "raw_band_uv": RAW_BAND_UV, "window": _layout.WINDOW},
        "scenario": sc.to_dict(),
        "labels": "label.mat clip classes (no self-report noise): -1 negative, 0 neutral, "
                  "1 positive",
        "latent": {"class_centres": {str(k): list(v) for k, v in CLASS_CENTRES.items()},
                   "sd": LATENT_SD},
        "multimodal_subjects": [s for s in subjects if release == "new" and multimodal
                                and s in man["multimodal_subjects"]],
        "planted": {
            "eeg_alpha_asymmetry": {"right": list(RIGHT_FRONTAL), "left": list(LEFT_FRONTAL),
                                    "band": "alpha", "latent": "valence",
                                    "slope_ln_power": sc.alpha_asym},
            "eeg_beta_gamma": {"channels": list(AROUSAL_CHANNELS), "bands": ["beta", "gamma"],
                               "latent": "arousal", "slope_ln_power": sc.beta_gamma},
            "eye": {"latent": "arousal", "columns": {"0": 0.1 * sc.blink, "1": 0.1 * sc.blink,
                                                     str(BLINK_COL): sc.blink / 60.0,
                                                     str(SACCADE_COL): sc.saccade / 60.0}},
            "de_rule": "DE moves by half the ln-power shift",
        },
        "strength": session_eeg_strengths(subjects),
        "subjects": subjects,
    }
    if raw:
        win = _layout.raw_trial_windows()
        truth["raw"] = {"folder": rel["raw"], "sfreq": raw_sfreq, "data_format": raw_format,
                        "channels": ch + list(man["raw"]["extra_channels"]),
                        "trial_windows": win.tolist(),
                        "trial_seconds": (win[:, 1] - win[:, 0]).tolist(),
                        "tail_seconds": RAW_TAIL, "noise_uv": RAW_NOISE_UV,
                        "tone_uv": RAW_TONE_UV,
                        "tones": {"alpha_10hz": "exp(+/- alpha_asym_ln_power / 2) right / left",
                                  "beta_20hz": "exp(beta_gamma_ln_power / 2) at "
                                               + ", ".join(AROUSAL_CHANNELS)}}
    out.mkdir(parents=True, exist_ok=True)
    write_ground_truth(out, truth)
    logger.info("SEED synth (%s release): %d subjects x %d sessions x 15 trials into %s",
                release, n_subjects, n_sessions, out)
    return truth


def _write_multimodal(mm, rel, stem, trial_de, eye_trials, labels):
    """The eeg_used_1s / _4s npz and the eye pickle of one subject and session."""
    n = _layout.N_TRAIN
    bands = list(_layout._manifest()["multimodal_de"]["bands"])
    for w, folder in rel["multimodal_de"].items():
        d = mm / folder
        d.mkdir(parents=True, exist_ok=True)
        des = [_smooth_exp(de if w == "1s" else
                           de[:, :4 * (de.shape[1] // 4)].reshape(62, -1, 4, 5).mean(axis=2))
               for de in trial_de]  # the de_LDS of the features of the same windows
        parts = []
        for sel in (slice(0, n), slice(n, None)):
            x = np.concatenate([de.transpose(1, 0, 2) for de in des[sel]])  # (window, 62, 5)
            lab = np.repeat(labels[sel], [de.shape[1] for de in des[sel]])
            parts.append(({b: x[:, :, j] for j, b in enumerate(bands)}, lab))
        write_multimodal_npz(d / f"{stem}.npz", parts[0][0], parts[1][0], parts[0][1],
                             parts[1][1])
    d = mm / rel["multimodal_eye"]
    d.mkdir(parents=True, exist_ok=True)
    write_eye_pickle(d / stem, np.concatenate(eye_trials[:n]), np.concatenate(eye_trials[n:]))


@fill_doc
@register_writer("seed", options=("release",),
                 note="SEED has 15 clips per session, fixed by the stimulus list; the writer "
                      "renders Preprocessed_EEG, the extracted features and (current release) "
                      "SEED_Multimodal, no raw CNT and no face video.")
def synth_seed(out, *, n_subjects, seed=0, scenario="legacy", release=None):
    """``emopipe synth --dataset seed``: :func:`write_seed_synth` with the CLI's options.

    Parameters
    ----------
    %(synth_out)s
    %(synth_cohort)s
    release : str | None
        ``"old"`` or ``"new"`` (``None``: ``"new"``).
    """
    write_seed_synth(out, release=release or "new", n_subjects=n_subjects, seed=seed,
                     scenario=scenario)
