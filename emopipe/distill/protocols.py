"""Evaluation protocols: deterministic, trial-disjoint train/validation/test folds.

Every protocol maps window-level arrays ``subject``, ``trial``, ``session``
and ``labels`` (all shape ``(n_windows,)``) to a list of :class:`Fold`.
Splits are made of whole trials, so adjacent windows of one trial never sit
on both sides of a split. Subject ids are sorted (never iterated from a
``set``), shuffles use a local seeded generator, and the folds are written
next to the results (``folds.csv``) so they can be reused.

Validation windows are always carved from the *training* trials of the fold
(whole trials, seeded, ``val_fraction`` of them); the test trials are never
used for selection.
"""

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..utils._checks import _check_type
from ..utils._registry import Registry
from ..utils._errors import ConfigError

logger = logging.getLogger("emopipe.distill.protocols")

#: protocol name -> function ``fn(subject, trial, session, labels, *, n_folds, seed) ->
#: list of (fold_name, train_idx, test_idx)``; validation is carved afterwards.
PROTOCOLS = Registry("Protocol", "protocols")

#: protocols that need more than one recording session per subject
NEEDS_SESSIONS = ("cross_session",)


@dataclass(frozen=True)
class Fold:
    """One train/validation/test split of the window index.

    Parameters
    ----------
    name : str
        Fold name, e.g. ``"sub-s01"`` or ``"sub-s01_fold-3"``.
    train : ndarray of int, shape (n_train,)
        Sorted window indices used for fitting.
    val : ndarray of int, shape (n_val,)
        Sorted window indices used for early stopping and model selection.
    test : ndarray of int, shape (n_test,)
        Sorted window indices scored once.
    """

    name: str
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def __iter__(self):  # unpack as (name, train, val, test)
        return iter((self.name, self.train, self.val, self.test))


def _as_1d(name, arr, n=None):
    arr = np.asarray(arr)
    if arr.ndim != 1:
        raise ConfigError(f"{name} must have shape (n_windows,), got shape {arr.shape}.")
    if n is not None and arr.shape[0] != n:
        raise ConfigError(
            f"{name} must have shape (n_windows,) = ({n},) like 'subject', got shape {arr.shape}."
        )
    return arr


def _trial_keys(subject, trial):
    """Integer id of each (subject, trial) pair, ordered by sorted subject then trial."""
    pairs = np.rec.fromarrays([subject.astype(str), trial], names="s,t")
    uniq, inv = np.unique(pairs, return_inverse=True)
    return uniq, inv.ravel()


def _trial_labels(key_inv, n_keys, labels):
    """Majority class of each trial (ties -> smallest class)."""
    if labels is None:
        return np.zeros(n_keys, dtype=np.int64)
    classes, lab = np.unique(labels, return_inverse=True)
    counts = np.zeros((n_keys, len(classes)), dtype=np.int64)
    np.add.at(counts, (key_inv, lab.ravel()), 1)
    return counts.argmax(axis=1)


def _stratified_groups(items, item_labels, n_groups, rng):
    """Assign ``items`` to ``n_groups`` groups, dealing each class round-robin after a shuffle.

    Returns a list of ``n_groups`` sorted arrays of items.
    """
    items = np.asarray(items)
    groups = [[] for _ in range(n_groups)]
    offset = 0
    for c in np.unique(item_labels):
        members = items[item_labels == c]
        members = members[rng.permutation(len(members))]
        for j, m in enumerate(members):
            groups[(offset + j) % n_groups].append(m)
        offset += len(members)
    return [np.sort(np.asarray(g, dtype=items.dtype)) for g in groups]


def _windows_of(keys_sel, key_inv):
    return np.flatnonzero(np.isin(key_inv, keys_sel))


@PROTOCOLS.register("loso")
def _loso(subject, trial, session, labels, *, n_folds, seed):
    out = []
    for s in np.unique(subject.astype(str)):
        test = np.flatnonzero(subject.astype(str) == s)
        train = np.flatnonzero(subject.astype(str) != s)
        out.append((f"sub-{s}", train, test))
    return out


