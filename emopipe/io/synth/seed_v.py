"""Synthetic SEED-V official features in the authors' format, with planted effects.

Layout written (``docs/datasets.md`` section 4)::

    out/EEG_DE_features/<subject>_123.npz        members data, label: pickle bytes (dtype S)
    out/Eye_movement_features/<subject>_123.npz  the same, 33 columns
    out/EEG_raw/<subject>_<session>_<date>.cnt   with raw=True: Neuroscan CNT
    out/trial_start_end_timestamp.txt            with raw=True: the trial windows
    out/ground_truth.json                        everything planted, for scoring

Each member is a protocol-2 pickle (written opcode by opcode as Python 2's
cPickle did, :mod:`emopipe.io.synth._pickle2`) of a dict keyed by the ints
0-44 in order (0-14 session 1, 15-29 session 2, 30-44 session 3): EEG
``data[k]`` ``(n_windows, 310)`` float64, the 62 channels x 5 bands flattened
channel-major; eye ``data[k]`` ``(n_windows, 33)``; ``label[k]`` ``(n_windows,)``
int64, the trial's class in the official order. A trial has
``floor((end - start) / 4)`` windows of the official trial windows, or at most
``max_windows``.

With ``raw=True`` each session is also a Neuroscan CNT recording
(:func:`emopipe.io.synth._cnt.write_cnt`; 62 EEG channels then ``M1, M2,
VEO, HEO``, ``raw_sfreq`` Hz, ``raw_format`` samples of 0.1 uV) named
``<subject>_<session>_<YYYYMMDD>.cnt`` with dates whose order disagrees with
the sessions' (session 2 recorded after session 3), as in the real
download. The trial windows are the official ones unless ``max_windows``
caps the trials: then trial ``k`` lasts ``4 * n_windows_k + 2`` s, 3 s after
the previous one ends (first start 5 s), and the file
``trial_start_end_timestamp.txt`` states the windows written. The signal is
white noise (``RAW_NOISE_UV`` per sample) plus, inside each trial, a 10-Hz
tone of ``RAW_TONE_UV * exp(+-asym)`` uV at the right (+) and left (-)
frontal channels and a 20-Hz tone of ``RAW_TONE_UV * exp(bg)`` uV at the
central ones, ``asym`` and ``bg`` the trial's planted alpha asymmetry and
beta-gamma shift (a tone of amplitude ``A`` has DE ``0.5 ln(pi e A^2)``, so
the planted values are DE differences in nats).

Cohort model (:mod:`emopipe.io.synth._cohort`, scenario strengths): each
class has a latent valence and arousal on 1-9 (:data:`PROTOTYPES`), plus a
trial draw ``N(0, 0.75)``; the classes are written exactly (SEED-V's labels
are the stimuli's emotions, not self-reports). Planted, in DE units (nats):

- alpha DE at the right frontal channels ``+ g * alpha_asym * (v - 5)``, at
  the left ones ``- g * alpha_asym * (v - 5)`` (``alpha_jitter`` per trial);
- beta and gamma DE at C3, C4, CZ, T7, T8 ``+ g * beta_gamma * (a - 5)``
  (``beta_gamma_jitter`` per trial);
- eye column 22 (SEED-IV's row 23, blink frequency, per s) a Poisson count
  over the 4-s window at ``(15 + g * blink * (a - 5)) / 60`` per s, column 27
  (saccade frequency) at ``(30 + g * saccade * (a - 5)) / 60`` per s;

``g`` is the subject's gain per modality, ``U(1 - strength_spread, 1 +
strength_spread)``. Every other value is noise around a per-subject mean.
"""

from pathlib import Path

import numpy as np

from ...utils._checks import _check_type
from ...utils._errors import ConfigError
from ...utils.docs import fill_doc
from .._manifest import load_manifest
from ._cnt import write_cnt
from ._common import write_ground_truth
from ._registry import register_writer
from ._cohort import get_scenario, strength
from ._pickle2 import py2_pickle_bytes

