"""Band power and differential entropy: analytic answers (style.md §7)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.signal import periodogram
from scipy.special import digamma

from emopipe.features import spectral
from emopipe.features.bands import resolve_bands
from emopipe.features.spectral import band_power, band_power_and_de, differential_entropy

SFREQ = 200.0
BANDS = {"theta": (4, 8), "alpha": (8, 14), "beta": (14, 31), "gamma": (31, 50)}


def _gauss_de(var):
    return 0.5 * np.log(2 * np.pi * np.e * np.asarray(var))


def _band_dof(taper, n_bins):
    """Equivalent chi-square degrees of freedom of a band sum of ``n_bins`` bins.

    Boxcar bins of white noise are independent: ``2 n``. The periodic Hann's
    DFT is ``X_k = Y_k / 2 - (Y_{k-1} + Y_{k+1}) / 4`` of the independent
    boxcar ``Y``, so neighbouring coefficients correlate by -2/3 (lag 1) and
    1/6 (lag 2), their powers by the squares 4/9 and 1/36, and
    ``var(sum) = n + 2 (n - 1) 4/9 + 2 (n - 2) / 36`` (in units of one bin's
    variance): ``nu = 2 n**2 / var(sum)``.
    """
    n = np.asarray(n_bins, dtype=float)
    if taper == "boxcar":
        return 2 * n
    return 2 * n**2 / (n + 2 * (n - 1) * 4 / 9 + 2 * (n - 2) / 36)


def _exact_log_bias(taper, n, sfreq, l_freq, h_freq):
    """``E[0.5 log P] - 0.5 log E[P]`` of a band sum of one window of white noise.

    The band power is a quadratic form ``x' M x`` of the ``n`` samples (taper,
    mean removal and the DFT bins in the band, built here from scipy's window
    and explicit cosines and sines), so for Gaussian ``x`` it is
    ``sum_i mu_i z_i**2`` with ``mu`` the eigenvalues of ``M``, and
    ``E[log Q] = int_0^inf (exp(-t) - prod_i (1 + 2 mu_i t)**-0.5) dt / t``.
    For the boxcar this is ``psi(n_bins) - log(n_bins)``.
    """
    from scipy.integrate import quad
    from scipy.signal import get_window

    w = get_window(taper, n)
    k = np.arange(int(np.ceil(l_freq * n / sfreq)), int(np.ceil(h_freq * n / sfreq)))
    phase = 2 * np.pi * np.outer(np.arange(n), k) / n
    basis = np.concatenate([np.cos(phase), np.sin(phase)], axis=1) * w[:, None]
    basis -= basis.mean(axis=0)  # mean removal: B' (x - mean x) = (B - mean B)' x
    mu = np.linalg.eigvalsh(basis @ basis.T)
    mu = mu[mu > 1e-12 * mu.max()] / mu.sum()  # E[Q] = 1

    def integrand(t):
        return (np.exp(-t) - np.exp(-0.5 * np.sum(np.log1p(2 * mu * t)))) / t

    return 0.5 * quad(integrand, 0, np.inf, limit=500)[0]


@pytest.mark.parametrize("taper", ["hann", "boxcar"])
@pytest.mark.parametrize("sigma", [10e-6, 2.0])  # EEG-like volts, and O(1)
def test_de_of_white_noise_matches_gaussian_entropy(rng, sigma, taper):
    data = sigma * rng.standard_normal((2, int(600 * SFREQ)))  # (n_channels, n_times)
    de = differential_entropy(data, SFREQ, BANDS, window=60.0, taper=taper)  # small bias
    assert de.shape == (2, 10, len(BANDS))  # (n_channels, n_windows, n_bands)
    # a flat PSD puts a fraction (h - l) / (sfreq / 2) of sigma**2 in each band
    var = np.array([sigma**2 * (h - l) / (SFREQ / 2) for l, h in BANDS.values()])
    # Per window the band power is var * chi2(nu) / nu, nu = 2 (h - l) * 60 s
    # (480 for theta) for the boxcar and ~nu / 1.94 for the Hann (_band_dof),
    # so one window's DE has SD 0.5 * sqrt(2 / nu) = 0.032 (boxcar) or 0.045
    # (Hann) nats for theta: atol=0.05 is 1-1.5 SD per element (style.md's
    # "SD 0.009" is the SD of the mean over windows and channels). Test the
    # mean at 0.05 (> 5 SD) and each element at 5 SD of its own spread.
    nu = _band_dof(taper, [(h - l) * 60 for l, h in BANDS.values()])
    assert_allclose(de.mean(axis=(0, 1)), _gauss_de(var), atol=0.05)
    assert np.all(np.abs(de - _gauss_de(var)) < 5 * 0.5 * np.sqrt(2 / nu))
    bp = band_power(data, SFREQ, BANDS, window=60.0, taper=taper)
    # the mean of 20 windows: relative SD sqrt(2 / (20 nu)); 5 SD
    assert np.all(np.abs(bp.mean(axis=(0, 1)) / var - 1) < 5 * np.sqrt(2 / (20 * nu)))
    # the log-mean bias of the 60-s windows is below 0.005 nats (exact, theta)
    assert _exact_log_bias(taper, 600, 10.0, 4, 8) > -0.005


def test_default_taper_is_hann(rng):
    x = rng.standard_normal((2, 1000))
    assert_allclose(band_power(x, SFREQ, BANDS), band_power(x, SFREQ, BANDS, taper="hann"),
                    rtol=1e-15)
    assert not np.allclose(band_power(x, SFREQ, BANDS),
                           band_power(x, SFREQ, BANDS, taper="boxcar"))


def _hann_band_fraction(n, nu0, k_lo, k_hi):
    """Share of a tone's periodogram (offset ``nu0`` bins) in bins ``k_lo .. k_hi - 1``.

    The DTFT of the periodic Hann at ``k - nu0`` by direct summation; all
    ``n`` bins sum to ``n * sum(w**2)`` (Parseval), whatever the offset.
    """
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    k = np.arange(k_lo, k_hi)
    dtft = np.exp(-2j * np.pi * np.outer(k - nu0, np.arange(n)) / n) @ w
    return np.sum(np.abs(dtft) ** 2) / (n * np.sum(w**2))


def test_off_bin_tone_stays_in_its_band():
    # issue 9: a 10.3-Hz tone of amplitude 2 in 1-s windows at 128 Hz
    sfreq, amp, freq = 128.0, 2.0, 10.3
    bands = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 14), "beta": (14, 31),
             "gamma": (31, 45)}
    t = np.arange(int(60 * sfreq)) / sfreq  # 60 windows, each a different phase
    x = amp * np.sin(2 * np.pi * freq * t + 0.4)
    de = differential_entropy(x, sfreq, bands)  # default: Hann
    assert de.shape == (60, 5)
    # Expected alpha: A**2 / 2 times the share of the Hann kernel's energy in
    # bins 8..13 for a tone at bin 10.3, computed independently here; that
    # share is 1 - 8e-5, so alpha is 0.5 ln(2 pi e A**2 / 2) within 4e-5 nats.
    # The negative-frequency image, 20.6 bins away, adds a cross term below
    # 1e-4 of the power: atol 2e-4 nats.
    share = _hann_band_fraction(128, freq, 8, 14)
    assert 1 - 1e-4 < share < 1
    assert_allclose(de[:, 2], 0.5 * np.log(2 * np.pi * np.e * amp**2 / 2 * share),
                    atol=2e-4)
    assert_allclose(de[:, 2], 0.5 * np.log(np.pi * np.e * amp**2), atol=3e-4)
    # neighbours theta and beta: at least 2 nats below alpha, and below -2 nats
    # (about -3.2 / -3.5: the Hann's side lobes fall as 1 / f**3)
    for b in (1, 3):
        assert np.all(de[:, b] <= de[:, 2] - 2.0)
        assert np.all(de[:, b] <= -2.0)
    # the boxcar leaks ~1.5 % into each neighbour (DE -0.6 .. 0): the planted
    # contrast this test guards against
    box = differential_entropy(x, sfreq, bands, taper="boxcar")
    assert np.all(box[:, [1, 3]] > -1.0)
    assert np.all(box[:, [1, 3]].mean(axis=0) > de[:, [1, 3]].mean(axis=0) + 2.5)


@pytest.mark.parametrize("taper", ["boxcar", "hann"])
@pytest.mark.parametrize("freq", [10.0, 11.0])  # >= 2 bins inside 8-14 Hz
def test_sinusoid_band_power_is_half_amplitude_squared(taper, freq):
    amp = 3e-5
    t = np.arange(int(8 * SFREQ)) / SFREQ
    x = amp * np.sin(2 * np.pi * freq * t + 0.4)
    bp = band_power(x, SFREQ, BANDS, taper=taper)
    assert bp.shape == (8, 4)
    assert_allclose(bp[:, 1], amp**2 / 2, rtol=1e-3)  # alpha holds the tone
    assert np.all(bp[:, [0, 2, 3]] < 1e-12 * amp**2)  # nothing leaks out of it
    de = differential_entropy(x, SFREQ, BANDS, taper=taper)
    assert_allclose(de[:, 1], 0.5 * np.log(np.pi * np.e * amp**2), atol=0.05)


def test_de_gain_law(rng):
    x = rng.standard_normal((3, 2000))
    for method in ("spectral", "bandpass", "butter"):
        d1 = differential_entropy(x, SFREQ, BANDS, method=method)
        d10 = differential_entropy(10 * x, SFREQ, BANDS, method=method)
        assert_allclose(d10 - d1, np.log(10), rtol=1e-12)
    s1 = differential_entropy(x, SFREQ, BANDS, method="seed")
    s10 = differential_entropy(10 * x, SFREQ, BANDS, method="seed")
    assert_allclose(s10 - s1, 2 * np.log2(10), rtol=1e-12)  # log2(100 E) with E ~ a**2


def test_full_band_de_is_broadband_entropy(rng):
    sigma = 1.5
    x = sigma * rng.standard_normal((2, int(600 * SFREQ)))
    full = {"all": (0, SFREQ / 2)}
    # Parseval: (0, sfreq / 2), Nyquist bin included, is the window variance
    de = differential_entropy(x, SFREQ, full, window=2.0, taper="boxcar")
    var = x.reshape(2, -1, int(2 * SFREQ)).var(axis=-1)
    assert_allclose(de[..., 0], _gauss_de(var), rtol=1e-12)
    de_long = differential_entropy(x, SFREQ, full, window=60.0, taper="boxcar")
    # one window: SD 0.5 * sqrt(2 / 12000) = 0.0065 nats; mean of 20: 0.0015
    assert_allclose(de_long.mean(), _gauss_de(sigma**2), atol=0.01)
    assert np.all(np.abs(de_long - _gauss_de(sigma**2)) < 5 * 0.0065)


def test_short_window_bias_matches_log_chi_square(rng):
    # 1-s windows: a band of n bins is sigma_b**2 * chi2(2 n) / (2 n); the mean
    # of 0.5 log of it is below 0.5 log of its mean by 0.5 (psi(n) - log(n))
    x = rng.standard_normal((4, int(1500 * SFREQ)))
    bands = {"theta": (4, 8), "alpha": (8, 14)}
    bp, de = band_power_and_de(x, SFREQ, bands, window=1.0, taper="boxcar")
    n_bins = np.array([4, 6])
    expected_bias = 0.5 * (digamma(n_bins) - np.log(n_bins))  # -0.065, -0.043 nats
    bias = de.mean(axis=(0, 1)) - _gauss_de(bp.mean(axis=(0, 1)))
    assert_allclose(bias, expected_bias, atol=0.01)  # SE ~0.002
    assert np.all(bias < -0.03)


def test_short_window_bias_of_hann_matches_exact_quadratic_form(rng):
    # the exact bias of the quadratic form reduces to psi(n) - log(n) for the
    # boxcar (checks the integral); for the Hann its correlated bins have fewer
    # degrees of freedom, so the bias is larger: -0.105 (theta), -0.073 (alpha)
    bands = {"theta": (4, 8), "alpha": (8, 14)}
    for b, (lo, hi) in enumerate(bands.values()):
        n = hi - lo
        assert_allclose(_exact_log_bias("boxcar", 200, SFREQ, lo, hi),
                        0.5 * (digamma(n) - np.log(n)), rtol=1e-8)
    expected = np.array([_exact_log_bias("hann", 200, SFREQ, lo, hi)
                         for lo, hi in bands.values()])
    assert_allclose(expected, [-0.1046, -0.0735], atol=1e-4)
    x = rng.standard_normal((4, int(1500 * SFREQ)))
    bp, de = band_power_and_de(x, SFREQ, bands, window=1.0)  # default: Hann
    bias = de.mean(axis=(0, 1)) - _gauss_de(bp.mean(axis=(0, 1)))
    # 6000 windows, per-window DE SD <= 0.5 * sqrt(2 / _band_dof) = 0.38: SE 0.005
    assert_allclose(bias, expected, atol=0.02)
    # the mean power itself is unbiased: 5 SE of 6000 windows
    var = np.array([(hi - lo) / (SFREQ / 2) for lo, hi in bands.values()])
    nu = _band_dof("hann", [hi - lo for lo, hi in bands.values()])
    assert np.all(np.abs(bp.mean(axis=(0, 1)) / var - 1) < 5 * np.sqrt(2 / (6000 * nu)))


def test_spectral_matches_scipy_periodogram(rng):
    x = rng.standard_normal((2, 3, 1300))  # trailing 100 samples: no complete window
    for taper, window in (("boxcar", "boxcar"), ("hann", "hann")):
        bp = band_power(x, SFREQ, BANDS, window=1.5, step=0.5, taper=taper)
        assert bp.shape == (2, 3, 11, 4)  # (n_trials, n_channels, n_windows, n_bands)
        for w, start in enumerate(range(0, 1300 - 300 + 1, 100)):
            f, p = periodogram(x[..., start : start + 300], SFREQ, window=window,
                               detrend="constant", scaling="density")
            for b, (lo, hi) in enumerate(BANDS.values()):
                sel = (f >= lo) & (f < hi)
                assert_allclose(bp[..., w, b], p[..., sel].sum(-1) * (f[1] - f[0]),
                                rtol=1e-10)


def test_rfft_path_equals_basis_path(rng, monkeypatch):
    x = rng.standard_normal((3, 1000))
    ref = band_power(x, SFREQ, BANDS, taper="hann", step=0.25)
    ref_seed = band_power(x, SFREQ, BANDS, method="seed")
    monkeypatch.setattr(spectral, "_MAX_BASIS", 0)
    assert_allclose(band_power(x, SFREQ, BANDS, taper="hann", step=0.25), ref, rtol=1e-10)
    assert_allclose(band_power(x, SFREQ, BANDS, method="seed"), ref_seed, rtol=1e-10)


def test_relative_power_and_units(rng):
    x = rng.standard_normal((2, 2000))
    tiling = {"lo": (0, 20), "mid": (20, 60), "hi": (60, 100)}
    rel = band_power(x, SFREQ, tiling, relative=True)
    assert_allclose(rel.sum(-1), 1.0, rtol=1e-12)
    bp, de = band_power_and_de(x, SFREQ, BANDS, relative=True, log_base=2)
    assert_allclose(bp, band_power(x, SFREQ, BANDS, relative=True), rtol=1e-12)
    assert_allclose(de, differential_entropy(x, SFREQ, BANDS) / np.log(2), rtol=1e-12)
    assert_allclose(de, differential_entropy(x, SFREQ, BANDS, log_base=2), rtol=1e-12)


def _seed_by_hand(x_win, sfreq, l_freq, h_freq, n_fft):
    """One window, literally as ziyujia/Signal-feature-extraction DE_PSD.py."""
    n_len = len(x_win)
    hwin = np.array([0.5 - 0.5 * np.cos(2 * np.pi * n / (n_len + 1))
                     for n in range(1, n_len + 1)])
    mag = np.abs(np.fft.fft(x_win * hwin, n_fft)[0 : int(n_fft / 2)])
    f_start = int(np.floor(l_freq / sfreq * n_fft))
    f_end = int(np.floor(h_freq / sfreq * n_fft))
    e_b = np.mean(mag[f_start - 1 : f_end] ** 2)
    return e_b, np.log2(100 * e_b)


def test_seed_de_formula_by_hand(rng):
    x = 20 * rng.standard_normal((2, 600))  # microvolt-like scale, as SEED
    seed5 = resolve_bands("seed5", SFREQ)
    bp, de = band_power_and_de(x, SFREQ, seed5, method="seed")
    assert de.shape == (2, 3, 5)
    for ch in range(2):
        for w in range(3):
            for b, (lo, hi) in enumerate(seed5.values()):
                e_b, de_b = _seed_by_hand(x[ch, w * 200 : (w + 1) * 200], SFREQ, lo, hi, 512)
                assert_allclose(bp[ch, w, b], e_b, rtol=1e-12)
                assert_allclose(de[ch, w, b], de_b, rtol=1e-12)
    # the default n_fft at 200 Hz is 512; another one changes the bins
    de_256 = differential_entropy(x, SFREQ, seed5, method="seed", n_fft=256)
    _, ref = _seed_by_hand(x[0, :200], SFREQ, 8, 14, 256)
    assert_allclose(de_256[0, 0, 2], ref, rtol=1e-12)


def test_bandpass_de_of_white_noise_uses_equivalent_noise_bandwidth(rng):
    from mne.filter import create_filter
    from scipy.signal import freqz

    sigma = 1e-5
    x = sigma * rng.standard_normal((2, int(600 * SFREQ)))
    de = differential_entropy(x, SFREQ, BANDS, window=60.0, method="bandpass")
    expected, ideal, nu = [], [], []
    for lo, hi in BANDS.values():
        h = create_filter(None, SFREQ, lo, hi, verbose=False)
        _, resp = freqz(h, worN=8192)  # 0 .. Nyquist
        enbw = np.mean(np.abs(resp) ** 2) * SFREQ / 2  # Hz, integral of |H|**2
        expected.append(_gauss_de(sigma**2 * enbw / (SFREQ / 2)))
        ideal.append(_gauss_de(sigma**2 * (hi - lo) / (SFREQ / 2)))
        nu.append(2 * enbw * 60.0)  # ~chi-square degrees of freedom of one window
    expected, ideal, nu = np.array(expected), np.array(ideal), np.array(nu)
    # as for the spectral estimator: the mean at atol 0.05, each window at 5 SD
    assert_allclose(de.mean(axis=(0, 1)), expected, atol=0.05)
    assert np.all(np.abs(de - expected) < 5 * 0.5 * np.sqrt(2 / nu))
    # the caveat: MNE's transition bands pass 0.1-0.2 nats more than h - l
    assert np.all(expected - ideal > 0.1)


def _butter_gain(sfreq, lo, hi, freqs, order=4):
    """|H(f)|**4 of scipy's own Butterworth band-pass run forward and backward."""
    from scipy.signal import butter, sosfreqz

    sos = butter(order, [lo, hi], btype="bandpass", output="sos", fs=sfreq)
    _, resp = sosfreqz(sos, worN=np.asarray(freqs, dtype=float), fs=sfreq)
    return np.abs(resp) ** 4


