"""DREAMER: the one-file struct, its reader, the extract round trip and bad input."""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from emopipe.cli import main
from emopipe.io import DATASETS
from emopipe.io.dreamer import DREAMER, read_dreamer_subject
from emopipe.io.synth.dreamer import write_dreamer_synth
from emopipe.utils._errors import ConfigError, DataFileError

EEG = ["AF3", "F7", "F3", "FC5", "T7", "P7", "O1", "O2", "P8", "T8", "FC6", "F4", "F8", "AF4"]
TOP = ["Data", "EEG_SamplingRate", "ECG_SamplingRate", "EEG_Electrodes", "noOfSubjects",
       "noOfVideoSequences", "Disclaimer", "Provider", "Version", "Acknowledgement"]
SUB = ["Age", "Gender", "EEG", "ECG", "ScoreValence", "ScoreArousal", "ScoreDominance"]


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("dreamer")
    # seed 1, kd: every subject has clips of both arousal classes (LOSO trains on both)
    truth = write_dreamer_synth(root, n_subjects=3, n_trials=4, seed=1, scenario="kd",
                                baseline_s=4.0, stimulus_s=(8.0, 12.0))
    return root, truth


def _scores(truth, subject, name):
    return np.array([t[name] for t in truth["subjects"][subject]["trials"]], float)


def _resave(src, dst, *, drop_top=None, drop_sub=None, edit=None):
    """Copy of a DREAMER.mat without a top-level or a Data field, or with ``edit(top)`` applied."""
    top = scipy.io.loadmat(src)["DREAMER"]
    if edit is not None:
        edit(top)
    if drop_sub is not None:
        data = top[0, 0]["Data"]
        names = [n for n in data.dtype.names if n != drop_sub]
        new = np.empty(data.shape, dtype=[(n, object) for n in names])
        for n in names:
            new[n] = data[n]
        top[0, 0]["Data"] = new
    names = [n for n in top.dtype.names if n != drop_top]
    new = np.empty((1, 1), dtype=[(n, object) for n in names])
    for n in names:
        new[0, 0][n] = top[0, 0][n]
    dst.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(dst / "DREAMER.mat", {"DREAMER": new})
    return dst


def test_registered_with_its_facts():
    ds = DATASETS.get("dreamer")
    assert ds is DREAMER
    assert (ds.sfreq, ds.label_names, ds.label_scale, ds.default_threshold) == (
        128.0, ("valence", "arousal", "dominance"), (1.0, 5.0), 3.0)
    assert ds.default_modalities == ("eeg", "ecg") and ds.default_window == 4.0
    # a score above 3 (4 or 5) is high; 3 itself is low
    assert ds.label_classes(np.array([1.0, 2.0, 3.0, 4.0, 5.0])).tolist() == [0, 0, 0, 1, 1]
    assert ds.describe()["labels"] == ("valence, arousal, dominance: ratings 1-5, class 1 "
                                       "above 3")


def test_fixture_is_format_faithful_in_both_access_styles(tmp_path):
    truth = write_dreamer_synth(tmp_path, n_subjects=2, n_trials=2, seed=0,
                                stimulus_s=(2.0, 3.0))
    p = tmp_path / "DREAMER.mat"
    top = scipy.io.loadmat(p)["DREAMER"]
    assert list(top.dtype.names) == TOP
    rec = top[0, 0]
    assert rec["Data"].shape == (1, 2) and list(rec["Data"].dtype.names) == SUB
    assert (rec["EEG_SamplingRate"][0, 0], rec["ECG_SamplingRate"][0, 0]) == (128.0, 256.0)
    assert [str(e[0]) for e in rec["EEG_Electrodes"].ravel()] == EEG
    assert rec["noOfSubjects"][0, 0] == 2 and rec["noOfVideoSequences"][0, 0] == 2
    sub = rec["Data"][0, 1]
    eeg, ecg = sub["EEG"][0, 0], sub["ECG"][0, 0]
    assert eeg["baseline"].shape == eeg["stimuli"].shape == (2, 1)
    # samples x channels; the 61-s baseline is 7808 EEG and 15616 ECG samples
    assert eeg["baseline"][1, 0].shape == (7808, 14) and ecg["baseline"][1, 0].shape == (15616, 2)
    n_s = truth["subjects"]["s02"]["trials"][1]["stimulus_s"]
    assert eeg["stimuli"][1, 0].shape == (128 * n_s, 14)
    assert ecg["stimuli"][1, 0].shape == (256 * n_s, 2)
    assert sub["ScoreValence"].shape == (2, 1)
    assert sub["ScoreArousal"].ravel().tolist() == _scores(truth, "s02", "arousal").tolist()
    sq = scipy.io.loadmat(p, squeeze_me=True, struct_as_record=False)["DREAMER"]
    assert sq.EEG_SamplingRate == 128 and list(sq.EEG_Electrodes) == EEG
    np.testing.assert_array_equal(sq.Data[1].EEG.stimuli[1], eeg["stimuli"][1, 0])
    assert sq.Data[0].ECG.baseline[0].shape == (15616, 2)


