"""Scalp topomaps through MNE: channel positions from a standard montage, one map per axes.

A dataset declares its montage (``Dataset.montage``, an MNE standard montage
name such as ``"standard_1020"``); channel names are matched to it without
regard to case (SEED writes ``FP1``, MNE ``Fp1``). Channels the montage has
no position for are returned by :func:`channel_positions`, so the caller can
list them; they are never dropped silently.
"""

import numpy as np

from ..utils._errors import UnknownNameError

__all__ = ["channel_positions", "plot_topomap"]

#: montage names MNE 1.13 deprecated (same positions under a new name): a dataset
#: declares the 10-20 name, this maps it for MNE versions that renamed it
_RENAMED = {"standard_1005": "colin27_1005", "standard_1020": "colin27_1020"}


def _resolve(montage):
    """The name of ``montage`` in the installed MNE (its new name where MNE renamed it)."""
    import mne

    builtin = mne.channels.get_builtin_montages()
    if montage in builtin:
        return montage
    if _RENAMED.get(montage) in builtin:
        return _RENAMED[montage]
    raise UnknownNameError(
        f"Montage {montage!r} is not an MNE standard montage. Available: "
        f"{', '.join(repr(b) for b in builtin)}.")


def channel_positions(ch_names, montage):
    """Which channels a standard montage places, as an MNE ``Info`` for them.

    Parameters
    ----------
    ch_names : list of str
        Channel names.
    montage : str
        An MNE standard montage name (``mne.channels.get_builtin_montages()``;
        ``"standard_1020"`` also where MNE calls it ``"colin27_1020"``).

    Returns
    -------
    info : mne.Info | None
        ``Info`` of the placed channels with the montage set (``None`` if
        none is placed).
    picks : ndarray of int, shape (n_placed,)
        Indices into ``ch_names`` of the placed channels.
    missing : list of str
        Channels without a position, in ``ch_names`` order.
    """
    import mne

    mont = mne.channels.make_standard_montage(_resolve(montage))
    known = {n.lower() for n in mont.ch_names}
    picks = [i for i, ch in enumerate(ch_names) if str(ch).lower() in known]
    missing = [str(ch) for i, ch in enumerate(ch_names) if i not in set(picks)]
    if not picks:
        return None, np.zeros(0, int), missing
    info = mne.create_info([str(ch_names[i]) for i in picks], sfreq=100.0, ch_types="eeg")
    info.set_montage(mont, match_case=False)
    return info, np.asarray(picks, int), missing


def plot_topomap(values, info, ax, *, vlim=None, cmap="cividis"):
    """Draw one scalp map of ``values`` on ``ax``.

    Parameters
    ----------
    values : ndarray, shape (n_placed,)
        One value per channel of ``info``.
    info : mne.Info
        Placed channels (:func:`channel_positions`).
    ax : matplotlib.axes.Axes
        Where to draw.
    vlim : tuple of float | None
        Colour limits ``(vmin, vmax)``; ``None``: the values' range.
    cmap : str
        Colour map.

    Returns
    -------
    image : matplotlib.image.AxesImage
        The interpolated map (for a colour bar).
    """
    import mne

    values = np.asarray(values, dtype=float)
    if vlim is None:
        vlim = (float(np.nanmin(values)), float(np.nanmax(values)))
    im, _ = mne.viz.plot_topomap(values, info, axes=ax, show=False, cmap=cmap, vlim=vlim,
                                 contours=0, sensors=True)
    return im
