"""Band-pass filtering of every band at once: MNE's zero-phase FIR, or Butterworth IIR.

:func:`filter_bands` designs each band's filter with
:func:`mne.filter.create_filter` (the design :func:`mne.filter.filter_data`
uses) and, for the default zero-phase FIR with ``reflect_limited`` padding,
applies all bands to all signals with one forward FFT and one inverse FFT
per band instead of MNE's per-channel overlap-add loop. The output equals
``mne.filter.filter_data`` band by band to rounding (tested). Other MNE
options (``method="iir"``, ``phase="minimum"``, other ``pad``) fall back to
calling ``filter_data`` itself.

:func:`butter_bands` is the IIR counterpart, as SEED-style pipelines filter:
a Butterworth band-pass per band (MNE's IIR design,
:func:`mne.filter.create_filter` with ``iir_params=dict(ftype="butter",
output="sos")``), applied forward and backward (zero phase, so the power
gain is ``|H(f)|**4``) with MNE's ``reflect_limited`` padding over the
filter's ringing length. It equals ``mne.filter.filter_data(...,
method="iir")`` to rounding (tested), for all signals in one call per band.
"""

import logging

import numpy as np

from ..utils._checks import _check_bands, _check_data, _check_option, _check_type
from ..utils._errors import ConfigError
from ..utils.docs import fill_doc

logger = logging.getLogger("emopipe.features.filters")

#: filter_data keyword arguments accepted by filter_bands
_FILTER_KWARGS = (
    "filter_length",
    "l_trans_bandwidth",
    "h_trans_bandwidth",
    "method",
    "iir_params",
    "phase",
    "fir_window",
    "fir_design",
    "pad",
)
_FIR_DEFAULTS = dict(method="fir", phase="zero", fir_design="firwin", pad="reflect_limited")
_ROW_CHUNK = 128  # signals per FFT block: bounds memory at ~2 x 128 x n_fft complex


def _check_filter_kwargs(filter_kwargs):
    for key in filter_kwargs:
        _check_option("filter_kwargs", key, _FILTER_KWARGS, extra=" (a key of)")
    kw = dict(_FIR_DEFAULTS)
    kw.update(filter_kwargs)
    return kw


def _band_edges_for_mne(l_freq, h_freq, sfreq):
    """Map a band to MNE's (l_freq, h_freq): 0 -> low-pass, Nyquist -> high-pass."""
    nyq = sfreq / 2.0
    lo = None if l_freq <= 0 else l_freq
    hi = None if h_freq >= nyq else h_freq
    return lo, hi


def _reflect_limited_pad(x, n_pad):
    """Odd reflection about each edge, zeros beyond the signal length (MNE ``_smart_pad``)."""
    if n_pad == 0:
        return x
    n_times = x.shape[-1]
    z = np.zeros(x.shape[:-1] + (max(n_pad - n_times + 1, 0),), dtype=x.dtype)
    left = 2 * x[..., :1] - x[..., n_pad:0:-1]
    right = 2 * x[..., -1:] - x[..., -2 : -n_pad - 2 : -1]
    return np.concatenate([z, left, x, right, z], axis=-1)


def _design_filters(sfreq, bands, n_times, kw):
    """MNE FIR taps per band, list of 1-D arrays (odd lengths for zero phase)."""
    from mne.filter import create_filter

    design = {k: kw[k] for k in ("filter_length", "l_trans_bandwidth",
                                 "h_trans_bandwidth", "fir_window", "fir_design",
                                 "phase") if k in kw}
    filters = []
    probe = np.zeros((1, n_times))  # lets MNE check the length against the data
    for l_freq, h_freq in bands.values():
        lo, hi = _band_edges_for_mne(l_freq, h_freq, sfreq)
        if lo is None and hi is None:
            filters.append(np.ones(1))
            continue
        h = create_filter(probe, sfreq, lo, hi, method="fir", verbose=False, **design)
        filters.append(np.asarray(h, dtype=np.float64))
    return filters


