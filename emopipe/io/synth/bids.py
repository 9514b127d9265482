"""Format-faithful synthetic BIDS EEG cohort from the shared cohort model.

:func:`write_bids_synth` writes a BIDS tree with :func:`mne_bids.write_raw_bids`
(``docs/datasets.md`` section 9)::

    out/dataset_description.json, participants.tsv, participants.json, README
    out/sub-XX/sub-XX_scans.tsv
    out/sub-XX/eeg/sub-XX_task-emotion_eeg.bdf        32 EEG (Geneva order) + hEOG, vEOG, 128 Hz
    out/sub-XX/eeg/sub-XX_task-emotion_eeg.json
    out/sub-XX/eeg/sub-XX_task-emotion_channels.tsv   type EEG / EOG per channel
    out/sub-XX/eeg/sub-XX_task-emotion_events.tsv     + .json: onset, duration, trial_type,
                                                      value, sample, valence, arousal,
                                                      dominance, liking
    out/sub-XX/eeg/sub-XX_task-emotion_physio.tsv.gz  + .json: gsr (uS), respiratory (a.u.)
                                                      at 64 Hz, StartTime -1 s
    out/sub-XX/eeg/sub-XX_task-emotion_recording-eye1_physio.tsv.gz  + .json: BEP020 eye
                                                      tracking (PhysioType eyetrack): timestamp
                                                      (ms), x/y_coordinate (pixel), pupil_size
                                                      (mm) at 60 Hz, StartTime 0.5 s
    out/ground_truth.json

Each subject's trials are drawn and rendered as the DEAP writer renders them
(:func:`emopipe.io.synth.deap._subject_signals` on the cohort model of
:mod:`emopipe.io.synth._cohort`: latent state per trial, EEG, EOG and GSR
rendering it with the scenario's strengths, self-reports as noisy readouts):
3 s of baseline then 60 s of stimulus at 128 Hz. They are laid end to end in
one continuous recording, 2 s before the first and after each (the signal held
at its last value), in trial order.

Quirks a reader must handle, as in real BIDS trees:

- ``events.tsv`` holds two rows per trial: ``baseline`` (3 s, labels ``n/a``)
  and ``stimulus`` (60 s, the self-reports in the label columns); the
  trials are the ``stimulus`` rows (``bids_trial_type: stimulus``) and the
  label columns are extra columns, which ``read_raw_bids`` does not return
  as labels.
- The physio file has no header row (its ``Columns`` are in the sidecar),
  another rate than the EEG (64 Hz) and starts 1 s before the EEG
  (``StartTime: -1.0``): its sample ``i`` is at ``i / 64 - 1`` s on the EEG
  clock. GSR is written as conductance in uS (``Units``), the DEAP
  renderer's resistance converted.
- The eye-tracking file (one eye, ``recording-eye1``) starts 0.5 s after the
  EEG, at 60 Hz, with ``n/a`` gaze and pupil 0 during blinks
  (:func:`emopipe.io.synth.eye.synth_gaze`, mapped to a 1280 x 1024 screen at
  40 px per degree); it carries no latent effect.
"""

import datetime
import gzip
import json
import logging
import tempfile
from pathlib import Path

import numpy as np

from ...utils._checks import _check_type
from ...utils._errors import ConfigError
from ...utils._logging import progress
from ...utils.docs import fill_doc
from ..deap import BASELINE, GENEVA_ORDER, LABEL_NAMES, PREPROCESSED_CHANNELS, SFREQ, STIMULUS
from ._cohort import draw_subject, get_scenario
from ._common import write_ground_truth
from ._registry import register_writer
from .deap import (
    AROUSAL_CHANNELS,
    BANDS,
    _measured_strengths,
    _subject_params,
    _subject_signals,
)

logger = logging.getLogger("emopipe.io.synth.bids")

