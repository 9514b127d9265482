"""SEED: both release layouts through the reader, the cache, the protocol and the bad-input errors."""

import json
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io
from numpy.testing import assert_array_equal

from emopipe.cache import read_features, run_extract
from emopipe.cli import main
from emopipe.distill.protocols import make_folds
from emopipe.features.extract import ExtractConfig
from emopipe.io import (
    DATASETS,
    SEED,
    read_seed_features,
    read_seed_label,
    read_seed_multimodal_eye,
    read_seed_preprocessed,
)
from emopipe.io._pickle import PickleFileError
from emopipe.io.synth.seed import write_eye_pickle, write_multimodal_npz, write_seed_synth
from emopipe.utils._errors import DataFileError

LABELS = [1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1]  # label.mat, docs/datasets.md s. 2
OFFICIAL = ["official_" + k for k in (
    "de_movingAve", "de_LDS", "psd_movingAve", "psd_LDS", "dasm_movingAve", "dasm_LDS",
    "rasm_movingAve", "rasm_LDS", "asm_movingAve", "asm_LDS", "dcau_movingAve", "dcau_LDS")]
EYE_DIR = Path("SEED_Multimodal/Chinese/04-Eye-tracking-feature/eye_tracking_feature")
NPZ_DIR = Path("SEED_Multimodal/Chinese/02-EEG-DE-feature/eeg_used_1s")


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    out = {}
    for release in ("old", "new"):
        root = tmp_path_factory.mktemp(f"seed_{release}")
        # Preprocessed_EEG of the current release only (the slow part to write)
        out[release] = (root, write_seed_synth(root, release=release, n_subjects=2,
                                               n_sessions=2, seconds=(4, 6), seed=2,
                                               preprocessed=release == "new"))
    return out


def _copy(roots, release, tmp_path):
    dst = tmp_path / release
    shutil.copytree(roots[release][0], dst)
    return dst, roots[release][1]


def _seconds(truth, sub):
    return [t["seconds"] for ses in truth["subjects"][sub].values() for t in ses["trials"]]


def test_registered_with_its_facts():
    ds = DATASETS.get("seed")
    assert ds is SEED
    assert (ds.sfreq, ds.label_names, ds.label_scale, ds.default_threshold) == (
        200.0, ("emotion",), None, None)
    assert ds.default_modalities == ("eeg", "eye") and ds.default_window == 1.0
    # -1/0/1 are classes as given, never thresholded
    assert_array_equal(ds.label_classes(np.array([-1.0, 1.0, 0.0])), [-1, 1, 0])
    facts = ds.describe()
    assert (facts["subjects"], facts["sessions"], facts["labels"]) == (15, 3, "emotion: 3 classes")
    assert ExtractConfig(dataset="seed").window == 1.0


@pytest.mark.parametrize("release", ["old", "new"])
def test_extract_fills_the_cache_and_labels_come_back_exactly(roots, tmp_path, release):
    root, truth = roots[release]
    summary = run_extract(ExtractConfig(dataset="seed"), root, tmp_path, on_error="raise")
    assert summary["written"] == ["1", "2"]
    for sub in ("1", "2"):
        c = read_features(tmp_path / f"{sub}.h5")
        secs = _seconds(truth, sub)
        n = sum(secs)
        assert sorted(c.modalities["eeg"]) == sorted(OFFICIAL)
        de = c.get("eeg", "official_de_LDS")
        assert de.data.shape == (n, 62, 5) and de.dims == ("window", "channel", "band")
        assert de.attrs["band_names"] == ["delta", "theta", "alpha", "beta", "gamma"]
        assert de.attrs["ch_names"][57] == "CB1"
        assert c.get("eeg", "official_dasm_LDS").data.shape == (n, 27, 5)
        assert c.get("eeg", "official_asm_movingAve").data.shape == (n, 54, 5)
        assert c.get("eeg", "official_dcau_LDS").data.shape == (n, 23, 5)
        planted = [t["emotion"] for ses in truth["subjects"][sub].values() for t in ses["trials"]]
        assert planted == LABELS * 2
        assert_array_equal(c.labels["emotion_class"], np.repeat(planted, secs))
        ids = [t["trial_id"] for ses in truth["subjects"][sub].values() for t in ses["trials"]]
        assert ids == list(range(1, 31))
        assert_array_equal(c.windows["trial"], np.repeat(ids, secs))
        assert_array_equal(c.windows["session"], np.repeat([1] * 15 + [2] * 15, secs))
        assert_array_equal(c.windows["onset"], np.concatenate([np.arange(s) for s in secs]))
        if release == "new":
            eye = c.get("eye", "official")
            assert eye.data.shape == (n, 33) and eye.dims == ("window", "feature")
        else:
            assert "eye" not in c.modalities
            assert c.missing["eye"].startswith("the older SEED release has no eye data")


