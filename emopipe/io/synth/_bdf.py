"""BioSemi BDF writing for the synthetic writers (DEAP raw, MAHNOB-HCI), through pyedflib.

One function, :func:`write_bdf`, shared by the dataset writers: signals in
the file's physical units, one label and physical dimension per channel, the
physical range chosen from the dimension as BioSemi ActiveTwo files state
it, 24-bit digital range.
"""

import datetime

import numpy as np

#: physical (min, max) per dimension; others get +-100000
_PHYSICAL_RANGE = {"uV": (-262144, 262143), "Ohm": (0, 10000000), "degC": (-100, 100),
                   "Boolean": (-8388608, 8388607)}


def write_bdf(fname, sig, labels, dims, sfreq, *, status_index=None):
    """Write a BDF file of equally sampled channels.

    Parameters
    ----------
    fname : path-like
        Output ``.bdf`` file.
    sig : ndarray, shape (n_channels, n_times)
        Samples in each channel's physical unit (``dims``).
    labels : list of str
        Channel labels (16 characters at most).
    dims : list of str
        Physical dimension of each channel (``"uV"``, ``"Ohm"``, ``"Boolean"``, ...).
    sfreq : float
        Sampling rate in Hz (every channel).
    status_index : int | None
        Index of the trigger channel (transducer ``Triggers and Status``, no
        filtering); ``None`` means the last channel.
    """
    import pyedflib

    n = len(labels)
    status_index = n - 1 if status_index is None else status_index
    headers = []
    for j, (lab, dim) in enumerate(zip(labels, dims)):
        pmin, pmax = _PHYSICAL_RANGE.get(dim, (-100000, 100000))
        status = j == status_index
        headers.append({"label": lab, "dimension": dim, "sample_frequency": sfreq,
                        "physical_min": pmin, "physical_max": pmax,
                        "digital_min": -8388608, "digital_max": 8388607,
                        "transducer": "Triggers and Status" if status else "Active electrode",
                        "prefilter": "No filtering" if status else "HP:DC, LP:104 Hz"})
    writer = pyedflib.EdfWriter(str(fname), n, file_type=pyedflib.FILETYPE_BDF)
    try:
        writer.setSignalHeaders(headers)
        writer.setStartdatetime(datetime.datetime(2010, 1, 1, 12, 0, 0))
        writer.writeSamples([np.ascontiguousarray(s, dtype=np.float64) for s in sig])
    finally:
        writer.close()