#: latent (valence, arousal) on 1-9 of each class: disgust, fear, sad, neutral, happy
PROTOTYPES = ((3.0, 6.0), (2.5, 7.5), (2.5, 3.0), (5.0, 5.0), (7.5, 7.0))
RIGHT_FRONTAL = ("FP2", "AF4", "F4", "F6", "F8")
LEFT_FRONTAL = ("FP1", "AF3", "F3", "F5", "F7")
CENTRAL = ("C3", "C4", "CZ", "T7", "T8")
BLINK_COL, SACCADE_COL = 22, 27
RAW_NOISE_UV, RAW_TONE_UV = 5.0, 10.0
#: recording dates of the raw sessions 1, 2, 3: session 2 after session 3
RAW_DATES = ("20180801", "20180810", "20180808")
RAW_EXTRA = ("M1", "M2", "VEO", "HEO")


def write_member_npz(fname, data, label):
    """Write an official SEED-V npz: ``data`` and ``label`` as pickle bytes (dtype S).

    Parameters
    ----------
    fname : path-like
        Output ``.npz``.
    data, label : dict of int -> ndarray | bytes
        The dicts to pickle (keys in order), or pickle bytes written as given.
    """
    members = {}
    for name, obj in (("data", data), ("label", label)):
        raw = obj if isinstance(obj, bytes) else py2_pickle_bytes(obj)
        members[name] = np.array(raw, dtype=f"S{len(raw)}")
    np.savez(fname, **members)


