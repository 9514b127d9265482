"""One writer per folder: an advisory lock on ``<folder>/.lock`` (``fcntl.flock``).

The extract driver locks its cache folder and the distill driver its run
folder for the whole run, so a second process writing the same folder is
refused at once with a :class:`~emopipe.utils.RunError` naming the folder and
the holder's PID, instead of both writing and resuming each other's half-done
files. The kernel drops the lock when its holder dies (even by ``kill -9``),
so a stale ``.lock`` file never blocks a later run. The lock file holds the
holder's PID and is removed on release.
"""

import logging
import os
from pathlib import Path

from ._errors import RunError

logger = logging.getLogger("emopipe.utils")

LOCK_NAME = ".lock"


def _read_pid(path):
    try:
        text = Path(path).read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class FolderLock:
    """Exclusive, non-blocking lock of a folder for one process; a context manager.

    Parameters
    ----------
    folder : path-like
        The folder (created if missing).
    what : str
        What the folder is, for the message (``"cache folder"``, ``"run folder"``).
    fix : str
        Sentence telling the user what to do instead, appended to the message.
    """

    def __init__(self, folder, *, what="folder", fix=""):
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.what = what
        self.fix = fix
        self._fd = None

    def acquire(self):
        """Take the lock or raise :class:`RunError` naming the folder and the holder's PID.

        Returns
        -------
        lock : FolderLock
            ``self``.
        """
        try:
            import fcntl
        except ImportError:  # not POSIX: no advisory locks, run unlocked
            logger.debug("no fcntl: %s %s is not locked", self.what, self.folder)
            return self
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                pid = _read_pid(self.path)
                holder = f"PID {pid}" if pid is not None else "a process whose PID is unknown"
                raise RunError(
                    f"{self.what.capitalize()} {str(self.folder)!r} is being written by another "
                    f"emopipe process ({holder}; lock file {self.path.name}). Two writers "
                    f"would mix their files. Wait for it to finish{self.fix}"
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            # the holder released and removed the file between our open and flock: retry
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self):
        """Remove the lock file and drop the lock (nothing if not held)."""
        if self._fd is None:
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self._fd)  # closing drops the flock
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
        return False
