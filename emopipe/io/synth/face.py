"""Synthetic face video (AVI, MJPG) and OpenFace 2 CSV fixtures."""

import importlib.util
import os
from pathlib import Path

import numpy as np

from ...utils._checks import _check_positive
from ...utils._errors import ConfigError


def sample_face():
    """A real grey-level face photograph available offline.

    Matplotlib ships ``grace_hopper.jpg`` (public domain, U.S. Navy photo)
    in ``mpl-data/sample_data``; the file is located without importing
    matplotlib.

    Returns
    -------
    face : ndarray of uint8, shape (height, width)
        Cropped around the face (about 240 x 240 px).
    """
    import cv2

    spec = importlib.util.find_spec("matplotlib")
    paths = list(spec.submodule_search_locations) if spec else []
    for base in paths:
        fname = Path(base) / "mpl-data" / "sample_data" / "grace_hopper.jpg"
        if fname.is_file():
            img = cv2.imread(os.fspath(fname), cv2.IMREAD_GRAYSCALE)
            if img is not None:
                # the face sits at about (155, 104, 224, 224) in the 512 x 600 photo
                return np.ascontiguousarray(img[70:360, 120:410])
    raise FileNotFoundError(
        "sample_face needs matplotlib's sample image grace_hopper.jpg "
        "(matplotlib/mpl-data/sample_data); install matplotlib or pass face=<uint8 image>."
    )


