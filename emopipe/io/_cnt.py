"""Neuroscan CNT (SEED, SEED-V raw EEG) through MNE, with the sample format found for each file.

:func:`mne.io.read_raw_cnt` cannot always tell 16-bit from 32-bit samples:
a header whose sample count is 0 (the real ``scan41_short.cnt`` of
``shared/data/real/``) leaves ``data_format="auto"`` nothing to infer from,
and a wrong guess reads garbage without an error (that file read as
``"int32"`` gives half the samples at about 1.5 V). :func:`read_cnt`
therefore tries ``"int16"`` then ``"int32"`` and keeps the first format that

1. fits the header: the bytes between the channel table and the event table
   are a whole number of samples of every channel, and that number equals
   the header's sample count when the header states one (not 0); for
   ``"int16"`` also, the first samples are not 32-bit ones in disguise
   (at least 99 % of the second 16-bit words the sign extension, 0 or -1,
   of the word before them: small 32-bit samples, which a 16-bit read
   would take for plausible EEG);
2. opens in MNE with at least one sample;
3. reads plausible EEG: the median over channels of the standard deviation
   of the first (at most) 10 s is below :data:`MAX_PLAUSIBLE_STD` (10 mV).

A file that passes in neither format is a
:class:`~emopipe.utils._errors.DataFileError` saying why each format was
refused. The Raw is opened without preloading; :func:`read_cnt_segment`
reads one span of it, so a 1-GB SEED-V recording is read trial by trial.
"""

import logging
from pathlib import Path

import numpy as np

from ..utils._errors import DataFileError
from ._files import _check_regular_file

logger = logging.getLogger("emopipe.io._cnt")

#: formats tried, in order
DATA_FORMATS = ("int16", "int32")
#: bytes per sample of each format
_N_BYTES = {"int16": 2, "int32": 4}
#: header offsets (Neuroscan SETUP struct, as MNE's reader uses them)
_NCHANNELS_OFFSET, _NSAMPLES_OFFSET, _EVENTTABLEPOS_OFFSET = 370, 864, 886
_DATA_OFFSET, _CH_SIZE = 900, 75
#: highest median channel standard deviation (V) of plausible EEG; a wrong
#: sample format reads noise of about 1 V
MAX_PLAUSIBLE_STD = 10e-3


def cnt_header(fname):
    """The sizes a Neuroscan CNT header states.

    Parameters
    ----------
    fname : path-like
        The ``.cnt`` file.

    Returns
    -------
    header : dict
        ``fname``, ``n_channels``, ``n_samples`` (as the header states it; 0 when it
        does not), ``event_table`` (byte offset of the event table),
        ``data_bytes`` (bytes of samples between the channel table and the
        event table) and ``file_size``.
    """
    st = _check_regular_file(fname, what="Neuroscan CNT file")
    size = int(st.st_size)
    if size < _DATA_OFFSET:
        raise DataFileError(
            f"{Path(fname).name}: {size} bytes, shorter than the {_DATA_OFFSET}-byte Neuroscan "
            f"CNT header. The file is truncated or not a CNT file; re-download it.")
    with open(fname, "rb") as fh:
        head = fh.read(_DATA_OFFSET)
    n_ch = int(np.frombuffer(head, "<u2", 1, _NCHANNELS_OFFSET)[0])
    n_samp = int(np.frombuffer(head, "<i4", 1, _NSAMPLES_OFFSET)[0])
    event = int(np.frombuffer(head, "<i4", 1, _EVENTTABLEPOS_OFFSET)[0])
    start = _DATA_OFFSET + _CH_SIZE * n_ch
    return {"fname": Path(fname), "n_channels": n_ch, "n_samples": n_samp, "event_table": event,
            "data_bytes": event - start, "file_size": size}


def _format_problem(header, data_format):
    """Why the header rules ``data_format`` out, or ``None``."""
    n_ch, n_bytes = header["n_channels"], _N_BYTES[data_format]
    if n_ch == 0:
        return "the header states 0 channels"
    if not 0 < header["event_table"] <= header["file_size"] or header["data_bytes"] <= 0:
        return (f"the event table offset {header['event_table']} lies outside the data "
                f"(file of {header['file_size']} bytes)")
    n, rem = divmod(header["data_bytes"], n_ch * n_bytes)
    if rem:
        return (f"{header['data_bytes']} data bytes are not a whole number of "
                f"{n_ch}-channel samples of {n_bytes} bytes")
    if header["n_samples"] > 0 and n != header["n_samples"]:
        return (f"{header['data_bytes']} data bytes hold {n} samples of {n_bytes} bytes, but "
                f"the header states {header['n_samples']}")
    if data_format == "int16" and _sign_extended(header):
        return ("the second 16-bit words of the first samples are 0 or -1, the sign "
                "extension of the words before: the samples are 32-bit")
    return None


