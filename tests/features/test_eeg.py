"""The EEG extractor: registered and called like every modality's."""

import dataclasses
import importlib
import inspect

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import emopipe.features as features
from emopipe.features._base import MODALITY_EXTRACTORS
from emopipe.features.eeg import eeg_window_features, extract_eeg
from emopipe.features.extract import ExtractConfig, extract_subject, make_grid
from emopipe.features.spectral import differential_entropy
from emopipe.io._types import Modality, SubjectRecording

SFREQ = 128.0
BANDS = {"theta": (4.0, 8.0), "alpha": (8.0, 14.0)}


def _recording(rng, n_trials=2, seconds=6.0, baseline=2.0):
    n = int((seconds + baseline) * SFREQ)
    eeg = Modality(1e-5 * rng.standard_normal((n_trials, 3, n)), SFREQ, ["F3", "Fz", "F4"], "V")
    return SubjectRecording(dataset="deap", subject="s01", modalities={"eeg": eeg},
                            labels={"valence": np.arange(n_trials, dtype=float)},
                            trial_ids=np.arange(1, n_trials + 1), baseline=baseline)


def test_every_modality_is_registered():
    assert MODALITY_EXTRACTORS.names() == ["ecg", "eeg", "eog", "eye", "face", "gsr", "ppg", "resp"]
    assert MODALITY_EXTRACTORS.get("eeg") is extract_eeg


def test_extractor_defaults_are_the_config_defaults():
    defaults = {f.name: f.default for f in dataclasses.fields(ExtractConfig)}
    sig = inspect.signature(eeg_window_features).parameters
    assert set(extract_eeg.config_fields) == set(list(sig)[2:])
    for name in extract_eeg.config_fields:
        assert sig[name].default == defaults[name], name


def test_extractor_called_like_the_others_matches_extract_subject(rng):
    rec = _recording(rng)
    cfg = ExtractConfig(dataset="deap", bands=BANDS, modalities=("eeg",), eeg_features=("de", "raw"))
    grid = make_grid(rec, cfg)
    feats = MODALITY_EXTRACTORS.get("eeg")(rec.modalities["eeg"], grid,
                                           {"bands": BANDS, "eeg_features": ("de", "raw")})
    _, _, mods, _ = extract_subject(rec, cfg)
    for key in ("de", "raw"):
        assert_array_equal(feats[key].data, mods["eeg"][key].data)
        assert feats[key].dims == mods["eeg"][key].dims
    # trial 0's stimulus windows: 1-s DE after the 2-s baseline
    de0 = differential_entropy(rec.modalities["eeg"].trial(0)[:, 256:], SFREQ, BANDS)
    assert_allclose(feats["de"].data[:6], np.moveaxis(de0, 1, 0), rtol=1e-12)


def test_unknown_eeg_param_and_config_field_in_modality_params_are_errors(rng):
    rec = _recording(rng)
    grid = make_grid(rec, ExtractConfig(dataset="deap", modalities=("eeg",)))
    with pytest.raises(ValueError, match=r"Unknown eeg parameter 'band'.*Did you mean 'bands'"):
        extract_eeg(rec.modalities["eeg"], grid, {"band": BANDS})
    with pytest.raises(ValueError, match=r"modality_params\['eeg'\]\['bands'\] is an ExtractConfig "
                                         r"field.*set bands at the top level"):
        ExtractConfig(dataset="deap", modality_params={"eeg": {"bands": BANDS}})


def test_grid_of_another_subject_is_an_error(rng):
    rec = _recording(rng, n_trials=2)
    grid = make_grid(_recording(rng, n_trials=3), ExtractConfig(dataset="deap", modalities=("eeg",)))
    with pytest.raises(ValueError, match=r"window grid has 3 trials but the eeg modality has 2"):
        extract_eeg(rec.modalities["eeg"], grid, {"bands": BANDS})


def test_an_extractor_module_that_fails_to_import_is_named(monkeypatch):
    real = importlib.import_module

    def fake(name, *args):
        if name == "emopipe.features.face":
            raise ModuleNotFoundError("No module named 'cv2'", name="cv2")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(ImportError, match=r"Could not import emopipe\.features\.face, which "
                                          r"registers the 'face' modality extractor.*'cv2'"):
        features._fill_extractors()


def test_taper_field_resolves_and_keys_the_cache(tmp_path):
    from emopipe.features.extract import resolved_config
    from emopipe.utils.config import config_hash

    assert ExtractConfig(dataset="deap").taper == "hann"  # None resolved for "spectral"
    assert ExtractConfig(dataset="deap", taper="boxcar").taper == "boxcar"
    assert ExtractConfig(dataset="deap", de_method="butter").taper is None
    assert ExtractConfig(dataset="deap", de_method="bandpass").taper is None
    hashes = {config_hash(resolved_config(ExtractConfig(dataset="deap", **kw), tmp_path))
              for kw in ({}, {"taper": "hann"}, {"taper": "boxcar"}, {"de_method": "butter"})}
    assert len(hashes) == 3  # {} and taper="hann" are one config
    with pytest.raises(ValueError, match=r"taper applies to de_method='spectral' only "
                                         r"\(de_method='butter' has its own window or filter\), "
                                         r"got taper='hann'\. Leave taper=None"):
        ExtractConfig(dataset="deap", de_method="butter", taper="hann")
    with pytest.raises(ValueError, match=r"Invalid value for the 'taper' parameter.*'boxcar', "
                                         r"'hann'.*got 'hanning'.*Did you mean 'hann'"):
        ExtractConfig(dataset="deap", taper="hanning")


@pytest.mark.parametrize("method, taper", [("spectral", "boxcar"), ("spectral", None),
                                           ("butter", None), ("bandpass", None)])
def test_extractor_estimators_match_the_array_functions(rng, method, taper):
    from emopipe.features.spectral import band_power

    rec = _recording(rng)
    cfg = ExtractConfig(dataset="deap", bands=BANDS, modalities=("eeg",), de_method=method,
                        taper=taper, eeg_features=("de", "band_power"))
    _, _, mods, _ = extract_subject(rec, cfg)
    trial = rec.modalities["eeg"].trial(0)  # (n_channels, n_times), 2-s baseline first
    if method == "spectral":
        # windows cut from the stimulus part, one periodogram each
        ref = band_power(trial[:, 256:], SFREQ, BANDS, taper=taper)
    else:
        # the whole trial filtered (no edge effects at the stimulus onset), then cut
        ref = band_power(trial, SFREQ, BANDS, method=method)[:, 2:]
    assert_allclose(mods["eeg"]["band_power"].data[:6], np.moveaxis(ref, 1, 0), rtol=1e-10)
    assert_allclose(mods["eeg"]["de"].data[:6], 0.5 * np.log(2 * np.pi * np.e
                                                             * np.moveaxis(ref, 1, 0)),
                    rtol=1e-10)
