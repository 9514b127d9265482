"""``emopipe saliency`` on a run folder: attributions on every fold's test windows, maps, check, files.

:func:`run_saliency` reloads a run (:func:`~emopipe.distill.run_reader.load_run`),
checks its cache against the data hash it was trained on, and for every fold
attributes the chosen model's output (the student by default, the teacher on
request) on the fold's test windows (:func:`.saliency_attr.attribute`;
integrated gradients with 32 steps and a zero baseline in the standardised
input space, i.e. the fold's training mean), lays the attributions out as
(channel x band) matrices and aggregates them over windows, folds and
subjects (:mod:`.saliency`). Beside the map it runs the cascading
randomisation check of Adebayo et al. (2018) on a subset of each fold's
test windows (:func:`.saliency_attr.cascading_randomisation`) and flags a map
that survives it. Written to ``out``: ``saliency.h5`` (per-subject
matrices), ``saliency_<input>_<output>.csv`` (channels x bands),
``saliency_check.csv`` (the randomisation steps), ``saliency_summary.json``
and the figures ``saliency_heatmap_<input>``, ``saliency_bands_<input>``,
``saliency_topomap_<input>`` (PDF, PNG, sidecar JSON).
"""

import csv
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..utils._checks import _check_option
from ..utils._errors import ConfigError, UnknownNameError
from .saliency import (SaliencyMap, _safe_key, aggregate_attributions, attribution_matrix,
                       matrix_layout, write_saliency)

logger = logging.getLogger("emopipe.analysis.saliency")

__all__ = ["SaliencyResult", "run_saliency"]

#: bands a raw window is split into when no input of the run records band edges
_RAW_BANDS = "torcheeg4"


@dataclass
class SaliencyResult:
    """What :func:`run_saliency` computed and wrote.

    Parameters
    ----------
    maps : list of SaliencyMap
        One per input of the model.
    check : list of dict
        Randomisation steps (``step``, ``layer``, ``spearman``), top layer first.
    flagged : bool
        The fully randomised map still has Spearman >= 0.3 with the trained map.
    baseline : str
        What the attribution baseline is.
    montage : str | None
        The dataset's montage.
    topomaps : dict of str -> str | None
        Per input, why its topomap was skipped (``None``: drawn).
    unpositioned : dict of str -> list of str
        Per input, its channels without a montage position.
    files : list of Path
        Everything written.
    """

    maps: list
    check: list
    flagged: bool
    baseline: str
    montage: str = None
    topomaps: dict = field(default_factory=dict)
    unpositioned: dict = field(default_factory=dict)
    files: list = field(default_factory=list)


def _dataset_of(run):
    """The dataset name the run's cache records, or ``None`` (and why)."""
    if run.cache is None:
        return None, "the run was trained on an in-memory cohort (no dataset recorded)"
    import h5py

    folder = Path(run.cache["folder"])
    for name in sorted(run.cache.get("files") or {}):
        try:
            with h5py.File(folder / name, "r") as f:
                ds = f.attrs.get("dataset")
        except OSError:
            continue
        if ds:
            return (ds.decode() if isinstance(ds, bytes) else str(ds)), None
    return None, f"the cache {folder} records no dataset"


def _montage(run, dataset):
    """The dataset's montage name, or ``None`` and why not."""
    from ..io import DATASETS

    why = None
    if dataset is None:
        dataset, why = _dataset_of(run)
    if dataset is None:
        return None, why
    try:
        cls = DATASETS.get(dataset)
    except (KeyError, UnknownNameError):
        return None, f"dataset {dataset!r} is not registered"
    montage = getattr(cls, "montage", None)
    if montage is None:
        return None, f"dataset {dataset!r} declares no montage (no channel positions)"
    return montage, None


def _raw_bands(fold):
    """Bands to split raw windows into: those of a band feature of the fold, else torcheeg4."""
    from ..features.bands import BAND_PRESETS

    for item in fold.inputs.values():
        meta = item["meta"] or {}
        if meta.get("band_names") and meta.get("band_edges"):
            return {str(n): tuple(e) for n, e in zip(meta["band_names"], meta["band_edges"])}
    return dict(BAND_PRESETS[_RAW_BANDS])


def _is_raw(item):
    return tuple(d for d in item["dims"] if d != "window") == ("channel", "time")


def _baseline_text(scope):
    return {"pooled": "zero in the standardised input = the fold's training mean",
            "per_subject": "zero in the standardised input = each subject's own mean",
            "none": "zero input (the run did not normalise)"}.get(
        scope, f"zero in the standardised input ({scope})")


