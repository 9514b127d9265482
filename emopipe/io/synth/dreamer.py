"""Format-faithful synthetic DREAMER cohort from the shared cohort model.

:func:`write_dreamer_synth` writes a folder laid out as the DREAMER download::

    out/DREAMER.mat        MAT v5, struct DREAMER (docs/datasets.md section 6)
    out/ground_truth.json  everything planted, for scoring

Format: ``DREAMER`` with the fields ``Data`` (1 x n struct), ``EEG_SamplingRate``
128, ``ECG_SamplingRate`` 256, ``EEG_Electrodes`` (1 x 14 cell), ``noOfSubjects``,
``noOfVideoSequences``, ``Disclaimer``, ``Provider``, ``Version``,
``Acknowledgement``, in that order; ``Data{i}`` with ``Age``, ``Gender``,
``EEG``, ``ECG``, ``ScoreValence``, ``ScoreArousal``, ``ScoreDominance``;
``EEG.baseline`` / ``EEG.stimuli`` (n_clips, 1) cells of **samples x 14**
arrays (uV) at 128 Hz, ``ECG.*`` of samples x 2 at 256 Hz (a.u.); scores
(n_clips, 1) doubles holding integers 1-5. Both scipy access styles work
(``loadmat(p)["DREAMER"][0, 0]["Data"][0, s]["EEG"][0, 0]["stimuli"][t, 0]`` and
``squeeze_me=True, struct_as_record=False``). The baseline lasts
``baseline_s`` (61 s as in the real file: 7808 EEG and 15616 ECG samples), every
clip's stimulus a whole number of seconds drawn in ``stimulus_s`` (clips differ in
length, as the films do), EEG and ECG of a clip equally long.

Cohort (:mod:`emopipe.io.synth._cohort`): per subject and clip a latent
valence, arousal, dominance, liking uniform on 1-5; the scores are the
self-reports of the model, rounded to integers, with the scenario's noise,
bias and scale spread halved (one DREAMER point spans two points of the 1-9
scale the scenarios are written in). The latent shows during the stimulus
only (the baseline is a neutral clip, rendered at the midpoint 3):

- valence -> frontal alpha asymmetry: alpha (8-14 Hz) power times
  ``exp(+k (v - 3))`` at F4, AF4, F8 and ``exp(-k (v - 3))`` at F3, AF3, F7,
  ``k = 2 * alpha_asym`` (the scenario's slope per 1-9 point, doubled), with
  the scenario's per-trial ln-power jitter;
- arousal -> beta/gamma (14-45 Hz) power times ``exp(2 * beta_gamma (a - 3))``
  at T7, T8, FC5, FC6, with the scenario's jitter;
- arousal -> heart rate: ``hr = hr_s + 2 * HR_PER_SCR * scr * g (a - 3)``
  beats per minute (``HR_PER_SCR`` = 5 bpm per unit of the scenario's SCR slope,
  ``g`` the subject's peripheral gain: 3 bpm per 1-9 point in ``legacy``, 1.5 in
  ``kd``, 0 in ``blind``); the baseline beats at ``hr_s``. The ECG is a sum of
  Gaussian P, Q, R, S, T waves per beat (R amplitude 1 on ECG1, 0.6 on ECG2)
  with RR intervals varying 3 % around ``60 / hr``, plus noise and baseline
  wander; one beat train runs through baseline and stimulus.

``ground_truth.json`` lists per subject and clip the latent, the scores, the
stimulus length, the planted ln alpha asymmetry and ln beta/gamma offset, the
planted heart rate and the R-peak times (s after stimulus onset).
"""

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from ...utils._checks import _check_type
from ...utils._errors import ConfigError
from ...utils._logging import progress
from ...utils._logging import verbose as _verbose
from ...utils.docs import fill_doc
from ..dreamer import FILE_NAME, LABEL_NAMES, _manifest, subject_ids
from ._cohort import LATENT_NAMES, draw_subject, get_scenario, strength
from ._common import write_ground_truth
from ._registry import register_writer

logger = logging.getLogger("emopipe.io.synth.dreamer")

