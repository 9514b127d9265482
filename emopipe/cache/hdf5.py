"""The HDF5 feature cache: one file per subject, schema version 1.

Layout (see ``docs/cache.md``)::

    <cache>/<subject>.h5
      attrs: schema_version, emopipe_version, dataset, subject, config (JSON),
             config_hash, created, sources (JSON), missing_modalities (JSON)
      windows/{trial, trial_index, onset, duration, session}   (n_windows,)
      labels/<name>                                             (n_windows,)
      <modality>/<feature>   (n_windows, ...), attrs dims (JSON) + metadata

Files are written to a temporary name in the same folder and renamed, so a
crash never leaves a half-written cache file.
"""

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .._version import __version__
from ..features._base import Feature
from ..utils._errors import DataFileError, RunError, UnknownNameError

logger = logging.getLogger("emopipe.cache")

SCHEMA_VERSION = 1
WINDOW_KEYS = ("trial", "trial_index", "onset", "duration", "session")
_RESERVED_GROUPS = ("windows", "labels")


def file_checksum(path, *, chunk=1 << 20):
    """SHA-256 of a file plus its size, for provenance.

    Parameters
    ----------
    path : path-like
        File to hash.
    chunk : int
        Read size in bytes.

    Returns
    -------
    record : dict
        ``{"path": str, "size": int, "sha256": str}``.
    """
    path = Path(path)
    h = hashlib.sha256()
    with open(path, "rb") as fid:
        while True:
            buf = fid.read(chunk)
            if not buf:
                break
            h.update(buf)
    return {"path": str(path.resolve()), "size": path.stat().st_size, "sha256": h.hexdigest()}


def _attr_value(value):
    """Convert a metadata value into something h5py stores faithfully."""
    if isinstance(value, (dict,)):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        if len(value) and all(isinstance(v, str) for v in value):
            return json.dumps(list(value))
        arr = np.asarray(value)
        if arr.dtype.kind in "iuf":
            return arr
        return json.dumps(list(value), default=str)
    if isinstance(value, Path):
        return str(value)
    return value


def _attr_read(value):
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_window_arrays(path, windows, labels, modalities):
    n = None
    for key in ("trial", "onset", "duration"):
        if key not in windows:
            raise ValueError(f"{Path(path).name}: windows[{key!r}] is required, got keys {sorted(windows)}.")
    for group, arrays in (("windows", windows), ("labels", labels)):
        for key, arr in arrays.items():
            arr = np.asarray(arr)
            if arr.ndim != 1:
                raise ValueError(
                    f"{Path(path).name}: {group}/{key} must have shape (n_windows,), got {arr.shape}."
                )
            if n is None:
                n = arr.shape[0]
            elif arr.shape[0] != n:
                raise ValueError(
                    f"{Path(path).name}: {group}/{key} has {arr.shape[0]} windows, expected {n} "
                    f"(all window-indexed arrays share the window index)."
                )
    for mod, feats in modalities.items():
        if mod in _RESERVED_GROUPS:
            raise ValueError(f"modality name {mod!r} is reserved; use another name.")
        for name, feat in feats.items():
            if not isinstance(feat, Feature):
                raise TypeError(
                    f"modalities[{mod!r}][{name!r}] must be a Feature, got {type(feat).__name__}."
                )
            if feat.data.shape[0] != n:
                raise ValueError(
                    f"{Path(path).name}: {mod}/{name} has {feat.data.shape[0]} windows, expected {n} "
                    f"(the subject's window index). Extract every modality on the same WindowGrid."
                )
            if feat.data.dtype.kind == "f" and not np.all(np.isfinite(feat.data)):
                bad = int(np.count_nonzero(~np.isfinite(feat.data)))
                raise ValueError(
                    f"{Path(path).name}: {mod}/{name} holds {bad} NaN or infinite values; "
                    f"features in the cache must be finite (fix the extractor or mark the modality missing)."
                )
    return n


