"""SEED-IV: official features through the precomputed seam, synthetic writer, check, protocol."""

import json
import re

import numpy as np
import pytest
import scipy.io
from numpy.testing import assert_array_equal

from emopipe.cache import read_features
from emopipe.cli import main
from emopipe.distill.protocols import make_folds
from emopipe.features.extract import ExtractConfig
from emopipe.io import DATASETS, SEEDIV
from emopipe.io.synth.seed_iv import write_seed_iv_synth
from emopipe.utils._errors import ConfigError, DataFileError

# the ReadMe's label lists (docs/datasets.md section 3), typed here independently of the manifest
LABELS = {
    1: [1, 2, 3, 0, 2, 0, 0, 1, 0, 1, 2, 1, 1, 1, 2, 3, 2, 2, 3, 3, 0, 3, 0, 3],
    2: [2, 1, 3, 0, 0, 2, 0, 2, 3, 3, 2, 3, 2, 0, 1, 1, 2, 1, 0, 3, 0, 1, 3, 1],
    3: [1, 2, 2, 1, 3, 3, 3, 1, 1, 2, 1, 0, 2, 3, 3, 0, 2, 3, 0, 0, 2, 0, 1, 0],
}
EYE_ROWS_FIRST_LAST = ("pupil_mean_x", "saccade_latency_average")


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed_iv")
    assert main(["synth", "--dataset", "seed_iv", "--out", str(root), "--subjects", "2",
                 "--scenario", "kd"]) == 0
    return root


@pytest.fixture(scope="module")
def cache(synth_root, tmp_path_factory):
    cache = tmp_path_factory.mktemp("seed_iv_cache")
    assert main(["extract", "--dataset", "seed_iv", "--root", str(synth_root), "--cache",
                 str(cache), "-j", "1"]) == 0
    return cache


def test_dataset_facts():
    ds = DATASETS.get("seed_iv")
    assert ds is SEEDIV
    assert (ds.sfreq, ds.label_names, ds.label_scale, ds.default_threshold) == (
        200.0, ("emotion",), None, None)
    assert ds.default_modalities == ("eeg", "eye") and ds.default_window == 4.0
    assert ds.subject_ids == tuple(str(i) for i in range(1, 16)) and ds.session_ids == (1, 2, 3)
    # classes as given, never thresholded; DEAP's default window unchanged
    assert_array_equal(ds.label_classes(np.array([0.0, 3.0, 2.0])), [0, 3, 2])
    assert ExtractConfig(dataset="seed_iv").window == 4.0
    assert ExtractConfig(dataset="deap").window == 1.0


def test_synth_layout_is_format_faithful(synth_root, capsys):
    assert main(["check", "--dataset", "seed_iv", "--root", str(synth_root)]) == 0
    assert ("seed_iv at " + str(synth_root) + ": every file present is readable and "
            "well-formed.") in capsys.readouterr().out
    f = synth_root / "eeg_feature_smooth" / "2" / "1_20161125.mat"  # subject 1, session 2 date
    mat = scipy.io.loadmat(f)
    keys = [k for k in mat if not k.startswith("__")]
    expected = [f"{n}{k}" for k in range(1, 25)
                for n in ("de_movingAve", "de_LDS", "psd_movingAve", "psd_LDS")]
    assert keys == expected  # 96 keys grouped by trial, in file order
    w = mat["de_LDS1"].shape[1]
    assert mat["de_LDS1"].shape == (62, w, 5) and mat["de_LDS1"].dtype == np.float64
    eye = scipy.io.loadmat(synth_root / "eye_feature_smooth" / "2" / "1_20161125.mat")
    assert [k for k in eye if not k.startswith("__")] == [f"eye_{k}" for k in range(1, 25)]
    assert eye["eye_1"].shape == (31, w) and eye["eye_1"].dtype == np.float64
    truth = json.loads((synth_root / "ground_truth.json").read_text())
    trials = truth["subjects"]["1"]["2"]["trials"]
    assert [t["emotion"] for t in trials] == LABELS[2]
    assert trials[0]["n_windows"] == w


