"""The MAHNOB-HCI pipelines: V2E (face teacher -> EEG student, continuous valence, LOSO) runs
on a tiny synthetic cohort; the EKD pipeline's config is valid for MAHNOB."""

from pathlib import Path

import numpy as np
import pytest

from emopipe.io.synth.mahnob import write_mahnob_synth

ROOT = Path(__file__).resolve().parents[2]
V2E, EKD = ROOT / "pipelines" / "v2e_mahnob.yaml", ROOT / "pipelines" / "ekd_mahnob.yaml"


def _extract_config(path, **override):
    from emopipe.features.extract import ExtractConfig
    from emopipe.utils.config import read_config_section

    fields = read_config_section(path, "extract")
    fields.update(override)
    return ExtractConfig(dataset="mahnob", **fields)


def test_pipeline_configs_load_with_their_fields():
    from emopipe.distill.config import load_distill_config

    v2e = load_distill_config(V2E)
    assert (v2e.teacher, v2e.student, v2e.method, v2e.protocol, v2e.target) == (
        "face:frames", "eeg:band_power@13", "v2e", "loso", "valence_continuous")
    assert v2e.student_model == "tcn_window_regressor"
    assert v2e.compare_baseline
    ekd = load_distill_config(EKD)
    assert (ekd.teacher, ekd.student, ekd.method) == ("eeg:raw+gsr:raw", "gsr:raw", "ekd")
    ex = _extract_config(EKD)
    assert (ex.sfreq, ex.window, ex.modalities) == (128.0, 4.0, ("eeg", "gsr"))
    ex = _extract_config(V2E)
    assert (ex.window, ex.step, ex.bands, ex.modalities) == (1.0, 0.25, "v2e6", ("eeg", "face"))


def test_v2e_face_teacher_to_eeg_student_continuous_valence_loso(tmp_path):
    import json

    from emopipe.cache import read_cohort, run_extract

    root, cache, run = tmp_path / "m", tmp_path / "c", tmp_path / "run"
    write_mahnob_synth(root, n_subjects=3, n_trials=2, seed=2, stimulus=(6.0, 7.0), face=True,
                       face_fps=8.0)
    # the pipeline's extract section; 2-s windows on the 8-fps test videos (4 frames each)
    config = _extract_config(V2E, step=None, window=2.0, modality_params={
        "face": {"frames_per_window": 4, "size": 32}})
    summary = run_extract(config, root, cache, on_error="raise")
    assert summary["written"] == ["1", "2", "3"]
    cohort = read_cohort(cache)
    for sub in cohort:
        assert sub.get("face", "frames").data.shape[1:] == (4, 32, 32)
        assert sub.get("eeg", "band_power").data.shape[1:] == (32, 6)
        # the face is pasted in every stimulus frame; the Haar detector misses a few
        assert sub.get("face", "face_found").data.mean() > 0.9
        assert np.all(np.isfinite(sub.labels["valence_continuous"]))
    from dataclasses import replace

    from emopipe.distill.config import load_distill_config
    from emopipe.distill.train import run_distill

    config = replace(load_distill_config(V2E), cache=str(cache), out=str(run), epochs=1,
                     teacher_epochs=1, batch_size=16)
    res = run_distill(config)
    assert res.summary["teacher_model"] == "face_window_tcn"
    # the V2E student: the TCN over 13 band-power steps per window, read at the last step
    assert res.summary["student_model"] == "tcn_window_regressor"
    assert res.summary["student_inputs"] == ["eeg:band_power@13"]
    record = json.loads((run / "models" / "sub-1.json").read_text())
    seq = [i for i in record["inputs"] if i["key"] == "eeg:band_power@13"][0]
    assert seq["shape"] == [13, 32, 6]
    assert seq["dims"] == ["window", "step", "channel", "band"]
    assert record["models"]["student"]["kwargs"]["n_channels"] == 32
    assert record["models"]["student"]["kwargs"]["n_features"] == 6
    from emopipe.distill.run_reader import load_run

    fold = load_run(run).fold("sub-1")  # reloads from the cache, sequences rebuilt
    data = load_run(run).cohort()
    np.testing.assert_array_equal(
        fold.predict("student", {"eeg:band_power@13":
                                 data.features["eeg:band_power@13"][fold.test_idx]},
                     subject=data.subject[fold.test_idx]),
        res.predictions["sub-1"]["student"])
    assert (res.summary["method"], res.summary["protocol"], res.summary["target"]) == (
        "v2e", "loso", "valence_continuous")
    assert {"teacher", "student", "baseline"} <= set(res.summary["folds"])
    assert res.summary["paired_unit"] == "subject"  # the paired test over subjects
    assert res.summary["paired_student_vs_baseline"]["ccc"]["n"] == 3
    folds = json.loads((run / "summary.json").read_text())
    assert folds["folds"]["student"]["ccc"]["n"] == 3  # one LOSO fold per subject


