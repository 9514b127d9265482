"""SEED-V official features: format-faithful fixture, reader, cache, protocol, bad input."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from emopipe.cli import main
from emopipe.io import DATASETS, SEEDV, load_pickle, read_seed_v_features
from emopipe.io.seed_v import raw_files
from emopipe.io.synth._pickle2 import py2_pickle_bytes
from emopipe.io.synth.seed_v import write_member_npz, write_seed_v_synth
from emopipe.utils._errors import ConfigError, DataFileError

S1 = [4, 1, 3, 2, 0, 4, 1, 3, 2, 0, 4, 1, 3, 2, 0]
S23 = [2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0]
OFFICIAL = np.array(S1 + S23 + S23)


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed_v")
    truth = write_seed_v_synth(root, n_subjects=2, seed=3, scenario="kd", max_windows=4)
    return root, truth


def _members(path):
    with np.load(path, allow_pickle=False) as npz:
        return {m: load_pickle(npz[m].item(), name=m) for m in npz.files}, npz


def _trials(n_win, n_cols, fill=None):
    """Dicts ``data``, ``label`` of 45 trials with ``n_win[k]`` windows."""
    data = {k: (np.zeros((n, n_cols)) if fill is None else fill(k, n)) for k, n in enumerate(n_win)}
    label = {k: np.full(n, OFFICIAL[k]) for k, n in enumerate(n_win)}
    return data, label


def test_registered_with_its_facts():
    ds = DATASETS.get("seed_v")
    assert ds is SEEDV
    assert (ds.sfreq, ds.window, ds.label_names, ds.label_scale, ds.default_threshold) == (
        200.0, 4.0, ("emotion",), None, None)
    assert ds.sessions == (1, 2, 3) and ds.default_modalities == ("eeg", "eye")
    assert ds.classes == ("disgust", "fear", "sad", "neutral", "happy")
    # classes as given, never thresholded
    assert ds.label_classes(np.array([0.0, 4.0, 2.0])).tolist() == [0, 4, 2]


def test_fixture_is_format_faithful(synth):
    root, truth = synth
    eeg = root / "EEG_DE_features" / "2_123.npz"
    with np.load(eeg, allow_pickle=False) as npz:
        assert npz.files == ["data", "label"]
        raw = npz["data"]
        assert raw.dtype.kind == "S" and raw.shape == ()
        blob = raw.item()
    assert blob[:2] == b"\x80\x02"  # protocol 2
    assert b"numpy.core.multiarray\n_reconstruct" in blob  # as Python 2 / NumPy 1 wrote it
    obj = load_pickle(blob)
    assert list(obj) == list(range(45))  # int keys in order
    # official trial lengths floor((end - start) / 4), capped at 4 windows
    assert truth["n_windows"][:3] == [4, 4, 4] and len(truth["n_windows"]) == 45
    assert all(obj[k].shape == (4, 310) and obj[k].dtype == np.float64 for k in obj)
    eye, _ = _members(root / "Eye_movement_features" / "2_123.npz")
    assert all(eye["data"][k].shape == (4, 33) for k in range(45))
    labels = load_pickle(np.load(eeg)["label"].item())
    assert [int(labels[k][0]) for k in range(45)] == OFFICIAL.tolist()
    assert all(np.unique(labels[k]).size == 1 for k in range(45))
    gt = json.loads((root / "ground_truth.json").read_text())
    assert gt["subjects"]["1"]["emotion"] == OFFICIAL.tolist()
    assert gt["planted"]["eye_blink_col"] == 22


def test_full_length_windows_follow_the_official_trial_windows(tmp_path):
    truth = write_seed_v_synth(tmp_path, n_subjects=1)
    # session 1 trial 1: 30-102 s -> 18 windows; session 3 trial 15: 2888-3066 s -> 44
    assert truth["n_windows"][0] == 18 and truth["n_windows"][44] == 44


def test_planted_effects_are_in_the_features(synth):
    root, truth = synth
    rec = SEEDV.read_subject(root, "1")
    de = np.concatenate(rec.precomputed["eeg"]["official_de"].trials)
    ch = rec.precomputed["eeg"]["official_de"].attrs["ch_names"]
    trial = np.repeat(np.arange(45), 4)
    right = [ch.index(c) for c in ("FP2", "AF4", "F4", "F6", "F8")]
    left = [ch.index(c) for c in ("FP1", "AF3", "F3", "F5", "F7")]
    asym = de[:, right, 2].mean(1) - de[:, left, 2].mean(1)
    per_trial = np.array([asym[trial == k].mean() for k in range(45)])
    planted = np.array(truth["subjects"]["1"]["planted_alpha_asym"])
    # right - left = 2 * planted + the subject's fixed baseline difference + window noise
    assert np.corrcoef(per_trial, planted)[0, 1] > 0.95


def test_reader_reshapes_channel_major(tmp_path):
    (tmp_path / "EEG_DE_features").mkdir()
    n_win = [2] * 45
    # column j = channel j // 5, band j % 5 (channel-major); value = 10 * channel + band
    row = np.array([10 * (j // 5) + j % 5 for j in range(310)], float)
    data, label = _trials(n_win, 310, fill=lambda k, n: np.tile(row + 1000 * k, (n, 1)))
    write_member_npz(tmp_path / "EEG_DE_features" / "7_123.npz", data, label)
    rec = SEEDV.read_subject(tmp_path, "7", modalities=["eeg"])
    feat = rec.precomputed["eeg"]["official_de"]
    data = np.concatenate(feat.trials)
    assert feat.dims == ("window", "channel", "band") and data.shape == (90, 62, 5)
    assert data[0, 61, 4] == 614 and data[0, 3, 2] == 32
    assert data[89, 0, 1] == 44 * 1000 + 1
    assert feat.attrs["ch_names"][61] == "CB2"
    assert feat.attrs["band_names"] == ["delta", "theta", "alpha", "beta", "gamma"]
    assert rec.trial_ids.tolist() == list(range(1, 46))
    assert rec.sessions.tolist() == [1] * 15 + [2] * 15 + [3] * 15
    assert rec.labels["emotion"].tolist() == OFFICIAL.tolist()
    assert rec.missing == {"eye": "Eye_movement_features/7_123.npz not read (absent or not "
                                  "wanted)"}


def test_extract_fills_the_cache_and_labels_come_back_exactly(synth, tmp_path):
    from emopipe.cache import read_cohort, run_extract
    from emopipe.features.extract import ExtractConfig

    root, _ = synth
    summary = run_extract(ExtractConfig(dataset="seed_v", window=4.0), root, tmp_path,
                          on_error="raise")
    assert summary["written"] == ["1", "2"]
    subs = {s.subject: s for s in read_cohort(tmp_path)}
    for s in ("1", "2"):
        sub = subs[s]
        eeg, _ = _members(root / "EEG_DE_features" / f"{s}_123.npz")
        eye, _ = _members(root / "Eye_movement_features" / f"{s}_123.npz")
        assert sub.labels["emotion_class"].tolist() == np.repeat(OFFICIAL, 4).tolist()
        assert sub.windows["trial"].tolist() == np.repeat(np.arange(1, 46), 4).tolist()
        assert sub.windows["session"].tolist() == np.repeat([1, 2, 3], 60).tolist()
        assert sub.windows["onset"][:5].tolist() == [0.0, 4.0, 8.0, 12.0, 0.0]
        want = np.concatenate([eeg["data"][k] for k in range(45)]).reshape(-1, 62, 5)
        np.testing.assert_array_equal(sub.modalities["eeg"]["official_de"].data, want)
        np.testing.assert_array_equal(sub.modalities["eye"]["official"].data,
                                      np.concatenate([eye["data"][k] for k in range(45)]))
        assert sub.modalities["eeg"]["official_de"].dims == ("window", "channel", "band")


def test_extract_refuses_another_window(synth):
    from emopipe.features.extract import ExtractConfig, extract_subject

    with pytest.raises(ConfigError, match=re.escape(
            "seed_v source 'auto' holds features precomputed on 4-s windows without overlap, "
            "but the config asks window=1.0, step=None. Set window: 4 (--window 4) and leave "
            "step unset.")):
        ExtractConfig(dataset="seed_v", window=1.0)
    assert ExtractConfig(dataset="seed_v").window == 4.0  # the dataset's default window
    with pytest.raises(ConfigError, match=re.escape("step=2.0. Set window: 4")):
        ExtractConfig(dataset="seed_v", source="official_features", window=4.0, step=2.0)
    # the reader's own window is checked again per subject (a config built by hand)
    rec = SEEDV.read_subject(synth[0], "1")
    rec.precomputed_window = 2.0
    with pytest.raises(ConfigError, match=re.escape(
            "seed_v 1: the official features come in 2-s windows without overlap, but the "
            "config asks for window = 4.0 s, step = None. Set window: 2 and leave step "
            "unset")):
        extract_subject(rec, ExtractConfig(dataset="seed_v", window=4.0))


def test_dict_with_44_keys_is_refused(tmp_path):
    (tmp_path / "EEG_DE_features").mkdir()
    data, label = _trials([2] * 45, 310)
    del data[44]
    f = tmp_path / "EEG_DE_features" / "1_123.npz"
    write_member_npz(f, data, label)
    with pytest.raises(DataFileError, match=re.escape(
            "1_123.npz['data']: expected the 45 int keys 0-44 (15 trials x 3 sessions), found "
            "44 keys; missing [44], unexpected []. The file is incomplete or not a SEED-V "
            "feature file: re-download it.")):
        read_seed_v_features(f)
    assert "found 44 keys" in " ".join(SEEDV.check(tmp_path))


def test_member_pickle_carrying_code_is_refused_without_running(tmp_path):
    marker = tmp_path / "ran"
    cmd = f"touch {marker}".encode()
    evil = (b"\x80\x02cos\nsystem\nq\x00U" + bytes([len(cmd)]) + cmd
            + b"q\x01\x85q\x02Rq\x03.")
    (tmp_path / "EEG_DE_features").mkdir()
    f = tmp_path / "EEG_DE_features" / "1_123.npz"
    _, label = _trials([2] * 45, 310)
    write_member_npz(f, evil, label)
    with pytest.raises(DataFileError, match=re.escape(
            "1_123.npz['data']: refused to load global 'os.system'.")):
        read_seed_v_features(f)
    assert not marker.exists()


def test_eye_and_eeg_window_counts_must_match(tmp_path):
    for d in ("EEG_DE_features", "Eye_movement_features"):
        (tmp_path / d).mkdir()
    n_eeg = [3] * 45
    n_eye = [3] * 45
    n_eye[17] = 2
    write_member_npz(tmp_path / "EEG_DE_features" / "1_123.npz", *_trials(n_eeg, 310))
    write_member_npz(tmp_path / "Eye_movement_features" / "1_123.npz", *_trials(n_eye, 33))
    with pytest.raises(DataFileError, match=re.escape(
            "SEED-V subject 1, trial key 17: Eye_movement_features/1_123.npz holds 2 eye "
            "windows but EEG_DE_features/1_123.npz holds 3 EEG windows; both modalities must "
            "share the 4-s windows.")):
        SEEDV.read_subject(tmp_path, "1")


def test_labels_off_the_official_order_are_refused(tmp_path):
    (tmp_path / "EEG_DE_features").mkdir()
    data, label = _trials([2] * 45, 310)
    label[16] = np.array([1, 2])
    f = tmp_path / "EEG_DE_features" / "1_123.npz"
    write_member_npz(f, data, label)
    with pytest.raises(DataFileError, match=re.escape(
            "1_123.npz: trial key 16 (session 2, trial 2) has labels [1, 2], expected the "
            "constant 1 (fear) of the official order")):
        read_seed_v_features(f)


def test_dict_pickle_round_trips_int_keys():
    arrays = {0: np.arange(6.0).reshape(2, 3), 1: np.array([3, 4])}
    back = load_pickle(py2_pickle_bytes(arrays))
    assert list(back) == [0, 1]
    np.testing.assert_array_equal(back[0], arrays[0])
    np.testing.assert_array_equal(back[1], arrays[1])


def test_seed_v_3fold_tests_each_five_trial_block_of_every_session():
    from emopipe.distill.protocols import make_folds

    trial = np.tile(np.repeat(np.arange(1, 46), 2), 2)
    subject = np.repeat(["1", "2"], 90)
    labels = np.repeat(OFFICIAL, 2)[np.tile(np.arange(90), 2)]
    folds = make_folds("seed_v_3fold", subject, trial, labels=labels, val_fraction=0.0)
    assert [f.name for f in folds] == ["sub-1_fold-0", "sub-1_fold-1", "sub-1_fold-2",
                                       "sub-2_fold-0", "sub-2_fold-1", "sub-2_fold-2"]
    for i, f in enumerate(folds):
        k = i % 3
        test_trials = sorted(set(trial[f.test].tolist()))
        block = [s * 15 + 5 * k + j for s in range(3) for j in range(1, 6)]
        assert test_trials == block
        assert set(subject[f.test]) == set(subject[f.train]) == {str(i // 3 + 1)}
        assert len(f.train) == 60 and len(f.test) == 30
        # each 5-trial block of a session holds the five emotions once
        for s in range(3):
            assert sorted(OFFICIAL[s * 15 + 5 * k: s * 15 + 5 * k + 5]) == [0, 1, 2, 3, 4]


def test_seed_v_3fold_needs_45_trials():
    from emopipe.distill.protocols import make_folds

    with pytest.raises(ConfigError, match=re.escape(
            "protocol 'seed_v_3fold' needs the SEED-V trial ids 1-45 (15 trials x 3 sessions) "
            "for every subject, but subject '1' has 15 trials (1-15).")):
        make_folds("seed_v_3fold", np.repeat(["1"], 15), np.arange(1, 16))


def test_cli_synth_check_then_cmcrd_eye_to_eeg(tmp_path, capsys):
    from emopipe.cache import run_extract
    from emopipe.distill.data import load_cohort
    from emopipe.distill.train import DistillConfig, run_distill
    from emopipe.features.extract import ExtractConfig

    root = tmp_path / "sv"
    assert main(["synth", "--dataset", "seed_v", "--out", str(root), "--subjects", "1"]) == 0
    assert main(["check", "--dataset", "seed_v", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "seed_v at" in out and "every file present is readable" in out
    assert SEEDV.subjects(root) == ["1"]
    cache = tmp_path / "cache"
    run_extract(ExtractConfig(dataset="seed_v", window=4.0), root, cache, on_error="raise")
    cohort = load_cohort(cache, ["eye:official", "eeg:official_de"])
    res = run_distill(DistillConfig(method="cmcrd", teacher="eye:official",
                                    student="eeg:official_de", target="emotion",
                                    protocol="seed_v_3fold", epochs=1, batch_size=64,
                                    n_threads=1, max_folds=1), cohort=cohort)
    assert res.folds == ["sub-1_fold-0"]
    assert {r["model"] for r in res.metrics_fold} >= {"teacher", "student"}
    test_idx = res.predictions["sub-1_fold-0"]["test_idx"]
    trials = sorted(set(cohort.trial[test_idx].tolist()))
    assert trials == [1, 2, 3, 4, 5, 16, 17, 18, 19, 20, 31, 32, 33, 34, 35]
    assert res.predictions["sub-1_fold-0"]["student"].shape == (len(test_idx), 5)


def test_raw_sessions_come_from_the_file_name_not_the_date(tmp_path):
    raw = tmp_path / "EEG_raw"
    raw.mkdir()
    # as in Read me.txt: session 2 was recorded after session 3
    for name in ("1_1_20180804.cnt", "1_2_20180810.cnt", "1_3_20180808.cnt", "11_1_20180901.cnt",
                 "notes.txt"):
        (raw / name).write_bytes(b"")
    files = raw_files(tmp_path, "1")
    assert {k: p.name for k, p in files.items()} == {
        1: "1_1_20180804.cnt", 2: "1_2_20180810.cnt", 3: "1_3_20180808.cnt"}
    assert list(files) == [1, 2, 3]
    assert {k: p.name for k, p in raw_files(tmp_path, "11").items()} == {1: "11_1_20180901.cnt"}
    (raw / "1_2_20180811.cnt").write_bytes(b"")
    with pytest.raises(DataFileError, match=re.escape(
            "EEG_raw: subject 1 has two session-2 files, 1_2_20180810.cnt and 1_2_20180811.cnt; "
            "expected one <subject>_<session>_<YYYYMMDD>.cnt per session. Remove the copy.")):
        raw_files(tmp_path, "1")


def test_a_bad_subject_leaves_nothing_in_the_cache(tmp_path):
    from emopipe.cache import run_extract
    from emopipe.features.extract import ExtractConfig

    root = tmp_path / "sv"
    write_seed_v_synth(root, n_subjects=2, max_windows=2)
    data, label = _trials([2] * 45, 33)
    data[3] = np.zeros((1, 33))
    label[3] = np.full(1, OFFICIAL[3])
    write_member_npz(root / "Eye_movement_features" / "2_123.npz", data, label)
    summary = run_extract(ExtractConfig(dataset="seed_v", window=4.0), root, tmp_path / "c")
    assert summary["written"] == ["1"] and list(summary["failed"]) == ["2"]
    assert ("Eye_movement_features/2_123.npz holds 1 eye windows but "
            "EEG_DE_features/2_123.npz holds 2 EEG windows") in \
        summary["failed"]["2"]
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["1.h5"]
    assert main(["check", "--dataset", "seed_v", "--root", str(root)]) == 1


def test_object_array_member_and_corrupt_npz_are_named(tmp_path):
    f = tmp_path / "3_123.npz"
    np.savez(f, data=np.array([{0: 1}], dtype=object), label=np.zeros(2))
    with pytest.raises(DataFileError, match=re.escape(
            "3_123.npz['data']: cannot be read without unpickling it as an object array")):
        read_seed_v_features(f)
    g = tmp_path / "4_123.npz"
    g.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataFileError, match=r"^4_123\.npz: not a readable npz file \("):
        read_seed_v_features(g)


def test_pipeline_yaml_runs_cmcrd_on_the_synthetic_layout(tmp_path, capsys):
    import yaml

    root, cache, run = tmp_path / "sv", tmp_path / "cache", tmp_path / "run"
    write_seed_v_synth(root, n_subjects=1, max_windows=6)
    cfg = str(Path(__file__).resolve().parents[2] / "pipelines" / "cmcrd_seed_v.yaml")
    assert main(["extract", "--dataset", "seed_v", "--root", str(root), "--config", cfg,
                 "--cache", str(cache)]) == 0
    assert main(["distill", "--cache", str(cache), "--config", cfg, "--epochs", "1",
                 "--out", str(run)]) == 0
    out = capsys.readouterr().out
    assert "cmcrd / seed_v_3fold / emotion: 3 fold(s), seed 0" in out
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert (saved["teacher"], saved["student"], saved["transductive"]) == (
        "eye:official", "eeg:official_de", False)
    assert (run / "folds.csv").is_file()


@pytest.mark.parametrize("backbone", ["mlp", "eegnet_mini", "dgcnn"])
def test_cmcrd_backbones_take_the_62_x_5_official_de(synth, tmp_path, backbone):
    from emopipe.cache import run_extract
    from emopipe.distill.data import load_cohort
    from emopipe.distill.train import DistillConfig, run_distill
    from emopipe.features.extract import ExtractConfig

    run_extract(ExtractConfig(dataset="seed_v", window=4.0), synth[0], tmp_path,
                on_error="raise")
    cohort = load_cohort(tmp_path, ["eye:official", "eeg:official_de"])
    assert cohort.features["eeg:official_de"].shape == (2 * 45 * 4, 62, 5)
    res = run_distill(DistillConfig(method="cmcrd", teacher="eye:official",
                                    student="eeg:official_de", student_model=backbone,
                                    target="emotion", protocol="seed_v_3fold", epochs=1,
                                    batch_size=64, n_threads=1, max_folds=1), cohort=cohort)
    assert res.summary["student_model"] == backbone
    assert res.predictions["sub-1_fold-0"]["student"].shape == (60, 5)
