"""The synthetic BIDS writer: a tree mne-bids reads back; the planted labels come back exactly."""

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from _bids_cohort import CONFIG, N_SUBJECTS, N_TRIALS, SEED, bids_cohort
from emopipe.io import BIDS
from emopipe.io.deap import GENEVA_ORDER, LABEL_NAMES, PREPROCESSED_CHANNELS
from emopipe.io.synth._cohort import draw_subject, get_scenario
from emopipe.io.synth.bids import PHYSIO_SFREQ, PHYSIO_START, TASK
from emopipe.io.synth.deap import _subject_params, _subject_signals

N_BASE, N_STIM = 384, 7680  # 3 s and 60 s at 128 Hz


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return bids_cohort(tmp_path_factory)


def _rendered(subject_num, n_trials=N_TRIALS):
    """The DEAP renderer's trials of a subject, recomputed from the writer's seeds."""
    rng = np.random.default_rng([SEED, subject_num])
    prm = _subject_params(rng)
    draw = draw_subject(rng, np.random.default_rng([SEED, subject_num, 11]),
                        get_scenario("kd"), n_trials)
    data, _ = _subject_signals(rng, draw.latent, prm, get_scenario("kd"), draw.gains)
    return data, draw


def _read(root, subject, **kw):
    fields = {f"bids_{k}": v for k, v in {"label_columns": CONFIG["bids_label_columns"],
                                          "trial_type": "stimulus", "label_scale": (1.0, 9.0),
                                          **kw}.items()}
    return BIDS.read_subject(root, subject, **fields)


def test_tree_is_bids_as_mne_bids_writes_it(cohort):
    from mne_bids import BIDSPath, read_raw_bids

    root, truth = cohort
    assert (root / "dataset_description.json").is_file()
    assert BIDS.subjects(root) == ["01", "02", "03"] == sorted(truth["subjects"])
    eeg = root / "sub-01" / "eeg"
    stem = f"sub-01_task-{TASK}"
    assert sorted(p.name for p in eeg.iterdir()) == sorted(
        f"{stem}_{s}" for s in ("channels.tsv", "eeg.bdf", "eeg.json", "events.json",
                                "events.tsv", "physio.json", "physio.tsv.gz",
                                "recording-eye1_physio.json", "recording-eye1_physio.tsv.gz"))
    raw = read_raw_bids(BIDSPath(subject="01", task=TASK, datatype="eeg", root=root),
                        on_ch_mismatch="raise", verbose="error")
    assert raw.info["sfreq"] == 128.0
    assert raw.ch_names == [*GENEVA_ORDER, "hEOG", "vEOG"]
    assert raw.get_channel_types() == ["eeg"] * 32 + ["eog"] * 2
    # 2 s, then per trial 63 s and 2 s
    assert raw.n_times == 256 + N_TRIALS * (N_BASE + N_STIM + 256)
    lines = (eeg / f"{stem}_events.tsv").read_text().splitlines()
    assert lines[0].split("\t") == ["onset", "duration", "trial_type", "value", "sample",
                                    *LABEL_NAMES]
    rows = [line.split("\t") for line in lines[1:]]
    assert [r[2] for r in rows] == ["baseline", "stimulus"] * N_TRIALS
    assert [float(r[0]) for r in rows[:4]] == [2.0, 5.0, 67.0, 70.0]
    assert all(r[5:] == ["n/a"] * 4 for r in rows[::2])  # baseline rows carry no labels
    side = json.loads((eeg / f"{stem}_physio.json").read_text())
    assert side == {"SamplingFrequency": PHYSIO_SFREQ, "StartTime": PHYSIO_START,
                    "Columns": ["gsr", "respiratory"], "gsr": {"Units": "uS"},
                    "respiratory": {"Units": "a.u."}}
    with gzip.open(eeg / f"{stem}_physio.tsv.gz", "rt") as fh:
        physio = [line.split("\t") for line in fh.read().splitlines()]
    assert len(physio) == (raw.n_times + 128) // 2 and {len(r) for r in physio} == {2}


