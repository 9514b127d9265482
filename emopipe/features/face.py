"""Face video: frames, Haar-cascade face boxes, 48 x 48 grey crops, OpenFace windows.

V2E (methods.md section 3) feeds 48 x 48 grey aligned faces to its video
teacher. emopipe reads frames with OpenCV, finds the face with the frontal
Haar cascade shipped inside ``opencv-python-headless`` (no download), and
stores a few evenly spaced crops per window, plus the fraction of them that
hold a face. Aligned faces from OpenFace can be fed instead (modality
frames already cropped: ``params["detect"] = False``), and OpenFace's CSV
output (gaze, head pose, action units) is averaged per window by
:func:`openface_window_features`.

A run of at most ``max_hold`` frames without a detected face *between two
detections* reuses the box detected before it (a short detector drop-out
inside a face); every other frame without a detection gets an all-zero
crop and the mask entry ``False``. A hold never runs past the last
detection, so it never adds faces beyond what was detected: a single
false positive in a video without a face stays one frame. A zero crop never
comes without that mask: ``crop_faces`` returns it and the ``"face"``
extractor stores the per-window fraction ``face_found``.

Colour frames as OpenCV returns them (``(height, width, 3)`` BGR uint8) are
converted to grey (``cv2.COLOR_BGR2GRAY``) first.
"""

import logging
import os

import numpy as np

from ..io._video import read_video_frames  # noqa: F401  (emopipe.features.read_video_frames)
from ..utils._checks import _check_option, _check_positive
from ..utils._errors import ConfigError
from ._base import MODALITY_EXTRACTORS, Feature

logger = logging.getLogger("emopipe.features.face")

HAAR_CASCADE = "haarcascade_frontalface_default.xml"


def _cascade():
    import cv2

    path = os.path.join(cv2.data.haarcascades, HAAR_CASCADE)
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise OSError(f"OpenCV could not load its Haar cascade {path}; reinstall "
                      f"opencv-python-headless.")
    return cascade


def _grey_frames(frames):
    """``(n_frames, height, width)`` grey uint8 from grey or BGR frames.

    Accepted: grey ``(n_frames, height, width)``; colour ``(n_frames, height,
    width, 3)``; one colour frame ``(height, width, 3)`` as
    ``cv2.VideoCapture.read`` returns it (a last axis of 3 is read as BGR).
    """
    frames = np.asarray(frames)
    colour = frames.shape[-1:] == (3,) and frames.ndim in (3, 4)
    if frames.dtype != np.uint8 or not (frames.ndim == 3 or colour):
        raise ConfigError(
            f"frames must be uint8 with shape (n_frames, height, width) (grey), "
            f"(n_frames, height, width, 3) or (height, width, 3) (BGR, as OpenCV reads "
            f"them), got dtype {frames.dtype} and shape {frames.shape}. Convert with "
            f"np.clip(frames, 0, 255).astype(np.uint8)."
        )
    if not colour:
        return frames
    import cv2

    if frames.ndim == 3:
        frames = frames[None]
    return np.stack([cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_BGR2GRAY)
                     for f in frames]).reshape(frames.shape[:3])


def detect_faces(frames, *, scale_factor=1.1, min_neighbors=5, min_size=(30, 30)):
    """Largest frontal face of each frame (OpenCV Haar cascade).

    Uses ``haarcascade_frontalface_default.xml`` from ``cv2.data`` (shipped
    with ``opencv-python-headless`` 4.x). Colour frames are converted to
    grey with ``cv2.COLOR_BGR2GRAY`` first.

    Parameters
    ----------
    frames : ndarray of uint8, shape (n_frames, height, width) | (n_frames, height, width, 3)
        Grey frames, or BGR colour frames as OpenCV reads them (one frame
        ``(height, width, 3)`` gives one box).
    scale_factor : float
        Image pyramid step (> 1).
    min_neighbors : int
        Overlapping detections a face needs (higher: fewer false positives).
    min_size : tuple of int
        Smallest face (width, height) in pixels.

    Returns
    -------
    boxes : list of tuple | None, length n_frames
        ``(x, y, w, h)`` in pixels of the largest face, or ``None``.
    """
    frames = _grey_frames(frames)
    if not scale_factor > 1:
        raise ConfigError(f"scale_factor must be > 1, got {scale_factor!r}.")
    cascade = _cascade()
    boxes = []
    for img in frames:
        found = cascade.detectMultiScale(img, scaleFactor=scale_factor,
                                         minNeighbors=int(min_neighbors),
                                         minSize=tuple(int(s) for s in min_size))
        if len(found) == 0:
            boxes.append(None)
        else:
            x, y, w, h = max(found, key=lambda b: b[2] * b[3])
            boxes.append((int(x), int(y), int(w), int(h)))
    return boxes


