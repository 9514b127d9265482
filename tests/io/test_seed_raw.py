"""SEED raw EEG: SEED_RAW_EEG CNT recordings cut by the documented windows, read lazily."""

import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.cache import read_cohort, run_extract
from emopipe.cli import main
from emopipe.distill.protocols import make_folds
from emopipe.features.extract import ExtractConfig
from emopipe.io import SEED
from emopipe.io._cnt import read_cnt
from emopipe.io.seed import raw_trial_windows, read_seed_raw
from emopipe.io.synth._cnt import write_cnt
from emopipe.io.synth.seed import (AROUSAL_CHANNELS, LEFT_FRONTAL, RAW_NOISE_UV, RAW_TONE_UV,
                                   RIGHT_FRONTAL, write_eye_pickle, write_seed_synth)
from emopipe.utils._errors import ConfigError, DataFileError

LABELS = [1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1]  # label.mat, docs/datasets.md s. 2
# documented trial windows (docs/datasets.md section 2), typed here, not read from the manifest
START = [27, 290, 551, 784, 1050, 1262, 1484, 1748, 1993, 2287, 2551, 2812, 3072, 3335, 3599]
END = [262, 523, 757, 1022, 1235, 1457, 1721, 1964, 2258, 2524, 2786, 3045, 3307, 3573, 3805]
SECONDS = [b - a for a, b in zip(START, END)]
RAW_SFREQ = 50  # low test rate: the 10- and 20-Hz tones under Nyquist; resampled to 200 Hz
RAW_DIR = ("SEED_EEG", "SEED_RAW_EEG")
EYE_DIR = Path("SEED_Multimodal/Chinese/04-Eye-tracking-feature/eye_tracking_feature")
CHANNELS = ("FP1 FPZ FP2 AF3 AF4 F7 F5 F3 F1 FZ F2 F4 F6 F8 FT7 FC5 FC3 FC1 FCZ FC2 FC4 FC6 FT8 "
            "T7 C5 C3 C1 CZ C2 C4 C6 T8 TP7 CP5 CP3 CP1 CPZ CP2 CP4 CP6 TP8 P7 P5 P3 P1 PZ P2 P4 "
            "P6 P8 PO7 PO5 PO3 POZ PO4 PO6 PO8 CB1 O1 OZ O2 CB2").split()


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed_raw")
    truth = write_seed_synth(root, n_subjects=1, n_sessions=1, seconds=(4, 5), seed=3,
                             scenario="kd", preprocessed=False, raw=True, raw_sfreq=RAW_SFREQ)
    return root, truth


def _features_only(tmp_path):
    """A small current-release download without raw files (the .mat files only)."""
    root = tmp_path / "seed"
    write_seed_synth(root, n_subjects=1, n_sessions=1, seconds=(4, 4), seed=0,
                     preprocessed=False, multimodal=False)
    raw = root.joinpath(*RAW_DIR)
    raw.mkdir()
    return root, raw


def test_documented_windows():
    win = raw_trial_windows()
    assert win.shape == (15, 2)
    assert win[:, 0].tolist() == START and win[:, 1].tolist() == END


def test_writer_writes_documented_windows_in_a_cnt_mne_reads(raw_root):
    root, truth = raw_root
    folder = root.joinpath(*RAW_DIR)
    assert sorted(p.name for p in folder.iterdir()) == ["1_1.cnt"]
    raw, fmt = read_cnt(folder / "1_1.cnt")
    assert fmt == "int16"
    assert raw.info["sfreq"] == RAW_SFREQ and len(raw.ch_names) == 66
    assert raw.ch_names[-4:] == ["M1", "M2", "HEO", "VEO"]
    assert str(raw.info["meas_date"].date()) == "2013-10-27"  # subject 1, session 1
    assert raw.n_times == (3805 + 5) * RAW_SFREQ
    assert truth["raw"]["trial_windows"] == [[a, b] for a, b in zip(START, END)]
    assert truth["subjects"]["1"]["1"]["raw_file"] == "1_1.cnt"
    assert not (root / "SEED_Multimodal").exists()  # raw=True writes no multimodal files