def test_official_features_and_eye_pass_through_unchanged(roots):
    root, truth = roots["new"]
    f = root / "SEED_EEG" / "ExtractedFeatures_1s" / "2_20140413.mat"  # subject 2, session 2
    raw = scipy.io.loadmat(f)
    rec = SEED.read_subject(root, "2")
    feat = rec.precomputed["eeg"]["official_rasm_LDS"].trials
    assert_array_equal(feat[15 + 6], raw["rasm_LDS7"].transpose(1, 0, 2))
    rows, n_train = read_seed_multimodal_eye(root / EYE_DIR / "2_2")
    secs = [t["seconds"] for t in truth["subjects"]["2"]["2"]["trials"]]
    assert n_train == sum(secs[:9])
    cut = rec.precomputed["eye"]["official"].trials[15:]
    assert_array_equal(np.concatenate(cut), rows)
    assert [len(t) for t in cut] == secs
    assert rec.info["dates"] == {1: "20140404", 2: "20140413"}


def test_preprocessed_source_reads_volts_and_aligns_with_the_official_windows(roots, tmp_path):
    root, truth = roots["new"]
    f = root / "SEED_EEG" / "Preprocessed_EEG" / "1_20131030.mat"
    raw = scipy.io.loadmat(f)["djc_eeg4"]
    trials, prefix = read_seed_preprocessed(f)
    assert prefix == "djc" and read_seed_preprocessed(
        root / "SEED_EEG" / "Preprocessed_EEG" / "2_20140404.mat")[1] == "jl"
    assert_array_equal(trials[3], raw * 1e-6)
    assert raw.shape[1] == 200 * truth["subjects"]["1"]["2"]["trials"][3]["seconds"] + 1
    cfg = ExtractConfig(dataset="seed", source="preprocessed", bands="seed5", subjects=["1"])
    run_extract(cfg, root, tmp_path / "pre", on_error="raise")
    run_extract(ExtractConfig(dataset="seed", subjects=["1"]), root, tmp_path / "off",
                on_error="raise")
    own, off = read_features(tmp_path / "pre" / "1.h5"), read_features(tmp_path / "off" / "1.h5")
    # emopipe's own DE on the official 1-s windows: the same window index, window for window
    for key in ("trial", "onset", "session", "duration"):
        assert_array_equal(own.windows[key], off.windows[key])
    assert own.get("eeg", "de").data.shape == off.get("eeg", "official_de_LDS").data.shape
    assert_array_equal(own.get("eye", "official").data, off.get("eye", "official").data)