def test_synth_extract_fills_the_documented_schema(synth_root, cache):
    truth = json.loads((synth_root / "ground_truth.json").read_text())
    c = read_features(cache / "1.h5")
    assert sorted(c.modalities) == ["eeg", "eye"]
    assert sorted(c.modalities["eeg"]) == ["official_de_LDS", "official_de_movingAve",
                                           "official_psd_LDS", "official_psd_movingAve"]
    n_win = [t["n_windows"] for s in (1, 2, 3) for t in truth["subjects"]["1"][str(s)]["trials"]]
    de = c.get("eeg", "official_de_LDS")
    assert de.data.shape == (sum(n_win), 62, 5) and tuple(de.dims) == ("window", "channel", "band")
    assert list(de.attrs["band_names"]) == ["delta", "theta", "alpha", "beta", "gamma"]
    assert len(de.attrs["ch_names"]) == 62 and de.attrs["ch_names"][-1] == "CB2"
    # values are the file's, transposed (channel, window, band) -> (window, channel, band)
    mat = scipy.io.loadmat(synth_root / "eeg_feature_smooth" / "1" / "1_20160518.mat")
    assert_array_equal(de.data[:n_win[0]], mat["de_LDS1"].transpose(1, 0, 2))
    start3 = sum(n_win[:48])  # session 3, trial 1
    mat3 = scipy.io.loadmat(synth_root / "eeg_feature_smooth" / "3" / "1_20161126.mat")
    assert_array_equal(c.get("eeg", "official_psd_movingAve").data[start3:start3 + n_win[48]],
                       mat3["psd_movingAve1"].transpose(1, 0, 2))
    eye = c.get("eye", "official")
    assert eye.data.shape == (sum(n_win), 31) and tuple(eye.dims) == ("window", "feature")
    names = list(eye.attrs["feature_names"])
    assert len(names) == 31 and (names[0], names[-1]) == EYE_ROWS_FIRST_LAST
    assert (names[22], names[27]) == ("blink_frequency", "saccade_frequency")
    emat = scipy.io.loadmat(synth_root / "eye_feature_smooth" / "1" / "1_20160518.mat")
    assert_array_equal(eye.data[:n_win[0]], emat["eye_1"].T)
    # labels come back exactly, one per window, with sessions from the folders
    per_trial = np.concatenate([LABELS[s] for s in (1, 2, 3)])
    assert_array_equal(c.labels["emotion_class"], np.repeat(per_trial, n_win))
    assert_array_equal(c.windows["session"], np.repeat(np.repeat([1, 2, 3], 24), n_win))
    assert_array_equal(c.windows["trial"], np.repeat(np.arange(1, 73), n_win))
    assert_array_equal(c.windows["onset"][:n_win[0]], 4.0 * np.arange(n_win[0]))
    assert set(c.windows["duration"].tolist()) == {4.0}


def test_sessions_come_from_the_folder_not_the_date(tmp_path):
    write_seed_iv_synth(tmp_path, n_subjects=1, n_windows=(2, 3))
    # date order disagreeing with the folders: session 3's file gets the earliest date
    for folder in ("eeg_feature_smooth", "eye_feature_smooth"):
        (tmp_path / folder / "3" / "1_20161126.mat").rename(
            tmp_path / folder / "3" / "1_20000101.mat")
    rec = SEEDIV.read_subject(tmp_path, "1")
    assert_array_equal(rec.sessions, np.repeat([1, 2, 3], 24))
    assert_array_equal(rec.labels["emotion"], np.concatenate([LABELS[s] for s in (1, 2, 3)]))


def test_protocol_first_16_last_8(cache):
    from emopipe.cache import read_cohort

    subs = read_cohort(cache)
    subject = np.concatenate([np.full(s.n_windows, s.subject) for s in subs])
    trial = np.concatenate([s.windows["trial"] for s in subs])
    session = np.concatenate([s.windows["session"] for s in subs])
    labels = np.concatenate([s.labels["emotion_class"] for s in subs])
    folds = make_folds("seed_iv_16_8", subject, trial, session=session, labels=labels,
                       val_fraction=0.0)
    assert [f.name for f in folds] == [f"sub-{s}_ses-{k}" for s in ("1", "2") for k in (1, 2, 3)]
    f = folds[4]  # subject 2, session 2: trial ids 25-48
    assert sorted(set(trial[f.train])) == list(range(25, 41))
    assert sorted(set(trial[f.test])) == list(range(41, 49))
    assert set(subject[f.test]) == {"2"} and set(session[f.test]) == {2}


def _drop_key(path, key):
    mat = scipy.io.loadmat(path)
    scipy.io.savemat(path, {k: v for k, v in mat.items() if not k.startswith("__") and k != key})


