"""Restricted unpickler (datasets.md section 10)."""

import os
import pickle
import pickletools

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from emopipe.io._pickle import _check_pickled_dict, load_pickle
from emopipe.io.synth._pickle2 import write_py2_pickle


class _Marker:
    """Its __reduce__ would create a file when unpickled."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def _globals(raw):
    return [arg for op, arg, _ in pickletools.genops(raw) if op.name == "GLOBAL"]


def test_reduce_exploit_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    fname = tmp_path / "s01.dat"
    fname.write_bytes(pickle.dumps({"data": _Marker(marker)}, protocol=2))
    # sanity: the payload really would run under plain pickle (not executed here)
    assert any("system" in g for g in _globals(fname.read_bytes()))
    with pytest.raises(pickle.UnpicklingError,
                       match=r"^s01\.dat: refused to load global '(posix|nt)\.system'"):
        load_pickle(fname)
    assert not marker.exists()


def test_builtins_eval_refused_from_bytes():
    raw = b"\x80\x02cbuiltins\neval\nX\x05\x00\x00\x001 + 1\x85R."
    with pytest.raises(pickle.UnpicklingError,
                       match=r"^<bytes>: refused to load global 'builtins\.eval'"):
        load_pickle(raw)
    with pytest.raises(pickle.UnpicklingError, match=r"^x\.dat: refused .*'builtins\.eval'"):
        load_pickle(raw, name="x.dat")


def test_object_dtype_array_refused(tmp_path):
    fname = tmp_path / "s02.dat"
    arr = np.array([1, "a", None], dtype=object)
    fname.write_bytes(pickle.dumps({"data": arr}, protocol=2))
    with pytest.raises(pickle.UnpicklingError,
                       match=r"^s02\.dat: \['data'\] is an array of dtype object"):
        load_pickle(fname)


def test_py2_form_loads_exactly(tmp_path, rng):
    data = rng.standard_normal((3, 4, 5))
    labels = rng.uniform(1, 9, (3, 4))
    fname = tmp_path / "s01.dat"
    write_py2_pickle(fname, {"labels": labels, "data": data})
    raw = fname.read_bytes()
    ops = [op.name for op, _, _ in pickletools.genops(raw)]
    # the real Python 2 form: py2 str opcodes, numpy.core path, no _codecs
    assert raw[:2] == b"\x80\x02"
    assert "BINSTRING" in ops and "SHORT_BINSTRING" in ops
    assert "BINUNICODE" not in ops
    assert _globals(raw) == ["numpy.core.multiarray _reconstruct", "numpy ndarray", "numpy dtype"]
    obj = load_pickle(fname)
    assert list(obj) == ["labels", "data"]
    assert_array_equal(obj["data"], data)
    assert_array_equal(obj["labels"], labels)
    assert obj["data"].dtype == np.float64


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_python3_numpy2_pickles_load(protocol, rng):
    data = rng.standard_normal((2, 3)).astype(np.float32)
    raw = pickle.dumps({"data": data, "n": np.int64(7)}, protocol=protocol)
    obj = load_pickle(raw)
    assert_array_equal(obj["data"], data)
    assert obj["n"] == 7


def test_truncated_pickle(tmp_path, rng):
    fname = tmp_path / "s03.dat"
    write_py2_pickle(fname, {"data": rng.standard_normal((2, 50))})
    raw = fname.read_bytes()
    fname.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(pickle.UnpicklingError, match=r"^s03\.dat: the pickle is truncated or corrupt"):
        load_pickle(fname)


def test_check_pickled_dict():
    with pytest.raises(ValueError, match=r"^a\.dat: expected a pickled dict with keys \['data'\], got list"):
        _check_pickled_dict([1], "a.dat", ["data"])
    with pytest.raises(ValueError, match=r"^a\.dat: missing key\(s\) \['labels'\]; found keys \['data'\]"):
        _check_pickled_dict({"data": np.zeros(2)}, "a.dat", ["data", "labels"])
    out = _check_pickled_dict({b"data": np.zeros(2)}, "a.dat", ["data"])
    assert list(out) == ["data"]