def write_features(path, *, dataset, subject, windows, labels, modalities, config, config_hash,
                   sources=(), missing=None, compression=None):
    """Write one subject's features atomically.

    Parameters
    ----------
    path : path-like
        Target file (``<cache>/<subject>.h5``).
    dataset : str
        Dataset registry key.
    subject : str
        Subject id.
    windows : dict of str -> ndarray, shape (n_windows,)
        The window index: ``trial``, ``onset``, ``duration`` required;
        ``trial_index`` and ``session`` optional.
    labels : dict of str -> ndarray, shape (n_windows,)
        Labels per window.
    modalities : dict of str -> dict of str -> Feature
        Features per modality.
    config : dict
        The resolved extraction config.
    config_hash : str
        Its hash.
    sources : sequence of dict
        Records from :func:`file_checksum`.
    missing : dict of str -> str | None
        Modalities absent from this recording, with the reason.
    compression : str | None
        h5py compression filter for feature datasets (``"gzip"``, ``"lzf"``);
        ``None`` (default) stores them plain. Features are float64 noise to
        a compressor: on a DEAP subject (12.8 MB of features) gzip saves 16 %
        and costs 0.17 s, 15 times the plain write, and slows every read.

    Returns
    -------
    path : Path
        The written file.
    """
    import h5py

    path = Path(path)
    _check_window_arrays(path, windows, labels, modalities)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["schema_version"] = SCHEMA_VERSION
            f.attrs["emopipe_version"] = __version__
            f.attrs["dataset"] = dataset
            f.attrs["subject"] = subject
            f.attrs["config"] = json.dumps(config, sort_keys=True, default=str)
            f.attrs["config_hash"] = config_hash
            f.attrs["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            f.attrs["sources"] = json.dumps(list(sources))
            f.attrs["missing_modalities"] = json.dumps(missing or {})
            g = f.create_group("windows")
            for key, arr in windows.items():
                g.create_dataset(key, data=np.asarray(arr))
            if "trial_index" not in windows:
                _, idx = np.unique(np.asarray(windows["trial"]), return_inverse=True)
                g.create_dataset("trial_index", data=idx.astype(np.int64))
            if "session" not in windows:
                g.create_dataset("session", data=np.zeros(len(windows["trial"]), np.int64))
            g = f.create_group("labels")
            for key, arr in labels.items():
                g.create_dataset(key, data=np.asarray(arr))
            for mod, feats in modalities.items():
                mg = f.create_group(mod)
                for name, feat in feats.items():
                    small = feat.data.size < 1024
                    ds = mg.create_dataset(
                        name, data=feat.data,
                        compression=None if small else compression,
                        shuffle=False if small else compression is not None,
                    )
                    ds.attrs["dims"] = json.dumps(list(feat.dims))
                    for k, v in feat.attrs.items():
                        ds.attrs[k] = _attr_value(v)
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    logger.info("Wrote %s: %d windows, modalities %s", path.name,
                len(windows["trial"]), ", ".join(modalities) or "none")
    return path


@dataclass
class CachedSubject:
    """One subject read back from the cache.

    Parameters
    ----------
    path : Path
        The file.
    subject : str
        Subject id.
    dataset : str
        Dataset key.
    windows : dict of str -> ndarray, shape (n_windows,)
        Window index.
    labels : dict of str -> ndarray, shape (n_windows,)
        Labels per window.
    modalities : dict of str -> dict of str -> Feature
        Features.
    attrs : dict
        File attributes (``config`` and ``sources`` decoded from JSON).
    missing : dict of str -> str
        Modalities recorded as missing.
    """

    path: Path
    subject: str
    dataset: str
    windows: dict
    labels: dict
    modalities: dict
    attrs: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)

    @property
    def n_windows(self):
        """Number of windows of the subject."""
        return len(self.windows["trial"])

    def get(self, modality, feature):
        """One cached feature, or a KeyError listing what exists.

        Parameters
        ----------
        modality : str
            Modality group, e.g. ``"eeg"``.
        feature : str
            Feature name in that group, e.g. ``"de"``.

        Returns
        -------
        feature : Feature
            The array with its ``dims`` and attributes.
        """
        if modality not in self.modalities:
            why = f" ({self.missing[modality]})" if modality in self.missing else ""
            raise UnknownNameError(
                f"{self.path.name}: modality {modality!r} is not in the cache{why}. "
                f"Available modalities: {', '.join(repr(m) for m in sorted(self.modalities)) or 'none'}."
            )
        feats = self.modalities[modality]
        if feature not in feats:
            raise UnknownNameError(
                f"{self.path.name}: feature {modality}/{feature} is not in the cache. Available "
                f"{modality} features: {', '.join(repr(f) for f in sorted(feats))}."
            )
        return feats[feature]


