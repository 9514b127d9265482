"""``emopipe saliency`` end to end on a tiny synthetic kd DEAP run: files, printout, bad input."""

import csv
import json
import shutil

import numpy as np
import pytest

from emopipe.analysis.saliency import read_saliency
from emopipe.analysis.saliency_run import run_saliency
from emopipe.analysis.topomap import channel_positions
from emopipe.cli import main
from emopipe.distill.data import CohortData
from emopipe.distill.train import DistillConfig, run_distill
from emopipe.io.deap import PREPROCESSED_CHANNELS


@pytest.fixture(scope="module")
def kd_run(tmp_path_factory):
    from emopipe.cache import run_extract
    from emopipe.features.extract import ExtractConfig
    from emopipe.io.synth.deap import write_deap_synth

    root = tmp_path_factory.mktemp("sal")
    write_deap_synth(root / "deap", n_subjects=2, n_trials=4, seed=4, raw=False, scenario="kd")
    run_extract(ExtractConfig(dataset="deap", window=4.0, modalities=("eeg",)), root / "deap",
                root / "cache", n_jobs=1)
    run_distill(DistillConfig(cache=str(root / "cache"), student="eeg:de", method="none",
                              target="arousal", epochs=2, batch_size=64, out=str(root / "run")))
    return root