def test_writer_refuses_raw_with_the_old_release_or_multimodal(tmp_path):
    msg = ("raw=True writes SEED_EEG/SEED_RAW_EEG of the current release without "
           "SEED_Multimodal (its eye windows cannot match both the raw and the .mat trials), "
           "got release='old', multimodal=False.")
    with pytest.raises(ConfigError, match=re.escape(msg)):
        write_seed_synth(tmp_path, release="old", raw=True)
    with pytest.raises(ConfigError, match="got release='new', multimodal=True"):
        write_seed_synth(tmp_path, raw=True, multimodal=True)
    assert list(tmp_path.iterdir()) == []


def test_extract_from_raw_recovers_labels_trials_and_the_planted_tones(raw_root, tmp_path,
                                                                      monkeypatch):
    import emopipe.io.seed_v as cnt_trial_module

    root, truth = raw_root
    reads = []
    real = cnt_trial_module.read_cnt_segment
    monkeypatch.setattr(cnt_trial_module, "read_cnt_segment",
                        lambda raw, picks, a, b: reads.append((a, b)) or real(raw, picks, a, b))
    rec = SEED.read_subject(root, "1", source="raw")
    assert reads == []  # reading the subject reads no sample
    assert [np.shape(t) for t in rec.modalities["eeg"].data] == [(62, 200 * s) for s in SECONDS]
    assert rec.info["data_format"] == {"1_1.cnt": "int16"} and rec.info["labels"] == "label.mat"
    assert rec.trial_ids.tolist() == list(range(1, 16)) and rec.sessions.tolist() == [1] * 15
    cfg = ExtractConfig(dataset="seed", source="raw", bands="seed5", eeg_features=("de",))
    summary = run_extract(cfg, root, tmp_path, on_error="raise")
    assert summary["written"] == ["1"]
    assert sorted(reads) == [(float(a), float(b)) for a, b in zip(START, END)]  # each once
    sub = read_cohort(tmp_path)[0]
    # the official 1-s windows: end - start of them per trial, labels exactly label.mat's
    assert sub.windows["trial"].tolist() == np.repeat(np.arange(1, 16), SECONDS).tolist()
    assert sub.labels["emotion_class"].tolist() == np.repeat(LABELS, SECONDS).tolist()
    de = sub.modalities["eeg"]["de"].data  # (window, channel, band), nats from volts
    ch = list(sub.modalities["eeg"]["de"].attrs["ch_names"])
    trial = sub.windows["trial"]

    def per_trial(names, band):
        """Band power (DE = 0.5 ln(2 pi e power)) averaged over channels and windows, as DE."""
        power = np.exp(2 * de[:, [ch.index(c) for c in names], band]).mean(axis=1)
        return 0.5 * np.log(np.array([power[trial == k].mean() for k in range(1, 16)]))

    planted = truth["subjects"]["1"]["1"]["trials"]
    asym = np.array([t["alpha_asym_ln_power"] for t in planted])
    bg = np.array([t["beta_gamma_ln_power"] for t in planted])
    # DE of a tone of amplitude A plus white noise: 0.5 ln(2 pi e (A^2 / 2 + noise in band)),
    # the noise of SD sigma spread evenly over 0 - 25 Hz (the file's Nyquist)
    tone = (RAW_TONE_UV * 1e-6) ** 2 / 2
    noise = (RAW_NOISE_UV * 1e-6) ** 2 * (14 - 8) / (RAW_SFREQ / 2)
    want = 0.5 * np.log((tone * np.exp(asym) + noise) / (tone * np.exp(-asym) + noise))
    got = per_trial(RIGHT_FRONTAL, 2) - per_trial(LEFT_FRONTAL, 2)
    assert_allclose(got, want, atol=0.03)  # powers averaged over 190-260 windows
    # beta: the 20-Hz tone over the noise of the other channels in 14-25 Hz (the band's part
    # under the file's Nyquist)
    quiet = [c for c in CHANNELS if c not in AROUSAL_CHANNELS + RIGHT_FRONTAL + LEFT_FRONTAL]
    noise = (RAW_NOISE_UV * 1e-6) ** 2 * (25 - 14) / (RAW_SFREQ / 2)
    want = 0.5 * np.log((tone * np.exp(bg) + noise) / noise)
    got = per_trial(AROUSAL_CHANNELS, 3) - per_trial(quiet, 3)
    # (got lies 0.01-0.03 above: resample_poly's anti-imaging filter takes a little of the
    # noise just under 25 Hz)
    assert_allclose(got, want, atol=0.035)
    assert "eye" not in sub.modalities  # raw=True writes no SEED_Multimodal
    # the official split on the raw cache: clips 1-9 train, 10-15 test
    (fold,) = make_folds("seed_9_6", np.full(len(trial), "1"), trial,
                         session=sub.windows["session"], labels=sub.labels["emotion_class"],
                         val_fraction=0.0)
    assert sorted(set(trial[fold.train].tolist())) == list(range(1, 10))
    assert sorted(set(trial[fold.test].tolist())) == list(range(10, 16))