def crop_faces(frames, boxes, *, size=48, margin=0.1, max_hold=5):
    """Square grey face crops resized to ``size`` x ``size``.

    Each box grows by ``margin * w`` on every side (clipped to the frame)
    and is resized with area interpolation. A run of at most ``max_hold``
    frames without a box that lies between two frames with a box reuses
    the box before it (a detector drop-out inside a face); any other frame
    without a box, including every frame before the first and after the
    last detection, has a zero crop and ``has_face`` ``False``. So a hold
    never adds a face before the first or after the last detection.

    Parameters
    ----------
    frames : ndarray of uint8, shape (n_frames, height, width) | (n_frames, height, width, 3)
        Grey frames, or BGR colour frames (converted to grey).
    boxes : list of tuple | None, length n_frames
        Output of :func:`detect_faces`.
    size : int
        Output side in pixels (48 as V2E).
    margin : float
        Relative margin added around each box.
    max_hold : int
        Longest run of frames without a box (in ``frames`` order), between
        two frames with one, that reuses the box before it. 0 never holds.

    Returns
    -------
    crops : ndarray of uint8, shape (n_frames, size, size)
        Face crops (zeros where ``has_face`` is ``False``).
    has_face : ndarray of bool, shape (n_frames,)
        Whether the crop holds a detected or held face.
    """
    import cv2

    frames = np.asarray(frames)
    if frames.ndim == 4:
        frames = _grey_frames(frames)
    if len(boxes) != len(frames):
        raise ConfigError(f"boxes has {len(boxes)} entries but frames has {len(frames)} frames; "
                         f"pass one box (or None) per frame.")
    _check_positive("size", size)
    _check_positive("max_hold", max_hold, strict=False)
    boxes = list(boxes)
    # hold only across gaps of <= max_hold frames with a detection on both sides
    found = [k for k, b in enumerate(boxes) if b is not None]
    for a, b in zip(found[:-1], found[1:]):
        if 1 < b - a <= max_hold + 1:
            boxes[a + 1:b] = [boxes[a]] * (b - a - 1)
    crops = np.zeros((len(frames), size, size), np.uint8)
    has_face = np.zeros(len(frames), bool)
    for k, (img, box) in enumerate(zip(frames, boxes)):
        if box is None:
            continue
        x, y, w, h = box
        m = int(round(margin * max(w, h)))
        side = max(w, h) + 2 * m
        cx, cy = x + w / 2, y + h / 2
        x0 = int(round(cx - side / 2))
        y0 = int(round(cy - side / 2))
        x0 = min(max(x0, 0), max(img.shape[1] - side, 0))
        y0 = min(max(y0, 0), max(img.shape[0] - side, 0))
        patch = img[y0:y0 + side, x0:x0 + side]
        crops[k] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
        has_face[k] = True
    return crops, has_face


def _window_frame_indices(starts, n_win, frames_per_window):
    """Middle frame of each of ``frames_per_window`` equal blocks of each window."""
    offs = ((np.arange(frames_per_window) + 0.5) * n_win / frames_per_window).astype(np.int64)
    return starts[:, None] + np.minimum(offs, n_win - 1)[None, :]


