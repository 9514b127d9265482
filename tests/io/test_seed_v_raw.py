"""SEED-V raw EEG: CNT recordings, sessions from the file name, official trial windows, lazily."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.cli import main
from emopipe.io import SEEDV
from emopipe.io._cnt import read_cnt
from emopipe.io.seed_v import CntTrial, read_trial_windows, trial_windows
from emopipe.io.synth.seed_v import (LEFT_FRONTAL, RAW_NOISE_UV, RAW_TONE_UV, RIGHT_FRONTAL,
                                     write_member_npz, write_seed_v_synth)
from emopipe.io.synth._cnt import write_cnt
from emopipe.utils._errors import DataFileError

S1 = [4, 1, 3, 2, 0, 4, 1, 3, 2, 0, 4, 1, 3, 2, 0]
S23 = [2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0]
OFFICIAL = np.array(S1 + S23 + S23)
RAW_SFREQ = 400.0  # the reader resamples to 200 Hz


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed_v_raw")
    truth = write_seed_v_synth(root, n_subjects=1, seed=5, scenario="kd", max_windows=1,
                               raw=True, raw_sfreq=RAW_SFREQ)
    return root, truth


def test_writer_names_files_by_session_with_dates_out_of_order(raw_root):
    root, truth = raw_root
    names = sorted(p.name for p in (root / "EEG_raw").iterdir())
    assert names == ["1_1_20180801.cnt", "1_2_20180810.cnt", "1_3_20180808.cnt"]
    raw, fmt = read_cnt(root / "EEG_raw" / "1_2_20180810.cnt")
    assert fmt == "int32"
    assert raw.info["sfreq"] == RAW_SFREQ and len(raw.ch_names) == 66
    assert raw.ch_names[-4:] == ["M1", "M2", "VEO", "HEO"]
    assert str(raw.info["meas_date"].date()) == "2018-08-10"
    # max_windows=1: trials of 4 + 2 s, 3 s apart, from 5 s
    win = read_trial_windows(root / "trial_start_end_timestamp.txt")
    assert win[2][:3].tolist() == [[5.0, 11.0], [14.0, 20.0], [23.0, 29.0]]
    assert truth["raw"]["trial_windows"][2][:3] == [[5.0, 11.0], [14.0, 20.0], [23.0, 29.0]]
    assert raw.n_times == int((win[2][-1, 1] + 5.0) * RAW_SFREQ)


def test_documented_windows_without_the_timestamp_file(tmp_path):
    win, source = trial_windows(tmp_path)
    assert source == "manifest"
    assert win[1][0].tolist() == [30.0, 102.0] and win[3][-1].tolist() == [2888.0, 3066.0]


def test_extract_from_raw_aligns_with_the_eye_windows(raw_root, tmp_path, monkeypatch):
    import emopipe.io.seed_v as seed_v_module
    from emopipe.cache import read_cohort, run_extract
    from emopipe.features.extract import ExtractConfig
    from emopipe.io._pickle import load_pickle

    root, truth = raw_root
    reads = []
    real = seed_v_module.read_cnt_segment
    monkeypatch.setattr(seed_v_module, "read_cnt_segment",
                        lambda raw, picks, a, b: reads.append((raw.filenames[0].name, a, b))
                        or real(raw, picks, a, b))
    rec = SEEDV.read_subject(root, "1", source="raw")
    assert reads == []  # reading the subject reads no sample
    assert [np.shape(t) for t in rec.modalities["eeg"].data[:2]] == [(62, 1200), (62, 1200)]
    assert rec.sessions.tolist() == np.repeat([1, 2, 3], 15).tolist()
    assert rec.info["data_format"] == {"1_1_20180801.cnt": "int32", "1_2_20180810.cnt": "int32",
                                       "1_3_20180808.cnt": "int32"}
    cfg = ExtractConfig(dataset="seed_v", source="raw", bands="seed5", eeg_features=("de",))
    summary = run_extract(cfg, root, tmp_path, on_error="raise")
    assert summary["written"] == ["1"]
    assert len(reads) == 45 and len(set(reads)) == 45  # each trial read once
    sub = read_cohort(tmp_path)[0]
    assert sub.labels["emotion_class"].tolist() == OFFICIAL.tolist()  # one window per trial
    assert sub.windows["trial"].tolist() == list(range(1, 46))
    assert sub.windows["session"].tolist() == np.repeat([1, 2, 3], 15).tolist()
    with np.load(root / "Eye_movement_features" / "1_123.npz", allow_pickle=False) as npz:
        eye = load_pickle(npz["data"].item(), name="eye")
    assert_allclose(sub.modalities["eye"]["official"].data,
                    np.concatenate([eye[k] for k in range(45)]))
    # the planted tones: DE of a tone A plus white noise in its band, right minus left alpha
    de = sub.modalities["eeg"]["de"].data  # (window, channel, band)
    ch = list(sub.modalities["eeg"]["de"].attrs["ch_names"])
    right = de[:, [ch.index(c) for c in RIGHT_FRONTAL], 2].mean(axis=1)
    left = de[:, [ch.index(c) for c in LEFT_FRONTAL], 2].mean(axis=1)
    asym = np.array(truth["subjects"]["1"]["planted_alpha_asym"])
    tone = (RAW_TONE_UV * 1e-6) ** 2 / 2
    noise = (RAW_NOISE_UV * 1e-6) ** 2 * (14 - 8) / (RAW_SFREQ / 2)  # white noise in 8-14 Hz
    want = 0.5 * np.log((tone * np.exp(2 * asym) + noise) / (tone * np.exp(-2 * asym) + noise))
    # where both tones stand well above the noise (|asym| < 1, tone power >= 9 times the
    # band noise) one 4-s window's DE difference scatters by about 0.02 nats (largest of
    # these 34 trials: 0.053); beyond, one side is noise-dominated and scatters by 0.1
    tonal = np.abs(asym) < 1.0
    assert tonal.sum() >= 15
    assert_allclose((right - left)[tonal], want[tonal], atol=0.08)
    assert np.corrcoef(right - left, asym)[0, 1] > 0.99


def test_eye_window_count_differing_from_the_eeg_is_named(tmp_path):
    from emopipe.features.extract import ExtractConfig, extract_subject

    root = tmp_path / "sv"
    write_seed_v_synth(root, n_subjects=1, max_windows=1, raw=True, raw_sfreq=200.0)
    data = {k: np.zeros((1, 33)) for k in range(45)}
    label = {k: np.full(1, OFFICIAL[k]) for k in range(45)}
    data[16], label[16] = np.zeros((2, 33)), np.full(2, OFFICIAL[16])
    write_member_npz(root / "Eye_movement_features" / "1_123.npz", data, label)
    rec = SEEDV.read_subject(root, "1", source="raw")
    with pytest.raises(DataFileError, match=re.escape(
            "seed_v 1: trial 17 has 2 windows in the official features but 1 complete 4-s "
            "windows in the eeg signal (1200 samples at 200 Hz); the modalities of a trial must "
            "share its windows.")):
        extract_subject(rec, ExtractConfig(dataset="seed_v", source="raw"))


def test_truncated_recording_and_bad_timestamps_are_named(tmp_path):
    root = tmp_path / "sv"
    write_seed_v_synth(root, n_subjects=1, max_windows=1, raw=True, raw_sfreq=200.0)
    ts = root / "trial_start_end_timestamp.txt"
    text = ts.read_text()
    ts.write_text(text.replace("end_second: [11,", "end_second: [11000,", 1))
    with pytest.raises(DataFileError, match=re.escape(
            "trial_start_end_timestamp.txt: session 1 trial windows")):
        SEEDV.read_subject(root, "1", source="raw")
    ts.write_text(text.replace("137]", "992]", 1))  # the last trial of session 1 ends late
    with pytest.raises(DataFileError, match=re.escape(
            "EEG_raw/1_1_20180801.cnt: trial 15 of session 1 ends at 992 s "
            "(trial_start_end_timestamp.txt), after the end of the recording (142 s at 200 Hz). "
            "The file is truncated, or its name gives the wrong session.")):
        SEEDV.read_subject(root, "1", source="raw")
    ts.write_text("Session 1:\nstart: [1, 2]\n")
    with pytest.raises(DataFileError, match=re.escape(
            "trial_start_end_timestamp.txt, line 2: 'start: [1, 2]' is neither 'Session N:' nor "
            "'start_second: [...]' / 'end_second: [...]' after one")):
        SEEDV.read_subject(root, "1", source="raw")


def test_recording_without_the_seed_v_channels_is_named(tmp_path):
    raw = tmp_path / "EEG_raw"
    raw.mkdir()
    write_cnt(raw / "2_1_20180801.cnt", np.zeros((3, 4000)), 1000, ["C3", "C4", "HEO"])
    with pytest.raises(DataFileError, match=re.escape(
            "2_1_20180801.cnt: the recording lacks 60 of the 62 SEED-V EEG channels (FP1, FPZ, "
            "FP2, AF3, AF4, F7, F5, F3, ...); it has 3 channels (C3, C4, HEO, ...).")):
        SEEDV.read_subject(tmp_path, "2", source="raw")


def test_lazy_trial_resamples_its_span(tmp_path, rng):
    x = rng.normal(0, 20e-6, (2, 3000))
    write_cnt(tmp_path / "r.cnt", x, 1000, ["A", "B"], data_format="int16")
    trial = CntTrial(tmp_path / "r.cnt", "int16", ["B"], 0.5, 2.5, 1000.0, 200.0)
    assert trial.shape == (1, 400)
    from scipy.signal import resample_poly

    counts = np.round(x[1:, 500:2500] / 1e-7) * 1e-7
    assert_allclose(np.asarray(trial), resample_poly(counts, 1, 5, axis=-1), atol=1e-12)


def test_check_reports_the_raw_sessions(raw_root, capsys):
    root, _ = raw_root
    assert main(["check", "--dataset", "seed_v", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert ("subject 1: raw CNT sessions 1=1_1_20180801.cnt, 2=1_2_20180810.cnt, "
            "3=1_3_20180808.cnt (read as int32)") in out
    assert "raw trial windows from trial_start_end_timestamp.txt" in out


def test_cnt_unreadable_in_either_format_through_the_cli(tmp_path, capsys, caplog):
    import struct

    root = tmp_path / "sv"
    write_seed_v_synth(root, n_subjects=2, max_windows=1, raw=True, raw_sfreq=200.0)
    bad = root / "EEG_raw" / "2_3_20180808.cnt"
    with open(bad, "r+b") as fh:  # the event table offset points past the end of the file
        fh.seek(886)
        fh.write(struct.pack("<i", 10 ** 9))
    size = bad.stat().st_size
    reason = f"the event table offset 1000000000 lies outside the data (file of {size} bytes)"
    message = (f"2_3_20180808.cnt: not a readable Neuroscan CNT file in either sample format "
               f"(as int16: {reason}; as int32: {reason}).")
    assert main(["check", "--dataset", "seed_v", "--root", str(root)]) == 1
    assert message in capsys.readouterr().out
    cache = tmp_path / "cache"
    assert main(["extract", "--dataset", "seed_v", "--root", str(root), "--source", "raw",
                 "--cache", str(cache), "-j", "1"]) == 1
    out = capsys.readouterr()
    assert "1 subject(s) failed and were skipped (2)" in out.err
    assert message in caplog.text  # the reason, logged as the subject fails
    assert sorted(p.name for p in cache.iterdir()) == ["1.h5"]  # nothing of subject 2
