"""Restricted unpickler (datasets.md section 10)."""

import os
import pickle
import pickletools
import struct
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from emopipe.io._pickle import PickleFileError, _check_pickled_dict, load_pickle
from emopipe.io.synth._pickle2 import write_py2_pickle
from emopipe.utils._errors import ConfigError, DataFileError


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


# --------------------------------------------------------------------------
# crafted files: every failure is a PickleFileError (DataFileError) naming the file
# --------------------------------------------------------------------------
def _op_str(text):  # BINUNICODE
    raw = text.encode("utf-8")
    return b"X" + struct.pack("<I", len(raw)) + raw


def _op_bytes(raw):  # BINBYTES
    return b"B" + struct.pack("<I", len(raw)) + raw


def _op_int(n):  # BININT
    return b"J" + struct.pack("<i", n)


def _op_tuple(*items):
    return b"(" + b"".join(items) + b"t"


def _op_global(module, name):
    return f"c{module}\n{name}\n".encode()


def _call(module, name, *args):  # module.name(*args) through REDUCE
    return _op_global(module, name) + _op_tuple(*args) + b"R"


def _as_dict(value_ops, key="data"):
    return b"\x80\x02}" + _op_str(key) + value_ops + b"s."


def _write(tmp_path, raw, name="s01.dat"):
    fname = tmp_path / name
    fname.write_bytes(raw)
    return fname


def test_every_failure_is_a_data_file_error():
    assert issubclass(PickleFileError, DataFileError)
    assert issubclass(PickleFileError, pickle.UnpicklingError)  # older callers catch this


@pytest.mark.parametrize("raw, match", [
    (b"\x80\x02", r"the pickle is truncated or corrupt: the pickle ends before its STOP "
                  r"opcode \(byte offset 2 of 2\)"),
    (b"\x80\x02" + b"X\xff\xff\x00\x00abc.",
     r"the pickle is truncated or corrupt: BINUNICODE declares 65535 bytes but 4 are left"),
    (b"\x80\x02\x8e" + struct.pack("<Q", 1 << 60) + b".",
     r"the pickle is truncated or corrupt: BINBYTES8 declares 1152921504606846976 bytes but 1 are left"),
    (b"\x80\x02\xff.", r"the pickle is truncated or corrupt: unknown pickle opcode b'\\xff' \(byte offset 2 of 4\)"),
    (b"\x80\x02a.", r"the pickle is truncated or corrupt: APPEND needs 2 object\(s\) on the stack"),
    (b"\x80\x02N" + b"r\xff\xff\xff\x7f" + b".", r"the pickle is truncated or corrupt: memo index 2147483647 is past the limit"),
    (b"\x80\x02h\x05.", r"the pickle is truncated or corrupt: BINGET of memo index 5, which was never stored"),
    (b"\x80\x02Ia\n.", r"the pickle is truncated or corrupt \(ValueError: could not "
                        r"convert string to int; 6 bytes read\)"),
])
def test_truncated_or_corrupt_streams_refused_before_unpickling(tmp_path, raw, match):
    fname = _write(tmp_path, raw)
    with pytest.raises(PickleFileError, match=r"^s01\.dat: " + match):
        load_pickle(fname)


def test_deep_nesting_refused_by_depth_limit_before_python_recurses(tmp_path):
    n = 200_000
    fname = _write(tmp_path, b"\x80\x02" + b"]" * n + b"a" * (n - 1) + b".")
    with pytest.raises(PickleFileError, match=r"^s01\.dat: the pickle is refused: objects "
                                              r"nested more than 100 deep; a dataset pickle "
                                              r"is a dict of arrays \(byte offset 200102 of"):
        load_pickle(fname)
    # nested tuples built from marks: the same limit
    fname = _write(tmp_path, b"\x80\x02" + b"(" * n + b")" + b"t" * n + b".")
    with pytest.raises(PickleFileError, match=r"nested more than 100 deep"):
        load_pickle(fname)


