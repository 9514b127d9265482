"""Protocols: trial-disjoint splits, each window tested once, determinism, errors."""

import numpy as np
import pytest

from emopipe.distill.protocols import (
    PROTOCOLS,
    carve_validation,
    make_folds,
    read_folds,
    write_folds,
)


def _cohort(n_sub=4, n_trials=10, n_win=3, n_sessions=1, seed=0):
    """Window arrays: subjects in scrambled order, trials 1..n_trials per session."""
    rng = np.random.default_rng(seed)
    names = [f"s{i:02d}" for i in rng.permutation(n_sub) + 1]  # not sorted on purpose
    subject, trial, session, labels = [], [], [], []
    for s in names:
        for ses in range(n_sessions):
            for t in range(1, n_trials + 1):
                subject += [s] * n_win
                trial += [ses * 100 + t] * n_win
                session += [ses] * n_win
                labels += [t % 2] * n_win
    return np.array(subject), np.array(trial), np.array(session), np.array(labels)


def _trial_sets(fold, subject, trial):
    return {split: {(subject[i], trial[i]) for i in getattr(fold, split)}
            for split in ("train", "val", "test")}


@pytest.mark.parametrize("protocol, kw", [
    ("loso", {}),
    ("within_subject_kfold", {"n_folds": 5}),
    ("trs", {"n_folds": 5}),
    ("cross_subject_kfold", {"n_folds": 2}),
])
def test_splits_are_trial_disjoint_and_every_window_tested_once(protocol, kw):
    subject, trial, session, labels = _cohort()
    folds = make_folds(protocol, subject, trial, session=session, labels=labels, **kw)
    counts = np.zeros(len(subject), int)
    for fold in folds:
        sets = _trial_sets(fold, subject, trial)
        assert not sets["train"] & sets["val"]
        assert not sets["train"] & sets["test"]
        assert not sets["val"] & sets["test"]
        # whole trials: a trial's windows are all in the split that holds it
        for split in ("train", "val", "test"):
            idx = getattr(fold, split)
            for s, t in sets[split]:
                assert np.isin(np.flatnonzero((subject == s) & (trial == t)), idx).all()
        assert len(fold.val) > 0
        counts[fold.test] += 1
    assert (counts == 1).all()


def test_loso_folds_follow_sorted_subject_ids():
    subject, trial, session, labels = _cohort(n_sub=3)
    folds = make_folds("loso", subject, trial, labels=labels)
    assert [f.name for f in folds] == ["sub-s01", "sub-s02", "sub-s03"]
    for f in folds:
        assert set(subject[f.test]) == {f.name[4:]}
        assert f.name[4:] not in set(subject[f.train]) | set(subject[f.val])


def test_within_subject_folds_stay_inside_the_subject_and_are_stratified():
    subject, trial, session, labels = _cohort(n_sub=2, n_trials=10)
    folds = make_folds("within_subject_kfold", subject, trial, labels=labels, n_folds=5,
                       val_fraction=0.25)
    assert len(folds) == 10
    for f in folds:
        s = f.name.split("_")[0][4:]
        assert set(subject[np.concatenate([f.train, f.val, f.test])]) == {s}
        # 10 trials, 5 per class, 5 folds: one trial of each class per test fold
        test_trials = np.unique(trial[f.test])
        assert sorted(t % 2 for t in test_trials) == [0, 1]


def test_validation_is_carved_from_training_trials_only(rng):
    subject, trial, session, labels = _cohort(n_sub=3, n_trials=10)
    full = make_folds("loso", subject, trial, labels=labels, val_fraction=0.0)
    carved = make_folds("loso", subject, trial, labels=labels, val_fraction=0.2)
    for a, b in zip(full, carved):
        assert np.array_equal(a.test, b.test)
        assert len(a.val) == 0
        assert np.array_equal(np.sort(np.concatenate([b.train, b.val])), a.train)
        # 20 training trials -> 4 validation trials of 3 windows
        assert len(np.unique(trial[b.val] + 1000 * np.unique(subject, return_inverse=True)[1]
                             .ravel()[b.val])) == 4


def test_carve_validation_moves_whole_trials_and_is_seeded():
    key = np.repeat(np.arange(10), 4)
    train = np.arange(40)
    tr1, va1 = carve_validation(train, key, val_fraction=0.3, seed=1)
    tr2, va2 = carve_validation(train, key, val_fraction=0.3, seed=1)
    assert np.array_equal(va1, va2) and np.array_equal(tr1, tr2)
    assert len(np.unique(key[va1])) == 3 and len(va1) == 12
    assert not set(key[va1]) & set(key[tr1])


def test_stratified_carve_keeps_a_rare_class_in_training():
    # 16 trials of 3 windows, 3 of class 1: validation takes 20 % of each class, never a
    # class's last training trial
    key = np.repeat(np.arange(16), 3)
    labels = np.repeat(np.r_[np.ones(3, int), np.zeros(13, int)], 3)
    train = np.arange(48)
    for seed in range(20):
        tr, va = carve_validation(train, key, val_fraction=0.2, seed=seed, labels=labels)
        assert not set(key[va]) & set(key[tr])
        # round(0.2 * 3) = 1 trial of class 1 and round(0.2 * 13) = 3 of class 0
        assert len(np.unique(key[va][labels[va] == 1])) == 1
        assert len(np.unique(key[va][labels[va] == 0])) == 3
        assert len(np.unique(key[tr][labels[tr] == 1])) == 2
    # one trial of a class: it stays in training
    labels1 = np.repeat(np.r_[1, np.zeros(15, int)], 3)
    tr, va = carve_validation(train, key, val_fraction=0.5, seed=0, labels=labels1)
    assert 0 in key[tr] and len(np.unique(key[va])) == 8


