"""Named frequency-band presets (methods.md §1.1) and ``resolve_bands``."""

from collections.abc import Mapping

from ..utils._checks import _check_bands, _check_option, _check_type

#: SEED family official features and CMCRD: delta .. gamma, 1-50 Hz.
SEED5 = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 14.0),
    "beta": (14.0, 31.0),
    "gamma": (31.0, 50.0),
}

#: V2E ``configs.py``: six bands, 0.3-45 Hz.
V2E6 = {
    "delta": (0.3, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 12.0),
    "beta_low": (12.0, 18.0),
    "beta_high": (18.0, 30.0),
    "gamma": (30.0, 45.0),
}

#: torcheeg defaults: theta .. gamma, 4-49 Hz.
TORCHEEG4 = {
    "theta": (4.0, 8.0),
    "alpha": (8.0, 14.0),
    "beta": (14.0, 31.0),
    "gamma": (31.0, 49.0),
}

#: preset name -> bands; values are copied by :func:`resolve_bands`.
BAND_PRESETS = {"seed5": SEED5, "v2e6": V2E6, "torcheeg4": TORCHEEG4}


def resolve_bands(bands_or_name, sfreq=None):
    """Turn a preset name or a bands mapping into a validated bands dict.

    Parameters
    ----------
    bands_or_name : str | dict
        A preset name (``"seed5"``, ``"v2e6"``, ``"torcheeg4"``) or a mapping
        band name -> ``(l_freq, h_freq)`` in Hz.
    sfreq : float | None
        Sampling frequency in Hz. When given, every band must end at or
        below ``sfreq / 2``; presets are not capped silently (a 128-Hz
        recording cannot hold seed5's 31-50 Hz gamma band: pass your own
        bands, e.g. with gamma ``(31, 45)``).

    Returns
    -------
    bands : dict
        New ordered ``dict`` band name -> ``(float, float)`` in Hz.
    """
    _check_type("bands", bands_or_name, (str, Mapping), type_name="str or dict")
    if isinstance(bands_or_name, str):
        _check_option("bands", bands_or_name, tuple(BAND_PRESETS))
        bands = dict(BAND_PRESETS[bands_or_name])
    else:
        bands = bands_or_name
    return _check_bands(bands, sfreq, parameter="bands")