def test_butter_de_of_white_noise_uses_equivalent_noise_bandwidth(rng):
    sigma = 1e-5
    x = sigma * rng.standard_normal((2, int(600 * SFREQ)))
    de = differential_entropy(x, SFREQ, BANDS, window=60.0, method="butter")
    freqs = np.linspace(0, SFREQ / 2, 20001)
    expected, ideal, nu = [], [], []
    for lo, hi in BANDS.values():
        gain = _butter_gain(SFREQ, lo, hi, freqs)  # zero phase: |H|**4
        enbw = np.trapezoid(gain, freqs)  # Hz
        expected.append(_gauss_de(sigma**2 * enbw / (SFREQ / 2)))
        ideal.append(_gauss_de(sigma**2 * (hi - lo) / (SFREQ / 2)))
        # chi-square dof of one window of noise shaped by the gain
        nu.append(2 * 60.0 * enbw**2 / np.trapezoid(gain**2, freqs))
    expected, ideal, nu = np.array(expected), np.array(ideal), np.array(nu)
    assert_allclose(de.mean(axis=(0, 1)), expected, atol=0.05)
    assert np.all(np.abs(de - expected) < 5 * 0.5 * np.sqrt(2 / nu))
    # order 4 twice: the edges are at -6 dB, the ENBW 0.90 (h - l): -0.05 nats
    assert np.all((expected - ideal > -0.06) & (expected - ideal < -0.04))


