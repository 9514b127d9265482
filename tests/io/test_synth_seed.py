"""The synthetic SEED writer: both release layouts, format-faithful, planted effects recoverable."""

import json
import re

import numpy as np
import pytest
import scipy.io
from numpy.testing import assert_allclose, assert_array_equal

from emopipe.cli import main
from emopipe.io import load_pickle
from emopipe.io.synth.seed import ASYM_PAIRS, CAUDAL_PAIRS, write_seed_synth
from emopipe.utils._errors import ConfigError

# label.mat of the real download (docs/datasets.md section 2), typed here, not read from the manifest
LABELS = [1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1]
KINDS = ["de_movingAve", "de_LDS", "psd_movingAve", "psd_LDS", "dasm_movingAve", "dasm_LDS",
         "rasm_movingAve", "rasm_LDS", "asm_movingAve", "asm_LDS", "dcau_movingAve", "dcau_LDS"]
ROWS = {"de": 62, "psd": 62, "dasm": 27, "rasm": 27, "asm": 54, "dcau": 23}
CHANNELS = ("FP1 FPZ FP2 AF3 AF4 F7 F5 F3 F1 FZ F2 F4 F6 F8 FT7 FC5 FC3 FC1 FCZ FC2 FC4 FC6 FT8 T7 "
            "C5 C3 C1 CZ C2 C4 C6 T8 TP7 CP5 CP3 CP1 CPZ CP2 CP4 CP6 TP8 P7 P5 P3 P1 PZ P2 P4 P6 P8 "
            "PO7 PO5 PO3 POZ PO4 PO6 PO8 CB1 O1 OZ O2 CB2").split()


