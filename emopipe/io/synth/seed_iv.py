"""A synthetic SEED-IV download: the official feature files, with planted, documented effects.

Layout written (``docs/datasets.md`` section 3; names, key order, shapes
and dtypes as the authors ship them)::

    out/eeg_feature_smooth/{1,2,3}/<subject>_<date>.mat   de_movingAve<k>, de_LDS<k>,
                                                          psd_movingAve<k>, psd_LDS<k>,
                                                          k = 1 ... 24, (62, W_k, 5) float64
    out/eye_feature_smooth/{1,2,3}/<subject>_<date>.mat   eye_1 ... eye_24, (31, W_k) float64
    out/eeg_raw_data/{1,2,3}/<subject>_<date>.mat         <initials>_eeg1 ... _eeg24,
                                                          (62, 800 W_k + r_k) float64 uV
    out/eye_raw_data/<subject>_<date>_<kind>.mat          (flat) Eye_Blink, Eye_Event,
                                                          Eye_Fixation, Eye_Pupil,
                                                          Eye_Saccade: 24 cells each
    out/ground_truth.json                                 everything planted, for scoring

Dates are the real ones of the manifest; each trial has ``W_k`` 4-s windows,
the same in every file (the raw trial adds ``r_k < 800`` samples, an incomplete
last window). The raw variables' prefixes are :data:`PREFIXES` in subject
order (``cz`` is subject 1 in the real files; the rest of the mapping is
unverified).

Cohort model (:mod:`emopipe.io.synth._cohort`): the class of a trial is the
clip's official label (0 neutral, 1 sad, 2 fear, 3 happy; the labels are
the stimuli's, so there is no self-report noise). The latent affective
state of a trial is drawn around its class centre on the 1-9 scale (valence,
arousal: neutral (5, 5), sad (3, 3), fear (3, 7), happy (7, 7); SD
:data:`LATENT_SD`), and every window's features follow the latent with the
scenario's strengths:

- EEG, DE in nats (``0.5 ln(2 pi e var)``: a change of ``d`` in ln power
  moves DE by ``d / 2``): a subject baseline ``N(BASE_DE[band], 1)`` per
  channel and band, window noise SD :data:`WINDOW_SD`; frontal alpha
  asymmetry, alpha ln power ``+/- alpha_asym * (valence - 5)`` at the right
  (FP2, AF4, F4, F6, F8) / left (FP1, AF3, F3, F5, F7) channels, trial
  jitter SD ``alpha_jitter``; beta and gamma ln power ``+ beta_gamma *
  (arousal - 5)`` at C3, C4, CZ, T7, T8, jitter SD ``beta_gamma_jitter``.
  ``de_movingAve`` is the centred 5-window moving average of that DE,
  ``de_LDS`` a forward-backward exponential smoothing (factor 0.5) of it;
  ``psd_*`` are the band powers ``exp(2 DE) / (2 pi e)`` of the smoothed DE.
- Raw EEG (``raw=True``), uV at 200 Hz: per channel the sum of five
  independent white noises band-passed (Butterworth order 4, zero phase) to
  the bands of the manifest, each of SD :data:`RAW_BAND_UV` times
  ``exp(shift / 2)`` where ``shift`` is the trial's planted ln-power shift
  of that channel and band (the same shifts as the feature files').
- Eye (rows in the manifest's order): pupil diameter mean X and Y (rows 1-2)
  ``+ PUPIL_PER_BLINK * blink * (arousal - 5)``, blink frequency (row 23,
  per s) ``+ blink / 60 * (arousal - 5)``, saccade frequency (row 28, per
  s) ``+ saccade / 60 * (arousal - 5)``; every row has a subject baseline
  and window noise (:data:`EYE_BASE`, :data:`EYE_SD`); nothing else is
  planted.

``ground_truth.json`` records the settings, the scenario, the planted
channels, bands and rows, and per subject, session and trial the class, the
latent, the window count and the planted shifts, with the correlation of
each planted shift with its latent (:func:`emopipe.io.synth._cohort.strength`).
"""

import logging
from pathlib import Path

import numpy as np

from ...utils._checks import _check_number
from ...utils._errors import ConfigError
from ...utils._logging import verbose as _verbose
from ...utils.docs import fill_doc
from .. import seed_iv as _layout
from ._common import session_eeg_strengths, write_ground_truth
from ._registry import register_writer
from ._cohort import get_scenario