@pytest.mark.parametrize("freq", [9.0, 10.0, 13.0])  # whole cycles per 1-s window
def test_butter_tone_keeps_half_amplitude_squared_times_its_gain(freq):
    amp = 2.0
    t = np.arange(int(20 * SFREQ)) / SFREQ
    x = amp * np.sin(2 * np.pi * freq * t + 0.4)
    bp = band_power(x, SFREQ, BANDS, method="butter")
    # away from the ends (the filter rings for ~1 s after the padding), the
    # window variance of the filtered tone is each band's gain times A**2 / 2
    gains = np.array([_butter_gain(SFREQ, lo, hi, [freq])[0] for lo, hi in BANDS.values()])
    assert_allclose(bp[3:-3, 1], gains[1] * amp**2 / 2, rtol=1e-6)
    # the other bands, 1e-5 of A**2 / 2: theta's filter still rings 3 s in
    assert_allclose(bp[3:-3], np.broadcast_to(gains * amp**2 / 2, bp[3:-3].shape),
                    rtol=1e-6, atol=1e-5 * amp**2 / 2)
    if freq == 13.0:  # 1 Hz from the edge the gain matters: 0.87, and beta gets 0.04
        assert np.all(bp[3:-3, 1] < 0.9 * amp**2 / 2)
        assert np.all(bp[3:-3, 2] > 0.03 * amp**2 / 2)
    if freq == 10.0:  # 2 Hz inside both edges: the neighbours get < 1e-3
        assert np.all(bp[3:-3, [0, 2, 3]] < 1e-3 * amp**2 / 2)


