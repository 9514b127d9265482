"""t-SNE of the models' penultimate features on the test windows, per subject and pooled, scored.

:func:`run_tsne` reloads a run folder (:func:`~emopipe.distill.run_reader.load_run`),
takes the penultimate features (:meth:`RunFold.features_of`) of every model
(teacher, student alone = ``baseline``, distilled ``student``) of every fold on
the fold's test windows, embeds groups of windows in 2-D with openTSNE (FFT
gradients from 10 000 points on; scikit-learn's ``TSNE`` only when openTSNE is
missing) and scores how well the classes separate, so the picture's claim is
also a number:

- ``silhouette``: the silhouette of the classes in the 2-D embedding
  (scikit-learn ``silhouette_score``, Euclidean; in [-1, 1], 0 for no
  structure);
- ``knn_accuracy``: leave-one-out k-nearest-neighbour accuracy of the
  classes in the embedding (each window's class predicted by the majority
  of its ``k`` nearest other windows; chance is the majority-class share);
- ``knn_other_trials``: the same k-NN accuracy with the neighbours drawn
  from other trials only: the windows of one trial share its label and lie
  close together (same stimulus, same state), so the plain k-NN accuracy
  also counts trial identity as class separation;
- ``silhouette_features``: the silhouette in the penultimate features
  themselves (no t-SNE randomness);
- ``same_fold_knn``: the share of each window's ``k`` neighbours in the
  embedding that come from the same fold (1 when the group is one fold).

Groups (``scopes``):

- ``"fold"``: the test windows of one fold, in that fold's model.
- ``"subject"``: the test windows of one subject. Under leave-one-subject-out
  this is the fold; under a within-subject protocol (``seed_v_3fold``,
  ``within_subject_kfold``) a subject's test windows come from several fold
  models trained on that subject, and under ``cross_subject_kfold`` a fold's
  test set is split by subject.
- ``"pooled"``: every test window of the run.

Pooling across fold models. Each fold trains its own model, and the feature
axes of separately trained networks are not aligned (hidden units can be
permuted and rescaled), so a distance between windows of two folds means
nothing; there is no single cross-subject model whose features could be
pooled (a LOSO fold's model has trained on every other subject). What is
done: a group that spans several folds is embedded jointly after each fold's
features are z-scored over that fold's test windows (one scale per fold), and
``same_fold_knn`` reports how far the embedding's neighbourhoods stay within
folds (close to 1: the picture is the folds' pictures side by side, and its
scores are those of the folds, pooled). The scores remain comparable between
the models of a run, which see the same windows treated the same way; the
``mean`` rows of the table average the groups of a scope. Continuous targets
are coloured and scored by target tertile, computed over the group's windows.
"""

import logging
from pathlib import Path

import numpy as np

from ..utils._errors import ConfigError
from ._figure import PALETTE, new_figure, save_figure

logger = logging.getLogger("emopipe.analysis.embedding")

__all__ = ["embed_2d", "embed_run", "run_tsne", "separation_scores"]

#: the models a run holds, in panel order
ROLES = ("teacher", "baseline", "student")
#: groups of test windows an embedding is made of
SCOPES = ("fold", "subject", "pooled")
#: from this many points on openTSNE uses its FFT-interpolated gradients
FFT_FROM = 10_000
#: above this many points the silhouette is that of a seeded random sample of this size
#: (the exact silhouette is quadratic: 76 800 windows would take minutes)
SILHOUETTE_SAMPLE = 10_000
_ROLE_TITLES = {"teacher": "teacher", "baseline": "student alone", "student": "distilled student"}
_METRICS = ("silhouette", "knn_accuracy", "knn_other_trials", "silhouette_features",
            "same_fold_knn")


def _neighbours(X, k):
    """Indices of the ``k`` nearest other points of each point, shape (n, k)."""
    from sklearn.neighbors import NearestNeighbors

    n = X.shape[0]
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
    # drop each point itself (the first neighbour, or wherever a duplicate put it)
    own = idx == np.arange(n)[:, None]
    drop = np.where(own.any(1), own.argmax(1), k)
    keep = np.ones_like(idx, dtype=bool)
    keep[np.arange(n), drop] = False
    return idx[keep].reshape(n, k)


def _silhouette(X, labels):
    """Silhouette of ``labels`` among ``X`` (sampled above SILHOUETTE_SAMPLE points), or NaN."""
    from sklearn.metrics import silhouette_score

    n = X.shape[0]
    if not 2 <= len(np.unique(labels)) < n:
        return float("nan")
    sample = SILHOUETTE_SAMPLE if n > SILHOUETTE_SAMPLE else None
    return float(silhouette_score(X, labels, sample_size=sample, random_state=0))


