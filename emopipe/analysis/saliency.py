"""Saliency maps: per-window attributions aggregated into (channel x band) matrices, and their files.

The pure part of ``emopipe saliency`` (numpy and h5py; no torch): attributions
of one model input, one value per cell of a window, are laid out as a
matrix (:func:`attribution_matrix`: rows are channels or features, columns
are bands), aggregated over windows, folds and subjects
(:func:`aggregate_attributions`) and written as CSV and HDF5
(:func:`write_saliency`, :func:`read_saliency`). The attributions
themselves come from :mod:`.saliency_attr` (captum), the run-folder driver
is :mod:`.saliency_run`, the figures :mod:`.saliency_plot`.

Aggregation. For output ``o`` (a class of a classification target, the one
output of a continuous target) the windows that count are the test windows
whose label is that class (every test window for a continuous target); the
attribution is that of output ``o`` on them. Each subject's matrix is the
mean over its windows (pooled over the folds that tested it) of
``|attribution|`` (the magnitude map; the signed mean is kept beside it);
the map is the mean over subjects (every subject weighs the same), its
spread the SD over subjects (``ddof=1``). A subject without a window of a
class gives NaN for that class and is left out of its mean.

Layouts (the cached axes of an input, batch excluded):

- ``("channel", "band")`` or ``("channel", "feature")`` (DE, PSD per band):
  rows are the channels, columns the bands, directly;
- ``("channel", "time")`` (raw windows): the window is split into
  band-filtered components plus the remainder (:mod:`.saliency_attr`);
  rows are the channels, columns the bands and ``"rest"``, each cell the
  attribution of that component summed over time (channel only, one
  column ``"all"``, when the input records no sampling rate);
- ``("feature",)`` (flat feature vectors, e.g. EOG features): rows are the
  features, one column ``"all"``;
- a leading ``"step"`` axis (step sequences such as ``eeg:band_power@13``,
  dims ``("step", "channel", "band")``): the attributions are summed over
  the steps (so the cells still add up to the model's output difference),
  then laid out as the remaining axes are;
- any other layout of two or more axes (face frames ``("time", "plane",
  "height", "width")``): one row per entry of the first axis (summed over
  the others), one column ``"all"``; a single other axis: one row per cell.
"""

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._version import __version__
from ..utils._errors import ConfigError, DataFileError

__all__ = ["SaliencyMap", "aggregate_attributions", "attribution_matrix", "read_saliency",
           "spearman", "top_cells", "write_saliency"]

#: the one column of inputs without a band axis
ALL = "all"
#: the column of the remainder outside the bands of a raw window
REST = "rest"


@dataclass
class SaliencyMap:
    """Aggregated attributions of one model input: per subject and over subjects.

    Parameters
    ----------
    key : str
        The input, ``"modality:feature"`` (e.g. ``"eeg:de"``).
    rows : list of str
        Row names (channels, or features).
    cols : list of str
        Column names (bands, ``"rest"``, or ``"all"``).
    outputs : list of str
        Output names: the classes (``"0"``, ``"1"``), or the target name.
    subjects : list of str
        Subject of each per-subject matrix.
    per_subject : ndarray, shape (n_subjects, n_outputs, n_rows, n_cols)
        Mean ``|attribution|`` of each subject's windows (NaN: no window).
    per_subject_signed : ndarray, shape (n_subjects, n_outputs, n_rows, n_cols)
        Mean signed attribution of each subject's windows.
    n_windows : ndarray of int, shape (n_subjects, n_outputs)
        Windows behind each per-subject matrix.
    row_label : str
        What a row is (``"channel"`` or ``"feature"``).
    col_label : str
        What a column is (``"band"`` or ``"value"``).
    attrs : dict
        Provenance: method, baseline, steps, role, run, ... (JSON values).
    """

    key: str
    rows: list
    cols: list
    outputs: list
    subjects: list
    per_subject: np.ndarray
    per_subject_signed: np.ndarray
    n_windows: np.ndarray
    row_label: str = "channel"
    col_label: str = "band"
    attrs: dict = field(default_factory=dict)

    @property
    def mean(self):
        """Mean over subjects, shape (n_outputs, n_rows, n_cols)."""
        return _nanmean(self.per_subject)

    @property
    def sd(self):
        """SD over subjects (``ddof=1``; NaN with fewer than 2), shape (n_outputs, n_rows, n_cols)."""
        return _nansd(self.per_subject)

    @property
    def mean_signed(self):
        """Mean over subjects of the signed maps, shape (n_outputs, n_rows, n_cols)."""
        return _nanmean(self.per_subject_signed)

    @property
    def n_subjects(self):
        """Subjects behind each output's map, shape (n_outputs,)."""
        return (self.n_windows > 0).sum(0)


