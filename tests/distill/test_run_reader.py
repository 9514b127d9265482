"""A run folder that describes itself: load_run rebuilds each fold's models and normalisation."""

import json
import re
import shutil

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import emopipe
from emopipe.distill.data import CohortData
from emopipe.distill.protocols import make_folds
from emopipe.distill.run_reader import load_run
from emopipe.distill.train import DistillConfig, run_distill
from emopipe.utils._errors import RunError

CH = ["Fp1", "Cz"]
BANDS = ["theta", "alpha", "beta"]
EDGES = [[4.0, 8.0], [8.0, 14.0], [14.0, 31.0]]
FAST = dict(teacher="eeg", student="eog", epochs=2, batch_size=32, method="hinton_kd")


def _cohort(n_sub=3, n_trials=6, n_win=4, seed=0):
    rng = np.random.default_rng(seed)
    n = n_sub * n_trials * n_win
    subject = np.repeat([f"s{i + 1:02d}" for i in range(n_sub)], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(1, n_trials + 1), n_win), n_sub)
    v = np.repeat(rng.standard_normal(n_sub * n_trials), n_win)
    eeg = rng.standard_normal((n, 2, 3)) * 3 + 7  # not standardised: the scaler matters
    eeg[:, 0, 0] += 2 * v
    eog = rng.standard_normal((n, 4)) * 0.5 - 2
    eog[:, 0] += 0.5 * v
    return CohortData.from_arrays(
        {"eeg:de": eeg, "eog:features": eog}, subject=subject, trial=trial,
        labels={"valence_class": (v > 0).astype(int), "valence": 5 + v},
        dims={"eeg:de": ("window", "channel", "band")},
        meta={"eeg:de": {"unit": "nat", "ch_names": CH, "band_names": BANDS,
                         "band_edges": np.array(EDGES), "quality": ["ok"]}})


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "run"
    cohort = _cohort()
    res = run_distill(DistillConfig(out=str(out), **FAST), cohort=cohort)
    return out, cohort, res


