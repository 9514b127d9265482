"""The run folder: its config and versions, checkpoints, arrays, tables and resume keys.

Layout::

    <out>/config.yaml  versions.json  folds.csv  metrics_fold.csv
          metrics_subject.csv  summary.json
          predictions/<fold>.npz   test_idx + test outputs of each model (resume key)
          predictions/<fold>.json  training record (best epoch, validation curve,
                                   feedback steps, dynamic KD weight)
          checkpoints/<fold>/{teacher,student,baseline}.pt   (state dicts)
          teacher_cache/<fold>.npz  train/val indices, teacher logits and features

``config.yaml`` carries ``result_hash``, the hash of the config without its
runtime fields (:data:`~emopipe.distill.config._RUNTIME_FIELDS`); a folder
holding another result hash is not resumed. Checkpoints are state dicts;
load them with ``torch.load(path, weights_only=True)``. Files are written to
a temporary name and then renamed.
"""

import csv
import json
import os
import platform
from pathlib import Path

import numpy as np
import torch

from .._version import __version__
from ..utils.config import config_hash, config_to_dict, read_yaml
from .config import _RUNTIME_FIELDS


def _save_npz(path, **arrays):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _save_state(path, model):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, path)


def _safe_name(name):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _write_csv(path, rows):
    if not rows:
        return
    keys = list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as fid:
        w = csv.DictWriter(fid, fieldnames=keys)
        w.writeheader()
        for row in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def versions():
    """Versions of the software a run depends on.

    Returns
    -------
    versions : dict of str -> str
        ``python``, ``torch``, ``numpy``, ``scipy``, ``emopipe``, ``platform``.
    """
    import scipy

    return {"python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__, "emopipe": __version__,
            "platform": platform.platform()}


def _result_hash(config):
    d = config_to_dict(config)
    for k in _RUNTIME_FIELDS:
        d.pop(k, None)
    return config_hash(d)


def _prepare_out(config):
    import yaml  # writing only; reading goes through read_yaml

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = out / "config.yaml"
    if cfg_path.is_file():
        old = read_yaml(cfg_path) or {}
        old_hash = old.pop("result_hash", None)
        if old_hash != _result_hash(config) and config.resume:
            raise ValueError(
                f"{cfg_path}: the run folder holds a run with another config (result_hash "
                f"{old_hash!r} vs {_result_hash(config)!r}); resuming would mix results. Use "
                f"a new --out folder, delete {out}, or set resume=False to overwrite."
            )
    if not config.resume:
        for sub in ("predictions", "teacher_cache", "checkpoints"):
            d = out / sub
            if d.is_dir():
                import shutil

                shutil.rmtree(d)
    d = config_to_dict(config)
    d["result_hash"] = _result_hash(config)
    with open(cfg_path, "w", encoding="utf-8") as fid:
        yaml.safe_dump(d, fid, sort_keys=False)
    with open(out / "versions.json", "w", encoding="utf-8") as fid:
        json.dump(versions(), fid, indent=2)
    return out


def _read_fold(path):
    """Stored predictions of a finished fold and its training record (``{}`` if absent).

    Parameters
    ----------
    path : Path
        ``predictions/<fold>.npz``.

    Returns
    -------
    preds : dict of str -> ndarray
        ``test_idx`` and the test outputs of each model.
    training : dict | None
        The fold's ``predictions/<fold>.json``, ``None`` when it is missing.
    """
    with np.load(path) as f:
        preds = {key: f[key] for key in f.files}
    jpath = path.with_suffix(".json")
    training = None
    if jpath.is_file():
        with open(jpath, encoding="utf-8") as fid:
            training = json.load(fid)
    return preds, training


def _write_json(path, data, *, indent=2):
    with open(path, "w", encoding="utf-8") as fid:
        json.dump(config_to_dict(data), fid, indent=indent, allow_nan=True)


def _write_report(out, rows_fold, rows_sub, summary):
    """``metrics_fold.csv``, ``metrics_subject.csv`` and ``summary.json`` of a run folder."""
    _write_csv(out / "metrics_fold.csv", rows_fold)
    _write_csv(out / "metrics_subject.csv", rows_sub)
    _write_json(out / "summary.json", summary)
