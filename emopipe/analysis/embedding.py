"""t-SNE of the models' penultimate features on each fold's test windows, with separation scores.

:func:`run_tsne` reloads a run folder (:func:`~emopipe.distill.run_reader.load_run`),
takes the penultimate features (:meth:`RunFold.features_of`) of every model of
every fold on the fold's test windows, embeds each (model, fold) in 2-D with
openTSNE when it is installed (else scikit-learn's ``TSNE``) and scores how
well the classes separate, so the picture's claim is also a number:

- ``silhouette``: the silhouette of the classes in the 2-D embedding
  (scikit-learn ``silhouette_score``, Euclidean; in [-1, 1], 0 for no
  structure);
- ``knn_accuracy``: leave-one-out k-nearest-neighbour accuracy of the
  classes in the embedding (each window's class predicted by the majority
  of its ``k`` nearest other windows; chance is the majority-class share);
- ``silhouette_features``: the silhouette in the penultimate features
  themselves (no t-SNE randomness).

Each fold is its own model, so embeddings are not pooled across folds; the
``mean`` rows of the table average the folds. Continuous targets are
coloured and scored by target tertile.
"""

import logging
from pathlib import Path

import numpy as np

from ..utils._errors import ConfigError
from ._figure import PALETTE, new_figure, save_figure

logger = logging.getLogger("emopipe.analysis.embedding")

__all__ = ["embed_2d", "run_tsne", "separation_scores"]

#: the models a run holds, in panel order
ROLES = ("teacher", "baseline", "student")
_ROLE_TITLES = {"teacher": "teacher", "baseline": "student alone", "student": "distilled student"}


def separation_scores(X, labels, *, k=5):
    """Silhouette and leave-one-out k-NN accuracy of ``labels`` among the points ``X``.

    Parameters
    ----------
    X : ndarray, shape (n_windows, n_dims)
        Points (an embedding, or features).
    labels : ndarray of int, shape (n_windows,)
        Class of each point.
    k : int
        Neighbours voting for each point (the point itself excluded).

    Returns
    -------
    scores : dict of str -> float
        ``silhouette`` (NaN with fewer than 2 classes or every point its own
        class) and ``knn_accuracy``.
    """
    from sklearn.metrics import silhouette_score
    from sklearn.neighbors import NearestNeighbors

    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels)
    n = X.shape[0]
    if labels.shape != (n,):
        raise ConfigError(f"labels must have shape (n_windows,) = ({n},), got {labels.shape}.")
    if n < 3:
        raise ConfigError(f"separation scores need at least 3 windows, got {n}.")
    n_labels = len(np.unique(labels))
    sil = float(silhouette_score(X, labels)) if 2 <= n_labels < n else float("nan")
    k = int(min(k, n - 1))
    nn = NearestNeighbors(n_neighbors=k + 1).fit(X)
    _, idx = nn.kneighbors(X)
    # drop each point itself (the first neighbour, or wherever a duplicate put it)
    votes = np.array([[j for j in row if j != i][:k] for i, row in enumerate(idx)])
    classes, inv = np.unique(labels, return_inverse=True)
    counts = np.zeros((n, len(classes)))
    np.add.at(counts, (np.repeat(np.arange(n), k), inv[votes].ravel()), 1)
    knn = float((counts.argmax(1) == inv).mean())
    return {"silhouette": sil, "knn_accuracy": knn}


