"""Video files read with OpenCV: all frames at once, or lazily on indexing.

:func:`read_video_frames` decodes a whole file into memory;
:class:`_LazyVideo` reads the container's metadata now and decodes only the
frames asked for, so a dataset reader can return a cohort's videos without
holding their frames (DEAP face video).
"""

import logging
import os
from pathlib import Path

import numpy as np

from ..utils._checks import _check_type
from ..utils._errors import DataFileError
from ._files import _check_regular_file

logger = logging.getLogger("emopipe.io.video")


def read_video_frames(fname, *, max_frames=None):
    """Grey frames of a video file, read with OpenCV.

    Parameters
    ----------
    fname : path-like
        Video file (AVI, MP4, ... whatever the OpenCV build decodes).
    max_frames : int | None
        Stop after this many frames.

    Returns
    -------
    frames : ndarray of uint8, shape (n_frames, height, width)
        Grey-level frames.
    fps : float
        Frame rate from the container.
    """
    import cv2

    _check_type("fname", fname, ("path-like",))
    fname = Path(fname)
    _check_regular_file(fname, what="video file")
    cap = cv2.VideoCapture(os.fspath(fname))
    try:
        if not cap.isOpened():
            raise DataFileError(
                f"{fname}: OpenCV cannot open this video (unknown container or codec). "
                f"Convert it, e.g. to MJPG AVI or H.264 MP4, with ffmpeg."
            )
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        frames = []
        while max_frames is None or len(frames) < max_frames:
            ok, img = cap.read()
            if not ok:
                break
            if img.ndim == 3:
                img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
            frames.append(img)
    finally:
        cap.release()
    if not frames:
        raise DataFileError(f"{fname}: OpenCV opened the video but decoded no frame.")
    if not fps > 0:
        raise DataFileError(f"{fname}: the container states no frame rate (got {fps!r}).")
    logger.info("%s: %d frames %dx%d at %.2f fps", fname.name, len(frames),
                frames[0].shape[1], frames[0].shape[0], fps)
    return np.stack(frames), fps