@PROTOCOLS.register("cross_subject_kfold")
def _cross_subject_kfold(subject, trial, session, labels, *, n_folds, seed):
    subs = np.unique(subject.astype(str))
    if len(subs) < n_folds:
        raise ConfigError(
            f"protocol 'cross_subject_kfold' needs at least n_folds = {n_folds} subjects, "
            f"got {len(subs)}. Lower n_folds or use protocol 'loso'."
        )
    rng = np.random.default_rng(seed)
    perm = subs[rng.permutation(len(subs))]
    out = []
    for k, group in enumerate(np.array_split(perm, n_folds)):
        is_test = np.isin(subject.astype(str), group)
        out.append((f"fold-{k}", np.flatnonzero(~is_test), np.flatnonzero(is_test)))
    return out


@PROTOCOLS.register("within_subject_kfold")
def _within_subject_kfold(subject, trial, session, labels, *, n_folds, seed):
    uniq, key_inv = _trial_keys(subject, trial)
    tlab = _trial_labels(key_inv, len(uniq), labels)
    rng = np.random.default_rng(seed)
    out = []
    for s in np.unique(uniq["s"]).tolist():  # plain str, so messages show 's01'
        keys = np.flatnonzero(uniq["s"] == s)
        if len(keys) < n_folds:
            raise ConfigError(
                f"protocol 'within_subject_kfold' needs at least n_folds = {n_folds} trials per "
                f"subject, but subject {s!r} has {len(keys)}. Lower n_folds."
            )
        lab = tlab[keys]
        # stratify only when every class can reach every fold
        _, counts = np.unique(lab, return_counts=True)
        if counts.min() < n_folds:
            lab = np.zeros_like(lab)
        groups = _stratified_groups(keys, lab, n_folds, rng)
        for k, g in enumerate(groups):
            test = _windows_of(g, key_inv)
            train = _windows_of(np.setdiff1d(keys, g), key_inv)
            out.append((f"sub-{s}_fold-{k}", train, test))
    return out


@PROTOCOLS.register("trs")
def _trs(subject, trial, session, labels, *, n_folds, seed):
    uniq, key_inv = _trial_keys(subject, trial)
    if len(uniq) < n_folds:
        raise ConfigError(
            f"protocol 'trs' needs at least n_folds = {n_folds} trials, got {len(uniq)}. "
            f"Lower n_folds."
        )
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(uniq))
    out = []
    for k, g in enumerate(np.array_split(perm, n_folds)):
        is_test = np.isin(key_inv, g)
        out.append((f"fold-{k}", np.flatnonzero(~is_test), np.flatnonzero(is_test)))
    return out


def _first_last(name, subject, trial, session, *, n_trials, n_train, hint):
    """Per (subject, session): the first ``n_train`` of ``n_trials`` trials train, the rest test."""
    out = []
    sub_str = subject.astype(str)
    for s in np.unique(sub_str).tolist():  # plain str and int, so messages show 's01', 0
        for ses in np.unique(session[sub_str == s]).tolist():
            sel = (sub_str == s) & (session == ses)
            trials = np.unique(trial[sel])
            if len(trials) != n_trials:
                raise ConfigError(
                    f"protocol {name!r} needs {n_trials} trials per (subject, session), but "
                    f"subject {s!r} session {ses!r} has {len(trials)}. {hint}"
                )
            train_trials, test_trials = trials[:n_train], trials[n_train:]
            train = np.flatnonzero(sel & np.isin(trial, train_trials))
            test = np.flatnonzero(sel & np.isin(trial, test_trials))
            out.append((f"sub-{s}_ses-{ses}", train, test))
    return out