def _iter_filtered(data2d, sfreq, bands, **filter_kwargs):
    """Yield ``(row_slice, band_index, filtered_rows)`` for every block of signals.

    ``data2d`` has shape (n_signals, n_times); each yielded array has shape
    (n_rows_block, n_times).
    """
    from scipy.fft import irfft, next_fast_len, rfft

    kw = _check_filter_kwargs(filter_kwargs)
    n_signals, n_times = data2d.shape
    fast = (kw["method"] == "fir" and kw["phase"] == "zero"
            and kw["pad"] == "reflect_limited")
    if not fast:
        from mne.filter import filter_data

        mne_kw = {k: v for k, v in kw.items()}
        for b, (l_freq, h_freq) in enumerate(bands.values()):
            lo, hi = _band_edges_for_mne(l_freq, h_freq, sfreq)
            out = filter_data(data2d, sfreq, lo, hi, n_jobs=1, verbose=False, **mne_kw)
            yield slice(0, n_signals), b, out
        return
    filters = _design_filters(sfreq, bands, n_times, kw)
    lens = [len(h) for h in filters]
    n_edge = max(min(max(lens), n_times) - 1, 0)
    n_fft = next_fast_len(n_times + 2 * n_edge + max(lens) - 1, real=True)
    h_fft = [rfft(h, n_fft) for h in filters]
    logger.debug(
        "filter_bands: %d signals x %d samples, %d bands, FIR lengths %s, one %d-point FFT",
        n_signals, n_times, len(filters), lens, n_fft,
    )
    for r0 in range(0, n_signals, _ROW_CHUNK):
        rows = slice(r0, min(r0 + _ROW_CHUNK, n_signals))
        x_fft = rfft(_reflect_limited_pad(data2d[rows], n_edge), n_fft, axis=-1,
                     workers=-1)
        buf = np.empty_like(x_fft)
        for b, (h, hf) in enumerate(zip(filters, h_fft)):
            if len(h) == 1:
                yield rows, b, data2d[rows] * h[0]
                continue
            np.multiply(x_fft, hf, out=buf)
            y = irfft(buf, n_fft, axis=-1, workers=-1)
            shift = (len(h) - 1) // 2 + n_edge
            yield rows, b, y[:, shift : shift + n_times]


@fill_doc
def filter_bands(data, sfreq, bands, **filter_kwargs):
    """Zero-phase band-pass filter a signal into every band.

    Each band gets MNE's FIR filter (:func:`mne.filter.create_filter`,
    ``fir_design="firwin"``, zero phase, automatic transition bands); a band
    starting at 0 Hz is a low-pass and one ending at ``sfreq / 2`` a
    high-pass. All signals and bands share one forward FFT of the padded
    data; the result equals :func:`mne.filter.filter_data` applied band by
    band.

    Parameters
    ----------
    %(data_times)s
    %(sfreq)s
    %(bands)s
    **filter_kwargs
        Passed to MNE's filter design: ``filter_length``,
        ``l_trans_bandwidth``, ``h_trans_bandwidth``, ``fir_window``,
        ``fir_design``, ``phase``, ``method``, ``iir_params``, ``pad``.
        Anything but zero-phase FIR with ``pad="reflect_limited"`` is run
        through :func:`mne.filter.filter_data` itself.

    Returns
    -------
    filtered : ndarray, shape (..., n_bands, n_times)
        ``filtered[..., i, :]`` is ``data`` filtered into ``list(bands)[i]``.

    Notes
    -----
    The variance of filtered white noise is ``sigma**2`` times the filter's
    equivalent noise bandwidth over ``sfreq / 2``, which for MNE's default
    transition bands is wider than ``h_freq - l_freq``: 1.25-1.4 times
    for 4-8 Hz to 31-50 Hz bands at 128-200 Hz (methods.md §1.3), and the
    transition band of a band ending at 50 Hz reaches past it (50 Hz mains
    passes a 31-50 Hz band at gain 0.99). :func:`butter_bands` has sharper
    edges for the same bands.
    """
    data = _check_data(data, sfreq)
    bands = _check_bands(bands, sfreq)
    lead, n_times = data.shape[:-1], data.shape[-1]
    data2d = data.reshape(-1, n_times)
    out = np.empty((data2d.shape[0], len(bands), n_times))
    for rows, b, y in _iter_filtered(data2d, sfreq, bands, **filter_kwargs):
        out[rows, b] = y
    return out.reshape(lead + (len(bands), n_times))


#: Butterworth order of :func:`butter_bands` (per band edge: a band-pass of
#: order 4 has 8 poles; zero phase doubles the attenuation in dB)
BUTTER_ORDER = 4


def _check_butter_order(order):
    _check_type("order", order, ("int",))
    if not 1 <= order <= 10:
        raise ConfigError(
            f"order (Butterworth order per band edge) must be an integer from 1 to 10, "
            f"got {order!r}. SEED-style pipelines use 3 to 5; emopipe's default is "
            f"{BUTTER_ORDER}."
        )
    return order


def _design_butter(sfreq, bands, order):
    """MNE IIR Butterworth per band: list of ``(sos, padlen)``, ``None`` for a full band."""
    from mne.filter import create_filter

    designs = []
    for l_freq, h_freq in bands.values():
        lo, hi = _band_edges_for_mne(l_freq, h_freq, sfreq)
        if lo is None and hi is None:
            designs.append(None)
            continue
        params = create_filter(None, sfreq, lo, hi, method="iir", verbose=False,
                               iir_params=dict(order=order, ftype="butter", output="sos"))
        designs.append((np.asarray(params["sos"]), int(params["padlen"])))
    return designs


