"""Format-faithful synthetic AMIGOS cohort from the shared cohort model.

:func:`write_amigos_synth` writes a folder laid out as the AMIGOS download::

    out/Data_Preprocessed_P01/Data_Preprocessed_P01.mat   MAT v5 (docs/datasets.md section 7)
    out/Data_Preprocessed_P03.mat                        the last participant flat (n >= 3)
    out/ground_truth.json                                everything planted, for scoring

Format: the keys ``VideoIDs``, ``joined_data``, ``labels_selfassessment``,
``labels_ext_annotation``, each a (1, 20) cell (16 short videos, then the 4 long
ones ``N1 P1 B1 U1``); ``joined_data{k}`` samples x 17 at 128 Hz (14 EEG in uV,
ECG right, ECG left in a.u., GSR); ``labels_selfassessment{k}`` (1, 12) =
arousal, valence, dominance, liking, familiarity (1-9, **arousal first**), then 7
emotion flags (0/1); ``labels_ext_annotation{k}`` (n_segments, 3) = segment
index, valence, arousal, one row per 20-s segment (at least one).

Quirks (as in the real files): participant 1's cell 3 is empty (``joined_data``
0 x 0, self-assessment 1 x 0, no external annotation) and its cell 5 holds all-NaN
channels; participant 2 (when written) has no long videos (cells 17-20 empty, as
for the real P08, P24, P28); the last participant (of 3 or more) is written flat
under the root.

Cohort (:mod:`emopipe.io.synth._cohort`): latent valence, arousal, dominance,
liking per video on 1-9; the self-assessment is the model's self-report (2
decimals); the external annotation of each segment is the latent plus
annotator noise (SD 0.75, clipped to 1-9, 2 decimals). The latent shows as:

- valence -> frontal alpha asymmetry and arousal -> beta/gamma at T7, T8, FC5,
  FC6 (the scenario's slopes per point about 5; the EEG of
  :mod:`emopipe.io.synth.dreamer`);
- arousal -> heart rate ``hr_s + HR_PER_SCR * scr * g (a - 5)`` bpm;
- arousal -> skin-conductance responses at ``r_s + scr * g (a - 5)`` per minute
  (Bateman shape ``exp(-t / 3) - exp(-t / 0.75)`` scaled to peak at the response's
  amplitude, 0.05-0.4 uS, over 20 s) on a constant tonic level of 2-10 uS, plus
  white noise of SD 0.002 uS.

The file states no GSR unit (unverified in the real data); this writer writes
skin **resistance in kOhm** (``1000 / G_uS``), the choice ``pipelines/ekd_amigos.yaml``
states (``modality_params: {gsr: {unit: kohm}}``).
"""

import logging
from pathlib import Path

import numpy as np

from ...utils._checks import _check_type
from ...utils._errors import ConfigError
from ...utils._logging import progress
from ...utils._logging import verbose as _verbose
from ...utils.docs import fill_doc
from ..amigos import SFREQ, _manifest
from ._cohort import LATENT_NAMES, draw_subject, get_scenario, strength
from ._common import write_ground_truth
from ._registry import register_writer
from .dreamer import HR_PER_SCR, _beats, _ecg, _eeg

logger = logging.getLogger("emopipe.io.synth.amigos")

SCR_RISE, SCR_DECAY = 0.75, 3.0
EXT_NOISE_SD = 0.75
MID = 5.0
#: (participant position 0-based, cell 1-based) of the documented quirks
EMPTY_CELL, NAN_CELL = (0, 3), (0, 5)
NO_LONG = 1


