"""Band power and differential entropy (DE) per window (methods.md §1.2-1.3).

Four estimators share one window grid (:func:`~emopipe.features._windows.window_starts`):

``"spectral"`` (default)
    One periodogram per window with ``1 / window`` Hz bins, density scaled
    (divided by ``sum(taper**2)``), after removing the window mean; the band
    power is the plain sum of ``P(f_k) * df`` over bins
    ``l_freq <= f_k < h_freq`` (a band ending at ``sfreq / 2`` keeps the
    Nyquist bin). The taper is a periodic Hann by default, or a boxcar
    (``taper="boxcar"``, for which the band ``(0, sfreq / 2)`` sums to the
    window's variance, Parseval). White noise of variance ``sigma**2`` gives
    ``sigma**2 * (h - l) / (sfreq / 2)`` with either taper; a sinusoid of
    amplitude ``A`` gives ``A**2 / 2`` when the band holds its whole main
    lobe (Hann: the tone at least 2 bins inside the band; boxcar: the tone
    on a bin). Off a bin, the boxcar leaks about 1.5 % of a tone's power
    into each neighbouring band, the Hann at most 0.005 %. With ``segment=`` the
    periodogram becomes a Welch average of segments inside the window
    (``1 / segment`` Hz bins).
``"bandpass"``
    Zero-phase FIR band-pass (MNE design, :func:`.filters.filter_bands`)
    then the population variance of each window.
``"butter"``
    Zero-phase Butterworth band-pass (order 4 per edge, MNE's IIR design,
    :func:`.filters.butter_bands`), as SEED-style pipelines filter, then the
    population variance of each window.
``"seed"``
    The SEED-compatible spectral DE of torcheeg ``BandDifferentialEntropyV1``:
    symmetric Hann of ``L + 1`` points, zero-padded FFT, mean ``|X[k]|**2``
    with the inherited off-by-one, ``DE = log2(100 * E_b)``.

Computation of the spectral estimators: the window spectra are only needed
at the bins inside the bands, so they are computed as one matrix product of
the windows ``(n_windows_total, n_win)`` against a cosine/sine basis of those
bins with the taper and the mean removal folded in, squared, and summed per
band with a second small product. For long windows, where that basis would
be large, ``scipy.fft.rfft`` is used instead; both give the same numbers.
NaN or inf in any sample a window reads raises a ``ValueError`` naming the
first one (found from the output, which they always reach: no extra pass).
"""

import logging
import math
import os

import numpy as np

from ..utils._checks import (
    _check_bands,
    _check_data,
    _check_option,
    _check_positive,
    _check_type,
    _raise_non_finite,
)
from ..utils._errors import ConfigError
from ..utils.docs import fill_doc
from ._entropy import _check_log_base, gaussian_entropy
from ._windows import _window_grid, strided_windows
from .filters import _iter_butter, _iter_filtered

logger = logging.getLogger("emopipe.features.spectral")

_METHODS = ("spectral", "bandpass", "butter", "seed")
_TAPERS = ("boxcar", "hann")
#: taper of method="spectral" when taper=None
DEFAULT_TAPER = "hann"
_MAX_BASIS = 2**21  # basis entries (16 MB); above this the rfft path is used
_BLOCK = 512  # windows per matrix-product block (tmp stays in cache)
_MAX_THREADS = 4  # threads sharing the blocks


# --------------------------------------------------------------------------
# Bins, tapers, basis


def _check_taper(taper, method, *, method_param="method"):
    """The taper ``method`` uses: ``taper``, or :data:`DEFAULT_TAPER` for None.

    Only ``"spectral"`` has a taper; the other methods take ``None`` only.
    """
    if taper is not None:
        _check_option("taper", taper, _TAPERS)
        if method != "spectral":
            raise ConfigError(
                f"taper applies to {method_param}='spectral' only ({method_param}="
                f"{method!r} has its own window or filter), got taper={taper!r}. Leave "
                f"taper=None or use {method_param}='spectral'."
            )
        return taper
    return DEFAULT_TAPER if method == "spectral" else None


