"""Format-faithful synthetic DEAP cohort with planted, documented effects.

:func:`write_deap_synth` writes a folder laid out as the DEAP download::

    out/data_preprocessed_python/sXX.dat   Python 2 protocol-2 pickle, keys 'labels', 'data'
    out/data_preprocessed_matlab/sXX.mat   (matlab=True) MAT v5, same variables
    out/data_original/sXX.bdf              (raw=True) 48-channel BioSemi BDF, 512 Hz
    out/face_video/sXX/sXX_trialYY.avi     (face=True) Twente subjects only, YY = presentation
                                           position (Trial), grey MJPG
    out/metadata_csv/participant_ratings.csv
    out/ground_truth.json                  everything planted, for scoring

Subjects: the first half are Twente subjects (``s01``, ``s02``, ...; raw EEG
in BioSemi-32 default order), the rest Geneva subjects (``s23``, ``s24``,
...; raw EEG in Geneva order, Status channel label blank and status words
carrying the high bits ``0x190000``), as in the real data.

Format (datasets.md section 1): ``data`` (n_trials, 40, 8064) float64 at
128 Hz = 3-s baseline + 60-s video, EEG/EOG/EMG in uV, channel 37 GSR in ohm
(a resistance), Resp/Plet in a.u., Temp in degC; ``labels`` (n_trials, 4)
valence, arousal, dominance, liking in 1-9 (2 decimals). Trials are in video
order (``data[i]`` is ``Experiment_id = i + 1``); the presentation order is a
non-identity permutation recorded in ``participant_ratings.csv``
(``Trial``) and followed by the raw BDF's Status sequence. The raw file holds
the first ``raw_trials`` presentations; its 63-s windows around each video
onset contain the preprocessed trial upsampled to 512 Hz (plus per-channel DC
offsets, EOG/EMG split into bipolar EXG pairs), so a reader can be checked
sample by sample.

Face video (``face=True``): one video per trial for the Twente subjects,
named by presentation position as the real ``face_video`` folder is assumed
to be (see :func:`emopipe.io.deap._attach_face`), starting at the trial's 3-s
baseline and lasting ``round(63 * face_fps)`` frames. A real face photograph
(:func:`emopipe.io.synth.face.sample_face`) is pasted in whole seconds chosen
at random (each second of video with probability 1/2); the background grey
level identifies the trial: blobs uniform on ``m +- 20`` with
``m = 60 + 3 * (Trial - 1)``. ``ground_truth.json`` lists, per subject and
trial, the file, the face frame ranges and ``m``.

Planted effects (ratings uniform on 1-9, ``v``/``a`` = valence/arousal):

- **valence -> frontal alpha asymmetry** (strongest EEG effect): alpha
  (8-14 Hz) power is multiplied by ``exp(+0.25 (v - 5))`` at F4, AF4, Fp2 and
  ``exp(-0.25 (v - 5))`` at F3, AF3, Fp1, so ``ln(P_right / P_left)`` rises by
  0.5 per rating point (before the common average reference). Each side also
  gets a per-trial ln-power jitter of SD 0.5 unrelated to the ratings
  (correlation of the asymmetry with valence about 0.85).
- **arousal -> beta/gamma** (weak): beta (14-31 Hz) and gamma (31-45 Hz)
  power times ``exp(0.10 (a - 5))`` at C3, C4, Cz, T7, T8, with a per-trial
  ln-power jitter of SD 0.5 shared by these channels (correlation about 0.5).
- **arousal -> EOG** (strongest arousal effect): blink rate (vEOG, 0.3-s
  Hann-shaped blinks of 100-300 uV) ``= b_s + 3.0 (a - 5)`` per minute and
  saccade rate (hEOG steps of >= 40 uV ramping over 40 ms)
  ``= c_s + 4.0 (a - 5)`` per minute, Poisson counts during the video.
- **arousal -> GSR** (moderate): skin-conductance responses (Bateman shape,
  rise 0.75 s, decay 3 s, 0.05-0.4 uS) at ``= g_s + 0.6 (a - 5)`` per minute on
  a tonic level of 0.5-5 uS; written as resistance ``1e6 / G_uS`` ohm, so the
  file's value DROPS during an SCR.
- **subjects differ**: EEG RMS 10-20 uV, alpha peak height, white-noise
  floor, channel gains, base event rates ``b_s, c_s, g_s`` and tonic level.

EEG background: 1/f power spectrum plus an alpha peak and a white floor,
restricted to 4-45 Hz (the DEAP band-pass), common average reference. Event
onsets (seconds after video onset) of every blink, saccade and SCR are listed
per subject and trial in ``ground_truth.json``; events occur only during the
60-s video, never in the 3-s baseline.
"""

import csv
import logging
from pathlib import Path

import numpy as np