def test_butter_window_variance_of_filtered_signal(rng):
    from emopipe.features.filters import butter_bands

    x = rng.standard_normal((2, 3000))
    bp = band_power(x, SFREQ, BANDS, method="butter", window=2.0, step=1.0)
    bp3 = band_power(x, SFREQ, BANDS, method="butter", window=2.0, step=1.0,
                     filter_kwargs={"order": 3})
    y = butter_bands(x, SFREQ, BANDS)  # (n_channels, n_bands, n_times)
    y3 = butter_bands(x, SFREQ, BANDS, order=3)
    for w in range(14):
        seg = slice(w * 200, w * 200 + 400)
        assert_allclose(bp[:, w, :], y[..., seg].var(axis=-1), rtol=1e-10)
        assert_allclose(bp3[:, w, :], y3[..., seg].var(axis=-1), rtol=1e-10)
    assert not np.allclose(bp, bp3)
    with pytest.raises(ValueError, match=r"'filter_kwargs' parameter \(a key of, for "
                                         r"method='butter'\).*got 'l_trans_bandwidth'"):
        band_power(x, SFREQ, BANDS, method="butter", filter_kwargs={"l_trans_bandwidth": 1})
    with pytest.raises(ValueError, match=r"order \(Butterworth order per band edge\) must "
                                         r"be an integer from 1 to 10, got 0"):
        band_power(x, SFREQ, BANDS, method="butter", filter_kwargs={"order": 0})
    with pytest.raises(ValueError, match=r"method='butter' takes no n_fft"):
        band_power(x, SFREQ, BANDS, method="butter", n_fft=256)
    with pytest.raises(ValueError, match=r"taper applies to method='spectral' only "
                                         r"\(method='butter'.*Leave taper=None"):
        band_power(x, SFREQ, BANDS, method="butter", taper="hann")


