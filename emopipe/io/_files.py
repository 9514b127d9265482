"""Opening the user's input files: regular files only, every refusal naming the file.

Every reader opens a dataset file through :func:`_open_user_file` (or checks
it with :func:`_check_regular_file` before handing the path to a library
such as MNE, SciPy or OpenCV). The path is ``os.stat``-ed first and anything
but a regular file (a folder, a FIFO that would block for ever, a device such
as ``/dev/zero`` behind a symlink that would be read until memory runs out)
is refused with a :class:`~emopipe.utils._errors.DataFileError` before it is
opened for reading.
"""

import contextlib
import os
import stat
from pathlib import Path

from ..utils._errors import DataFileError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode):
    for test, what in _KINDS:
        if test(mode):
            return what
    return "not a regular file"


def _check_regular_file(fname, *, what="input file"):
    """``os.stat`` of ``fname`` (symlinks followed), refusing anything but a regular file.

    Parameters
    ----------
    fname : path-like
        The file.
    what : str
        What the file is, for messages (``"DEAP preprocessed file"``).

    Returns
    -------
    st : os.stat_result
        The file's status (``st_size`` is its size in bytes).

    Raises
    ------
    FileNotFoundError
        If nothing is at ``fname``.
    DataFileError
        If ``fname`` is a folder, a FIFO, a device or a socket.
    """
    path = Path(fname)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: the {what} does not exist.") from None
    if not stat.S_ISREG(st.st_mode):
        target = ""
        if path.is_symlink():
            target = f" (a symbolic link to {os.readlink(path)!r})"
        raise DataFileError(
            f"{path}: the {what} is {_kind(st.st_mode)}{target}, not a regular file; "
            f"emopipe reads only regular files. Replace it with the file itself."
        )
    return st


def _open_user_file(fname, mode="rb", *, what="input file", **kwargs):
    """Open a user's input file for reading once :func:`_check_regular_file` passed.

    Parameters
    ----------
    fname : path-like
        The file.
    mode : str
        ``"rb"`` or ``"r"``.
    what : str
        What the file is, for messages.
    **kwargs
        Passed to :func:`open` (``encoding``, ``newline``, ...).

    Returns
    -------
    fid : file object
        The open file; the caller closes it (use it in a ``with`` block).
    """
    if mode not in ("rb", "r"):
        raise ValueError(f"mode must be 'rb' or 'r', got {mode!r}.")  # a bug, not a user error
    _check_regular_file(fname, what=what)
    fid = open(fname, mode, **kwargs)
    # the path may have been swapped between stat and open: check what was opened
    if not stat.S_ISREG(os.fstat(fid.fileno()).st_mode):
        fid.close()
        raise DataFileError(f"{Path(fname)}: the {what} changed into a non-regular file while "
                            f"being opened; emopipe reads only regular files.")
    return fid


def _read_mat(fname, *, what, shown, lazy=False,
              hint=" The file may be truncated; re-download it."):
    """Load a MATLAB file once :func:`_check_regular_file` passed, naming it on failure.

    Parameters
    ----------
    fname : path-like
        The file.
    what : str
        What the file is, for :func:`_check_regular_file` (``"SEED MAT file"``).
    shown : str
        How the refusal names the file (``"1/1_20131027.mat"``).
    lazy : bool
        Only list the variables (``scipy.io.whosmat``) instead of loading them.
    hint : str
        Sentence after the refusal (with its leading space), or ``""``.

    Returns
    -------
    mat : dict | list of tuple
        ``scipy.io.loadmat(fname)``, or with ``lazy`` ``scipy.io.whosmat(fname)``
        (``(name, shape, class)`` per variable).

    Raises
    ------
    DataFileError
        If SciPy cannot read the file.
    """
    import scipy.io

    _check_regular_file(fname, what=what)
    try:
        return (scipy.io.whosmat if lazy else scipy.io.loadmat)(fname)
    except Exception as exc:  # scipy raises ValueError, TypeError, OSError, ...
        raise DataFileError(
            f"{shown}: not a readable MAT file ({type(exc).__name__}: "
            f"{str(exc)[:120]}).{hint}"
        ) from exc


@contextlib.contextmanager
def _open_npz(fname, *, shown, members):
    """Open an npz archive (no pickles) for the ``with`` block, naming the file on failure.

    Parameters
    ----------
    fname : path-like
        The file (already checked to be a regular file).
    shown : str
        How the refusal names the file (``"EEG_DE_features/1_123.npz"``).
    members : str
        The members it should hold, for the refusal of a bare ``.npy``
        (``"'data' and 'label'"``).

    Yields
    ------
    npz : numpy.lib.npyio.NpzFile
        The archive; it and its file are closed when the block ends, also
        when ``np.load`` fails.

    Raises
    ------
    DataFileError
        If NumPy cannot read the file or it is a single array.
    """
    import zipfile

    import numpy as np

    with open(fname, "rb") as fh:
        try:
            npz = np.load(fh, allow_pickle=False)
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise DataFileError(f"{shown}: not a readable npz file ({exc}). "
                                f"Re-download it.") from exc
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise DataFileError(f"{shown}: a single .npy array, not an npz archive with "
                                f"members {members}. Re-download it.")
        with npz:
            yield npz
