"""One way to draw and save a figure: colour-blind-safe palettes, column-width sizes, PDF + PNG + sidecar.

Every figure of the analysis stage goes through :func:`new_figure` and
:func:`save_figure`, so that each is written as vector PDF and PNG with a
sidecar JSON naming the run, its config and emopipe's version, and so that
matplotlib is imported here (inside the functions) and nowhere else.
"""

import json
from pathlib import Path

from .._version import __version__

__all__ = ["COLUMN_WIDTH", "DIVERGING", "PALETTE", "SEQUENTIAL", "new_figure", "save_figure"]

#: Okabe-Ito colours (colour-blind safe), in order of the classes
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")
#: colour-blind-safe perceptually uniform map for magnitudes (attributions)
SEQUENTIAL = "cividis"
#: colour-blind-safe diverging map for signed values
DIVERGING = "PuOr_r"
#: one journal column, in inches
COLUMN_WIDTH = 3.5

_RC = {"font.size": 7, "axes.titlesize": 7, "axes.labelsize": 7, "xtick.labelsize": 6,
       "ytick.labelsize": 6, "legend.fontsize": 6, "pdf.fonttype": 42, "ps.fonttype": 42,
       "savefig.bbox": "tight"}


def pyplot():
    """Return ``matplotlib.pyplot`` on the non-interactive Agg backend, with emopipe's sizes.

    Returns
    -------
    plt : module
        ``matplotlib.pyplot``.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update(_RC)
    return plt


def new_figure(n_rows=1, n_cols=1, *, width=COLUMN_WIDTH, panel_height=None, **kwargs):
    """Return a figure and a 2-D array of axes sized for a column.

    Parameters
    ----------
    n_rows, n_cols : int
        Grid of panels.
    width : float
        Figure width in inches (one column by default).
    panel_height : float | None
        Height of one row in inches; square panels when ``None``.
    **kwargs
        Passed to ``plt.subplots``.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.
    axes : ndarray of Axes, shape (n_rows, n_cols)
        Its panels.
    """
    plt = pyplot()
    if panel_height is None:
        panel_height = width / n_cols
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(width, panel_height * n_rows + 0.4),
                             squeeze=False, **kwargs)
    return fig, axes


def save_figure(fig, stem, sidecar, *, dpi=200):
    """Write ``fig`` to ``stem``.pdf (vector) and ``stem``.png with ``stem``.json beside them.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is closed afterwards.
    stem : str | Path
        Output path without extension.
    sidecar : dict
        What the figure shows and came from (the run, its config, ...);
        ``emopipe_version`` and the file names are added.
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    paths : list of Path
        The PDF, PNG and JSON written.
    """
    plt = pyplot()
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".pdf"), stem.with_suffix(".png"), stem.with_suffix(".json")]
    fig.savefig(paths[0])
    fig.savefig(paths[1], dpi=dpi)
    plt.close(fig)
    meta = {"figure": stem.name, **sidecar, "emopipe_version": __version__,
            "files": [p.name for p in paths[:2]]}
    tmp = paths[2].with_suffix(".json.tmp")
    with open(tmp, "w", encoding="utf-8") as fid:
        json.dump(meta, fid, indent=1, default=str)
    tmp.replace(paths[2])
    return paths
