"""Shared parameter docstrings (``docdict``) and the ``fill_doc`` decorator."""

docdict = {}

docdict["data_times"] = """data : ndarray, shape (..., n_times)
        Signal in SI units (V for EEG/EOG); leading axes (e.g. ``n_trials,
        n_channels``) are kept in the output."""
docdict["sfreq"] = """sfreq : float
        Sampling frequency in Hz."""
docdict["bands"] = """bands : dict
        Ordered mapping band name -> ``(l_freq, h_freq)`` in Hz; the band
        integrates ``[l_freq, h_freq)``."""
docdict["window"] = """window : float
        Window length in seconds."""
docdict["step"] = """step : float | None
        Hop between window starts in seconds. ``None`` means ``window``
        (no overlap)."""
docdict["verbose"] = """verbose : bool | str | int | None
        Log level for this call (``True``/``"info"``, ``"debug"``); ``None``
        keeps the current level."""
docdict["seed"] = """seed : int
        Seed of the local random generator; recorded with the outputs."""
docdict["root"] = """root : path-like
        Folder of the dataset download, laid out as the authors ship it."""

docdict["synth_out"] = """out : str | Path
        Folder to write into."""
docdict["synth_cohort"] = """n_subjects : int
        Number of subjects.
    seed : int
        Seed of the cohort.
    scenario : str
        Cohort scenario."""
docdict["synth_seed_scenario"] = """seed : int
        Seed of the cohort.
    scenario : str
        Cohort scenario."""

docdict["tcn"] = """channels : sequence of int
        TCN level widths (``(128, 128)``).
    kernel_size : int
        TCN kernel (3).
    dropout : float
        TCN dropout (0.1)."""


def fill_doc(f):
    """Fill ``%(name)s`` placeholders in ``f.__doc__`` from ``docdict``.

    Parameters
    ----------
    f : callable
        Function or class whose docstring holds placeholders.

    Returns
    -------
    f : callable
        The same object, docstring filled.
    """
    doc = f.__doc__
    if not doc:
        return f
    try:
        f.__doc__ = doc % docdict
    except (KeyError, ValueError, TypeError) as exc:
        raise RuntimeError(f"Error filling the docstring of {f.__qualname__}: {exc}") from exc
    return f
