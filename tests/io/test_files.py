import re

import numpy as np
import pytest
import scipy.io

from emopipe.io._files import _open_npz, _read_mat
from emopipe.utils._errors import DataFileError


def test_read_mat_loads_or_lists_the_variables(tmp_path):
    fname = tmp_path / "a.mat"
    scipy.io.savemat(fname, {"x": np.arange(6.0).reshape(2, 3)})
    mat = _read_mat(fname, what="test MAT file", shown="a.mat")
    np.testing.assert_array_equal(mat["x"], np.arange(6.0).reshape(2, 3))
    assert _read_mat(fname, what="test MAT file", shown="a.mat", lazy=True) == [
        ("x", (2, 3), "double")]


def test_read_mat_refusal_names_the_file_and_ends_with_the_hint(tmp_path):
    fname = tmp_path / "bad.mat"
    fname.write_bytes(b"not a mat file at all")
    with pytest.raises(DataFileError, match=r"^sub/bad\.mat: not a readable MAT file \(") as info:
        _read_mat(fname, what="test MAT file", shown="sub/bad.mat")
    assert str(info.value).endswith("). The file may be truncated; re-download it.")
    with pytest.raises(DataFileError) as info:
        _read_mat(fname, what="test MAT file", shown="bad.mat", hint="")
    assert re.fullmatch(r"bad\.mat: not a readable MAT file \(\w+: .*\)\.", str(info.value))
    with pytest.raises(FileNotFoundError, match="the test MAT file does not exist"):
        _read_mat(tmp_path / "absent.mat", what="test MAT file", shown="absent.mat")


def test_open_npz_names_the_file_and_what_it_should_hold(tmp_path):
    good = tmp_path / "good.npz"
    np.savez(good, data=np.arange(3), label=np.ones(2))
    with _open_npz(good, shown="x/good.npz", members="'data' and 'label'") as npz:
        assert sorted(npz.files) == ["data", "label"]
        np.testing.assert_array_equal(npz["data"], [0, 1, 2])
    bare = tmp_path / "bare.npz"
    with open(bare, "wb") as fh:
        np.save(fh, np.zeros(2))
    with pytest.raises(DataFileError, match=r"^x/bare\.npz: a single \.npy array, not an npz "
                                            r"archive with members 'data' and 'label'\. "
                                            r"Re-download it\.$"):
        with _open_npz(bare, shown="x/bare.npz", members="'data' and 'label'"):
            pass
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataFileError, match=r"^x/junk\.npz: not a readable npz file \(.*\)\. "
                                            r"Re-download it\.$"):
        with _open_npz(junk, shown="x/junk.npz", members="'data'"):
            pass
