"""The small top-level API: lazy workflow names (emopipe/__init__.py)."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

import emopipe

WORKFLOW = {
    "ExtractConfig": "emopipe.features.extract",
    "run_extract": "emopipe.cache.pipeline",
    "read_cohort": "emopipe.cache.hdf5",
    "DistillConfig": "emopipe.distill.config",
    "load_distill_config": "emopipe.distill.config",
    "run_distill": "emopipe.distill.train",
    "load_run": "emopipe.distill.run_reader",
    "load_config": "emopipe.utils.config",
}


@pytest.mark.parametrize("name", sorted(WORKFLOW))
def test_workflow_name_is_the_subpackage_object(name):
    assert getattr(emopipe, name) is getattr(importlib.import_module(WORKFLOW[name]), name)
    assert name in emopipe.__all__ and name in dir(emopipe)


def test_import_emopipe_loads_nothing_heavy():
    code = (
        "import sys, emopipe\n"
        "heavy = [m for m in ('torch', 'mne', 'h5py', 'matplotlib', 'sklearn')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == ""


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match=r"module 'emopipe' has no attribute 'run_extrac'"):
        emopipe.run_extrac  # noqa: B018
    assert not hasattr(emopipe, "definitely_not_there")


def test_the_workflow_names_chain_end_to_end(tmp_path):
    from emopipe.io.synth import write_deap_synth

    root = tmp_path / "deap"
    write_deap_synth(root, n_subjects=3, n_trials=4, raw=False, seed=3)
    cfg = emopipe.ExtractConfig(dataset="deap", window=4.0, modalities=("eeg", "eog"))
    summary = emopipe.run_extract(cfg, root, tmp_path / "cache", n_jobs=1)
    assert summary["written"] == ["s01", "s02", "s23"]
    subjects = emopipe.read_cohort(tmp_path / "cache")
    # 4 trials x (60 s of stimulus / 4-s windows) each
    assert [s.n_windows for s in subjects] == [60, 60, 60]
    assert subjects[0].get("eeg", "de").data.shape == (60, 32, 4)  # torcheeg4 bands
    result = emopipe.run_distill(emopipe.DistillConfig(
        cache=str(tmp_path / "cache"), teacher="eeg:de+eog", student="eog", target="arousal",
        method="hinton_kd", protocol="loso", epochs=1, teacher_epochs=1,
        out=str(tmp_path / "run")))
    # leave-one-subject-out: one fold per subject, each testing that subject's 60 windows
    assert len(result.folds) == 3
    assert sorted(len(p["test_idx"]) for p in result.predictions.values()) == [60, 60, 60]
    rows = sorted(np.concatenate([p["test_idx"] for p in result.predictions.values()]))
    assert rows == list(range(180))  # every window tested exactly once
