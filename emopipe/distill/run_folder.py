"""The run folder: its config and versions, checkpoints, arrays, tables and resume keys.

Layout::

    <out>/config.yaml  versions.json  folds.csv  metrics_fold.csv
          metrics_subject.csv  summary.json
          predictions/<fold>.npz   test_idx + test outputs of each model (resume key)
          predictions/<fold>.json  training record (best epoch, validation curve,
                                   feedback steps, dynamic KD weight)
          checkpoints/<fold>/{teacher,student,baseline}.pt   (state dicts)
          teacher_cache/<fold>.npz  train/val indices, teacher logits and features
          models/<fold>.json   what reloads the fold (:func:`~emopipe.distill.run_reader.load_run`):
                               each model's registry name and constructor arguments,
                               its inputs with their cached metadata (dims, channel
                               and band names, band edges, sfreq, unit), the target,
                               the normalisation, the data hash and cache identity
          models/<fold>.npz    the fold's test indices and the normalisation
                               statistics fitted on its training windows

``config.yaml`` carries ``settings_hash`` (the config without its runtime
fields, :data:`~emopipe.distill.config._RUNTIME_FIELDS`; ``n_threads`` is
part of it), ``data_hash`` (the cache's identity: every file's config hash
and recorded source checksums; or the arrays of an in-memory cohort) and
``result_hash`` (both); a folder holding another result hash is not
resumed. ``versions.json`` records the software and the thread count.
Checkpoints are state dicts; load them with
``torch.load(path, weights_only=True)``; a checkpoint that does not load, does
not fit or holds NaN is a named error, and NaN weights are never written.

Every file is written to a temporary name and renamed, and a fold's
``predictions/<fold>.npz`` (its resume key) is written last, after its
``models/`` files and its training record, so a kill at any moment leaves a folder that resumes.
The folder is locked (``.lock``) while a run writes it.
"""

import contextlib
import csv
import hashlib
import json
import os
import platform
from pathlib import Path

import numpy as np
import torch

from .._version import __version__
from ..models._checkpoint import non_finite_key, read_state_dict
from ..utils._errors import DataFileError, RunError
from ..utils.config import config_hash, config_to_dict, read_yaml
from .config import _RUNTIME_FIELDS


@contextlib.contextmanager
def _atomic(path):
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    A kill at any moment leaves either the old file or the new one, never a
    half-written one; a failed block removes its temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _save_npz(path, **arrays):
    with _atomic(path) as tmp:
        np.savez(tmp, **arrays)


def _save_state(path, model):
    state = model.state_dict()
    bad = non_finite_key(state)
    if bad is not None:
        raise RunError(
            f"{path}: not written, the trained weights hold NaN or infinite values "
            f"({bad!r}); the training diverged. Lower lr (or teacher_lr) or raise "
            f"weight_decay, then rerun this fold."
        )
    with _atomic(path) as tmp:
        torch.save(state, tmp)
    # the checksum after the file: a kill in between leaves an unverified checkpoint, which
    # a resume retrains (torch.load checks no checksum: a flipped bit would load silently)
    digest = _sha256(path)
    with _atomic(_sidecar(path)) as tmp:
        tmp.write_text(f"{digest}  {path.name}\n", encoding="ascii")


def _sidecar(path):
    return Path(path).with_name(Path(path).name + ".sha256")