@PROTOCOLS.register("seed_9_6")
def _seed_9_6(subject, trial, session, labels, *, n_folds, seed):
    return _first_last("seed_9_6", subject, trial, session, n_trials=15, n_train=9,
                       hint="Use 'within_subject_kfold' for datasets other than SEED.")


_seed_9_6.dataset = "seed"  # the dataset whose official split this is


@PROTOCOLS.register("seed_iv_16_8")
def _seed_iv_16_8(subject, trial, session, labels, *, n_folds, seed):
    return _first_last("seed_iv_16_8", subject, trial, session, n_trials=24, n_train=16,
                       hint="Use 'within_subject_kfold' for datasets other than SEED-IV.")


_seed_iv_16_8.dataset = "seed_iv"  # the dataset whose official split this is


@PROTOCOLS.register("seed_v_3fold")
def _seed_v_3fold(subject, trial, session, labels, *, n_folds, seed):
    # methods.md section 8.1: per subject, fold k tests trials 5k+1 ... 5k+5 of every session
    # (trial ids 1-45: session s holds 15 (s - 1) + 1 ... 15 s); n_folds is fixed at 3
    out = []
    sub_str = subject.astype(str)
    for s in np.unique(sub_str):
        sel = sub_str == s
        trials = np.unique(trial[sel])
        if not np.array_equal(trials, np.arange(1, 46)):
            raise ConfigError(
                f"protocol 'seed_v_3fold' needs the SEED-V trial ids 1-45 (15 trials x 3 "
                f"sessions) for every subject, but subject {str(s)!r} has {len(trials)} trials "
                f"({trials.min()}-{trials.max()}). Use 'within_subject_kfold' for other datasets.")
        pos = (trial - 1) % 15  # position within its session, 0-14
        for k in range(3):
            is_test = (pos >= 5 * k) & (pos < 5 * k + 5)
            out.append((f"sub-{s}_fold-{k}", np.flatnonzero(sel & ~is_test),
                        np.flatnonzero(sel & is_test)))
    return out


_seed_v_3fold.dataset = "seed_v"  # the dataset whose official split this is


@PROTOCOLS.register("cross_session")
def _cross_session(subject, trial, session, labels, *, n_folds, seed):
    out = []
    sub_str = subject.astype(str)
    for s in np.unique(sub_str).tolist():  # plain str, so messages show 's01'
        sel = sub_str == s
        sessions = np.unique(session[sel])
        if len(sessions) < 2:
            raise ConfigError(
                f"protocol 'cross_session' needs at least 2 sessions per subject, but subject "
                f"{s!r} has sessions {sessions.tolist()}. Use 'loso' or 'within_subject_kfold' "
                f"for a dataset without sessions."
            )
        for ses in sessions:
            test = np.flatnonzero(sel & (session == ses))
            train = np.flatnonzero(sel & (session != ses))
            out.append((f"sub-{s}_ses-{ses}", train, test))
    return out


def carve_validation(train, trial_key, *, val_fraction, seed, labels=None):
    """Move a seeded ``val_fraction`` of the training trials (whole trials) to validation.

    With ``labels``, the carve is stratified: each class gives
    ``round(val_fraction * n_trials_of_class)`` trials, and never its last
    training trial, so validation cannot take a rare class away from
    training (a subject with 3 high-arousal trials of 16 keeps 2 of them).

    Parameters
    ----------
    train : ndarray of int, shape (n_train,)
        Training window indices of a fold.
    trial_key : ndarray of int, shape (n_windows,)
        Id of each window's (subject, trial) pair.
    val_fraction : float
        Fraction of training trials moved, in ``[0, 1)``; at least one trial is
        moved when ``val_fraction > 0`` and the fold has two or more trials.
    seed : int
        Seed of the shuffle.
    labels : ndarray of int, shape (n_windows,) | None
        Class of each window (a trial's class is that of its first window);
        ``None`` carves without stratification.

    Returns
    -------
    train : ndarray of int, shape (n_train - n_val,)
        Remaining training windows.
    val : ndarray of int, shape (n_val,)
        Validation windows.
    """
    keys, first = np.unique(trial_key[train], return_index=True)
    rng = np.random.default_rng(seed)
    val_keys = np.zeros(0, keys.dtype)
    if val_fraction > 0 and labels is not None and len(keys) >= 2:
        klab = np.asarray(labels)[train[first]]
        picked = []
        for c in np.unique(klab):
            kc = keys[klab == c]
            n_c = min(int(round(val_fraction * len(kc))), len(kc) - 1)
            picked.append(kc[rng.permutation(len(kc))[:n_c]])
        val_keys = np.concatenate(picked)
    if val_fraction > 0 and len(keys) >= 2 and len(val_keys) == 0:
        n_val = min(max(int(round(val_fraction * len(keys))), 1), len(keys) - 1)
        val_keys = keys[rng.permutation(len(keys))[:n_val]]
    is_val = np.isin(trial_key[train], np.sort(val_keys))
    return np.sort(train[~is_val]), np.sort(train[is_val])