def test_trailing_bytes_after_stop_refused(tmp_path):
    raw = pickle.dumps({"data": np.zeros(3)}, protocol=2)
    assert load_pickle(raw)["data"].shape == (3,)
    fname = _write(tmp_path, raw + b"\x00junk")
    with pytest.raises(PickleFileError, match=rf"^s01\.dat: the pickle is refused: 5 trailing "
                                              rf"bytes after the pickle's STOP opcode; .* "
                                              rf"\(byte offset {len(raw)} of {len(raw) + 5}\)"):
        load_pickle(fname)


def test_bad_codec_in_the_file_and_in_the_argument(tmp_path):
    fname = _write(tmp_path, _as_dict(_call("_codecs", "encode", _op_str("abc"),
                                            _op_str("nope"))))
    with pytest.raises(PickleFileError, match=r"^s01\.dat: _codecs\.encode\(\.\.\.\): codec "
                                              r"'nope'; NumPy pickles encode array bytes with "
                                              r"'latin1' only"):
        load_pickle(fname)
    # a codec Python has, but not latin1: refused too (no codec runs but latin1)
    fname = _write(tmp_path, _as_dict(_call("_codecs", "encode", _op_str("abc"),
                                            _op_str("rot13"))))
    with pytest.raises(PickleFileError, match=r"codec 'rot13'"):
        load_pickle(fname)
    with pytest.raises(ConfigError, match=r"^encoding 'nope' is not a codec Python knows"):
        load_pickle(pickle.dumps([1]), encoding="nope")


def _reconstruct_then_build(shape, raw, dtype="<f8"):
    """``_reconstruct(ndarray, (0,), b'b')`` then BUILD with a state declaring ``shape``."""
    dt = _call("numpy", "dtype", _op_str(dtype), b"\x89", b"\x88")
    arr = _call("numpy.core.multiarray", "_reconstruct", _op_global("numpy", "ndarray"),
                _op_tuple(_op_int(0)), _op_bytes(b"b"))
    state = _op_tuple(_op_int(1), _op_tuple(*(_op_int(n) for n in shape)), dt, b"\x89",
                      _op_bytes(raw))
    return arr + state + b"b"


def test_crafted_opcodes_match_what_numpy_writes(tmp_path):
    # the assembler above builds a real array when the state is consistent
    fname = _write(tmp_path, _as_dict(_reconstruct_then_build((2, 2), np.arange(4.).tobytes())))
    assert_array_equal(load_pickle(fname)["data"], np.arange(4.).reshape(2, 2))


def test_shape_and_dtype_disagreeing_with_the_bytes_refused(tmp_path):
    fname = _write(tmp_path, _as_dict(_reconstruct_then_build((5,), b"\0" * 32)))
    with pytest.raises(PickleFileError, match=r"^s01\.dat: the pickle is truncated or corrupt "
                                              r"\(ValueError: an array's declared shape and "
                                              r"dtype need more or fewer bytes than the pickle "
                                              r"holds for it"):
        load_pickle(fname)
    buf = _op_bytes(b"\0" * 24)
    fname = _write(tmp_path, _as_dict(_call("numpy.core.numeric", "_frombuffer", buf,
                                            _op_str("<f8"), _op_tuple(_op_int(4)),
                                            _op_str("C"))))
    with pytest.raises(PickleFileError, match=r"^s01\.dat: numpy\._core\.numeric\._frombuffer"
                                              r"\(\.\.\.\): shape \(4,\) of float64 needs 32 "
                                              r"bytes, the pickle holds 24"):
        load_pickle(fname)


def _strided(shape, strides, n_buf=64 * 1024):
    return _call("numpy", "ndarray", _op_tuple(*(_op_int(n) for n in shape)), _op_str("<f8"),
                 _op_bytes(b"\0" * n_buf), _op_int(0),
                 _op_tuple(*(_op_int(s) for s in strides)))