def _sha256(path, *, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as fid:
        while buf := fid.read(chunk):
            h.update(buf)
    return h.hexdigest()


def _verified(path):
    """Whether checkpoint ``path`` is complete: its ``.sha256`` sidecar exists.

    A checksum that does not match is a :class:`DataFileError`.
    """
    path = Path(path)
    side = _sidecar(path)
    if not side.is_file():
        return False
    text = side.read_text(encoding="ascii", errors="replace").split()
    if not text or text[0] != _sha256(path):
        raise DataFileError(
            f"{path}: the checkpoint changed since it was written (its SHA-256 differs from "
            f"{side.name}). Delete {path} (or the fold's folder {path.parent}) and rerun: the "
            f"fold is retrained."
        )
    return True


def _load_state(path, model, *, map_location=None):
    """Load the state dict at ``path`` into ``model``; any failure is a named error.

    The file is read with ``torch.load(weights_only=True)``: tensors only,
    no Python object is built. The message replaces PyTorch's own, which
    suggests the unsafe ``weights_only=False``.
    """
    path = Path(path)
    fix = (f"Delete {path} (or the fold's folder {path.parent}) and rerun: the fold is "
           f"retrained.")
    state = read_state_dict(path, fix=fix, map_location=map_location)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    shape = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or extra or shape:
        parts = []
        if missing:
            parts.append(f"missing {missing[:3]}")
        if extra:
            parts.append(f"unexpected {extra[:3]}")
        if shape:
            k = shape[0]
            parts.append(f"{k!r} has shape {tuple(state[k].shape)}, the model "
                         f"{tuple(own[k].shape)}")
        raise DataFileError(
            f"{path}: the checkpoint does not fit this run's model ({'; '.join(parts)}). {fix}"
        )
    model.load_state_dict(state)
    return model


def _safe_name(name):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def _write_csv(path, rows):
    if not rows:
        return
    keys = list(rows[0])
    with _atomic(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fid:
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


#: options added after runs existed -> their default, left out of the hash so that older
#: runs' hashes stay unchanged
_LATER_DEFAULTS = {"teacher_select_k": None, "teacher_centre": "none"}


def _settings_hash(config):
    """Hash of the config without its runtime fields (``n_threads`` is kept: it changes sums)."""
    d = config_to_dict(config)
    for k in _RUNTIME_FIELDS:
        d.pop(k, None)
    for k, default in _LATER_DEFAULTS.items():
        if k in d and d[k] == default:
            d.pop(k)
    return config_hash(d)


def _result_hash(config, data_hash):
    """Hash of what a run's results depend on: its settings and its data."""
    return config_hash({"settings": _settings_hash(config), "data": data_hash})


def _hash_arrays(h, arrays):
    for key in sorted(arrays):
        a = np.ascontiguousarray(arrays[key])
        if a.dtype.kind in "OUS":
            a = np.asarray(a.astype(str), dtype="U")
        h.update(f"{key}:{a.dtype.str}:{a.shape};".encode())
        h.update(memoryview(a).cast("B"))


def _data_hash(cohort, *, cache_files=None):
    """Identity of a run's data, 16 hex characters.

    For a cohort read from a cache: every cache file's config hash and the
    recorded SHA-256 of its sources (:func:`~emopipe.cache.hdf5.cache_identity`;
    nothing is re-hashed). For an in-memory cohort: its arrays themselves.
    """
    if cache_files is not None:
        from ..cache.hdf5 import cache_identity

        return config_hash({"cache": cache_identity(cache_files)})
    h = hashlib.sha256()
    _hash_arrays(h, {f"features/{k}": v for k, v in cohort.features.items() if "@" not in k})
    _hash_arrays(h, {f"labels/{k}": v for k, v in cohort.labels.items()})
    _hash_arrays(h, {k: getattr(cohort, k) for k in ("subject", "trial", "session", "window",
                                                     "onset", "duration")})
    # step sequences ('key@n') are built from the other features: not hashed twice
    dims = {k: v for k, v in cohort.dims.items() if "@" not in k}
    h.update(json.dumps(config_to_dict(dims), sort_keys=True).encode())
    return "arrays-" + h.hexdigest()[:16]


def _prepare_out(config, data_hash):
    """Create or check the run folder; write ``config.yaml`` and ``versions.json``.

    A folder holding a run of other settings or other data is refused when
    resuming (:class:`RunError`); with ``resume=False`` its predictions,
    teacher cache and checkpoints are deleted.
    """
    import yaml  # writing only; reading goes through read_yaml

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = out / "config.yaml"
    result_hash = _result_hash(config, data_hash)
    if cfg_path.is_file() and config.resume:
        try:
            old = read_yaml(cfg_path)
        except ValueError as err:
            raise DataFileError(
                f"{cfg_path}: unreadable ({err}). Delete the run folder {out} or rerun with "
                f"resume=False to start over."
            ) from None
        old = old if isinstance(old, dict) else {}
        old_hash = old.get("result_hash")
        if old_hash != result_hash:
            if old.get("data_hash") not in (None, data_hash) and \
                    old.get("settings_hash") == _settings_hash(config):
                why = (f"the same config on other data (data_hash {old.get('data_hash')!r} vs "
                       f"{data_hash!r}: another cache, or one re-extracted from changed "
                       f"sources or with another extract config)")
            else:
                why = (f"a run with another config (result_hash {old_hash!r} vs "
                       f"{result_hash!r})")
            raise RunError(
                f"{cfg_path}: the run folder holds {why}; resuming would score its predictions "
                f"against this run's data. Use a new --out folder, delete {out}, or set "
                f"resume=False to overwrite."
            )
    for tmp in sorted(out.rglob("*.tmp-*")):  # left by a killed run; the folder is locked
        if tmp.is_file() and not tmp.is_symlink():
            tmp.unlink()
    if not config.resume:
        for sub in ("predictions", "teacher_cache", "checkpoints", "models"):
            d = out / sub
            if d.is_dir():
                import shutil

                shutil.rmtree(d)
    d = config_to_dict(config)
    d.update(settings_hash=_settings_hash(config), data_hash=data_hash, result_hash=result_hash)
    with _atomic(cfg_path) as tmp, open(tmp, "w", encoding="utf-8") as fid:
        yaml.safe_dump(d, fid, sort_keys=False)
    record = {**versions(), "n_threads": config.n_threads,
              "torch_num_threads": torch.get_num_threads(), "cpu_count": os.cpu_count()}
    _write_json(out / "versions.json", record)
    return out


def _read_fold(path, *, test_idx, roles, n_out):
    """Stored predictions of a finished fold and its training record.

    Every file is checked against the run: a truncated or foreign file is a
    :class:`DataFileError` naming it, so a resume never scores a broken file.

    Parameters
    ----------
    path : Path
        ``predictions/<fold>.npz``.
    test_idx : ndarray of int, shape (n_test,)
        The fold's test windows (the folds are rebuilt from config and data).
    roles : list of str
        Models the fold must hold (``teacher``, ``student``, ``baseline``).
    n_out : int
        Outputs per window (classes, or 1).

    Returns
    -------
    preds : dict of str -> ndarray
        ``test_idx`` and the test outputs of each model.
    training : dict | None
        The fold's ``predictions/<fold>.json``, ``None`` when it is missing.
    """
    fix = (f"Delete {path.name} and {path.with_suffix('.json').name} in {path.parent} to "
           f"recompute this fold.")
    try:
        with open(path, "rb") as fid, np.load(fid, allow_pickle=False) as f:
            preds = {key: f[key] for key in f.files}
    except Exception as err:  # BadZipFile, EOFError, NotImplementedError, ...: a bad file
        raise DataFileError(
            f"{path}: not a readable predictions file ({type(err).__name__}: truncated or "
            f"not written by emopipe). {fix}"
        ) from None
    missing = [k for k in ("test_idx", *roles) if k not in preds]
    if missing:
        raise DataFileError(
            f"{path}: holds {sorted(preds)}, this run needs {['test_idx', *roles]} (missing "
            f"{missing}). {fix}"
        )
    if not np.array_equal(preds["test_idx"], test_idx):
        raise RunError(
            f"{path}: its test windows differ from this run's fold ({len(preds['test_idx'])} vs "
            f"{len(test_idx)} windows); the folder was written for other folds. {fix}"
        )
    for role in roles:
        p = preds[role]
        if p.shape != (len(test_idx), n_out) or p.dtype.kind != "f" or \
                not np.isfinite(p).all():
            raise DataFileError(
                f"{path}: {role!r} must hold finite floats of shape (n_test, n_out) = "
                f"({len(test_idx)}, {n_out}), got {p.dtype} of shape {p.shape}. {fix}"
            )
    jpath = path.with_suffix(".json")
    training = None
    if jpath.is_file():
        try:
            with open(jpath, encoding="utf-8") as fid:
                training = json.load(fid)
        except (ValueError, UnicodeDecodeError) as err:
            raise DataFileError(
                f"{jpath}: not a readable training record ({type(err).__name__}: "
                f"{str(err)[:80]}). {fix}"
            ) from None
        if not isinstance(training, dict):
            raise DataFileError(
                f"{jpath}: the training record must be a JSON object, got "
                f"{type(training).__name__}. {fix}"
            )
    return preds, training


def _write_json(path, data, *, indent=2):
    with _atomic(path) as tmp, open(tmp, "w", encoding="utf-8") as fid:
        json.dump(config_to_dict(data), fid, indent=indent, allow_nan=True)


def _write_fold_models(out, name, record, stats):
    """``models/<name>.npz`` (test indices, fitted statistics), then ``models/<name>.json``."""
    _save_npz(Path(out) / "models" / f"{name}.npz", **stats)
    _write_json(Path(out) / "models" / f"{name}.json", record, indent=1)


def _write_report(out, rows_fold, rows_sub, summary):
    """``metrics_fold.csv``, ``metrics_subject.csv`` and ``summary.json`` of a run folder."""
    _write_csv(out / "metrics_fold.csv", rows_fold)
    _write_csv(out / "metrics_subject.csv", rows_sub)
    _write_json(out / "summary.json", summary)