def _band_bins(bands, sfreq, n_fft, *, nyquist_inclusive=True, window=None):
    """FFT bin indices of each band: ``l <= f_k < h`` (``f_k = k sfreq / n_fft``)."""
    half = n_fft // 2
    out = []
    for name, (l_freq, h_freq) in bands.items():
        lo = math.ceil(l_freq * n_fft / sfreq - 1e-9)
        if nyquist_inclusive and h_freq >= sfreq / 2.0 - 1e-9:
            hi = half + 1
        else:
            hi = math.ceil(h_freq * n_fft / sfreq - 1e-9)
        hi = min(hi, half + 1)
        if hi <= lo:
            raise ConfigError(
                f"bands[{name!r}] = ({l_freq:g}, {h_freq:g}) Hz holds no bin of the "
                f"{sfreq / n_fft:g}-Hz spectrum (window = {window:g} s at sfreq = "
                f"{sfreq:g} Hz). Widen the band or lengthen the window."
            )
        out.append(np.arange(lo, hi))
    return out


def _taper(name, n_win):
    if name == "boxcar":
        return np.ones(n_win)
    if name == "hann":  # periodic (DFT-even) Hann, as scipy.signal.get_window
        return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_win) / n_win)
    # seed: symmetric Hann of L + 1 points without its first zero
    n = np.arange(1, n_win + 1)
    return 0.5 - 0.5 * np.cos(2 * np.pi * n / (n_win + 1))


class _SpectralPlan:
    """Basis and band weights for power at selected bins of every window.

    ``power[w, b] = sum_k weight[k, b] * |X_w[k]|**2`` where ``X_w`` is the
    DFT (length ``n_fft``) of ``taper * (x_w - mean(x_w))`` (no mean removal
    if ``detrend`` is False).
    """

    def __init__(self, n_win, n_fft, taper, detrend, bins, weights):
        self.n_win, self.n_fft = n_win, n_fft
        self.bins = bins  # (n_bins,) sorted union
        self.weights = weights  # (n_bins, n_bands)
        self.taper = taper
        self.detrend = detrend
        n_cols = 2 * len(bins)
        self.use_fft = n_win * n_cols > _MAX_BASIS
        if self.use_fft:
            return
        half = n_fft / 2.0
        has_sin = (bins != 0) & (bins != half)
        n = np.arange(n_win)
        # exact phase: (k * n) mod n_fft in integers before scaling
        phase = 2 * np.pi * (np.outer(n, bins) % n_fft) / n_fft
        basis = np.concatenate(
            [np.cos(phase), np.sin(phase[:, has_sin])], axis=1
        ) * taper[:, None]
        if detrend:
            basis -= basis.mean(axis=0)
        self.basis = np.ascontiguousarray(basis)  # (n_win, n_cols)
        self.col_weights = np.ascontiguousarray(
            np.concatenate([weights, weights[has_sin]], axis=0)
        )  # (n_cols, n_bands)

    def apply(self, x, out, tmp=None):
        """Band powers of windows ``x`` (n, n_win) into ``out`` (n, n_bands).

        ``tmp`` is an optional work buffer of at least (n, n_cols).
        """
        if self.use_fft:
            from scipy.fft import rfft

            if self.detrend:
                x = x - x.mean(axis=-1, keepdims=True)
            spec = rfft(x * self.taper, self.n_fft, axis=-1)[:, self.bins]
            np.matmul(spec.real**2 + spec.imag**2, self.weights, out=out)
            return out
        if tmp is None:
            tmp = np.empty((x.shape[0], self.basis.shape[1]))
        tmp = tmp[: x.shape[0]]
        np.matmul(x, self.basis, out=tmp)
        np.multiply(tmp, tmp, out=tmp)
        np.matmul(tmp, self.col_weights, out=out)
        return out