def test_bandpass_window_variance_of_filtered_signal(rng):
    from emopipe.features.filters import filter_bands

    x = rng.standard_normal((2, 3000))
    bp = band_power(x, SFREQ, BANDS, method="bandpass", window=2.0, step=1.0)
    y = filter_bands(x, SFREQ, BANDS)  # (n_channels, n_bands, n_times)
    for w in range(14):
        seg = y[..., w * 200 : w * 200 + 400]
        assert_allclose(bp[:, w, :], seg.var(axis=-1), rtol=1e-10)


def test_deap_sized_bands_are_one_pass(rng):
    # band_power_and_de shares one computation: same numbers as separate calls
    x = rng.standard_normal((2, 3, 128 * 10))
    bands = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 14), "beta": (14, 31),
             "gamma": (31, 45)}
    bp, de = band_power_and_de(x, 128.0, bands)
    assert bp.shape == de.shape == (2, 3, 10, 5)
    assert_allclose(bp, band_power(x, 128.0, bands), rtol=1e-12)
    assert_allclose(de, differential_entropy(x, 128.0, bands), rtol=1e-12)


def test_errors(rng):
    x = rng.standard_normal((2, 400))
    with pytest.raises(ValueError, match=r"bands\['gamma'\] = \(31, 70\) Hz must satisfy "
                                         r"0 <= l_freq < h_freq <= sfreq / 2 = 64 Hz"):
        differential_entropy(x, 128.0, {"gamma": (31, 70)})
    msg = ("data must have shape (..., n_times) with n_times >= n_win = 200 "
           "(1 s at sfreq = 200 Hz), got shape (2, 150).")
    with pytest.raises(ValueError, match=f"^{__import__('re').escape(msg)}$"):
        differential_entropy(x[:, :150], SFREQ, BANDS)
    bad = x.copy()
    bad[1, 17] = np.nan
    with pytest.raises(ValueError, match=r"data contains 1 NaN or infinite values "
                                         r"\(first at index \(1, 17\)"):
        band_power(bad, SFREQ, BANDS)
    with pytest.raises(ValueError, match=r"data contains 1 NaN"):
        differential_entropy(bad, SFREQ, BANDS, method="bandpass")
    with pytest.raises(ValueError, match="Invalid value for the 'method' parameter.*"
                                         "Did you mean 'spectral'"):
        band_power(x, SFREQ, BANDS, method="spectrum")
    with pytest.raises(ValueError, match=r"bands\['narrow'\] = \(10.2, 10.8\) Hz holds no "
                                         r"bin of the 1-Hz spectrum"):
        band_power(x, SFREQ, {"narrow": (10.2, 10.8)})
    with pytest.raises(ValueError, match=r"method='seed' needs 1 <= k_lo"):
        differential_entropy(x, SFREQ, {"slow": (0.1, 4)}, method="seed")
    with pytest.raises(ValueError, match=r"log_base must be None or 2"):
        differential_entropy(x, SFREQ, BANDS, method="seed", log_base=10)
    with pytest.raises(ValueError, match=r"n_fft must be >= n_win = 200"):
        band_power(x, SFREQ, BANDS, n_fft=128)
    with pytest.raises(ValueError, match=r"taper applies to method='spectral' only"):
        band_power(x, SFREQ, BANDS, method="seed", taper="hann")
    with pytest.raises(ValueError, match=r"filter_kwargs apply to method='bandpass' or "
                                         r"'butter' only"):
        band_power(x, SFREQ, BANDS, filter_kwargs={"l_trans_bandwidth": 1.0})


