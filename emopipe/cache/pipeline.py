"""The extract driver: read each subject, extract on one window grid, write the cache.

It lives in the cache layer because it writes cache files; the feature logic
is in :mod:`emopipe.features.extract`.
"""

import json
import logging
import os
import re
import time
from pathlib import Path

from ..features.extract import default_cache_dir, extract_subject, resolved_config
from ..utils._checks import _check_option
from ..utils._errors import ConfigError, DataFileError, EmopipeError
from ..utils._lock import FolderLock
from ..utils._logging import progress, verbose
from ..utils.config import config_hash
from .hdf5 import file_checksum, write_features

logger = logging.getLogger("emopipe.cache.pipeline")


def _stale_reason(path, chash):
    """Why ``path`` must be recomputed for ``chash``, or ``None`` when it is current.

    Current means: a readable cache file of this config hash whose every
    recorded source still exists with the recorded size and SHA-256. A size
    that differs short-cuts to "changed"; otherwise the checksum decides, so a
    same-size corrupted or edited source is recomputed. The modification time
    decides nothing: a copy with ``cp -p`` or ``touch -r`` keeps it, and a
    ``touch`` changes it without changing a byte.
    """
    import h5py

    if not path.is_file():
        return "no cache file"
    try:
        with h5py.File(path, "r") as f:
            stored = f.attrs.get("config_hash")
            sources = f.attrs.get("sources", "[]")
        stored = stored.decode() if isinstance(stored, bytes) else stored
        sources = json.loads(sources.decode() if isinstance(sources, bytes) else sources)
        if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
            raise ValueError("sources is not a list of records")
    except (OSError, KeyError, ValueError, TypeError) as err:
        return f"the cache file is unreadable ({type(err).__name__})"
    if stored != chash:
        return f"the cache file was written with another config ({stored} vs {chash})"
    for src in sources:
        p = Path(str(src.get("path")))
        if not p.is_file():
            return f"source {p} is missing"
        if p.stat().st_size != src.get("size"):
            return (f"source {p.name} changed size ({src.get('size')} -> {p.stat().st_size} "
                    f"bytes)")
        if not src.get("sha256"):
            return f"the cache file records no SHA-256 of source {p.name}"
        if file_checksum(p)["sha256"] != src["sha256"]:
            return f"source {p.name} changed (same size, another SHA-256)"
    return None


def _is_current(path, chash):
    """True if ``path`` holds features for ``chash`` from unchanged sources (by SHA-256)."""
    return _stale_reason(path, chash) is None


#: temporary files of :func:`~emopipe.cache.hdf5.write_features`: ``<subject>.h5.tmp-<pid>``
_TMP = re.compile(r"^.+\.h5\.tmp-(\d+)$")


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # alive under another user, or cannot tell
        return True
    return True


def _clean_tmp(cache_dir, started):
    """Remove temporary files of killed runs; return their names.

    A ``<subject>.h5.tmp-<pid>`` is stale when process ``pid`` is gone or the
    file is older than this run's start ``started`` (wall-clock seconds):
    the folder lock is held, so no other emopipe run is writing it now.
    """
    removed = []
    for p in sorted(cache_dir.iterdir()):
        m = _TMP.match(p.name)
        if m is None or not p.is_file() or p.is_symlink():
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or (_pid_alive(pid) and p.stat().st_mtime >= started):
            continue
        p.unlink()
        removed.append(p.name)
        logger.warning("%s: removed %s, a temporary file left by a killed run (PID %d)",
                       cache_dir, p.name, pid)
    return removed


def _n_workers(n_jobs, n_tasks):
    """Worker processes for ``n_jobs`` (None: 1, -1: every usable CPU), at most ``n_tasks``."""
    if n_jobs is None:
        n_jobs = 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise ConfigError(
            f"n_jobs must be a positive int, -1 (every CPU) or None (1), got {n_jobs!r}."
        )
    if n_jobs == -1:
        try:
            n_jobs = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            n_jobs = os.cpu_count() or 1
    return max(1, min(n_jobs, n_tasks))


def _limit_blas_threads():
    """One BLAS thread: the matrix products here are small, and threads fight over cores.

    Returns the ``threadpoolctl`` limiter (a context manager; it also takes
    effect at once). The values do not depend on the thread count.
    """
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _check_finite_features(modalities, subject, sources):
    """Refuse NaN or infinite features, naming the source files they came from."""
    import numpy as np

    for mod, feats in modalities.items():
        for name, feat in feats.items():
            data = np.asarray(feat.data)
            if data.dtype.kind == "f" and not np.all(np.isfinite(data)):
                bad = int(np.count_nonzero(~np.isfinite(data)))
                files = ", ".join(Path(p).name for p in sources) or "its recording"
                raise DataFileError(
                    f"{subject}: {mod}/{name} holds {bad} NaN or infinite values, computed from "
                    f"{files}. The source holds non-finite or out-of-range samples: run "
                    f"'emopipe check' on the download, or leave {mod!r} out of modalities."
                )