def _spectral_plan(bands, sfreq, n_win, *, taper, n_fft, window):
    """Plan for the default density-scaled periodogram band sum."""
    n_fft = n_win if n_fft is None else n_fft
    per_band = _band_bins(bands, sfreq, n_fft, window=window)
    bins = np.unique(np.concatenate(per_band))
    w = _taper(taper, n_win)
    # density scaling times df: P_k df = s_k |X_k|^2 / (n_fft sum(w^2)),
    # s_k = 2 except at DC and Nyquist
    scale = np.where((bins == 0) | (2 * bins == n_fft), 1.0, 2.0) / (n_fft * np.sum(w**2))
    weights = np.zeros((len(bins), len(per_band)))
    for b, kb in enumerate(per_band):
        weights[np.searchsorted(bins, kb), b] = scale[np.searchsorted(bins, kb)]
    return _SpectralPlan(n_win, n_fft, w, True, bins, weights)


def _seed_plan(bands, sfreq, n_win, *, n_fft, window):
    """Plan for torcheeg ``BandDifferentialEntropyV1``: mean |X[k]|^2, off-by-one kept."""
    per_band = []
    for name, (l_freq, h_freq) in bands.items():
        k_lo = int(math.floor(l_freq * n_fft / sfreq))
        k_hi = int(math.floor(h_freq * n_fft / sfreq))
        if k_lo < 1 or k_hi > n_fft // 2 or k_hi < k_lo:
            raise ConfigError(
                f"bands[{name!r}] = ({l_freq:g}, {h_freq:g}) Hz gives FFT bins "
                f"k_lo = {k_lo}, k_hi = {k_hi} with n_fft = {n_fft} at sfreq = "
                f"{sfreq:g} Hz; method='seed' needs 1 <= k_lo <= k_hi <= n_fft / 2. "
                f"Raise l_freq to at least {sfreq / n_fft:g} Hz or lower h_freq."
            )
        per_band.append(np.arange(k_lo - 1, k_hi))  # 0-based k_lo-1 .. k_hi-1
    bins = np.unique(np.concatenate(per_band))
    weights = np.zeros((len(bins), len(per_band)))
    for b, kb in enumerate(per_band):
        weights[np.searchsorted(bins, kb), b] = 1.0 / len(kb)
    return _SpectralPlan(n_win, n_fft, _taper("seed", n_win), False, bins, weights)


def _n_threads():
    """Worker threads for the block loop: the CPUs this process may use, at most 4."""
    try:
        n_cpu = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n_cpu = os.cpu_count() or 1
    return max(1, min(n_cpu, _MAX_THREADS))


