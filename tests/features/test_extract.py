import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from emopipe.features.extract import ExtractConfig, extract_subject, make_grid
from emopipe.io._types import Modality, SubjectRecording

SFREQ = 128.0
BANDS = {"theta": (4.0, 8.0), "alpha": (8.0, 14.0), "beta": (14.0, 31.0)}


def _recording(n_trials=3, stim=10.0, baseline=3.0, amp_stim=20e-6, amp_base=10e-6, f=10.0):
    """EEG: a 10-Hz tone, amplitude amp_base in the baseline and amp_stim after."""
    n_base, n_stim = int(baseline * SFREQ), int(stim * SFREQ)
    t = np.arange(n_base + n_stim) / SFREQ
    tone = np.sin(2 * np.pi * f * t)
    amp = np.r_[np.full(n_base, amp_base), np.full(n_stim, amp_stim)]
    trial = np.stack([amp * tone, 2 * amp * tone])  # (n_channels, n_times)
    data = np.stack([trial * (k + 1) for k in range(n_trials)])
    eeg = Modality(data, SFREQ, ["F3", "F4"], "V", "uV")
    return SubjectRecording(
        dataset="deap", subject="s01", modalities={"eeg": eeg},
        labels={"valence": np.array([2.0, 5.0, 8.0])[:n_trials]},
        trial_ids=np.array([3, 1, 2])[:n_trials], baseline=baseline,
        missing={"gsr": "no GSR channel in this file"},
    )


def test_de_of_tone_per_window_and_window_index():
    rec = _recording()
    cfg = ExtractConfig(dataset="deap", bands=BANDS, modalities=("eeg", "gsr"))
    windows, labels, mods, missing = extract_subject(rec, cfg)
    assert mods["eeg"]["de"].data.shape == (30, 2, 3)  # 3 trials x 10 windows
    assert mods["eeg"]["de"].dims == ("window", "channel", "band")
    assert_array_equal(windows["trial"], np.repeat([3, 1, 2], 10))
    assert_array_equal(windows["trial_index"], np.repeat([0, 1, 2], 10))
    assert_allclose(windows["onset"], np.tile(np.arange(10.0), 3))
    # alpha band of channel c, trial k: amplitude A = 20e-6 * (c + 1) * (k + 1)
    amp = 20e-6 * np.arange(1, 3)[None, :] * np.arange(1, 4)[:, None]  # (trial, channel)
    expected = 0.5 * np.log(np.pi * np.e * amp**2)
    de_alpha = mods["eeg"]["de"].data[:, :, 1].reshape(3, 10, 2)
    assert_allclose(de_alpha, np.broadcast_to(expected[:, None, :], (3, 10, 2)), atol=0.05)
    bp = mods["eeg"]["band_power"].data[:, :, 1].reshape(3, 10, 2)
    assert_allclose(bp, np.broadcast_to((amp**2 / 2)[:, None, :], (3, 10, 2)), rtol=1e-3)
    assert_array_equal(labels["valence"], np.repeat([2.0, 5.0, 8.0], 10))
    assert_array_equal(labels["valence_class"], np.repeat([0, 0, 1], 10))
    assert missing == {"gsr": "no GSR channel in this file"}
    assert mods["eeg"]["de"].attrs["band_names"] == ["theta", "alpha", "beta"]


def test_baseline_subtract_removes_the_baseline_level():
    rec = _recording(amp_stim=20e-6, amp_base=10e-6)
    cfg = ExtractConfig(dataset="deap", bands=BANDS, modalities=("eeg",), baseline="subtract")
    _, _, mods, _ = extract_subject(rec, cfg)
    # DE difference of a tone of twice the amplitude is ln 2 in every window
    assert_allclose(mods["eeg"]["de"].data[:, :, 1], np.log(2.0), atol=1e-6)


def test_baseline_keep_gives_negative_onsets():
    rec = _recording(n_trials=1)
    grid = make_grid(rec, ExtractConfig(dataset="deap", baseline="keep"))
    assert_allclose(grid.onsets[0], np.arange(13.0) - 3.0)
    _, _, mods, _ = extract_subject(rec, ExtractConfig(dataset="deap", bands=BANDS, baseline="keep",
                                                         modalities=("eeg",)))
    bp = mods["eeg"]["band_power"].data[:, 0, 1]
    assert_allclose(bp[:3], (10e-6) ** 2 / 2, rtol=1e-3)
    assert_allclose(bp[3:], (20e-6) ** 2 / 2, rtol=1e-3)


def test_overlapping_windows_follow_step():
    rec = _recording(n_trials=1)
    windows, *_ = extract_subject(rec, ExtractConfig(dataset="deap", bands=BANDS, window=2.0, step=0.5,
                                                     modalities=("eeg",)))
    assert_allclose(windows["onset"], np.arange(17) * 0.5)
    assert_allclose(windows["duration"], 2.0)