def test_cli_saliency_writes_maps_figures_and_prints_them(kd_run, capsys):
    out = kd_run / "sal"
    assert main(["saliency", "--run", str(kd_run / "run"), "--out", str(out),
                 "--check-windows", "16"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("student, ig (32 steps); baseline: zero in the standardised input = "
                        "the fold's training mean")
    maps, prov = read_saliency(out / "saliency.h5")
    (smap,) = maps
    assert smap.key == "eeg:de" and smap.rows == list(PREPROCESSED_CHANNELS[:32])
    assert smap.cols == ["theta", "alpha", "beta", "gamma"]
    assert smap.subjects == ["s01", "s23"] and smap.per_subject.shape == (2, 2, 32, 4)
    # each subject's windows split by class: 4 trials x 15 windows of 4 s
    assert smap.n_windows.sum() == 2 * 4 * 15
    assert prov["method"] == "ig" and prov["steps"] == 32 and prov["role"] == "student"
    # the printed top cells are the largest of the CSV
    with open(out / "saliency_eeg_de_1.csv", newline="") as fid:
        table = list(csv.reader(fid))
    vals = np.array([[float(v) for v in r[1:]] for r in table[1:]])
    i = lines.index(next(ln for ln in lines if ln.startswith("eeg:de output 1 "))) + 2
    r, c = np.unravel_index(np.argmax(vals), vals.shape)
    assert lines[i].split()[:3] == ["1", table[1 + r][0], table[0][1 + c]]
    assert float(lines[i].split()[3]) == pytest.approx(vals[r, c], rel=1e-3)
    # the randomisation table: one line per layer of the MLP, top first
    j = lines.index("Randomisation check (layers re-initialised from the top, Spearman with "
                    "the trained map):")
    with open(out / "saliency_check.csv", newline="") as fid:
        check = list(csv.DictReader(fid))
    assert [ln.split()[1] for ln in lines[j + 1:j + 1 + len(check)]] == [
        c["layer"] for c in check]
    assert check[0]["layer"] == "classifier" and len(check) == 9
    assert lines[j + 1 + len(check)].startswith(("Passed: ", "WARNING: the map survives"))
    for stem in ("saliency_heatmap_eeg_de", "saliency_bands_eeg_de", "saliency_topomap_eeg_de"):
        for ext in ("png", "pdf"):
            assert (out / f"{stem}.{ext}").stat().st_size > 1000
        side = json.loads((out / f"{stem}.json").read_text())
        assert side["run"] == str(kd_run / "run") and side["method"] == "ig"
    summary = json.loads((out / "saliency_summary.json").read_text())
    assert summary["montage"] == "standard_1020"
    assert summary["channels_without_position"] == {"eeg:de": []}
    assert summary["topomaps"] == {"eeg:de": None}


def test_cli_saliency_bad_input(kd_run, tmp_path, capsys):
    run = kd_run / "run"

    def err(argv):
        assert main(["saliency", *argv, "--out", str(tmp_path / "o"), "--no-check"]) == 1
        msg = capsys.readouterr().err
        assert msg.startswith("emopipe saliency: error: ") and msg.count("\n") == 1
        return msg

    # a run folder of an older emopipe: no models/
    old = tmp_path / "old"
    shutil.copytree(run, old)
    shutil.rmtree(old / "models")
    assert ("folds ['sub-s01', 'sub-s23'] have no models/<fold>.json and .npz: the folder was "
            "written by an emopipe older than the self-describing run folder") in err(
        ["--run", str(old)])
    # a missing checkpoint
    gone = tmp_path / "gone"
    shutil.copytree(run, gone)
    (gone / "checkpoints" / "sub-s23" / "student.pt").unlink()
    msg = err(["--run", str(gone)])
    assert (f"{gone}/checkpoints/sub-s23/student.pt: the student checkpoint of fold 'sub-s23' "
            f"is missing.") in msg
    # a cache re-extracted with another config since training: both hashes named
    import h5py

    cache = tmp_path / "cache"
    shutil.copytree(kd_run / "cache", cache)
    for name in ("s01.h5", "s23.h5"):
        with h5py.File(cache / name, "r+") as f:
            f.attrs["config_hash"] = "0123456789abcdef"
    msg = err(["--run", str(run), "--cache", str(cache)])
    recorded = json.loads((run / "models" / "sub-s01.json").read_text())["data_hash"]
    assert f"the cache {cache} is not the data the run was trained on (data_hash '" in msg
    assert f"the run recorded {recorded!r}" in msg
    # no teacher in a run without one
    assert "holds no 'teacher' model (it holds ['student'])" in err(
        ["--run", str(run), "--teacher"])


def test_no_montage_draws_the_matrix_and_says_why(tmp_path, rng):
    n_sub, n_win = 2, 24
    X = rng.standard_normal((n_sub * n_win, 3, 2))
    y = np.tile([0, 1], n_sub * n_win // 2)
    X[:, 0, 1] += 2.0 * (2 * y - 1)  # the class lives in one cell
    cohort = CohortData.from_arrays(
        {"eeg:de": X}, subject=np.repeat(["s01", "s02"], n_win),
        trial=np.tile(np.repeat(np.arange(6), 4), n_sub), labels={"valence_class": y},
        dims={"eeg:de": ("window", "channel", "band")},
        meta={"eeg:de": {"ch_names": ["Cz", "X1", "Pz"], "band_names": ["beta", "gamma"]}})
    run = tmp_path / "run"
    run_distill(DistillConfig(student="eeg:de", method="none", epochs=3, batch_size=16,
                              out=str(run)), cohort=cohort)
    res = run_saliency(run, tmp_path / "o", cohort=cohort, check=False)
    assert res.topomaps == {"eeg:de": "the run was trained on an in-memory cohort (no dataset "
                                      "recorded)"}
    assert res.unpositioned == {"eeg:de": ["Cz", "X1", "Pz"]}
    assert (tmp_path / "o" / "saliency_heatmap_eeg_de.png").is_file()
    assert not (tmp_path / "o" / "saliency_topomap_eeg_de.png").exists()
    summary = json.loads((tmp_path / "o" / "saliency_summary.json").read_text())
    assert summary["topomaps"]["eeg:de"].startswith("the run was trained on an in-memory")
    # with a montage the channel it cannot place is listed, never dropped silently
    info, picks, missing = channel_positions(["FP1", "X1", "Cz", "cb1"], "standard_1020")
    assert picks.tolist() == [0, 2] and missing == ["X1", "cb1"]
    assert info.ch_names == ["FP1", "Cz"]


def test_continuous_target_has_one_output_over_every_test_window(tmp_path, rng):
    n_sub, n_win = 2, 24
    y = rng.uniform(1, 9, n_sub * n_win)
    eeg = rng.standard_normal((n_sub * n_win, 2, 2))
    eeg[:, 1, 0] += 0.5 * (y - 5)
    eog = rng.standard_normal((n_sub * n_win, 3))
    cohort = CohortData.from_arrays(
        {"eeg:de": eeg, "eog:features": eog}, subject=np.repeat(["s01", "s02"], n_win),
        trial=np.tile(np.repeat(np.arange(6), 4), n_sub),
        labels={"arousal": y, "arousal_class": (y > 5).astype(int)},
        dims={"eeg:de": ("window", "channel", "band"), "eog:features": ("window", "feature")})
    run = tmp_path / "run"
    run_distill(DistillConfig(teacher="eeg:de", student="eog:features", method="v2e",
                              target="arousal", epochs=2, batch_size=16, out=str(run)),
                cohort=cohort)
    for role, key, shape in (("teacher", "eeg:de", (2, 1, 2, 2)),
                             ("student", "eog:features", (2, 1, 3, 1))):
        res = run_saliency(run, None, cohort=cohort, role=role, check=False)
        (smap,) = res.maps
        assert smap.key == key and smap.outputs == ["arousal"]
        assert smap.per_subject.shape == shape
        assert smap.n_windows.tolist() == [[n_win], [n_win]]  # every test window


def test_seed_topomap_lists_the_channels_without_a_position(tmp_path, rng):
    from emopipe.analysis.saliency import SaliencyMap
    from emopipe.analysis.saliency_plot import draw_topomaps
    from emopipe.io.seed_v import _channels

    ch = _channels()  # SEED's 62 channels, upper case, with CB1 and CB2 (cerebellum)
    per = rng.random((2, 3, 62, 5))
    smap = SaliencyMap("eeg:de_LDS", ch, ["delta", "theta", "alpha", "beta", "gamma"],
                       ["0", "1", "2"], ["s01", "s02"], per, per, np.ones((2, 3), int))
    paths, missing, skipped = draw_topomaps(smap, "standard_1020", tmp_path / "topo", {})
    assert missing == ["CB1", "CB2"] and skipped is None
    side = json.loads((tmp_path / "topo.json").read_text())
    assert side["channels_without_position"] == ["CB1", "CB2"]
    assert side["montage"] == "standard_1020"
    assert [p.name for p in paths] == ["topo.pdf", "topo.png", "topo.json"]