logger = logging.getLogger("emopipe.io.synth.seed_iv")

#: class -> (valence, arousal) centre of the latent on 1-9
CLASS_CENTRES = {0: (5.0, 5.0), 1: (3.0, 3.0), 2: (3.0, 7.0), 3: (7.0, 7.0)}
LATENT_SD = 0.75
#: subject-mean DE per band (delta ... gamma), nats, near the official files' 10-28
BASE_DE = (22.0, 20.0, 19.0, 17.0, 15.0)
WINDOW_SD = 0.3
RIGHT_FRONTAL = ("FP2", "AF4", "F4", "F6", "F8")
LEFT_FRONTAL = ("FP1", "AF3", "F3", "F5", "F7")
AROUSAL_CHANNELS = ("C3", "C4", "CZ", "T7", "T8")
PUPIL_PER_BLINK = 0.1
EYE_BASE = 1.0
EYE_SD = 0.1
PUPIL_ROWS = (0, 1)
BLINK_ROW = 22
SACCADE_ROW = 27
#: raw-variable prefixes of subjects 1-15 (docs/datasets.md section 3; only cz = 1 verified)
PREFIXES = ("cz", "ha", "hql", "ldy", "ly", "mhw", "mz", "qyt", "rx", "tyc", "whh", "wll", "wq",
            "zjd", "zjy")
RAW_BAND_UV = 10.0


def _raw_trial(rng, gains, n_times, sos):
    """(62, n_times) uV: per band, band-passed white noise times the channel's gain."""
    from scipy.signal import sosfiltfilt

    x = np.zeros((gains.shape[0], n_times))
    for b, s in enumerate(sos):
        noise = sosfiltfilt(s, rng.standard_normal((gains.shape[0], n_times)), axis=-1)
        noise /= noise.std(axis=-1, keepdims=True)
        x += RAW_BAND_UV * gains[:, b:b + 1] * noise
    return x


def _smooth_ma(x, n=5):
    """Centred moving average along axis 1 of (channel, window, band), truncated at the edges."""
    w = x.shape[1]
    out = np.empty_like(x)
    lo, hi = (n - 1) // 2 + (n - 1) % 2, (n - 1) // 2
    for t in range(w):
        out[:, t] = x[:, max(0, t - lo):t + hi + 1].mean(axis=1)
    return out


def _smooth_exp(x, a=0.5):
    """Forward-backward exponential smoothing along axis 1."""
    f = x.copy()
    for t in range(1, x.shape[1]):
        f[:, t] = a * f[:, t - 1] + (1 - a) * x[:, t]
    for t in range(x.shape[1] - 2, -1, -1):
        f[:, t] = a * f[:, t + 1] + (1 - a) * f[:, t]
    return f


