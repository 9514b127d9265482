"""mne-features bridge: per-window, per-channel univariate features."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.features.univariate import UNIVARIATE_FEATURES, window_features


def test_variance_equals_np_var_per_window(rng):
    x = rng.standard_normal((2, 3, 1000))  # (n_trials, n_channels, n_times)
    values, names = window_features(x, 200.0, ["variance", "ptp_amp"], window=1.0, step=0.5)
    assert names == ["variance", "ptp_amp"]
    assert values.shape == (2, 3, 9, 2)  # channels kept: (..., n_windows, n_features)
    starts = np.arange(9) * 100
    win = np.stack([x[..., s : s + 200] for s in starts], axis=-2)
    # mne-features' compute_variance is the unbiased (ddof=1) variance
    assert_allclose(values[..., 0], win.var(axis=-1, ddof=1), rtol=1e-12)
    assert_allclose(values[..., 1], np.ptp(win, axis=-1), rtol=1e-12)


@pytest.mark.parametrize("freq", [5.0, 20.0, 37.0])
def test_hjorth_mobility_of_sinusoid(freq):
    # x_n = sin(w n), w = 2 pi f / sfreq; its first difference
    # x_n - x_{n-1} = 2 sin(w / 2) cos(w n - w / 2) has amplitude 2 sin(w / 2),
    # so std(diff) / std(x) = 2 sin(pi f / sfreq) ~ 2 pi f / sfreq for f << sfreq.
    # (mne-features prepends a 0 sample: an O(1 / n_times) error.)
    sfreq = 200.0
    t = np.arange(int(20 * sfreq)) / sfreq
    x = np.sin(2 * np.pi * freq * t + 0.3)
    values, _ = window_features(x, sfreq, "hjorth_mobility", window=10.0)
    assert values.shape == (2, 1)
    assert_allclose(values[:, 0], 2 * np.sin(np.pi * freq / sfreq), rtol=2e-3)
    if freq == 5.0:
        assert_allclose(values[:, 0], 2 * np.pi * freq / sfreq, rtol=2e-3)


def test_line_length_by_hand():
    # 6 samples per 1-s window at 6 Hz
    x = np.array([[0.0, 1, 3, 2, 2, 5, 5, 4, 4, 4, 0, 1]])
    values, names = window_features(x, 6.0, ["line_length", "zero_crossings"])
    assert names == ["line_length", "zero_crossings"]
    assert values.shape == (1, 2, 2)
    assert_allclose(values[0, :, 0], [(1 + 2 + 1 + 0 + 3) / 5, (1 + 0 + 0 + 4 + 1) / 5])


def test_multi_output_features_get_sub_names(rng):
    x = rng.standard_normal((2, 800))
    bands = {"theta": (4, 8), "alpha": (8, 14)}
    values, names = window_features(
        x, 200.0, ["pow_freq_bands", "quantile", "spect_entropy"],
        params={"pow_freq_bands": {"freq_bands": bands, "normalize": False},
                "quantile": {"q": [0.25, 0.75]}},
    )
    assert names == ["pow_freq_bands__theta", "pow_freq_bands__alpha", "quantile__0",
                     "quantile__1", "spect_entropy"]
    assert values.shape == (2, 4, 5)
    win = x.reshape(2, 4, 200)
    assert_allclose(values[..., 2], np.quantile(win, 0.25, axis=-1), rtol=1e-12)
    assert_allclose(values[..., 3], np.quantile(win, 0.75, axis=-1), rtol=1e-12)
    assert np.all(values[..., 1] > 0)


def test_higuchi_runs_without_numba_warnings(rng):
    # pytest turns warnings into errors: numba's JIT must stay quiet
    values, names = window_features(rng.standard_normal((1, 400)), 200.0, "higuchi_fd")
    assert names == ["higuchi_fd"]
    assert np.all((values > 1.5) & (values < 2.5))  # white noise: FD ~ 2


def test_univariate_errors(rng):
    x = rng.standard_normal((2, 400))
    with pytest.raises(KeyError, match=r"Univariate feature 'hjorth_mobilty' not found\. "
                                       r"Did you mean 'hjorth_mobility'"):
        window_features(x, 200.0, ["hjorth_mobilty"])
    with pytest.raises(ValueError, match=r"params has an entry for 'quantile'"):
        window_features(x, 200.0, ["variance"], params={"quantile": {"q": 0.5}})
    with pytest.raises(ValueError, match=r"n_times >= n_win = 800"):
        window_features(x, 200.0, ["variance"], window=4.0)
    assert "spect_slope" not in UNIVARIATE_FEATURES