class _FoldInputs:
    """One fold's test windows as the model sees them, with targets and layouts."""

    def __init__(self, fold, role, data, picks=None):
        self.fold = fold
        idx = fold.test_idx if picks is None else fold.test_idx[picks]
        self.subject = np.asarray(data.subject[idx]).astype(str)
        t = fold.target
        if t["kind"] == "class":
            y, _ = data.target(t["name"], kind="class")
            self.group = y[idx]
        else:
            self.group = np.zeros(len(idx), np.int64)
        self.keys = fold.input_keys(role)
        self.plan = fold.plan(role)
        self.arrays, self.split, self.layouts, self.bands = [], [], [], {}
        for key in self.keys:
            item = fold.inputs[key]
            X = fold.scalers[key].transform(data.features[key][idx], subject=self.subject)
            raw = _is_raw(item)
            sfreq = (item["meta"] or {}).get("sfreq")
            if raw and sfreq:
                self.bands[key] = _raw_bands(fold)
                self.split.append((float(sfreq), self.bands[key]))
            else:
                self.split.append(None)
            self.arrays.append(X)
            self.layouts.append(matrix_layout(item["dims"], item["shape"], item["meta"],
                                              bands=list(self.bands.get(key, ())) or None))

    def matrices(self, model, method, steps):
        from .saliency_attr import attribute

        attrs = attribute(model, self.arrays, self.group, shapes=self.plan.shapes,
                          split=self.split, method=method, steps=steps)
        return [attribution_matrix(a, self.fold.inputs[k]["dims"], split=s is not None)
                for a, k, s in zip(attrs, self.keys, self.split)]


def _aggregate(parts, keys, layouts, outputs, attrs):
    """SaliencyMaps from per-fold (matrices, subject, group) parts."""
    maps = []
    subject = np.concatenate([p[1] for p in parts])
    group = np.concatenate([p[2] for p in parts])
    for i, key in enumerate(keys):
        matrix = np.concatenate([p[0][i] for p in parts])
        subjects, per, signed, n = aggregate_attributions(matrix, subject, group, len(outputs))
        rows, cols, rl, cl = layouts[i]
        maps.append(SaliencyMap(key, rows, cols, list(outputs), subjects, per, signed, n,
                                row_label=rl, col_label=cl, attrs=attrs))
    return maps


def _flat(maps):
    return np.concatenate([m.mean.ravel() for m in maps])


