"""Cross-fitted teacher targets: whole trials held out, and no target from a teacher that saw it."""

import numpy as np
import pytest

from emopipe.distill._cross_fit import inner_groups
from emopipe.distill.data import CohortData
from emopipe.distill.train import DistillConfig, run_distill
from emopipe.utils._errors import ConfigError


def test_inner_groups_partition_the_training_windows_by_whole_trials():
    subject = np.repeat(["a", "b", "c"], 14)
    trial = np.tile(np.repeat(np.arange(7), 2), 3)
    train_idx = np.flatnonzero(subject != "c")  # a LOSO fold's training windows
    groups = inner_groups(train_idx, subject, trial, 3, seed=0)
    pos = np.sort(np.concatenate(groups))
    np.testing.assert_array_equal(pos, np.arange(len(train_idx)))  # a partition
    owner = {}
    for j, g in enumerate(groups):
        for w in train_idx[g]:
            assert owner.setdefault((subject[w], trial[w]), j) == j  # a trial in one group
        # 7 trials of each subject dealt round-robin over 3 groups: 2 or 3 of each
        for s in ("a", "b"):
            n = len({trial[w] for w in train_idx[g] if subject[w] == s})
            assert n in (2, 3)
    assert len(owner) == 14
    assert [len(g) for g in inner_groups(train_idx, subject, trial, 3, seed=0)] == [
        len(g) for g in groups]  # deterministic
    with pytest.raises(ConfigError, match=r"teacher_folds=20 but the fold's training set has "
                                          r"only 14 trial\(s\)"):
        inner_groups(train_idx, subject, trial, 20, seed=0)


def _memorise_cohort(seed, n_sub=4, n_trials=30, n_win=3):
    """Teacher features: one random vector per trial; labels: a coin per trial.

    Nothing links features to labels, so a teacher can only agree with a
    training label above chance by having seen that trial.
    """
    rng = np.random.default_rng(seed)
    n_tr = n_sub * n_trials
    subject = np.repeat([f"s{i}" for i in range(n_sub)], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(1, n_trials + 1), n_win), n_sub)
    teacher = np.repeat(rng.standard_normal((n_tr, 8)), n_win, axis=0)
    y = np.repeat(rng.integers(0, 2, n_tr), n_win)
    student = rng.standard_normal((n_tr * n_win, 4))
    return CohortData.from_arrays({"eeg:de": teacher, "eog:features": student},
                                  subject=subject, trial=trial, labels={"arousal_class": y})


def test_cross_fit_targets_come_from_teachers_that_never_saw_the_trial(tmp_path):
    # an in-sample teacher memorises random trial labels (agreement near 1); the cross-fitted
    # targets of the same windows agree at chance: SE of an agreement over the fold's 72
    # independent trials is 0.059, so 0.5 + 3 SE = 0.68
    cohort = _memorise_cohort(0)
    y = cohort.labels["arousal_class"]
    agree = {}
    for mode in ("in_sample", "cross_fit"):
        out = tmp_path / mode
        run_distill(DistillConfig(teacher="eeg", student="eog", method="hinton_kd",
                                  protocol="loso", target="arousal", seed=0, epochs=60,
                                  patience=0, selection="last", batch_size=32, lr=1e-2,
                                  weight_decay=0.0, n_threads=1, max_folds=1, out=str(out),
                                  save_checkpoints=False, teacher_targets=mode,
                                  teacher_folds=3), cohort=cohort)
        (f,) = (out / "teacher_cache").glob("*.npz")
        d = np.load(f)
        agree[mode] = float(np.mean(d["logits_train"].argmax(1) == y[d["train_idx"]]))
        if mode == "cross_fit":  # the fold's own teacher is kept alongside, unchanged
            np.testing.assert_array_equal(d["logits_train_in_sample"], in_sample_logits)
        in_sample_logits = d["logits_train"]
    assert agree["in_sample"] > 0.9, agree
    assert abs(agree["cross_fit"] - 0.5) < 0.18, agree


def test_cross_fit_refuses_feedback_methods():
    with pytest.raises(ConfigError, match=r"^teacher_targets='cross_fit' cannot be used with "
                                          r"method 'ekd': its teacher is updated during student "
                                          r"training \(feedback\)"):
        DistillConfig(method="ekd", teacher_targets="cross_fit")