from ...utils._checks import _check_positive, _check_type
from ...utils._errors import ConfigError
from ...utils._logging import progress
from ...utils._logging import verbose as _verbose
from ...utils.docs import fill_doc
from ..deap import (
    BASELINE,
    GENEVA_ORDER,
    LABEL_NAMES,
    N_TIMES,
    PREPROCESSED_CHANNELS,
    RATINGS_HEADER,
    RAW_AUX_LABELS,
    RAW_SFREQ,
    SFREQ,
    STIMULUS,
    TWENTE_ORDER,
)
from ._bdf import write_bdf
from ._common import write_ground_truth
from ._registry import register_writer
from ._cohort import draw_subject, get_scenario, strength
from ._pickle2 import write_py2_pickle

logger = logging.getLogger("emopipe.io.synth.deap")

ALPHA_RIGHT = ("F4", "AF4", "Fp2")
ALPHA_LEFT = ("F3", "AF3", "Fp1")
AROUSAL_CHANNELS = ("C3", "C4", "Cz", "T7", "T8")
BANDS = {"alpha": (8.0, 14.0), "beta": (14.0, 31.0), "gamma": (31.0, 45.0)}
BLINK_DURATION = 0.3
SACCADE_DURATION = 0.04
SCR_RISE, SCR_DECAY = 0.75, 3.0
FAMILIARITY_MISSING = (2, 15, 23)
GENEVA_STATUS_HIGH_BITS = 0x190000
_TIMELINE = {"sync": 1.0, "fixation": 5.0, "video": 60.0, "post": 3.0, "rating": 6.0,
             "start": 1.0, "baseline": 120.0}