def _votes_other_trials(X, trials, k):
    """The ``k`` nearest points of each point among windows of other trials, shape (n, k)."""
    from sklearn.neighbors import NearestNeighbors

    n = X.shape[0]
    _, sizes = np.unique(trials, return_counts=True)
    m = int(min(n, k + sizes.max()))  # enough to pass a whole trial
    _, idx = NearestNeighbors(n_neighbors=m).fit(X).kneighbors(X)
    other = trials[idx] != trials[:, None]
    # the first k other-trial neighbours of each row (rows have at least k when n - size >= k)
    order = np.argsort(~other, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(idx, order, axis=1), np.take_along_axis(other, order, axis=1)


def separation_scores(X, labels, *, k=5, groups=None, trials=None):
    """Silhouette and leave-one-out k-NN accuracy of ``labels`` among the points ``X``.

    Parameters
    ----------
    X : ndarray, shape (n_windows, n_dims)
        Points (an embedding, or features).
    labels : ndarray of int, shape (n_windows,)
        Class of each point.
    k : int
        Neighbours voting for each point (the point itself excluded).
    groups : ndarray, shape (n_windows,) | None
        Group (fold) of each point; adds ``same_fold_knn``.
    trials : ndarray, shape (n_windows,) | None
        Trial of each point (unique across subjects); adds
        ``knn_other_trials``, the k-NN accuracy with neighbours drawn from
        other trials only (windows of a trial share its label and sit close
        together, which a plain k-NN accuracy counts as separation).

    Returns
    -------
    scores : dict of str -> float
        ``silhouette`` (NaN with fewer than 2 classes or every point its own
        class; above :data:`SILHOUETTE_SAMPLE` points, that of a seeded
        random sample of that size), ``knn_accuracy``, with ``groups`` ``same_fold_knn`` (the
        share of the neighbours in the point's own group), with ``trials``
        ``knn_other_trials``.
    """
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    n = X.shape[0]
    if labels.shape != (n,):
        raise ConfigError(f"labels must have shape (n_windows,) = ({n},), got {labels.shape}.")
    if n < 3:
        raise ConfigError(f"separation scores need at least 3 windows, got {n}.")
    sil = _silhouette(X, labels)
    k = int(min(k, n - 1))
    votes = _neighbours(X, k)
    classes, inv = np.unique(labels, return_inverse=True)
    counts = np.zeros((n, len(classes)))
    np.add.at(counts, (np.repeat(np.arange(n), k), inv[votes].ravel()), 1)
    out = {"silhouette": sil, "knn_accuracy": float((counts.argmax(1) == inv).mean())}
    if groups is not None:
        groups = np.asarray(groups)
        out["same_fold_knn"] = float((groups[votes] == groups[:, None]).mean())
    if trials is not None:
        trials = np.asarray(trials)
        if trials.shape != (n,):
            raise ConfigError(f"trials must have shape (n_windows,) = ({n},), got "
                              f"{trials.shape}.")
        if len(np.unique(trials)) < 2:
            out["knn_other_trials"] = float("nan")
        else:
            v, ok = _votes_other_trials(X, trials, k)
            ok = ok.ravel()
            counts = np.zeros((n, len(classes)))
            np.add.at(counts, (np.repeat(np.arange(n), k)[ok], inv[v].ravel()[ok]), 1)
            out["knn_other_trials"] = float((counts.argmax(1) == inv).mean())
    return out


def embed_2d(X, *, perplexity=30.0, seed=0, n_jobs=1):
    """2-D t-SNE of ``X``: openTSNE if installed (FFT gradients for large sets), else scikit-learn.

    Parameters
    ----------
    X : ndarray, shape (n_windows, n_dims)
        Points.
    perplexity : float
        t-SNE perplexity; lowered to ``(n_windows - 1) / 3`` for small sets.
    seed : int
        Random state of the initialisation and optimisation.
    n_jobs : int
        Threads of the neighbour search and gradients.

    Returns
    -------
    Y : ndarray, shape (n_windows, 2)
        The embedding.
    backend : str
        ``"openTSNE-fft"`` (from :data:`FFT_FROM` points on: FFT-interpolated
        gradients, linear in the points), ``"openTSNE-bh"`` (Barnes-Hut, below)
        or ``"sklearn"``.
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    if n < 4:
        raise ConfigError(f"t-SNE needs at least 4 windows, got {n}.")
    perp = float(min(perplexity, (n - 1) / 3))
    try:
        import openTSNE
    except ImportError:
        from sklearn.manifold import TSNE

        Y = TSNE(n_components=2, perplexity=perp, init="pca", random_state=seed,
                 n_jobs=n_jobs).fit_transform(X)
        return np.asarray(Y), "sklearn"
    method = "fft" if n >= FFT_FROM else "bh"
    Y = openTSNE.TSNE(n_components=2, perplexity=perp, random_state=seed, n_jobs=n_jobs,
                      negative_gradient_method=method).fit(X)
    return np.asarray(Y), f"openTSNE-{method}"


def _classes(target, cohort, idx):
    """Class of each window (target tertile for continuous targets) and the class names."""
    if target["kind"] == "class":
        y, classes = cohort.target(target["name"], kind="class")
        return y[idx], [str(c) for c in classes]
    y, _ = cohort.target(target["name"], kind="continuous")
    yt = y[idx]
    edges = np.quantile(yt, [1 / 3, 2 / 3])
    return np.searchsorted(edges, yt, side="right"), ["low third", "middle third", "top third"]


def _zscore(F):
    sd = F.std(0)
    return (F - F.mean(0)) / np.where(sd > 0, sd, 1.0)


def embed_run(run, *, cohort=None, roles=None, scopes=("subject", "pooled"), subjects=None,
              perplexity=30.0, seed=0, k=5, n_jobs=1):
    """Embeddings and separation scores of a run's models, per group of test windows.

    Parameters
    ----------
    run : path-like | Run
        A run folder (or one read by :func:`~emopipe.distill.run_reader.load_run`).
    cohort : CohortData | path-like | None
        The run's data (checked against its data hash); ``None`` reads the
        cache the run recorded.
    roles : list of str | None
        Models to embed; default every model the run holds.
    scopes : sequence of str
        Groups to embed (:data:`SCOPES`): ``"fold"``, ``"subject"``, ``"pooled"``.
    subjects : list of str | None
        Only these subjects' windows (every scope); ``None`` for all.
    perplexity : float
        t-SNE perplexity.
    seed : int
        t-SNE random state.
    k : int
        Neighbours of the k-NN accuracy.
    n_jobs : int
        Threads of the t-SNE.

    Returns
    -------
    rows : list of dict
        One per (model, scope, group) and one ``group="mean"`` per (model,
        scope): ``role``, ``scope``, ``group``, ``n_windows``, ``n_folds``,
        ``silhouette``, ``knn_accuracy``, ``knn_other_trials``,
        ``silhouette_features``,
        ``same_fold_knn``, ``backend``.
    panels : dict
        ``(role, scope, group)`` -> dict with ``Y`` (n_windows, 2), ``y``
        (class of each window), ``names`` (class names), ``fold`` (fold of
        each window) and ``scores``.
    """
    from ..distill.run_reader import Run, load_run

    if not isinstance(run, Run):
        run = load_run(run)
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise ConfigError(f"scopes must be some of {list(SCOPES)}, got {list(scopes)}.")
    data = run.cohort(cohort)
    held = [r for r in ROLES if any(r in f.roles for f in run.folds)]
    roles = held if roles is None else list(roles)
    unknown = [r for r in roles if r not in held]
    if unknown:
        raise ConfigError(
            f"roles {unknown} are not in the run {run.path}; it holds {held}."
        )
    tested = sorted({str(s) for f in run.folds for s in np.unique(data.subject[f.test_idx])})
    if subjects is not None:
        subjects = [str(s) for s in subjects]
        missing = [s for s in subjects if s not in tested]
        if missing:
            raise ConfigError(
                f"subjects {missing} have no test windows in the run {run.path}; its test "
                f"subjects are {tested}."
            )
    rows, panels = [], {}
    for role in roles:
        # every fold's features of this model on its test windows (z-scored per fold)
        parts = []
        for fold in run.folds:
            if role not in fold.roles:
                continue
            idx = fold.test_idx
            keep = np.ones(len(idx), bool) if subjects is None else \
                np.isin(data.subject[idx], subjects)
            if not keep.any():
                continue
            test = {key: data.features[key][idx] for key in fold.inputs}
            F = fold.features_of(role, test, subject=data.subject[idx]).astype(np.float64)
            parts.append((fold, idx[keep], F[keep], _zscore(F)[keep]))
        for scope in scopes:
            for group, members in _groups(scope, parts, data):
                if sum(len(m[1]) for m in members) < 4:
                    logger.warning("%s %s %s: fewer than 4 windows, not embedded", role,
                                   scope, group)
                    continue
                row, panel = _embed_group(members, data, run, role, scope, group,
                                          perplexity, seed, k, n_jobs)
                rows.append(row)
                panels[(role, scope, group)] = panel
        for scope in scopes:
            mine = [r for r in rows if r["role"] == role and r["scope"] == scope]
            if mine:
                rows.append({"role": role, "scope": scope, "group": "mean",
                             "n_windows": int(sum(r["n_windows"] for r in mine)),
                             "n_folds": int(max(r["n_folds"] for r in mine)),
                             **{m: float(np.nanmean([r[m] for r in mine])) for m in _METRICS},
                             "backend": mine[0]["backend"]})
    return rows, panels


def _groups(scope, parts, data):
    """(group name, [(fold, idx, F, F_z) restricted to the group]) for one scope."""
    if scope == "fold":
        return [(fold.name, [(fold, idx, F, Fz)]) for fold, idx, F, Fz in parts]
    if scope == "pooled":
        return [("all", parts)]
    out = {}
    for fold, idx, F, Fz in parts:
        subj = data.subject[idx]
        for s in np.unique(subj):
            sel = subj == s
            out.setdefault(str(s), []).append((fold, idx[sel], F[sel], Fz[sel]))
    return sorted(out.items())


def _embed_group(members, data, run, role, scope, group, perplexity, seed, k, n_jobs):
    single = len(members) == 1
    F = members[0][2] if single else np.concatenate([m[3] for m in members])
    idx = np.concatenate([m[1] for m in members])
    fold_of = np.concatenate([np.full(len(m[1]), m[0].name, dtype=object) for m in members])
    y, names = _classes(members[0][0].target, data, idx)
    Y, backend = embed_2d(F, perplexity=perplexity, seed=seed, n_jobs=n_jobs)
    trial = np.char.add(np.char.add(data.subject[idx].astype(str), "/"),
                        data.trial[idx].astype(str))
    sc = separation_scores(Y, y, k=k, groups=fold_of, trials=trial)
    sf = _silhouette(np.asarray(F, dtype=np.float64), y)
    row = {"role": role, "scope": scope, "group": group, "n_windows": int(len(idx)),
           "n_folds": len(members), "silhouette": sc["silhouette"],
           "knn_accuracy": sc["knn_accuracy"], "knn_other_trials": sc["knn_other_trials"],
           "silhouette_features": sf,
           "same_fold_knn": sc["same_fold_knn"], "backend": backend}
    logger.info("%s %s %s: silhouette %.3f, %d-NN accuracy %.3f (%d windows, %d fold(s))",
                role, scope, group, sc["silhouette"], k, sc["knn_accuracy"], len(idx),
                len(members))
    return row, {"Y": Y, "y": y, "names": names, "fold": fold_of, "scores": sc}


def run_tsne(run, out=None, *, cohort=None, roles=None, scopes=("subject", "pooled"),
             subjects=None, perplexity=30.0, seed=0, k=5, max_panels=4, figure=True, n_jobs=1):
    """t-SNE of each model's penultimate features per subject and pooled, scored and drawn.

    Parameters
    ----------
    run : path-like | Run
        A run folder (or one read by :func:`~emopipe.distill.run_reader.load_run`).
    out : path-like | None
        Folder for ``tsne_scores.csv``, ``tsne.npz`` and one figure per
        scope (``tsne_<scope>.png``, ``.pdf``, ``.json``); ``None`` writes
        nothing.
    cohort : CohortData | path-like | None
        The run's data (checked against its data hash); ``None`` reads the
        cache the run recorded.
    roles : list of str | None
        Models to embed; default every model the run holds (teacher,
        student alone = ``baseline``, distilled ``student``).
    scopes : sequence of str
        Groups of windows (:data:`SCOPES`; see the module docstring).
    subjects : list of str | None
        Only these subjects' test windows; ``None`` for all.
    perplexity : float
        t-SNE perplexity.
    seed : int
        t-SNE random state.
    k : int
        Neighbours of the k-NN accuracy.
    max_panels : int
        Groups drawn per scope (the first ones); all are scored.
    figure : bool
        Draw the figures (when ``out`` is given).
    n_jobs : int
        Threads of the t-SNE.

    Returns
    -------
    rows : list of dict
        As :func:`embed_run`.
    """
    from ..distill.run_reader import Run, load_run

    if not isinstance(run, Run):
        run = load_run(run)
    rows, panels = embed_run(run, cohort=cohort, roles=roles, scopes=scopes, subjects=subjects,
                             perplexity=perplexity, seed=seed, k=k, n_jobs=n_jobs)
    if out is None:
        return rows
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_rows(out / "tsne_scores.csv", rows)
    arrays = {}
    for (role, scope, group), p in panels.items():
        arrays[f"{role}__{scope}__{group}__embedding"] = p["Y"]
        arrays[f"{role}__{scope}__{group}__label"] = p["y"]
    _savez(out / "tsne.npz", arrays)
    if figure:
        used = list(dict.fromkeys(r for r, _, _ in panels))
        titles = dict(_ROLE_TITLES)
        if run.config.get("method") == "none":
            titles["student"] = "student alone"
        for scope in scopes:
            groups = list(dict.fromkeys(g for _, s, g in panels if s == scope))[:max_panels]
            if not groups:
                continue
            grid = {(r, g): panels[(r, scope, g)] for r in used for g in groups
                    if (r, scope, g) in panels}
            sidecar = {"run": str(run.path), "config": run.config,
                       "data_hash": run.data_hash, "perplexity": perplexity, "seed": seed,
                       "k": k, "roles": used, "scope": scope, "groups": groups,
                       "scores": "tsne_scores.csv"}
            draw_panels(out / f"tsne_{scope}", grid, [titles.get(r, r) for r in used], used,
                        [_group_title(scope, g) for g in groups], groups, k, sidecar)
    return rows


def _group_title(scope, group):
    return {"subject": f"subject {group}", "pooled": "all test windows"}.get(scope, group)


def _savez(path, arrays):
    """``np.savez`` to ``path`` through a temporary file (nothing half-written)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fid:
        np.savez(fid, **arrays)
    tmp.replace(path)


def write_rows(path, rows):
    """Write a list of dicts as CSV (floats to 6 significant digits), atomically.

    Parameters
    ----------
    path : path-like
        The CSV file.
    rows : list of dict
        Rows with the same keys; the first row's keys are the header.
    """
    import csv

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fid:
        w = csv.DictWriter(fid, fieldnames=list(rows[0]))
        w.writeheader()
        for row in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    tmp.replace(path)


def draw_panels(stem, grid, row_titles, row_keys, col_titles, col_keys, k, sidecar, *, dpi=200):
    """Grid of embedding panels to ``stem``.pdf, .png and .json.

    Parameters
    ----------
    stem : path-like
        Output path without extension.
    grid : dict
        ``(row_key, col_key)`` -> panel (``Y``, ``y``, ``names``, ``scores``
        as :func:`embed_run` returns); a missing cell is left blank.
    row_titles, col_titles : list of str
        Labels of the rows and columns.
    row_keys, col_keys : list
        Keys of the rows and columns in ``grid``.
    k : int
        Neighbours of the k-NN accuracy (for the panel titles).
    sidecar : dict
        What the figure shows and came from.
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    paths : list of Path
        The PDF, PNG and JSON written.
    """
    nr, nc = len(row_keys), len(col_keys)
    fig, axes = new_figure(nr, nc, width=min(1.75 * nc + 0.3, 7.2), panel_height=1.75)
    names = None
    for i, rk in enumerate(row_keys):
        for j, ck in enumerate(col_keys):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(row_titles[i], fontsize=7)
            if i == nr - 1:
                ax.set_xlabel(col_titles[j], fontsize=7)
            if (rk, ck) not in grid:
                ax.set_frame_on(False)
                continue
            p = grid[(rk, ck)]
            Y, y, sc = p["Y"], p["y"], p["scores"]
            if names is None or len(p["names"]) > len(names):
                names = p["names"]
            for c in np.unique(y):
                sel = y == c
                ax.scatter(Y[sel, 0], Y[sel, 1], s=3, lw=0,
                           color=PALETTE[int(c) % len(PALETTE)], label=p["names"][int(c)])
            title = f"sil {sc['silhouette']:.2f}, {k}-NN {sc['knn_accuracy']:.2f}"
            if "knn_other_trials" in sc:
                title += f"\n{k}-NN from other trials {sc['knn_other_trials']:.2f}"
            ax.set_title(title, fontsize=6)
    if names is not None:
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], ls="", marker="o", ms=3, color=PALETTE[c % len(PALETTE)])
                   for c in range(len(names))]
        fig.legend(handles, names, loc="lower center", ncol=min(len(names), 5), fontsize=6,
                   frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return save_figure(fig, stem, {**sidecar, "figure": Path(stem).name}, dpi=dpi)
