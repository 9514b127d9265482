"""Reading state dicts safely: tensors only, and every failure a named error.

``torch.load(weights_only=True)`` builds no Python object, but its own error
messages advise ``weights_only=False``, the unsafe path; they are never shown.
"""

import pickle
import re
from pathlib import Path

import torch

from ..utils._errors import DataFileError


def non_finite_key(state):
    """Name of the first floating tensor of ``state`` holding NaN or inf.

    Parameters
    ----------
    state : dict of str -> Tensor
        A state dict.

    Returns
    -------
    key : str | None
        The first offending key, or ``None`` when every tensor is finite.
    """
    for key, value in state.items():
        if (isinstance(value, torch.Tensor) and value.is_floating_point()
                and not bool(torch.isfinite(value).all())):
            return key
    return None


def read_state_dict(path, *, fix, map_location=None, unwrap=()):
    """Read a state dict written by ``torch.save``, refusing anything else by name.

    Parameters
    ----------
    path : path-like
        The checkpoint file.
    fix : str
        The sentence telling the user what to do, appended to every message.
    map_location : str | torch.device | None
        Passed to ``torch.load``.
    unwrap : sequence of str
        Keys of a wrapping dict to descend into (e.g. ``("state_dict",)``).

    Returns
    -------
    state : dict of str -> Tensor
        The tensors, all finite.
    """
    path = Path(path)
    if path.stat().st_size == 0:
        raise DataFileError(f"{path}: the checkpoint is empty (0 bytes). {fix}")
    try:
        state = torch.load(path, weights_only=True, map_location=map_location)
    except Exception as err:  # truncated zip, bad magic, EOF, a refused global: a bad file
        found = re.search(r"GLOBAL (\S{1,80}) was not an allowed global", str(err))
        if isinstance(err, pickle.UnpicklingError) and found:
            raise DataFileError(
                f"{path}: the checkpoint asks for the Python object {found.group(1)!r}, and "
                f"emopipe loads tensors only (an object may run code). It was not written by "
                f"emopipe. {fix}"
            ) from None
        raise DataFileError(
            f"{path}: not a readable PyTorch checkpoint ({type(err).__name__}: truncated or "
            f"not written by torch.save). {fix}"
        ) from None
    for key in unwrap:
        if isinstance(state, dict) and key in state:
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor)
                                              for v in state.values()):
        raise DataFileError(
            f"{path}: expected a state dict (mapping name -> tensor), got "
            f"{type(state).__name__}. {fix}"
        )
    bad = non_finite_key(state)
    if bad is not None:
        raise DataFileError(f"{path}: the weights hold NaN or infinite values ({bad!r}). {fix}")
    return state