def embed_2d(X, *, perplexity=30.0, seed=0):
    """2-D t-SNE of ``X``: openTSNE (FFT gradients) if installed, else scikit-learn.

    Parameters
    ----------
    X : ndarray, shape (n_windows, n_dims)
        Points.
    perplexity : float
        t-SNE perplexity; lowered to ``(n_windows - 1) / 3`` for small sets.
    seed : int
        Random state of the initialisation and optimisation.

    Returns
    -------
    Y : ndarray, shape (n_windows, 2)
        The embedding.
    backend : str
        ``"openTSNE"`` or ``"sklearn"``.
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
                 n_jobs=1).fit_transform(X)
        return np.asarray(Y), "sklearn"
    Y = openTSNE.TSNE(n_components=2, perplexity=perp, random_state=seed, n_jobs=1).fit(X)
    return np.asarray(Y), "openTSNE"


def _classes(fold, cohort, idx):
    """Class of each window (target tertile for continuous targets) and the class names."""
    t = fold.target
    if t["kind"] == "class":
        y, classes = cohort.target(t["name"], kind="class")
        return y[idx], [str(c) for c in classes]
    y, _ = cohort.target(t["name"], kind="continuous")
    yt = y[idx]
    edges = np.quantile(yt, [1 / 3, 2 / 3])
    return np.searchsorted(edges, yt, side="right"), ["low third", "middle third", "top third"]


def run_tsne(run, out=None, *, cohort=None, roles=None, perplexity=30.0, seed=0, k=5,
             max_panels=4, figure=True):
    """t-SNE of each model's penultimate features per fold, scored and drawn.

    Parameters
    ----------
    run : path-like | Run
        A run folder (or one read by :func:`~emopipe.distill.run_reader.load_run`).
    out : path-like | None
        Folder for ``tsne_scores.csv``, ``tsne.npz`` and the figure
        (``tsne.png``, ``tsne.pdf``, ``tsne.json``); ``None`` writes nothing.
    cohort : CohortData | path-like | None
        The run's data (checked against its data hash); ``None`` reads the
        cache the run recorded.
    roles : list of str | None
        Models to embed; default every model the run holds (teacher,
        student alone = ``baseline``, distilled ``student``).
    perplexity : float
        t-SNE perplexity.
    seed : int
        t-SNE random state.
    k : int
        Neighbours of the k-NN accuracy.
    max_panels : int
        Folds drawn (the first ones); all are scored.
    figure : bool
        Draw the figure (when ``out`` is given).

    Returns
    -------
    rows : list of dict
        One per (model, fold) and one ``fold="mean"`` per model: ``role``,
        ``fold``, ``n_windows``, ``silhouette``, ``knn_accuracy``,
        ``silhouette_features``, ``backend``.
    """
    from ..distill.run_reader import Run, load_run

    if not isinstance(run, Run):
        run = load_run(run)
    data = run.cohort(cohort)
    held = [r for r in ROLES if any(r in f.roles for f in run.folds)]
    roles = held if roles is None else list(roles)
    unknown = [r for r in roles if r not in held]
    if unknown:
        raise ConfigError(
            f"roles {unknown} are not in the run {run.path}; it holds {held}."
        )
    rows, panels, arrays = [], {}, {}
    for fold in run.folds:
        idx = fold.test_idx
        y, names = _classes(fold, data, idx)
        test = {key: data.features[key][idx] for key in fold.inputs}
        for role in roles:
            if role not in fold.roles:
                continue
            F = fold.features_of(role, test, subject=data.subject[idx])
            Y, backend = embed_2d(F, perplexity=perplexity, seed=seed)
            sc = separation_scores(Y, y, k=k)
            sf = separation_scores(F, y, k=k)["silhouette"]
            rows.append({"role": role, "fold": fold.name, "n_windows": int(len(idx)),
                         "silhouette": sc["silhouette"], "knn_accuracy": sc["knn_accuracy"],
                         "silhouette_features": sf, "backend": backend})
            panels[(role, fold.name)] = (Y, y, names, sc)
            arrays[f"{role}__{fold.name}__embedding"] = Y
            arrays[f"{role}__{fold.name}__label"] = y
            logger.info("%s %s: silhouette %.3f, %d-NN accuracy %.3f (%d windows)", fold.name,
                        role, sc["silhouette"], k, sc["knn_accuracy"], len(idx))
    for role in roles:
        mine = [r for r in rows if r["role"] == role and r["fold"] != "mean"]
        rows.append({"role": role, "fold": "mean",
                     "n_windows": int(sum(r["n_windows"] for r in mine)),
                     **{m: float(np.nanmean([r[m] for r in mine]))
                        for m in ("silhouette", "knn_accuracy", "silhouette_features")},
                     "backend": mine[0]["backend"]})
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        _write_rows(out / "tsne_scores.csv", rows)
        np.savez(out / "tsne.npz", **arrays)
        if figure:
            folds = [f.name for f in run.folds][:max_panels]
            titles = dict(_ROLE_TITLES)
            if run.config.get("method") == "none":
                titles["student"] = "student alone"
            sidecar = {"run": str(run.path), "config": run.config, "data_hash": run.data_hash,
                       "perplexity": perplexity, "seed": seed, "k": k, "roles": roles,
                       "folds": folds, "scores": "tsne_scores.csv"}
            _draw(out / "tsne", panels, roles, folds, k, titles, sidecar)
    return rows


def _write_rows(path, rows):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fid:
        w = csv.DictWriter(fid, fieldnames=list(rows[0]))
        w.writeheader()
        for row in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def _draw(stem, panels, roles, folds, k, titles, sidecar):
    """Grid of panels (rows: models, columns: folds) to ``stem``.pdf, .png and .json."""
    nr, nc = len(roles), len(folds)
    fig, axes = new_figure(nr, nc, width=1.75 * nc + 0.3, panel_height=1.75)
    names = None
    for i, role in enumerate(roles):
        for j, fold in enumerate(folds):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if (role, fold) not in panels:
                ax.set_axis_off()
                continue
            Y, y, names, sc = panels[(role, fold)]
            for c in np.unique(y):
                sel = y == c
                ax.scatter(Y[sel, 0], Y[sel, 1], s=4, lw=0, color=PALETTE[int(c) % len(PALETTE)],
                           label=names[int(c)])
            ax.set_title(f"sil {sc['silhouette']:.2f}, {k}-NN {sc['knn_accuracy']:.2f}",
                         fontsize=6)
            if j == 0:
                ax.set_ylabel(titles.get(role, role), fontsize=7)
            if i == nr - 1:
                ax.set_xlabel(fold, fontsize=7)
    if names is not None:
        handles, labels = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=6,
                   frameon=False, markerscale=2)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    save_figure(fig, stem, {**sidecar, "figure": "tsne"})
