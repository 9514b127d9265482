"""Cross-fitted (out-of-fold) teacher targets for the student's training windows.

A fold's teacher is trained on the fold's training windows, so on those
windows its outputs partly reproduce the labels it fitted, label noise
included: distilling from them hands the student back the noisy labels
(on the ``kd`` cohort the in-sample teacher agrees with the noisy training
labels on 0.91 of the windows, with the latent class on 0.87; on held-out
windows it agrees with the latent more than with the labels). The remedy
is cross-fitting: the training trials are split into ``k`` inner groups
(each subject's trials spread over the groups), an inner teacher is trained
on the other ``k - 1`` groups (early stopping on the fold's validation
windows, as the fold's teacher) and gives the logits of the held-out group.
No window's target comes from a teacher that saw its trial, and the test
windows are never touched.

Features of different inner teachers live in different spaces (hidden units
are not aligned), so the held-out features are mapped into the fold
teacher's space by a least-squares affine map fitted on the inner teacher's
own training windows (inner features -> fold-teacher features); feature
methods (FitNet, CRD, CMCRD) then see one coherent teacher space.
"""

import numpy as np
import torch

from ..utils._errors import ConfigError


def inner_groups(train_idx, subject, trial, k, seed):
    """Split a fold's training windows into ``k`` groups of whole trials.

    Within each subject the trials are shuffled and dealt round-robin to the
    groups (from a random starting group), so every inner teacher sees every
    training subject and every trial lies in exactly one group.

    Parameters
    ----------
    train_idx : ndarray of int, shape (n_train,)
        Window indices of the fold's training set.
    subject, trial : ndarray, shape (n_windows,)
        Subject and trial of every window of the cohort.
    k : int
        Number of groups.
    seed : int
        Seed of the shuffle.

    Returns
    -------
    groups : list of ndarray of int, each shape (n_j,)
        Positions into ``train_idx`` (not window indices) of each group's
        windows; together a partition of ``range(n_train)``.
    """
    train_idx = np.asarray(train_idx)
    sub = np.asarray(subject)[train_idx].astype(str)
    tri = np.asarray(trial)[train_idx].astype(str)
    rng = np.random.default_rng(seed)
    group = np.empty(len(train_idx), int)
    n_trials = 0
    for s in np.unique(sub):
        rows = np.flatnonzero(sub == s)
        trials, inv = np.unique(tri[rows], return_inverse=True)
        n_trials += len(trials)
        deal = np.empty(len(trials), int)
        deal[rng.permutation(len(trials))] = (np.arange(len(trials)) + rng.integers(k)) % k
        group[rows] = deal[inv]
    if n_trials < k:
        raise ConfigError(
            f"teacher_folds={k} but the fold's training set has only {n_trials} trial(s); "
            f"cross-fitting needs at least one trial per inner fold. Lower teacher_folds or use "
            f"teacher_targets='in_sample'.")
    return [np.flatnonzero(group == j) for j in range(k)]


def _affine_map(f_from, f_to):
    """Least-squares ``W`` with ``[f_from, 1] @ W ~ f_to`` (float64)."""
    a = np.concatenate([f_from, np.ones((len(f_from), 1))], axis=1)
    w, *_ = np.linalg.lstsq(a, f_to, rcond=None)
    return w


def cross_fit_targets(train_teacher, predict, X_train, groups, f_fold):
    """Out-of-fold teacher logits and features of the training windows.

    Parameters
    ----------
    train_teacher : callable
        ``train_teacher(j, positions) -> (model, info)``: a fresh inner
        teacher ``j`` trained on the training windows at ``positions``.
    predict : callable
        ``predict(model, X) -> (logits, features)`` (the fit loop's
        ``_predict``).
    X_train : list of Tensor, shape (n_train, ...)
        Teacher inputs of the fold's training windows.
    groups : list of ndarray of int
        Held-out positions of each inner fold (:func:`inner_groups`).
    f_fold : Tensor, shape (n_train, n_feat)
        The fold teacher's features of the training windows (the space the
        held-out features are mapped into).

    Returns
    -------
    logits : Tensor, shape (n_train, ...)
        Each window's logits from the inner teacher that held it out.
    features : Tensor, shape (n_train, n_feat)
        Each window's inner-teacher features mapped into the fold teacher's
        space.
    infos : list of dict
        The inner teachers' training records.
    """
    n = X_train[0].shape[0]
    z_out, f_out, infos = None, None, []
    f_ref = f_fold.detach().cpu().double().numpy()
    for j, held in enumerate(groups):
        keep = np.setdiff1d(np.arange(n), held)
        model, info = train_teacher(j, keep)
        infos.append(info)
        held_t = torch.as_tensor(held, device=X_train[0].device)
        keep_t = torch.as_tensor(keep, device=X_train[0].device)
        z_h, f_h = predict(model, [x[held_t] for x in X_train])
        _, f_k = predict(model, [x[keep_t] for x in X_train])
        w = _affine_map(f_k.cpu().double().numpy(), f_ref[keep])
        mapped = np.concatenate([f_h.cpu().double().numpy(), np.ones((len(held), 1))], axis=1) @ w
        if z_out is None:
            z_out = torch.zeros((n, *z_h.shape[1:]), dtype=z_h.dtype, device=z_h.device)
            f_out = torch.zeros((n, f_ref.shape[1]), dtype=f_fold.dtype, device=f_fold.device)
        z_out[held_t] = z_h
        f_out[held_t] = torch.as_tensor(mapped, dtype=f_fold.dtype, device=f_fold.device)
    return z_out, f_out, infos