def test_zero_stride_array_of_a_65_kb_file_refused_without_allocating(tmp_path):
    # 40 x 40 x 8064 float64 (the DEAP data shape, 103 MB) from 64 KiB of bytes
    fname = _write(tmp_path, _as_dict(_strided((40, 40, 8064), (0, 0, 0))))
    assert 65_000 < fname.stat().st_size < 66_000
    tracemalloc.start()
    try:
        with pytest.raises(PickleFileError, match=r"^s01\.dat: numpy\.ndarray\(\.\.\.\): "
                                                  r"shape \(40, 40, 8064\) of float64 declares "
                                                  r"103219200 bytes, more than the \d+ bytes of "
                                                  r"the file; refused before allocating"):
            load_pickle(fname)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # the file is read in pieces; nothing of 103 MB was made
    # within the file's size, zero and negative strides are refused as such
    for strides in [(0, 8), (-8, 8)]:
        fname = _write(tmp_path, _as_dict(_strided((10, 100), strides)))
        with pytest.raises(PickleFileError, match=r"numpy\.ndarray\(\.\.\.\): strides .* "
                                                  r"include zero or negative steps"):
            load_pickle(fname)
    fname = _write(tmp_path, _as_dict(_strided((50, 100), (1600, 8))))
    with pytest.raises(PickleFileError, match=r"shape \(50, 100\) of float64 needs 79200 "
                                              r"bytes of a 65536-byte buffer"):
        load_pickle(fname)
    fname = _write(tmp_path, _as_dict(_strided((10, 100), (800, 8))))
    assert load_pickle(fname)["data"].shape == (10, 100)  # a consistent one loads


def test_huge_reconstruct_refused_before_allocating(tmp_path):
    # _reconstruct with a 10 GB shape: NumPy would allocate it before any state arrives
    arr = _call("numpy.core.multiarray", "_reconstruct", _op_global("numpy", "ndarray"),
                _op_tuple(_op_int(100_000), _op_int(100_000)), _op_bytes(b"b"))
    fname = _write(tmp_path, _as_dict(arr))
    tracemalloc.start()
    try:
        with pytest.raises(PickleFileError, match=r"^s01\.dat: numpy\._core\.multiarray\."
                                                  r"_reconstruct\(\.\.\.\): shape \(100000, "
                                                  r"100000\) of int8 declares 10000000000 bytes"):
            load_pickle(fname)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    arr = _call("numpy", "ndarray", _op_tuple(_op_int(10**6), _op_int(10**6)))
    with pytest.raises(PickleFileError, match=r"declares 8000000000000 bytes"):
        load_pickle(_as_dict(arr), name="s01.dat")


def test_object_scalar_and_object_dtype_refused_by_the_guards():
    dt = _call("numpy", "dtype", _op_str("O"), b"\x89", b"\x88")
    raw = _as_dict(_call("numpy.core.multiarray", "scalar", dt, _op_bytes(b"\0" * 8)))
    with pytest.raises(PickleFileError, match=r"^x\.dat: numpy\._core\.multiarray\.scalar"
                                              r"\(\.\.\.\): dtype object holds Python objects"):
        load_pickle(raw, name="x.dat")


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_only_regular_files_are_opened(tmp_path, kind):
    fname = tmp_path / "s01.dat"
    if kind == "folder":
        fname.mkdir()
        what = "a folder"
    elif kind == "fifo":
        os.mkfifo(fname)  # opening it for reading would block for ever
        what = r"a FIFO \(named pipe\)"
    else:
        os.symlink("/dev/zero", fname)  # reading it would never end
        what = r"a character device \(a symbolic link to '/dev/zero'\)"
    with pytest.raises(DataFileError, match=rf"s01\.dat: the pickle is {what}, not a regular "
                                            rf"file; emopipe reads only regular files"):
        load_pickle(fname)
