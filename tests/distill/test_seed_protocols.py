"""Protocols on SEED-IV/V window layouts, fold files next to results, transductive options.

The default never lets a test window reach training: the training record and
the trained weights are identical when only the test windows' features
change. The transductive options (``test_normalise="test"``, ``mcc_on_test``)
are explicit config fields, recorded in the run.
"""

import json

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from emopipe.distill.config import DistillConfig
from emopipe.distill.data import CohortData, standardise_test_on_itself
from emopipe.distill.protocols import make_folds, read_folds
from emopipe.distill.train import run_distill
from emopipe.utils._errors import ConfigError
from emopipe.utils.config import config_hash, config_to_dict


def _layout(n_subjects, n_sessions, n_trials, n_win, labels):
    """Window arrays as a SEED-IV/V cache holds them: trial ids unique per subject."""
    sub, trial, ses, lab = [], [], [], []
    for s in range(1, n_subjects + 1):
        for ses_k in range(1, n_sessions + 1):
            for k in range(1, n_trials + 1):
                tid = n_trials * (ses_k - 1) + k
                sub += [str(s)] * n_win
                trial += [tid] * n_win
                ses += [ses_k] * n_win
                lab += [labels[(tid - 1) % len(labels)]] * n_win
    return np.array(sub), np.array(trial), np.array(ses), np.array(lab)


SEED_IV = _layout(2, 3, 24, 2, [1, 2, 3, 0, 2, 0, 0, 1, 0, 1, 2, 1, 1, 1, 2, 3, 2, 2, 3, 3, 0, 3,
                                0, 3])
SEED_V = _layout(2, 3, 15, 2, [4, 1, 3, 2, 0, 4, 1, 3, 2, 0, 4, 1, 3, 2, 0])


def _keys(idx, sub, trial):
    return {(sub[i], int(trial[i])) for i in idx}


@pytest.mark.parametrize("layout", [SEED_IV, SEED_V], ids=["seed_iv", "seed_v"])
def test_cross_session_tests_each_given_session(layout):
    sub, trial, ses, lab = layout
    folds = make_folds("cross_session", sub, trial, session=ses, labels=lab, val_fraction=0.2)
    assert [f.name for f in folds] == [f"sub-{s}_ses-{k}" for s in "12" for k in (1, 2, 3)]
    for f in folds:
        s, k = f.name[4], int(f.name[-1])
        assert set(f.test) == set(np.flatnonzero((sub == s) & (ses == k)))
        train_val = np.concatenate([f.train, f.val])
        assert set(ses[train_val]) == {1, 2, 3} - {k} and set(sub[train_val]) == {s}
        assert not _keys(f.val, sub, trial) & _keys(f.train, sub, trial)  # whole trials


@pytest.mark.parametrize("layout", [SEED_IV, SEED_V], ids=["seed_iv", "seed_v"])
def test_loso_holds_out_every_window_of_one_subject(layout):
    sub, trial, ses, lab = layout
    folds = make_folds("loso", sub, trial, session=ses, labels=lab)
    for f, s in zip(folds, "12"):
        assert f.name == f"sub-{s}" and set(f.test) == set(np.flatnonzero(sub == s))
        assert set(sub[np.concatenate([f.train, f.val])]) == {"12".replace(s, "")}


@pytest.mark.parametrize("layout", [SEED_IV, SEED_V], ids=["seed_iv", "seed_v"])
def test_within_subject_kfold_is_trial_disjoint(layout):
    sub, trial, ses, lab = layout
    folds = make_folds("within_subject_kfold", sub, trial, session=ses, labels=lab, n_folds=3)
    tested = []
    for f in folds:
        test = _keys(f.test, sub, trial)
        assert not test & (_keys(f.train, sub, trial) | _keys(f.val, sub, trial))
        assert len({s for s, _ in test}) == 1
        tested += sorted(test)
    # every (subject, trial) of every session tested exactly once; same-numbered clips of two
    # sessions are distinct trials (ids 24 (session - 1) + k)
    assert sorted(tested) == sorted(set(zip(sub.tolist(), trial.tolist())))
    assert len(tested) == len(set(tested)) == 2 * len(set(trial))  # 2 x 72 or 2 x 45


def _cohort(test_shift=0.0, fold_test=None):
    sub, trial, ses, lab = SEED_V
    rng = np.random.default_rng(0)
    n = len(sub)
    eye = rng.normal(0, 1, (n, 33)) + lab[:, None] * 0.5
    eeg = rng.normal(0, 1, (n, 62, 5)) + lab[:, None, None] * 0.3
    if fold_test is not None:  # change only the test windows of one fold
        eye[fold_test] = eye[fold_test] * 3.0 + test_shift
        eeg[fold_test] = eeg[fold_test] * 3.0 + test_shift
    return CohortData.from_arrays(
        {"eye:official": eye, "eeg:official_de": eeg}, subject=sub, trial=trial,
        session=ses, labels={"emotion": lab.astype(float), "emotion_class": lab},
        dims={"eeg:official_de": ("window", "channel", "band")})