def test_check_reports_the_raw_files_and_their_sample_format(raw_root, capsys):
    root, _ = raw_root
    assert main(["check", "--dataset", "seed", "--root", str(root)]) == 1  # sessions 2, 3 absent
    out = capsys.readouterr().out
    assert ("info: SEED_RAW_EEG/ holds 1 raw .cnt file(s); 1 read (int16: 1), trials cut by "
            "the documented windows") in out
    assert "info: subject 1: raw CNT sessions 1=1_1.cnt (read as int16)" in out
    assert "subject 1: SEED_RAW_EEG has no recording for session(s) [2, 3]" in out


def test_cnt_unreadable_in_either_format_through_the_cli(tmp_path, capsys, caplog):
    root, raw = _features_only(tmp_path)
    bad = raw / "1_1.cnt"
    write_cnt(bad, np.zeros((66, 100)), 50, [f"E{i}" for i in range(66)], data_format="int16")
    with open(bad, "r+b") as fh:  # the event table offset points past the end of the file
        fh.seek(886)
        fh.write(struct.pack("<i", 10 ** 9))
    size = bad.stat().st_size
    reason = f"the event table offset 1000000000 lies outside the data (file of {size} bytes)"
    message = (f"1_1.cnt: not a readable Neuroscan CNT file in either sample format "
               f"(as int16: {reason}; as int32: {reason}).")
    assert main(["check", "--dataset", "seed", "--root", str(root)]) == 1
    assert f"subject 1: {message}" in capsys.readouterr().out
    cache = tmp_path / "cache"
    assert main(["extract", "--dataset", "seed", "--root", str(root), "--source", "raw",
                 "--cache", str(cache), "-j", "1"]) == 1
    out = capsys.readouterr()
    assert "1 subject(s) failed and were skipped (1)" in out.err
    assert message in caplog.text
    assert not cache.exists() or not any(p.suffix == ".h5" for p in cache.iterdir())


def test_recording_without_the_seed_channels_or_too_short_is_named(tmp_path):
    root, raw = _features_only(tmp_path)
    write_cnt(raw / "1_1.cnt", np.zeros((3, 400)), 50, ["C3", "C4", "HEO"])
    with pytest.raises(DataFileError, match=re.escape(
            "SEED_RAW_EEG/1_1.cnt: the recording lacks 60 of the 62 SEED EEG channels (FP1, FPZ, "
            "FP2, AF3, AF4, F7, F5, F3, ...); it has 3 channels (C3, C4, HEO). Is this a SEED "
            "recording?")):
        SEED.read_subject(root, "1", source="raw")
    names = ["fp1", "fpz"] + CHANNELS[2:]  # names matched case-insensitively
    write_cnt(raw / "1_1.cnt", np.zeros((62, 3000)), 10, names)
    with pytest.raises(DataFileError, match=re.escape(
            "SEED_RAW_EEG/1_1.cnt: trial 2 ends at 523 s (the documented SEED trial windows, "
            "docs/datasets.md section 2), after the end of the recording (300 s: 3000 samples "
            "at 10 Hz). The file is truncated or not a SEED raw recording; re-download it.")):
        read_seed_raw(raw / "1_1.cnt")


