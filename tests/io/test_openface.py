import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from emopipe.io.openface import read_openface_csv
from emopipe.io.synth.face import OPENFACE_COLUMNS, write_openface_csv


def test_openface_fixture_layout(tmp_path):
    write_openface_csv(tmp_path / "of.csv", n_frames=3)
    header = (tmp_path / "of.csv").read_text().splitlines()[0]
    assert header.startswith("frame, face_id, timestamp, confidence, success, gaze_0_x, ")
    assert ", pose_Tx, pose_Ty, pose_Tz, pose_Rx, pose_Ry, pose_Rz, x_0, " in header
    assert header.endswith("AU26_c, AU28_c, AU45_c")
    assert len(OPENFACE_COLUMNS) == 714          # OpenFace 2.2 FeatureExtraction, 1 face
    assert sum(c.endswith("_r") for c in OPENFACE_COLUMNS) == 17
    assert sum(c.endswith("_c") for c in OPENFACE_COLUMNS) == 18


def test_read_openface_csv_roundtrip(tmp_path):
    table = write_openface_csv(tmp_path / "of.csv", n_frames=40, fps=30.0, seed=3,
                               failed_frames=[5, 6])
    read = read_openface_csv(tmp_path / "of.csv")
    assert list(read) == OPENFACE_COLUMNS             # names stripped of the spaces
    for c in ("frame", "timestamp", "confidence", "success", "gaze_angle_x", "pose_Rz",
              "AU01_r", "AU45_c"):
        assert_allclose(read[c], table[c], atol=1e-12)
    assert_array_equal(read["frame"], np.arange(1, 41))
    assert_allclose(read["timestamp"][:3], [0.0, 0.033, 0.067])
    assert_array_equal(read["success"][4:8], [1, 0, 0, 1])
    assert np.all(read["AU12_r"][5:7] == 0)


def test_read_openface_face_id_and_errors(tmp_path):
    fname = tmp_path / "multi.csv"
    write_openface_csv(fname, n_frames=4)
    lines = fname.read_text().splitlines()
    # a second face on every frame
    extra = [ln.replace(", 0, ", ", 1, ", 1) for ln in lines[1:]]
    fname.write_text("\n".join(lines + extra) + "\n")
    assert len(read_openface_csv(fname)["frame"]) == 4
    assert len(read_openface_csv(fname, face_id=None)["frame"]) == 8
    with pytest.raises(ValueError, match=r"multi\.csv: face_id 3 not found; the file has face "
                                         r"ids \[0, 1\]"):
        read_openface_csv(fname, face_id=3)
    bad = tmp_path / "bad.csv"
    bad.write_text("a, b, c\n1, 2, 3\n")
    with pytest.raises(ValueError, match=r"bad\.csv: columns \['frame', 'timestamp', "
                                         r"'confidence', 'success'\] missing"):
        read_openface_csv(bad)
    bad.write_text("\n".join(lines[:2] + [lines[2].rsplit(",", 1)[0]]) + "\n")
    with pytest.raises(ValueError, match=r"bad\.csv, line 3: 713 values for 714 columns"):
        read_openface_csv(bad)
    with pytest.raises(FileNotFoundError, match="none.csv"):
        read_openface_csv(tmp_path / "none.csv")