def _run_plan(data2d, plan, n_windows, n_step, *, total=False):
    """Apply ``plan`` to every window of every row; (n_signals, n_windows, n_bands).

    The windows are cut into blocks of about ``_BLOCK`` rows (the work buffer
    stays in cache) and the blocks are shared by a few threads, each running
    single-threaded BLAS: the products are small (``n_win`` x ``n_cols``), and
    multi-threaded BLAS on them spends more time synchronising than computing,
    badly so on a busy machine.
    """
    n_signals = data2d.shape[0]
    n_bands = plan.weights.shape[1]
    out = np.empty((n_signals, n_windows, n_bands))
    tot = np.empty((n_signals, n_windows)) if total else None
    view = strided_windows(data2d, plan.n_win, n_step, n_windows)
    sum_w2 = np.sum(plan.taper**2)

    def _total(x):
        xd = x - x.mean(axis=-1, keepdims=True) if plan.detrend else x
        return np.sum((xd * plan.taper) ** 2, axis=-1) / sum_w2

    if n_windows >= _BLOCK:  # long signals: blocks of windows within a row
        blocks = [(r, slice(w0, min(w0 + _BLOCK, n_windows)))
                  for r in range(n_signals) for w0 in range(0, n_windows, _BLOCK)]

        def _one(block, tmp):
            r, ws = block
            x = view[r, ws]
            plan.apply(x, out[r, ws], tmp)
            if total:
                tot[r, ws] = _total(x)
    else:  # short signals: blocks of whole rows
        rows_per = max(1, _BLOCK // n_windows)
        out2 = out.reshape(n_signals * n_windows, n_bands)
        blocks = [(r0, min(r0 + rows_per, n_signals))
                  for r0 in range(0, n_signals, rows_per)]

        def _one(block, tmp):
            r0, r1 = block
            x = view[r0:r1].reshape(-1, plan.n_win)  # copy only if strided
            plan.apply(x, out2[r0 * n_windows : r1 * n_windows], tmp)
            if total:
                tot[r0:r1] = _total(x).reshape(r1 - r0, n_windows)

    n_cols = 0 if plan.use_fft else plan.basis.shape[1]

    def _worker(chunk):
        tmp = np.empty((_BLOCK + n_windows, n_cols)) if n_cols else None
        for block in chunk:
            _one(block, tmp)

    n_threads = min(_n_threads(), len(blocks) // 4)
    if n_threads <= 1:
        _worker(blocks)
        return out, tot
    from concurrent.futures import ThreadPoolExecutor

    chunks = [blocks[k::n_threads] for k in range(n_threads)]
    with _single_threaded_blas(), ThreadPoolExecutor(n_threads) as pool:
        for fut in [pool.submit(_worker, c) for c in chunks]:
            fut.result()
    return out, tot


def _single_threaded_blas():
    """Context limiting BLAS to one thread (no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def _segment_grid(segment, segment_step, sfreq, n_win, n_step, window):
    """Welch segments inside each window: (n_seg, seg_hop, n_per_window)."""
    _check_positive("segment", segment)
    n_seg = int(round(segment * sfreq))
    if segment_step is None:
        seg_hop = max(n_seg // 2, 1)
    else:
        _check_positive("segment_step", segment_step)
        seg_hop = int(round(segment_step * sfreq))
    if not 1 <= n_seg <= n_win or seg_hop < 1:
        raise ConfigError(
            f"segment = {segment:g} s gives {n_seg} samples at sfreq = {sfreq:g} Hz; "
            f"it must be at least one sample and at most the window ({window:g} s, "
            f"{n_win} samples)."
        )
    if n_step % seg_hop:
        raise ConfigError(
            f"The window step ({n_step} samples) must be a multiple of the segment "
            f"step ({seg_hop} samples) so that windows share one segment grid; "
            f"choose segment_step dividing step."
        )
    return n_seg, seg_hop, (n_win - n_seg) // seg_hop + 1


def _average_segments(seg_values, n_windows, k_step, n_per):
    """Mean of ``n_per`` consecutive segments from every ``k_step``-th one (axis 1)."""
    csum = np.zeros((seg_values.shape[0], seg_values.shape[1] + 1) + seg_values.shape[2:])
    np.cumsum(seg_values, axis=1, out=csum[:, 1:])
    first = np.arange(n_windows) * k_step
    return (csum[:, first + n_per] - csum[:, first]) / n_per


def _bandpass_powers(data2d, sfreq, bands, n_windows, n_win, n_step, *, total=False,
                     filter_kwargs=None, iir=False):
    """Per-window population variance of each band-passed signal (FIR or Butterworth)."""
    n_signals = data2d.shape[0]
    out = np.empty((n_signals, n_windows, len(bands)))
    filtered = _iter_butter if iir else _iter_filtered
    for rows, b, y in filtered(data2d, sfreq, bands, **(filter_kwargs or {})):
        out[rows, :, b] = _window_var(strided_windows(y, n_win, n_step, n_windows))
    tot = None
    if total:
        tot = strided_windows(data2d, n_win, n_step, n_windows).var(axis=-1)
    return out, tot


def _window_var(view):
    """Population variance over the last axis from sum and sum of squares.

    Five times faster than ``np.var`` on a strided view; band-passed signals
    have a near-zero mean, so the one-pass formula loses no precision.
    """
    n = view.shape[-1]
    mean = view.sum(axis=-1) / n
    var = np.einsum("...k,...k->...", view, view) / n
    var -= mean * mean
    return np.maximum(var, 0.0, out=var)


# --------------------------------------------------------------------------
# Shared core


def _band_powers(data, sfreq, bands, *, window=1.0, step=None, method="spectral",
                 taper=None, n_fft=None, total=False, filter_kwargs=None,
                 segment=None, segment_step=None):
    """Band powers of every window, the one computation DE and band power share.

    Returns
    -------
    power : ndarray, shape (..., n_windows, n_bands)
        V**2 for ``"spectral"``/``"bandpass"``/``"butter"``; the SEED band
        energy ``E_b`` for ``"seed"``.
    bands : dict
        The validated bands.
    total : ndarray, shape (..., n_windows) | None
        With ``total=True``, the total power of each window (denominator of
        relative band power), else None.
    """
    _check_option("method", method, _METHODS)
    taper = _check_taper(taper, method)
    _check_positive("window", window)
    _check_positive("sfreq", sfreq)
    sfreq = float(sfreq)
    n_win_req = int(round(window * sfreq))
    data = _check_data(data, sfreq, n_win_req, window, check_finite=False)
    bands = _check_bands(bands, sfreq)
    lead, n_times = data.shape[:-1], data.shape[-1]
    starts, n_win, n_step = _window_grid(n_times, sfreq, window, step)
    n_windows = len(starts)
    data2d = np.ascontiguousarray(data.reshape(-1, n_times))
    relative = total
    if method == "seed" and relative:
        raise ConfigError(
            "relative=True is not defined for method='seed' (band energies on the "
            "SEED scale); use method='spectral'."
        )
    if method not in ("bandpass", "butter") and filter_kwargs:
        raise ConfigError(
            f"filter_kwargs apply to method='bandpass' or 'butter' only, got "
            f"method={method!r} and filter_kwargs={filter_kwargs!r}."
        )
    if method == "butter" and filter_kwargs:
        for key in filter_kwargs:
            _check_option("filter_kwargs", key, ("order",),
                          extra=" (a key of, for method='butter')")
    if method != "spectral" and (segment is not None or segment_step is not None):
        raise ConfigError(
            f"segment and segment_step (Welch) apply to method='spectral' only, got "
            f"method={method!r}."
        )
    seg = None
    if segment is not None:
        seg = _segment_grid(segment, segment_step, sfreq, n_win, n_step, window)
    n_spec, spec_len = (n_win, window) if seg is None else (seg[0], segment)
    if n_fft is not None:
        _check_type("n_fft", n_fft, ("int",))
        if n_fft < n_spec:
            what = "n_win" if seg is None else "the segment length"
            raise ConfigError(
                f"n_fft must be >= {what} = {n_spec} samples ({spec_len:g} s at sfreq = "
                f"{sfreq:g} Hz), got {n_fft}. Give n_fft=None or a larger value."
            )
    if method == "spectral":
        plan = _spectral_plan(bands, sfreq, n_spec, taper=taper, n_fft=n_fft,
                              window=spec_len)
        if seg is None:
            power, tot = _run_plan(data2d, plan, n_windows, n_step, total=relative)
            kind = "periodogram"
        else:
            n_seg, seg_hop, n_per = seg
            n_segments = (starts[-1] + n_win - n_seg) // seg_hop + 1
            power, tot = _run_plan(data2d, plan, n_segments, seg_hop, total=relative)
            power = _average_segments(power, n_windows, n_step // seg_hop, n_per)
            if relative:
                tot = _average_segments(tot, n_windows, n_step // seg_hop, n_per)
            kind = f"Welch ({n_per} segments of {segment:g} s)"
        desc = (f"{window:g}-s windows, {taper} {kind}, {sfreq / plan.n_fft:g}-Hz bins, "
                f"{'rfft' if plan.use_fft else f'{plan.basis.shape[1]}-column basis'}")
    elif method == "seed":
        if n_fft is None:
            n_fft = 1 << int(math.ceil(math.log2(2 * n_win)))
        plan = _seed_plan(bands, sfreq, n_win, n_fft=n_fft, window=window)
        power, tot = _run_plan(data2d, plan, n_windows, n_step)
        desc = f"SEED spectral DE, {window:g}-s windows, n_fft = {n_fft}"
    else:
        if n_fft is not None:
            raise ConfigError(
                f"n_fft applies to the spectral methods; method={method!r} takes no "
                f"n_fft, got n_fft={n_fft!r}."
            )
        iir = method == "butter"
        power, tot = _bandpass_powers(data2d, sfreq, bands, n_windows, n_win, n_step,
                                      total=relative, filter_kwargs=filter_kwargs, iir=iir)
        desc = (f"zero-phase {'Butterworth' if iir else 'FIR'} band-pass then window "
                f"variance")
    # NaN/inf in any read sample reaches that window's powers
    _raise_non_finite(data, power)
    logger.info(
        "band powers: %d signals x %d windows x %d bands, %s",
        data2d.shape[0], n_windows, len(bands), desc,
    )
    power = power.reshape(lead + (n_windows, len(bands)))
    if tot is not None:
        tot = tot.reshape(lead + (n_windows,))
    return power, bands, tot


def _relative(power, tot):
    with np.errstate(divide="ignore", invalid="ignore"):
        return power / tot[..., None]


def _de_from_power(power, method, log_base):
    """DE of band powers: Gaussian (:func:`._entropy.gaussian_entropy`) or SEED's."""
    if method == "seed":
        with np.errstate(divide="ignore"):
            return np.log2(100.0 * power)
    return gaussian_entropy(power, log_base=log_base)


def _check_de_log_base(log_base, method):
    log_base = _check_log_base(log_base)
    if method == "seed" and log_base not in (None, 2):
        raise ConfigError(
            f"method='seed' gives log2(100 * E_b) by definition; log_base must be "
            f"None or 2, got {log_base!r}."
        )
    return log_base


# --------------------------------------------------------------------------
# Public functions


def _fill_shared(f):
    doc = f.__doc__.replace("%(shared)s", _SHARED_DOC)
    f.__doc__ = doc.replace("%(fft_filter)s", _FFT_FILTER_DOC)
    return fill_doc(f)


_FFT_FILTER_DOC = """n_fft : int | None
        FFT length (zero padding); ``None`` means the window length for
        ``"spectral"`` and the next power of two at or above twice the window
        length for ``"seed"`` (512 for 1 s at 200 Hz).
    filter_kwargs : dict | None
        MNE filter options for ``method="bandpass"`` (see
        :func:`emopipe.features.filters.filter_bands`); ``{"order": n}`` for
        ``method="butter"`` (see :func:`emopipe.features.filters.butter_bands`)."""


_SHARED_DOC = """%(data_times)s
    %(sfreq)s
    %(bands)s
    window : float
        Window length in seconds. The spectrum has ``1 / window`` Hz bins
        (``1 / segment`` with Welch segments).
    step : float | None
        Hop between window starts in seconds. ``None`` means ``window``
        (no overlap). Windows start at sample 0; only complete ones are kept.
    method : ``"spectral"`` | ``"bandpass"`` | ``"butter"`` | ``"seed"``
        ``"spectral"``: density-scaled periodogram of each window (mean
        removed), summed over the bins ``l_freq <= f < h_freq`` (a band
        ending at ``sfreq / 2`` keeps the Nyquist bin). ``"bandpass"``: MNE
        zero-phase FIR band-pass, then each window's population variance.
        ``"butter"``: zero-phase Butterworth band-pass (order 4 per edge),
        then each window's population variance.
        ``"seed"``: SEED/torcheeg spectral DE (Hann of ``L + 1``, mean
        ``|X[k]|**2`` over ``k_lo - 1 .. k_hi - 1``, ``log2(100 E_b)``).
    taper : ``"hann"`` | ``"boxcar"`` | None
        Periodogram taper for ``method="spectral"``; ``None`` means
        ``"hann"`` there (the other methods take ``None`` only). ``"hann"``
        (periodic) leaks little (side lobes -31 dB, falling as ``1/f**3``)
        but spreads every tone over its 4-bin main lobe, so a tone within
        2 bins of an edge is shared with the next band. ``"boxcar"`` puts a
        tone on a bin entirely in that bin, but its side lobes (-13 dB,
        falling as ``1/f``) leak about 1.5 %% of an off-bin tone's power
        into each neighbouring band, and on real 1/f EEG read the low-power
        bands high (methods.md §1.2). Both are density scaled
        (``sum(taper**2)``), so white noise and in-band tones give the same
        expected powers.
    segment : float | None
        Welch segment length in seconds for ``method="spectral"``: the
        window's spectrum is the mean of the periodograms of its segments,
        with ``1 / segment`` Hz bins (methods.md's 1-Hz Welch: ``segment=1``).
        ``None`` (default): one periodogram of the whole window.
    segment_step : float | None
        Hop between segments in seconds; ``None`` means half a segment
        (scipy's Welch default). The window step must be a multiple of it."""


@_fill_shared
def band_power(data, sfreq, bands, *, window=1.0, step=None, method="spectral",
               relative=False, taper=None, n_fft=None, filter_kwargs=None,
               segment=None, segment_step=None):
    """Power of each band in each window.

    Parameters
    ----------
    %(shared)s
    relative : bool
        Divide by the window's total power (variance after mean removal,
        the whole ``[0, sfreq / 2]`` range) instead of returning V**2.
    %(fft_filter)s

    Returns
    -------
    power : ndarray, shape (..., n_windows, n_bands)
        Band power in V**2 (data units squared); ``power[..., i]`` belongs to
        ``list(bands)[i]``. For ``method="seed"`` the SEED band energy ``E_b``
        (mean ``|X[k]|**2``), not V**2.
    """
    power, _, tot = _band_powers(data, sfreq, bands, window=window, step=step,
                                 method=method, taper=taper, n_fft=n_fft,
                                 total=relative, filter_kwargs=filter_kwargs,
                                 segment=segment, segment_step=segment_step)
    return _relative(power, tot) if relative else power


@_fill_shared
def differential_entropy(data, sfreq, bands, *, window=1.0, step=None, method="spectral",
                         log_base=None, n_fft=None, taper=None, filter_kwargs=None,
                         segment=None, segment_step=None):
    """Differential entropy (DE) of each band in each window, under a Gaussian model.

    The band variance of a window is its band power (see
    :func:`band_power`); DE is ``0.5 * log(2 * pi * e * var)``. With
    ``method="seed"`` it is SEED's ``log2(100 * E_b)`` instead.

    Parameters
    ----------
    %(shared)s
    log_base : float | None
        ``None`` for nats, ``2`` for bits. ``method="seed"`` is in bits by
        definition and takes ``None`` or ``2``.
    %(fft_filter)s

    Returns
    -------
    de : ndarray, shape (..., n_windows, n_bands)
        DE in nats (or ``log_base`` units); ``de[..., i]`` belongs to
        ``list(bands)[i]``. A window with zero band power gives ``-inf``.

    Notes
    -----
    DE of a short window is biased low: the log of a chi-square-like
    estimate has a mean below the log of its mean (about -0.08 nats for a
    6-Hz band in 1-s windows of white noise).
    """
    log_base = _check_de_log_base(log_base, method)
    power, _, _ = _band_powers(data, sfreq, bands, window=window, step=step,
                               method=method, taper=taper, n_fft=n_fft,
                               filter_kwargs=filter_kwargs, segment=segment,
                               segment_step=segment_step)
    return _de_from_power(power, method, log_base)


@_fill_shared
def band_power_and_de(data, sfreq, bands, *, window=1.0, step=None, method="spectral",
                      relative=False, log_base=None, n_fft=None, taper=None,
                      filter_kwargs=None, segment=None, segment_step=None):
    """Band power and DE from one pass over the data.

    Parameters
    ----------
    %(shared)s
    relative : bool
        Return relative band power (DE always uses the absolute power).
    log_base : float | None
        Unit of DE: ``None`` for nats, ``2`` for bits.
    n_fft : int | None
        FFT length, as in :func:`band_power`.
    filter_kwargs : dict | None
        Filter options for ``method="bandpass"`` or ``"butter"``, as in
        :func:`band_power`.

    Returns
    -------
    power : ndarray, shape (..., n_windows, n_bands)
        As :func:`band_power`.
    de : ndarray, shape (..., n_windows, n_bands)
        As :func:`differential_entropy`.
    """
    log_base = _check_de_log_base(log_base, method)
    power, _, tot = _band_powers(data, sfreq, bands, window=window, step=step,
                                 method=method, taper=taper, n_fft=n_fft,
                                 total=relative, filter_kwargs=filter_kwargs,
                                 segment=segment, segment_step=segment_step)
    de = _de_from_power(power, method, log_base)
    if relative:
        power = _relative(power, tot)
    return power, de