def _run(tmp_path, name, cohort, **kw):
    cfg = DistillConfig(method="cmcrd", teacher="eye:official", student="eeg:official_de",
                        target="emotion", protocol="seed_v_3fold", epochs=2, batch_size=32,
                        n_threads=1, max_folds=1, out=str(tmp_path / name),
                        loss_params={"cmcrd": {"nce_k": 16}}, **kw)
    return run_distill(cfg, cohort=cohort), tmp_path / name


def _weights(run_dir, role):
    path = next((run_dir / "checkpoints").iterdir()) / f"{role}.pt"
    return torch.load(path, weights_only=True)


def test_default_never_sees_the_test_fold_and_folds_are_written(tmp_path):
    base, d0 = _run(tmp_path, "a", _cohort())
    test = base.predictions["sub-1_fold-0"]["test_idx"]
    other, d1 = _run(tmp_path, "b", _cohort(test_shift=5.0, fold_test=test))
    rec = [json.loads((d / "predictions" / "sub-1_fold-0.json").read_text()) for d in (d0, d1)]
    assert rec[0]["teacher"]["val_scores"] == rec[1]["teacher"]["val_scores"]
    assert rec[0]["student"]["val_scores"] == rec[1]["student"]["val_scores"]
    for role in ("teacher", "student", "baseline"):
        a, b = _weights(d0, role), _weights(d1, role)
        assert all(torch.equal(a[k], b[k]) for k in a)
    # the fold file next to the results gives back the folds the run used
    c = _cohort()
    folds = read_folds(d0 / "folds.csv", c.subject, c.trial, c.window)
    assert np.array_equal(folds[0].test, test)
    assert set(c.trial[test] % 15) == {1, 2, 3, 4, 5}  # trials 1-5 of every session
    summary = json.loads((d0 / "summary.json").read_text())
    assert (summary["test_normalise"], summary["mcc_on_test"]) == ("train", False)


def test_mcc_on_test_batches_is_transductive_and_recorded(tmp_path):
    base, _ = _run(tmp_path, "a", _cohort(), mcc_on_test=True)
    test = base.predictions["sub-1_fold-0"]["test_idx"]
    _, d0 = _run(tmp_path, "c", _cohort(), mcc_on_test=True)
    _, d1 = _run(tmp_path, "d", _cohort(test_shift=5.0, fold_test=test), mcc_on_test=True)
    a, b = _weights(d0, "teacher"), _weights(d1, "teacher")
    assert not all(torch.equal(a[k], b[k]) for k in a)  # the test windows shaped the teacher
    record = json.loads(next((d0 / "models").glob("*.json")).read_text())
    assert record["normalise"]["mcc_on_test"] is True
    assert json.loads((d0 / "summary.json").read_text())["mcc_on_test"] is True


def test_test_set_zscoring_is_an_explicit_recorded_option(tmp_path):
    base, _ = _run(tmp_path, "a", _cohort(), test_normalise="test", compare_baseline=False)
    test = base.predictions["sub-1_fold-0"]["test_idx"]
    # z-scored on their own statistics, test windows scaled by 3 and shifted look the same
    moved, _ = _run(tmp_path, "b", _cohort(test_shift=5.0, fold_test=test),
                    test_normalise="test", compare_baseline=False)
    pa, pb = base.predictions["sub-1_fold-0"], moved.predictions["sub-1_fold-0"]
    assert_allclose(pa["student"], pb["student"], atol=1e-4)
    assert_allclose(pa["teacher"], pb["teacher"], atol=1e-4)
    default, _ = _run(tmp_path, "c", _cohort(test_shift=5.0, fold_test=test),
                      compare_baseline=False)
    assert not np.allclose(default.predictions["sub-1_fold-0"]["student"], pa["student"],
                           atol=1e-2)
    # part of the run config and its hash
    cfg = DistillConfig(test_normalise="test")
    assert config_to_dict(cfg)["test_normalise"] == "test"
    assert config_hash(config_to_dict(cfg)) != config_hash(config_to_dict(DistillConfig()))
    with pytest.raises(ConfigError, match="test_normalise"):
        DistillConfig(test_normalise="own")


def test_standardise_test_on_itself_uses_only_the_test_rows():
    X = np.arange(12, dtype=float).reshape(6, 2)
    Xt = np.zeros_like(X, dtype=np.float32)
    out = standardise_test_on_itself(Xt, X, np.array([3, 4, 5]), scope="pooled",
                                     subject=np.array(["a"] * 6))
    assert_allclose(out[:3], 0.0)  # training rows untouched
    z = (X[3:] - X[3:].mean(0)) / X[3:].std(0)
    assert_allclose(out[3:], z, rtol=1e-6)


def test_run_reader_reproduces_a_test_normalised_run(tmp_path):
    from emopipe.distill.run_reader import load_run

    res, run_dir = _run(tmp_path, "a", _cohort(), test_normalise="test", compare_baseline=False)
    fold = load_run(run_dir).folds[0]
    c = _cohort()
    test = res.predictions["sub-1_fold-0"]["test_idx"]
    feats = {k: v[test] for k, v in c.features.items()}
    for role in ("teacher", "student"):
        assert_allclose(fold.predict(role, feats, subject=c.subject[test]),
                        res.predictions["sub-1_fold-0"][role], rtol=1e-5, atol=1e-6)