def test_ekd_eeg_gsr_teacher_to_gsr_student_loso(tmp_path):
    from dataclasses import replace

    from emopipe.cache import read_cohort, run_extract
    from emopipe.distill.config import load_distill_config
    from emopipe.distill.train import run_distill

    root, cache = tmp_path / "m", tmp_path / "c"
    truth = write_mahnob_synth(root, n_subjects=3, n_trials=4, seed=3, stimulus=(4.0, 4.0))
    run_extract(_extract_config(EKD), root, cache, on_error="raise")
    for sub in read_cohort(cache):  # one 4-s window per trial, 512 samples at 128 Hz
        assert sub.get("eeg", "raw").data.shape == (4, 32, 512)
        assert sub.get("gsr", "raw").data.shape == (4, 1, 512)
        felt = [tr["felt"]["valence"] for tr in truth["subjects"][sub.subject]["trials"]]
        assert sub.labels["valence_class"].tolist() == [int(v > 5) for v in felt]
    config = replace(load_distill_config(EKD), cache=str(cache), out=str(tmp_path / "run"),
                     epochs=1, batch_size=16, compare_baseline=False)
    res = run_distill(config)
    assert (res.summary["teacher_model"], res.summary["student_model"]) == (
        "ekd_teacher", "ekd_student")
    assert res.summary["folds"]["student"]["accuracy"]["n"] == 3


def _keep_continuous(root, keep):
    """Rewrite the continuous-label file with the (participant, section) pairs ``keep``."""
    import scipy.io

    from emopipe.io.mahnob import CONTINUOUS_FILE

    mat = scipy.io.loadmat(root / CONTINUOUS_FILE)
    rows = [i for i, (p, s) in enumerate(mat["trials_included"].astype(int))
            if (int(p), int(s)) in keep]
    inc = (mat["trials_included"][rows] if rows else np.array([[9, 2]], np.uint8))
    cells = np.empty((len(inc), 1), dtype=object)
    for j, i in enumerate(rows or [0]):
        cells[j, 0] = mat["labels"][i, 0]
    scipy.io.savemat(root / CONTINUOUS_FILE, {"trials_included": inc, "labels": cells})


def test_unannotated_trials_are_dropped_by_distill_and_all_nan_is_named(tmp_path, capsys):
    import json

    import yaml

    from emopipe.cache import read_cohort
    from emopipe.cli import main

    root = tmp_path / "m"
    write_mahnob_synth(root, n_subjects=3, n_trials=2, seed=4, stimulus=(6.0, 6.0))
    # as on the real set, the label file annotates only some trials: participant 1's
    # section 2 and both of participant 2's; participant 3 none
    _keep_continuous(root, {(1, 2), (2, 2), (2, 4)})
    config = tmp_path / "v2e_eeg.yaml"
    config.write_text(yaml.safe_dump({
        "extract": {"window": 1.0, "step": 0.25, "bands": "v2e6",
                    "eeg_features": ["band_power"], "baseline": "drop", "modalities": ["eeg"]},
        "distill": {"teacher": "eeg:band_power", "student": "eeg:band_power@4",
                    "student_model": "tcn_window_regressor", "method": "v2e",
                    "protocol": "loso", "target": "valence_continuous", "epochs": 1,
                    "batch_size": 16, "compare_baseline": False}}))
    cache, run = tmp_path / "c", tmp_path / "run"
    assert main(["extract", "--dataset", "mahnob", "--root", str(root), "--cache", str(cache),
                 "--config", str(config), "-j", "1"]) == 0
    nan = {s.subject: int(np.isnan(s.labels["valence_continuous"]).sum())
           for s in read_cohort(cache)}
    assert nan == {"1": 21, "2": 0, "3": 42}  # 21 windows of 1 s every 0.25 s per 6-s trial
    assert main(["distill", "--cache", str(cache), "--config", str(config),
                 "--out", str(run)]) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["target_missing"] == {
        "target": "valence_continuous", "n_windows": 126, "n_dropped": 63, "n_kept": 63,
        "dropped_per_subject": {"1": 21, "3": 42}, "subjects_without_target": ["3"]}
    assert summary["n_folds"] == 2 and summary["folds"]["student"]["ccc"]["n"] == 2
    # no annotated trial at all: one paragraph naming the target, exit status 1
    _keep_continuous(root, set())
    capsys.readouterr()
    assert main(["extract", "--dataset", "mahnob", "--root", str(root), "--cache",
                 str(tmp_path / "c0"), "--config", str(config), "-j", "1"]) == 0
    assert main(["distill", "--cache", str(tmp_path / "c0"), "--config", str(config),
                 "--out", str(tmp_path / "run0")]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert ("Target 'valence_continuous' is NaN in all 126 windows of the 3 subject(s): no "
            "window can be trained or scored.") in err
