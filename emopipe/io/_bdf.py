"""BioSemi BDF files: the header parser and its checks against the file size.

A BDF header is 256 bytes, then 256 bytes per channel (label, transducer,
physical dimension, ranges, prefiltering, samples per record), then
``n_records`` data records of 24-bit samples (``docs/datasets.md`` section 1.2).
Dataset readers check the parsed header against their own layout.
"""

import os
from pathlib import Path

#: BDF physical dimensions that are voltages, and their factor to V
VOLT_UNITS = {"uv": 1e-6, "µv": 1e-6, "mv": 1e-3, "v": 1.0, "nv": 1e-9}


def _read_bdf_header(fname):
    """Parse and validate a BDF header against the file size.

    Parameters
    ----------
    fname : path-like
        The ``.bdf`` file.

    Returns
    -------
    header : dict
        ``n_channels``, ``labels``, ``dims``, ``n_records``,
        ``record_duration``, ``samples_per_record``, ``sfreq`` (per channel).
    """
    name = Path(fname).name
    size = os.path.getsize(fname)
    with open(fname, "rb") as fh:
        head = fh.read(256)
        if len(head) < 256 or head[:8] != b"\xffBIOSEMI":
            raise ValueError(
                f"{name}: not a BioSemi BDF file (first bytes {head[:8]!r}, expected "
                f"b'\\xffBIOSEMI'; {size} bytes). The file is corrupt or not DEAP's raw data."
            )
        try:
            header_bytes = int(head[184:192].decode("ascii").strip())
            n_records = int(head[236:244].decode("ascii").strip())
            record_duration = float(head[244:252].decode("ascii").strip())
            n_channels = int(head[252:256].decode("ascii").strip())
        except ValueError as exc:
            raise ValueError(f"{name}: corrupt BDF header ({exc}).") from None
        rest = fh.read(n_channels * 256)
    if len(rest) < n_channels * 256:
        raise ValueError(f"{name}: truncated BDF header ({size} bytes for {n_channels} "
                         f"channels).")

    def field(offset, width):
        base = offset * n_channels
        return [rest[base + i * width: base + (i + 1) * width].decode("latin1").strip()
                for i in range(n_channels)]

    labels = field(0, 16)
    dims = field(16 + 80, 8)
    spr_off = 16 + 80 + 8 + 8 + 8 + 8 + 8 + 80
    samples = [int(s) for s in field(spr_off, 8)]
    record_bytes = 3 * sum(samples)
    expected = header_bytes + n_records * record_bytes
    if n_records < 0 or size < expected:
        raise ValueError(
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
    }
