"""pipelines/cmcrd_seed_iv.yaml on the synthetic SEED-IV layout: the main run and every variant."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from emopipe.cli import main
from emopipe.io.synth.seed_iv import write_seed_iv_synth

PIPELINE = Path(__file__).resolve().parents[2] / "pipelines" / "cmcrd_seed_iv.yaml"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed_iv_pipe")
    write_seed_iv_synth(root, n_subjects=2, n_sessions=2, n_windows=(2, 2), seed=4)
    cache = tmp_path_factory.mktemp("seed_iv_pipe_cache")
    assert main(["extract", "--dataset", "seed_iv", "--root", str(root), "--config",
                 str(PIPELINE), "--cache", str(cache)]) == 0
    return cache


def test_main_run_through_the_cli(cache, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["distill", "--cache", str(cache), "--config", str(PIPELINE), "--epochs", "1",
                 "--out", str(run)]) == 0
    out = capsys.readouterr().out
    assert "cmcrd / seed_iv_16_8 / emotion: 4 fold(s), seed 0" in out
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert (saved["teacher"], saved["student"], saved["student_model"]) == (
        "eye:official", "eeg:official_de_LDS", "mlp")
    assert (saved["transductive"], saved["test_normalise"], saved["mcc_on_test"]) == (
        False, "train", False)
    assert (run / "folds.csv").is_file()


VARIANTS = yaml.safe_load(PIPELINE.read_text())["variants"]


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_variant_runs(cache, name):
    from emopipe.distill.config import DistillConfig
    from emopipe.distill.train import run_distill

    doc = yaml.safe_load(PIPELINE.read_text())
    fields = {**doc["distill"], **doc["variants"][name], "cache": str(cache), "epochs": 1,
              "max_folds": 1, "batch_size": 64, "save_checkpoints": False,
              "save_teacher_cache": False}
    if fields["method"] in ("cmcrd", "crd"):
        fields["loss_params"] = {fields["method"]: {"nce_k": 16}}
    res = run_distill(DistillConfig(**fields))
    fold = res.folds[0]
    models = {r["model"] for r in res.metrics_fold}
    want = ({"teacher"} if fields.get("teacher_only") else
            {"student"} | ({"teacher", "baseline"} if fields["method"] != "none" else set()))
    assert models == want
    test_idx = res.predictions[fold]["test_idx"]
    for role in models:
        assert np.asarray(res.predictions[fold][role]).shape == (len(test_idx), 4)
    if fields["protocol"] == "loso":
        assert fold == "sub-1"