@MODALITY_EXTRACTORS.register("face")
def extract_face(modality, grid, params):
    """Registered ``"face"`` extractor: face crops sampled in each window.

    The modality holds grey uint8 video, ``dims=("trial", "time",
    "height", "width")`` (BGR colour trials ``(n_frames, height, width, 3)``
    are converted to grey) and ``sfreq`` the frame rate (a trial is an array
    ``(n_frames, height, width)``, or a lazy video exposing ``ndim``,
    ``shape``, ``len`` and integer-array indexing, which is indexed
    without loading the whole video). In each window ``frames_per_window``
    frames are taken at the middles of equal blocks (V2E takes one frame
    per 16-frame block), faces are detected on them
    (:func:`detect_faces`) and cropped (:func:`crop_faces`; the hold of a
    missing box runs over these sampled frames). Overlapping windows
    share frames (1-s windows every 0.25 s sample each frame 4 times):
    each distinct frame is decoded, converted and run through the detector
    once, and its box reused wherever the frame is sampled, which gives the
    crops of detecting every sampled frame, bit for bit.

    ``params``: ``frames_per_window`` (4), ``size`` (48), ``margin`` (0.1),
    ``max_hold`` (2, in sampled frames, between two detections only),
    ``detect`` (True; ``False`` when
    the frames are already aligned faces: they are only resized),
    ``scale_factor``, ``min_neighbors``, ``min_size``.

    Parameters
    ----------
    modality : Modality
        Face video modality, trials ``(n_frames, height, width)`` uint8.
    grid : WindowGrid
        The subject's window grid.
    params : dict
        Options above, e.g. ``{"frames_per_window": 4, "size": 48}``.

    Returns
    -------
    features : dict of str -> Feature
        ``frames`` (window, time, height, width) uint8 and ``face_found``
        (window,) fraction of the window's frames with a face.
    """
    import cv2

    params = dict(params or {})
    known = ("frames_per_window", "size", "margin", "max_hold", "detect", "scale_factor",
             "min_neighbors", "min_size")
    for key in params:
        _check_option("face params key", key, known)
    k = int(params.get("frames_per_window", 4))
    size = int(params.get("size", 48))
    detect = bool(params.get("detect", True))
    det_kw = {key: params[key] for key in ("scale_factor", "min_neighbors", "min_size")
              if key in params}
    fps = float(modality.sfreq)
    n_win = grid.n_samples(fps)
    if k < 1 or k > n_win:
        raise ConfigError(f"frames_per_window = {k} must be between 1 and the {n_win} frames "
                         f"of a {grid.window} s window at {fps} fps.")
    out_frames, out_found = [], []
    n_sampled = n_distinct = 0
    for t in range(grid.n_trials):
        video = modality.data[t]
        if not hasattr(video, "ndim"):  # keep lazy videos (emopipe.io._video._LazyVideo) lazy
            video = np.asarray(video)
        where = f" ({video.fname})" if hasattr(video, "fname") else ""
        if not (video.ndim == 3 or (video.ndim == 4 and video.shape[-1] == 3)):
            raise ConfigError(f"face trial {t}{where}: expected (n_frames, height, width) uint8 "
                             f"(or (..., 3) BGR), got shape {video.shape}.")
        starts = grid.sample_starts(fps, t)
        if len(starts) == 0:
            continue
        if starts[-1] + n_win > len(video):
            raise ConfigError(
                f"face trial {t}{where}: the window grid needs {starts[-1] + n_win} frames at "
                f"{fps} fps but the video has {len(video)}."
            )
        idx = _window_frame_indices(starts, n_win, k)          # (n_windows, k)
        # overlapping windows share frames: decode, convert and detect each distinct
        # frame once, then expand to the sampled sequence (window order, repeats kept)
        distinct, inv = np.unique(idx.ravel(), return_inverse=True)
        inv = inv.ravel()
        frames_u = video[distinct]
        if frames_u.ndim == 4:
            frames_u = _grey_frames(frames_u)
        if detect:
            boxes_u = detect_faces(frames_u, **det_kw)
            # the hold of a missing box runs over the sampled sequence, as before
            crops, found = crop_faces(frames_u[inv], [boxes_u[j] for j in inv], size=size,
                                      margin=float(params.get("margin", 0.1)),
                                      max_hold=int(params.get("max_hold", 2)))
        else:
            crops = np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA)
                              for f in frames_u])[inv]
            found = np.ones(len(inv), bool)
        n_sampled += len(inv)
        n_distinct += len(distinct)
        out_frames.append(crops.reshape(len(starts), k, size, size))
        out_found.append(found.reshape(len(starts), k).mean(axis=1))
    frames = (np.concatenate(out_frames) if out_frames
              else np.zeros((0, k, size, size), np.uint8))
    found = np.concatenate(out_found) if out_found else np.zeros(0)
    logger.info("face: %d windows x %d frames (%d distinct frames %s), face found in %.1f %%",
                len(frames), k, n_distinct, "detected" if detect else "resized",
                100 * (found.mean() if len(found) else 0))
    return {
        "frames": Feature(frames, ("window", "time", "height", "width"),
                          {"unit": "a.u.", "sfreq": fps, "frames_per_window": k,
                           "detector": HAAR_CASCADE if detect else "none"}),
        "face_found": Feature(found, ("window",), {"unit": "fraction"}),
    }


extract_face.default_feature = "frames"  # what the spec "face" means


