"""Windows whose continuous target is NaN (unannotated trials) are dropped before the folds."""

import json
import logging

import numpy as np
import pytest

from emopipe.distill.data import CohortData, folds_on_rows, target_rows
from emopipe.distill.protocols import Fold
from emopipe.distill.train import DistillConfig, run_distill
from emopipe.utils._errors import RunError

FAST = dict(teacher="eeg", student="eog", epochs=1, batch_size=32, n_threads=1,
            method="v2e", target="valence", compare_baseline=False)


def _cohort(nan_trials, n_sub=3, n_trials=4, n_win=5, seed=0):
    """A continuous target with NaN in every window of the ``(subject, trial)`` pairs given."""
    rng = np.random.default_rng(seed)
    n = n_sub * n_trials * n_win
    subject = np.repeat([f"s{i + 1}" for i in range(n_sub)], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(1, n_trials + 1), n_win), n_sub)
    v = np.repeat(rng.standard_normal(n_sub * n_trials), n_win)
    for s, t in nan_trials:
        v[(subject == s) & (trial == t)] = np.nan
    eeg = rng.standard_normal((n, 2, 3))
    eog = rng.standard_normal((n, 4))
    return CohortData.from_arrays({"eeg:de": eeg, "eog:features": eog}, subject=subject,
                                  trial=trial, labels={"valence": v})


def test_target_rows_counts_planted_nans_per_subject(caplog):
    y = np.array([1.0, np.nan, 2.0, np.nan, np.nan, 3.0, np.nan])
    subject = np.array(["a", "a", "a", "b", "b", "c", "d"])
    with caplog.at_level(logging.WARNING, "emopipe.distill.data"):
        rows, rec = target_rows(y, subject, target="valence_continuous")
    assert rows.tolist() == [0, 2, 5]
    assert rec == {"target": "valence_continuous", "n_windows": 7, "n_dropped": 4, "n_kept": 3,
                   "dropped_per_subject": {"a": 1, "b": 2, "d": 1},
                   "subjects_without_target": ["b", "d"]}
    assert ("Target 'valence_continuous' is NaN in 4 of 7 windows (subject a: 1, subject b: 2, "
            "subject d: 1)") in caplog.text
    assert "subject(s) b, d keep no window, so no fold tests them" in caplog.text
    # classes (integers) are never missing
    rows, rec = target_rows(np.array([0, 1, 1]), np.array(["a", "a", "b"]), target="v")
    assert rows.tolist() == [0, 1, 2] and rec["n_dropped"] == 0


def test_all_nan_target_is_a_named_error():
    with pytest.raises(RunError, match=r"^Target 'valence_continuous' is NaN in all 3 windows of "
                                       r"the 2 subject\(s\): no window can be trained or scored"):
        target_rows(np.full(3, np.nan), np.array(["a", "a", "b"]),
                    target="valence_continuous")
    c = _cohort([(s, t) for s in ("s1", "s2", "s3") for t in range(1, 5)])
    with pytest.raises(RunError, match=r"NaN in all 60 windows of the 3 subject\(s\)"):
        run_distill(DistillConfig(**FAST), cohort=c)


def test_folds_on_rows_maps_back_and_reports_empty_test_folds():
    rows = np.array([0, 2, 5, 7])
    folds = [Fold("f0", np.array([0, 1]), np.array([2]), np.array([3])),
             Fold("f1", np.array([0, 1, 2, 3]), np.array([], int), np.array([], int))]
    out, skipped = folds_on_rows(folds, rows)
    assert [f.name for f in out] == ["f0"]
    assert (out[0].train.tolist(), out[0].val.tolist(), out[0].test.tolist()) == ([0, 2], [5], [7])
    assert skipped == [{"fold": "f1", "reason": "no test window with a finite target"}]


@pytest.mark.parametrize("protocol", ["loso", "trs"])
def test_distill_drops_nan_windows_before_folds(tmp_path, protocol):
    # s1 trial 2 and all of s3 unannotated: 5 + 20 of 60 windows
    c = _cohort([("s1", 2)] + [("s3", t) for t in range(1, 5)])
    nan_rows = set(np.flatnonzero(np.isnan(c.labels["valence"])).tolist())
    assert len(nan_rows) == 25
    out = tmp_path / protocol
    res = run_distill(DistillConfig(**FAST, protocol=protocol, n_folds=2, out=str(out)),
                      cohort=c)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["target_missing"] == {
        "target": "valence", "n_windows": 60, "n_dropped": 25, "n_kept": 35,
        "dropped_per_subject": {"s1": 5, "s3": 20}, "subjects_without_target": ["s3"]}
    assert summary["skipped_folds"] == []
    if protocol == "loso":  # no fold tests s3, which has no annotated window
        assert res.folds == ["sub-s1", "sub-s2"]
    tested = np.concatenate([p["test_idx"] for p in res.predictions.values()])
    assert not nan_rows & set(tested.tolist())
    # every kept window is tested exactly once (both protocols partition the kept trials)
    assert sorted(tested.tolist()) == sorted(set(range(60)) - nan_rows)
    for row in res.metrics_fold:
        assert np.isfinite(row["ccc"]) and np.isfinite(row["rmse"])
    # the saved normalisation statistics come from finite-target training windows only
    folds = {f: np.load(out / "models" / f"{f}.npz") for f in res.folds}
    rec = json.loads((out / "models" / f"{res.folds[0]}.json").read_text())
    key = [i["stats"] for i in rec["inputs"] if i["key"] == "eog:features"][0]
    tr = json.loads((out / "predictions" / f"{res.folds[0]}.json").read_text())
    assert tr["student"]["epochs_run"] == 1
    import csv

    with open(out / "folds.csv", newline="") as fid:
        train = [r for r in csv.DictReader(fid) if r["fold"] == res.folds[0]
                 and r["split"] == "train"]
    win = {(r["subject"], int(r["trial"])) for r in train}
    assert ("s3", 1) not in win and ("s1", 2) not in win
    idx = np.flatnonzero([(s, t) in win for s, t in zip(c.subject, c.trial)])
    mean = c.features["eog:features"][idx].astype(np.float64).mean(axis=0)
    np.testing.assert_allclose(folds[res.folds[0]][f"{key}_mean"], mean, rtol=1e-5, atol=1e-6)