def _extract_one(job):
    """Read, extract, checksum and write one subject; return its stage timings (s).

    ``job`` is ``(config, root, subject, path, resolved, chash)``. The same
    function runs in the main process (``n_jobs=1``) and in the workers, so a
    subject's file holds the same values either way.
    """
    from ..io import DATASETS

    config, root, subject, path, resolved, chash = job
    dataset = DATASETS.get(config.dataset)()
    timings = {}
    t0 = time.perf_counter()
    rec = dataset.read_subject(root, subject, source=config.source, sfreq=config.sfreq,
                               modalities=config.modalities,
                               **{f: getattr(config, f) for f in dataset.config_fields})
    t1 = time.perf_counter()
    timings["read"] = t1 - t0
    windows, labels, modalities, missing = extract_subject(rec, config, timings=timings)
    _check_finite_features(modalities, subject, rec.sources)
    t2 = time.perf_counter()
    sources = [file_checksum(p) for p in rec.sources]
    t3 = time.perf_counter()
    timings["checksum"] = t3 - t2
    write_features(path, dataset=config.dataset, subject=subject, windows=windows,
                   labels=labels, modalities=modalities, config=resolved, config_hash=chash,
                   sources=sources, missing=missing)
    timings["write"] = time.perf_counter() - t3
    timings["extract_other"] = (t2 - t1) - sum(timings.get(m, 0.0) for m in config.modalities)
    logger.debug("%s: %s", subject, ", ".join(f"{k} {v:.3f} s" for k, v in timings.items()))
    return timings


#: imported by each worker before its first subject (timed as the "import" stage)
_WORKER_PRELOAD = ("h5py", "scipy.fft", "scipy.ndimage", "scipy.signal")


def _init_worker(level):
    """Worker start: the parent's log level, one BLAS thread, the libraries loaded."""
    import importlib

    global _WORKER_IMPORT
    t0 = time.perf_counter()
    logging.getLogger("emopipe").setLevel(level)
    _limit_blas_threads()
    for name in _WORKER_PRELOAD:
        importlib.import_module(name)
    _WORKER_IMPORT = time.perf_counter() - t0


_WORKER_IMPORT = 0.0


def _extract_in_worker(job):
    global _WORKER_IMPORT
    timings = _extract_one(job)
    timings["import"], _WORKER_IMPORT = _WORKER_IMPORT, 0.0  # counted once per worker
    return timings