@pytest.fixture
def run_copy(finished, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(finished[0], out)
    return out


def _stored(out, fold):
    with np.load(out / "predictions" / f"{fold}.npz") as z:
        return {k: z[k] for k in z.files}


def test_predict_reproduces_the_stored_test_predictions_exactly(finished):
    out, cohort, _ = finished
    run = emopipe.load_run(out)
    assert [f.name for f in run.folds] == ["sub-s01", "sub-s02", "sub-s03"]
    for fold in run.folds:
        stored = _stored(out, fold.name)
        assert_array_equal(fold.test_idx, stored["test_idx"])
        assert fold.roles == ["teacher", "student", "baseline"]
        test = {k: v[fold.test_idx] for k, v in cohort.features.items()}
        for role in fold.roles:
            pred = fold.predict(role, test)
            assert pred.dtype == stored[role].dtype
            assert_array_equal(pred, stored[role])  # bit for bit
        # the test subject is the held-out one
        assert set(cohort.subject[fold.test_idx]) == {fold.name[len("sub-"):]}


def test_recorded_models_scalers_and_metadata(finished):
    out, cohort, res = finished
    run = load_run(out)
    cfg = DistillConfig(out=str(out), **FAST)
    y = cohort.target("valence", kind="class")[0]
    folds = make_folds(cfg.protocol, cohort.subject, cohort.trial, session=cohort.session,
                       labels=y, n_folds=cfg.n_folds, val_fraction=cfg.val_fraction,
                       seed=cfg.seed)
    for fold, ref in zip(run.folds, folds):
        assert fold.name == ref.name
        # the statistics of the fold's TRAINING windows, not of its validation or test ones
        for key in ("eeg:de", "eog:features"):
            X = cohort.features[key][ref.train].astype(np.float64)
            np.testing.assert_allclose(fold.scalers[key].mean_, X.mean(0), rtol=1e-6)
            np.testing.assert_allclose(fold.scalers[key].std_, X.std(0), rtol=1e-5)
        # models: registry name and exact constructor arguments; 2 x 3 DE values flattened
        for role, n_feat in [("teacher", 6), ("student", 4), ("baseline", 4)]:
            plan = fold.plan(role)
            assert (plan.name, plan.kwargs) == ("mlp", {"n_features": n_feat, "n_outputs": 2})
            assert fold.features_of(role, cohort).shape[0] == cohort.n_windows
        assert fold.input_keys("teacher") == ["eeg:de"]
        assert fold.inputs["eeg:de"] == {
            "dims": ("window", "channel", "band"), "shape": (2, 3),
            "meta": {"unit": "nat", "ch_names": CH, "band_names": BANDS, "band_edges": EDGES}}
        assert fold.inputs["eog:features"]["meta"] == {}
        assert fold.target == {"name": "valence", "kind": "class", "classes": [0, 1],
                               "n_outputs": 2}
    assert run.data_hash == res.summary["data_hash"] and run.cache is None
    assert run.cohort(cohort) is cohort


def test_features_of_is_the_models_penultimate_output(finished):
    import torch

    out, cohort, _ = finished
    fold = load_run(out).folds[0]
    X = cohort.features["eog:features"]
    model = fold.model("student")
    with torch.no_grad():
        _, feats = model(torch.from_numpy(fold.scalers["eog:features"].transform(X)))
    assert_array_equal(fold.features_of("student", X), feats.numpy())
    assert not model.training


def test_per_subject_normalisation_reloads(tmp_path):
    cohort = _cohort(seed=2)
    out = tmp_path / "run"
    run_distill(DistillConfig(out=str(out), normalise="per_subject", max_folds=1, **FAST),
                cohort=cohort)
    fold = load_run(out).folds[0]
    assert sorted(fold.scalers["eog:features"].subject_stats_) == ["s02", "s03"]
    test = {k: v[fold.test_idx] for k, v in cohort.features.items()}
    stored = _stored(out, fold.name)
    sub = cohort.subject[fold.test_idx]
    assert_array_equal(fold.predict("student", test, subject=sub), stored["student"])


def test_metadata_of_a_cached_run_is_what_the_cache_held(tmp_path):
    from emopipe.cache import write_features
    from emopipe.cache.hdf5 import cache_identity
    from emopipe.features._base import Feature

    c = _cohort()
    attrs = {"unit": "nat", "ch_names": CH, "band_names": BANDS, "band_edges": EDGES}
    for s in np.unique(c.subject):
        sel = c.subject == s
        write_features(
            tmp_path / "cache" / f"{s}.h5", dataset="deap", subject=str(s),
            windows={"trial": c.trial[sel], "onset": c.onset[sel],
                     "duration": np.ones(int(sel.sum()))},
            labels={k: v[sel] for k, v in c.labels.items()},
            modalities={"eeg": {"de": Feature(c.features["eeg:de"][sel],
                                              ("window", "channel", "band"), attrs)},
                        "eog": {"raw": Feature(np.zeros((int(sel.sum()), 1, 8)),
                                               ("window", "channel", "time"),
                                               {"unit": "V", "sfreq": 128.0,
                                                "ch_names": ["heog"]}),
                                "features": Feature(c.features["eog:features"][sel],
                                                    ("window", "feature"), {"unit": "a.u."})}},
            config={}, config_hash="h1",
            sources=[{"path": f"{s}.bdf", "sha256": f"sha-{s}"}])
    out = tmp_path / "run"
    run_distill(DistillConfig(cache=str(tmp_path / "cache"), out=str(out), max_folds=1,
                              student="eog:features", **{k: v for k, v in FAST.items()
                                                         if k != "student"}))
    run = load_run(out)
    fold = run.folds[0]
    assert fold.inputs["eeg:de"]["meta"] == attrs
    assert fold.inputs["eog:features"]["meta"] == {"unit": "a.u."}
    files = sorted((tmp_path / "cache").glob("*.h5"))
    assert run.cache == {"folder": str(tmp_path / "cache"),
                         "files": json.loads(json.dumps(cache_identity(files)))}
    assert run.cache["files"]["s02.h5"] == {"config_hash": "h1", "sources": ["sha-s02"]}
    cohort = run.cohort()  # read back from the recorded cache, checked against the run
    test = {k: v[fold.test_idx] for k, v in cohort.features.items()}
    assert_array_equal(fold.predict("student", test), _stored(out, fold.name)["student"])


def test_a_changed_cache_is_refused_naming_both_hashes(finished):
    out, cohort, res = finished
    other = _cohort(seed=5)
    with pytest.raises(RunError, match=re.escape(
            f"the run recorded {res.summary['data_hash']!r}")) as err:
        load_run(out).cohort(other)
    assert "the given cohort is not the data the run was trained on (data_hash 'arrays-" \
        in str(err.value)


def test_a_run_folder_without_metadata_says_what_is_missing(run_copy):
    shutil.rmtree(run_copy / "models")  # as an older emopipe wrote it
    with pytest.raises(RunError, match=re.escape(
            "folds ['sub-s01', 'sub-s02', 'sub-s03'] have no models/<fold>.json and .npz: the "
            "folder was written by an emopipe older than the self-describing run folder and "
            "does not record the models' names and constructor arguments, the normalisation "
            "statistics, the feature metadata or the cache identity. Rerun 'emopipe distill'")):
        load_run(run_copy)


def test_not_a_run_folder_and_no_finished_fold(tmp_path, run_copy):
    with pytest.raises(RunError, match=r"not a run folder \(no config.yaml\)"):
        load_run(tmp_path / "nothing")
    shutil.rmtree(run_copy / "predictions")
    with pytest.raises(RunError, match=r"holds no finished fold"):
        load_run(run_copy)


def test_a_missing_checkpoint_is_a_named_error(run_copy):
    (run_copy / "checkpoints" / "sub-s02" / "student.pt").unlink()
    run = load_run(run_copy)
    run.fold("sub-s01").model("student")  # other folds still load
    path = run_copy / "checkpoints" / "sub-s02" / "student.pt"
    with pytest.raises(RunError, match=re.escape(
            f"{path}: the student checkpoint of fold 'sub-s02' is missing. Delete "
            f"{run_copy / 'predictions' / 'sub-s02.npz'} and rerun")):
        run.fold("sub-s02").predict("student", np.zeros((2, 4)))
    (run_copy / "checkpoints" / "sub-s03" / "teacher.pt.sha256").unlink()
    with pytest.raises(RunError, match=r"teacher checkpoint of fold 'sub-s03' has no checksum"):
        run.fold("sub-s03").model("teacher")


def test_bad_calls_name_the_problem(finished):
    out, _, _ = finished
    fold = load_run(out).folds[0]
    with pytest.raises(emopipe.EmopipeError, match=r"no 'critic' model\. Available models: "
                                                   r"'teacher', 'student', 'baseline'"):
        fold.model("critic")
    with pytest.raises(RunError, match=re.escape(
            "features['eog:features'] must have shape (n_windows, 4) as in the run, got (3, 5).")):
        fold.predict("student", np.zeros((3, 5)))
    with pytest.raises(emopipe.EmopipeError, match=r"features lacks \['eeg:de'\]"):
        fold.predict("teacher", {"eog:features": np.zeros((3, 4))})


def test_no_checkpoints_saved_is_a_named_error(tmp_path):
    out = tmp_path / "run"
    run_distill(DistillConfig(out=str(out), save_checkpoints=False, max_folds=1, **FAST),
                cohort=_cohort())
    with pytest.raises(RunError, match=r"trained with save_checkpoints=False, so its student "
                                       r"has no weights"):
        load_run(out).folds[0].model("student")


def test_raw_frames_teacher_and_continuous_target_reload(tmp_path):
    # a face-frame teacher (window TCN: frame_size is a tuple argument, sfreq from the cache
    # attributes) and a continuous target
    rng = np.random.default_rng(3)
    n_sub, n_trials, n_win = 2, 4, 4
    n = n_sub * n_trials * n_win
    subject = np.repeat(["s01", "s02"], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(1, n_trials + 1), n_win), n_sub)
    v = np.repeat(rng.standard_normal(n_sub * n_trials), n_win)
    frames = rng.uniform(0, 40, (n, 4, 8, 8)).astype(np.uint8)
    c = CohortData.from_arrays(
        {"face:frames": frames, "eeg:band_power": rng.standard_normal((n, 2, 3))},
        subject=subject, trial=trial, labels={"valence": 5 + v},
        dims={"face:frames": ("window", "time", "height", "width"),
              "eeg:band_power": ("window", "channel", "band")},
        sfreq={"face:frames": 4.0}, meta={"face:frames": {"unit": "grey level"}})
    out = tmp_path / "run"
    run_distill(DistillConfig(teacher="face:frames", student="eeg:band_power", method="v2e",
                              epochs=1, teacher_epochs=1, batch_size=16, max_folds=1,
                              teacher_params={"embed_dim": 8, "channels": [8, 128]},
                              out=str(out)), cohort=c)
    fold = load_run(out).folds[0]
    plan = fold.plan("teacher")
    assert plan.name == "face_window_tcn"
    assert plan.kwargs["frame_size"] == (8, 8) and plan.kwargs["sfreq"] == 4.0
    assert plan.kwargs["channels"] == [8, 128]  # a list stays a list
    assert fold.inputs["face:frames"]["meta"] == {"unit": "grey level", "sfreq": 4.0}
    assert fold.target == {"name": "valence", "kind": "continuous", "classes": None,
                           "n_outputs": 1}
    stored = _stored(out, fold.name)
    test = {k: v[fold.test_idx] for k, v in c.features.items()}
    for role in fold.roles:
        assert_array_equal(fold.predict(role, test), stored[role])
