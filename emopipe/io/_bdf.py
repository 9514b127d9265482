"""BioSemi BDF files: the header parser and its checks against the file size.

A BDF header is 256 bytes, then 256 bytes per channel (label, transducer,
physical dimension, ranges, prefiltering, samples per record), then
``n_records`` data records of 24-bit samples (``docs/datasets.md`` section 1.2).
Every numeric field is parsed with its name and byte offset in the message
when it does not parse or breaks a rule; dataset readers check the parsed
header against their own layout.
"""

import math
import os
from pathlib import Path

from ..utils._errors import DataFileError
from ._files import _open_user_file

#: BDF physical dimensions that are voltages, and their factor to V
VOLT_UNITS = {"uv": 1e-6, "µv": 1e-6, "mv": 1e-3, "v": 1.0, "nv": 1e-9}

#: more channels than any amplifier records: refused before reading their headers
MAX_CHANNELS = 4096

# per-channel fields: name, width in bytes (in file order; each block is n_channels wide)
_CHANNEL_FIELDS = (
    ("label", 16), ("transducer", 80), ("physical dimension", 8), ("physical minimum", 8),
    ("physical maximum", 8), ("digital minimum", 8), ("digital maximum", 8),
    ("prefiltering", 80), ("samples per record", 8), ("reserved", 32),
)


def _number(name, raw, field, offset, kind):
    """Parse one ASCII header field; a DataFileError names the field and its byte offset."""
    text = raw.decode("latin1").strip()
    try:
        value = int(text) if kind is int else float(text)
    except ValueError:
        value = None
    if value is None or (kind is float and not math.isfinite(value)):
        raise DataFileError(
            f"{name}: BDF header field '{field}' at byte offset {offset} holds {text!r}, "
            f"expected {'an integer' if kind is int else 'a finite number'}. The header is "
            f"corrupt; re-download the file."
        )
    return value


def _read_bdf_header(fname):
    """Parse and validate a BDF header against the file size.

    Parameters
    ----------
    fname : path-like
        The ``.bdf`` file (a regular file).

    Returns
    -------
    header : dict
        ``n_channels``, ``labels``, ``dims``, ``n_records``,
        ``record_duration``, ``samples_per_record``, ``sfreq`` (per channel),
        ``physical_range`` and ``digital_range`` (per channel, ``(min, max)``).
    """
    name = Path(fname).name
    with _open_user_file(fname, "rb", what="BDF file") as fh:
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(256)
        if len(head) < 256 or head[:8] != b"\xffBIOSEMI":
            raise DataFileError(
                f"{name}: not a BioSemi BDF file (first bytes {head[:8]!r}, expected "
                f"b'\\xffBIOSEMI'; {size} bytes). The file is corrupt or not DEAP's raw data."
            )
        header_bytes = _number(name, head[184:192], "number of bytes in header", 184, int)
        n_records = _number(name, head[236:244], "number of data records", 236, int)
        record_duration = _number(name, head[244:252], "duration of a data record", 244, float)
        n_channels = _number(name, head[252:256], "number of signals", 252, int)
        if not 1 <= n_channels <= MAX_CHANNELS:
            raise DataFileError(
                f"{name}: BDF header field 'number of signals' at byte offset 252 is "
                f"{n_channels}, expected 1-{MAX_CHANNELS}. The header is corrupt."
            )
        if header_bytes != 256 * (n_channels + 1):
            raise DataFileError(
                f"{name}: BDF header field 'number of bytes in header' at byte offset 184 is "
                f"{header_bytes}, expected 256 * (1 + {n_channels} signals) = "
                f"{256 * (n_channels + 1)}. The header is corrupt."
            )
        if n_records < 0:
            raise DataFileError(
                f"{name}: BDF header field 'number of data records' at byte offset 236 is "
                f"{n_records}: the recording was not closed properly (-1 means unknown). "
                f"Re-export or re-download the file."
            )
        if not record_duration > 0:
            raise DataFileError(
                f"{name}: BDF header field 'duration of a data record' at byte offset 244 is "
                f"{record_duration!r} s, expected > 0 (BioSemi writes 1). The header is corrupt."
            )
        rest = fh.read(n_channels * 256)
    if len(rest) < n_channels * 256:
        raise DataFileError(f"{name}: truncated BDF header ({size} bytes for {n_channels} "
                            f"channels).")

    fields, base = {}, 0
    for field, width in _CHANNEL_FIELDS:
        fields[field] = [(rest[base + i * width: base + (i + 1) * width], 256 + base + i * width)
                         for i in range(n_channels)]
        base += width * n_channels

    def text(field):
        return [raw.decode("latin1").strip() for raw, _ in fields[field]]

    def numbers(field, kind):
        return [_number(name, raw, f"{field} of signal {i + 1}", off, kind)
                for i, (raw, off) in enumerate(fields[field])]

    labels = text("label")
    dims = text("physical dimension")
    samples = numbers("samples per record", int)
    phys = list(zip(numbers("physical minimum", float), numbers("physical maximum", float)))
    digi = list(zip(numbers("digital minimum", int), numbers("digital maximum", int)))
    for i in range(n_channels):
        off = fields["samples per record"][i][1]
        if samples[i] < 1:
            raise DataFileError(
                f"{name}: BDF header field 'samples per record of signal {i + 1}' "
                f"({labels[i]!r}) at byte offset {off} is {samples[i]}, expected >= 1."
            )
        if phys[i][0] == phys[i][1]:
            raise DataFileError(
                f"{name}: signal {i + 1} ({labels[i]!r}) has physical minimum = maximum = "
                f"{phys[i][0]!r} (byte offset {fields['physical minimum'][i][1]}): no scaling "
                f"to physical units exists. The header is corrupt."
            )
        if not digi[i][0] < digi[i][1]:
            raise DataFileError(
                f"{name}: signal {i + 1} ({labels[i]!r}) has digital minimum {digi[i][0]} >= "
                f"maximum {digi[i][1]} (byte offset {fields['digital minimum'][i][1]}). The "
                f"header is corrupt."
            )
    record_bytes = 3 * sum(samples)
    expected = header_bytes + n_records * record_bytes
    if size < expected:
        raise DataFileError(
            f"{name}: BDF file is truncated: the header declares {n_records} data records "
            f"of {record_bytes} bytes ({expected} bytes in all) but the file holds "
            f"{size} bytes. Re-download the file."
        )
    return {
        "n_channels": n_channels,
        "labels": labels,
        "dims": dims,
        "n_records": n_records,
        "record_duration": record_duration,
        "samples_per_record": samples,
        "sfreq": [s / record_duration for s in samples],
        "physical_range": phys,
        "digital_range": digi,
    }
