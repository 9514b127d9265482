"""Conditioning of one peripheral signal: checks, robust scale, smoothing, quality.

The helpers the event detectors of :mod:`.eog`, :mod:`.gsr` and
:mod:`.peripheral` share. Each works on one 1-D signal ``(n_times,)``
(:func:`_welch_band_power` on windows ``(..., n_times)``).
"""

import functools
import numpy as np

from ..utils._checks import _check_finite
from ..utils._errors import ConfigError

#: scale from the median absolute deviation to the SD of a Gaussian
MAD_TO_SD = 1.4826


def _as_signal(x, name):
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ConfigError(
            f"{name} must be a 1-D signal of shape (n_times,), got shape {x.shape}. "
            f"Pick one channel (e.g. data[trial, channel])."
        )
    if x.size == 0:
        raise ConfigError(f"{name} is empty (shape {x.shape}); give at least one sample.")
    _check_finite(name, x)
    return x


def _robust_sd(x):
    """``1.4826 * median(|x - median(x)|)``, the Gaussian-equivalent SD."""
    return float(MAD_TO_SD * np.median(np.abs(x - np.median(x))))


@functools.lru_cache(maxsize=32)
def _butter_lowpass(order, h_freq, sfreq):
    """SOS of a Butterworth low-pass, designed once per (order, h_freq, sfreq)."""
    from scipy.signal import butter

    sos = butter(order, h_freq, btype="low", fs=sfreq, output="sos")
    sos.flags.writeable = False  # shared by every call: callers copy
    return sos


def _lowpass(x, sfreq, h_freq, order=4):
    """Zero-phase Butterworth low-pass (no-op if ``h_freq`` >= 0.45 sfreq)."""
    from scipy.signal import sosfiltfilt

    if h_freq is None or h_freq >= 0.45 * sfreq:
        return x.copy()
    if x.size < 4:
        return x.copy()
    sos = _butter_lowpass(int(order), float(h_freq), float(sfreq)).copy()
    # pad by about 1 s (reflected) so the edges settle, never beyond the signal
    padlen = min(x.size - 1, max(3 * (2 * len(sos) + 1), int(sfreq)))
    return sosfiltfilt(sos, x, padlen=padlen)


def _running_median(x, sfreq, window):
    """Running median over ``window`` s, computed at ~32 Hz and interpolated back."""
    from scipy.ndimage import median_filter

    step = max(1, int(sfreq // 32))
    xs = x[::step]
    size = max(1, int(round(window * sfreq / step)) | 1)
    base = median_filter(xs, size=size, mode="nearest")
    t = np.arange(x.size)
    return np.interp(t, t[::step], base)


def _smooth_and_slope(x, sfreq, smooth):
    """``x`` smoothed by a Gaussian of SD ``smooth`` s (at least half a sample), and its slope.

    A Gaussian kernel does not ring, so a step gives one slope lobe (a
    Butterworth low-pass would add opposite-sign lobes around it). Returns
    the smoothed signal and its derivative per second, both ``(n_times,)``.
    """
    from scipy.ndimage import gaussian_filter1d

    sigma = max(smooth * sfreq, 0.5)
    y = gaussian_filter1d(x, sigma, mode="nearest")
    slope = gaussian_filter1d(x, sigma, order=1, mode="nearest") * sfreq
    return y, slope


def _signal_quality(x, *, flat_sd=1e-9, saturation_fraction=0.01):
    """Return ``None`` if ``x`` looks usable, else ``"flat"`` or ``"saturated"``.

    Flat: robust SD below ``flat_sd`` (in the signal's unit) and peak-to-peak
    below 10 ``flat_sd``. Saturated: more than ``saturation_fraction`` of the
    samples sit exactly at the signal's maximum or minimum (clipping).
    """
    x = np.asarray(x, dtype=float)
    ptp = float(np.ptp(x)) if x.size else 0.0
    if ptp <= 10 * flat_sd and _robust_sd(x) <= flat_sd:
        return "flat"
    if x.size >= 100:
        tol = 1e-9 * ptp
        at_max = np.count_nonzero(x >= x.max() - tol)
        at_min = np.count_nonzero(x <= x.min() + tol)
        if max(at_max, at_min) > saturation_fraction * x.size:
            return "saturated"
    return None


def _welch_band_power(windows, sfreq, bands, *, seg_seconds=2.0):
    """Band power of each window by Welch's method (plain bin sum).

    Parameters
    ----------
    windows : ndarray, shape (..., n_times)
        Windowed signal.
    sfreq : float
        Sampling frequency in Hz.
    bands : dict
        Name -> ``(l_freq, h_freq)``; power sums bins in ``[l_freq, h_freq)``.
    seg_seconds : float
        Welch segment length in seconds (capped at the window length).

    Returns
    -------
    power : ndarray, shape (..., n_bands)
        Power in squared signal units.
    """
    from scipy.signal import welch

    n_times = windows.shape[-1]
    nperseg = int(min(n_times, round(seg_seconds * sfreq)))
    freqs, psd = welch(
        windows, fs=sfreq, nperseg=nperseg, noverlap=nperseg // 2, detrend="constant", axis=-1
    )
    df = freqs[1] - freqs[0]
    out = np.empty(windows.shape[:-1] + (len(bands),))
    for i, (lo, hi) in enumerate(bands.values()):
        mask = (freqs >= lo) & (freqs < hi)
        if not mask.any():
            raise ConfigError(
                f"bands[{list(bands)[i]!r}] = ({lo:g}, {hi:g}) Hz holds no frequency bin at a "
                f"resolution of {df:g} Hz ({nperseg} samples at {sfreq:g} Hz). Use longer "
                f"windows or a wider band."
            )
        out[..., i] = psd[..., mask].sum(axis=-1) * df
    return out