@pytest.fixture(scope="module")
def new(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed_new")
    return root, write_seed_synth(root, release="new", n_subjects=2, n_sessions=2,
                                  seconds=(6, 9), seed=1, scenario="kd", preprocessed=False)


def _vars(fname):
    return {k: v for k, v in scipy.io.loadmat(fname).items() if not k.startswith("__")}


def test_old_release_layout_names_keys_shapes_dtypes(tmp_path):
    truth = write_seed_synth(tmp_path, release="old", n_subjects=2, n_sessions=3, seconds=(1, 3),
                             seed=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ExtractedFeatures", "Preprocessed_EEG", "ground_truth.json"]
    for folder in ("Preprocessed_EEG", "ExtractedFeatures"):
        names = sorted(p.name for p in (tmp_path / folder).iterdir())
        # dates of docs/datasets.md section 2: sessions on different dates
        assert names == ["1_20131027.mat", "1_20131030.mat", "1_20131107.mat",
                         "2_20140404.mat", "2_20140413.mat", "2_20140419.mat", "label.mat",
                         "readme.txt"]
        lab = scipy.io.loadmat(tmp_path / folder / "label.mat")["label"]
        assert lab.shape == (1, 15) and lab.dtype.kind == "i"
        assert lab.ravel().tolist() == LABELS
    # two different prefixes, keys in numeric order (as the real files store them)
    for sub, prefix in (("1", "djc"), ("2", "jl")):
        date = truth["subjects"][sub]["1"]["date"]
        pre = _vars(tmp_path / "Preprocessed_EEG" / f"{sub}_{date}.mat")
        assert list(pre) == [f"{prefix}_eeg{k}" for k in range(1, 16)]
        trials = truth["subjects"][sub]["1"]["trials"]
        for k, arr in enumerate(pre.values()):
            assert arr.dtype == np.float64
            assert arr.shape == (62, 200 * trials[k]["seconds"] + 1)  # N = 200 s + 1
        feats = _vars(tmp_path / "ExtractedFeatures" / f"{sub}_{date}.mat")
        assert list(feats) == [f"{kind}{k}" for k in range(1, 16) for kind in KINDS]
        for name, arr in feats.items():
            k = int(re.search(r"(\d+)$", name).group(1))
            rows = ROWS[name.split("_")[0]]
            # (channel, window, band) with T = floor(N / 200)
            assert arr.shape == (rows, trials[k - 1]["seconds"], 5) and arr.dtype == np.float64
    # the old release has no multimodal part and no 4-s features
    assert not truth["multimodal_subjects"] and truth["release"] == "old"


def test_new_release_layout_and_multimodal_files(new):
    root, truth = new
    assert sorted(p.name for p in root.iterdir()) == ["SEED_EEG", "SEED_Multimodal",
                                                      "ground_truth.json"]
    assert sorted(p.name for p in (root / "SEED_EEG").iterdir()) == [
        "ExtractedFeatures_1s", "ExtractedFeatures_4s"]  # preprocessed=False
    mm = root / "SEED_Multimodal" / "Chinese"
    f1 = _vars(root / "SEED_EEG" / "ExtractedFeatures_1s" / "2_20140413.mat")
    f4 = _vars(root / "SEED_EEG" / "ExtractedFeatures_4s" / "2_20140413.mat")
    trials = truth["subjects"]["2"]["2"]["trials"]
    secs = [t["seconds"] for t in trials]
    assert list(f4) == list(f1)
    assert [f4[f"de_LDS{k}"].shape[1] for k in range(1, 16)] == [s // 4 for s in secs]
    with np.load(mm / "02-EEG-DE-feature" / "eeg_used_1s" / "2_2.npz", allow_pickle=False) as z:
        assert z.files == ["train_data", "test_data", "train_label", "test_label"]
        assert z["train_data"].dtype.kind == "S" and z["train_data"].shape == ()
        train = load_pickle(z["train_data"].item(), name="train_data")
        train_label, test_label = z["train_label"], z["test_label"]
    assert list(train) == ["delta", "theta", "alpha", "beta", "gamma"]
    assert train["alpha"].shape == (sum(secs[:9]), 62)
    assert_array_equal(train_label, np.repeat(LABELS[:9], secs[:9]))
    assert_array_equal(test_label, np.repeat(LABELS[9:], secs[9:]))
    # eeg_used_1s is the de_LDS of the 1-s features, (window, channel) per band
    assert_array_equal(train["gamma"][:secs[0]], f1["de_LDS1"][:, :, 4].T)
    eye_file = mm / "04-Eye-tracking-feature" / "eye_tracking_feature" / "2_2"
    blob = eye_file.read_bytes()
    assert blob[:2] == b"\x80\x02" and b"numpy.core.multiarray\n_reconstruct" in blob
    eye = load_pickle(eye_file)
    assert list(eye) == ["train_data_eye", "test_data_eye"]
    assert eye["train_data_eye"].shape == (sum(secs[:9]), 33)
    assert eye["test_data_eye"].shape == (sum(secs[9:]), 33)


def test_asymmetry_features_follow_their_documented_formulas(new):
    root, _ = new
    f = _vars(root / "SEED_EEG" / "ExtractedFeatures_1s" / "1_20131027.mat")
    left = [CHANNELS.index(a) for a, _ in ASYM_PAIRS]
    right = [CHANNELS.index(b) for _, b in ASYM_PAIRS]
    de = f["de_LDS3"]
    assert_allclose(f["dasm_LDS3"], de[left] - de[right], rtol=1e-12)
    assert_allclose(f["rasm_LDS3"], de[left] / de[right], rtol=1e-12)
    assert_array_equal(f["asm_LDS3"], np.concatenate([f["dasm_LDS3"], f["rasm_LDS3"]]))
    front = [CHANNELS.index(a) for a, _ in CAUDAL_PAIRS]
    back = [CHANNELS.index(b) for _, b in CAUDAL_PAIRS]
    assert_allclose(f["dcau_LDS3"], de[front] - de[back], rtol=1e-12)
    assert_allclose(f["psd_LDS3"], np.exp(2 * de) / (2 * np.pi * np.e), rtol=1e-12)
    assert len(set(ASYM_PAIRS)) == 27 and len(set(CAUDAL_PAIRS)) == 23


def test_planted_alpha_asymmetry_is_recovered_from_the_feature_files(new):
    root, truth = new
    right = [CHANNELS.index(c) for c in ("FP2", "AF4", "F4", "F6", "F8")]
    left = [CHANNELS.index(c) for c in ("FP1", "AF3", "F3", "F5", "F7")]
    for sub in ("1", "2"):
        for ses, info in truth["subjects"][sub].items():
            f = _vars(root / "SEED_EEG" / "ExtractedFeatures_1s" / info["file"])
            got = np.array([f[f"de_movingAve{k}"][right, :, 2].mean()
                            - f[f"de_movingAve{k}"][left, :, 2].mean() for k in range(1, 16)])
            planted = np.array([t["alpha_asym_ln_power"] for t in info["trials"]])
            # DE moves by half the ln-power shift on each side: right - left = the shift, plus
            # the subject's constant baseline difference; window noise SD 0.3 over >= 6 x 5
            # values per side leaves a residual SD of about 0.3 * sqrt(2 / 30) = 0.08
            resid = got - planted
            assert np.std(resid) < 0.2, (sub, ses, np.std(resid))
            assert np.corrcoef(got, planted)[0, 1] > 0.9


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"^seconds must be a pair \(lowest, highest\) of ints "
                       r"with 4 <= lowest <= highest \(release 'new'\), got \(2, 3\)\.$"):
        write_seed_synth(tmp_path, seconds=(2, 3))
    with pytest.raises(ValueError, match="release"):
        write_seed_synth(tmp_path, release="2015")


def test_cli_writes_either_release_and_refuses_release_elsewhere(tmp_path, capsys):
    assert main(["synth", "--dataset", "seed", "--out", str(tmp_path / "o"), "--subjects", "1",
                 "--release", "old"]) == 0
    truth = json.loads((tmp_path / "o" / "ground_truth.json").read_text())
    assert truth["release"] == "old" and (tmp_path / "o" / "Preprocessed_EEG").is_dir()
    assert main(["check", "--dataset", "seed", "--root", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "  - info: old release" in out and "every file present is readable" in out
    assert main(["datasets"]) == 0
    assert ("seed: 15 subjects x 3 session(s); modalities eeg, eye; emotion: 3 classes; 1-s "
            "windows by default\n    sources: auto, features, features_4s, preprocessed, raw\n    "
            "protocols: seed_9_6, cross_session, ") in capsys.readouterr().out
    assert main(["synth", "--dataset", "deap", "--out", str(tmp_path / "d"), "--subjects", "1",
                 "--release", "new"]) == 1
    err = capsys.readouterr().err
    assert "emopipe synth --dataset deap: --release do(es) not apply" in err
