"""``emopipe saliency`` and ``emopipe tsne`` end to end on the kinds of run ``emopipe distill``
makes from a cache: a raw-window model (cnn1d on raw EEG windows, classes) and a continuous
target (V2E, feature models); exact shapes, names, files, IG completeness per window."""

import csv
import json

import numpy as np
import pytest
import torch

from emopipe.analysis.saliency import read_saliency
from emopipe.cli import main
from emopipe.distill.train import DistillConfig, run_distill
from emopipe.io.deap import PREPROCESSED_CHANNELS

N_SUB, N_TRIALS, N_WIN = 2, 4, 15  # 60-s DEAP trials in 4-s windows


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from emopipe.cache import run_extract
    from emopipe.features.extract import ExtractConfig
    from emopipe.io.synth.deap import write_deap_synth

    root = tmp_path_factory.mktemp("kinds")
    write_deap_synth(root / "deap", n_subjects=N_SUB, n_trials=N_TRIALS, seed=5, raw=False,
                     scenario="kd")
    run_extract(ExtractConfig(dataset="deap", window=4.0, modalities=("eeg", "eog"),
                              eeg_features=("raw", "de")), root / "deap", root / "cache")
    common = {"cache": str(root / "cache"), "epochs": 1, "batch_size": 64, "target": "arousal"}
    run_distill(DistillConfig(teacher="eeg:de", student="eeg:raw", student_model="cnn1d",
                              method="hinton_kd", max_folds=1, out=str(root / "raw"), **common))
    run_distill(DistillConfig(teacher="eeg:de", student="eog", teacher_model="mlp",
                              method="v2e", out=str(root / "cont"), **common))
    return root


def _ig_is_complete(run_dir, role, key, steps=32, n=None):
    """Per test window of the first fold (``n`` of them), the cells add up to f(x) - f(0)."""
    from emopipe.analysis.saliency import attribution_matrix
    from emopipe.analysis.saliency_attr import _forward_of, attribute
    from emopipe.analysis.saliency_run import _FoldInputs
    from emopipe.distill.run_reader import load_run

    run = load_run(run_dir)
    fold = run.folds[0]
    picks = None if n is None else np.arange(n)
    fin = _FoldInputs(fold, role, run.cohort(), picks=picks)
    assert fin.keys == [key]
    model = fold.model(role)
    (attr,) = attribute(model, fin.arrays, fin.group, shapes=fin.plan.shapes, split=fin.split,
                        steps=steps)
    mat = attribution_matrix(attr, fold.inputs[key]["dims"], split=fin.split[0] is not None)
    (X,) = fin.arrays
    fwd = _forward_of(model, fin.plan.shapes, [False])
    with torch.no_grad():
        out = fwd(torch.as_tensor(X, dtype=torch.float32)).numpy()
        base = fwd(torch.zeros((1,) + X.shape[1:])).numpy()
    diff = out[np.arange(len(X)), fin.group] - base[0, fin.group]
    got = mat.reshape(len(X), -1).sum(1)
    np.testing.assert_allclose(got, diff, atol=0.02 * max(1.0, float(np.abs(diff).max())))
    return mat


def test_saliency_on_a_raw_window_cnn1d_run(runs, capsys):
    out = runs / "sal_raw"
    assert main(["saliency", "--run", str(runs / "raw"), "--out", str(out),
                 "--check-windows", "4", "--steps", "8"]) == 0
    text = capsys.readouterr().out
    (smap,), prov = read_saliency(out / "saliency.h5")
    # raw windows split into the DE bands of the run plus the remainder, summed over time
    assert smap.key == "eeg:raw" and smap.rows == list(PREPROCESSED_CHANNELS[:32])
    assert smap.cols == ["theta", "alpha", "beta", "gamma", "rest"]
    # one LOSO fold (max_folds=1): its test subject's windows
    assert smap.outputs == ["0", "1"] and smap.per_subject.shape == (1, 2, 32, 5)
    assert int(smap.n_windows.sum()) == N_TRIALS * N_WIN
    assert list(prov["raw_band_split"]["eeg:raw"]) == ["theta", "alpha", "beta", "gamma"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["saliency.h5", "saliency_check.csv", "saliency_summary.json",
         "saliency_eeg_raw_0.csv", "saliency_eeg_raw_1.csv"]
        + [f"saliency_{kind}_eeg_raw.{ext}" for kind in ("heatmap", "bands", "topomap")
           for ext in ("pdf", "png", "json")])
    with open(out / "saliency_eeg_raw_1.csv", newline="") as fid:
        table = list(csv.reader(fid))
    assert table[0] == ["channel", "theta", "alpha", "beta", "gamma", "rest"]
    assert [r[0] for r in table[1:]] == smap.rows
    np.testing.assert_allclose([[float(v) for v in r[1:]] for r in table[1:]], smap.mean[1])
    assert "eeg:raw output 1 (1 subjects, " in text
    mat = _ig_is_complete(runs / "raw", "student", "eeg:raw", steps=32, n=12)
    assert mat.shape == (12, 32, 5)