def make_folds(protocol, subject, trial, *, session=None, labels=None, n_folds=10,
               val_fraction=0.2, seed=0):
    """Build the folds of a named protocol.

    Parameters
    ----------
    protocol : str
        A key of :data:`PROTOCOLS`: ``"loso"``, ``"within_subject_kfold"``,
        ``"seed_9_6"``, ``"seed_iv_16_8"``, ``"seed_v_3fold"``, ``"cross_session"``, ``"trs"``,
        ``"cross_subject_kfold"``.
    subject : array-like of str, shape (n_windows,)
        Subject id of each window.
    trial : array-like of int, shape (n_windows,)
        Trial id of each window (unique within a subject).
    session : array-like of int, shape (n_windows,) | None
        Session of each window; ``None`` means one session (0).
    labels : array-like of int, shape (n_windows,) | None
        Class of each window: used to stratify trial folds and to refuse a
        fold whose training set holds a single class. ``None`` for
        continuous targets (no class checks).
    n_folds : int
        Number of folds for the k-fold protocols and ``trs``.
    val_fraction : float
        Fraction of each fold's training trials moved to validation.
    seed : int
        Seed of every shuffle.

    Returns
    -------
    folds : list of Fold
        In a deterministic order (sorted subjects, then fold number).
    """
    fn = PROTOCOLS.get(protocol)
    _check_type("n_folds", n_folds, ("int",))
    _check_type("val_fraction", val_fraction, ("numeric",))
    if not 0 <= val_fraction < 1:
        raise ConfigError(f"val_fraction must be in [0, 1), got {val_fraction!r}.")
    subject = _as_1d("subject", subject)
    n = subject.shape[0]
    trial = _as_1d("trial", trial, n)
    session = np.zeros(n, np.int64) if session is None else _as_1d("session", session, n)
    if labels is not None:
        labels = _as_1d("labels", labels, n)
    if protocol in NEEDS_SESSIONS and len(np.unique(session)) < 2:
        raise ConfigError(
            f"protocol {protocol!r} needs recording sessions, but the data has a single session "
            f"({np.unique(session).tolist()}). This dataset has no sessions: use 'loso' or "
            f"'within_subject_kfold'."
        )
    if protocol not in ("loso", "seed_9_6", "seed_iv_16_8", "seed_v_3fold",
                        "cross_session") and n_folds < 2:
        raise ConfigError(f"n_folds must be >= 2 for protocol {protocol!r}, got {n_folds}.")
    subject = subject.astype(str)
    _, key_inv = _trial_keys(subject, trial)
    raw = fn(subject, trial, session, labels, n_folds=n_folds, seed=seed)
    folds = []
    for k, (name, train, test) in enumerate(raw):
        train, val = carve_validation(train, key_inv, val_fraction=val_fraction, seed=seed + k,
                                      labels=labels)
        if labels is not None:
            classes = np.unique(labels[train])
            if len(classes) < 2:
                raise ConfigError(
                    f"fold {name!r} of protocol {protocol!r}: the training set holds a single "
                    f"class ({classes.tolist()}), so no classifier can be trained. Use a protocol "
                    f"that pools more trials (e.g. 'loso') or another target."
                )
        folds.append(Fold(name, train, np.sort(val), np.sort(test)))
    logger.info("Protocol %s: %d folds over %d windows of %d subjects", protocol, len(folds), n,
                len(np.unique(subject)))
    return folds