def _run_parallel(jobs, n_workers, desc, on_failure):
    """Run ``jobs`` in ``n_workers`` spawned processes; timings in job order (None: failed).

    A subject's user error (:class:`EmopipeError`, ``OSError``) goes to
    ``on_failure(index, exc)``, which re-raises it to stop the run.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # never a plain fork of this process (it may hold BLAS threads): a fork server
    # loads the libraries once and forks the workers from it; spawn where there is none
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__, *_WORKER_PRELOAD])
    else:
        ctx = multiprocessing.get_context("spawn")
    level = logging.getLogger("emopipe").getEffectiveLevel()
    results = [None] * len(jobs)
    with ProcessPoolExecutor(n_workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(level,)) as pool:
        futures = {pool.submit(_extract_in_worker, job): i for i, job in enumerate(jobs)}
        try:
            for fut in progress(as_completed(futures), desc=desc, total=len(futures)):
                try:
                    results[futures[fut]] = fut.result()
                except (EmopipeError, OSError) as exc:
                    on_failure(futures[fut], exc)
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise
    return results


def _log_timings(timings, wall, n_jobs):
    """DEBUG line with the per-stage seconds summed over subjects (JSON, for benchmarks)."""
    total = {}
    for t in timings:
        for k, v in t.items():
            total[k] = total.get(k, 0.0) + v
    busy = sum(total.values())
    split = ", ".join(f"{k} {v:.2f} s ({v / busy:.0%})" for k, v in total.items()) if busy else ""
    logger.debug("extract stages, summed over %d subjects: %s; wall %.2f s with %d job(s)",
                 len(timings), split, wall, n_jobs)
    logger.debug("extract timings json: %s", json.dumps(
        {"stages": total, "wall": wall, "n_jobs": n_jobs, "n_subjects": len(timings)}))
    return total


@verbose
def run_extract(config, root, cache_dir=None, *, n_jobs=None, on_error="skip", verbose=None):
    """Extract every subject of a dataset into the cache, resuming where a run stopped.

    Parameters
    ----------
    config : ExtractConfig
        The extraction config.
    root : path-like
        Dataset download folder, laid out as the authors ship it.
    cache_dir : path-like | None
        Cache folder; ``None`` uses :func:`default_cache_dir`.
    n_jobs : int | None
        Subjects extracted at once, each in its own process (``None``: 1, in
        this process; ``-1``: one per usable CPU). Each worker holds one
        subject's recording (DEAP: about 0.5 GB). The files do not depend on
        it (every subject is computed by the same code, one BLAS thread), so
        it is not part of the config hash; it is returned in the summary.
        Workers start from a fork server (spawned where there is none), so
        a script that calls this with ``n_jobs > 1`` needs the usual
        ``if __name__ == "__main__":`` guard.
    on_error : str
        What a subject whose files cannot be used does (a
        :class:`~emopipe.utils._errors.EmopipeError` such as a
        ``DataFileError``, or an ``OSError``, raised while reading or
        extracting it): ``"skip"`` logs it as an error, writes nothing for
        that subject, goes on with the others and lists it in
        ``summary["failed"]``; ``"raise"`` stops the run at the first one.
        Any other exception is a bug and always stops the run.
    verbose : bool | str | int | None
        Log level for this call.

    Returns
    -------
    summary : dict
        ``cache_dir``, ``config_hash``, ``written`` and ``skipped`` subject
        ids, ``failed`` (subject id -> error message, in subject order),
        ``n_jobs`` (worker processes used) and ``timings`` (seconds per
        stage summed over the written subjects: ``read``, one key per
        modality, ``extract_other``, ``checksum``, ``write``, ``import``
        (workers only), and ``wall``).
    """
    from ..io import DATASETS

    _check_option("on_error", on_error, ("skip", "raise"))
    t_start = time.perf_counter()
    root = Path(root)
    dataset = DATASETS.get(config.dataset)()
    if not root.is_dir():
        raise FileNotFoundError(f"Dataset root {str(root)!r} does not exist.")
    resolved = resolved_config(config, root)
    chash = config_hash(resolved)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir(config, root)
    available = dataset.subjects(root)
    subjects = list(config.subjects) if config.subjects else available
    unknown = [s for s in subjects if s not in available]
    if unknown and available:  # asked for by name: a config error, not a bad file
        raise FileNotFoundError(
            f"Subject(s) {', '.join(repr(s) for s in unknown)} not found under {str(root)!r}. "
            f"Available subjects: {', '.join(repr(s) for s in available)}."
        )
    if not subjects:
        raise FileNotFoundError(
            f"No {config.dataset} subjects found under {str(root)!r}. Run "
            f"'emopipe check --dataset {config.dataset} --root {root}' to see what is expected."
        )
    n_workers = _n_workers(n_jobs, len(subjects))
    started = time.time()
    with FolderLock(cache_dir, what="cache folder",
                    fix=", or give another --cache folder."):
        _clean_tmp(cache_dir, started)
        skipped, todo = [], []
        for subject in subjects:
            path = cache_dir / f"{subject}.h5"
            reason = _stale_reason(path, chash)
            if reason is None:
                logger.info("%s: cache is current, skipped", subject)
                skipped.append(subject)
                continue
            if path.exists():
                logger.warning("%s: %s; recomputing", subject, reason)
            todo.append(subject)
        n_workers = min(n_workers, max(1, len(todo)))
        logger.info("Extracting %d %s subjects into %s (config %s, %d job(s))", len(todo),
                    config.dataset, cache_dir, chash, n_workers)
        jobs = [(config, root, s, cache_dir / f"{s}.h5", resolved, chash) for s in todo]
        desc = f"extract {config.dataset}"
        failed = {}

        def on_failure(i, exc):
            if on_error == "raise":
                raise exc
            failed[todo[i]] = str(exc)
            logger.error("%s: skipped: %s", todo[i], exc)

        with _limit_blas_threads():
            if n_workers > 1:
                timings = _run_parallel(jobs, n_workers, desc, on_failure)
            else:
                timings = []
                for i, job in enumerate(progress(jobs, desc=desc)):
                    try:
                        timings.append(_extract_one(job))
                    except (EmopipeError, OSError) as exc:
                        on_failure(i, exc)
                        timings.append(None)
        wall = time.perf_counter() - t_start
        total = _log_timings([t for t in timings if t is not None], wall, n_workers)
    written = [s for s in todo if s not in failed]
    return {"cache_dir": str(cache_dir), "config_hash": chash, "written": written,
            "skipped": skipped, "failed": {s: failed[s] for s in todo if s in failed},
            "n_jobs": n_workers, "timings": {**total, "wall": wall}}
