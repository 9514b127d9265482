"""filter_bands / butter_bands: MNE's FIR and IIR designs applied to all bands at once."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.features.filters import butter_bands, butter_power_gain, filter_bands

SFREQ = 200.0


@pytest.mark.parametrize("kwargs", [{}, {"l_trans_bandwidth": 1.0, "fir_window": "hann"}])
def test_filter_bands_equals_mne_filter_data(rng, kwargs):
    from mne.filter import filter_data

    x = rng.standard_normal((2, 3, 1500))
    bands = {"low": (0, 4), "alpha": (8, 14), "high": (30, 100), "all": (0, 100)}
    y = filter_bands(x, SFREQ, bands, **kwargs)
    assert y.shape == (2, 3, 4, 1500)  # (n_trials, n_channels, n_bands, n_times)
    mne_edges = [(None, 4.0), (8.0, 14.0), (30.0, None)]
    for b, (lo, hi) in enumerate(mne_edges):
        ref = filter_data(x, SFREQ, lo, hi, verbose=False, **kwargs)
        assert_allclose(y[..., b, :], ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    assert_allclose(y[..., 3, :], x)  # (0, Nyquist) passes everything


def test_filter_bands_falls_back_to_mne_for_iir(rng):
    from mne.filter import filter_data

    x = rng.standard_normal((2, 1000))
    y = filter_bands(x, SFREQ, {"alpha": (8, 14)}, method="iir")
    assert_allclose(y[:, 0], filter_data(x, SFREQ, 8, 14, method="iir", verbose=False))


def test_filter_bands_passes_in_band_tone_and_stops_out_of_band(rng):
    t = np.arange(int(20 * SFREQ)) / SFREQ
    x = np.sin(2 * np.pi * 10 * t) + np.sin(2 * np.pi * 40 * t)
    y = filter_bands(x, SFREQ, {"alpha": (8, 14), "gamma": (31, 50)})
    core = slice(400, -400)
    # Hamming-window FIR: passband ripple and stopband leakage below 1 %
    assert_allclose(y[0, core], np.sin(2 * np.pi * 10 * t)[core], atol=1e-2)
    assert_allclose(y[1, core], np.sin(2 * np.pi * 40 * t)[core], atol=1e-2)


def test_filter_bands_errors(rng):
    x = rng.standard_normal((2, 1000))
    with pytest.raises(ValueError, match=r"Invalid value for the 'filter_kwargs' parameter "
                                         r"\(a key of\).*'l_trans_bandwith'.*"
                                         r"Did you mean 'l_trans_bandwidth'"):
        filter_bands(x, SFREQ, {"alpha": (8, 14)}, l_trans_bandwith=2.0)
    with pytest.raises(ValueError, match=r"bands\['gamma'\] = \(31, 120\) Hz"):
        filter_bands(x, SFREQ, {"gamma": (31, 120)})
    x[0, 3] = np.inf
    with pytest.raises(ValueError, match=r"data contains 1 NaN or infinite values"):
        filter_bands(x, SFREQ, {"alpha": (8, 14)})


@pytest.mark.parametrize("order", [4, 2])
def test_butter_bands_equals_mne_iir_filter_data(rng, order):
    from mne.filter import filter_data

    x = rng.standard_normal((2, 3, 1500))
    bands = {"low": (0, 4), "alpha": (8, 14), "high": (30, 100), "all": (0, 100)}
    y = butter_bands(x, SFREQ, bands, order=order)
    assert y.shape == (2, 3, 4, 1500)  # (n_trials, n_channels, n_bands, n_times)
    iir = dict(order=order, ftype="butter", output="sos")
    for b, (lo, hi) in enumerate([(None, 4.0), (8.0, 14.0), (30.0, None)]):
        ref = filter_data(x, SFREQ, lo, hi, method="iir", iir_params=iir, verbose=False)
        assert_allclose(y[..., b, :], ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    assert_allclose(y[..., 3, :], x)
    # shorter than the ringing length: padded by n_times - 1, as MNE
    short = x[..., :100]
    ref = filter_data(short, SFREQ, 8.0, 14.0, method="iir", iir_params=iir, verbose=False)
    assert_allclose(butter_bands(short, SFREQ, {"alpha": (8, 14)}, order=order)[..., 0, :],
                    ref, rtol=0, atol=1e-12 * np.abs(ref).max())


def test_butter_power_gain_is_scipy_butterworth_twice():
    from scipy.signal import butter, sosfreqz

    freqs = np.array([1.0, 8.0, 10.0, 11.0, 14.0, 20.0, 50.0])
    sos = butter(4, [8, 14], btype="bandpass", output="sos", fs=SFREQ)
    _, h = sosfreqz(sos, worN=freqs, fs=SFREQ)
    gain = butter_power_gain(SFREQ, 8, 14, freqs)
    assert_allclose(gain, np.abs(h) ** 4, rtol=1e-10)
    assert_allclose(gain[[1, 4]], 0.25, rtol=1e-9)  # -3 dB at each edge, twice
    assert_allclose(butter_power_gain(SFREQ, 0, 100, freqs), 1.0)
    # a tone's variance through butter_bands follows the gain
    t = np.arange(int(20 * SFREQ)) / SFREQ
    for f0 in (10.0, 13.0, 16.0):
        y = butter_bands(np.sin(2 * np.pi * f0 * t), SFREQ, {"alpha": (8, 14)})[0]
        assert_allclose(y[600:-600].var(), 0.5 * butter_power_gain(SFREQ, 8, 14, [f0])[0],
                        rtol=1e-4)


def test_butter_bands_errors(rng):
    x = rng.standard_normal((2, 1000))
    with pytest.raises(TypeError, match=r"order must be an instance of int"):
        butter_bands(x, SFREQ, {"alpha": (8, 14)}, order=4.0)
    with pytest.raises(ValueError, match=r"order \(Butterworth order per band edge\) must be "
                                         r"an integer from 1 to 10, got 11"):
        butter_bands(x, SFREQ, {"alpha": (8, 14)}, order=11)
    with pytest.raises(ValueError, match=r"bands\['band'\] = \(8, 120\) Hz"):
        butter_power_gain(SFREQ, 8, 120, [10.0])
