"""The extract driver: read each subject, extract on one window grid, write the cache.

It lives in the cache layer because it writes cache files; the feature logic
is in :mod:`emopipe.features.extract`.
"""

import json
import logging
from pathlib import Path

from ..features.extract import default_cache_dir, extract_subject, resolved_config
from ..utils._logging import progress, verbose
from ..utils.config import config_hash
from .hdf5 import cached_hash, file_checksum, write_features

logger = logging.getLogger("emopipe.cache.pipeline")


def _is_current(path, chash):
    """True if ``path`` holds features for ``chash`` from unchanged sources."""
    if not path.is_file() or cached_hash(path) != chash:
        return False
    import h5py

    with h5py.File(path, "r") as f:
        sources = json.loads(f.attrs.get("sources", "[]"))
    for src in sources:
        p = Path(src["path"])
        if not p.is_file() or p.stat().st_size != src["size"]:
            return False
    return True


@verbose
def run_extract(config, root, cache_dir=None, *, verbose=None):
    """Extract every subject of a dataset into the cache, resuming where a run stopped.

    Parameters
    ----------
    config : ExtractConfig
        The extraction config.
    root : path-like
        Dataset download folder, laid out as the authors ship it.
    cache_dir : path-like | None
        Cache folder; ``None`` uses :func:`default_cache_dir`.
    verbose : bool | str | int | None
        Log level for this call.

    Returns
    -------
    summary : dict
        ``cache_dir``, ``config_hash``, ``written`` and ``skipped`` subject ids.
    """
    from ..io import DATASETS

    root = Path(root)
    dataset = DATASETS.get(config.dataset)()
    if not root.is_dir():
        raise FileNotFoundError(f"Dataset root {str(root)!r} does not exist.")
    resolved = resolved_config(config, root)
    chash = config_hash(resolved)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir(config, root)
    subjects = list(config.subjects) if config.subjects else dataset.subjects(root)
    if not subjects:
        raise FileNotFoundError(
            f"No {config.dataset} subjects found under {str(root)!r}. Run "
            f"'emopipe check --dataset {config.dataset} --root {root}' to see what is expected."
        )
    cache_dir.mkdir(parents=True, exist_ok=True)
    written, skipped = [], []
    logger.info("Extracting %d %s subjects into %s (config %s)", len(subjects), config.dataset,
                cache_dir, chash)
    for subject in progress(subjects, desc=f"extract {config.dataset}"):
        path = cache_dir / f"{subject}.h5"
        if _is_current(path, chash):
            logger.info("%s: cache is current, skipped", subject)
            skipped.append(subject)
            continue
        if path.exists():
            logger.warning("%s: cache file was written with another config or source; recomputing",
                           subject)
        rec = dataset.read_subject(root, subject, source=config.source, sfreq=config.sfreq,
                                   modalities=config.modalities)
        windows, labels, modalities, missing = extract_subject(rec, config)
        sources = [file_checksum(p) for p in rec.sources]
        write_features(path, dataset=config.dataset, subject=subject, windows=windows,
                       labels=labels, modalities=modalities, config=resolved, config_hash=chash,
                       sources=sources, missing=missing)
        written.append(subject)
    return {"cache_dir": str(cache_dir), "config_hash": chash, "written": written,
            "skipped": skipped}
