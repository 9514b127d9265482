"""Training driver: config, determinism, run folder, resume, teacher cache, errors."""

import json

import numpy as np
import pytest
import torch
import yaml

from emopipe.distill.data import CohortData
from emopipe.distill.train import DistillConfig, config_from_cli, run_distill
from emopipe.utils.config import load_config


def _cohort(n_sub=3, n_trials=8, n_win=6, seed=0):
    rng = np.random.default_rng(seed)
    n = n_sub * n_trials * n_win
    subject = np.repeat([f"s{i + 1:02d}" for i in range(n_sub)], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(1, n_trials + 1), n_win), n_sub)
    v = np.repeat(rng.standard_normal(n_sub * n_trials), n_win)
    y = (v > 0).astype(int)
    eeg = rng.standard_normal((n, 2, 3))
    eeg[:, 0, 0] += 2 * v
    eog = rng.standard_normal((n, 4))
    eog[:, 0] += 0.5 * v
    return CohortData.from_arrays({"eeg:de": eeg, "eog:features": eog}, subject=subject,
                                  trial=trial, labels={"valence_class": y, "valence": 5 + v})


FAST = dict(teacher="eeg", student="eog", epochs=3, batch_size=32, n_threads=1)


def test_same_seed_gives_identical_metrics_and_another_seed_differs():
    c = _cohort()
    a = run_distill(DistillConfig(method="hinton_kd", seed=1, **FAST), cohort=c)
    b = run_distill(DistillConfig(method="hinton_kd", seed=1, **FAST), cohort=c)
    d = run_distill(DistillConfig(method="hinton_kd", seed=2, **FAST), cohort=c)
    assert a.metrics_fold == b.metrics_fold
    for f in a.predictions:
        for role in ("teacher", "student", "baseline"):
            assert np.array_equal(a.predictions[f][role], b.predictions[f][role])
    assert any(not np.array_equal(a.predictions[f]["student"], d.predictions[f]["student"])
               for f in a.predictions)
    # metrics are computed from the stored predictions
    row = a.metrics_fold[1]
    p = a.predictions[row["fold"]]
    y = c.labels["valence_class"][p["test_idx"]]
    assert row["model"] == "student"
    assert row["accuracy"] == pytest.approx(np.mean(p["student"].argmax(1) == y))
    assert [r["model"] for r in a.metrics_fold[:3]] == ["teacher", "student", "baseline"]


def test_run_folder_contents_and_teacher_cache_excludes_test(tmp_path):
    c = _cohort()
    out = tmp_path / "run"
    res = run_distill(DistillConfig(method="fitnet", out=str(out), **FAST), cohort=c)
    for name in ("config.yaml", "versions.json", "folds.csv", "metrics_fold.csv",
                 "metrics_subject.csv", "summary.json"):
        assert (out / name).is_file(), name
    versions = json.loads((out / "versions.json").read_text())
    assert versions["torch"] == torch.__version__ and versions["numpy"] == np.__version__
    cfg = yaml.safe_load((out / "config.yaml").read_text())
    assert cfg["method"] == "fitnet" and cfg["seed"] == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["folds"]) == {"teacher", "student", "baseline"}
    acc = [r["accuracy"] for r in res.metrics_fold if r["model"] == "student"]
    assert summary["folds"]["student"]["accuracy"]["mean"] == pytest.approx(np.mean(acc))
    assert summary["folds"]["student"]["accuracy"]["std"] == pytest.approx(np.std(acc, ddof=1))
    assert summary["paired_student_vs_baseline"]["accuracy"]["n"] == 3
    lines = (out / "metrics_subject.csv").read_text().splitlines()
    assert lines[0].startswith("subject,model,n_test,accuracy,f1_macro,balanced_accuracy")
    assert len(lines) == 1 + 3 * 3
    for fold in res.folds:
        with np.load(out / "teacher_cache" / f"{fold}.npz") as z:
            assert sorted(z.files) == ["feat_train", "feat_val", "logits_train", "logits_val",
                                       "train_idx", "val_idx"]
            test_idx = res.predictions[fold]["test_idx"]
            assert not np.isin(test_idx, np.concatenate([z["train_idx"], z["val_idx"]])).any()
            assert z["logits_train"].shape == (len(z["train_idx"]), 2)
            assert z["feat_train"].shape == (len(z["train_idx"]), 128)
        for role in ("teacher", "student", "baseline"):
            state = torch.load(out / "checkpoints" / fold / f"{role}.pt", weights_only=True)
            assert "classifier.weight" in state