def _subject_ids(n_subjects):
    # half Geneva (s23-s32, 10 of them) and the rest Twente (s01-s22), as in DEAP
    n_geneva = min(n_subjects // 2, 10)
    n_twente = n_subjects - n_geneva
    if n_twente > 22 or n_subjects < 0:
        raise ConfigError(f"n_subjects must be <= 32 (DEAP has 32), got {n_subjects}.")
    return [f"s{i:02d}" for i in range(1, n_twente + 1)] + [
        f"s{i:02d}" for i in range(23, 23 + n_geneva)
    ]


def _events(rng, rates_per_min, *, duration, min_gap):
    """Poisson event onsets in ``[0, STIMULUS - duration)`` s, at least ``min_gap`` apart."""
    out = []
    for rate in rates_per_min:
        n = rng.poisson(max(rate, 0.0) * STIMULUS / 60.0)
        t = np.sort(rng.uniform(0.05, STIMULUS - duration - 0.05, n))
        kept = []
        for x in t:
            if not kept or x - kept[-1] >= min_gap:
                kept.append(float(np.round(x, 4)))
        out.append(kept)
    return out


def _place(onsets, weights, kernel, n_times):
    """Sum of ``weights[k] * kernel`` starting at each onset; shape (n_trials, n_times)."""
    imp = np.zeros((len(onsets), n_times))
    n_base = round(BASELINE * SFREQ)
    for t, (on, w) in enumerate(zip(onsets, weights)):
        if len(on):
            idx = n_base + np.rint(np.asarray(on) * SFREQ).astype(int)
            np.add.at(imp[t], idx, w)
    n_fft = n_times + kernel.size
    spec = np.fft.rfft(imp, n_fft, axis=-1) * np.fft.rfft(kernel, n_fft)[None, :]
    return np.fft.irfft(spec, n_fft, axis=-1)[:, :n_times]


def _upsample(data, factor, *, pad=256):
    """Band-limited (FFT) upsampling along the last axis, reflect-padded against wrap-around."""
    x = np.pad(data, [(0, 0)] * (data.ndim - 1) + [(pad, pad)], mode="reflect")
    n = x.shape[-1]
    spec = np.fft.rfft(x, axis=-1)
    up = np.fft.irfft(spec, n * factor, axis=-1) * factor
    return up[..., pad * factor: (n - pad) * factor]


def _eeg(rng, valence, arousal, prm, sc, slope_gain=1.0):
    """EEG in uV, shape (n_trials, 32, N_TIMES), Geneva order, CAR; and the planted ln powers.

    ``sc`` is the :class:`~emopipe.io.synth._cohort.Scenario` (slopes and
    jitters), ``slope_gain`` the subject's EEG slope multiplier. The second output,
    shape (n_trials, 2), is per trial the planted ln(P_right / P_left) of
    alpha and the planted ln beta/gamma power offset (slope + jitter).
    """
    n_trials = len(valence)
    freqs = np.fft.rfftfreq(N_TIMES, 1.0 / SFREQ)
    passband = (freqs >= 4.0) & (freqs <= 45.0)
    psd = passband * (
        1.0 / np.maximum(freqs, 1.0)
        + prm["alpha_peak"] * 0.1 * np.exp(-0.5 * ((freqs - 10.0) / 1.5) ** 2)
        + prm["white_floor"]
    )
    scale = prm["eeg_rms_uV"] / np.sqrt(2.0 * psd.sum() / N_TIMES**2)
    side = np.array([1.0 if c in ALPHA_RIGHT else -1.0 if c in ALPHA_LEFT else 0.0
                     for c in GENEVA_ORDER])
    ar_ch = np.array([1.0 if c in AROUSAL_CHANNELS else 0.0 for c in GENEVA_ORDER])
    alpha_f = ((freqs >= BANDS["alpha"][0]) & (freqs < BANDS["alpha"][1])).astype(float)
    bg_f = ((freqs >= BANDS["beta"][0]) & (freqs < BANDS["gamma"][1])).astype(float)
    amp = np.sqrt(psd) * scale  # (n_freqs,)
    gain = np.asarray(prm["channel_gain"])[:, None] * amp[None, :]  # (32, n_freqs)
    out = np.empty((n_trials, 32, N_TIMES))
    jitter = rng.normal(0.0, 1.0, (n_trials, 3)) * [sc.alpha_jitter, sc.alpha_jitter,
                                                      sc.beta_gamma_jitter]
    k_alpha, k_bg = sc.alpha_asym * slope_gain, sc.beta_gamma * slope_gain
    planted = np.stack([2.0 * k_alpha * (valence - 5.0) + jitter[:, 0] - jitter[:, 1],
                        k_bg * (arousal - 5.0) + jitter[:, 2]], axis=1)
    for t in range(n_trials):
        lg = (k_alpha * (valence[t] - 5.0) * side[:, None] * alpha_f[None, :]
              + k_bg * (arousal[t] - 5.0) * ar_ch[:, None] * bg_f[None, :])
        lg += (jitter[t, 0] * (side > 0)[:, None] + jitter[t, 1] * (side < 0)[:, None]) \
            * alpha_f[None, :] + jitter[t, 2] * ar_ch[:, None] * bg_f[None, :]
        spec = (rng.standard_normal((32, freqs.size))
                + 1j * rng.standard_normal((32, freqs.size))) / np.sqrt(2.0)
        spec *= gain * np.exp(0.5 * lg)
        out[t] = np.fft.irfft(spec, n=N_TIMES, axis=-1)
    out -= out.mean(axis=1, keepdims=True)  # common average reference
    return out, planted


def _subject_params(rng):
    return {
        "eeg_rms_uV": float(rng.uniform(10.0, 20.0)),
        "alpha_peak": float(rng.uniform(0.5, 2.0)),
        "white_floor": float(rng.uniform(0.002, 0.01)),
        "channel_gain": rng.uniform(0.8, 1.25, 32).round(4).tolist(),
        "blink_base_per_min": float(rng.uniform(10.0, 16.0)),
        "saccade_base_per_min": float(rng.uniform(20.0, 30.0)),
        "scr_base_per_min": float(rng.uniform(2.0, 4.0)),
        "tonic_uS": float(rng.uniform(0.5, 5.0)),
        "eog_noise_uV": float(rng.uniform(2.0, 6.0)),
        "emg_noise_uV": float(rng.uniform(2.0, 5.0)),
        "resp_hz": float(rng.uniform(0.2, 0.33)),
        "heart_hz": float(rng.uniform(1.0, 1.4)),
        "temp_degC": float(rng.uniform(31.0, 35.0)),
    }


def _subject_signals(rng, latent, prm, sc, gains):
    """All 40 channels of one subject, (n_trials, 40, N_TIMES), plus event ground truth.

    ``latent`` (n_trials, 4) is the subject's latent state, ``sc`` the
    scenario and ``gains`` the subject's slope multipliers by modality.
    """
    n_trials = latent.shape[0]
    valence, arousal = latent[:, 0], latent[:, 1]
    data = np.empty((n_trials, 40, N_TIMES))
    data[:, :32], planted = _eeg(rng, valence, arousal, prm, sc, gains["eeg"])
    t = np.arange(N_TIMES) / SFREQ
    # EOG: blinks on vEOG, saccades on hEOG
    blink_rate = prm["blink_base_per_min"] + sc.blink * gains["eog"] * (arousal - 5.0)
    sacc_rate = prm["saccade_base_per_min"] + sc.saccade * gains["eog"] * (arousal - 5.0)
    scr_rate = prm["scr_base_per_min"] + sc.scr * gains["gsr"] * (arousal - 5.0)
    blinks = _events(rng, np.maximum(blink_rate, 1.0), duration=BLINK_DURATION, min_gap=0.5)
    saccades = _events(rng, np.maximum(sacc_rate, 2.0), duration=SACCADE_DURATION,
                       min_gap=0.15)
    scrs = _events(rng, np.maximum(scr_rate, 0.3), duration=4.0, min_gap=2.5)
    blink_amp = [rng.uniform(100.0, 300.0, len(b)).round(2) for b in blinks]
    steps = []
    for s in saccades:
        level, st = 0.0, []
        for _ in s:
            new = rng.uniform(-150.0, 150.0)
            while abs(new - level) < 40.0:
                new = rng.uniform(-150.0, 150.0)
            st.append(round(new - level, 2))
            level += st[-1]
        steps.append(np.array(st))
    scr_amp = [rng.uniform(0.05, 0.4, len(s)).round(4) for s in scrs]
    n_blink = round(BLINK_DURATION * SFREQ)
    ramp = np.hanning(round(SACCADE_DURATION * SFREQ) + 2)[1:-1]
    ramp /= ramp.sum()
    noise = prm["eog_noise_uV"]
    drift = np.cumsum(rng.standard_normal((n_trials, 2, N_TIMES)) * 0.1, axis=-1)
    data[:, 33] = (_place(blinks, blink_amp, np.hanning(n_blink), N_TIMES)
                   + noise * rng.standard_normal((n_trials, N_TIMES)) + drift[:, 1])
    data[:, 32] = (np.cumsum(_place(saccades, steps, ramp, N_TIMES), axis=-1)
                   + noise * rng.standard_normal((n_trials, N_TIMES)) + drift[:, 0])
    # EMG
    data[:, 34:36] = prm["emg_noise_uV"] * rng.standard_normal((n_trials, 2, N_TIMES))
    # GSR: conductance in uS -> resistance in ohm
    tk = np.arange(round(20.0 * SFREQ)) / SFREQ
    bateman = np.exp(-tk / SCR_DECAY) - np.exp(-tk / SCR_RISE)
    bateman /= bateman.max()
    tonic = prm["tonic_uS"] * (1.0 + 0.05 * rng.standard_normal((n_trials, 1)))
    tonic = np.maximum(tonic, 0.3) + 0.02 * np.cumsum(
        rng.standard_normal((n_trials, N_TIMES)), axis=-1) / np.sqrt(N_TIMES)
    cond = tonic + _place(scrs, scr_amp, bateman, N_TIMES)
    cond += 0.002 * rng.standard_normal(cond.shape)
    data[:, 36] = 1e6 / cond
    # respiration, plethysmograph (a.u.), temperature (degC)
    phase = rng.uniform(0, 2 * np.pi, (n_trials, 1))
    resp_f = prm["resp_hz"] * (1 + 0.05 * rng.standard_normal((n_trials, 1)))
    data[:, 37] = 800.0 * np.sin(2 * np.pi * resp_f * t + phase) + 20.0 * rng.standard_normal(
        (n_trials, N_TIMES))
    hr = prm["heart_hz"] * (1 + 0.05 * rng.standard_normal((n_trials, 1)))
    ph = 2 * np.pi * hr * t + phase
    data[:, 38] = 3000.0 * (np.sin(ph) + 0.4 * np.sin(2 * ph + 0.8)) + 50.0 * rng.standard_normal(
        (n_trials, N_TIMES))
    data[:, 39] = (prm["temp_degC"] + 0.1 * rng.standard_normal((n_trials, 1))
                   + 0.01 * rng.standard_normal((n_trials, N_TIMES)))
    events = {"blinks": blinks, "blink_amplitudes_uV": [a.tolist() for a in blink_amp],
              "saccades": saccades, "saccade_steps_uV": [s.tolist() for s in steps],
              "scrs": scrs, "scr_amplitudes_uS": [a.tolist() for a in scr_amp],
              "planted_ln_alpha_asymmetry": planted[:, 0].round(6).tolist(),
              "planted_ln_beta_gamma": planted[:, 1].round(6).tolist()}
    return data, events


def _timeline(n_presented):
    """Status events ``[(code, time_s)]``, video onsets (s) and total duration (s)."""
    tl = _TIMELINE
    events = [(1, tl["start"]), (1, tl["start"] + 1.0)]
    t = tl["start"] + 1.0 + tl["baseline"]
    video = []
    for _ in range(n_presented):
        events.append((2, t))
        events.append((3, t + tl["sync"]))
        onset = t + tl["sync"] + tl["fixation"]
        events.append((4, onset))
        video.append(onset)
        events.append((5, onset + tl["video"]))
        events.append((1, onset + tl["video"] + tl["post"]))
        t = onset + tl["video"] + tl["post"] + tl["rating"]
    events.append((7, t))
    return events, np.array(video), t + 1.0


def _write_bdf(fname, data_pre, presentation, *, site, n_raw_trials, rng):
    """Write the raw 48-channel BDF for the first ``n_raw_trials`` presentations."""
    events, video, total = _timeline(n_raw_trials)
    n = int(round(total * RAW_SFREQ))
    order = TWENTE_ORDER if site == "twente" else GENEVA_ORDER
    dc = rng.uniform(-30000.0, 30000.0, 40)  # uV offsets of unreferenced BioSemi data
    sig = np.empty((48, n))
    sig[:32] = dc[:32, None] + 8.0 * rng.standard_normal((32, n))
    sig[32:40] = dc[32:40, None] + 5.0 * rng.standard_normal((8, n))
    pre_first = data_pre[presentation[0] - 1]
    sig[40] = np.median(pre_first[36]) + 100.0 * rng.standard_normal(n)  # GSR1, ohm
    sig[41] = 1.0e6 + 10.0 * rng.standard_normal(n)  # GSR2 (unused), ohm
    sig[42:44] = 5.0 * rng.standard_normal((2, n))  # Erg1/2, uV
    sig[44] = 20.0 * rng.standard_normal(n)
    sig[45] = 50.0 * rng.standard_normal(n)
    sig[46] = np.median(pre_first[39]) + 0.01 * rng.standard_normal(n)
    high = GENEVA_STATUS_HIGH_BITS if site == "geneva" else 0
    sig[47] = high
    for code, t in events:
        i = int(round(t * RAW_SFREQ))
        sig[47, i:i + 10] = high | code
    up_factor = int(RAW_SFREQ / SFREQ)
    n_base = round(BASELINE * RAW_SFREQ)
    for k in range(n_raw_trials):
        trial = _upsample(data_pre[presentation[k] - 1], up_factor)
        start = int(round(video[k] * RAW_SFREQ)) - n_base
        win = slice(start, start + trial.shape[-1])
        for j, ch in enumerate(order):
            sig[j, win] = dc[j] + trial[GENEVA_ORDER.index(ch)]
        for j, (src, sign) in enumerate([(32, 1), (32, -1), (33, 1), (33, -1), (34, 1),
                                         (34, -1), (35, 1), (35, -1)]):
            sig[32 + j, win] = dc[32 + j] + sign * trial[src] / 2.0
        sig[40, win] = trial[36]
        sig[44, win] = trial[37]
        sig[45, win] = trial[38]
        sig[46, win] = trial[39]
    labels = list(order) + RAW_AUX_LABELS
    if site == "geneva":
        labels[47] = ""  # later Geneva files: blank Status label
    dims = ["uV"] * 40 + ["Ohm", "Ohm", "uV", "uV", "a.u.", "a.u.", "degC", "Boolean"]
    write_bdf(fname, sig, labels, dims, RAW_SFREQ)
    return {"video_onsets_s": video.tolist(), "duration_s": total,
            "status_events": [[c, t] for c, t in events], "eeg_order": site,
            "status_label": labels[47], "status_high_bits": high,
            "experiment_ids": [int(e) for e in presentation[:n_raw_trials]]}


def _measured_strengths(subjects):
    """Each modality's planted quantity correlated with its latent over the generated trials.

    ``pooled``: over every trial of every subject; ``within_subject``: after
    removing each subject's mean of both (what a subject-normalised model
    sees). Reports: the self-report against the latent, and the fraction of
    trials whose binarised report (> 5) differs from the latent's class.
    """
    quantities = {
        "eeg_alpha_asymmetry~valence": ("planted_ln_alpha_asymmetry", "valence"),
        "eeg_beta_gamma~arousal": ("planted_ln_beta_gamma", "arousal"),
        "eog_blink_count~arousal": ("blinks", "arousal"),
        "eog_saccade_count~arousal": ("saccades", "arousal"),
        "eog_blink_plus_saccade_count~arousal": (("blinks", "saccades"), "arousal"),
        "gsr_scr_count~arousal": ("scrs", "arousal"),
    }

    def value(trial, key):
        if isinstance(key, tuple):
            return sum(value(trial, k) for k in key)
        v = trial[key]
        return float(len(v)) if isinstance(v, list) else float(v)

    out = {"pooled": {}, "within_subject": {}, "n_trials": 0}
    per_sub = {}
    for name, (key, lat) in quantities.items():
        per_sub[name] = [(np.array([value(t, key) for t in sub["trials"]]),
                          np.array([t["latent"][lat] for t in sub["trials"]]))
                         for sub in subjects.values()]
    for dim in ("valence", "arousal"):
        per_sub[f"report~latent_{dim}"] = [
            (np.array([t[dim] for t in sub["trials"]]),
             np.array([t["latent"][dim] for t in sub["trials"]])) for sub in subjects.values()]
    for name, pairs in per_sub.items():
        x = np.concatenate([p[0] for p in pairs])
        y = np.concatenate([p[1] for p in pairs])
        out["pooled"][name] = round(strength(x, y), 4)
        xc = np.concatenate([p[0] - p[0].mean() for p in pairs])
        yc = np.concatenate([p[1] - p[1].mean() for p in pairs])
        out["within_subject"][name] = round(strength(xc, yc), 4)
        out["n_trials"] = int(x.size)
    for dim in ("valence", "arousal"):
        rep, lat = (np.concatenate([p[k] for p in per_sub[f"report~latent_{dim}"]])
                    for k in (0, 1))
        out[f"label_flip_rate_{dim}"] = round(float(np.mean((rep > 5.0) != (lat > 5.0))), 4)
    return out


FACE_BACKGROUND_BASE = 60.0  # background grey level of presentation trial 1
FACE_BACKGROUND_STEP = 3.0  # added per presentation position
FACE_BACKGROUND_HALF_RANGE = 20.0


def _face_geometry(fps, frame_size):
    """Frames per trial video (baseline + stimulus) and side of the pasted face."""
    return int(round((BASELINE + STIMULUS) * fps)), int(min(frame_size) * 2 // 3)


def _write_face_videos(folder, subject, presentation, *, fps, frame_size, rng):
    """Write one video per presentation position; return truth per Experiment_id."""
    from ..deap import FACE_FILE
    from .face import write_face_video

    folder.mkdir(parents=True, exist_ok=True)
    n_seconds = int(round(BASELINE + STIMULUS))
    n_frames, face_size = _face_geometry(fps, frame_size)
    truth = {}
    for k, e in enumerate(presentation):
        trial = k + 1
        on = rng.random(n_seconds) < 0.5
        ranges, frames = [], []
        for sec in np.flatnonzero(on):
            a = int(round(sec * fps))
            b = min(int(round((sec + 1) * fps)), n_frames)
            if ranges and ranges[-1][1] == a:
                ranges[-1][1] = b
            else:
                ranges.append([a, b])
            frames.extend(range(a, b))
        level = FACE_BACKGROUND_BASE + FACE_BACKGROUND_STEP * (trial - 1)
        name = FACE_FILE.format(subject=subject, trial=trial)
        write_face_video(folder / name, n_frames=n_frames, face_frames=frames, fps=fps,
                         seed=int(rng.integers(2**31)), frame_size=tuple(frame_size),
                         face_size=face_size,
                         background=(level - FACE_BACKGROUND_HALF_RANGE,
                                     level + FACE_BACKGROUND_HALF_RANGE))
        truth[int(e)] = {"file": f"face_video/{subject}/{name}", "presentation_trial": trial,
                         "face_frame_ranges": ranges, "background_level": level}
    return truth


@_verbose
def write_deap_synth(out, *, n_subjects=4, n_trials=40, seed=0, raw=True, raw_trials=None,
                     matlab=False, face=False, face_fps=10.0, face_frame_size=(160, 120),
                     scenario="legacy", verbose=None):
    """Write a synthetic DEAP cohort in the authors' formats, with planted effects.

    See the module docstring for the layout, the formats and the effects.

    Parameters
    ----------
    out : path-like
        Output folder (created).
    n_subjects : int
        Number of subjects (<= 32); the first half are Twente subjects
        ``s01...``, the rest Geneva subjects ``s23...``.
    n_trials : int
        Trials (videos) per subject, <= 40.
    seed : int
        Seed of the local random generator; recorded with the outputs.
    raw : bool
        Also write ``data_original/sXX.bdf`` for every subject.
    raw_trials : int | None
        Number of presented trials in each raw BDF (keeps files small; each
        adds 75 s of 48 channels at 512 Hz to 123 s of start and baseline),
        at most ``n_trials``. ``None`` means ``min(4, n_trials)``.
    matlab : bool
        Also write ``data_preprocessed_matlab/sXX.mat``.
    face : bool
        Also write ``face_video/sXX/sXX_trialYY.avi`` (grey MJPG, ``YY`` the
        presentation position) for the Twente subjects, with a face in
        known seconds (module docstring). About 3.4 MB per trial at the
        defaults below (1.7 MB at 5 fps).
    face_fps : float
        Frame rate of the face videos in Hz.
    face_frame_size : tuple of int
        Width and height of the face videos in pixels.
    scenario : str
        Cohort scenario of :data:`emopipe.io.synth._cohort.SCENARIOS`:
        ``"legacy"`` (the default: the cohort before the cohort model, byte
        for byte), ``"kd"`` (positive control of distillation), ``"blind"``
        (negative control) or ``"equal"``; their strengths and rationale
        are in that module's docstring.
    verbose : bool | str | int | None
        Log level for this call.

    Returns
    -------
    ground_truth : dict
        What ``out/ground_truth.json`` holds: settings, effect sizes, and per
        subject the parameters, presentation order and per trial (video
        order) the ratings and the planted blink, saccade and SCR onsets in
        seconds after video onset; with ``face=True`` also ``face`` (the
        video settings) and per Twente trial ``face_video`` (file, face
        frame ranges ``[start, stop)`` 0-based, background level). Also
        ``scenario`` (its strengths), ``self_report_model``, ``strengths``
        (each modality's planted quantity correlated with the latent over
        the generated trials, pooled and within subject), per subject the
        report bias, scale use and slope gains, and per trial the
        ``latent`` state and the planted ln alpha asymmetry and ln
        beta/gamma offset.
    """
    _check_type("out", out, ("path-like",))
    for name, value, hi in (("n_subjects", n_subjects, 32), ("n_trials", n_trials, 40)):
        _check_type(name, value, ("int",))
        if not 1 <= value <= hi:
            raise ConfigError(f"{name} must be in [1, {hi}], got {value}.")
    _check_type("seed", seed, ("int",))
    if raw_trials is None:
        raw_trials = min(4, n_trials)
    _check_type("scenario", scenario, (str,))
    sc = get_scenario(scenario)
    _check_type("raw_trials", raw_trials, ("int",))
    if raw and not 1 <= raw_trials <= n_trials:
        raise ConfigError(
            f"raw_trials (emopipe synth --raw-trials) must be in [1, n_trials = {n_trials}], "
            f"got {raw_trials}: each raw BDF holds some of the subject's trials. Lower "
            f"raw_trials, leave it unset (min(4, n_trials)), or skip the BDFs (--no-raw).")
    _check_positive("n_trials", n_trials)
    if face:
        _check_positive("face_fps", face_fps)
        if len(face_frame_size) != 2 or min(face_frame_size) < 48:
            raise ConfigError(f"face_frame_size must be (width, height) with both >= 48 px, got "
                             f"{face_frame_size!r}.")
    out = Path(out)
    (out / "data_preprocessed_python").mkdir(parents=True, exist_ok=True)
    (out / "metadata_csv").mkdir(parents=True, exist_ok=True)
    if raw:
        (out / "data_original").mkdir(parents=True, exist_ok=True)
    if matlab:
        (out / "data_preprocessed_matlab").mkdir(parents=True, exist_ok=True)
    subjects = _subject_ids(n_subjects)
    truth = {
        "dataset": "deap",
        "generator": "emopipe.io.synth.deap.write_deap_synth",
        "seed": seed, "n_subjects": n_subjects, "n_trials": n_trials, "raw": bool(raw),
        "raw_trials": raw_trials if raw else 0,
        "sfreq": SFREQ, "raw_sfreq": RAW_SFREQ, "baseline_s": BASELINE, "stimulus_s": STIMULUS,
        "channels": PREPROCESSED_CHANNELS,
        "units_in_files": {"eeg": "uV", "eog": "uV", "emg": "uV", "gsr": "ohm",
                           "resp": "a.u.", "ppg": "a.u.", "temp": "degC"},
        "label_names": list(LABEL_NAMES),
        "event_onsets": "seconds after video (stimulus) onset; none in the 3-s baseline",
        "effects": {
            "valence_frontal_alpha_asymmetry": {
                "band_hz": list(BANDS["alpha"]), "right": list(ALPHA_RIGHT),
                "left": list(ALPHA_LEFT), "ln_power_per_rating_each_side": sc.alpha_asym,
                "ln_right_over_left_per_rating": 2 * sc.alpha_asym,
                "trial_jitter_ln_power_sd_each_side": sc.alpha_jitter,
                "note": "applied before the common average reference"},
            "arousal_beta_gamma": {
                "bands_hz": {"beta": list(BANDS["beta"]), "gamma": list(BANDS["gamma"])},
                "channels": list(AROUSAL_CHANNELS),
                "ln_power_per_rating": sc.beta_gamma,
                "trial_jitter_ln_power_sd": sc.beta_gamma_jitter},
            "arousal_blink_rate": {
                "channel": "vEOG", "per_min_per_rating": sc.blink,
                "duration_s": BLINK_DURATION, "amplitude_uV": [100.0, 300.0],
                "shape": "Hann", "min_gap_s": 0.5},
            "arousal_saccade_rate": {
                "channel": "hEOG", "per_min_per_rating": sc.saccade,
                "ramp_s": SACCADE_DURATION, "min_step_uV": 40.0, "min_gap_s": 0.15},
            "arousal_scr_rate": {
                "channel": "GSR", "per_min_per_rating": sc.scr,
                "amplitude_uS": [0.05, 0.4], "rise_s": SCR_RISE, "decay_s": SCR_DECAY,
                "tonic_uS": [0.5, 5.0], "min_gap_s": 2.5,
                "note": "file holds resistance 1e6 / conductance_uS ohm; it drops during an SCR"},
            "strength": sc.summary,
            "subject_slope_gain": f"U(1 - {sc.strength_spread:g}, 1 + {sc.strength_spread:g}) "
                                  "per subject and modality (eeg, eog, gsr)",
        },
        "scenario": sc.to_dict(),
        "self_report_model": {
            "formula": "clip(5 + scale_i (latent - 5) + bias_i + noise, 1, 9) rounded to 2 "
                       "decimals; the written labels and participant_ratings.csv hold it",
            "exact": sc.exact_reports, "noise_sd": sc.report_noise_sd,
            "bias_sd": sc.report_bias_sd,
            "scale": [1.0 - sc.report_scale_spread, 1.0 + sc.report_scale_spread],
            "latent": "uniform on 1-9 per trial and dimension (valence, arousal, dominance, "
                      "liking)"},
        "subjects": {},
    }
    if face:
        n_face_frames, face_size = _face_geometry(face_fps, face_frame_size)
        truth["face"] = {
            "fps": float(face_fps), "frame_size": list(face_frame_size),
            "n_frames": n_face_frames, "face_size": face_size,
            "sites": ["twente"], "file_trial": "presentation position (Trial)",
            "start": "trial start, i.e. the 3-s baseline before video onset",
            "face_seconds_probability": 0.5,
            "background_level": f"{FACE_BACKGROUND_BASE:g} + {FACE_BACKGROUND_STEP:g} * "
                                f"(Trial - 1), blobs uniform on level +- "
                                f"{FACE_BACKGROUND_HALF_RANGE:g}",
        }
    rows = []
    for subject in progress(subjects, desc="synthetic DEAP"):
        num = int(subject[1:])
        rng = np.random.default_rng([seed, num])
        prm = _subject_params(rng)
        draw = draw_subject(rng, np.random.default_rng([seed, num, 11]), sc, n_trials)
        ratings = draw.reports
        presentation = rng.permutation(n_trials) + 1  # presentation[k] = Experiment_id
        if n_trials > 1 and np.array_equal(presentation, np.arange(1, n_trials + 1)):
            presentation[[0, 1]] = presentation[[1, 0]]
        trial_of = np.empty(n_trials, dtype=int)
        trial_of[presentation - 1] = np.arange(1, n_trials + 1)
        familiarity = rng.integers(1, 6, n_trials)
        data, events = _subject_signals(rng, draw.latent, prm, sc, draw.gains)
        write_py2_pickle(out / "data_preprocessed_python" / f"{subject}.dat",
                         {"labels": ratings, "data": data})
        if matlab:
            import scipy.io

            scipy.io.savemat(out / "data_preprocessed_matlab" / f"{subject}.mat",
                             {"data": data, "labels": ratings})
        site = "twente" if num <= 22 else "geneva"
        raw_info = None
        if raw:
            raw_info = _write_bdf(out / "data_original" / f"{subject}.bdf", data, presentation,
                                  site=site, n_raw_trials=raw_trials, rng=rng)
        face_truth = None
        if face and site == "twente":
            face_truth = _write_face_videos(
                out / "face_video" / subject, subject, presentation, fps=float(face_fps),
                frame_size=face_frame_size, rng=np.random.default_rng([seed, num, 7]))
        _, video_all, _ = _timeline(n_trials)
        for k in range(n_trials):
            e = int(presentation[k])
            fam = "" if num in FAMILIARITY_MISSING else str(int(familiarity[e - 1]))
            rows.append([num, k + 1, e, int(round(video_all[k] * 1e6)),
                         *[f"{x:.2f}" for x in ratings[e - 1]], fam])
        trials = []
        for i in range(n_trials):
            trials.append({
                "experiment_id": i + 1, "presentation_trial": int(trial_of[i]),
                **{name: float(ratings[i, j]) for j, name in enumerate(LABEL_NAMES)},
                "familiarity": None if num in FAMILIARITY_MISSING else int(familiarity[i]),
                "latent": {name: float(draw.latent[i, j]) for j, name in enumerate(LABEL_NAMES)},
                **{key: events[key][i] for key in events},
            })
            if face_truth is not None:
                trials[-1]["face_video"] = face_truth[i + 1]
        truth["subjects"][subject] = {
            "site": site, "params": prm,
            "report_bias": draw.report_bias.round(6).tolist(),
            "report_scale": draw.report_scale.round(6).tolist(), "slope_gains": draw.gains,
            "presentation_order": [int(e) for e in presentation],
            "raw": raw_info, "trials": trials,
        }
        logger.info("%s: wrote %d trials (%s site)", subject, n_trials, site)
    truth["strengths"] = _measured_strengths(truth["subjects"])
    rows.sort(key=lambda r: (r[0], r[1]))
    with open(out / "metadata_csv" / "participant_ratings.csv", "w", newline="",
              encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(RATINGS_HEADER)
        writer.writerows(rows)
    return write_ground_truth(out, truth)


@fill_doc
@register_writer("deap", options=("trials", "raw_trials", "face", "no_raw"))
def synth_deap(out, *, n_subjects, seed=0, scenario="legacy", trials=None, raw_trials=None,
               face=False, no_raw=False):
    """``emopipe synth --dataset deap``: :func:`write_deap_synth` with the CLI's options.

    Parameters
    ----------
    %(synth_out)s
    %(synth_cohort)s
    trials : int | None
        Trials per subject (40 when ``None``).
    raw_trials : int | None
        Trials in each raw BDF.
    face : bool
        Also write face videos.
    no_raw : bool
        Skip the raw BDF files.
    """
    write_deap_synth(out, n_subjects=n_subjects, n_trials=40 if trials is None else trials,
                     seed=seed, raw=not no_raw, raw_trials=raw_trials, face=face,
                     scenario=scenario)