def test_log_base_two_scales_de():
    rec = _recording(n_trials=1)
    _, _, nats, _ = extract_subject(rec, ExtractConfig(dataset="deap", bands=BANDS, modalities=("eeg",)))
    _, _, bits, _ = extract_subject(rec, ExtractConfig(dataset="deap", bands=BANDS, modalities=("eeg",),
                                                        log_base=2))
    assert_allclose(bits["eeg"]["de"].data, nats["eeg"]["de"].data / np.log(2), rtol=1e-12)


def test_config_errors_name_parameter_and_value():
    with pytest.raises(ValueError, match=r"'baseline' parameter.*got 'drops' instead. Did you mean 'drop'\?"):
        ExtractConfig(dataset="deap", baseline="drops")
    with pytest.raises(ValueError, match=r"'modalities' parameter.*got 'egg'"):
        ExtractConfig(dataset="deap", modalities=("eeg", "egg"))
    with pytest.raises(ValueError, match=r"window must be > 0, got -1"):
        ExtractConfig(dataset="deap", window=-1)
    with pytest.raises(ValueError, match=r"'lds_mode' parameter \(the causal LDS is fitted per fold"):
        ExtractConfig(dataset="deap", lds_mode="causal")


def test_window_longer_than_trial_is_an_error():
    rec = _recording(n_trials=1, stim=2.0)
    with pytest.raises(ValueError, match=r"deap s01: no complete 4.0-s window fits the trials"):
        extract_subject(rec, ExtractConfig(dataset="deap", window=4.0, bands=BANDS, modalities=("eeg",)))


def test_bandpass_method_filters_whole_trial_and_matches_tone_power():
    rec = _recording(n_trials=1, stim=10.0)
    _, _, spec, _ = extract_subject(rec, ExtractConfig(dataset="deap", bands=BANDS, modalities=("eeg",)))
    _, _, bpf, _ = extract_subject(rec, ExtractConfig(dataset="deap", bands=BANDS, modalities=("eeg",),
                                                       de_method="bandpass"))
    # a 10-Hz tone sits in the alpha pass band: both estimators give A^2 / 2 away from edges
    assert_allclose(bpf["eeg"]["band_power"].data[1:-1, :, 1],
                    spec["eeg"]["band_power"].data[1:-1, :, 1], rtol=0.02)
    # and essentially nothing in theta
    assert np.all(bpf["eeg"]["band_power"].data[1:-1, :, 0]
                  < 1e-3 * bpf["eeg"]["band_power"].data[1:-1, :, 1])


def test_raw_eeg_windows_are_the_stimulus_samples_untouched_by_baseline_mode():
    rec = _recording(n_trials=2)
    cfg = ExtractConfig(dataset="deap", bands=BANDS, modalities=("eeg",), window=2.0, eeg_features=("de", "raw"),
                        baseline="subtract")
    windows, _, mods, _ = extract_subject(rec, cfg)
    raw = mods["eeg"]["raw"]
    assert raw.dims == ("window", "channel", "time")
    assert raw.data.shape == (10, 2, 256)  # 2 trials x 5 windows of 2 s in the 10-s stimulus
    assert raw.attrs["sfreq"] == SFREQ and raw.attrs["unit"] == "V"
    n_base = int(3.0 * SFREQ)
    for w in range(10):
        t, start = w // 5, n_base + int(round(windows["onset"][w] * SFREQ))
        assert_array_equal(raw.data[w], rec.modalities["eeg"].data[t][:, start:start + 256])
    # DE was baseline-subtracted (tone twice as loud after the baseline), the raw windows not
    assert_allclose(mods["eeg"]["de"].data[:, :, 1], np.log(2.0), atol=1e-6)


def test_default_feature_is_declared_by_the_extractor():
    from emopipe.cache import default_feature
    from emopipe.features import MODALITY_EXTRACTORS

    assert default_feature("eeg") == "de"
    assert default_feature("face") == "frames"
    # the rest mean all their features; a modality without an extractor too
    assert [m for m in MODALITY_EXTRACTORS.names() if default_feature(m)] == ["eeg", "face"]
    assert default_feature("temp") is None


def test_signal_modality_shorter_than_the_grid_names_both_counts():
    from emopipe.io._types import Modality
    from emopipe.utils._errors import DataFileError

    rec = _recording()  # 3 + 10 s trials: 10 stimulus windows of 1 s
    gsr = [np.ones((1, int(13 * 32))), np.ones((1, int(8.5 * 32))), np.ones((1, int(13 * 32)))]
    rec.modalities["gsr"] = Modality(gsr, 32.0, ["GSR"], "ohm", "ohm")
    cfg = ExtractConfig(dataset="deap", bands=BANDS, modalities=("eeg", "gsr"))
    # windows start at 3 s (96 samples at 32 Hz), 32 samples each: 5 fit in 272 samples
    with pytest.raises(DataFileError, match=re.escape(
            "deap s01: trial 1 has 10 1-s windows in the eeg signal but only 5 fit in the gsr "
            "signal (272 samples at 32 Hz); the modalities of a trial must share its windows.")):
        extract_subject(rec, cfg)