def test_mne_objects_are_refused():
    import mne

    info = mne.create_info(["Fz", "Cz"], SFREQ, "eeg")
    raw = mne.io.RawArray(np.zeros((2, 400)), info, verbose=False)
    with pytest.raises(TypeError, match=r"got an MNE RawArray object.*pass inst.get_data\(\)"):
        differential_entropy(raw, SFREQ, BANDS)
    epochs = mne.EpochsArray(np.zeros((1, 2, 400)), info, verbose=False)
    with pytest.raises(TypeError, match=r"MNE EpochsArray object"):
        band_power(epochs, SFREQ, BANDS)


@pytest.mark.parametrize("shape, step", [((40, 600), 0.1), ((3, 200 * 700), None)])
def test_block_and_thread_layout_does_not_change_values(rng, monkeypatch, shape, step):
    # many row blocks (first case) and long rows cut into window blocks (second)
    x = rng.standard_normal(shape)
    bp = band_power(x, SFREQ, BANDS, step=step, relative=True, taper="boxcar")
    monkeypatch.setattr(spectral, "_MAX_THREADS", 1)
    assert_allclose(band_power(x, SFREQ, BANDS, step=step, relative=True, taper="boxcar"),
                    bp, rtol=1e-12)
    hop = 200 if step is None else 20
    starts = np.arange(bp.shape[-2]) * hop
    win = np.stack([x[:, s : s + 200] for s in starts], axis=1)
    f, p = periodogram(win, SFREQ, window="boxcar", detrend="constant")
    for b, (lo, hi) in enumerate(BANDS.values()):
        sel = (f >= lo) & (f < hi)
        ref = p[..., sel].sum(-1) / p.sum(-1)  # relative: total over all bins
        assert_allclose(bp[..., b], ref, rtol=1e-9)