class _LazyVideo:
    """One trial's face video: metadata read now, frames decoded on indexing.

    Behaves as a read-only uint8 array of shape (n_frames, height, width)
    for what the face extractor needs (``ndim``, ``shape``, ``dtype``,
    ``len`` and indexing): ``video[idx]`` with an integer array decodes only
    the frames in ``idx``, reading the file sequentially with OpenCV
    (``grab`` every frame up to the last one asked for, ``retrieve`` only the
    asked ones) and converting them to grey. Nothing is kept in memory
    between calls. Frame rate, frame count and size come from the container
    (``CAP_PROP_FPS``, ``CAP_PROP_FRAME_COUNT``, ``CAP_PROP_FRAME_WIDTH``,
    ``CAP_PROP_FRAME_HEIGHT``).

    Parameters
    ----------
    fname : path-like
        The video file (any container and codec the OpenCV build decodes).
    """

    ndim = 3
    dtype = np.dtype(np.uint8)

    def __init__(self, fname):
        import cv2

        self.fname = Path(fname)
        size = _check_regular_file(self.fname, what="face video").st_size
        cap = cv2.VideoCapture(os.fspath(self.fname))
        try:
            if not cap.isOpened():
                raise DataFileError(
                    f"{self.fname}: OpenCV cannot open this video ({size} bytes): the file is "
                    f"empty, truncated or in an unknown container/codec. Re-download it, or "
                    f"convert it (e.g. to MJPG AVI) with ffmpeg."
                )
            fps = float(cap.get(cv2.CAP_PROP_FPS))
            n_frames = int(round(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
            width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
            height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        finally:
            cap.release()
        if not fps > 0:
            raise DataFileError(f"{self.fname}: the container states no frame rate (got {fps!r}); "
                                f"expected > 0 fps. Re-encode the video with its frame rate.")
        if n_frames < 1 or width < 1 or height < 1:
            raise DataFileError(
                f"{self.fname}: the container declares {n_frames} frames of {width} x {height} "
                f"px; expected at least one frame. The video is empty or corrupt; re-download "
                f"it."
            )
        self.fps = fps
        self.shape = (n_frames, height, width)
        #: number of frames retrieved (decoded to an image) so far, for tests
        self.n_retrieved = 0

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        n, h, w = self.shape
        return f"<_LazyVideo {self.fname.name}: {n} frames {w} x {h} at {self.fps:g} fps>"

    def _index(self, key):
        n = len(self)
        if isinstance(key, slice):
            return np.arange(n)[key]
        idx = np.asarray(key)
        if idx.dtype == bool or idx.dtype.kind not in "iu":
            raise IndexError(f"{self.fname.name}: index frames with integers or a slice, got "
                             f"dtype {idx.dtype}.")
        idx = np.where(idx < 0, idx + n, idx).astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            bad = int(idx.max() if idx.max() >= n else idx.min())
            raise IndexError(f"{self.fname}: frame {bad} is out of range for a video of {n} "
                             f"frames.")
        return idx

    def __getitem__(self, key):
        idx = self._index(key)
        wanted = np.unique(idx)
        frames = self._decode(wanted)  # (len(wanted), height, width)
        return frames[np.searchsorted(wanted, idx)]

    def __array__(self, dtype=None, copy=None):
        # the whole video: only for small files (the extractor indexes instead)
        out = self[np.arange(len(self))]
        return out if dtype is None else out.astype(dtype)

    def _decode(self, wanted):
        """Grey frames ``wanted`` (sorted, unique), read sequentially."""
        import cv2

        n, height, width = self.shape
        out = np.empty((len(wanted), height, width), np.uint8)
        if not len(wanted):
            return out
        cap = cv2.VideoCapture(os.fspath(self.fname))
        try:
            if not cap.isOpened():
                raise DataFileError(f"{self.fname}: OpenCV can no longer open this video.")
            pos = 0  # frames grabbed so far
            for k, frame in enumerate(wanted):
                while pos <= frame:
                    if not cap.grab():
                        raise DataFileError(
                            f"{self.fname}: decoding stopped after {pos} frames but the "
                            f"container declares {n} (frame {int(frame)} was requested): the "
                            f"file is truncated or corrupt. Re-download it."
                        )
                    pos += 1
                ok, img = cap.retrieve()
                if not ok:
                    raise DataFileError(f"{self.fname}: frame {int(frame)} could not be decoded; "
                                        f"the file is corrupt. Re-download it.")
                if img.ndim == 3:
                    img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
                if img.shape != (height, width):
                    raise DataFileError(f"{self.fname}: frame {int(frame)} is {img.shape[1]} x "
                                        f"{img.shape[0]} px, expected {width} x {height} as the "
                                        f"container declares.")
                out[k] = img
                self.n_retrieved += 1
        finally:
            cap.release()
        return out

    def verify(self):
        """Decode every frame (``grab``), to catch files corrupt or truncated mid-way.

        Returns
        -------
        video : _LazyVideo
            ``self``.
        """
        import cv2

        n = len(self)
        cap = cv2.VideoCapture(os.fspath(self.fname))
        try:
            pos = 0
            while pos < n and cap.grab():
                pos += 1
        finally:
            cap.release()
        if pos < n:
            raise DataFileError(
                f"{self.fname}: decoding stopped after {pos} frames but the container "
                f"declares {n}: the file is truncated or corrupt. Re-download it."
            )
        return self

    def probe(self):
        """Decode the first and the last frame (seeking), to catch truncated files.

        Returns
        -------
        video : _LazyVideo
            ``self``.
        """
        import cv2

        n = len(self)
        cap = cv2.VideoCapture(os.fspath(self.fname))
        try:
            ok_first = cap.grab() and cap.retrieve()[0]
            ok_last = True
            if n > 1:
                cap.set(cv2.CAP_PROP_POS_FRAMES, n - 1)
                ok_last = cap.grab() and cap.retrieve()[0]
        finally:
            cap.release()
        if not ok_first:
            raise DataFileError(f"{self.fname}: OpenCV opened the video but decoded no frame; the "
                                f"file is corrupt. Re-download it.")
        if not ok_last:
            raise DataFileError(
                f"{self.fname}: the last of the {n} frames the container declares cannot be "
                f"decoded: the file is truncated or corrupt. Re-download it."
            )
        return self
