"""Heart rate (ECG, PPG) and respiration rate per window, against signals of known rate."""

import logging

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from emopipe.features._base import MODALITY_EXTRACTORS
from emopipe.features._windows import WindowGrid
from emopipe.features.peripheral import detect_cycles, instantaneous_rate, rate_window_features
from emopipe.io._types import Modality

nk = pytest.importorskip("neurokit2")

BASELINE, DURATION, WINDOW = 3.0, 30.0, 4.0


def _grid(n_trials=1):
    return WindowGrid.from_duration([DURATION] * n_trials, WINDOW, baseline=BASELINE)


@pytest.mark.parametrize("heart_rate, sfreq", [(72, 256), (110, 128)])
def test_ecg_heart_rate_within_3_bpm(heart_rate, sfreq):
    ecg = 1e-3 * nk.ecg_simulate(duration=BASELINE + DURATION, sampling_rate=sfreq,
                                 heart_rate=heart_rate, random_state=1)  # V
    feats = MODALITY_EXTRACTORS.get("ecg")(Modality(ecg[None, None], float(sfreq), ["ECG1"], "V"),
                                           _grid(), {})
    hr = feats["hr"]
    assert hr.data.shape == (7, 1) and hr.dims == ("window", "channel") and hr.attrs["unit"] == "1/min"
    assert np.all(np.abs(hr.data - heart_rate) <= 3.0)
    # about heart_rate / 15 beats fall in each 4-s window
    assert np.all(np.abs(feats["beat_count"].data - heart_rate * WINDOW / 60) <= 1)
    assert hr.attrs["quality"] == ["ok"]


def test_ppg_heart_rate_within_3_bpm():
    sfreq = 128
    ppg = nk.ppg_simulate(duration=BASELINE + DURATION, sampling_rate=sfreq, heart_rate=80,
                          frequency_modulation=0.0, ibi_randomness=0.0, random_state=1)
    feats = MODALITY_EXTRACTORS.get("ppg")(Modality(ppg[None, None], float(sfreq), ["Plet"], "a.u."),
                                           _grid(), {})
    assert np.all(np.abs(feats["hr"].data - 80.0) <= 3.0)


def test_respiration_rate_of_a_sinusoid(rng):
    # 0.25-Hz breathing with noise: 15 breaths/min in every window, two trials
    sfreq = 64.0
    t = np.arange(int((BASELINE + DURATION) * sfreq)) / sfreq
    trials = [np.sin(2 * np.pi * 0.25 * t + p) + 0.05 * rng.standard_normal(t.size)
              for p in (0.0, 1.0)]
    mod = Modality(np.stack(trials)[:, None], sfreq, ["Resp"], "a.u.")
    feats = MODALITY_EXTRACTORS.get("resp")(mod, _grid(2), {})
    assert feats["rate"].data.shape == (14, 1)
    assert np.all(np.abs(feats["rate"].data - 15.0) <= 3.0)
    assert set(np.unique(feats["breath_count"].data)) <= {0.0, 1.0, 2.0}
    assert_allclose(feats["breath_count"].data.sum(), 2 * DURATION / 4, atol=2)


def test_simulated_breathing_mean_rate():
    sfreq = 128
    rsp = nk.rsp_simulate(duration=int(BASELINE + DURATION), sampling_rate=sfreq, respiratory_rate=15,
                          random_state=1)
    feats = rate_window_features(Modality(rsp[None, None], float(sfreq), ["Resp"], "a.u."),
                                 _grid(), kind="resp")
    assert abs(feats["rate"].data.mean() - 15.0) <= 3.0


def test_instantaneous_rate_and_cycles():
    peaks = np.array([0, 100, 200, 250])  # intervals 1 s, 1 s, 0.5 s at 100 Hz
    rate = instantaneous_rate(peaks, 100.0, 300)
    assert_allclose(rate[[0, 100, 200, 225, 250, 299]], [60, 60, 60, 90, 120, 120])
    with pytest.raises(ValueError, match="at least 3 events, got 2"):
        instantaneous_rate(peaks[:2], 100.0, 300)
    # a pulse train of 1.25 Hz at 100 Hz: beats found 0.8 s apart
    x = np.zeros(1000)
    x[50::80] = 1.0
    x = np.convolve(x, np.hanning(15), mode="same")
    beats = detect_cycles(x, 100.0, kind="ppg")
    assert_allclose(np.median(np.diff(beats)), 80, atol=1)


def test_flat_channel_and_errors(caplog):
    sfreq = 128.0
    ecg = 1e-3 * nk.ecg_simulate(duration=BASELINE + DURATION, sampling_rate=128, heart_rate=70,
                                 random_state=0)
    data = np.stack([ecg, np.zeros_like(ecg)])[None]  # ECG2 disconnected
    with caplog.at_level(logging.WARNING, logger="emopipe"):
        feats = rate_window_features(Modality(data, sfreq, ["ECG1", "ECG2"], "V"), _grid(),
                                     kind="ecg")
    assert_array_equal(feats["hr"].data[:, 1], 0.0)
    assert_array_equal(feats["beat_count"].data[:, 1], 0.0)
    assert feats["hr"].attrs["quality"] == ["trial 0 ECG2: flat",
                                            "trial 0 ECG2: 0 events detected, rate set to 0"]
    assert "ECG2: 0 events detected" in caplog.text
    with pytest.raises(ValueError, match="The resp modality is empty"):
        rate_window_features(Modality([], sfreq, ["Resp"], "a.u."), _grid(), kind="resp")
    with pytest.raises(ValueError, match="Invalid value for the 'kind' parameter.*'ecg'"):
        rate_window_features(Modality(data, sfreq, ["a", "b"], "V"), _grid(), kind="ekg")
    with pytest.raises(ValueError, match="Unknown ppg parameter 'raw_'"):
        MODALITY_EXTRACTORS.get("ppg")(Modality(data, sfreq, ["a", "b"], "V"), _grid(), {"raw_": 1})


def test_raw_option_resamples():
    sfreq = 256.0
    ecg = 1e-3 * nk.ecg_simulate(duration=BASELINE + DURATION, sampling_rate=256, heart_rate=70,
                                 random_state=0)
    feats = MODALITY_EXTRACTORS.get("ecg")(Modality(ecg[None, None], sfreq, ["ECG"], "V"), _grid(),
                                           {"raw": True, "target_sfreq": 128.0})
    assert feats["raw"].data.shape == (7, 1, 512) and feats["raw"].attrs["sfreq"] == 128.0


def test_signal_without_cycles_gives_rate_zero(caplog):
    # a single slow drift: neurokit2 finds no breaths; windows get 0, quality says why
    sfreq = 128.0
    t = np.arange(int((BASELINE + DURATION) * sfreq)) / sfreq
    x = np.sin(2 * np.pi * 0.01 * t)
    with caplog.at_level(logging.WARNING, logger="emopipe"):
        feats = rate_window_features(Modality(x[None, None], sfreq, ["Resp"], "a.u."), _grid(),
                                     kind="resp")
    assert_array_equal(feats["rate"].data, 0.0)
    assert feats["rate"].attrs["quality"][-1].endswith("events detected, rate set to 0")