def _n_windows(man, max_windows):
    raw = man["raw"]
    out = []
    for s in (1, 2, 3):
        for a, b in zip(raw["trial_start"][s], raw["trial_end"][s]):
            n = int((b - a) // man["official_features"]["window"])
            out.append(n if max_windows is None else min(n, max_windows))
    return out


def _raw_windows(man, n_win, max_windows):
    """Per session (15, 2) trial windows in s: official, or compressed to ``n_win``."""
    if max_windows is None:
        return {s: np.column_stack([man["raw"]["trial_start"][s], man["raw"]["trial_end"][s]])
                .astype(float) for s in (1, 2, 3)}
    out = {}
    for s in (1, 2, 3):
        t, rows = 5.0, []
        for n in n_win[15 * (s - 1):15 * s]:
            rows.append((t, t + 4.0 * n + 2.0))
            t += 4.0 * n + 5.0
        out[s] = np.array(rows)
    return out


def _write_timestamps(fname, windows):
    """``trial_start_end_timestamp.txt`` in the official format."""
    def fmt(values):
        return "[" + ", ".join(f"{v:g}" for v in values) + "]"

    lines = []
    for s, win in windows.items():
        lines += [f"Session {s}:", f"start_second: {fmt(win[:, 0])}",
                  f"end_second: {fmt(win[:, 1])}", ""]
    Path(fname).write_text("\n".join(lines), encoding="utf-8")


def _write_raw_session(fname, rng, windows, trial_alpha, trial_bg, idx, sfreq, data_format,
                       date):
    """One session's CNT: noise, and the planted tones inside each trial."""
    n_times = int(round((windows[-1, 1] + 5.0) * sfreq))
    n_ch = 62 + len(RAW_EXTRA)
    data = (RAW_NOISE_UV * 1e-6 * rng.standard_normal((n_ch, n_times))).astype(np.float32)
    for (a, b), asym, bg in zip(windows, trial_alpha, trial_bg):
        i0, i1 = int(round(a * sfreq)), int(round(b * sfreq))
        t = np.arange(i1 - i0) / sfreq
        alpha = RAW_TONE_UV * 1e-6 * np.sin(2 * np.pi * 10.0 * t)
        beta = RAW_TONE_UV * 1e-6 * np.exp(bg) * np.sin(2 * np.pi * 20.0 * t)
        data[idx["right"], i0:i1] += (np.exp(asym) * alpha).astype(np.float32)
        data[idx["left"], i0:i1] += (np.exp(-asym) * alpha).astype(np.float32)
        data[idx["central"], i0:i1] += beta.astype(np.float32)
    mm, dd, yy = date[4:6], date[6:8], date[2:4]
    write_cnt(fname, data, sfreq, list(load_manifest("seed_v")["channels"]) + list(RAW_EXTRA),
              data_format=data_format, date=f"{mm}/{dd}/{yy}")


def write_seed_v_synth(out, *, n_subjects=3, seed=0, scenario="kd", max_windows=None,
                       raw=False, raw_sfreq=1000.0, raw_format="int32"):
    """Write a synthetic SEED-V cohort (official feature files) with planted effects.

    Parameters
    ----------
    out : path-like
        Folder to write into (created).
    n_subjects : int
        Subjects ``1 ... n_subjects`` (at most 16).
    seed : int
        Seed of every draw.
    scenario : str
        Cohort scenario (:data:`emopipe.io.synth.SCENARIOS`).
    max_windows : int | None
        Cap on the windows of a trial (small test cohorts); ``None`` keeps
        the official trial lengths.
    raw : bool
        Also write ``EEG_raw/*.cnt`` and ``trial_start_end_timestamp.txt``
        (about 0.8 GB per session at the official lengths and 1000 Hz in
        int32: keep ``max_windows`` and ``raw_sfreq`` small in tests).
    raw_sfreq : float
        Rate of the raw files (the real ones: 1000 Hz).
    raw_format : str
        ``"int32"`` (the size of the real files suggests it) or ``"int16"``.

    Returns
    -------
    ground_truth : dict
        What ``out/ground_truth.json`` holds.
    """
    _check_type("n_subjects", n_subjects, ("int",))
    if not 1 <= n_subjects <= 16:
        raise ConfigError(f"n_subjects must be 1-16 (SEED-V has 16 subjects), got {n_subjects}.")
    sc = get_scenario(scenario)
    man = load_manifest("seed_v")
    ch = list(man["channels"])
    labels = np.concatenate([man["session_labels"][s] for s in (1, 2, 3)]).astype(np.int64)
    n_win = _n_windows(man, max_windows)
    out = Path(out)
    (out / "EEG_DE_features").mkdir(parents=True, exist_ok=True)
    (out / "Eye_movement_features").mkdir(parents=True, exist_ok=True)
    if raw:
        (out / "EEG_raw").mkdir(exist_ok=True)
        raw_win = _raw_windows(man, n_win, max_windows)
        _write_timestamps(out / "trial_start_end_timestamp.txt", raw_win)
    idx = {name: [ch.index(c) for c in group] for name, group in
           (("right", RIGHT_FRONTAL), ("left", LEFT_FRONTAL), ("central", CENTRAL))}
    truth = {"dataset": "seed_v", "scenario": sc.to_dict(), "seed": seed,
             "prototypes": {str(i): list(p) for i, p in enumerate(PROTOTYPES)},
             "planted": {"alpha_asymmetry": {"band": "alpha", "right": list(RIGHT_FRONTAL),
                                             "left": list(LEFT_FRONTAL), "follows": "valence"},
                         "beta_gamma": {"bands": ["beta", "gamma"], "channels": list(CENTRAL),
                                        "follows": "arousal"},
                         "eye_blink_col": BLINK_COL, "eye_saccade_col": SACCADE_COL},
             "n_windows": n_win, "subjects": {}}
    if raw:
        truth["raw"] = {"sfreq": raw_sfreq, "data_format": raw_format,
                        "noise_uV": RAW_NOISE_UV, "tone_uV": RAW_TONE_UV,
                        "channels_extra": list(RAW_EXTRA),
                        "files": {s: f"<subject>_{s}_{RAW_DATES[s - 1]}.cnt" for s in (1, 2, 3)},
                        "trial_windows": {s: raw_win[s].tolist() for s in (1, 2, 3)}}
    for i in range(1, n_subjects + 1):
        rng = np.random.default_rng([seed, i])
        g = {m: float(rng.uniform(1 - sc.strength_spread, 1 + sc.strength_spread))
             for m in ("eeg", "eye")}
        va = np.array([PROTOTYPES[c] for c in labels]) + rng.normal(0, 0.75, (len(labels), 2))
        v, a = va[:, 0], va[:, 1]
        base = 15.0 - 1.5 * np.arange(5)[None, :] + rng.normal(0, 1.0, (62, 5))
        eye_base = rng.uniform(0.5, 2.0, 33)
        eeg_d, eye_d, lab_d, trial_alpha, trial_bg = {}, {}, {}, [], []
        for k, n in enumerate(n_win):
            de = base[None] + rng.normal(0, 0.5, (n, 62, 5))
            asym = g["eeg"] * sc.alpha_asym * (v[k] - 5) + rng.normal(0, sc.alpha_jitter)
            de[:, idx["right"], 2] += asym
            de[:, idx["left"], 2] -= asym
            bg = g["eeg"] * sc.beta_gamma * (a[k] - 5) + rng.normal(0, sc.beta_gamma_jitter)
            de[:, idx["central"], 3:5] += bg
            trial_alpha.append(asym)
            trial_bg.append(bg)
            eye = eye_base[None] + rng.normal(0, 0.1, (n, 33))
            for col, base_rate, slope in ((BLINK_COL, 15.0, sc.blink),
                                          (SACCADE_COL, 30.0, sc.saccade)):
                rate = max(base_rate + g["eye"] * slope * (a[k] - 5), 0.0) / 60.0
                eye[:, col] = rng.poisson(rate * 4.0, n) / 4.0
            eeg_d[k] = de.reshape(n, 310)
            eye_d[k] = eye
            lab_d[k] = np.full(n, labels[k], dtype=np.int64)
        write_member_npz(out / "EEG_DE_features" / f"{i}_123.npz", eeg_d, lab_d)
        if raw:
            for s in (1, 2, 3):
                sl = slice(15 * (s - 1), 15 * s)
                _write_raw_session(out / "EEG_raw" / f"{i}_{s}_{RAW_DATES[s - 1]}.cnt",
                                   np.random.default_rng([seed, i, s]), raw_win[s],
                                   trial_alpha[sl], trial_bg[sl], idx, raw_sfreq, raw_format,
                                   RAW_DATES[s - 1])
        write_member_npz(out / "Eye_movement_features" / f"{i}_123.npz", eye_d, lab_d)
        blink = [float(eye_d[k][:, BLINK_COL].mean()) for k in range(len(n_win))]
        truth["subjects"][str(i)] = {
            "gains": g, "valence": v.round(4).tolist(), "arousal": a.round(4).tolist(),
            "emotion": labels.tolist(), "planted_alpha_asym": np.round(trial_alpha, 4).tolist(),
            "planted_beta_gamma": np.round(trial_bg, 4).tolist(),
            "strength": {"alpha_asym_vs_valence": strength(trial_alpha, v),
                         "beta_gamma_vs_arousal": strength(trial_bg, a),
                         "blink_vs_arousal": strength(blink, a)}}
    return write_ground_truth(out, truth)


@fill_doc
@register_writer("seed_v", note="SEED-V has 15 clips per session, fixed by the stimulus list, and "
                 "the writer renders the official features (no raw files, no face video).")
def synth_seed_v(out, *, n_subjects, seed=0, scenario="legacy", max_windows=None):
    """``emopipe synth --dataset seed_v``: :func:`write_seed_v_synth` with the CLI's options.

    Parameters
    ----------
    %(synth_out)s
    %(synth_cohort)s
    max_windows : int | None
        Cap on the windows of a trial (``emopipe pipeline run``'s small cohorts).
    """
    write_seed_v_synth(out, n_subjects=n_subjects, seed=seed, scenario=scenario,
                       max_windows=max_windows)
