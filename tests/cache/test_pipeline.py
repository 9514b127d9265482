"""The extract driver end to end on a synthetic DEAP cohort."""

import os

import numpy as np
import pytest

from emopipe.cache import read_cohort, run_extract
from emopipe.features.extract import ExtractConfig
from emopipe.io import DATASETS, DEAP
from emopipe.io.synth.deap import write_deap_synth
from emopipe.utils._errors import DataFileError

BANDS = {"theta": (4.0, 8.0), "alpha": (8.0, 14.0), "beta": (14.0, 31.0), "gamma": (31.0, 45.0)}


@pytest.fixture(scope="module")
def deap_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("deap")
    write_deap_synth(root, n_subjects=3, n_trials=6, seed=1, raw=False)
    return root


def _cfg(**kw):
    kw.setdefault("dataset", "deap")
    kw.setdefault("bands", BANDS)
    kw.setdefault("modalities", ("eeg",))
    return ExtractConfig(**kw)


def _snapshot(folder):
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}


def test_extract_fills_cache_with_provenance(deap_root, tmp_path):
    summary = run_extract(_cfg(), deap_root, tmp_path / "cache")
    assert summary["written"] == ["s01", "s02", "s23"]
    subjects = read_cohort(tmp_path / "cache")
    s = subjects[0]
    assert s.get("eeg", "de").data.shape == (6 * 60, 32, 4)
    assert s.attrs["config_hash"] == summary["config_hash"]
    assert s.attrs["config"]["bands"] == {k: list(v) for k, v in BANDS.items()}
    (src,) = s.attrs["sources"]
    assert src["path"].endswith(os.path.join("data_preprocessed_python", "s01.dat"))
    assert len(src["sha256"]) == 64
    # the trial ids are DEAP Experiment_ids in video order, each with 60 one-second windows
    assert np.array_equal(np.unique(s.windows["trial"]), np.arange(1, 7))
    assert np.all(np.bincount(s.windows["trial_index"]) == 60)