def test_band_presets():
    assert resolve_bands("seed5") == {"delta": (1.0, 4.0), "theta": (4.0, 8.0),
                                      "alpha": (8.0, 14.0), "beta": (14.0, 31.0),
                                      "gamma": (31.0, 50.0)}
    assert list(resolve_bands("v2e6", 128.0).values())[0] == (0.3, 4.0)
    assert resolve_bands("torcheeg4", 128.0)["gamma"] == (31.0, 49.0)
    own = {"alpha": (8, 14)}
    assert resolve_bands(own, 128.0) == {"alpha": (8.0, 14.0)}
    with pytest.raises(ValueError, match=r"bands\['gamma'\] = \(31, 50\) Hz must satisfy "
                                         r"0 <= l_freq < h_freq <= sfreq / 2 = 32 Hz"):
        resolve_bands("seed5", 64.0)
    with pytest.raises(ValueError, match=r"'bands' parameter.*Did you mean 'seed5'"):
        resolve_bands("sed5")
    with pytest.raises(TypeError, match=r"bands must be an instance of str or dict"):
        resolve_bands(5)


@pytest.mark.parametrize("taper, seg_step", [("hann", None), ("boxcar", 0.5), ("hann", 0.25)])
def test_welch_segments_match_scipy_welch(rng, taper, seg_step):
    from scipy.signal import welch

    x = rng.standard_normal((2, 2400))
    # 4-s windows every 2 s, 1-s segments: methods.md's 1-Hz Welch
    bp = band_power(x, SFREQ, BANDS, window=4.0, step=2.0, taper=taper, segment=1.0,
                    segment_step=seg_step, relative=False)
    assert bp.shape == (2, 5, 4)
    noverlap = 100 if seg_step is None else 200 - int(seg_step * SFREQ)
    for w in range(5):
        f, p = welch(x[:, w * 400 : w * 400 + 800], SFREQ, window=taper, nperseg=200,
                     noverlap=noverlap, detrend="constant")
        for b, (lo, hi) in enumerate(BANDS.values()):
            sel = (f >= lo) & (f < hi)
            assert_allclose(bp[:, w, b], p[:, sel].sum(-1) * (f[1] - f[0]), rtol=1e-10)
    rel = band_power(x, SFREQ, {"all": (0, 100)}, window=4.0, step=2.0, taper=taper,
                     segment=1.0, segment_step=seg_step, relative=True)
    assert_allclose(rel, 1.0, rtol=1e-12)
    with pytest.raises(ValueError, match=r"must be a multiple of the segment step"):
        band_power(x, SFREQ, BANDS, window=4.0, step=2.0, segment=1.0, segment_step=0.3)
    with pytest.raises(ValueError, match=r"at most the window \(4 s, 800 samples\)"):
        band_power(x, SFREQ, BANDS, window=4.0, segment=5.0)
