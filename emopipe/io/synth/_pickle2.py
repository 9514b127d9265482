"""A tiny writer of Python-2-style protocol-2 pickles of ``dict[str, ndarray]``.

Python 3 with NumPy 2 pickles arrays through ``numpy._core.multiarray`` and
stores bytes with ``_codecs.encode``; DEAP's files were written by Python 2
(cPickle, protocol 2) with NumPy 1, where keys and array bytes are py2 ``str``
opcodes (``SHORT_BINSTRING``/``BINSTRING``) and arrays are rebuilt through
the global ``numpy.core.multiarray._reconstruct``. This module emits that
opcode stream directly (see :mod:`pickletools` for the opcode table), so
fixtures exercise the same path through the reader as the real files.
"""

import io
import struct

import numpy as np
from ...utils._errors import ConfigTypeError

_PROTO = b"\x80"
_EMPTY_DICT = b"}"
_MARK = b"("
_SETITEMS = b"u"
_STOP = b"."
_GLOBAL = b"c"
_BINPUT = b"q"
_LONG_BINPUT = b"r"
_BINGET = b"h"
_LONG_BINGET = b"j"
_BININT = b"J"
_BININT1 = b"K"
_BININT2 = b"M"
_SHORT_BINSTRING = b"U"
_BINSTRING = b"T"
_NONE = b"N"
_NEWFALSE = b"\x89"
_TUPLE = b"t"
_TUPLE1 = b"\x85"
_TUPLE2 = b"\x86"
_TUPLE3 = b"\x87"
_REDUCE = b"R"
_BUILD = b"b"


class _Py2PickleWriter:
    """Emit protocol-2 opcodes the way Python 2's cPickle did, with a memo."""

    def __init__(self, fh):
        self.fh = fh
        self.memo = {}
        self.n_put = 0

    def put(self):
        self.n_put += 1  # cPickle memo ids start at 1
        idx = self.n_put
        if idx < 256:
            self.fh.write(_BINPUT + struct.pack("<B", idx))
        else:
            self.fh.write(_LONG_BINPUT + struct.pack("<I", idx))
        return idx

    def get(self, idx):
        if idx < 256:
            self.fh.write(_BINGET + struct.pack("<B", idx))
        else:
            self.fh.write(_LONG_BINGET + struct.pack("<I", idx))

    def int(self, value):
        value = int(value)
        if 0 <= value < 256:
            self.fh.write(_BININT1 + struct.pack("<B", value))
        elif 0 <= value < 65536:
            self.fh.write(_BININT2 + struct.pack("<H", value))
        else:
            self.fh.write(_BININT + struct.pack("<i", value))

    def string(self, data, *, memoize=True):
        """A py2 ``str`` (bytes): SHORT_BINSTRING or BINSTRING."""
        if isinstance(data, str):
            data = data.encode("latin1")
        key = ("str", data) if len(data) < 64 else None
        if memoize and key in self.memo:
            self.get(self.memo[key])
            return
        if len(data) < 256:
            self.fh.write(_SHORT_BINSTRING + struct.pack("<B", len(data)) + data)
        else:
            self.fh.write(_BINSTRING + struct.pack("<i", len(data)))
            self.fh.write(data)
        if memoize:
            idx = self.put()
            if key is not None:
                self.memo[key] = idx

    def global_(self, module, name):
        key = ("global", module, name)
        if key in self.memo:
            self.get(self.memo[key])
            return
        self.fh.write(_GLOBAL + f"{module}\n{name}\n".encode("ascii"))
        self.memo[key] = self.put()

    def tuple_of_ints(self, values):
        values = tuple(values)
        if len(values) <= 3:
            for v in values:
                self.int(v)
            self.fh.write({0: b")", 1: _TUPLE1, 2: _TUPLE2, 3: _TUPLE3}[len(values)])
        else:
            self.fh.write(_MARK)
            for v in values:
                self.int(v)
            self.fh.write(_TUPLE)
        self.put()

    def dtype(self, dtype):
        # numpy.dtype('f8', 0, 1) then BUILD with the version-3 state tuple
        self.global_("numpy", "dtype")
        self.string(dtype.str[1:])
        self.int(0)
        self.int(1)
        self.fh.write(_TUPLE3 + _REDUCE)
        self.put()
        self.fh.write(_MARK)
        self.int(3)
        self.string(dtype.str[0])
        self.fh.write(_NONE + _NONE + _NONE)
        self.fh.write(_BININT + struct.pack("<i", -1))
        self.fh.write(_BININT + struct.pack("<i", -1))
        self.int(0)
        self.fh.write(_TUPLE)
        self.put()
        self.fh.write(_BUILD)

    def ndarray(self, array):
        array = np.ascontiguousarray(array)
        if array.dtype.hasobject:
            raise ConfigTypeError("only numeric arrays can be written")
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        # _reconstruct(ndarray, (0,), 'b')
        self.global_("numpy.core.multiarray", "_reconstruct")
        self.global_("numpy", "ndarray")
        self.int(0)
        self.fh.write(_TUPLE1)
        self.put()
        self.string("b")
        self.fh.write(_TUPLE3 + _REDUCE)
        self.put()
        # state: (1, shape, dtype, is_fortran, rawdata)
        self.fh.write(_MARK)
        self.int(1)
        self.tuple_of_ints(array.shape)
        self.dtype(array.dtype)
        self.fh.write(_NEWFALSE)
        raw = array.tobytes()
        self.fh.write(_BINSTRING + struct.pack("<i", len(raw)))
        self.fh.write(raw)
        self.put()
        self.fh.write(_TUPLE)
        self.put()
        self.fh.write(_BUILD)


def py2_pickle_bytes(arrays):
    """Python-2 protocol-2 pickle bytes of a dict of arrays, as cPickle wrote them.

    Parameters
    ----------
    arrays : dict of str | int -> ndarray
        Keys (ASCII strings, written as py2 ``str``, or integers, written as
        ints) and numeric arrays, written in the order given.

    Returns
    -------
    data : bytes
        The pickle.
    """
    buf = io.BytesIO()
    w = _Py2PickleWriter(buf)
    buf.write(_PROTO + b"\x02")
    buf.write(_EMPTY_DICT)
    w.put()
    buf.write(_MARK)
    for key, value in arrays.items():
        if isinstance(key, (int, np.integer)):
            w.int(key)
        else:
            w.string(key)
        w.ndarray(np.asarray(value))
    buf.write(_SETITEMS)
    buf.write(_STOP)
    return buf.getvalue()


def write_py2_pickle(fname, arrays):
    """Write ``dict[str, ndarray]`` as a Python-2 protocol-2 pickle.

    Parameters
    ----------
    fname : path-like
        Output file.
    arrays : dict of str -> ndarray
        Keys (ASCII) and numeric arrays, written in the order given.
    """
    data = py2_pickle_bytes(arrays)
    with open(fname, "wb") as fh:
        fh.write(data)