def test_session_file_with_23_trials(tmp_path):
    write_seed_iv_synth(tmp_path, n_subjects=1, n_sessions=1, n_windows=(2, 2))
    path = tmp_path / "eeg_feature_smooth" / "1" / "1_20160518.mat"
    mat = scipy.io.loadmat(path)
    scipy.io.savemat(path, {k: v for k, v in mat.items()
                            if not k.startswith("__") and not k.endswith("24")})
    with pytest.raises(DataFileError, match=(
            r"^eeg_feature_smooth/1/1_20160518\.mat: holds 23 trials, expected 24 \(a SEED-IV "
            r"session has 24 clips, trials 1-24\); absent trial\(s\) \[24\]\. The file is "
            r"incomplete; re-download it\.$")):
        SEEDIV.read_subject(tmp_path, "1")
    problems = SEEDIV.check(tmp_path)
    assert any(p.startswith("subject 1: eeg_feature_smooth/1/1_20160518.mat: holds 23 trials")
               for p in problems)
    assert main(["check", "--dataset", "seed_iv", "--root", str(tmp_path)]) == 1


def test_mat_whose_keys_match_no_pattern(tmp_path):
    write_seed_iv_synth(tmp_path, n_subjects=1, n_sessions=1, n_windows=(2, 2))
    path = tmp_path / "eye_feature_smooth" / "1" / "1_20160518.mat"
    scipy.io.savemat(path, {"djc_eeg1": np.zeros((62, 10)), "label": np.zeros((1, 15))})
    with pytest.raises(DataFileError, match=(
            r"^eye_feature_smooth/1/1_20160518\.mat: no variable matches the SEED-IV eye "
            r"feature names \(eye_1 \.\.\. eye_24\); found \['djc_eeg1', 'label'\]\.")):
        SEEDIV.read_subject(tmp_path, "1")


def test_eye_and_eeg_window_counts_differ(tmp_path):
    write_seed_iv_synth(tmp_path, n_subjects=1, n_sessions=1, n_windows=(5, 5))
    path = tmp_path / "eye_feature_smooth" / "1" / "1_20160518.mat"
    mat = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    mat["eye_3"] = mat["eye_3"][:, :4]
    scipy.io.savemat(path, mat)
    with pytest.raises(DataFileError, match=(
            r"^Subject 1 session 1 trial 3: eye_feature_smooth/1/1_20160518\.mat \(eye_3\) has "
            r"4 windows but eeg_feature_smooth/1/1_20160518\.mat \(de_LDS3\) has 5;")):
        SEEDIV.read_subject(tmp_path, "1")
    # EEG alone still reads
    rec = SEEDIV.read_subject(tmp_path, "1", modalities=["eeg"])
    assert list(rec.precomputed) == ["eeg"] and rec.n_trials == 24


def test_a_window_other_than_the_official_one_is_refused(synth_root, tmp_path):
    from emopipe.features.extract import extract_subject

    rec = SEEDIV.read_subject(synth_root, "1")
    with pytest.raises(ConfigError, match=(
            r"^seed_iv 1: the official features come in 4-s windows without overlap, but the "
            r"config asks for window = 1\.0 s, step = None\. Set window: 4")):
        extract_subject(rec, ExtractConfig(dataset="seed_iv", window=1.0))


def test_synth_refuses_options_without_meaning(tmp_path, capsys):
    assert main(["synth", "--dataset", "seed_iv", "--out", str(tmp_path), "--trials", "5"]) == 1
    assert ("emopipe synth --dataset seed_iv: --trials do(es) not apply: SEED-IV has 24 clips "
            "per session") in capsys.readouterr().err


def test_cmcrd_eye_teacher_into_eeg_student(cache, tmp_path):
    from emopipe.distill.train import DistillConfig, run_distill

    cfg = DistillConfig(cache=str(cache), teacher="eye", student="eeg:official_de_LDS",
                        method="cmcrd", protocol="seed_iv_16_8", target="emotion", epochs=1,
                        batch_size=64, max_folds=1, out=str(tmp_path / "run"),
                        loss_params={"cmcrd": {"nce_k": 16}}, save_checkpoints=False)
    result = run_distill(cfg)
    assert result.folds == ["sub-1_ses-1"]
    rows = {r["model"]: r for r in result.metrics_fold}
    assert set(rows) == {"teacher", "student", "baseline"}
    # subject 1, session 1: the 8 test trials' windows
    c = read_features(cache / "1.h5")
    n_test = int(np.isin(c.windows["trial"], np.arange(17, 25)).sum())
    assert all(r["n_test"] == n_test for r in rows.values())
    logits = result.predictions["sub-1_ses-1"]["student"]
    assert np.asarray(logits).shape == (n_test, 4)