def test_reader_returns_the_file_as_typed_trials(synth):
    root, truth = synth
    rec = DREAMER.read_subject(root, "s02")
    raw = scipy.io.loadmat(root / "DREAMER.mat")["DREAMER"][0, 0]["Data"][0, 1]
    eeg, ecg = rec.modalities["eeg"], rec.modalities["ecg"]
    assert (eeg.sfreq, ecg.sfreq, eeg.unit) == (128.0, 256.0, "V")
    assert eeg.ch_names == EEG and ecg.ch_names == ["ECG1", "ECG2"]
    assert rec.baseline == 4.0 and rec.trial_ids.tolist() == [1, 2, 3, 4]
    for t in range(4):
        want = np.concatenate([raw["EEG"][0, 0]["baseline"][t, 0],
                               raw["EEG"][0, 0]["stimuli"][t, 0]]).T * 1e-6
        np.testing.assert_array_equal(eeg.trial(t), want)
        n_s = truth["subjects"]["s02"]["trials"][t]["stimulus_s"]
        assert ecg.trial(t).shape == (2, 256 * (4 + n_s))
    for name in ("valence", "arousal", "dominance"):
        assert rec.labels[name].tolist() == _scores(truth, "s02", name).tolist()
    assert rec.sources == [str((root / "DREAMER.mat").resolve())]
    assert rec.info["trimmed"] == []
    only = DREAMER.read_subject(root, "s01", modalities=["ecg"])
    assert list(only.modalities) == ["ecg"] and only.missing == {"eeg": "not requested"}
    assert DREAMER.subjects(root) == ["s01", "s02", "s03"]


