"""A Neuroscan CNT writer, faithful to the header fields MNE's reader uses.

Layout written (Neuroscan "SETUP" header, as :mod:`mne.io.cnt` reads it)::

    0      900 bytes of SETUP: patient id (21), name (121), session label
           (205), date mm/dd/yy (225) and time (235), n_channels u2 (370),
           rate u2 (376), filter toggles (438-439), n_samples i4 (864),
           low/high cut-offs f4 (869, 875), event table offset i4 (886),
           continuous seconds f4 (890), channel offset i4 (894; 1 =
           multiplexed sample by sample)
    900    75 bytes per channel (ELECTLOC): name (10), bad flag (+14),
           x, y f4 (+19), baseline i2 (+47), sensitivity f4 (+59),
           calibration f4 (+71); MNE scales a count by
           ``cal * sensitivity * 1e-6 / 204.8`` V
    then   the samples, int16 or int32 little-endian, channels interleaved
    then   the event table: TEEG (type u1, size i4, offset i4), then events
           of type 2 (19 bytes each) whose offset points one sample after the
           marked one (MNE subtracts one sample)

The calibration is ``resolution`` uV per count with sensitivity 204.8, so a
count is ``resolution * 1e-6`` V. Samples are rounded to counts and clipped
to the format's range.
"""

import struct
from pathlib import Path

import numpy as np

from ...utils._errors import ConfigError

_N_BYTES = {"int16": 2, "int32": 4}


def _put(buf, offset, fmt, value):
    struct.pack_into(fmt, buf, offset, value)


def _put_str(buf, offset, text, size):
    raw = text.encode("latin-1")[:size - 1]
    buf[offset:offset + len(raw)] = raw


def write_cnt(fname, data, sfreq, ch_names, *, data_format="int32", resolution=0.1,
              date="08/10/18", time="10:00:00", events=(), header_n_samples=True):
    """Write a Neuroscan CNT file that :func:`mne.io.read_raw_cnt` reads back.

    Parameters
    ----------
    fname : path-like
        Output ``.cnt``.
    data : ndarray, shape (n_channels, n_times)
        Samples in V.
    sfreq : float
        Integer rate in Hz (the header stores a u2).
    ch_names : list of str
        At most 9 characters each.
    data_format : str
        ``"int16"`` or ``"int32"``.
    resolution : float
        uV per count.
    date, time : str
        ``mm/dd/yy`` and ``HH:MM:SS`` of the recording.
    events : sequence of (int, int)
        ``(sample, stim_type)`` markers written to the event table.
    header_n_samples : bool
        Write the sample count into the header (``False`` writes 0, as the
        real ``scan41_short.cnt`` has, so that MNE's ``"auto"`` fails).

    Returns
    -------
    n_bytes : int
        Size of the file written. Sample ``x`` V is stored as the count
        ``round(x / (resolution * 1e-6))`` clipped to the format's range, so
        a reader returns ``count * resolution * 1e-6`` V.
    """
    if data_format not in _N_BYTES:
        raise ConfigError(f"data_format must be 'int16' or 'int32', got {data_format!r}.")
    data = np.asarray(data)
    n_ch, n_times = data.shape
    if len(ch_names) != n_ch or any(len(c) > 9 for c in ch_names):
        raise ConfigError(f"ch_names must name the {n_ch} channels in at most 9 characters.")
    n_bytes = _N_BYTES[data_format]
    info = np.iinfo(data_format)
    head = bytearray(900 + 75 * n_ch)
    _put_str(head, 0, "Version 3.0", 12)
    _put_str(head, 21, "1", 20)
    _put_str(head, 121, "synthetic subject", 20)
    head[143:145] = b"UU"  # sex, handedness unknown
    _put_str(head, 205, "emopipe synthetic", 20)
    _put_str(head, 225, date, 10)
    _put_str(head, 235, time, 12)
    _put(head, 370, "<H", n_ch)
    _put(head, 376, "<H", int(round(sfreq)))
    head[438:440] = b"\x01\x01"  # low-pass and high-pass toggles on
    _put(head, 864, "<i", n_times if header_n_samples else 0)
    _put(head, 869, "<f", 0.1)
    _put(head, 875, "<f", min(100.0, sfreq / 2.5))
    event_offset = len(head) + n_ch * n_times * n_bytes
    _put(head, 886, "<i", event_offset)
    _put(head, 890, "<f", n_times / sfreq)
    _put(head, 894, "<i", n_bytes)  # one sample per channel block: multiplexed
    angles = np.linspace(0, 2 * np.pi, n_ch, endpoint=False)
    for i, name in enumerate(ch_names):
        off = 900 + 75 * i
        _put_str(head, off, name, 10)
        _put(head, off + 19, "<f", float(np.cos(angles[i])))
        _put(head, off + 23, "<f", float(np.sin(angles[i])))
        _put(head, off + 47, "<h", 0)
        _put(head, off + 59, "<f", 204.8)
        _put(head, off + 71, "<f", float(resolution))
    table = b"".join(struct.pack("<HBclhhfccc", int(code), 0, b"\x00",
                                 int(len(head) + (sample + 1) * n_ch * n_bytes), 0, 0, 0.0,
                                 b"\x00", b"\x00", b"\x00")
                     for sample, code in events)
    with open(Path(fname), "wb") as fh:
        fh.write(head)
        # channels interleaved sample by sample, written in blocks to bound memory
        for a in range(0, n_times, 100_000):
            block = np.asarray(data[:, a:a + 100_000], dtype=np.float64) / (resolution * 1e-6)
            counts = np.clip(np.round(block), info.min, info.max).astype(f"<i{n_bytes}")
            fh.write(np.ascontiguousarray(counts.T).tobytes())
        fh.write(struct.pack("<Bll", 2, len(table), 0))
        fh.write(table)
        return fh.tell()