@pytest.fixture(scope="module")
def raw_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed_iv_raw")
    write_seed_iv_synth(root, n_subjects=1, n_sessions=1, n_windows=(2, 3), raw=True, seed=3)
    return root


def test_raw_reader_returns_the_file_in_volts(raw_root):
    path = raw_root / "eeg_raw_data" / "1" / "1_20160518.mat"
    mat = scipy.io.loadmat(path)
    assert [k for k in mat if not k.startswith("__")] == [f"cz_eeg{k}" for k in range(1, 25)]
    rec = SEEDIV.read_subject(raw_root, "1", source="raw")
    eeg = rec.modalities["eeg"]
    assert (eeg.sfreq, eeg.unit, eeg.source_unit, len(eeg.ch_names)) == (200.0, "V", "uV", 62)
    assert_array_equal(eeg.trial(6), mat["cz_eeg7"] * 1e-6)
    assert rec.info["prefix"] == ["cz"] and list(rec.precomputed) == ["eye"]
    # "auto" takes the official features when they are there
    assert "eeg" in SEEDIV.read_subject(raw_root, "1").precomputed


def test_raw_trials_are_read_one_variable_at_a_time(raw_root, tmp_path, monkeypatch):
    import shutil

    loads = []
    real = scipy.io.loadmat
    monkeypatch.setattr(scipy.io, "loadmat", lambda f, *a, **kw: loads.append(
        kw.get("variable_names")) or real(f, *a, **kw))
    rec = SEEDIV.read_subject(raw_root, "1", source="raw", modalities=["eeg"])
    assert loads == []  # shapes from the variable headers only
    eeg = rec.modalities["eeg"]
    assert np.shape(eeg.data[4]) == scipy.io.whosmat(
        raw_root / "eeg_raw_data" / "1" / "1_20160518.mat")[4][1]
    eeg.trial(4)
    assert loads == [["cz_eeg5"]]
    # a NaN is found when its trial is read, naming the variable
    shutil.copytree(raw_root, tmp_path / "r")
    path = tmp_path / "r" / "eeg_raw_data" / "1" / "1_20160518.mat"
    mat = {k: v for k, v in real(path).items() if not k.startswith("__")}
    mat["cz_eeg9"][3, 7] = np.nan
    scipy.io.savemat(path, mat)
    rec = SEEDIV.read_subject(tmp_path / "r", "1", source="raw", modalities=["eeg"])
    with pytest.raises(DataFileError, match=re.escape(
            "eeg_raw_data/1/1_20160518.mat: variable cz_eeg9 holds 1 NaN or infinite samples. "
            "Re-download the file.")):
        rec.modalities["eeg"].trial(8)
    problems = SEEDIV.check(tmp_path / "r")  # check reads every raw trial
    assert any("variable cz_eeg9 holds 1 NaN or infinite samples" in p for p in problems)


def test_raw_source_computes_de_on_the_eye_windows(raw_root, tmp_path):
    from emopipe.cache import run_extract

    cfg = ExtractConfig(dataset="seed_iv", source="raw", bands="seed5", eeg_features=("de",))
    assert run_extract(cfg, raw_root, tmp_path)["written"] == ["1"]
    c = read_features(tmp_path / "1.h5")
    de, eye = c.get("eeg", "de"), c.get("eye", "official")
    truth = json.loads((raw_root / "ground_truth.json").read_text())["subjects"]["1"]["1"]
    n_win = [t["n_windows"] for t in truth["trials"]]
    assert de.data.shape == (sum(n_win), 62, 5) and eye.data.shape == (sum(n_win), 31)
    assert_array_equal(c.labels["emotion_class"], np.repeat(LABELS[1], n_win))
    # planted: right-minus-left frontal alpha ln power 2 * asym -> DE difference asym;
    # C3/C4/CZ/T7/T8 beta ln power + bg (occipital/parietal unshifted) -> DE difference bg / 2.
    # Order-4 Butterworth bands overlap their neighbours, whose unshifted power dilutes the
    # shift: measured slopes 0.96 of the planted value (seed 3), so 0.9-1.0 is asserted.
    ch = list(de.attrs["ch_names"])
    idx = {name: [ch.index(x) for x in names] for name, names in (
        ("R", ("FP2", "AF4", "F4", "F6", "F8")), ("L", ("FP1", "AF3", "F3", "F5", "F7")),
        ("A", ("C3", "C4", "CZ", "T7", "T8")), ("O", ("O1", "OZ", "O2", "PZ", "POZ")))}
    trial = c.windows["trial"]

    def diff(a, b, band):
        return np.array([de.data[trial == k][:, idx[a], band].mean()
                         - de.data[trial == k][:, idx[b], band].mean() for k in range(1, 25)])

    asym = np.array([t["alpha_asym_ln_power"] for t in truth["trials"]])
    bg = np.array([t["beta_gamma_ln_power"] for t in truth["trials"]]) / 2
    for measured, planted in ((diff("R", "L", 2), asym), (diff("A", "O", 3), bg)):
        slope = np.polyfit(planted, measured, 1)[0]
        assert 0.9 <= slope <= 1.0 and np.corrcoef(measured, planted)[0, 1] > 0.98