#: the BIDS task label of the synthetic recordings
TASK = "emotion"
#: seconds of signal before the first trial and after each
GAP = 2.0
#: rate of the physio file (Hz) and its start on the EEG clock (s)
PHYSIO_SFREQ, PHYSIO_START = 64.0, -1.0
#: columns of the physio file, and of the DEAP rendering they come from
PHYSIO_COLUMNS = ("gsr", "respiratory")
_EXG = ("hEOG", "vEOG")
#: the eye tracker (BEP020, ``recording-eye1``): rate (Hz), start on the EEG clock (s),
#: columns, screen mapping of the synthetic gaze (degrees -> pixels), first timestamp (ms)
EYE_SFREQ, EYE_START = 60.0, 0.5
EYE_COLUMNS = ("timestamp", "x_coordinate", "y_coordinate", "pupil_size")
EYE_CENTRE_PX, EYE_PX_PER_DEG, EYE_FIRST_STAMP_MS = (640.0, 512.0), 40.0, 1_000_000.0
#: physical range of every BDF channel (uV); the 24-bit resolution is 2.4e-4 uV
PHYSICAL_UV = 2000.0


def _continuous(trials, gap):
    """Trials ``(n_trials, n_channels, n_times)`` end to end, ``gap`` samples before each and
    after the last, held at the neighbouring value; and each trial's first sample."""
    parts, starts, pos = [np.repeat(trials[0][:, :1], gap, axis=1)], [], gap
    for tr in trials:
        starts.append(pos)
        parts += [tr, np.repeat(tr[:, -1:], gap, axis=1)]
        pos += tr.shape[1] + gap
    return np.concatenate(parts, axis=1), starts


def _write_bdf(fname, data_uv, ch_names):
    """A BioSemi BDF of ``data_uv`` (n_channels, n_times) in uV at :data:`SFREQ`."""
    import pyedflib

    if np.abs(data_uv).max() >= PHYSICAL_UV:
        raise ConfigError(f"synthetic signal reaches {np.abs(data_uv).max():.0f} uV, beyond the "
                          f"BDF range +-{PHYSICAL_UV:g} uV.")
    writer = pyedflib.EdfWriter(str(fname), len(ch_names), file_type=pyedflib.FILETYPE_BDFPLUS)
    try:
        writer.setStartdatetime(datetime.datetime(2020, 1, 1, 10, 0, 0))
        writer.setSignalHeaders([
            {"label": name, "dimension": "uV", "sample_frequency": SFREQ,
             "physical_max": PHYSICAL_UV, "physical_min": -PHYSICAL_UV,
             "digital_max": 8388607, "digital_min": -8388608, "transducer": "",
             "prefilter": ""} for name in ch_names])
        writer.writeSamples(list(np.ascontiguousarray(data_uv)))
    finally:
        writer.close()


def _write_physio(fname, data, columns, units, *, sfreq, start, extra=None):
    """``*_physio.tsv.gz`` (no header row, NaN as ``n/a``) and its JSON sidecar."""
    with gzip.open(fname, "wt", encoding="utf-8", newline="") as fh:
        for row in np.asarray(data).T:
            fh.write("\t".join("n/a" if np.isnan(v) else f"{v:.10g}" for v in row) + "\n")
    side = {"SamplingFrequency": sfreq, "StartTime": start, "Columns": list(columns),
            **(extra or {})}
    side.update({c: {"Units": u} for c, u in zip(columns, units)})
    Path(str(fname)[: -len(".tsv.gz")] + ".json").write_text(json.dumps(side, indent=1),
                                                            encoding="utf-8")


def _write_eyetrack(fname, n_eeg, *, seed):
    """One eye's BEP020 eye-tracking file covering the EEG recording; its ground truth."""
    from .eye import synth_gaze

    duration = n_eeg / SFREQ - EYE_START
    gaze = synth_gaze(duration, EYE_SFREQ, seed=seed, noise=0.02)
    n = len(gaze.gaze_x)
    x = EYE_CENTRE_PX[0] + EYE_PX_PER_DEG * gaze.gaze_x
    y = EYE_CENTRE_PX[1] + EYE_PX_PER_DEG * gaze.gaze_y
    stamp = EYE_FIRST_STAMP_MS + np.arange(n) * 1000.0 / EYE_SFREQ
    _write_physio(fname, np.vstack([stamp, x, y, gaze.pupil * 1e3]), EYE_COLUMNS,
                  ("ms", "pixel", "pixel", "mm"), sfreq=EYE_SFREQ, start=EYE_START,
                  extra={"PhysioType": "eyetrack", "RecordedEye": "left"})
    return {"n_samples": n, "blink_onsets_eeg_clock": (gaze.truth["blinks"]["onset"]
                                                       + EYE_START).round(6).tolist()}