def read_features(path, *, modalities=None, load=True):
    """Read one subject file.

    Parameters
    ----------
    path : path-like
        A ``<subject>.h5`` cache file.
    modalities : list of str | None
        Modalities to load; ``None`` loads all.
    load : bool
        If False, read only the attributes, window index and labels.

    Returns
    -------
    subject : CachedSubject
        Arrays and metadata.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Cache file {str(path)!r} does not exist.")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise OSError(
            f"{path}: not a readable HDF5 cache file ({exc}). Delete it and rerun "
            f"'emopipe extract' to rebuild it."
        ) from None
    with f:
        try:
            attrs = {k: _attr_read(v) for k, v in f.attrs.items()}
            if attrs.get("schema_version") != SCHEMA_VERSION:
                raise RunError(
                    f"{path.name}: cache schema_version {attrs.get('schema_version')!r}, this "
                    f"emopipe reads version {SCHEMA_VERSION}. Rerun 'emopipe extract' to rebuild "
                    f"the cache."
                )
            windows = {k: f["windows"][k][()] for k in f["windows"]}
            labels = {k: f["labels"][k][()] for k in f["labels"]}
            mods = {}
            names = [k for k in f if k not in _RESERVED_GROUPS]
            if modalities is not None:
                names = [m for m in names if m in modalities]
            if load:
                for mod in names:
                    feats = {}
                    for name, ds in f[mod].items():
                        fattrs = {k: _attr_read(v) for k, v in ds.attrs.items()}
                        dims = tuple(fattrs.pop("dims"))
                        feats[name] = Feature(ds[()], dims, fattrs)
                    mods[mod] = feats
        except (KeyError, OSError) as exc:  # a group, dataset or attribute missing or unreadable
            raise RunError(
                f"{path}: the cache file is damaged ({type(exc).__name__}: {str(exc)[:160]}). "
                f"Delete it and rerun 'emopipe extract' to rebuild it."
            ) from None
    return CachedSubject(
        path=path,
        subject=str(attrs.get("subject")),
        dataset=str(attrs.get("dataset")),
        windows=windows,
        labels=labels,
        modalities=mods,
        attrs=attrs,
        missing=attrs.get("missing_modalities") or {},
    )


def cache_files(cache_dir):
    """Sorted ``*.h5`` subject files of a cache folder (temporary files excluded).

    Parameters
    ----------
    cache_dir : path-like
        Cache folder.

    Returns
    -------
    files : list of Path
        Subject files, sorted by name.
    """
    cache_dir = Path(cache_dir)
    if not cache_dir.is_dir():
        raise FileNotFoundError(
            f"Cache folder {str(cache_dir)!r} does not exist. Run 'emopipe extract --cache "
            f"{cache_dir}' first."
        )
    files = sorted(p for p in cache_dir.glob("*.h5") if p.is_file())
    if not files:
        raise FileNotFoundError(
            f"Cache folder {str(cache_dir)!r} holds no subject files (*.h5). Run 'emopipe extract "
            f"--cache {cache_dir}' first."
        )
    return files


def read_cohort(cache_dir, *, modalities=None):
    """Read every subject of a cache folder.

    Parameters
    ----------
    cache_dir : path-like
        Folder written by ``emopipe extract``.
    modalities : list of str | None
        Modalities to load; ``None`` loads all.

    Returns
    -------
    subjects : list of CachedSubject
        Sorted by subject id. All files must share one ``config_hash``.
    """
    subjects = [read_features(p, modalities=modalities) for p in cache_files(cache_dir)]
    hashes = {s.attrs.get("config_hash") for s in subjects}
    if len(hashes) > 1:
        detail = ", ".join(f"{s.path.name}={s.attrs.get('config_hash')}" for s in subjects)
        raise RunError(
            f"Cache folder {str(cache_dir)!r} mixes extraction configs ({detail}). Rerun "
            f"'emopipe extract' with one config or use separate cache folders."
        )
    return sorted(subjects, key=lambda s: s.subject)


def cached_modalities(path):
    """Names of the modality groups a cache file holds, whatever a reader loaded.

    Parameters
    ----------
    path : path-like
        A subject's cache file.

    Returns
    -------
    modalities : list of str
        Sorted modality names.
    """
    import h5py

    with h5py.File(path, "r") as f:
        return sorted(k for k in f if k not in _RESERVED_GROUPS)


def cached_hash(path):
    """``config_hash`` of a cache file, or None when absent or unreadable.

    Parameters
    ----------
    path : path-like
        Cache file.

    Returns
    -------
    config_hash : str | None
        The stored hash.
    """
    import h5py

    try:
        with h5py.File(path, "r") as f:
            value = f.attrs.get("config_hash")
    except (OSError, KeyError):
        return None
    return value.decode() if isinstance(value, bytes) else value


def cache_identity(paths):
    """What the features of cache files depend on, from their attributes alone.

    Each file's ``config_hash`` (the extraction config, emopipe's version and
    the dataset root) and the SHA-256 of every source file it was computed
    from, as recorded when it was written; nothing is re-hashed. Two caches
    with the same identity hold the same features, so a distill run may
    resume on either; a re-extraction from changed sources or with another
    config changes it.

    Parameters
    ----------
    paths : sequence of path-like
        ``<subject>.h5`` cache files.

    Returns
    -------
    identity : dict of str -> dict
        File name -> ``{"config_hash": str, "sources": list of str}`` (the
        sources' SHA-256, in the order recorded).
    """
    import h5py

    out = {}
    for path in paths:
        path = Path(path)
        try:
            with h5py.File(path, "r") as f:
                chash = _attr_read(f.attrs.get("config_hash"))
                sources = _attr_read(f.attrs.get("sources", "[]"))
        except OSError:
            raise DataFileError(
                f"{path}: not a readable HDF5 cache file. Delete it and rerun 'emopipe "
                f"extract' to rebuild it."
            ) from None
        if not isinstance(sources, list) or not all(isinstance(r, dict) for r in sources):
            raise DataFileError(
                f"{path.name}: the 'sources' attribute is not a list of file records. Delete "
                f"the file and rerun 'emopipe extract' to rebuild it."
            )
        out[path.name] = {"config_hash": chash,
                          "sources": [str(r.get("sha256")) for r in sources]}
    return out