@_verbose
def write_seed_iv_synth(out, *, n_subjects=3, n_sessions=3, n_windows=(6, 10), seed=0,
                        scenario="kd", eye=True, raw=False, eye_raw=False, verbose=None):
    """Write a synthetic SEED-IV download (official features) with planted effects.

    See the module docstring for the layout and the effects.

    Parameters
    ----------
    out : path-like
        Output folder (created).
    n_subjects : int
        Subjects ``1 ... n_subjects`` (<= 15).
    n_sessions : int
        Sessions ``1 ... n_sessions`` (<= 3), 24 trials each.
    n_windows : tuple of (int, int)
        Lowest and highest number of 4-s windows of a trial (drawn uniformly,
        inclusive; the real clips have about 2-4 minutes).
    seed : int
        Seed of the local random generator; recorded with the outputs.
    scenario : str
        Cohort scenario of :data:`emopipe.io.synth._cohort.SCENARIOS`.
    eye : bool
        Also write ``eye_feature_smooth``.
    raw : bool
        Also write ``eeg_raw_data``: 0.4 MB per 4-s window (62 x 800
        float64), about 76 MB per subject and session at the default
        ``n_windows``; keep ``n_windows`` small in tests.
    eye_raw : bool
        Also write the five flat ``eye_raw_data`` files per subject and
        session: cell arrays of 24 random event tables (rows: blink 1,
        event 1, fixation 1, pupil 4, saccade 2; 3-8 events each), with no
        planted effect.
    verbose : bool | str | int | None
        Log level for this call.

    Returns
    -------
    ground_truth : dict
        What ``out/ground_truth.json`` holds.
    """
    _check_number("n_subjects", n_subjects, kind="int", low=1, high=15)
    _check_number("n_sessions", n_sessions, kind="int", low=1, high=3)
    if (not isinstance(n_windows, (tuple, list)) or len(n_windows) != 2
            or not all(isinstance(n, int) for n in n_windows)
            or not 1 <= n_windows[0] <= n_windows[1]):
        raise ConfigError(f"n_windows must be a pair (lowest, highest) of ints with "
                          f"1 <= lowest <= highest, got {n_windows!r}.")
    sc = get_scenario(scenario)
    import scipy.io
    from scipy.signal import butter

    out = Path(out)
    man = _layout._manifest()
    ch = list(man["channels"])
    right = [ch.index(c) for c in RIGHT_FRONTAL]
    left = [ch.index(c) for c in LEFT_FRONTAL]
    aro = [ch.index(c) for c in AROUSAL_CHANNELS]
    alpha, beta_gamma = 2, [3, 4]
    fs = _layout.SFREQ
    sos = [butter(4, (lo, hi), btype="bandpass", fs=fs, output="sos")
           for lo, hi in man["eeg_features"]["band_edges"]]
    rng = np.random.default_rng(seed)
    subjects = {}
    for i in range(1, n_subjects + 1):
        sub = str(i)
        base_de = np.asarray(BASE_DE)[None, :] + rng.standard_normal((_layout.N_CHANNELS, 5))
        base_eye = EYE_BASE + 0.2 * rng.standard_normal(_layout.N_EYE)
        sessions = {}
        for session in range(1, n_sessions + 1):
            date = man["dates"][sub][session - 1]
            labels = _layout.session_labels(session)
            eeg_vars, eye_vars, raw_vars, trials = {}, {}, {}, []
            for k, c in enumerate(labels, start=1):
                v0, a0 = CLASS_CENTRES[int(c)]
                val = float(v0 + LATENT_SD * rng.standard_normal())
                aro_l = float(a0 + LATENT_SD * rng.standard_normal())
                w = int(rng.integers(n_windows[0], n_windows[1] + 1))
                asym = sc.alpha_asym * (val - 5.0) + sc.alpha_jitter * rng.standard_normal()
                bg = sc.beta_gamma * (aro_l - 5.0) + sc.beta_gamma_jitter * rng.standard_normal()
                de = base_de[:, None, :] + WINDOW_SD * rng.standard_normal(
                    (_layout.N_CHANNELS, w, 5))
                de[right, :, alpha] += asym / 2  # ln power -> DE: half
                de[left, :, alpha] -= asym / 2
                for b in beta_gamma:
                    de[aro, :, b] += bg / 2
                if raw:
                    shift = np.zeros((_layout.N_CHANNELS, 5))  # ln power, as planted in DE
                    shift[right, alpha] += asym
                    shift[left, alpha] -= asym
                    for b in beta_gamma:
                        shift[aro, b] += bg
                    n_times = int(w * _layout.WINDOW * fs + rng.integers(0, 800))
                    raw_vars[f"{PREFIXES[i - 1]}_eeg{k}"] = _raw_trial(
                        rng, np.exp(shift / 2), n_times, sos)
                de_ma, de_lds = _smooth_ma(de), _smooth_exp(de)
                scale = 2 * np.pi * np.e
                eeg_vars[f"de_movingAve{k}"] = de_ma
                eeg_vars[f"de_LDS{k}"] = de_lds
                eeg_vars[f"psd_movingAve{k}"] = np.exp(2 * de_ma) / scale
                eeg_vars[f"psd_LDS{k}"] = np.exp(2 * de_lds) / scale
                ev = base_eye[:, None] + EYE_SD * rng.standard_normal((_layout.N_EYE, w))
                pupil = PUPIL_PER_BLINK * sc.blink * (aro_l - 5.0)
                blink = sc.blink / 60.0 * (aro_l - 5.0)
                sacc = sc.saccade / 60.0 * (aro_l - 5.0)
                ev[list(PUPIL_ROWS)] += pupil
                ev[BLINK_ROW] += blink
                ev[SACCADE_ROW] += sacc
                eye_vars[f"eye_{k}"] = ev
                trials.append({"trial": k, "emotion": int(c), "valence": round(val, 4),
                               "arousal": round(aro_l, 4), "n_windows": w,
                               "alpha_asym_ln_power": round(float(asym), 4),
                               "beta_gamma_ln_power": round(float(bg), 4),
                               "pupil_shift": round(float(pupil), 4),
                               "blink_frequency_shift": round(float(blink), 5),
                               "saccade_frequency_shift": round(float(sacc), 5)})
            fname = f"{sub}_{date}.mat"
            d = out / _layout.EEG_FEATURE_FOLDER / str(session)
            d.mkdir(parents=True, exist_ok=True)
            scipy.io.savemat(d / fname, eeg_vars)
            if eye:
                d = out / _layout.EYE_FEATURE_FOLDER / str(session)
                d.mkdir(parents=True, exist_ok=True)
                scipy.io.savemat(d / fname, eye_vars)
            if raw:
                d = out / _layout.EEG_RAW_FOLDER / str(session)
                d.mkdir(parents=True, exist_ok=True)
                scipy.io.savemat(d / fname, raw_vars)
            if eye_raw:
                d = out / _layout.EYE_RAW_FOLDER
                d.mkdir(parents=True, exist_ok=True)
                for kind, key in _layout.EYE_RAW_KINDS.items():
                    rows = {"pupil": 4, "saccade": 2}.get(kind, 1)
                    cells = np.empty((_layout.N_TRIALS, 1), dtype=object)
                    for k in range(_layout.N_TRIALS):
                        cells[k, 0] = rng.random((rows, int(rng.integers(3, 9))))
                    scipy.io.savemat(d / f"{sub}_{date}_{kind}.mat", {key: cells})
            sessions[str(session)] = {"file": fname, "trials": trials}
        subjects[sub] = sessions
    truth = {
        "dataset": "seed_iv",
        "settings": {"n_subjects": n_subjects, "n_sessions": n_sessions,
                     "n_windows": list(n_windows), "seed": seed, "eye": eye, "raw": raw,
                     "eye_raw": eye_raw, "raw_band_uv": RAW_BAND_UV,
                     "window": _layout.WINDOW},
        "scenario": sc.to_dict(),
        "labels": "official clip labels (no self-report noise): 0 neutral, 1 sad, 2 fear, 3 happy",
        "latent": {"class_centres": {str(k): list(v) for k, v in CLASS_CENTRES.items()},
                   "sd": LATENT_SD},
        "planted": {
            "eeg_alpha_asymmetry": {"right": list(RIGHT_FRONTAL), "left": list(LEFT_FRONTAL),
                                    "band": "alpha", "latent": "valence",
                                    "slope_ln_power": sc.alpha_asym,
                                    "jitter_ln_power": sc.alpha_jitter},
            "eeg_beta_gamma": {"channels": list(AROUSAL_CHANNELS), "bands": ["beta", "gamma"],
                               "latent": "arousal", "slope_ln_power": sc.beta_gamma,
                               "jitter_ln_power": sc.beta_gamma_jitter},
            "eye": {"latent": "arousal",
                    "rows": {"pupil_mean_x": PUPIL_PER_BLINK * sc.blink,
                             "pupil_mean_y": PUPIL_PER_BLINK * sc.blink,
                             "blink_frequency": sc.blink / 60.0,
                             "saccade_frequency": sc.saccade / 60.0}},
            "de_rule": "DE moves by half the ln-power shift",
        },
        "strength": session_eeg_strengths(subjects),
        "subjects": subjects,
    }
    out.mkdir(parents=True, exist_ok=True)
    write_ground_truth(out, truth)
    logger.info("SEED-IV synth: %d subjects x %d sessions x 24 trials into %s", n_subjects,
                n_sessions, out)
    return truth


@fill_doc
@register_writer("seed_iv", note="SEED-IV has 24 clips per session, fixed by the stimulus list, and "
                 "the writer renders the official features (no raw files, no face video).")
def synth_seed_iv(out, *, n_subjects, seed=0, scenario="legacy"):
    """``emopipe synth --dataset seed_iv``: :func:`write_seed_iv_synth` with the CLI's options.

    Parameters
    ----------
    %(synth_out)s
    %(synth_cohort)s
    """
    write_seed_iv_synth(out, n_subjects=n_subjects, seed=seed, scenario=scenario)
