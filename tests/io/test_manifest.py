"""The DEAP manifest agrees with the reader's constants and holds no data."""

from pathlib import Path

import pytest

from emopipe.io import load_manifest
from emopipe.io._manifest import MANIFEST_DIR
from emopipe.io.deap import (
    GENEVA_ORDER,
    LABEL_NAMES,
    N_TIMES,
    PREPROCESSED_CHANNELS,
    RATINGS_HEADER,
    RAW_AUX_LABELS,
    RAW_SFREQ,
    SFREQ,
    TWENTE_ORDER,
)


def test_deap_manifest_matches_reader_constants():
    m = load_manifest("deap")
    assert m["name"] == "deap" and m["n_subjects"] == 32
    assert m["subjects"] == [f"s{i:02d}" for i in range(1, 33)]
    pre = m["preprocessed"]
    assert [c[0] for c in pre["channels"]] == PREPROCESSED_CHANNELS
    assert [c[1] for c in pre["channels"]] == ["eeg"] * 32 + ["eog", "eog", "emg", "emg", "gsr",
                                                              "resp", "ppg", "temp"]
    assert [c[2] for c in pre["channels"]][:36] == ["uV"] * 36
    assert pre["channels"][36] == ["GSR", "gsr", "ohm", "ohm"]
    assert (pre["sfreq"], pre["n_times"], pre["baseline"]) == (SFREQ, N_TIMES, 3.0)
    assert pre["n_times"] == (pre["baseline"] + pre["stimulus"]) * pre["sfreq"]
    assert m["labels"] == list(LABEL_NAMES)
    raw = m["raw"]
    assert raw["sfreq"] == RAW_SFREQ and raw["n_channels"] == 48
    assert raw["eeg_order_geneva"] == GENEVA_ORDER
    assert raw["eeg_order_twente"] == TWENTE_ORDER
    assert sorted(TWENTE_ORDER) == sorted(GENEVA_ORDER) and TWENTE_ORDER != GENEVA_ORDER
    assert [c[0] for c in raw["aux_channels"]] == RAW_AUX_LABELS
    assert raw["status_mask"] == 0xFF
    assert {k: v[1] for k, v in raw["status_codes"].items()} == {
        1: None, 2: 1000, 3: 5000, 4: 60000, 5: 3000, 7: None}
    assert m["participant_ratings"]["header"] == RATINGS_HEADER
    assert "deap" in m["licence"] and m["licence"].startswith("EULA")


def test_manifest_is_small_text_and_missing_one_lists_available():
    assert (MANIFEST_DIR / "deap.yaml").stat().st_size < 20_000
    with pytest.raises(FileNotFoundError, match=r"^No manifest for dataset 'deep' at .*deep\.yaml\. "
                                                r"Available manifests: .*'deap'"):
        load_manifest("deep")


def test_manifest_is_package_data_found_through_importlib_resources():
    from importlib import resources

    res = resources.files("emopipe.io").joinpath("manifests", "deap.yaml")
    assert res.is_file()
    import yaml

    assert yaml.safe_load(res.read_text(encoding="utf-8")) == load_manifest("deap")
    # the manifest sits inside the package, so a wheel install carries it
    import emopipe

    pkg = Path(emopipe.__file__).resolve().parent
    assert Path(str(MANIFEST_DIR)).resolve().is_relative_to(pkg)
    import tomllib

    pyproject = tomllib.loads((pkg.parent / "pyproject.toml").read_text())
    assert "manifests/*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["emopipe.io"]
