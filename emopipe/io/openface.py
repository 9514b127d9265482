"""Reader for OpenFace 2 ``FeatureExtraction`` CSV output."""

import logging
from pathlib import Path

import numpy as np

from ..utils._checks import _check_type
from ..utils._errors import DataFileError
from ._files import _open_user_file

logger = logging.getLogger("emopipe.io.openface")

_REQUIRED = ("frame", "timestamp", "confidence", "success")


class OpenFaceTable(dict):
    """Columns of one OpenFace CSV (a dict of str -> ndarray) that remembers its file.

    Parameters
    ----------
    columns : dict of str -> ndarray
        The columns.
    fname : str
        The CSV read, named by warnings and errors downstream.
    """

    def __init__(self, columns, fname=""):
        super().__init__(columns)
        self.fname = str(fname)


def read_openface_csv(fname, *, face_id=0):
    """Read an OpenFace 2 CSV into a dict of columns.

    OpenFace separates header names and values by ``", "`` (comma and
    space); names are stripped, so keys are ``"AU01_r"``, ``"gaze_0_x"``,
    ``"pose_Tx"``, ... Columns: ``frame`` (1-based), ``face_id``,
    ``timestamp`` (s), ``confidence`` (0-1), ``success`` (0/1), gaze
    vectors and angles (rad), eye and face landmarks, head pose
    (``pose_T*`` mm, ``pose_R*`` rad), shape parameters, action-unit
    intensities ``AU??_r`` (0-5) and presences ``AU??_c`` (0/1).

    Parameters
    ----------
    fname : path-like
        The ``.csv`` file.
    face_id : int | None
        Keep the rows of this face (multi-face ``FaceLandmarkVidMulti``
        output); ``None`` keeps all rows.

    Returns
    -------
    table : OpenFaceTable
        Columns in file order, each an ndarray of shape (n_frames,),
        float64; ``table.fname`` is the file. A file without a data row
        gives empty columns and a warning.
    """
    _check_type("fname", fname, ("path-like",))
    fname = Path(fname)
    with _open_user_file(fname, "r", what="OpenFace CSV", encoding="utf-8-sig",
                         errors="replace") as fid:
        header = fid.readline()
        names = [h.strip() for h in header.split(",")]
        missing = [c for c in _REQUIRED if c not in names]
        if missing:
            raise DataFileError(
                f"{fname}: columns {missing!r} missing from the header (found "
                f"{names[:6]!r}...). Is this an OpenFace FeatureExtraction CSV?"
            )
        rows = []
        for k, line in enumerate(fid, start=2):
            if not line.strip():
                continue
            parts = line.split(",")
            if len(parts) != len(names):
                raise DataFileError(f"{fname}, line {k}: {len(parts)} values for {len(names)} "
                                    f"columns.")
            try:
                rows.append([float(p) for p in parts])
            except ValueError:
                bad = next(p for p in parts if not _is_float(p))
                raise DataFileError(f"{fname}, line {k}: value {bad.strip()!r} is not a "
                                    f"number.") from None
    data = np.array(rows, float).reshape(-1, len(names))
    table = {n: data[:, i].copy() for i, n in enumerate(names)}
    if face_id is not None and "face_id" in table:
        keep = table["face_id"] == face_id
        if not keep.any() and len(keep):
            ids = sorted({int(v) for v in table["face_id"]})
            raise DataFileError(f"{fname}: face_id {face_id} not found; the file has face ids "
                                f"{ids!r}.")
        table = {n: v[keep] for n, v in table.items()}
    table = OpenFaceTable(table, fname)
    n = len(table["frame"])
    if n == 0:
        logger.warning("%s: no frame%s: OpenFace tracked nothing in this video; its windows "
                       "will hold 0 with n_frames 0.", fname,
                       f" of face_id {face_id}" if face_id is not None else "")
    logger.info("%s: %d frames, %d columns, %.1f %% tracked", fname.name, n, len(names),
                100 * (table["success"].mean() if n else 0.0))
    return table


def _is_float(s):
    try:
        float(s)
        return True
    except ValueError:
        return False