def _window_spec(windows):
    """``"a:b"`` for a contiguous run of indices, else ``;``-joined indices."""
    windows = np.sort(windows)
    if len(windows) and windows[-1] - windows[0] + 1 == len(windows):
        return f"{windows[0]}:{windows[-1] + 1}"
    return ";".join(str(w) for w in windows)


def write_folds(path, folds, subject, trial, window):
    """Write folds as CSV rows ``subject, trial, window, fold, split``.

    One row per (fold, split, subject, trial); since every protocol splits
    whole trials, ``window`` holds the trial's windows in the subject's
    window index as ``start:stop`` (contiguous) or ``i;j;k``.

    Parameters
    ----------
    path : path-like
        Output file (``folds.csv``).
    folds : list of Fold
        The folds.
    subject, trial, window : ndarray, shape (n_windows,)
        Subject id, trial id and within-subject window index of every window.

    Returns
    -------
    path : Path
        The written file.
    """
    path = Path(path)
    subject = np.asarray(subject).astype(str)
    trial = np.asarray(trial)
    window = np.asarray(window)
    with open(path, "w", newline="", encoding="utf-8") as fid:
        w = csv.writer(fid)
        w.writerow(["subject", "trial", "window", "fold", "split"])
        for fold in folds:
            for split in ("train", "val", "test"):
                idx = getattr(fold, split)
                if len(idx) == 0:
                    continue
                pairs = np.rec.fromarrays([subject[idx], trial[idx]], names="s,t")
                uniq, inv = np.unique(pairs, return_inverse=True)
                order = np.argsort(inv, kind="stable")
                bounds = np.searchsorted(inv[order], np.arange(len(uniq) + 1))
                for j, (s, t) in enumerate(uniq):
                    win = window[idx[order[bounds[j]:bounds[j + 1]]]]
                    w.writerow([s, int(t), _window_spec(win), fold.name, split])
    return path


def read_folds(path, subject, trial, window):
    """Read ``folds.csv`` back into folds over the given window index.

    Parameters
    ----------
    path : path-like
        A file written by :func:`write_folds`.
    subject, trial, window : ndarray, shape (n_windows,)
        The window index the folds refer to.

    Returns
    -------
    folds : list of Fold
        In file order.
    """
    subject = np.asarray(subject).astype(str)
    trial = np.asarray(trial)
    window = np.asarray(window)
    lookup = {(s, int(t), int(w)): i for i, (s, t, w) in enumerate(zip(subject, trial, window))}
    parts = {}
    with open(path, newline="", encoding="utf-8") as fid:
        for row in csv.DictReader(fid):
            spec = row["window"]
            if ":" in spec:
                a, b = spec.split(":")
                wins = range(int(a), int(b))
            else:
                wins = [int(x) for x in spec.split(";")]
            d = parts.setdefault(row["fold"], {"train": [], "val": [], "test": []})
            for wi in wins:
                key = (row["subject"], int(row["trial"]), wi)
                if key not in lookup:
                    raise ConfigError(
                        f"{Path(path).name}: subject {key[0]!r} trial {key[1]} window {wi} is not "
                        f"in the data. The folds belong to another cache."
                    )
                d[row["split"]].append(lookup[key])
    return [Fold(name, *(np.sort(np.asarray(d[s], dtype=np.int64)) for s in ("train", "val", "test")))
            for name, d in parts.items()]