def test_trials_by_number_not_position_and_sessions_by_date_rank(roots, tmp_path):
    root, truth = _copy(roots, "new", tmp_path)
    pre = root / "SEED_EEG" / "Preprocessed_EEG"
    f = pre / "1_20131027.mat"
    mat = {k: v for k, v in scipy.io.loadmat(f).items() if not k.startswith("__")}
    scipy.io.savemat(f, dict(reversed(list(mat.items()))))  # keys in reverse file order
    trials, _ = read_seed_preprocessed(f)
    assert_array_equal(trials[0], mat["djc_eeg1"] * 1e-6)
    # session 1 of subject 2 absent: the manifest's dates keep session 2 numbered 2
    (pre / "2_20140404.mat").unlink()
    rec = SEED.read_subject(root, "2", source="preprocessed")
    assert_array_equal(np.unique(rec.sessions), [2])
    assert_array_equal(rec.trial_ids, np.arange(16, 31))
    # dates the manifest does not list: the session is the rank of the date
    (pre / "1_20131027.mat").rename(pre / "1_20200105.mat")
    (pre / "1_20131030.mat").rename(pre / "1_20200101.mat")
    rec = SEED.read_subject(root, "1", source="preprocessed", modalities=["eeg"])
    assert rec.info["dates"] == {1: "20200101", 2: "20200105"}
    first_of_session2 = rec.modalities["eeg"].data[15]
    assert_array_equal(first_of_session2, mat["djc_eeg1"] * 1e-6)  # 20200105 is the later date


def test_the_folder_above_seed_is_pointed_at_its_seed_folder(roots, tmp_path, capsys):
    shutil.copytree(roots["old"][0], tmp_path / "SEED")
    hint = f"{str(tmp_path / 'SEED')!r} holds a SEED download: pass that folder as the root."
    with pytest.raises(FileNotFoundError, match=re.escape(
            f"No SEED download under {str(tmp_path)!r}: expected Preprocessed_EEG/ and "
            f"ExtractedFeatures/ (older release) or SEED_EEG/ (current release). {hint}")):
        SEED.read_subject(tmp_path, "1")
    assert main(["check", "--dataset", "seed", "--root", str(tmp_path)]) == 1
    assert hint in capsys.readouterr().out
    assert SEED.subjects(tmp_path / "SEED") == ["1", "2"]


def test_empty_raw_cnt_files_are_read_and_named(roots, tmp_path):
    root, _ = _copy(roots, "new", tmp_path)
    raw = root / "SEED_EEG" / "SEED_RAW_EEG"
    raw.mkdir()
    for name in ("1_1.cnt", "1_2.cnt", "notes.txt"):
        (raw / name).write_bytes(b"")  # empty: reading one fails
    lines = SEED.check(root)
    assert ("info: SEED_RAW_EEG/ holds 2 raw .cnt file(s); 0 read (none), trials cut by the "
            "documented windows") in lines
    assert [line for line in lines if not line.startswith("info: ")] == [
        f"subject {s}: {folder} has no file for session(s) [3]"
        for s in ("1", "2") for folder in ("Preprocessed_EEG", "ExtractedFeatures_1s",
                                           "ExtractedFeatures_4s")] + [
        "subject 1: SEED_RAW_EEG has no recording for session(s) [3]",
        "subject 1: 1_1.cnt: 0 bytes, shorter than the 900-byte Neuroscan CNT header. The file "
        "is truncated or not a CNT file; re-download it."]


def test_a_mat_whose_keys_match_no_pattern_lists_them(tmp_path):
    f = tmp_path / "3_20140603.mat"
    scipy.io.savemat(f, {"eeg_trial1": np.zeros((62, 10)), "notes": np.zeros(2)})
    with pytest.raises(DataFileError, match=re.escape(
            f"{tmp_path.name}/3_20140603.mat: no variable matches the SEED preprocessed EEG "
            f"names (<prefix>_eeg1 ... _eeg15); found ['eeg_trial1', 'notes']. Is this a SEED "
            f"preprocessed EEG file (or a SEED-IV or SEED-V file in a SEED folder)?")):
        read_seed_preprocessed(f)
    with pytest.raises(DataFileError, match=re.escape(
            "no variable matches the SEED extracted feature names (de_movingAve<k>, de_LDS<k>, "
            "psd_movingAve<k>, ..., dcau_LDS<k>); found ['eeg_trial1', 'notes'].")):
        read_seed_features(f)