def test_resume_skips_finished_folds_and_reproduces_the_rest(tmp_path):
    c = _cohort()
    out = tmp_path / "run"
    cfg = DistillConfig(method="hinton_kd", out=str(out), **FAST)
    first = run_distill(cfg, cohort=c)
    assert first.summary["n_resumed"] == 0
    again = run_distill(cfg, cohort=c)
    assert again.summary["n_resumed"] == 3
    assert again.metrics_fold == first.metrics_fold
    # an interrupted run: the last fold's predictions are missing
    (out / "predictions" / "sub-s03.npz").unlink()
    (out / "checkpoints" / "sub-s03" / "teacher.pt").unlink()
    resumed = run_distill(cfg, cohort=c)
    assert resumed.summary["n_resumed"] == 2
    assert resumed.metrics_fold == first.metrics_fold
    with pytest.raises(ValueError, match=r"config\.yaml: the run folder holds a run with another "
                                         r"config .* Use a new --out folder"):
        run_distill(DistillConfig(method="hinton_kd", out=str(out), **{**FAST, "epochs": 4}),
                    cohort=c)


def test_teacher_only_and_method_none():
    c = _cohort()
    t = run_distill(DistillConfig(method="cmcrd", teacher_only=True, **FAST), cohort=c)
    assert {r["model"] for r in t.metrics_fold} == {"teacher"}
    n = run_distill(DistillConfig(method="none", **FAST), cohort=c)
    assert {r["model"] for r in n.metrics_fold} == {"student"}
    assert n.summary["teacher_model"] is None


def test_continuous_target_v2e_reports_ccc():
    c = _cohort()
    res = run_distill(DistillConfig(method="v2e", **FAST), cohort=c)
    row = res.metrics_fold[0]
    assert set(row) == {"fold", "model", "n_test", "ccc", "pcc", "rmse"}
    p = res.predictions[row["fold"]]
    assert p["teacher"].shape == (len(p["test_idx"]), 1)


def test_v2e_face_frames_teacher_is_the_window_tcn_and_reads_the_face(rng):
    # frames_per_window = 4 grey 16 x 16 frames; a bright square whose level follows valence
    n_sub, n_trials, n_win = 3, 8, 6
    n = n_sub * n_trials * n_win
    subject = np.repeat([f"s{i + 1:02d}" for i in range(n_sub)], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(1, n_trials + 1), n_win), n_sub)
    v = np.repeat(rng.standard_normal(n_sub * n_trials), n_win)
    frames = rng.uniform(0, 40, (n, 4, 16, 16))
    frames[:, :, 4:12, 4:12] += (120 + 40 * v)[:, None, None, None]
    eeg = rng.standard_normal((n, 2, 3))
    eeg[:, 0, 0] += 0.3 * v
    c = CohortData.from_arrays(
        {"face:frames": frames.astype(np.uint8), "eeg:band_power": eeg}, subject=subject,
        trial=trial, labels={"valence": 5 + v},
        dims={"face:frames": ("window", "time", "height", "width"),
              "eeg:band_power": ("window", "channel", "band")})
    res = run_distill(DistillConfig(
        teacher="face:frames", student="eeg:band_power", method="v2e", epochs=2, teacher_epochs=15, lr=3e-3,
        batch_size=32, n_threads=1, patience=0,
        teacher_params={"embed_dim": 16, "channels": [16, 128]}), cohort=c)  # 128 = student
    assert (res.summary["teacher_model"], res.summary["student_model"]) == ("face_window_tcn",
                                                                            "mlp")
    # the face carries valence far better than the weak EEG channel
    ccc = res.summary["subjects"]
    assert ccc["teacher"]["ccc"]["mean"] > 0.5
    assert ccc["teacher"]["ccc"]["mean"] > ccc["baseline"]["ccc"]["mean"]