def test_sessions_from_the_date_and_bad_names(tmp_path):
    root, raw = _features_only(tmp_path)
    from emopipe.io.seed import _raw_dates, _layout, _scan_raw

    for name in ("1_20131030.cnt", "1_3.cnt"):
        (raw / name).write_bytes(b"")
    layout = _layout(root)
    assert {s: p.name for s, p in _scan_raw(raw, _raw_dates(layout))["1"].items()} == {
        2: "1_20131030.cnt", 3: "1_3.cnt"}  # subject 1's second date is session 2
    assert SEED.subjects(root) == ["1"]
    (raw / "1_4.cnt").write_bytes(b"")
    with pytest.raises(DataFileError, match=re.escape(
            "SEED_RAW_EEG/1_4.cnt: '4' names no session of subject 1; expected "
            "<subject>_<session>.cnt with session 1, 2 or 3 (or a recording date of the subject: "
            "20131027, 20131030, 20131107). Rename the file.")):
        SEED.read_subject(root, "1", source="raw")
    (raw / "1_4.cnt").unlink()
    (raw / "1_2.cnt").write_bytes(b"")
    with pytest.raises(DataFileError, match=re.escape(
            "SEED_RAW_EEG/ holds two session-2 recordings of subject 1: 1_2.cnt and "
            "1_20131030.cnt. Keep one per subject and session.")):
        SEED.read_subject(root, "1", source="raw")


def test_raw_source_of_the_old_release_is_a_config_error(tmp_path):
    write_seed_synth(tmp_path, release="old", n_subjects=1, n_sessions=1, seconds=(1, 1),
                     preprocessed=False)
    with pytest.raises(ConfigError, match=re.escape(
            "source 'raw' reads SEED_EEG/SEED_RAW_EEG/*.cnt of the current SEED release, but")):
        SEED.read_subject(tmp_path, "1", source="raw")


def test_eye_features_are_cut_by_the_raw_windows_or_named(raw_root, tmp_path):
    root = tmp_path / "seed"
    shutil.copytree(raw_root[0], root)
    eye_dir = root / EYE_DIR
    eye_dir.mkdir(parents=True)
    rows = np.arange(sum(SECONDS) * 33, dtype=np.float64).reshape(-1, 33)
    n1 = sum(SECONDS[:9])
    write_eye_pickle(eye_dir / "1_1", rows[:n1], rows[n1:])
    rec = SEED.read_subject(root, "1", source="raw")
    eye = rec.precomputed["eye"]["official"]
    assert [len(t) for t in eye.trials] == SECONDS
    assert_allclose(np.concatenate(eye.trials), rows)
    assert rec.precomputed_window == 1.0 and "eye" not in rec.missing
    write_eye_pickle(eye_dir / "1_1", rows[:n1 - 1], rows[n1:])
    n2 = sum(SECONDS[9:])
    with pytest.raises(DataFileError, match=re.escape(
            f"SEED subject 1 session 1: eye_tracking_feature/1_1 holds {n1 - 1 + n2} windows "
            f"({n1 - 1} for clips 1-9, {n2} for clips 10-15) but SEED_RAW_EEG/1_1.cnt (the "
            f"documented trial windows) holds {n1 + n2} 1-s windows ({n1} + {n2}); the eye "
            f"features and the EEG of a trial share its windows.")):
        SEED.read_subject(root, "1", source="raw")
    assert "eye" not in SEED.read_subject(root, "1", source="raw", modalities=["eeg"]).precomputed
