"""Figures of a saliency map: heat map, per-band bars, scalp topomaps per band.

Each figure goes through :func:`~emopipe.analysis._figure.save_figure` (PDF,
PNG and a sidecar JSON). Magnitudes use the colour-blind-safe sequential map
:data:`~emopipe.analysis._figure.SEQUENTIAL`; one row of panels per output.
"""

import numpy as np

from ._figure import PALETTE, SEQUENTIAL, new_figure, save_figure
from .saliency import _nanmean, _nansd

__all__ = ["draw_bands", "draw_heatmap", "draw_topomaps"]


def _label(smap, o):
    """``arousal class 1`` for a class output, the target name for a continuous one."""
    if smap.attrs.get("target_kind") == "class":
        return f"{smap.attrs.get('target', 'class')} class {smap.outputs[o]}"
    return str(smap.outputs[o])


def draw_heatmap(smap, stem, sidecar):
    """Heat map of the mean map (rows x columns), one panel per output.

    Parameters
    ----------
    smap : SaliencyMap
        The map.
    stem : path-like
        Output path without extension.
    sidecar : dict
        Provenance for the sidecar JSON.

    Returns
    -------
    paths : list of Path
        PDF, PNG and JSON.
    """
    mean = smap.mean
    n_out, n_rows, n_cols = mean.shape
    height = min(9.0, 0.6 + 0.09 * n_rows)
    fig, axes = new_figure(1, n_out, width=min(7.0, 0.9 + 1.3 * n_out + 0.12 * n_cols * n_out),
                           panel_height=height)
    vmax = float(np.nanmax(mean)) if np.isfinite(mean).any() else 1.0
    for o in range(n_out):
        ax = axes[0, o]
        im = ax.imshow(mean[o], aspect="auto", cmap=SEQUENTIAL, vmin=0.0, vmax=vmax,
                       interpolation="nearest")
        ax.set_xticks(range(n_cols), smap.cols, rotation=45, ha="right")
        ax.set_yticks(range(n_rows), smap.rows if o == 0 else [""] * n_rows,
                      fontsize=4 if n_rows > 40 else 5)
        ax.set_title(_label(smap, o))
    fig.colorbar(im, ax=list(axes[0]), shrink=0.6, label="mean |attribution|")
    return save_figure(fig, stem, {**sidecar, "input": smap.key, "shows": "mean |attribution| "
                                   "over subjects, rows x columns"})


def draw_bands(smap, stem, sidecar):
    """Per-column bars (mean over rows), error bars the SD over subjects; one group per output.

    Parameters
    ----------
    smap : SaliencyMap
        The map.
    stem : path-like
        Output path without extension.
    sidecar : dict
        Provenance for the sidecar JSON.

    Returns
    -------
    paths : list of Path
        PDF, PNG and JSON.
    """
    with np.errstate(invalid="ignore"):
        per = np.nanmean(smap.per_subject, axis=2)  # (n_subjects, n_outputs, n_cols)
    mean, sd = _nanmean(per), _nansd(per)
    n_out, n_cols = mean.shape
    fig, axes = new_figure(1, 1, panel_height=1.8)
    ax = axes[0, 0]
    width = 0.8 / n_out
    x = np.arange(n_cols)
    for o in range(n_out):
        ax.bar(x + (o - (n_out - 1) / 2) * width, mean[o], width, yerr=np.nan_to_num(sd[o]),
               color=PALETTE[o % len(PALETTE)], label=_label(smap, o),
               error_kw={"lw": 0.6, "capsize": 1.5})
    ax.set_xticks(x, smap.cols)
    ax.set_ylabel(f"mean |attribution| per {smap.row_label}")
    ax.legend(frameon=False)
    return save_figure(fig, stem, {**sidecar, "input": smap.key, "shows": "per column: mean "
                                   "over rows of the subjects' maps, bars the mean over "
                                   "subjects, error bars their SD"})


def draw_topomaps(smap, montage, stem, sidecar):
    """Scalp maps per band (columns: bands, rows: outputs) with the montage's positions.

    Parameters
    ----------
    smap : SaliencyMap
        The map; its rows must be channels.
    montage : str | None
        MNE standard montage name of the dataset; ``None`` skips the figure.
    stem : path-like
        Output path without extension.
    sidecar : dict
        Provenance for the sidecar JSON.

    Returns
    -------
    paths : list of Path
        PDF, PNG and JSON (empty when skipped).
    missing : list of str
        Channels without a position in the montage (all of them when
        skipped for want of a montage).
    skipped : str | None
        Why no topomap was drawn, or ``None``.
    """
    from .topomap import channel_positions, plot_topomap

    if smap.row_label != "channel":
        return [], [], f"{smap.key} has no channel axis (its rows are features)"
    if montage is None:
        return [], list(smap.rows), "the dataset declares no montage (no channel positions)"
    info, picks, missing = channel_positions(smap.rows, montage)
    if info is None or len(picks) < 3:
        return [], missing, (f"fewer than 3 channels of {smap.key} have a position in "
                             f"{montage!r}")
    mean = smap.mean[:, picks, :]
    n_out, _, n_cols = mean.shape
    fig, axes = new_figure(n_out, n_cols, width=min(7.0, 1.2 * n_cols + 0.6), panel_height=1.2)
    vmax = float(np.nanmax(mean))
    for o in range(n_out):
        for c in range(n_cols):
            ax = axes[o, c]
            im = plot_topomap(mean[o, :, c], info, ax, vlim=(0.0, vmax), cmap=SEQUENTIAL)
            if o == 0:
                ax.set_title(smap.cols[c])
            if c == 0:
                ax.set_ylabel(_label(smap, o))
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6, label="mean |attribution|")
    if missing:
        fig.text(0.01, 0.01, f"no position in {montage}: {', '.join(missing)}", fontsize=5)
    paths = save_figure(fig, stem, {**sidecar, "input": smap.key, "montage": montage,
                                    "channels_without_position": missing,
                                    "shows": "mean |attribution| per channel, one map per band"})
    return paths, missing, None