def test_raw_trial_shorter_than_its_eye_windows(raw_root, tmp_path):
    import shutil

    shutil.copytree(raw_root, tmp_path / "r")
    path = tmp_path / "r" / "eeg_raw_data" / "1" / "1_20160518.mat"
    mat = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
    n_eye = scipy.io.loadmat(str(path).replace("eeg_raw_data", "eye_feature_smooth"))[
        "eye_2"].shape[1]
    mat["cz_eeg2"] = mat["cz_eeg2"][:, :800 * n_eye - 1]
    scipy.io.savemat(path, mat)
    with pytest.raises(DataFileError, match=(
            rf"^Subject 1 session 1 trial 2: eye_feature_smooth/1/1_20160518\.mat \(eye_2\) has "
            rf"{n_eye} windows but eeg_raw_data/1/1_20160518\.mat \(cz_eeg2\) has {n_eye - 1} "
            rf"complete 4-s windows;")):
        SEEDIV.read_subject(tmp_path / "r", "1", source="raw")


def test_precomputed_seam_refuses_features_whose_windows_differ():
    from emopipe.features.precomputed import precomputed_grid
    from emopipe.io import PrecomputedFeature, SubjectRecording

    feats = {"eeg": {"a": PrecomputedFeature([np.zeros((3, 2)), np.zeros((2, 2))],
                                             ("window", "feature"))},
             "eye": {"b": PrecomputedFeature([np.zeros((3, 1)), np.zeros((4, 1))],
                                             ("window", "feature"))}}
    rec = SubjectRecording("seed_iv", "9", {}, {"emotion": np.array([0.0, 1.0])},
                           np.array([5, 6]), precomputed=feats, precomputed_window=4.0)
    with pytest.raises(DataFileError, match=(
            r"^seed_iv 9: trial 6 has 2 windows in eeg/a but 4 in eye/b; the official features "
            r"of one trial must share its windows\.")):
        precomputed_grid(rec, ExtractConfig(dataset="seed_iv"))
    feats["eye"]["b"].trials[1] = np.zeros((2, 1))
    grid = precomputed_grid(rec, ExtractConfig(dataset="seed_iv"))
    assert [o.tolist() for o in grid.onsets] == [[0.0, 4.0, 8.0], [0.0, 4.0]]


def test_eye_raw_event_tables(tmp_path):
    from emopipe.io import read_seed_iv_eye_raw

    write_seed_iv_synth(tmp_path, n_subjects=1, n_sessions=2, n_windows=(1, 1), eye_raw=True)
    # flat folder, one set of five files per session named by the session's date
    assert sorted(p.name for p in (tmp_path / "eye_raw_data").iterdir())[:5] == [
        f"1_20160518_{k}.mat" for k in ("blink", "event", "fixation", "pupil", "saccade")]
    path = tmp_path / "eye_raw_data" / "1_20161125_pupil.mat"
    cells = scipy.io.loadmat(path)["Eye_Pupil"]
    tables = read_seed_iv_eye_raw(tmp_path, "1", "20161125")
    assert sorted(tables) == ["blink", "event", "fixation", "pupil", "saccade"]
    assert len(tables["pupil"]) == 24 and tables["pupil"][5].shape[0] == 4
    assert_array_equal(tables["pupil"][5], cells.ravel()[5])
    rec = SEEDIV.read_subject(tmp_path, "1")
    assert sorted(rec.info["eye_raw"]) == [1, 2]
    # a cell array of 23 clips
    scipy.io.savemat(path, {"Eye_Pupil": cells[:23]})
    with pytest.raises(DataFileError, match=(
            r"^eye_raw_data/1_20161125_pupil\.mat: variable 'Eye_Pupil' holds 23 cells, shape "
            r"\(23, 1\), expected a cell array of 24 \(one per clip\)\.$")):
        read_seed_iv_eye_raw(tmp_path, "1", "20161125")
    assert any("holds 23 cells" in p for p in SEEDIV.check(tmp_path))