def test_folds_are_deterministic_and_seed_dependent():
    subject, trial, session, labels = _cohort(n_sub=3, n_trials=20)
    a = make_folds("trs", subject, trial, labels=labels, n_folds=4, seed=3)
    b = make_folds("trs", subject, trial, labels=labels, n_folds=4, seed=3)
    c = make_folds("trs", subject, trial, labels=labels, n_folds=4, seed=4)
    for fa, fb in zip(a, b):
        for split in ("train", "val", "test"):
            assert np.array_equal(getattr(fa, split), getattr(fb, split))
    assert any(not np.array_equal(fa.test, fc.test) for fa, fc in zip(a, c))


def test_seed_9_6_and_cross_session():
    subject, trial, session, labels = _cohort(n_sub=2, n_trials=15, n_sessions=3)
    folds = make_folds("seed_9_6", subject, trial, session=session, labels=labels)
    assert len(folds) == 6
    for f in folds:
        ranks = trial[f.test] % 100
        assert ranks.min() == 10 and ranks.max() == 15
        assert (np.concatenate([trial[f.train], trial[f.val]]) % 100 <= 9).all()
        assert len(np.unique(session[f.test])) == 1
    folds = make_folds("cross_session", subject, trial, session=session, labels=labels)
    assert [f.name for f in folds][:3] == ["sub-s01_ses-0", "sub-s01_ses-1", "sub-s01_ses-2"]
    counts = np.zeros(len(subject), int)
    for f in folds:
        test_ses = np.unique(session[f.test])
        assert len(test_ses) == 1
        assert test_ses[0] not in session[np.concatenate([f.train, f.val])]
        counts[f.test] += 1
    assert (counts == 1).all()


def test_protocol_errors():
    subject, trial, session, labels = _cohort(n_sub=3)
    with pytest.raises(ValueError, match=r"protocol 'cross_session' needs recording sessions.*"
                                         r"This dataset has no sessions"):
        make_folds("cross_session", subject, trial, session=session, labels=labels)
    with pytest.raises(ValueError, match=r"'cross_subject_kfold' needs at least n_folds = 5 "
                                         r"subjects, got 3"):
        make_folds("cross_subject_kfold", subject, trial, labels=labels, n_folds=5)
    one_class = np.where(subject == "s01", 1, 0)
    with pytest.raises(ValueError, match=r"fold 'sub-s01' of protocol 'loso': the training set "
                                         r"holds a single class \(\[0\]\)"):
        make_folds("loso", subject, trial, labels=one_class)
    with pytest.raises(ValueError, match=r"'seed_9_6' needs 15 trials per \(subject, session\), "
                                         r"but subject 's01' session 0 has 10\. "):
        make_folds("seed_9_6", subject, trial, labels=labels)
    # subject names read as plain strings, not numpy scalars' reprs
    with pytest.raises(ValueError, match=r"^protocol 'within_subject_kfold' needs at least "
                                         r"n_folds = 11 trials per subject, but subject 's01' "
                                         r"has 10\. Lower n_folds\.$"):
        make_folds("within_subject_kfold", subject, trial, labels=labels, n_folds=11)
    with pytest.raises(ValueError, match=r"needs at least 2 sessions per subject, but subject "
                                         r"'s01' has sessions \[0\]\. Use 'loso'"):
        make_folds("cross_session", subject, trial, labels=labels,
                   session=np.where(subject == "s01", 0, trial % 2))
    with pytest.raises(KeyError, match=r"Protocol 'lsoo' not found.*Did you mean 'loso'"):
        make_folds("lsoo", subject, trial)
    with pytest.raises(ValueError, match=r"trial must have shape \(n_windows,\) = \(90,\) like .subject., got shape \(89,\)"):
        make_folds("loso", subject, trial[:-1])
    assert PROTOCOLS.names() == sorted(["loso", "within_subject_kfold", "seed_9_6", "seed_iv_16_8",
                                        "seed_v_3fold",
                                        "cross_session", "trs", "cross_subject_kfold"])


def test_folds_csv_round_trip(tmp_path):
    subject, trial, session, labels = _cohort(n_sub=3)
    window = np.concatenate([np.arange(30)] * 3)
    folds = make_folds("within_subject_kfold", subject, trial, labels=labels, n_folds=2)
    path = write_folds(tmp_path / "folds.csv", folds, subject, trial, window)
    lines = path.read_text().splitlines()
    assert lines[0] == "subject,trial,window,fold,split"
    # s?? trial t has windows 3(t-1) .. 3t in its subject's index
    s, t, w, name, split = lines[1].split(",")
    assert w == f"{3 * (int(t) - 1)}:{3 * int(t)}"
    back = read_folds(path, subject, trial, window)
    assert [f.name for f in back] == [f.name for f in folds]
    for a, b in zip(folds, back):
        for sp in ("train", "val", "test"):
            assert np.array_equal(getattr(a, sp), getattr(b, sp))