def _nanmean(a):
    ok = np.isfinite(a)
    n = ok.sum(0)
    s = np.where(ok, a, 0.0).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def _nansd(a):
    ok = np.isfinite(a)
    n = ok.sum(0)
    m = _nanmean(a)
    d = np.where(ok, a - m, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1, np.sqrt((d ** 2).sum(0) / np.maximum(n - 1, 1)), np.nan)


def matrix_layout(dims, shape, meta, *, bands=None):
    """Row and column names of an input's attribution matrix.

    Parameters
    ----------
    dims : tuple of str
        The input's cached axes, with or without the leading ``"window"``.
    shape : tuple of int
        One window's shape.
    meta : dict
        Cached metadata (``ch_names``, ``band_names``, ``feature_names``).
    bands : list of str | None
        Band names a raw ``("channel", "time")`` input is split into;
        ``None``: one column ``"all"`` (channel only, bands n/a).

    Returns
    -------
    rows, cols : list of str
        Names of the matrix's rows and columns.
    row_label, col_label : str
        What a row and a column are.
    """
    dims = tuple(d for d in dims if d != "window")
    shape = tuple(shape)
    if len(dims) > 1 and dims[0] == "step" and len(shape) == len(dims):  # summed over steps
        dims, shape = dims[1:], shape[1:]
    meta = meta or {}

    def names(key, n, prefix):
        got = meta.get(key)
        return [str(v) for v in got] if got is not None and len(got) == n else \
            [f"{prefix}{i}" for i in range(n)]

    if len(dims) == 2 and dims[0] == "channel" and dims[1] in ("band", "feature"):
        cols_key = "band_names" if meta.get("band_names") is not None else "feature_names"
        return (names("ch_names", shape[0], "ch"), names(cols_key, shape[1], "band"),
                "channel", "band")
    if dims == ("channel", "time"):
        cols = [*map(str, bands), REST] if bands else [ALL]
        return names("ch_names", shape[0], "ch"), cols, "channel", "band"
    if dims == ("feature",):
        return names("feature_names", shape[0], "f"), [ALL], "feature", "value"
    if len(dims) >= 2:  # e.g. face frames (time, plane, height, width): one row per step
        return [f"{dims[0]}{i}" for i in range(shape[0])], [ALL], dims[0], "value"
    return [f"cell{i}" for i in range(int(np.prod(shape)))], [ALL], "feature", "value"


def attribution_matrix(attr, dims, *, split=False):
    """Lay per-window attributions out as (n_windows, n_rows, n_cols).

    Parameters
    ----------
    attr : ndarray, shape (n_windows, ...)
        Attributions in the input's cached window shape; for a raw input
        attributed per band component (``split``), shape (n_windows,
        n_components, n_channels), each component summed over time (as
        :func:`~emopipe.analysis.saliency_attr.attribute` returns it).
    dims : tuple of str
        The input's cached axes, with or without the leading ``"window"``.
    split : bool
        ``attr`` holds band components of a raw input.

    Returns
    -------
    matrix : ndarray, shape (n_windows, n_rows, n_cols)
        Per window, one value per (row, column) of :func:`matrix_layout`.
    """
    attr = np.asarray(attr)
    dims = tuple(d for d in dims if d != "window")
    n = attr.shape[0]
    if split:  # (n_windows, n_components, n_channels) -> channels first
        return attr.transpose(0, 2, 1)
    if len(dims) > 1 and dims[0] == "step":  # step sequences: summed over the steps
        attr, dims = attr.sum(1), dims[1:]
    if len(dims) == 2 and dims[0] == "channel" and dims[1] in ("band", "feature"):
        return attr
    if dims == ("channel", "time"):  # no band split: one value per channel
        return attr.sum(-1)[..., None]
    if len(dims) >= 2:  # summed over every axis but the first
        return attr.reshape(n, attr.shape[1], -1).sum(-1)[..., None]
    return attr.reshape(n, -1, 1)