def _iter_butter(data2d, sfreq, bands, *, order=BUTTER_ORDER):
    """Yield ``(row_slice, band_index, filtered_rows)``, Butterworth zero phase.

    ``data2d`` has shape (n_signals, n_times); each yielded array has shape
    (n_rows_block, n_times).
    """
    from scipy.signal import sosfiltfilt

    order = _check_butter_order(order)
    n_signals, n_times = data2d.shape
    designs = _design_butter(sfreq, bands, order)
    logger.debug(
        "butter_bands: %d signals x %d samples, %d bands, Butterworth order %d, padding %s",
        n_signals, n_times, len(designs), order,
        [None if d is None else min(d[1], n_times - 1) for d in designs],
    )
    # MNE's _iir_filter: pad by the ringing length (at most n_times - 1) with
    # reflect_limited, sosfiltfilt without its own padding, unpad
    for r0 in range(0, n_signals, _ROW_CHUNK):
        rows = slice(r0, min(r0 + _ROW_CHUNK, n_signals))
        for b, design in enumerate(designs):
            if design is None:
                yield rows, b, data2d[rows]
                continue
            sos, padlen = design
            n_pad = min(padlen, n_times - 1)
            y = sosfiltfilt(sos, _reflect_limited_pad(data2d[rows], n_pad), axis=-1,
                            padlen=0)
            yield rows, b, y[:, n_pad : n_pad + n_times]


@fill_doc
def butter_power_gain(sfreq, l_freq, h_freq, freqs, *, order=BUTTER_ORDER):
    """Power gain ``|H(f)|**4`` of :func:`butter_bands` for one band (zero phase).

    Parameters
    ----------
    %(sfreq)s
    l_freq : float
        Lower band edge in Hz (0 for a low-pass).
    h_freq : float
        Upper band edge in Hz (``sfreq / 2`` for a high-pass).
    freqs : array-like, shape (n_freqs,)
        Frequencies in Hz.
    order : int
        Butterworth order per band edge.

    Returns
    -------
    gain : ndarray, shape (n_freqs,)
        Variance gain of a sinusoid at each frequency (1 in the pass band);
        the band's equivalent noise bandwidth is its integral over
        ``[0, sfreq / 2]``.
    """
    from scipy.signal import sosfreqz

    bands = _check_bands({"band": (l_freq, h_freq)}, sfreq)
    design = _design_butter(float(sfreq), bands, _check_butter_order(order))[0]
    freqs = np.asarray(freqs, dtype=float)
    if design is None:
        return np.ones_like(freqs)
    _, resp = sosfreqz(design[0], worN=freqs, fs=sfreq)
    return np.abs(resp) ** 4


@fill_doc
def butter_bands(data, sfreq, bands, *, order=BUTTER_ORDER):
    """Zero-phase Butterworth band-pass of a signal into every band (SEED style).

    Each band gets MNE's IIR Butterworth design of ``order`` per edge
    (:func:`mne.filter.create_filter`, ``iir_params=dict(order=order,
    ftype="butter", output="sos")``; a band starting at 0 Hz is a low-pass,
    one ending at ``sfreq / 2`` a high-pass), run forward and backward
    (:func:`scipy.signal.sosfiltfilt`) after ``reflect_limited`` padding
    over the filter's ringing length, exactly as
    ``mne.filter.filter_data(..., method="iir")`` does.

    Parameters
    ----------
    %(data_times)s
    %(sfreq)s
    %(bands)s
    order : int
        Butterworth order per band edge (1-10).

    Returns
    -------
    filtered : ndarray, shape (..., n_bands, n_times)
        ``filtered[..., i, :]`` is ``data`` filtered into ``list(bands)[i]``.

    Notes
    -----
    The power gain is ``|H(f)|**4`` (:func:`butter_power_gain`): a tone at
    a band's centre keeps its variance, one at an edge keeps a quarter of
    it (-3 dB twice). The variance of filtered white noise is ``sigma**2``
    times the integral of that gain over ``sfreq / 2``, close to
    ``h_freq - l_freq`` for order 4.
    """
    data = _check_data(data, sfreq)
    bands = _check_bands(bands, sfreq)
    lead, n_times = data.shape[:-1], data.shape[-1]
    data2d = data.reshape(-1, n_times)
    out = np.empty((data2d.shape[0], len(bands), n_times))
    for rows, b, y in _iter_butter(data2d, sfreq, bands, order=order):
        out[rows, b] = y
    return out.reshape(lead + (len(bands), n_times))
