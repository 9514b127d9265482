"""MAHNOB-HCI's face videos: find a session's video, view the trial's frames lazily.

``Sessions/<id>/P<s>-Rec1-<YYYY.MM.DD.HH.MM.SS>_C1 trigger _C_Section_<section>.avi``
(note the space before ``_C_Section``; ``docs/datasets.md`` section 5). The
video is read as :class:`emopipe.io._video._LazyVideo` (metadata now, only
the frames the face extractor samples decoded); :class:`_TrialVideo`
shifts its frame index so that frame 0 is the trial's first sample.
Assumption (not documented by MAHNOB-HCI): the camera starts with the BDF
recording, so frame ``f`` is at ``f / fps`` s on the BDF's clock.
"""

from pathlib import Path

import numpy as np

from ..utils._errors import DataFileError

#: glob of a session's face video (the space before ``_C_Section`` is in the real names)
VIDEO_GLOB = "P*-Rec1-*_C1 trigger _C_Section_{section}.avi"


def find_video(folder, section):
    """The face video of one session folder, or ``None``.

    Parameters
    ----------
    folder : path-like
        ``Sessions/<id>/``.
    section : int
        The session's section.

    Returns
    -------
    fname : Path | None
        The video; ``None`` when the folder holds none.
    """
    hits = sorted(Path(folder).glob(VIDEO_GLOB.format(section=int(section))))
    if len(hits) > 1:
        raise DataFileError(f"{folder}: {len(hits)} face videos for section {section} "
                            f"({', '.join(h.name for h in hits)}); expected one. Remove the copy.")
    return hits[0] if hits else None


class _TrialVideo:
    """Frames ``start ... start + n_frames - 1`` of a lazy video, indexed from 0.

    Exposes what the face extractor reads (``ndim``, ``shape``, ``dtype``,
    ``len``, integer-array indexing, ``fname``); decodes nothing itself.
    """

    ndim = 3
    dtype = np.dtype(np.uint8)

    def __init__(self, video, start, n_frames):
        self.video, self.start = video, int(start)
        self.fname = video.fname
        self.fps = video.fps
        self.shape = (int(n_frames),) + tuple(video.shape[1:])

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        idx = np.arange(len(self))[key] if isinstance(key, slice) else np.asarray(key)
        return self.video[idx + self.start]

    def __array__(self, dtype=None, copy=None):
        out = self[np.arange(len(self))]
        return out if dtype is None else out.astype(dtype)