EEG_SFREQ, ECG_SFREQ = 128.0, 256.0
ALPHA_RIGHT = ("F4", "AF4", "F8")
ALPHA_LEFT = ("F3", "AF3", "F7")
AROUSAL_CHANNELS = ("T7", "T8", "FC5", "FC6")
BANDS = {"alpha": (8.0, 14.0), "beta_gamma": (14.0, 45.0)}
#: bpm of heart rate per unit of the scenario's SCR slope, per 1-9 rating point
HR_PER_SCR = 5.0
#: (amplitude, centre s from the R peak, width s) of the P, Q, R, S, T waves
PQRST = ((0.15, -0.20, 0.025), (-0.10, -0.03, 0.010), (1.0, 0.0, 0.010),
         (-0.25, 0.03, 0.010), (0.30, 0.25, 0.050))
ECG_GAINS = (1.0, 0.6)
MID = 3.0


def _eeg(rng, n_times, prm, channels, planted):
    """One segment of Emotiv EEG in uV, (n_times, 14) at 128 Hz: 1/f + alpha peak.

    ``planted`` is ``(alpha_right, alpha_left, beta_gamma)`` ln-power offsets
    (:data:`ALPHA_RIGHT`, :data:`ALPHA_LEFT`, :data:`AROUSAL_CHANNELS`).
    """
    freqs = np.fft.rfftfreq(n_times, 1.0 / EEG_SFREQ)
    band = (freqs >= 1.0) & (freqs <= 45.0)
    psd = band * (1.0 / np.maximum(freqs, 1.0)
                  + prm["alpha_peak"] * 0.1 * np.exp(-0.5 * ((freqs - 10.0) / 1.5) ** 2)
                  + prm["white_floor"])
    scale = prm["eeg_rms_uV"] / np.sqrt(2.0 * psd.sum() / n_times ** 2)
    alpha_f = (freqs >= BANDS["alpha"][0]) & (freqs < BANDS["alpha"][1])
    bg_f = (freqs >= BANDS["beta_gamma"][0]) & (freqs < BANDS["beta_gamma"][1])
    lg = np.zeros((len(channels), freqs.size))
    for c, name in enumerate(channels):
        if name in ALPHA_RIGHT:
            lg[c, alpha_f] += planted[0]
        elif name in ALPHA_LEFT:
            lg[c, alpha_f] += planted[1]
        if name in AROUSAL_CHANNELS:
            lg[c, bg_f] += planted[2]
    spec = (rng.standard_normal(lg.shape) + 1j * rng.standard_normal(lg.shape)) / np.sqrt(2.0)
    gain = np.asarray(prm["channel_gain"])[:, None] * np.sqrt(psd)[None] * scale
    spec *= gain * np.exp(0.5 * lg)
    return np.fft.irfft(spec, n=n_times, axis=-1).T


def _beats(rng, hr_base, hr, baseline, duration):
    """R-peak times in ``[0, baseline + duration)`` s: ``hr_base`` bpm in the baseline, then ``hr``.

    One beat train over the whole trial (the heart does not restart at the
    stimulus onset); each RR interval varies 3 % around ``60 / rate``.
    """
    times, t = [], rng.uniform(0.2, 0.8)
    while t < baseline + duration:
        times.append(t)
        t += 60.0 / (hr_base if t < baseline else hr) * (1.0 + 0.03 * rng.standard_normal())
    return np.asarray(times)


def _ecg(rng, beats, n_times, noise, sfreq=ECG_SFREQ):
    """Two ECG channels (n_times, 2), a.u., at ``sfreq`` Hz from R-peak times in s."""
    t = np.arange(n_times) / sfreq
    wave = np.zeros(n_times)
    for b in beats:
        lo, hi = np.searchsorted(t, [b - 0.35, b + 0.45])
        seg = t[lo:hi] - b
        for amp, centre, width in PQRST:
            wave[lo:hi] += amp * np.exp(-0.5 * ((seg - centre) / width) ** 2)
    wander = 0.1 * np.sin(2 * np.pi * 0.25 * t + rng.uniform(0, 2 * np.pi))
    return np.stack([g * wave + wander + noise * rng.standard_normal(n_times)
                     for g in ECG_GAINS], axis=1)


