"""The extract driver end to end on a synthetic DEAP cohort."""

import os

import numpy as np
import pytest

from emopipe.cache import read_cohort, run_extract
from emopipe.features.extract import ExtractConfig
from emopipe.io import DATASETS
from emopipe.io.synth.deap import write_deap_synth

BANDS = {"theta": (4.0, 8.0), "alpha": (8.0, 14.0), "beta": (14.0, 31.0), "gamma": (31.0, 45.0)}


@pytest.fixture(scope="module")
def deap_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("deap")
    write_deap_synth(root, n_subjects=3, n_trials=6, seed=1, raw=False)
    return root


def _cfg(**kw):
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
    with pytest.raises(Exception, match=r"s02\.dat"):
        run_extract(_cfg(subjects=("s01", "s02")), root, cache)
    assert _snapshot(cache) == before


def test_missing_subject_and_empty_root(deap_root, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"s09"):
        run_extract(_cfg(subjects=("s09",)), deap_root, tmp_path / "cache")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=r"No deap subjects found under"):
        run_extract(_cfg(), empty, tmp_path / "cache2")
    assert not (tmp_path / "cache2").exists() or not any((tmp_path / "cache2").iterdir())