def _warn_short_table(tab, t, times, t0, window, n_empty):
    """Warn that some windows of trial ``t`` hold no OpenFace frame at all."""
    name = getattr(tab, "fname", "") or f"OpenFace table of trial {t}"
    span = (f"{len(times)} frames spanning {times.min():.3f}-{times.max():.3f} s"
            if len(times) else "no frame")
    need = f"{t0.min():.3f}-{t0.max() + window:.3f} s" if len(t0) else "none"
    short = (" is shorter than one window and" if len(times) < 2
             or times.max() - times.min() < window else "")
    logger.warning(
        "%s: %s%s leaves %d of the %d %g-s windows of trial %d without a frame (the windows "
        "cover %s); they hold 0 with n_total 0 in openface_counts. Check that the CSV belongs "
        "to this trial's video and that OpenFace ran on all of it.",
        name, span, short, n_empty, len(t0), window, t, need)


#: column prefixes averaged by default by :func:`openface_window_features`
OPENFACE_PREFIXES = ("gaze_", "pose_", "AU")


def openface_window_features(table, grid, *, columns=None, min_confidence=0.8,
                             time_offset=0.0):
    """Mean of OpenFace columns over the frames of each window.

    A frame counts when ``success == 1`` and ``confidence >=
    min_confidence``. Frame ``timestamp`` (s from the video start) is
    taken as time in the trial array (``time_offset`` shifts it), so
    window ``w`` of trial ``t`` covers ``[baseline + onset,
    baseline + onset + window)``. Windows without a counted frame get 0
    and ``n_frames == 0`` in ``openface_counts``; windows without any frame
    (a CSV shorter than the trial, or than one window) also log a warning
    naming the file (``table.fname``), its frames and time span, and the
    windows' span.

    Parameters
    ----------
    table : OpenFaceTable | dict of str -> ndarray | list of dict
        Output of :func:`emopipe.io.openface.read_openface_csv`, one per
        trial (a single table when the grid has one trial).
    grid : WindowGrid
        The subject's window grid.
    columns : list of str | None
        Columns to average; ``None`` takes every column starting with
        ``gaze_``, ``pose_`` or ``AU``.
    min_confidence : float
        Smallest OpenFace confidence counted.
    time_offset : float
        Seconds added to ``timestamp`` to get trial-array time.

    Returns
    -------
    features : dict of str -> Feature
        ``openface`` (window, feature) means and ``openface_counts``
        (window, feature): ``n_frames`` counted, ``n_total`` in the window.
    """
    tables = [table] if isinstance(table, dict) else list(table)
    if len(tables) != grid.n_trials:
        raise ConfigError(f"got {len(tables)} OpenFace tables for a grid of {grid.n_trials} "
                         f"trials; pass one table per trial.")
    if columns is None:
        columns = [c for c in tables[0] if c.startswith(OPENFACE_PREFIXES)]
    for i, tab in enumerate(tables):
        missing = [c for c in list(columns) + ["timestamp", "success", "confidence"]
                   if c not in tab]
        if missing:
            raise ConfigError(f"OpenFace table {i}: columns {missing[:5]!r} missing; it has "
                             f"{len(tab)} columns.")
    means, counts = [], []
    for t, tab in enumerate(tables):
        times = np.asarray(tab["timestamp"], float) + time_offset
        ok = (np.asarray(tab["success"]) == 1) & (np.asarray(tab["confidence"]) >= min_confidence)
        vals = np.column_stack([np.asarray(tab[c], float) for c in columns])
        t0 = grid.baseline + grid.onsets[t]
        n_empty = 0
        for a in t0:
            inwin = (times >= a - 1e-9) & (times < a + grid.window - 1e-9)
            use = inwin & ok
            means.append(vals[use].mean(axis=0) if use.any() else np.zeros(len(columns)))
            counts.append((use.sum(), inwin.sum()))
            n_empty += not inwin.any()
        if n_empty:
            _warn_short_table(tab, t, times, t0, grid.window, n_empty)
    means = np.array(means).reshape(-1, len(columns))
    counts = np.array(counts, float).reshape(-1, 2)
    return {
        "openface": Feature(means, ("window", "feature"),
                            {"unit": "mixed", "feature_names": list(columns),
                             "min_confidence": min_confidence}),
        "openface_counts": Feature(counts, ("window", "feature"),
                                   {"unit": "count", "feature_names": ["n_frames", "n_total"]}),
    }