def _subject_params(rng):
    return {"eeg_rms_uV": float(rng.uniform(10.0, 20.0)),
            "alpha_peak": float(rng.uniform(0.5, 2.0)),
            "white_floor": float(rng.uniform(0.002, 0.01)),
            "channel_gain": rng.uniform(0.8, 1.25, 14).round(4).tolist(),
            "heart_rate_bpm": float(rng.uniform(60.0, 80.0)),
            "ecg_noise": float(rng.uniform(0.01, 0.03)),
            "age": int(rng.integers(22, 34)),
            "gender": "male" if rng.random() < 0.6 else "female"}


def _cells(arrays):
    """A (n, 1) MATLAB cell of the given arrays."""
    out = np.empty((len(arrays), 1), dtype=object)
    for i, a in enumerate(arrays):
        out[i, 0] = a
    return out


def _struct(fields, values, shape=(1, 1)):
    """A MATLAB struct array with ``fields`` in order; ``values`` one dict per element."""
    arr = np.empty(shape, dtype=[(f, object) for f in fields])
    for idx, v in zip(np.ndindex(shape), values):
        for f in fields:
            arr[idx][f] = v[f]
    return arr


def _subject(rng, report_rng, sc, n_trials, stimulus_s, baseline_s, channels):
    """One subject's Data entry and ground truth."""
    prm = _subject_params(rng)
    draw = draw_subject(rng, report_rng, sc, n_trials, lo=1.0, hi=5.0, decimals=0)
    valence, arousal = draw.latent[:, 0], draw.latent[:, 1]
    lo, hi = stimulus_s
    durations = rng.integers(int(np.ceil(lo)), int(np.floor(hi)) + 1, n_trials)
    n_base_eeg, n_base_ecg = round(baseline_s * EEG_SFREQ), round(baseline_s * ECG_SFREQ)
    k_alpha = 2.0 * sc.alpha_asym * draw.gains["eeg"]
    k_bg = 2.0 * sc.beta_gamma * draw.gains["eeg"]
    k_hr = 2.0 * HR_PER_SCR * sc.scr * draw.gains["gsr"]
    jitter = rng.standard_normal((n_trials, 3)) * [sc.alpha_jitter, sc.alpha_jitter,
                                                   sc.beta_gamma_jitter]
    eeg_b, eeg_s, ecg_b, ecg_s, trials = [], [], [], [], []
    for t in range(n_trials):
        planted = (k_alpha * (valence[t] - MID) + jitter[t, 0],
                   -k_alpha * (valence[t] - MID) + jitter[t, 1],
                   k_bg * (arousal[t] - MID) + jitter[t, 2])
        eeg_b.append(_eeg(rng, n_base_eeg, prm, channels, (0.0, 0.0, 0.0)))
        eeg_s.append(_eeg(rng, int(durations[t] * EEG_SFREQ), prm, channels, planted))
        hr_base = prm["heart_rate_bpm"]
        hr = max(hr_base + k_hr * (arousal[t] - MID), 40.0)
        beats = _beats(rng, hr_base, hr, baseline_s, float(durations[t]))
        whole = _ecg(rng, beats, n_base_ecg + int(durations[t] * ECG_SFREQ), prm["ecg_noise"])
        ecg_b.append(whole[:n_base_ecg])
        ecg_s.append(whole[n_base_ecg:])
        beats_s = beats[beats >= baseline_s] - baseline_s
        trials.append({
            "clip": t + 1, "stimulus_s": int(durations[t]),
            **{name: int(draw.reports[t, j]) for j, name in enumerate(LABEL_NAMES)},
            "latent": {n: float(draw.latent[t, j]) for j, n in enumerate(LATENT_NAMES)},
            "planted_ln_alpha_asymmetry": round(planted[0] - planted[1], 6),
            "planted_ln_beta_gamma": round(planted[2], 6),
            "heart_rate_bpm": round(float(hr), 6),
            "r_peaks_s": np.round(beats_s, 6).tolist()})
    scores = {f"Score{n.capitalize()}": draw.reports[:, j].reshape(-1, 1).astype(np.float64)
              for j, n in enumerate(LABEL_NAMES)}
    segments = ("baseline", "stimuli")
    entry = {"Age": str(prm["age"]), "Gender": prm["gender"],
             "EEG": _struct(segments, [{"baseline": _cells(eeg_b), "stimuli": _cells(eeg_s)}]),
             "ECG": _struct(segments, [{"baseline": _cells(ecg_b), "stimuli": _cells(ecg_s)}]),
             **scores}
    truth = {"params": prm, "report_bias": draw.report_bias.round(6).tolist(),
             "report_scale": draw.report_scale.round(6).tolist(), "slope_gains": draw.gains,
             "trials": trials}
    return entry, truth