def run_saliency(run, out=None, *, cohort=None, role="student", method="ig", steps=32,
                 check=True, check_windows=256, seed=0, dataset=None, figure=True):
    """Saliency maps of a run's model on every fold's test windows, with the randomisation check.

    Parameters
    ----------
    run : path-like | Run
        A run folder (or one read by :func:`~emopipe.distill.run_reader.load_run`).
    out : path-like | None
        Output folder; ``None`` writes nothing.
    cohort : CohortData | path-like | None
        The run's data (checked against its data hash); ``None`` reads the
        cache the run recorded.
    role : ``"student"`` | ``"teacher"`` | ``"baseline"``
        Which model to explain.
    method : ``"ig"`` | ``"saliency"`` | ``"input_x_gradient"``
        Attribution method (integrated gradients by default).
    steps : int
        Integration points of integrated gradients.
    check : bool
        Run the cascading randomisation check.
    check_windows : int
        Test windows per fold (evenly spaced) the check uses; the trained
        map it compares with is computed on the same windows.
    seed : int
        Seed of the randomisation.
    dataset : str | None
        Dataset whose montage places the channels; ``None`` reads it from
        the run's cache.
    figure : bool
        Draw the figures (when ``out`` is given).

    Returns
    -------
    result : SaliencyResult
        Maps, check steps, flag and files.
    """
    from ..distill.run_reader import Run, load_run
    from .saliency_attr import METHODS, SURVIVES, cascading_randomisation

    _check_option("method", method, tuple(METHODS))
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ConfigError(f"steps must be an int >= 1, got {steps!r}.")
    if not isinstance(run, Run):
        run = load_run(run)
    folds = [f for f in run.folds if role in f.roles]
    if not folds:
        held = sorted({r for f in run.folds for r in f.roles})
        raise ConfigError(
            f"The run {run.path} holds no {role!r} model (it holds {held}); "
            + ("rerun 'emopipe distill' without --teacher-only to train students."
               if role != "teacher" else "its config trained no teacher (method 'none').")
        )
    data = run.cohort(cohort)
    t = folds[0].target
    outputs = [str(c) for c in t["classes"]] if t["kind"] == "class" else [t["name"]]
    scope = folds[0].record["normalise"]["scope"]
    baseline = _baseline_text(scope)
    attrs = {"method": method, "captum": METHODS[method], "steps": int(steps) if method == "ig"
             else None, "baseline": baseline, "role": role, "run": str(run.path),
             "data_hash": run.data_hash, "target": t["name"], "target_kind": t["kind"],
             "aggregation": "per output: windows of that class (all for a continuous target), "
                            "mean |attribution| per subject, then mean and SD over subjects",
             "quadrature": "gausslegendre" if method == "ig" else None}

    parts, models, fins = [], [], []
    for fold in folds:
        fin = _FoldInputs(fold, role, data)
        model = fold.model(role)
        parts.append((fin.matrices(model, method, steps), fin.subject, fin.group))
        models.append(model)
        logger.info("%s: %s of the %s on %d test windows", fold.name, method, role,
                    len(fin.subject))
        fins.append(fin)
    keys, layouts = fins[0].keys, fins[0].layouts
    bands = next((f.bands for f in fins if f.bands), {})
    if bands:
        attrs["raw_band_split"] = {k: {n: list(e) for n, e in b.items()} for k, b in bands.items()}
    maps = _aggregate(parts, keys, layouts, outputs, attrs)

    steps_out, flagged = [], False
    if check:
        subs = []
        for fold in folds:
            n = len(fold.test_idx)
            picks = np.unique(np.linspace(0, n - 1, min(n, check_windows)).round().astype(int))
            subs.append(_FoldInputs(fold, role, data, picks=picks))

        def map_of(ms):
            sub_parts = [(fi.matrices(m, method, steps), fi.subject, fi.group)
                         for fi, m in zip(subs, ms)]
            return _flat(_aggregate(sub_parts, keys, layouts, outputs, attrs))

        _, steps_out = cascading_randomisation(models, map_of, seed=seed)
        last = steps_out[-1]["spearman"] if steps_out else float("nan")
        flagged = bool(np.isfinite(last) and last >= SURVIVES)
    result = SaliencyResult(maps, steps_out, flagged, baseline)
    result.montage, why = _montage(run, dataset)
    if out is not None:
        _write(result, Path(out), run, why, attrs, figure, check_windows)
    return result


def _write(result, out, run, montage_why, attrs, figure, check_windows):
    from .saliency_plot import draw_bands, draw_heatmap, draw_topomaps

    out.mkdir(parents=True, exist_ok=True)
    prov = {**attrs, "config": run.config, "check_windows_per_fold": check_windows,
            "randomisation": result.check, "flagged": result.flagged}
    files = write_saliency(result.maps, out, attrs=prov)
    if result.check:
        path = out / "saliency_check.csv"
        tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
        with open(tmp, "w", newline="", encoding="utf-8") as fid:
            w = csv.writer(fid)
            w.writerow(["step", "layer", "spearman"])
            for s in result.check:
                w.writerow([s["step"], s["layer"], f"{s['spearman']:.6g}"])
        os.replace(tmp, path)
        files.append(path)
    sidecar = {"run": str(run.path), "config": run.config, "data_hash": run.data_hash,
               **{k: attrs[k] for k in ("method", "steps", "baseline", "role", "target")}}
    for smap in result.maps:
        key = _safe_key(smap.key)
        if figure:
            files += draw_heatmap(smap, out / f"saliency_heatmap_{key}", sidecar)
            files += draw_bands(smap, out / f"saliency_bands_{key}", sidecar)
        if smap.row_label != "channel":
            result.topomaps[smap.key] = f"{smap.key} has no channel axis (its rows are features)"
            continue
        if result.montage is None:
            result.topomaps[smap.key] = montage_why
            result.unpositioned[smap.key] = list(smap.rows)
            continue
        if figure:
            paths, missing, skipped = draw_topomaps(smap, result.montage,
                                                    out / f"saliency_topomap_{key}", sidecar)
            files += paths
        else:
            from .topomap import channel_positions

            _, _, missing = channel_positions(smap.rows, result.montage)
            skipped = "figures not drawn (figure=False)"
        result.topomaps[smap.key] = skipped
        result.unpositioned[smap.key] = missing
    summary = {**prov, "montage": result.montage, "topomaps": result.topomaps,
               "channels_without_position": result.unpositioned,
               "inputs": [m.key for m in result.maps]}
    path = out / "saliency_summary.json"
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fid:
        json.dump(summary, fid, indent=1, default=str)
    os.replace(tmp, path)
    files.append(path)
    result.files = files