def _scr(rng, rate_per_min, n_times, tonic_uS):
    """Conductance in uS (n_times,) with SCR onsets (s) at a Poisson rate."""
    dur = n_times / SFREQ
    n = rng.poisson(max(rate_per_min, 0.0) * dur / 60.0)
    onsets = np.sort(rng.uniform(0.0, max(dur - 1.0, 0.1), n)).round(4)
    amps = rng.uniform(0.05, 0.4, n).round(4)
    tk = np.arange(round(20.0 * SFREQ)) / SFREQ
    kernel = np.exp(-tk / SCR_DECAY) - np.exp(-tk / SCR_RISE)
    kernel /= kernel.max()
    imp = np.zeros(n_times)
    np.add.at(imp, np.minimum(np.rint(onsets * SFREQ).astype(int), n_times - 1), amps)
    phasic = np.convolve(imp, kernel)[:n_times]
    g = tonic_uS + phasic + 0.002 * rng.standard_normal(n_times)
    return g, onsets.tolist(), amps.tolist()


def _participant(rng, report_rng, sc, durations, channels, *, empty, nan):
    """Cells and ground truth of one participant; ``empty`` / ``nan`` are 1-based cell sets."""
    man = _manifest()
    n = man["n_videos"]
    draw = draw_subject(rng, report_rng, sc, n, lo=1.0, hi=9.0, decimals=2)
    prm = {"eeg_rms_uV": float(rng.uniform(10.0, 20.0)),
           "alpha_peak": float(rng.uniform(0.5, 2.0)),
           "white_floor": float(rng.uniform(0.002, 0.01)),
           "channel_gain": rng.uniform(0.8, 1.25, 14).round(4).tolist(),
           "heart_rate_bpm": float(rng.uniform(60.0, 80.0)),
           "ecg_noise": float(rng.uniform(0.01, 0.03)),
           "scr_base_per_min": float(rng.uniform(2.0, 4.0)),
           "tonic_uS": float(rng.uniform(2.0, 10.0))}
    val, aro = draw.latent[:, 0], draw.latent[:, 1]
    g_eeg, g_per = draw.gains["eeg"], draw.gains["gsr"]
    jitter = rng.standard_normal((n, 3)) * [sc.alpha_jitter, sc.alpha_jitter,
                                            sc.beta_gamma_jitter]
    joined, selfa, ext = (np.empty((1, n), dtype=object) for _ in range(3))
    trials = []
    for k in range(n):
        pos = k + 1
        n_times = int(durations[k] * SFREQ)
        planted = (sc.alpha_asym * g_eeg * (val[k] - MID) + jitter[k, 0],
                   -sc.alpha_asym * g_eeg * (val[k] - MID) + jitter[k, 1],
                   sc.beta_gamma * g_eeg * (aro[k] - MID) + jitter[k, 2])
        hr = max(prm["heart_rate_bpm"] + HR_PER_SCR * sc.scr * g_per * (aro[k] - MID), 40.0)
        beats = _beats(rng, hr, hr, 0.0, float(durations[k]))
        cond, scrs, scr_amps = _scr(rng, prm["scr_base_per_min"] + sc.scr * g_per * (aro[k] - MID),
                          n_times, prm["tonic_uS"])
        cells = np.concatenate([_eeg(rng, n_times, prm, channels, planted),
                                _ecg(rng, beats, n_times, prm["ecg_noise"], sfreq=SFREQ),
                                (1000.0 / cond)[:, None]], axis=1)
        n_seg = max(1, int(durations[k] // man["ext_segment_s"]))
        ext_va = np.clip(draw.latent[k, [0, 1]][None] + EXT_NOISE_SD
                         * rng.standard_normal((n_seg, 2)), 1.0, 9.0).round(2)
        flags = (rng.random(7) < 0.3).astype(np.float64)
        rep = draw.reports[k]
        row = np.array([[rep[1], rep[0], rep[2], rep[3], float(rng.integers(1, 10)), *flags]])
        usable = None
        if pos in empty:
            joined[0, k], selfa[0, k], ext[0, k] = np.zeros((0, 0)), np.zeros((1, 0)), \
                np.zeros((0, 0))
            usable = "empty joined_data cell"
        else:
            if pos in nan:
                cells[:] = np.nan
                usable = "channels all NaN"
            joined[0, k] = cells
            selfa[0, k] = row
            ext[0, k] = np.column_stack([np.arange(1, n_seg + 1), ext_va]).astype(np.float64)
        trials.append({
            "cell": pos, "video_id": man["video_ids"][k],
            "session": 1 if k < man["n_short"] else 2, "duration_s": int(durations[k]),
            "usable": usable is None, "skip_reason": usable,
            "latent": {nm: float(draw.latent[k, j]) for j, nm in enumerate(LATENT_NAMES)},
            "arousal": float(row[0, 0]), "valence": float(row[0, 1]),
            "dominance": float(row[0, 2]), "liking": float(row[0, 3]),
            "familiarity": float(row[0, 4]),
            "ext_valence": float(ext_va[:, 0].mean()), "ext_arousal": float(ext_va[:, 1].mean()),
            "planted_ln_alpha_asymmetry": round(planted[0] - planted[1], 6),
            "planted_ln_beta_gamma": round(planted[2], 6), "heart_rate_bpm": round(hr, 6),
            "scr_onsets_s": scrs, "scr_amplitudes_uS": scr_amps})
    video_ids = np.empty((1, n), dtype=object)
    video_ids[0, :] = man["video_ids"]
    mat = {"VideoIDs": video_ids, "joined_data": joined, "labels_selfassessment": selfa,
           "labels_ext_annotation": ext}
    truth = {"params": prm, "report_bias": draw.report_bias.round(6).tolist(),
             "report_scale": draw.report_scale.round(6).tolist(), "slope_gains": draw.gains,
             "trials": trials}
    return mat, truth


@_verbose
def write_amigos_synth(out, *, n_subjects=4, seed=0, scenario="legacy", short_s=(20.0, 40.0),
                       long_s=(60.0, 90.0), verbose=None):
    """Write a synthetic AMIGOS cohort in the authors' layout, with planted effects and quirks.

    See the module docstring for the layout, the format, the quirks and the effects.

    Parameters
    ----------
    out : path-like
        Output folder (created).
    n_subjects : int
        Number of participants (1-40), ``P01`` ...
    seed : int
        Seed of the local random generators; recorded with the outputs.
    scenario : str
        Cohort scenario of :data:`emopipe.io.synth._cohort.SCENARIOS`.
    short_s, long_s : tuple of float
        ``(shortest, longest)`` length in s of the short and of the long
        videos; each a whole number of seconds in it.
    verbose : bool | str | int | None
        Log level for this call.

    Returns
    -------
    ground_truth : dict
        What ``out/ground_truth.json`` holds.
    """
    import scipy.io

    _check_type("out", out, ("path-like",))
    _check_type("n_subjects", n_subjects, ("int",))
    if not 1 <= n_subjects <= 40:
        raise ConfigError(f"n_subjects must be in [1, 40] (AMIGOS has 40), got {n_subjects}.")
    _check_type("seed", seed, ("int",))
    sc = get_scenario(scenario)
    for name, rng_s in (("short_s", short_s), ("long_s", long_s)):
        lo, hi = rng_s
        if not 1.0 <= lo <= hi or np.floor(hi) < np.ceil(lo):
            raise ConfigError(f"{name} must be (shortest, longest) with 1 <= shortest <= "
                              f"longest spanning a whole second, got {rng_s!r}.")
    man = _manifest()
    channels = list(man["channels"]["eeg"])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    subjects = {}
    ids = [f"P{i:02d}" for i in range(1, n_subjects + 1)]
    for i, sid in enumerate(progress(ids, desc="synthetic AMIGOS")):
        rng = np.random.default_rng([seed, i + 1])
        durations = np.concatenate([
            rng.integers(int(np.ceil(short_s[0])), int(np.floor(short_s[1])) + 1, man["n_short"]),
            rng.integers(int(np.ceil(long_s[0])), int(np.floor(long_s[1])) + 1,
                         man["n_videos"] - man["n_short"])])
        empty = {EMPTY_CELL[1]} if i == EMPTY_CELL[0] else set()
        if i == NO_LONG:
            empty |= set(range(man["n_short"] + 1, man["n_videos"] + 1))
        nan = {NAN_CELL[1]} if i == NAN_CELL[0] else set()
        mat, truth = _participant(rng, np.random.default_rng([seed, i + 1, 11]), sc, durations,
                                  channels, empty=empty, nan=nan)
        flat = n_subjects >= 3 and i == n_subjects - 1
        rel = (man["files"]["preprocessed_flat"] if flat else
               man["files"]["preprocessed"]).format(subject=sid)
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        scipy.io.savemat(tmp, mat, format="5", do_compression=False)
        tmp.replace(path)
        truth["file"] = rel
        truth["without_long_videos"] = i == NO_LONG
        subjects[sid] = truth
        logger.info("%s: wrote %s", sid, rel)
    pairs = {"eeg_alpha_asymmetry~valence": ("planted_ln_alpha_asymmetry", "valence"),
             "eeg_beta_gamma~arousal": ("planted_ln_beta_gamma", "arousal"),
             "ecg_heart_rate~arousal": ("heart_rate_bpm", "arousal")}
    strengths = {}
    for key, (q, lat) in pairs.items():
        x = [t[q] for s in subjects.values() for t in s["trials"]]
        y = [t["latent"][lat] for s in subjects.values() for t in s["trials"]]
        strengths[key] = round(strength(x, y), 4)
    x = [len(t["scr_onsets_s"]) * 60.0 / t["duration_s"] for s in subjects.values()
         for t in s["trials"]]
    y = [t["latent"]["arousal"] for s in subjects.values() for t in s["trials"]]
    strengths["gsr_scr_rate~arousal"] = round(strength(x, y), 4)
    truth = {
        "dataset": "amigos", "generator": "emopipe.io.synth.amigos.write_amigos_synth",
        "seed": seed, "n_subjects": n_subjects, "sfreq": SFREQ,
        "short_s": list(short_s), "long_s": list(long_s),
        "units_in_file": {"eeg": "uV", "ecg": "a.u.", "gsr": "kohm (skin resistance)"},
        "columns": "1-14 EEG, 15 ECG right, 16 ECG left, 17 GSR",
        "selfassessment": list(man["selfassessment"]),
        "quirks": {"empty_cell": {"participant": ids[EMPTY_CELL[0]], "cell": EMPTY_CELL[1]},
                   "nan_cell": {"participant": ids[NAN_CELL[0]], "cell": NAN_CELL[1]},
                   "without_long_videos": ids[NO_LONG] if n_subjects > NO_LONG else None,
                   "flat": ids[-1] if n_subjects >= 3 else None},
        "effects": {"alpha_asymmetry_ln_power_per_point_each_side": sc.alpha_asym,
                    "beta_gamma_ln_power_per_point": sc.beta_gamma,
                    "heart_rate_bpm_per_point": HR_PER_SCR * sc.scr,
                    "scr_per_min_per_point": sc.scr, "ext_annotation_noise_sd": EXT_NOISE_SD},
        "scenario": sc.to_dict(), "strengths": strengths, "subjects": subjects}
    return write_ground_truth(out, truth)


@fill_doc
@register_writer("amigos", note="AMIGOS files always hold the 20 videos, preprocessed: no raw "
                                "BDF and no face video.")
def synth_amigos(out, *, n_subjects, seed=0, scenario="legacy"):
    """``emopipe synth --dataset amigos``: :func:`write_amigos_synth` with the CLI's options.

    Parameters
    ----------
    out : str | Path
        Folder to write into.
    n_subjects : int
        Number of participants.
    %(synth_seed_scenario)s
    """
    write_amigos_synth(out, n_subjects=n_subjects, seed=seed, scenario=scenario)