def _measured_strengths(subjects):
    pairs = {"eeg_alpha_asymmetry~valence": ("planted_ln_alpha_asymmetry", "valence"),
             "eeg_beta_gamma~arousal": ("planted_ln_beta_gamma", "arousal"),
             "ecg_heart_rate~arousal": ("heart_rate_bpm", "arousal"),
             "report_valence~latent": ("valence", "valence"),
             "report_arousal~latent": ("arousal", "arousal")}
    out = {}
    for name, (key, lat) in pairs.items():
        x = [tr[key] for s in subjects.values() for tr in s["trials"]]
        y = [tr["latent"][lat] for s in subjects.values() for tr in s["trials"]]
        out[name] = round(strength(x, y), 4)
    return out


@_verbose
def write_dreamer_synth(out, *, n_subjects=4, n_trials=18, seed=0, scenario="legacy",
                        baseline_s=61.0, stimulus_s=(20.0, 40.0), verbose=None):
    """Write a synthetic DREAMER cohort as the authors' ``DREAMER.mat``, with planted effects.

    See the module docstring for the layout, the format and the effects.

    Parameters
    ----------
    out : path-like
        Output folder (created).
    n_subjects : int
        Number of subjects (1-23), ``Data{1}`` ... as ``s01`` ...
    n_trials : int
        Film clips per subject (1-18; the real file has 18).
    seed : int
        Seed of the local random generators; recorded with the outputs.
    scenario : str
        Cohort scenario of :data:`emopipe.io.synth._cohort.SCENARIOS`.
    baseline_s : float
        Seconds of the neutral baseline clip (61 in the real file); a whole
        number of EEG samples.
    stimulus_s : tuple of float
        ``(shortest, longest)`` stimulus in s; each clip's length is a whole
        number of seconds in it.
    verbose : bool | str | int | None
        Log level for this call.

    Returns
    -------
    ground_truth : dict
        What ``out/ground_truth.json`` holds.
    """
    _check_type("out", out, ("path-like",))
    for name, value, hi in (("n_subjects", n_subjects, 23), ("n_trials", n_trials, 18)):
        _check_type(name, value, ("int",))
        if not 1 <= value <= hi:
            raise ConfigError(f"{name} must be in [1, {hi}] (DREAMER has {hi}), got {value}.")
    _check_type("seed", seed, ("int",))
    sc = get_scenario(scenario)
    lo, hi = (float(x) for x in stimulus_s)
    if not 1.0 <= lo <= hi or np.floor(hi) < np.ceil(lo):
        raise ConfigError(f"stimulus_s must be (shortest, longest) with 1 <= shortest <= longest "
                          f"spanning a whole second, got {stimulus_s!r}.")
    if baseline_s <= 0 or round(baseline_s * EEG_SFREQ) != baseline_s * EEG_SFREQ:
        raise ConfigError(f"baseline_s must be > 0 and a whole number of 1/128 s, got "
                          f"{baseline_s!r}.")
    # one DREAMER point spans two points of the 1-9 scale the report noise is written in
    half = (5.0 - 1.0) / (9.0 - 1.0)
    sc_reports = replace(sc, report_noise_sd=half * sc.report_noise_sd,
                         report_bias_sd=half * sc.report_bias_sd,
                         report_scale_spread=half * sc.report_scale_spread)
    man = _manifest()
    channels = list(man["eeg"]["channels"])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    entries, subjects = [], {}
    for i, sid in enumerate(progress(subject_ids(n_subjects), desc="synthetic DREAMER")):
        rng = np.random.default_rng([seed, i + 1])
        entry, truth = _subject(rng, np.random.default_rng([seed, i + 1, 11]), sc_reports,
                                n_trials, (lo, hi), float(baseline_s), channels)
        entries.append(entry)
        subjects[sid] = truth
        logger.info("%s: %d clips", sid, n_trials)
    electrodes = np.empty((1, len(channels)), dtype=object)
    electrodes[0, :] = channels
    fields = man["struct"]["fields"]
    top = _struct(fields, [{
        "Data": _struct(man["struct"]["subject_fields"], entries, shape=(1, n_subjects)),
        "EEG_SamplingRate": np.float64(EEG_SFREQ), "ECG_SamplingRate": np.float64(ECG_SFREQ),
        "EEG_Electrodes": electrodes, "noOfSubjects": np.float64(n_subjects),
        "noOfVideoSequences": np.float64(n_trials),
        "Disclaimer": "Synthetic data written by emopipe; not the DREAMER recordings.",
        "Provider": "emopipe.io.synth.dreamer", "Version": "synthetic",
        "Acknowledgement": "Layout after Katsigiannis and Ramzan (2018)."}])
    import scipy.io

    tmp = out / f"{FILE_NAME}.tmp"
    scipy.io.savemat(tmp, {"DREAMER": top}, format="5", do_compression=False,
                     oned_as="column")
    tmp.replace(out / FILE_NAME)
    truth = {
        "dataset": "dreamer", "generator": "emopipe.io.synth.dreamer.write_dreamer_synth",
        "seed": seed, "n_subjects": n_subjects, "n_trials": n_trials,
        "baseline_s": float(baseline_s), "stimulus_s": [lo, hi],
        "eeg_sfreq": EEG_SFREQ, "ecg_sfreq": ECG_SFREQ, "eeg_channels": channels,
        "units_in_file": {"eeg": "uV", "ecg": "a.u."}, "label_names": list(LABEL_NAMES),
        "label_scale": [1, 5],
        "effects": {
            "valence_frontal_alpha_asymmetry": {
                "band_hz": list(BANDS["alpha"]), "right": list(ALPHA_RIGHT),
                "left": list(ALPHA_LEFT), "ln_power_per_score_each_side": 2 * sc.alpha_asym},
            "arousal_beta_gamma": {"band_hz": list(BANDS["beta_gamma"]),
                                   "channels": list(AROUSAL_CHANNELS),
                                   "ln_power_per_score": 2 * sc.beta_gamma},
            "arousal_heart_rate": {"bpm_per_score": 2 * HR_PER_SCR * sc.scr,
                                   "rr_variation": 0.03},
            "baseline": "neutral: rendered at the midpoint 3, heart rate hr_s"},
        "scenario": sc.to_dict(),
        "self_report_model": {"scale": [1, 5], "decimals": 0,
                              "noise_sd": sc_reports.report_noise_sd,
                              "bias_sd": sc_reports.report_bias_sd,
                              "scale_spread": sc_reports.report_scale_spread},
        "subjects": subjects,
    }
    truth["strengths"] = _measured_strengths(subjects)
    return write_ground_truth(out, truth)


@fill_doc
@register_writer("dreamer", options=("trials",),
                 note="DREAMER ships one MAT file of recorded signals: no raw BDF and no face "
                      "video.")
def synth_dreamer(out, *, n_subjects, seed=0, scenario="legacy", trials=None):
    """``emopipe synth --dataset dreamer``: :func:`write_dreamer_synth` with the CLI's options.

    Parameters
    ----------
    %(synth_out)s
    %(synth_cohort)s
    trials : int | None
        Clips per subject (18 when ``None``).
    """
    write_dreamer_synth(out, n_subjects=n_subjects, n_trials=18 if trials is None else trials,
                        seed=seed, scenario=scenario)