def test_config_yaml_and_cli_mapping(tmp_path):
    path = tmp_path / "distill.yaml"
    path.write_text("method: cmcrd\nprotocol: loso\nepochs: 5\nloss_params:\n  cmcrd:\n"
                    "    nce_k: 64\n")
    cfg = load_config(path, DistillConfig)
    assert cfg.method == "cmcrd" and cfg.epochs == 5 and cfg.loss_params == {"cmcrd": {"nce_k": 64}}
    cli = config_from_cli({"config": str(path), "cache": "c", "teacher": "eeg", "student": "eog",
                           "method": None, "seed": 3, "teacher-only": True, "device": "cpu",
                           "out": "run", "command": "distill", "verbose": 0})
    assert (cli.method, cli.seed, cli.teacher_only, cli.epochs, cli.cache) == (
        "cmcrd", 3, True, 5, "c")
    path.write_text("method: cmcrd\nepoch: 5\n")
    with pytest.raises(ValueError, match=r"distill\.yaml: unknown key 'epoch' for DistillConfig.*"
                                         r"Did you mean 'epochs'"):
        load_config(path, DistillConfig)
    with pytest.raises(ValueError, match=r"Invalid value for the 'method' parameter.*"
                                         r"Did you mean 'cmcrd'"):
        DistillConfig(method="cmcdr")
    with pytest.raises(ValueError, match=r"teacher_only=True needs a method with a teacher"):
        DistillConfig(method="none", teacher_only=True)


def test_run_from_a_cache_folder(tmp_path):
    from emopipe.cache import write_features
    from emopipe.features._base import Feature

    c = _cohort()
    for s in np.unique(c.subject):
        sel = c.subject == s
        n = int(sel.sum())
        write_features(
            tmp_path / "cache" / f"{s}.h5", dataset="deap", subject=str(s),
            windows={"trial": c.trial[sel], "onset": c.onset[sel], "duration": np.ones(n)},
            labels={k: v[sel] for k, v in c.labels.items()},
            modalities={"eeg": {"de": Feature(c.features["eeg:de"][sel],
                                              ("window", "channel", "band"), {"unit": "nat"})},
                        "eog": {"features": Feature(c.features["eog:features"][sel],
                                                    ("window", "feature"), {"unit": "a.u."})}},
            config={}, config_hash="h")
    cfg = dict(FAST, method="hinton_kd", seed=1)
    from_cache = run_distill(DistillConfig(cache=str(tmp_path / "cache"), **cfg))
    in_memory = run_distill(DistillConfig(**cfg), cohort=c)
    assert from_cache.metrics_fold == in_memory.metrics_fold


def test_pipeline_configs_load():
    from pathlib import Path

    from emopipe.distill import load_distill_config

    paths = sorted((Path(__file__).parents[2] / "pipelines").glob("distill_*.yaml"))
    assert len(paths) >= 4
    methods = {load_distill_config(p).method for p in paths}
    assert {"cmcrd", "hinton_kd", "ekd", "bs25", "v2e"} <= methods


def test_errors_before_training():
    c = _cohort()
    with pytest.raises(ValueError, match=r"protocol 'cross_session' needs recording sessions"):
        run_distill(DistillConfig(method="none", protocol="cross_session", **FAST), cohort=c)
    with pytest.raises(KeyError, match=r"Input 'gsr:features' \(from spec 'gsr'\) is not loaded"):
        run_distill(DistillConfig(method="none", **{**FAST, "student": "gsr"}), cohort=c)
    with pytest.raises(KeyError, match=r"Target 'arousal' needs label 'arousal_class'"):
        run_distill(DistillConfig(method="none", target="arousal", **FAST), cohort=c)