def test_interrupted_extraction_resumes_without_recomputing(deap_root, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cls = DATASETS.get("deap")
    original = cls.read_subject
    calls = []

    def flaky(self, root, subject, **kw):
        calls.append(subject)
        if subject == "s02" and calls.count("s02") == 1:
            raise KeyboardInterrupt  # killed half way
        return original(root, subject, **kw)

    monkeypatch.setattr(cls, "read_subject", flaky)
    with pytest.raises(KeyboardInterrupt):
        run_extract(_cfg(), deap_root, cache)
    assert sorted(p.name for p in cache.iterdir()) == ["s01.h5"]  # no half-written file
    before = _snapshot(cache)
    summary = run_extract(_cfg(), deap_root, cache)
    assert summary["skipped"] == ["s01"] and summary["written"] == ["s02", "s23"]
    assert calls == ["s01", "s02", "s02", "s23"]
    assert _snapshot(cache)["s01.h5"] == before["s01.h5"]


def test_changed_config_recomputes_and_never_reuses(deap_root, tmp_path):
    cache = tmp_path / "cache"
    first = run_extract(_cfg(subjects=("s01",)), deap_root, cache)
    second = run_extract(_cfg(subjects=("s01",), window=2.0), deap_root, cache)
    assert first["config_hash"] != second["config_hash"]
    assert second["written"] == ["s01"]
    (s,) = read_cohort(cache)
    assert s.get("eeg", "de").data.shape[0] == 6 * 30


def test_bad_input_leaves_cache_as_it_was(deap_root, tmp_path):
    import shutil

    root = tmp_path / "deap"
    shutil.copytree(deap_root, root)
    cache = tmp_path / "cache"
    run_extract(_cfg(subjects=("s01",)), root, cache)
    before = _snapshot(cache)
    dat = root / "data_preprocessed_python" / "s02.dat"
    dat.write_bytes(dat.read_bytes()[:1000])  # truncated download
    with pytest.raises(DataFileError, match=r"s02\.dat"):
        run_extract(_cfg(subjects=("s01", "s02")), root, cache, on_error="raise")
    assert _snapshot(cache) == before
    # by default the bad subject is reported and skipped; nothing is written for it
    summary = run_extract(_cfg(subjects=("s01", "s02")), root, cache)
    assert summary["written"] == [] and summary["skipped"] == ["s01"]
    assert list(summary["failed"]) == ["s02"]
    assert summary["failed"]["s02"].startswith("s02.dat: the pickle is truncated or corrupt")
    assert _snapshot(cache) == before


def test_one_corrupt_subject_of_three_is_skipped_the_rest_extracted(deap_root, tmp_path, caplog):
    import shutil

    root = tmp_path / "deap"
    shutil.copytree(deap_root, root)
    dat = root / "data_preprocessed_python" / "s02.dat"
    raw = bytearray(dat.read_bytes())
    raw[len(raw) // 2:] = b"\x00" * (len(raw) - len(raw) // 2)  # half the file zeroed
    dat.write_bytes(bytes(raw))
    subjects = DEAP.subjects(root)
    assert len(subjects) == 3 and "s02" in subjects
    with caplog.at_level("ERROR", logger="emopipe"):
        summary = run_extract(_cfg(), root, tmp_path / "cache")
    assert summary["written"] == [s for s in subjects if s != "s02"]
    assert list(summary["failed"]) == ["s02"]
    assert "s02.dat" in summary["failed"]["s02"]
    assert sorted(p.name for p in (tmp_path / "cache").glob("*.h5")) == [
        f"{s}.h5" for s in subjects if s != "s02"]
    assert any(r.levelname == "ERROR" and "s02: skipped: s02.dat" in r.getMessage()
               for r in caplog.records)
    with pytest.raises(DataFileError, match=r"^s02\.dat: "):
        run_extract(_cfg(), root, tmp_path / "cache3", on_error="raise")
    # the same from worker processes
    summary = run_extract(_cfg(), root, tmp_path / "cache4", n_jobs=2)
    assert summary["n_jobs"] == 2 and list(summary["failed"]) == ["s02"]
    assert summary["written"] == [s for s in subjects if s != "s02"]


def test_missing_subject_and_empty_root(deap_root, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"s09"):
        run_extract(_cfg(subjects=("s09",)), deap_root, tmp_path / "cache")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=r"No deap subjects found under"):
        run_extract(_cfg(), empty, tmp_path / "cache2")
    assert not (tmp_path / "cache2").exists() or not any((tmp_path / "cache2").iterdir())


def _file_contents(path):
    """Every dataset's bytes and every attribute of a cache file, but the creation time."""
    import h5py

    out = {}
    with h5py.File(path, "r") as f:
        out["/"] = {k: v for k, v in f.attrs.items() if k != "created"}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = (obj.dtype.str, obj.shape, obj[()].tobytes(), dict(obj.attrs))

        f.visititems(visit)
    return out


def test_parallel_extraction_is_identical_to_serial(deap_root, tmp_path):
    cfg = _cfg(modalities=("eeg", "eog", "gsr"))
    serial = run_extract(cfg, deap_root, tmp_path / "serial", n_jobs=1)
    parallel = run_extract(cfg, deap_root, tmp_path / "parallel", n_jobs=2)
    assert serial["n_jobs"] == 1 and parallel["n_jobs"] == 2
    # n_jobs is not part of the config: same hash, same files
    assert parallel["config_hash"] == serial["config_hash"]
    assert parallel["written"] == serial["written"] == ["s01", "s02", "s23"]
    for subject in serial["written"]:
        a = _file_contents(tmp_path / "serial" / f"{subject}.h5")
        b = _file_contents(tmp_path / "parallel" / f"{subject}.h5")
        assert a.keys() == b.keys()
        for key in a:
            assert repr(a[key]) == repr(b[key]), key
    # the parallel cache is current for a serial rerun
    again = run_extract(cfg, deap_root, tmp_path / "parallel")
    assert again["skipped"] == ["s01", "s02", "s23"] and again["written"] == []


def test_timings_cover_every_stage(deap_root, tmp_path, caplog):
    cfg = _cfg(subjects=("s01",), modalities=("eeg", "gsr"))
    with caplog.at_level("DEBUG", logger="emopipe"):
        summary = run_extract(cfg, deap_root, tmp_path / "cache")
    t = summary["timings"]
    assert {"read", "eeg", "gsr", "extract_other", "checksum", "write", "wall"} <= set(t)
    assert all(v >= 0 for v in t.values())
    assert t["wall"] >= t["read"] + t["eeg"] + t["gsr"]
    assert "extract timings json: " in caplog.text


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_n_jobs(deap_root, tmp_path, bad):
    with pytest.raises(ValueError, match=rf"n_jobs must be a positive int, -1 .* got {bad!r}"):
        run_extract(_cfg(), deap_root, tmp_path / "cache", n_jobs=bad)


def _copy_root(deap_root, tmp_path):
    import shutil

    root = tmp_path / "deap"
    shutil.copytree(deap_root, root)
    return root


def test_same_size_corrupted_source_is_recomputed(deap_root, tmp_path, caplog):
    root = _copy_root(deap_root, tmp_path)
    cache = tmp_path / "cache"
    cfg = _cfg(subjects=("s01", "s02"))
    run_extract(cfg, root, cache)
    dat = root / "data_preprocessed_python" / "s02.dat"
    raw = bytearray(dat.read_bytes())
    stat = dat.stat()
    raw[len(raw) // 2] ^= 0x01  # one bit of one EEG sample: same size, same pickle layout
    dat.write_bytes(bytes(raw))
    os.utime(dat, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the old modification time
    with caplog.at_level("WARNING", logger="emopipe"):
        again = run_extract(cfg, root, cache)
    assert again["skipped"] == ["s01"] and again["written"] == ["s02"]
    assert "s02: source s02.dat changed (same size, another SHA-256); recomputing" in caplog.text
    (s01, s02) = read_cohort(cache)
    import hashlib

    assert s02.attrs["sources"][0]["sha256"] == hashlib.sha256(bytes(raw)).hexdigest()
    # and now it is current
    assert run_extract(cfg, root, cache)["skipped"] == ["s01", "s02"]


def test_changed_size_missing_source_and_unreadable_cache_file(deap_root, tmp_path, caplog):
    root = _copy_root(deap_root, tmp_path)
    cache = tmp_path / "cache"
    cfg = _cfg(subjects=("s01", "s02"))
    run_extract(cfg, root, cache)
    dat = root / "data_preprocessed_python" / "s01.dat"
    size = dat.stat().st_size
    dat.write_bytes(dat.read_bytes() + b"\0")
    (cache / "s02.h5").write_bytes(b"not hdf5")
    with caplog.at_level("WARNING", logger="emopipe"):
        again = run_extract(cfg, root, cache)
    # s01 is recomputed, and its source, a pickle followed by a stray byte, is refused
    assert again["written"] == ["s02"]
    assert "1 trailing bytes after the pickle's STOP opcode" in again["failed"]["s01"]
    assert f"s01: source s01.dat changed size ({size} -> {size + 1} bytes); recomputing" in \
        caplog.text
    assert "s02: the cache file is unreadable (OSError); recomputing" in caplog.text


def test_stale_temporary_files_of_killed_runs_are_removed(deap_root, tmp_path, caplog):
    import subprocess
    import sys

    cache = tmp_path / "cache"
    cache.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)  # a process that has exited
    stale = cache / f"s01.h5.tmp-{dead_pid}"
    stale.write_bytes(b"half a file")
    old_live = cache / f"s02.h5.tmp-{os.getppid()}"  # a live PID, but older than this run
    old_live.write_bytes(b"half a file")
    os.utime(old_live, (1_000_000_000, 1_000_000_000))
    unrelated = cache / "notes.tmp-1.txt"
    unrelated.write_text("kept")
    with caplog.at_level("WARNING", logger="emopipe"):
        run_extract(_cfg(subjects=("s01",)), deap_root, cache)
    assert not stale.exists() and not old_live.exists() and unrelated.exists()
    assert (f"removed s01.h5.tmp-{dead_pid}, a temporary file left by a killed run "
            f"(PID {dead_pid})") in caplog.text
    assert f"removed s02.h5.tmp-{os.getppid()}" in caplog.text
    assert sorted(p.name for p in cache.iterdir()) == ["notes.tmp-1.txt", "s01.h5"]


def test_second_writer_of_a_cache_folder_is_refused(deap_root, tmp_path):
    from emopipe.utils._errors import RunError
    from emopipe.utils._lock import FolderLock

    cache = tmp_path / "cache"
    with FolderLock(cache, what="cache folder"):
        with pytest.raises(RunError, match=rf"^Cache folder '{cache}' is being written by "
                                           rf"another emopipe process \(PID {os.getpid()}; lock "
                                           rf"file \.lock\)\. Two writers would mix their files\. "
                                           rf"Wait for it to finish, or give another --cache "
                                           rf"folder\.$"):
            run_extract(_cfg(subjects=("s01",)), deap_root, cache)
        assert sorted(p.name for p in cache.iterdir()) == [".lock"]
    assert run_extract(_cfg(subjects=("s01",)), deap_root, cache)["written"] == ["s01"]
    assert not (cache / ".lock").exists()


def test_non_finite_features_name_the_source_file(deap_root, tmp_path, monkeypatch):
    from emopipe.cache import pipeline

    real = pipeline.extract_subject

    def with_nan(rec, config, **kw):
        windows, labels, mods, missing = real(rec, config, **kw)
        mods["eeg"]["de"].data[3, 0, 0] = np.nan
        return windows, labels, mods, missing

    monkeypatch.setattr(pipeline, "extract_subject", with_nan)
    with pytest.raises(DataFileError, match=r"^s01: eeg/de holds 1 NaN or infinite values, "
                                            r"computed from s01\.dat"):
        run_extract(_cfg(subjects=("s01",)), deap_root, tmp_path / "cache", on_error="raise")
    assert not list((tmp_path / "cache").glob("s01.h5*"))  # nothing half-written