def test_fourteen_trials_and_stimulation_coded_labels_are_named(tmp_path):
    f = tmp_path / "1_20131027.mat"
    scipy.io.savemat(f, {f"jl_eeg{k}": np.zeros((62, 201)) for k in range(1, 15)})
    with pytest.raises(DataFileError, match=re.escape(
            "1_20131027.mat: holds 14 trials, expected 15 (a SEED session has 15 clips, trials "
            "1-15); absent trial(s) [15]. The file is incomplete; re-download it.")):
        read_seed_preprocessed(f)
    g = tmp_path / "label.mat"
    scipy.io.savemat(g, {"label": np.array([[2, 1, 0, 0, 1, 2, 0, 1, 2, 2, 1, 0, 1, 2, 0]])})
    with pytest.raises(DataFileError, match=re.escape(
            "label.mat: variable 'label' holds the values [0, 1, 2], expected the classes -1 "
            "(negative), 0 (neutral), 1 (positive). These look like SEED_stimulation.xlsx's "
            "2/1/0 coding; label.mat codes the clips 1/0/-1.")):
        read_seed_label(g)
    scipy.io.savemat(g, {"label": np.array([LABELS])})
    assert read_seed_label(g).tolist() == LABELS


def test_a_download_mixing_the_two_releases_is_named(roots, tmp_path, capsys):
    root, _ = _copy(roots, "new", tmp_path)
    shutil.copytree(roots["old"][0] / "ExtractedFeatures", root / "ExtractedFeatures")
    msg = (f"SEED root {str(root)!r} mixes the two SEED releases: found 'ExtractedFeatures/' "
           f"(older release: Preprocessed_EEG/ and ExtractedFeatures/ at the top) and "
           f"'SEED_EEG/', 'SEED_Multimodal/' (current release: SEED_EEG/ with "
           f"ExtractedFeatures_1s/_4s, and SEED_Multimodal/). Keep one release per folder "
           f"(docs/datasets.md section 2).")
    with pytest.raises(DataFileError, match=re.escape(msg)):
        SEED.read_subject(root, "1")
    assert main(["check", "--dataset", "seed", "--root", str(root)]) == 1
    assert msg in capsys.readouterr().out
    assert main(["extract", "--dataset", "seed", "--root", str(root), "--cache",
                 str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err
    assert "mixes the two SEED releases" in err and "Traceback" not in err


def test_eye_window_count_differing_from_the_eeg_is_named_and_leaves_nothing(roots, tmp_path,
                                                                              capsys):
    root, truth = _copy(roots, "new", tmp_path)
    secs = [t["seconds"] for t in truth["subjects"]["2"]["1"]["trials"]]
    eye = np.zeros((sum(secs[:9]) - 1, 33))
    write_eye_pickle(root / EYE_DIR / "2_1", eye, np.zeros((sum(secs[9:]), 33)))
    n1, n2 = sum(secs[:9]), sum(secs[9:])
    msg = (f"SEED subject 2 session 1: {EYE_DIR.name}/2_1 holds {n1 - 1 + n2} windows "
           f"({n1 - 1} for clips 1-9, {n2} for clips 10-15) but ExtractedFeatures_1s/"
           f"2_20140404.mat (de_LDS<k>) holds {n1 + n2} 1-s windows ({n1} + {n2}); the eye "
           f"features and the EEG of a trial share its windows.")
    with pytest.raises(DataFileError, match=re.escape(msg)):
        SEED.read_subject(root, "2")
    summary = run_extract(ExtractConfig(dataset="seed"), root, tmp_path / "c")
    assert summary["written"] == ["1"] and list(summary["failed"]) == ["2"]
    assert msg in summary["failed"]["2"]
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["1.h5"]
    assert main(["check", "--dataset", "seed", "--root", str(root)]) == 1
    assert msg in capsys.readouterr().out


def test_multimodal_labels_out_of_line_with_label_mat_are_named(roots, tmp_path):
    root, truth = _copy(roots, "new", tmp_path)
    secs = [t["seconds"] for t in truth["subjects"]["1"]["2"]["trials"]]
    n1, n2 = sum(secs[:9]), sum(secs[9:])
    bands = ("delta", "theta", "alpha", "beta", "gamma")
    lab = np.repeat(LABELS[:9], secs[:9])
    lab[0] = -1  # clip 1 is positive in label.mat
    write_multimodal_npz(root / NPZ_DIR / "1_2.npz", {b: np.zeros((n1, 62)) for b in bands},
                         {b: np.zeros((n2, 62)) for b in bands}, lab,
                         np.repeat(LABELS[9:], secs[9:]))
    with pytest.raises(DataFileError, match=re.escape(
            "SEED subject 1 session 2: eeg_used_1s/1_2.npz labels the windows of clip 1 [-1, 1], "
            "but label.mat gives clip 1 the class 1; the multimodal files do not line up with "
            "the EEG's windows.")):
        SEED.read_subject(root, "1")


def test_eye_pickle_carrying_code_is_refused_and_runs_nothing(roots, tmp_path):
    root, _ = _copy(roots, "new", tmp_path)
    marker = tmp_path / "pwned"

    class Marker:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (root / EYE_DIR / "1_1").write_bytes(pickle.dumps(
        {"train_data_eye": Marker(), "test_data_eye": np.zeros((2, 33))}, protocol=2))
    with pytest.raises(PickleFileError, match=r"^eye_tracking_feature/1_1: refused to load global "):
        SEED.read_subject(root, "1")
    assert not marker.exists()


def test_object_array_npz_member_is_refused(roots, tmp_path):
    root, _ = _copy(roots, "new", tmp_path)
    np.savez(root / NPZ_DIR / "1_1.npz", train_data=np.array([{"delta": 1}], dtype=object),
             test_data=np.zeros(1), train_label=np.zeros(1), test_label=np.zeros(1))
    with pytest.raises(DataFileError, match=re.escape(
            "eeg_used_1s/1_1.npz['train_data']: cannot be read without unpickling it as an "
            "object array")):
        SEED.read_subject(root, "1")


def test_seed_9_6_splits_each_session_first_nine_last_six(roots, tmp_path):
    root, _ = roots["new"]
    run_extract(ExtractConfig(dataset="seed"), root, tmp_path, on_error="raise")
    c = read_features(tmp_path / "1.h5")
    trial, session = c.windows["trial"], c.windows["session"]
    folds = make_folds("seed_9_6", np.full(len(trial), "1"), trial, session=session,
                       labels=c.labels["emotion_class"], val_fraction=0.0)
    assert [f.name for f in folds] == ["sub-1_ses-1", "sub-1_ses-2"]
    for fold, ses in zip(folds, (1, 2)):
        train, test = fold.train, fold.test
        base = 15 * (ses - 1)
        assert sorted(set(trial[train].tolist())) == list(range(base + 1, base + 10))
        assert sorted(set(trial[test].tolist())) == list(range(base + 10, base + 16))


def test_pipeline_yaml_runs_cmcrd_eye_to_eeg_on_the_synthetic_layout(tmp_path, capsys):
    import yaml

    root, cache, run = tmp_path / "s", tmp_path / "cache", tmp_path / "run"
    write_seed_synth(root, release="new", n_subjects=1, n_sessions=1, seconds=(4, 5),
                     preprocessed=False)
    cfg = str(Path(__file__).resolve().parents[2] / "pipelines" / "cmcrd_seed.yaml")
    assert main(["extract", "--dataset", "seed", "--root", str(root), "--config", cfg,
                 "--cache", str(cache)]) == 0
    assert main(["distill", "--cache", str(cache), "--config", cfg, "--epochs", "1",
                 "--out", str(run)]) == 0
    out = capsys.readouterr().out
    assert "cmcrd / seed_9_6 / emotion: 1 fold(s), seed 0" in out
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert (saved["teacher"], saved["student"], saved["transductive"]) == (
        "eye:official", "eeg:official_de_LDS", False)
    folds = (run / "folds.csv").read_text()
    assert "sub-1_ses-1" in folds
    summary = json.loads((run / "summary.json").read_text())
    assert summary["protocol"] == "seed_9_6"
