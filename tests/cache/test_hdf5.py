import json

import h5py
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from emopipe.cache import (
    cached_hash,
    file_checksum,
    read_cohort,
    read_features,
    write_features,
)
from emopipe.features._base import Feature


def _subject(rng, n_trials=3, n_win=4):
    n = n_trials * n_win
    windows = {
        "trial": np.repeat(np.arange(1, n_trials + 1), n_win),
        "onset": np.tile(np.arange(n_win, dtype=float), n_trials),
        "duration": np.ones(n),
    }
    labels = {"valence": rng.uniform(1, 9, n)}
    de = Feature(rng.standard_normal((n, 2, 3)), ("window", "channel", "band"),
                 {"unit": "nats", "ch_names": ["F3", "F4"], "band_names": ["theta", "alpha", "beta"],
                  "band_edges": [[4, 8], [8, 14], [14, 31]]})
    return windows, labels, {"eeg": {"de": de}}


def _write(path, rng, config_hash="abc", **kw):
    windows, labels, mods = _subject(rng)
    return write_features(path, dataset="deap", subject=path.stem, windows=windows, labels=labels,
                          modalities=mods, config={"window": 1.0}, config_hash=config_hash,
                          sources=[], **kw), windows, labels, mods


def test_roundtrip_keeps_arrays_dims_and_metadata(tmp_path, rng):
    path, windows, labels, mods = _write(tmp_path / "s01.h5", rng, missing={"gsr": "no GSR channel"})
    sub = read_features(path)
    assert sub.subject == "s01" and sub.dataset == "deap"
    assert_array_equal(sub.windows["trial"], windows["trial"])
    assert_array_equal(sub.windows["trial_index"], np.repeat(np.arange(3), 4))
    assert_array_equal(sub.windows["session"], np.zeros(12))
    assert_array_equal(sub.labels["valence"], labels["valence"])
    de = sub.get("eeg", "de")
    assert_array_equal(de.data, mods["eeg"]["de"].data)
    assert de.dims == ("window", "channel", "band")
    assert de.attrs["ch_names"] == ["F3", "F4"]
    assert_array_equal(de.attrs["band_edges"], [[4, 8], [8, 14], [14, 31]])
    assert sub.attrs["config"] == {"window": 1.0}
    assert sub.missing == {"gsr": "no GSR channel"}
    with pytest.raises(KeyError, match=r"modality 'gsr' is not in the cache \(no GSR channel\)"):
        sub.get("gsr", "raw")
    with pytest.raises(KeyError, match=r"feature eeg/psd is not in the cache. Available eeg features: 'de'"):
        sub.get("eeg", "psd")


def test_window_count_mismatch_is_refused_and_leaves_nothing(tmp_path, rng):
    windows, labels, mods = _subject(rng)
    mods["eog"] = {"raw": Feature(np.zeros((5, 2, 8)), ("window", "channel", "time"), {})}
    with pytest.raises(ValueError, match=r"s01.h5: eog/raw has 5 windows, expected 12"):
        write_features(tmp_path / "s01.h5", dataset="deap", subject="s01", windows=windows,
                       labels=labels, modalities=mods, config={}, config_hash="x")
    assert list(tmp_path.iterdir()) == []


def test_nan_feature_is_refused(tmp_path, rng):
    windows, labels, mods = _subject(rng)
    mods["eeg"]["de"].data[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"eeg/de holds 1 NaN or infinite values"):
        write_features(tmp_path / "s01.h5", dataset="deap", subject="s01", windows=windows,
                       labels=labels, modalities=mods, config={}, config_hash="x")


def test_interrupted_write_keeps_previous_file(tmp_path, rng, monkeypatch):
    path, *_ = _write(tmp_path / "s01.h5", rng, config_hash="old")
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(h5py.Group, "create_group", boom)
    with pytest.raises(KeyboardInterrupt):
        _write(tmp_path / "s01.h5", rng, config_hash="new")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s01.h5"]
    assert cached_hash(path) == "old"


def test_cohort_refuses_mixed_configs(tmp_path, rng):
    _write(tmp_path / "s01.h5", rng, config_hash="a")
    _write(tmp_path / "s02.h5", rng, config_hash="b")
    with pytest.raises(ValueError, match=r"mixes extraction configs \(s01.h5=a, s02.h5=b\)"):
        read_cohort(tmp_path)


def test_cohort_sorted_and_empty_folder_message(tmp_path, rng):
    with pytest.raises(FileNotFoundError, match=r"holds no subject files"):
        read_cohort(tmp_path)
    _write(tmp_path / "s02.h5", rng)
    _write(tmp_path / "s01.h5", rng)
    assert [s.subject for s in read_cohort(tmp_path)] == ["s01", "s02"]


def test_checksum_matches_hashlib(tmp_path):
    import hashlib

    p = tmp_path / "x.bin"
    p.write_bytes(b"emopipe" * 1000)
    rec = file_checksum(p)
    assert rec["sha256"] == hashlib.sha256(b"emopipe" * 1000).hexdigest()
    assert rec["size"] == 7000
    assert json.loads(json.dumps(rec)) == rec


def test_corrupt_file_message(tmp_path):
    p = tmp_path / "s01.h5"
    p.write_bytes(b"not hdf5")
    with pytest.raises(OSError, match=r"not a readable HDF5 cache file"):
        read_features(p)
    assert cached_hash(p) is None


def test_cache_identity_reads_attributes_only(tmp_path, rng):
    from emopipe.cache.hdf5 import cache_identity
    from emopipe.utils._errors import DataFileError

    windows, labels, mods = _subject(rng)
    sources = [{"path": "/x/s01.dat", "size": 3, "sha256": "ab" * 32},
               {"path": "/x/s01.bdf", "size": 4, "sha256": "cd" * 32}]
    path = write_features(tmp_path / "s01.h5", dataset="deap", subject="s01", windows=windows,
                          labels=labels, modalities=mods, config={}, config_hash="k1",
                          sources=sources)
    assert cache_identity([path]) == {"s01.h5": {"config_hash": "k1",
                                                 "sources": ["ab" * 32, "cd" * 32]}}
    bad = tmp_path / "s02.h5"
    bad.write_bytes(b"\x89HDF\r\n")
    with pytest.raises(DataFileError, match=r"s02\.h5: not a readable HDF5 cache file\. Delete it"):
        cache_identity([path, bad])
