"""Restricted unpickler for dataset files that are pickles (DEAP ``.dat``, SEED-V npz members).

Unpickling untrusted data executes code: any ``__reduce__`` may call
``os.system``. Readers never call :func:`pickle.load` on dataset files; they
call :func:`load_pickle`, whose unpickler only resolves the globals needed to
rebuild numeric NumPy arrays (datasets.md section 10) and refuses the rest
with :class:`pickle.UnpicklingError` naming the file and the refused
``module.name``. The loaded object is then walked and any object-dtype array
is refused, and :func:`_check_pickled_dict` checks top-level type and keys.
"""

import io
import os
import pickle
from pathlib import Path

import numpy as np

# Globals that rebuild numeric arrays, and nothing else.
_ALLOWED = frozenset(
    {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
        ("_codecs", "encode"),
    }
)

# Python 2 / NumPy 1 pickles name the pre-2.0 module paths.
_REMAP = {
    "numpy.core.multiarray": "numpy._core.multiarray",
    "numpy.core.numeric": "numpy._core.numeric",
}


def _resolve(module, name):
    import importlib

    mod = importlib.import_module(module)
    return getattr(mod, name)


class _RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` admits only the allow-list."""

    def __init__(self, file, *, name, encoding="latin1"):
        super().__init__(file, encoding=encoding)
        self._name = name

    def find_class(self, module, name):
        module = _REMAP.get(module, module)
        if (module, name) in _ALLOWED:
            return _resolve(module, name)
        allowed = ", ".join(f"{m}.{n}" for m, n in sorted(_ALLOWED))
        raise pickle.UnpicklingError(
            f"{self._name}: refused to load global '{module}.{name}'. Dataset pickles "
            f"may only reference {allowed}. The file is not a plain numeric pickle "
            f"and could execute code; do not open it with pickle.load."
        )

    def persistent_load(self, pid):
        raise pickle.UnpicklingError(
            f"{self._name}: refused a persistent id ({type(pid).__name__}); dataset "
            f"pickles never hold persistent ids."
        )


def _check_no_object_arrays(obj, name, *, where=""):
    """Raise ``pickle.UnpicklingError`` on any object-dtype array inside ``obj``.

    Parameters
    ----------
    obj : object
        Result of unpickling (dicts, lists and tuples are walked).
    name : str
        File name used in the message.
    where : str
        Path of ``obj`` inside the pickle, for the message.
    """
    if isinstance(obj, np.ndarray) or isinstance(obj, np.generic):
        if obj.dtype.hasobject:
            raise pickle.UnpicklingError(
                f"{name}: {where or 'top-level object'} is an array of dtype "
                f"{obj.dtype!s} holding Python objects (shape {np.shape(obj)}); only "
                f"numeric arrays are accepted from dataset pickles."
            )
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _check_no_object_arrays(value, name, where=f"{where}[{key!r}]")
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            _check_no_object_arrays(value, name, where=f"{where}[{i}]")


def load_pickle(fname_or_bytes, *, name=None, encoding="latin1"):
    """Load a dataset pickle through the restricted unpickler.

    Parameters
    ----------
    fname_or_bytes : path-like | bytes
        File to read, or the pickle bytes themselves.
    name : str | None
        Name used in error messages; the file's base name by default
        (``"<bytes>"`` for bytes).
    encoding : str
        How Python 2 ``str`` objects are decoded; ``"latin1"`` keeps array
        bytes intact (NumPy re-encodes them).

    Returns
    -------
    obj : object
        The unpickled object; any ndarray in it has a numeric dtype.

    Raises
    ------
    pickle.UnpicklingError
        If the pickle references a global outside the allow-list, holds an
        object-dtype array, or is truncated or corrupt.
    """
    if isinstance(fname_or_bytes, (bytes, bytearray, memoryview)):
        name = name or "<bytes>"
        with io.BytesIO(bytes(fname_or_bytes)) as fid:
            obj = _load(fid, name, encoding, len(fname_or_bytes))
    elif isinstance(fname_or_bytes, (str, os.PathLike)):
        path = Path(fname_or_bytes)
        name = name or path.name
        # streamed from the file: the unpickler reads each array's bytes in one
        # call, without a second in-memory copy of the whole file
        with open(path, "rb") as fid:
            obj = _load(fid, name, encoding, os.fstat(fid.fileno()).st_size)
    else:
        raise TypeError(
            f"fname_or_bytes must be a path-like or bytes, got "
            f"{type(fname_or_bytes).__name__} instead."
        )
    _check_no_object_arrays(obj, name)
    return obj


def _load(fid, name, encoding, n_bytes):
    """Run the restricted unpickler on ``fid``; every failure names the file."""
    unpickler = _RestrictedUnpickler(fid, name=name, encoding=encoding)
    try:
        return unpickler.load()
    except pickle.UnpicklingError as exc:
        if str(exc).startswith(f"{name}: "):
            raise  # our own refusal
        raise pickle.UnpicklingError(
            f"{name}: the pickle is truncated or corrupt ({exc}; {n_bytes} bytes "
            f"read). Re-download the file."
        ) from exc
    except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError,
            UnicodeDecodeError, OverflowError, MemoryError) as exc:
        raise pickle.UnpicklingError(
            f"{name}: the pickle is truncated or corrupt ({type(exc).__name__}: "
            f"{str(exc)[:120]}; {n_bytes} bytes read). Re-download the file."
        ) from exc


def _check_pickled_dict(obj, name, keys, *, hint=""):
    """Check that an unpickled object is a dict holding exactly ``keys``.

    Parameters
    ----------
    obj : object
        The unpickled object.
    name : str
        File name used in messages.
    keys : sequence of str
        Required keys.
    hint : str
        Sentence appended to the message.

    Returns
    -------
    obj : dict
        ``obj`` with ``bytes`` keys decoded to ``str``.
    """
    suffix = f" {hint}" if hint else ""
    if not isinstance(obj, dict):
        raise ValueError(
            f"{name}: expected a pickled dict with keys {list(keys)}, got "
            f"{type(obj).__name__}.{suffix}"
        )
    obj = {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in obj.items()}
    missing = [k for k in keys if k not in obj]
    if missing:
        found = sorted(str(k) for k in obj)
        raise ValueError(
            f"{name}: missing key(s) {missing}; found keys {found}, expected "
            f"{list(keys)}.{suffix}"
        )
    for key in keys:
        if not isinstance(obj[key], np.ndarray):
            raise ValueError(
                f"{name}: key {key!r} holds {type(obj[key]).__name__}, expected a "
                f"numeric ndarray.{suffix}"
            )
    return obj