def aggregate_attributions(matrix, subject, group, n_outputs):
    """Per-subject mean maps of each output: windows -> subjects, magnitude and signed.

    Parameters
    ----------
    matrix : ndarray, shape (n_windows, n_rows, n_cols)
        Attribution of each window (to the output of its group).
    subject : ndarray of str, shape (n_windows,)
        Subject of each window.
    group : ndarray of int, shape (n_windows,)
        Output whose attribution the window holds (its class; 0 for a
        continuous target).
    n_outputs : int
        Number of outputs.

    Returns
    -------
    subjects : list of str
        Sorted subject ids.
    per_subject : ndarray, shape (n_subjects, n_outputs, n_rows, n_cols)
        Mean ``|attribution|`` over each subject's windows of each group
        (NaN where there is none).
    per_subject_signed : ndarray, shape (n_subjects, n_outputs, n_rows, n_cols)
        Mean signed attribution.
    n_windows : ndarray of int, shape (n_subjects, n_outputs)
        Windows averaged.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    subject = np.asarray(subject).astype(str)
    group = np.asarray(group).astype(np.int64)
    if matrix.ndim != 3:
        raise ConfigError(f"matrix must have shape (n_windows, n_rows, n_cols), got "
                          f"{matrix.shape}.")
    n = matrix.shape[0]
    if subject.shape != (n,) or group.shape != (n,):
        raise ConfigError(f"subject and group must have shape (n_windows,) = ({n},), got "
                          f"{subject.shape} and {group.shape}.")
    if n and (group.min() < 0 or group.max() >= n_outputs):
        raise ConfigError(f"group must be in 0 .. n_outputs - 1 = {n_outputs - 1}, got "
                          f"values {group.min()} .. {group.max()}.")
    subjects, s_idx = np.unique(subject, return_inverse=True)
    shape = (len(subjects), n_outputs) + matrix.shape[1:]
    cell = s_idx * n_outputs + group
    counts = np.bincount(cell, minlength=shape[0] * n_outputs).reshape(shape[:2])
    out = []
    for values in (np.abs(matrix), matrix):
        sums = np.zeros((shape[0] * n_outputs,) + matrix.shape[1:])
        np.add.at(sums, cell, values)
        sums = sums.reshape(shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(counts[..., None, None] > 0,
                                sums / np.maximum(counts, 1)[..., None, None], np.nan))
    return [str(s) for s in subjects], out[0], out[1], counts


def spearman(a, b):
    """Spearman rank correlation of two maps over the cells finite in both.

    Parameters
    ----------
    a, b : ndarray
        Maps of the same shape.

    Returns
    -------
    rho : float
        The rank correlation (NaN when either map is constant or fewer than
        3 cells are finite).
    """
    from scipy.stats import rankdata

    a, b = np.asarray(a, float).ravel(), np.asarray(b, float).ravel()
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return float("nan")
    ra, rb = rankdata(a[ok]), rankdata(b[ok])
    if ra.std() == 0 or rb.std() == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


def top_cells(smap, output, k=5):
    """The ``k`` largest cells of an output's mean map.

    Parameters
    ----------
    smap : SaliencyMap
        The map.
    output : int
        Output index.
    k : int
        Number of cells.

    Returns
    -------
    cells : list of tuple
        ``(row, col, mean, sd)``, largest mean first (NaN cells last).
    """
    m, s = smap.mean[output], smap.sd[output]
    order = np.argsort(np.where(np.isfinite(m), -m, np.inf), axis=None, kind="stable")[:k]
    rr, cc = np.unravel_index(order, m.shape)
    return [(smap.rows[r], smap.cols[c], float(m[r, c]), float(s[r, c])) for r, c in zip(rr, cc)]


def _safe_key(key):
    return key.replace(":", "_").replace("+", "_").replace("/", "_")


def write_saliency(maps, out, *, attrs=None):
    """Write the maps: one CSV per (input, output) and one HDF5 file with everything.

    ``saliency_<modality>_<feature>_<output>.csv`` holds the mean map (rows
    named in the first column, one column per band); ``saliency.h5`` holds
    per input a group ``<modality>_<feature>`` with ``per_subject``,
    ``per_subject_signed``, ``n_windows``, ``mean``, ``sd`` and the names
    as attributes. Each file is written to a temporary name and renamed.

    Parameters
    ----------
    maps : list of SaliencyMap
        One per model input.
    out : path-like
        Output folder (created).
    attrs : dict | None
        Provenance stored as the file's JSON attribute ``provenance``.

    Returns
    -------
    paths : list of Path
        The CSV files, then the HDF5 file.
    """
    import h5py

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for smap in maps:
        mean = smap.mean
        for o, name in enumerate(smap.outputs):
            path = out / f"saliency_{_safe_key(smap.key)}_{_safe_key(str(name))}.csv"
            tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
            with open(tmp, "w", newline="", encoding="utf-8") as fid:
                w = csv.writer(fid)
                w.writerow([smap.row_label, *smap.cols])
                for r, row in enumerate(smap.rows):
                    w.writerow([row, *(repr(float(v)) for v in mean[o, r])])
            os.replace(tmp, path)
            paths.append(path)
    path = out / "saliency.h5"
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    str_t = h5py.string_dtype()
    with h5py.File(tmp, "w") as f:
        f.attrs["emopipe_version"] = __version__
        f.attrs["provenance"] = json.dumps(attrs or {}, default=str)
        for smap in maps:
            g = f.create_group(_safe_key(smap.key))
            g.attrs["key"] = smap.key
            g.attrs["row_label"] = smap.row_label
            g.attrs["col_label"] = smap.col_label
            g.attrs["attrs"] = json.dumps(smap.attrs, default=str)
            for name in ("rows", "cols", "outputs", "subjects"):
                g.create_dataset(name, data=np.array(getattr(smap, name), dtype=object),
                                 dtype=str_t)
            for name in ("per_subject", "per_subject_signed", "n_windows", "mean", "sd"):
                ds = g.create_dataset(name, data=np.asarray(getattr(smap, name)))
                ds.attrs["dims"] = {"per_subject": "subject output row col",
                                    "per_subject_signed": "subject output row col",
                                    "n_windows": "subject output"}.get(name, "output row col")
    os.replace(tmp, path)
    paths.append(path)
    return paths


def read_saliency(path):
    """Read the maps :func:`write_saliency` wrote to ``saliency.h5``.

    Parameters
    ----------
    path : path-like
        The HDF5 file.

    Returns
    -------
    maps : list of SaliencyMap
        One per input, in file order.
    provenance : dict
        The ``attrs`` given to :func:`write_saliency`.
    """
    import h5py

    path = Path(path)
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise DataFileError(f"{path}: not a readable HDF5 file ({err}).") from None
    with f:
        maps = []
        for name in f:
            g = f[name]

            def strs(k, g=g):
                return [v.decode() if isinstance(v, bytes) else str(v) for v in g[k][()]]

            maps.append(SaliencyMap(
                key=str(g.attrs["key"]), rows=strs("rows"), cols=strs("cols"),
                outputs=strs("outputs"), subjects=strs("subjects"),
                per_subject=g["per_subject"][()], per_subject_signed=g["per_subject_signed"][()],
                n_windows=g["n_windows"][()], row_label=str(g.attrs["row_label"]),
                col_label=str(g.attrs["col_label"]), attrs=json.loads(g.attrs["attrs"])))
        provenance = json.loads(f.attrs["provenance"])
    return maps, provenance