def _sign_extended(header):
    """Whether the first data words read as int32 pairs are small int32 samples."""
    n = min(header["data_bytes"], 1 << 16) // 4
    if n == 0:
        return False
    with open(header["fname"], "rb") as fh:
        fh.seek(_DATA_OFFSET + _CH_SIZE * header["n_channels"])
        words = np.frombuffer(fh.read(4 * n), "<i2").reshape(-1, 2)
    low, high = words[:, 0], words[:, 1]
    return bool(np.any(low != 0) and np.mean(high == np.where(low < 0, -1, 0)) >= 0.99)


def _open(fname, data_format):
    import mne

    return mne.io.read_raw_cnt(fname, data_format=data_format, preload=False, verbose="error")


def _plausible(raw):
    """Median channel standard deviation (V) of the first (at most) 10 s."""
    stop = min(raw.n_times, max(2, int(10 * raw.info["sfreq"])))
    return float(np.median(raw.get_data(start=0, stop=stop).std(axis=1)))


def read_cnt(fname):
    """Open a Neuroscan CNT file with the first sample format that reads it (not preloaded).

    Parameters
    ----------
    fname : path-like
        The ``.cnt`` file.

    Returns
    -------
    raw : mne.io.BaseRaw
        The recording, not preloaded (samples are read on request), in V.
    data_format : str
        ``"int16"`` or ``"int32"``, the format that read it (also logged).

    Raises
    ------
    DataFileError
        If the file reads in neither format; the message gives each
        format's reason.
    """
    fname = Path(fname)
    header = cnt_header(fname)
    why = {}
    for fmt in DATA_FORMATS:
        problem = _format_problem(header, fmt)
        if problem is None:
            try:
                raw = _open(fname, fmt)
            except Exception as exc:  # MNE raises RuntimeError, ValueError, OSError, ...
                problem = f"MNE cannot read it ({type(exc).__name__}: {str(exc).strip()[:120]})"
            else:
                if raw.n_times < 1:
                    problem = "MNE reads 0 samples"
                else:
                    std = _plausible(raw)
                    if not np.isfinite(std) or std >= MAX_PLAUSIBLE_STD:
                        problem = (f"the samples read are not EEG (median channel SD "
                                   f"{std:.3g} V, expected below {MAX_PLAUSIBLE_STD:g} V)")
        if problem is None:
            logger.info("%s: Neuroscan CNT read as %s (%d channels, %d samples at %g Hz)",
                        fname.name, fmt, len(raw.ch_names), raw.n_times, raw.info["sfreq"])
            return raw, fmt
        why[fmt] = problem
    reasons = "; ".join(f"as {fmt}: {text}" for fmt, text in why.items())
    raise DataFileError(
        f"{fname.name}: not a readable Neuroscan CNT file in either sample format ({reasons}). "
        f"The file is truncated or corrupt, or not a Neuroscan CNT (an ANT Neuro .cnt is "
        f"another format); re-download it.")


def read_cnt_segment(raw, picks, start, stop):
    """Samples of some channels over ``[start, stop)`` seconds of an opened CNT.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        From :func:`read_cnt`.
    picks : list of str
        Channel names, in the order wanted.
    start, stop : float
        Seconds from the start of the recording.

    Returns
    -------
    data : ndarray, shape (n_channels, n_times)
        In V, ``n_times = round(stop * sfreq) - round(start * sfreq)``.
    """
    sfreq = raw.info["sfreq"]
    a, b = int(round(start * sfreq)), int(round(stop * sfreq))
    if a < 0 or b > raw.n_times or b <= a:
        raise DataFileError(
            f"{Path(raw.filenames[0]).name}: the span {start:g}-{stop:g} s (samples {a}-{b}) is "
            f"not inside the recording of {raw.n_times} samples ({raw.n_times / sfreq:g} s at "
            f"{sfreq:g} Hz). The file is truncated, or the trial windows are not this "
            f"recording's.")
    return raw.get_data(picks=list(picks), start=a, stop=b)