def test_saliency_on_a_continuous_target_run(runs, capsys):
    out = runs / "sal_cont"
    assert main(["saliency", "--run", str(runs / "cont"), "--out", str(out),
                 "--check-windows", "8"]) == 0
    capsys.readouterr()
    (smap,), prov = read_saliency(out / "saliency.h5")
    assert smap.key == "eog:features" and smap.outputs == ["arousal"]  # one output
    assert smap.cols == ["all"] and smap.row_label == "feature"
    # the EOG vector's columns are named after their features (per channel and band)
    assert smap.rows[:3] == ["band_power_vEOG_delta", "band_power_vEOG_theta",
                             "band_power_vEOG_alpha"]
    assert "blink_count" in smap.rows and "saccade_count" in smap.rows
    assert int(smap.n_windows.sum()) == N_SUB * N_TRIALS * N_WIN  # every test window
    assert prov["target_kind"] == "continuous"
    summary = json.loads((out / "saliency_summary.json").read_text())
    assert summary["topomaps"] == {"eog:features": "eog:features has no channel axis (its rows "
                                                   "are features)"}
    _ig_is_complete(runs / "cont", "student", "eog:features")
    # the teacher of the same run: DE channels x bands
    assert main(["saliency", "--run", str(runs / "cont"), "--out", str(runs / "sal_t"),
                 "--teacher", "--no-check"]) == 0
    (tmap,), _ = read_saliency(runs / "sal_t" / "saliency.h5")
    assert tmap.key == "eeg:de" and tmap.per_subject.shape == (N_SUB, 1, 32, 4)
    assert not (runs / "sal_t" / "saliency_check.csv").exists()


@pytest.mark.parametrize("kind", ["raw", "cont"])
def test_tsne_on_raw_window_and_continuous_runs(runs, kind, capsys):
    n_sub = 1 if kind == "raw" else N_SUB  # the raw run has one LOSO fold
    out = runs / f"tsne_{kind}"
    assert main(["tsne", "--run", str(runs / kind), "--out", str(out), "--perplexity", "10"]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["tsne_scores.csv", "tsne.npz"] + [f"tsne_{s}.{ext}" for s in ("subject", "pooled")
                                          for ext in ("pdf", "png", "json")])
    with open(out / "tsne_scores.csv", newline="") as fid:
        rows = [r for r in csv.DictReader(fid) if r["group"] != "mean"]
    subjects = sorted({r["group"] for r in rows if r["scope"] == "subject"})
    assert len(subjects) == n_sub
    want = [(role, "subject", s) for s in subjects for role in ("teacher", "baseline",
                                                                 "student")]
    got = [(r["role"], r["scope"], r["group"]) for r in rows if r["scope"] == "subject"]
    assert sorted(got) == sorted(want)
    for r in rows:
        assert int(r["n_windows"]) == (N_TRIALS * N_WIN if r["scope"] == "subject"
                                       else n_sub * N_TRIALS * N_WIN)
    with np.load(out / "tsne.npz") as z:
        for role in ("teacher", "baseline", "student"):
            for scope, group, n in [("subject", g, N_TRIALS * N_WIN) for g in subjects] + [
                    ("pooled", "all", n_sub * N_TRIALS * N_WIN)]:
                assert z[f"{role}__{scope}__{group}__embedding"].shape == (n, 2)
                lab = z[f"{role}__{scope}__{group}__label"]
                assert lab.shape == (n,)
                # classes for the raw (classification) run; target tertiles for the other
                assert set(np.unique(lab).tolist()) <= ({0, 1} if kind == "raw" else {0, 1, 2})