def write_bids_synth(out, *, n_subjects=4, n_trials=6, seed=0, scenario="kd", verbose=None):
    """Write a synthetic BIDS EEG cohort with planted effects (module docstring).

    Parameters
    ----------
    out : path-like
        Output folder (the BIDS root; created).
    n_subjects : int
        Subjects ``sub-01`` ... (1-99).
    n_trials : int
        Trials per subject (1-40), 63 s each.
    seed : int
        Seed of the local random generators.
    scenario : str
        Cohort scenario of :data:`emopipe.io.synth._cohort.SCENARIOS`
        (``"kd"`` by default: EEG reads arousal strongly, EOG and GSR weakly,
        noisy self-reports).
    verbose : bool | str | int | None
        Unused (kept for the writers' common signature).

    Returns
    -------
    ground_truth : dict
        What ``out/ground_truth.json`` holds: settings, the scenario and
        self-report model, the measured strengths, and per subject the
        files, parameters, report bias and scale, slope gains (keyed by the
        subject label, ``"01"`` for ``sub-01``) and per trial
        (``events.tsv`` order) its ``stimulus`` row (line number), onset,
        the reports written, the latent state and the planted events.
    """
    import mne
    from mne_bids import BIDSPath, write_raw_bids
    from scipy.signal import resample_poly

    _check_type("out", out, ("path-like",))
    for name, value, hi in (("n_subjects", n_subjects, 99), ("n_trials", n_trials, 40)):
        _check_type(name, value, ("int",))
        if not 1 <= value <= hi:
            raise ConfigError(f"{name} must be in [1, {hi}], got {value}.")
    _check_type("seed", seed, ("int",))
    sc = get_scenario(scenario)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pick = [PREPROCESSED_CHANNELS.index(c) for c in (*GENEVA_ORDER, *_EXG)]
    i_gsr, i_resp = PREPROCESSED_CHANNELS.index("GSR"), PREPROCESSED_CHANNELS.index("Resp")
    gap = round(GAP * SFREQ)
    truth = {
        "dataset": "bids", "generator": "emopipe.io.synth.bids.write_bids_synth", "seed": seed,
        "n_subjects": n_subjects, "n_trials": n_trials, "task": TASK, "sfreq": SFREQ,
        "baseline_s": BASELINE, "stimulus_s": STIMULUS, "gap_s": GAP,
        "eeg_channels": list(GENEVA_ORDER), "eog_channels": list(_EXG),
        "physio": {"columns": list(PHYSIO_COLUMNS), "units": ["uS", "a.u."],
                   "sfreq": PHYSIO_SFREQ, "start_time": PHYSIO_START},
        "eye": {"columns": list(EYE_COLUMNS), "units": ["ms", "pixel", "pixel", "mm"],
                "sfreq": EYE_SFREQ, "start_time": EYE_START, "centre_px": list(EYE_CENTRE_PX),
                "px_per_deg": EYE_PX_PER_DEG, "effect": "none (gaze carries no latent)",
                "generator": "emopipe.io.synth.eye.synth_gaze"},
        "label_columns": list(LABEL_NAMES), "trial_type": "stimulus", "label_scale": [1, 9],
        "extract_config": {"bids_label_columns": list(LABEL_NAMES),
                           "bids_trial_type": "stimulus", "bids_label_scale": [1, 9]},
        "effects": {"arousal_beta_gamma": {"channels": list(AROUSAL_CHANNELS),
                                           "bands_hz": {"beta": list(BANDS["beta"]),
                                                        "gamma": list(BANDS["gamma"])},
                                           "ln_power_per_rating": sc.beta_gamma},
                    "arousal_blink_rate_per_min_per_rating": sc.blink,
                    "arousal_scr_rate_per_min_per_rating": sc.scr,
                    "valence_alpha_asymmetry_ln_power_per_rating": sc.alpha_asym,
                    "renderer": "emopipe.io.synth.deap._subject_signals"},
        "scenario": sc.to_dict(),
        "self_report_model": {"exact": sc.exact_reports, "noise_sd": sc.report_noise_sd,
                              "bias_sd": sc.report_bias_sd,
                              "scale": [1.0 - sc.report_scale_spread,
                                        1.0 + sc.report_scale_spread]},
        "subjects": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for num in progress(range(1, n_subjects + 1), desc="synthetic BIDS"):
            label = f"{num:02d}"
            rng = np.random.default_rng([seed, num])
            prm = _subject_params(rng)
            draw = draw_subject(rng, np.random.default_rng([seed, num, 11]), sc, n_trials)
            data, events = _subject_signals(rng, draw.latent, prm, sc, draw.gains)
            eeg, starts = _continuous(data[:, pick], gap)  # uV
            fname = Path(tmp) / f"sub-{label}.bdf"
            _write_bdf(fname, eeg, [*GENEVA_ORDER, *_EXG])
            raw = mne.io.read_raw_bdf(fname, verbose="error")
            raw.set_channel_types({c: "eog" for c in _EXG})
            raw.info["line_freq"] = 50.0
            onsets = [s / SFREQ for s in starts]
            extras = []
            for k in range(n_trials):
                extras += [{}, {n: float(draw.reports[k, j]) for j, n in enumerate(LABEL_NAMES)}]
            raw.set_annotations(mne.Annotations(
                onset=[t + d for t in onsets for d in (0.0, BASELINE)],
                duration=[d for _ in onsets for d in (BASELINE, STIMULUS)],
                description=["baseline", "stimulus"] * n_trials, extras=extras))
            bids_path = BIDSPath(subject=label, task=TASK, datatype="eeg", root=out)
            write_raw_bids(raw, bids_path, overwrite=True, verbose="error",
                           extra_columns_descriptions={
                               n: f"self-reported {n}, 1-9 (n/a on baseline rows)"
                               for n in LABEL_NAMES})
            # physio: GSR as conductance (uS) and respiration, 64 Hz, from 1 s before the EEG
            phys, _ = _continuous(np.stack([1e6 / data[:, i_gsr], data[:, i_resp]], axis=1), gap)
            lead = round(-PHYSIO_START * SFREQ)
            phys = np.concatenate([np.repeat(phys[:, :1], lead, axis=1), phys], axis=1)
            phys = resample_poly(phys, 1, round(SFREQ / PHYSIO_SFREQ), axis=1, padtype="line")
            stem = bids_path.copy().update(suffix="physio", extension=".tsv.gz").fpath
            _write_physio(stem, phys, PHYSIO_COLUMNS, ("uS", "a.u."), sfreq=PHYSIO_SFREQ,
                          start=PHYSIO_START)
            eye_file = bids_path.copy().update(recording="eye1", suffix="physio",
                                               extension=".tsv.gz").fpath
            eye_truth = _write_eyetrack(eye_file, eeg.shape[1], seed=seed * 1000 + num)
            trials = []
            for k in range(n_trials):
                trials.append({
                    "events_row": 3 + 2 * k, "onset": onsets[k] + BASELINE,
                    **{n: float(draw.reports[k, j]) for j, n in enumerate(LABEL_NAMES)},
                    "latent": {n: float(draw.latent[k, j]) for j, n in enumerate(LABEL_NAMES)},
                    **{key: events[key][k] for key in events}})
            truth["subjects"][label] = {
                "eeg_file": bids_path.fpath.relative_to(out).as_posix(),
                "physio_file": Path(stem).relative_to(out).as_posix(),
                "eye_file": Path(eye_file).relative_to(out).as_posix(), "eye": eye_truth,
                "params": prm,
                "report_bias": draw.report_bias.round(6).tolist(),
                "report_scale": draw.report_scale.round(6).tolist(), "slope_gains": draw.gains,
                "trials": trials}
            logger.info("sub-%s: wrote %d trials", label, n_trials)
    truth["strengths"] = _measured_strengths(truth["subjects"])
    return write_ground_truth(out, truth)


@fill_doc
@register_writer("bids", options=("trials",),
                 note="the BIDS cohort holds EEG and EOG in one BDF per subject, GSR and "
                      "respiration in a physio file and one eye-tracking file, no raw or face "
                      "files.")
def synth_bids(out, *, n_subjects, seed=0, scenario="legacy", trials=None):
    """``emopipe synth --dataset bids``: :func:`write_bids_synth` with the CLI's options.

    Parameters
    ----------
    out : str | Path
        The BIDS root to write.
    n_subjects : int
        Number of subjects.
    %(synth_seed_scenario)s
    trials : int | None
        Trials per subject (6 when ``None``).
    """
    write_bids_synth(out, n_subjects=n_subjects, n_trials=6 if trials is None else trials,
                     seed=seed, scenario=scenario)