def test_extract_round_trip_recovers_labels_and_planted_heart_rate(synth, tmp_path):
    from emopipe.cache import read_features, run_extract
    from emopipe.features.extract import ExtractConfig

    root, truth = synth
    summary = run_extract(ExtractConfig(dataset="dreamer"), root, tmp_path, on_error="raise")
    assert summary["written"] == ["s01", "s02", "s03"]
    sub = read_features(tmp_path / "s03.h5")
    trials = truth["subjects"]["s03"]["trials"]
    n_win = [t["stimulus_s"] // 4 for t in trials]  # 4-s windows on the stimulus only
    assert sub.windows["trial"].tolist() == np.repeat([1, 2, 3, 4], n_win).tolist()
    assert sub.windows["onset"].tolist() == [4.0 * w for n in n_win for w in range(n)]
    for name in ("valence", "arousal", "dominance"):
        scores = _scores(truth, "s03", name)
        assert sub.labels[name].tolist() == np.repeat(scores, n_win).tolist()
        assert sub.labels[f"{name}_class"].tolist() == np.repeat(scores > 3, n_win).tolist()
    assert sub.get("eeg", "de").data.shape == (sum(n_win), 14, 4)
    hr = sub.get("ecg", "hr").data  # (window, channel) beats per minute
    counts = sub.get("ecg", "beat_count").data
    start = 0
    for t, n in zip(trials, n_win):
        peaks = np.asarray(t["r_peaks_s"])
        want = 60.0 / np.diff(peaks).mean()
        np.testing.assert_allclose(hr[start:start + n].mean(axis=0), want, atol=2.0)
        planted = [np.count_nonzero((peaks >= 4 * w) & (peaks < 4 * w + 4)) for w in range(n)]
        assert np.abs(counts[start:start + n, 0] - planted).max() <= 1
        start += n


def test_baseline_keep_gives_the_neutral_clip_negative_onsets(synth, tmp_path):
    from emopipe.cache import read_features, run_extract
    from emopipe.features.extract import ExtractConfig

    root, truth = synth
    run_extract(ExtractConfig(dataset="dreamer", subjects=["s01"], baseline="keep",
                              modalities=["ecg"]), root, tmp_path, on_error="raise")
    sub = read_features(tmp_path / "s01.h5")
    first = sub.windows["onset"][sub.windows["trial"] == 1]
    n_s = truth["subjects"]["s01"]["trials"][0]["stimulus_s"]
    assert first.tolist() == [-4.0] + [4.0 * w for w in range(n_s // 4)]


def test_a_struct_missing_a_field_is_named_with_the_fields_found(synth, tmp_path):
    root, _ = synth
    bad = _resave(root / "DREAMER.mat", tmp_path / "top", drop_top="ECG_SamplingRate")
    with pytest.raises(DataFileError, match=re.escape(
            "DREAMER.mat: DREAMER: struct field 'ECG_SamplingRate' missing; the struct has the "
            "fields Data, EEG_SamplingRate, EEG_Electrodes, noOfSubjects, noOfVideoSequences, "
            "Disclaimer, Provider, Version, Acknowledgement, expected Data, EEG_SamplingRate, "
            "ECG_SamplingRate, EEG_Electrodes, noOfSubjects, noOfVideoSequences, Disclaimer, "
            "Provider, Version, Acknowledgement (missing: ECG_SamplingRate). The file is "
            "incomplete or was re-saved without them: re-download DREAMER.mat.")):
        DREAMER.read_subject(bad, "s01")
    bad = _resave(root / "DREAMER.mat", tmp_path / "sub", drop_sub="ScoreDominance")
    msg = ("DREAMER.mat: DREAMER.Data{1}: struct field 'ScoreDominance' missing; the struct has "
           "the fields Age, Gender, EEG, ECG, ScoreValence, ScoreArousal, expected Age, Gender, "
           "EEG, ECG, ScoreValence, ScoreArousal, ScoreDominance (missing: ScoreDominance).")
    with pytest.raises(DataFileError, match=re.escape(msg)):
        read_dreamer_subject(bad / "DREAMER.mat", "s01")


def test_bad_input_through_the_cli(synth, tmp_path, capsys):
    root, _ = synth
    bad = _resave(root / "DREAMER.mat", tmp_path / "top", drop_top="EEG_Electrodes")
    assert main(["check", "--dataset", "dreamer", "--root", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "  - DREAMER.mat: DREAMER: struct field 'EEG_Electrodes' missing; the struct has" in out
    assert "dreamer at" in out and "1 problem(s)" in out
    assert main(["extract", "--dataset", "dreamer", "--root", str(bad), "--cache",
                 str(tmp_path / "c"), "--strict", "-j", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("emopipe extract: error: DREAMER.mat: DREAMER: struct field "
                          "'EEG_Electrodes' missing;")
    assert "\n" not in err.strip()
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").glob("*.h5"))


def test_one_bad_subject_is_a_counted_skip_and_leaves_nothing(synth, tmp_path):
    from emopipe.cache import run_extract
    from emopipe.features.extract import ExtractConfig

    root, _ = synth

    def edit(top):
        sub = top[0, 0]["Data"][0, 1]
        cells = sub["EEG"][0, 0]["stimuli"]
        cells[0, 0] = cells[0, 0][:, :13]  # a clip with 13 EEG columns

    bad = _resave(root / "DREAMER.mat", tmp_path / "bad", edit=edit)
    summary = run_extract(ExtractConfig(dataset="dreamer"), bad, tmp_path / "c")
    assert summary["written"] == ["s01", "s03"] and list(summary["failed"]) == ["s02"]
    assert ("DREAMER.mat: DREAMER.Data{2}.EEG.stimuli{1}: expected a numeric samples x 14 "
            "array (samples x channels), got float64") in summary["failed"]["s02"]
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["s01.h5", "s03.h5"]
    assert DREAMER.check(bad) == ["info: 3 of 23 subjects in Data", summary["failed"]["s02"]]

    def edit_scores(top):
        top[0, 0]["Data"][0, 2]["ScoreArousal"][2, 0] = 7.0

    bad = _resave(root / "DREAMER.mat", tmp_path / "scores", edit=edit_scores)
    with pytest.raises(DataFileError, match=re.escape(
            "DREAMER.mat: DREAMER.Data{3}.ScoreArousal: scores must be 1-5; clip 3 holds 7.0.")):
        DREAMER.read_subject(bad, "s03")


def test_other_rates_and_missing_files_are_refused(synth, tmp_path):
    root, _ = synth
    with pytest.raises(ConfigError, match=re.escape(
            "sfreq = 256.0 Hz: DREAMER.mat holds EEG at 128 Hz and emopipe does not resample "
            "DREAMER.")):
        DREAMER.read_subject(root, "s01", sfreq=256.0)
    with pytest.raises(FileNotFoundError, match=r"DREAMER subject 's09' not found: DREAMER.mat "
                                                r"holds Data\{1\} \.\.\. Data\{3\}"):
        DREAMER.read_subject(root, "s09")
    assert DREAMER.check(tmp_path) == [
        f"no DREAMER.mat under {str(tmp_path)!r}: not a DREAMER download (docs/datasets.md "
        f"section 6)"]
    (tmp_path / "DREAMER.mat").write_bytes(b"MATLAB 5.0 truncated")
    with pytest.raises(DataFileError, match=r"^DREAMER.mat: not a readable MAT v5 file"):
        DREAMER.read_subject(tmp_path, "s01")


def test_cli_synth_check_extract(tmp_path, capsys):
    root = tmp_path / "d"
    assert main(["synth", "--dataset", "dreamer", "--out", str(root), "--subjects", "1",
                 "--trials", "2"]) == 0
    assert main(["check", "--dataset", "dreamer", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "info: 1 of 23 subjects in Data" in out and "every file present is readable" in out
    assert main(["synth", "--dataset", "dreamer", "--out", str(root), "--face"]) == 1
    assert "--face do(es) not apply: DREAMER ships one MAT file" in capsys.readouterr().err
    assert main(["extract", "--dataset", "dreamer", "--root", str(root), "--cache",
                 str(tmp_path / "c"), "--modalities", "ecg", "-j", "1"]) == 0
    assert "1 subject(s) extracted" in capsys.readouterr().out
    gt = json.loads((root / "ground_truth.json").read_text())
    assert gt["baseline_s"] == 61.0 and gt["n_trials"] == 2


def test_pipeline_yaml_runs_ekd_eeg_ecg_to_ecg(synth, tmp_path, capsys):
    import yaml

    root, _ = synth
    cache, run = tmp_path / "cache", tmp_path / "run"
    cfg = str(Path(__file__).resolve().parents[2] / "pipelines" / "ekd_dreamer.yaml")
    assert main(["extract", "--dataset", "dreamer", "--root", str(root), "--config", cfg,
                 "--cache", str(cache), "-j", "1"]) == 0
    from emopipe.cache import read_features

    sub = read_features(cache / "s01.h5")
    assert sub.get("ecg", "raw").data.shape[1:] == (2, 512)  # 4 s resampled to 128 Hz
    assert sub.get("eeg", "raw").data.shape[1:] == (14, 512)
    assert main(["distill", "--cache", str(cache), "--config", cfg, "--epochs", "1",
                 "--out", str(run)]) == 0
    assert "ekd / loso / arousal: 3 fold(s), seed 0" in capsys.readouterr().out
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert (saved["teacher"], saved["student"]) == ("eeg:raw+ecg:raw", "ecg:raw")


def test_eeg_and_ecg_of_different_durations_are_cut_to_the_shorter(synth, tmp_path):
    root, truth = synth

    def shorten_ecg(top):
        cells = top[0, 0]["Data"][0, 0]["ECG"][0, 0]["stimuli"]
        cells[1, 0] = cells[1, 0][:-256]  # clip 2's ECG 1 s shorter than its EEG

    bad = _resave(root / "DREAMER.mat", tmp_path / "short", edit=shorten_ecg)
    rec = DREAMER.read_subject(bad, "s01")
    n_s = truth["subjects"]["s01"]["trials"][1]["stimulus_s"]
    assert rec.info["trimmed"] == [{"trial": 2, "eeg_s": float(n_s), "ecg_s": n_s - 1.0}]
    assert rec.modalities["eeg"].trial(1).shape == (14, 128 * (4 + n_s - 1))
    assert rec.modalities["ecg"].trial(1).shape == (2, 256 * (4 + n_s - 1))
    assert rec.modalities["eeg"].trial(0).shape[1] == 128 * (
        4 + truth["subjects"]["s01"]["trials"][0]["stimulus_s"])
    assert ("info: subject s01: 1 clip(s) with EEG and ECG stimuli of different durations (cut "
            "to the shorter)") in DREAMER.check(bad)


def test_char_matrix_electrodes_and_numeric_age_read_as_text(synth, tmp_path):
    root, _ = synth

    def as_char_matrix(top):
        top[0, 0]["EEG_Electrodes"] = np.array(EEG)  # saved as a 14 x 3 char matrix
        top[0, 0]["Data"][0, 0]["Age"] = np.array([[22.0]])

    f = _resave(root / "DREAMER.mat", tmp_path / "char", edit=as_char_matrix)
    assert scipy.io.loadmat(f / "DREAMER.mat")["DREAMER"][0, 0]["EEG_Electrodes"][1] == "F7 "
    rec = DREAMER.read_subject(f, "s01")
    assert rec.modalities["eeg"].ch_names == EEG and rec.info["age"] == "22"