def test_planted_labels_and_signals_come_back_exactly(cohort):
    root, truth = cohort
    for num in range(1, N_SUBJECTS + 1):
        label = f"{num:02d}"
        rec = _read(root, label)
        data, draw = _rendered(num)
        reports = draw.reports
        for j, name in enumerate(("valence", "arousal")):
            assert_array_equal(rec.labels[name], reports[:, j])
            assert_array_equal(rec.labels[name],
                               [t[name] for t in truth["subjects"][label]["trials"]])
        assert sorted(rec.labels) == ["arousal", "valence"]
        assert_array_equal(rec.trial_ids, np.arange(1, N_TRIALS + 1))
        assert rec.sessions is None and rec.baseline == 0.0
        assert sorted(rec.modalities) == ["eeg", "eog", "eye", "gsr", "resp"]
    # sub-03's signals: the stimulus part of each rendered trial, to the BDF's 24-bit step
    eeg, eog, gsr = (rec.modalities[k] for k in ("eeg", "eog", "gsr"))
    assert eeg.ch_names == list(GENEVA_ORDER) and eeg.unit == "V" and eeg.sfreq == 128.0
    step = 2 * 2000e-6 / 2**24
    for k in range(N_TRIALS):
        assert eeg.trial(k).shape == (32, N_STIM)
        assert_allclose(eeg.trial(k), data[k, :32, N_BASE:] * 1e-6, rtol=0, atol=step)
        assert_allclose(eog.trial(k), data[k, 32:34, N_BASE:] * 1e-6, rtol=0, atol=step)
    # GSR: conductance in S at 64 Hz from the physio file, 1 s before the EEG
    i_gsr = PREPROCESSED_CHANNELS.index("GSR")
    assert gsr.sfreq == 64.0 and gsr.unit == "S" and gsr.ch_names == ["gsr"]
    for k in range(N_TRIALS):
        want = 1.0 / data[k, i_gsr, N_BASE::2]  # ohm -> S, every other sample
        got = gsr.trial(k)[0]
        assert got.shape == (N_STIM // 2,)
        # the polyphase low-pass only smooths the 0.002-uS noise (tonic level 0.5-5 uS)
        assert_allclose(got[10:-10], want[10:-10], rtol=0, atol=0.02e-6)


def test_eye_tracking_file_is_the_eye_modality_on_the_eeg_clock(cohort):
    from emopipe.io.synth.bids import EYE_CENTRE_PX, EYE_PX_PER_DEG, EYE_SFREQ, EYE_START
    from emopipe.io.synth.eye import synth_gaze

    root, truth = cohort
    side = json.loads((root / "sub-02" / "eeg" /
                       "sub-02_task-emotion_recording-eye1_physio.json").read_text())
    assert (side["PhysioType"], side["StartTime"], side["Columns"]) == (
        "eyetrack", EYE_START, ["timestamp", "x_coordinate", "y_coordinate", "pupil_size"])
    eye = _read(root, "02").modalities["eye"]
    assert eye.ch_names == ["gaze_x", "gaze_y", "pupil_eye1"] and eye.unit == "px"
    assert eye.sfreq == EYE_SFREQ
    # the gaze the writer drew, from its seed, mapped to pixels; pupil mm -> m, blinks missing
    n_eeg = 256 + N_TRIALS * (N_BASE + N_STIM + 256)
    gaze = synth_gaze(n_eeg / 128.0 - EYE_START, EYE_SFREQ, seed=SEED * 1000 + 2, noise=0.02)
    assert truth["subjects"]["02"]["eye"]["n_samples"] == len(gaze.gaze_x)
    for k, onset in enumerate(t["onset"] for t in truth["subjects"]["02"]["trials"]):
        s = round((onset - EYE_START) * EYE_SFREQ)
        got = eye.trial(k)
        assert got.shape == (3, 3600)
        x = EYE_CENTRE_PX[0] + EYE_PX_PER_DEG * gaze.gaze_x[s:s + 3600]
        assert_allclose(got[0], x, rtol=1e-9, equal_nan=True)
        pupil = np.where(gaze.pupil > 0, gaze.pupil, np.nan)[s:s + 3600]
        assert_allclose(got[2], pupil, rtol=1e-9, equal_nan=True)
        assert np.isnan(got[2]).any() == (gaze.pupil[s:s + 3600] == 0).any()


def test_baseline_seconds_come_with_each_trial(cohort):
    root, _ = cohort
    rec = _read(root, "02", baseline=3.0)
    data, _ = _rendered(2)
    assert rec.baseline == 3.0
    assert_allclose(rec.modalities["eeg"].trial(1), data[1, :32] * 1e-6, rtol=0,
                    atol=2 * 2000e-6 / 2**24)
    assert rec.modalities["gsr"].trial(1).shape == (1, (N_BASE + N_STIM) // 2)


def test_ground_truth_records_the_cohort(cohort):
    root, truth = cohort
    assert json.loads((root / "ground_truth.json").read_text()) == json.loads(json.dumps(truth))
    assert truth["extract_config"] == {**CONFIG, "bids_label_columns": list(LABEL_NAMES)}
    assert truth["scenario"]["name"] == "kd" and not truth["self_report_model"]["exact"]
    sub = truth["subjects"]["01"]
    assert [t["events_row"] for t in sub["trials"]] == [3, 5, 7, 9]
    assert [t["onset"] for t in sub["trials"]] == [5.0, 70.0, 135.0, 200.0]
    assert set(truth["strengths"]["pooled"]) >= {"eeg_beta_gamma~arousal", "gsr_scr_count~arousal"}


def test_synth_then_extract_fills_the_cache_with_the_planted_labels(tmp_path, capsys):
    import h5py

    from emopipe.cli import main

    root, cache = tmp_path / "bids", tmp_path / "cache"
    assert main(["synth", "--dataset", "bids", "--out", str(root), "--subjects", "2",
                 "--trials", "2", "--seed", "3", "--scenario", "kd"]) == 0
    assert main(["extract", "--dataset", "bids", "--root", str(root), "--config",
                 "pipelines/distill_bids.yaml", "--cache", str(cache), "-j", "1"]) == 0
    assert "2 subject(s) extracted" in capsys.readouterr().out
    truth = json.loads((root / "ground_truth.json").read_text())
    assert sorted(p.name for p in cache.iterdir()) == ["01.h5", "02.h5"]
    for label in ("01", "02"):
        with h5py.File(cache / f"{label}.h5", "r") as f:
            assert f.attrs["dataset"] == "bids" and f.attrs["subject"] == label
            trial = f["windows/trial"][()]
            assert_array_equal(trial, np.repeat([1, 2], 15))  # 60 s in 4-s windows
            assert_array_equal(f["windows/onset"][()], np.tile(np.arange(15) * 4.0, 2))
            for name in ("valence", "arousal"):
                want = np.array([t[name] for t in truth["subjects"][label]["trials"]])
                assert_array_equal(f[f"labels/{name}"][()], want[trial - 1])
                assert_array_equal(f[f"labels/{name}_class"][()], (want[trial - 1] > 5))
            assert f["eeg/de"].shape == (30, 32, 4)
            assert f["gsr/scl_mean"].shape == (30, 1)
            # SCL of each window: the physio file's conductance, in S (tonic 0.5-5 uS)
            assert np.all((f["gsr/scl_mean"][()] > 0.3e-6) & (f["gsr/scl_mean"][()] < 6e-6))
            config = json.loads(f.attrs["config"])
            assert config["bids_label_columns"] == ["valence", "arousal"]
            assert config["label_threshold"] == 5.0 and config["bids_task"] == "emotion"
            sources = {Path(s["path"]).name for s in json.loads(f.attrs["sources"])}
        stem = f"sub-{label}_task-emotion"
        assert sources == {f"{stem}_{s}" for s in ("eeg.bdf", "events.tsv", "channels.tsv",
                                                   "eeg.json", "physio.tsv.gz", "physio.json")}


def test_distill_bids_pipeline_runs_on_the_synthetic_cohort(cohort, tmp_path, capsys):
    from emopipe.cli import main

    root, _ = cohort
    cache, run = tmp_path / "cache", tmp_path / "run"
    assert main(["extract", "--dataset", "bids", "--root", str(root), "--config",
                 "pipelines/distill_bids.yaml", "--cache", str(cache), "-j", "1"]) == 0
    capsys.readouterr()
    assert main(["distill", "--config", "pipelines/distill_bids.yaml", "--cache", str(cache),
                 "--epochs", "2", "--out", str(run)]) == 0
    out = capsys.readouterr().out
    assert f"hinton_kd / loso / arousal: {N_SUBJECTS} fold(s), seed 0" in out
    import yaml

    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert (saved["teacher"], saved["student"], saved["epochs"]) == ("eeg:de", "gsr:features", 2)
    import csv

    with open(run / "folds.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    labels = [f"{n:02d}" for n in range(1, N_SUBJECTS + 1)]
    assert sorted({r["fold"] for r in rows}) == [f"sub-{s}" for s in labels]
    for s in labels:  # leave one subject out: each fold tests all of one subject's trials
        test = [r for r in rows if r["fold"] == f"sub-{s}" and r["split"] == "test"]
        assert {r["subject"] for r in test} == {s}
        assert sorted(int(r["trial"]) for r in test) == list(range(1, N_TRIALS + 1))


def test_an_edited_events_tsv_recomputes_only_its_subject(tmp_path):
    import h5py

    from emopipe.cache import run_extract
    from emopipe.features.extract import ExtractConfig
    from emopipe.io.synth.bids import write_bids_synth

    root, cache = tmp_path / "bids", tmp_path / "cache"
    write_bids_synth(root, n_subjects=2, n_trials=1, seed=1)
    config = ExtractConfig(dataset="bids", window=4.0, **CONFIG)
    assert run_extract(config, root, cache)["written"] == ["01", "02"]
    events = root / "sub-02" / "eeg" / "sub-02_task-emotion_events.tsv"
    lines = events.read_text().splitlines()
    cells = lines[2].split("\t")
    cells[5] = "1.5"  # the stimulus row's valence
    events.write_text("\n".join([*lines[:2], "\t".join(cells), *lines[3:]]) + "\n")
    summary = run_extract(config, root, cache)
    assert (summary["written"], summary["skipped"]) == (["02"], ["01"])
    with h5py.File(cache / "02.h5", "r") as f:
        assert_array_equal(f["labels/valence"][()], np.full(15, 1.5))
        assert_array_equal(f["labels/valence_class"][()], np.zeros(15))