def write_face_video(fname, *, n_frames, face_frames, fps=25.0, seed=0, face=None,
                     frame_size=(160, 120), face_size=80, background=(60.0, 200.0)):
    """Write a grey AVI (MJPG) with a face pasted in known frames.

    Frames without a face show smooth random blobs plus noise; frames in
    ``face_frames`` show ``face`` resized to ``face_size`` px at a random
    position (jittered per frame) on the same kind of background.

    Parameters
    ----------
    fname : path-like
        Output ``.avi`` file.
    n_frames : int
        Number of frames.
    face_frames : array-like of int
        Frames (0-based) that contain the face.
    fps : float
        Frame rate in Hz.
    seed : int
        Seed of the local random generator.
    face : ndarray of uint8, shape (height, width) | None
        Face image; ``None`` uses :func:`sample_face`.
    frame_size : tuple of int
        Width and height in pixels.
    face_size : int
        Side of the pasted face in pixels.
    background : tuple of float
        Range ``(low, high)`` of the grey levels of the background blobs
        (uniform; their mean is ``(low + high) / 2``).

    Returns
    -------
    boxes : list of tuple | None
        Per frame ``(x, y, w, h)`` of the pasted face image, ``None`` when
        the frame has no face.
    """
    import cv2

    _check_positive("fps", fps)
    rng = np.random.default_rng(seed)
    face = sample_face() if face is None else np.asarray(face, np.uint8)
    face = cv2.resize(face, (face_size, face_size), interpolation=cv2.INTER_AREA)
    width, height = frame_size
    face_set = {int(f) for f in face_frames}
    writer = cv2.VideoWriter(os.fspath(fname), cv2.VideoWriter_fourcc(*"MJPG"), float(fps),
                             (width, height), isColor=False)
    if not writer.isOpened():
        raise OSError(f"{fname}: OpenCV could not open an MJPG writer.")
    boxes = []
    x0 = rng.integers(0, width - face_size + 1)
    y0 = rng.integers(0, height - face_size + 1)
    try:
        for k in range(n_frames):
            low = rng.uniform(background[0], background[1],
                              (height // 8 + 1, width // 8 + 1)).astype(np.float32)
            img = cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
            img = np.clip(img + rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)
            if k in face_set:
                x = int(np.clip(x0 + rng.integers(-3, 4), 0, width - face_size))
                y = int(np.clip(y0 + rng.integers(-3, 4), 0, height - face_size))
                img[y:y + face_size, x:x + face_size] = face
                boxes.append((x, y, face_size, face_size))
            else:
                boxes.append(None)
            writer.write(img)
    finally:
        writer.release()
    return boxes


def _openface_columns():
    cols = ["frame", "face_id", "timestamp", "confidence", "success"]
    cols += [f"gaze_{e}_{a}" for e in (0, 1) for a in "xyz"] + ["gaze_angle_x", "gaze_angle_y"]
    cols += [f"eye_lmk_{a}_{i}" for a in ("x", "y") for i in range(56)]
    cols += [f"eye_lmk_{a}_{i}" for a in ("X", "Y", "Z") for i in range(56)]
    cols += ["pose_Tx", "pose_Ty", "pose_Tz", "pose_Rx", "pose_Ry", "pose_Rz"]
    cols += [f"{a}_{i}" for a in ("x", "y") for i in range(68)]
    cols += [f"{a}_{i}" for a in ("X", "Y", "Z") for i in range(68)]
    cols += ["p_scale", "p_rx", "p_ry", "p_rz", "p_tx", "p_ty"] + [f"p_{i}" for i in range(34)]
    cols += [f"AU{n}_r" for n in OPENFACE_AUS_R] + [f"AU{n}_c" for n in OPENFACE_AUS_C]
    return cols


OPENFACE_AUS_R = ("01", "02", "04", "05", "06", "07", "09", "10", "12", "14", "15", "17",
                  "20", "23", "25", "26", "45")
OPENFACE_AUS_C = OPENFACE_AUS_R[:-1] + ("28", "45")
#: OpenFace 2.2 ``FeatureExtraction`` columns (one face), in file order: 714
OPENFACE_COLUMNS = _openface_columns()


def write_openface_csv(fname, *, n_frames, fps=30.0, seed=0, failed_frames=(), values=None):
    """Write a CSV laid out as OpenFace 2.2 ``FeatureExtraction`` writes it.

    Header and rows are separated by ``", "`` (comma and space), as OpenFace
    does. Failed frames have ``success = 0``, ``confidence`` below 0.1 and
    zeros elsewhere, as OpenFace writes them.

    Parameters
    ----------
    fname : path-like
        Output ``.csv`` file.
    n_frames : int
        Number of frames.
    fps : float
        Frame rate; ``timestamp = (frame - 1) / fps`` in s.
    seed : int
        Seed of the local random generator.
    failed_frames : array-like of int
        0-based frames where tracking failed.
    values : dict of str -> ndarray, shape (n_frames,) | None
        Planted column values (e.g. ``{"AU12_r": ...}``); other columns are
        random in plausible ranges.

    Returns
    -------
    table : dict of str -> ndarray
        Every column as written (after rounding to the printed precision).
    """
    rng = np.random.default_rng(seed)
    failed = np.zeros(n_frames, bool)
    failed[list(failed_frames)] = True
    table = {}
    for c in OPENFACE_COLUMNS:
        if c.startswith("AU") and c.endswith("_r"):
            v = rng.uniform(0, 5, n_frames)
        elif c.startswith("AU") and c.endswith("_c"):
            v = rng.integers(0, 2, n_frames).astype(float)
        elif c.startswith("gaze"):
            v = rng.uniform(-0.5, 0.5, n_frames)
        else:
            v = rng.normal(0, 50, n_frames)
        table[c] = v
    table["frame"] = np.arange(1, n_frames + 1, dtype=float)
    table["face_id"] = np.zeros(n_frames)
    table["timestamp"] = np.round(np.arange(n_frames) / fps, 3)
    table["confidence"] = np.where(failed, 0.02, 0.98)
    table["success"] = (~failed).astype(float)
    for k, v in (values or {}).items():
        if k not in table:
            raise ConfigError(f"values[{k!r}] is not an OpenFace column.")
        table[k] = np.asarray(v, float)
    for c in OPENFACE_COLUMNS[5:]:
        table[c] = np.where(failed, 0.0, table[c])
    digits = {"timestamp": 3, "confidence": 2}
    ints = {"frame", "face_id", "success"} | {c for c in OPENFACE_COLUMNS if c.endswith("_c")}
    for c in OPENFACE_COLUMNS:
        table[c] = np.round(table[c], 0 if c in ints else digits.get(c, 6))
    with open(fname, "w") as fid:
        fid.write(", ".join(OPENFACE_COLUMNS) + "\n")
        for k in range(n_frames):
            fid.write(", ".join(
                f"{int(table[c][k])}" if c in ints else f"{table[c][k]:.{digits.get(c, 6)}f}"
                for c in OPENFACE_COLUMNS) + "\n")
    return table
