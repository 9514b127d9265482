"""Restricted unpickler for dataset files that are pickles (DEAP ``.dat``, SEED-V npz members).

Unpickling untrusted data executes code: any ``__reduce__`` may call
``os.system``. Readers never call :func:`pickle.load` on dataset files; they
call :func:`load_pickle`, which

1. opens regular files only (:func:`emopipe.io._files._open_user_file`);
2. scans the opcode stream without building anything (string payloads are
   skipped, not read): a truncated stream, unknown opcodes, more than
   :data:`MAX_OPCODES` opcodes, containers nested deeper than
   :data:`MAX_DEPTH`, memo indices past :data:`MAX_MEMO`, a string longer
   than what is left of the file, or bytes after the ``STOP`` opcode are
   refused before the unpickler runs;
3. runs an unpickler whose ``find_class`` only resolves the globals needed
   to rebuild numeric NumPy arrays (datasets.md section 10), each behind a
   guard that checks its arguments before NumPy allocates: numeric dtypes,
   shapes of non-negative ints whose byte size is at most the file's size,
   strides > 0 that stay inside the buffer given, array bytes matching the
   declared shape and dtype, and ``latin1`` as the only codec;
4. walks the loaded object (without recursion) and refuses object-dtype arrays.

Every failure is a :class:`PickleFileError` (a
:class:`~emopipe.utils._errors.DataFileError` and a
:class:`pickle.UnpicklingError`) whose message starts with the file name.
:func:`_check_pickled_dict` then checks top-level type and keys.
"""

import codecs
import io
import math
import os
import pickle
import pickletools
import struct
from pathlib import Path

import numpy as np

from ..utils._errors import ConfigError, ConfigTypeError, DataFileError
from ._files import _open_user_file

#: containers nested deeper than this are refused before unpickling (DEAP: 6)
MAX_DEPTH = 100
#: opcodes a dataset pickle may hold (a dict of arrays takes a few dozen)
MAX_OPCODES = 1_000_000
#: largest memo index (a dict of arrays uses a few dozen)
MAX_MEMO = 1 << 20
#: longest newline-terminated argument (GLOBAL names, INT, FLOAT, ...), bytes
MAX_LINE = 4096

_LATIN1 = frozenset({"latin1", "latin-1", "latin_1", "iso-8859-1", "iso8859-1", "iso8859_1",
                     "iso_8859_1", "l1"})


class PickleFileError(DataFileError, pickle.UnpicklingError):
    """A dataset pickle that is truncated, corrupt, too large, too deep or unsafe."""


def _resolve(module, name):
    import importlib

    mod = importlib.import_module(module)
    return getattr(mod, name)


# --------------------------------------------------------------------------
# 1. the opcode scan: structure and sizes, before anything is built
# --------------------------------------------------------------------------
_MARK = object()
_MODIFY = frozenset({"APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD"})
_LEN_PREFIX = {  # ArgumentDescriptor.n -> struct format of the length prefix
    pickletools.TAKEN_FROM_ARGUMENT1: "<B",
    pickletools.TAKEN_FROM_ARGUMENT4: "<i",
    pickletools.TAKEN_FROM_ARGUMENT4U: "<I",
    pickletools.TAKEN_FROM_ARGUMENT8U: "<Q",
}
_INT_ARG = {"uint1": "<B", "uint2": "<H", "uint4": "<I", "int4": "<i", "uint8": "<Q"}


def _scan(fid, name, n_bytes):
    """Walk the opcodes of the pickle in ``fid`` and refuse what the unpickler must not see.

    Tracks the nesting depth of every stack item (a container is one deeper
    than what it holds) and the memo, without building any object; string
    payloads are skipped with ``seek``. ``fid`` is left where it started.
    """
    start = fid.tell()

    def refuse(pos, why, kind="is truncated or corrupt"):
        raise PickleFileError(f"{name}: the pickle {kind}: {why} (byte offset {pos} of "
                              f"{n_bytes}). Re-download the file.")

    stack, memo = [], {}
    n_ops = 0
    while True:
        pos = fid.tell()
        code = fid.read(1)
        if not code:
            refuse(pos, "the pickle ends before its STOP opcode")
        op = pickletools.code2op.get(code.decode("latin1"))
        if op is None:
            refuse(pos, f"unknown pickle opcode {code!r}")
        n_ops += 1
        if n_ops > MAX_OPCODES:
            refuse(pos, f"more than {MAX_OPCODES} opcodes; a dataset pickle holds a few dozen",
                   "is refused")
        value = None
        arg = op.arg
        if arg is not None:
            if arg.n in _LEN_PREFIX:
                fmt = _LEN_PREFIX[arg.n]
                raw = fid.read(struct.calcsize(fmt))
                if len(raw) < struct.calcsize(fmt):
                    refuse(pos, f"the pickle ends inside the length of a {op.name}")
                length = struct.unpack(fmt, raw)[0]
                left = n_bytes - fid.tell()
                if length < 0 or length > left:
                    refuse(pos, f"{op.name} declares {length} bytes but {left} are left in "
                                f"the file")
                fid.seek(length, io.SEEK_CUR)
            elif arg.n == pickletools.UP_TO_NEWLINE:
                lines = 2 if arg.name == "stringnl_noescape_pair" else 1
                parts = []
                for _ in range(lines):
                    line = fid.readline(MAX_LINE + 1)
                    if not line.endswith(b"\n"):
                        refuse(pos, f"the argument of {op.name} is not a line of at most "
                                    f"{MAX_LINE} bytes")
                    parts.append(line[:-1])
                value = parts[0]
            else:
                raw = fid.read(arg.n)
                if len(raw) < arg.n:
                    refuse(pos, f"the pickle ends inside the argument of {op.name}")
                if arg.name in _INT_ARG:
                    value = struct.unpack(_INT_ARG[arg.name], raw)[0]
        opname = op.name
        if opname == "STOP":
            if len(stack) != 1:
                refuse(pos, f"STOP with {len(stack)} objects on the stack, expected 1")
            end = fid.tell()
            if end != n_bytes:
                refuse(end, f"{n_bytes - end} trailing bytes after the pickle's STOP opcode; "
                            f"a dataset file holds one pickle and nothing else", "is refused")
            fid.seek(start)
            return
        if opname == "PROTO":
            if value > pickle.HIGHEST_PROTOCOL:
                refuse(pos, f"pickle protocol {value}, this Python reads up to "
                            f"{pickle.HIGHEST_PROTOCOL}")
            continue
        if opname == "FRAME":
            if value > n_bytes - fid.tell():
                refuse(pos, f"a frame of {value} bytes but {n_bytes - fid.tell()} are left")
            continue
        if opname in ("PUT", "BINPUT", "LONG_BINPUT", "MEMOIZE", "GET", "BINGET",
                      "LONG_BINGET"):
            if opname in ("PUT", "GET"):
                try:
                    value = int(value)
                except ValueError:
                    refuse(pos, f"{opname} index {value!r} is not an integer")
            if opname == "MEMOIZE":
                value = len(memo)
            if not 0 <= value <= MAX_MEMO:
                refuse(pos, f"memo index {value} is past the limit {MAX_MEMO}")
            if opname.endswith("GET"):
                if value not in memo:
                    refuse(pos, f"{opname} of memo index {value}, which was never stored")
                stack.append(memo[value])
            else:
                if not stack or stack[-1] is _MARK:
                    refuse(pos, f"{opname} with nothing on the stack")
                memo[value] = stack[-1]
            continue
        # stack effect: pop what the opcode takes, push what it makes, with depths
        before = [s.name for s in op.stack_before]
        popped = []
        if "mark" in before:
            while stack and stack[-1] is not _MARK:
                popped.append(stack.pop())
            if not stack:
                refuse(pos, f"{opname} without a MARK")
            stack.pop()
            fixed = before[:before.index("mark")]
        else:
            fixed = before
        if opname == "MARK":
            stack.append(_MARK)
            continue
        if opname == "POP" and stack and stack[-1] is _MARK:
            stack.pop()  # the unpickler lets POP drop a mark
            continue
        if len(stack) < len(fixed) or any(s is _MARK for s in stack[len(stack) - len(fixed):]):
            refuse(pos, f"{opname} needs {len(fixed)} object(s) on the stack")
        popped.extend(stack.pop() for _ in fixed)
        if opname in _MODIFY:
            container = popped.pop()  # the deepest item popped is the container
            depth = max([container] + [d + 1 for d in popped])
            stack.append(depth)
        elif opname == "DUP":
            stack.extend([popped[0], popped[0]])
        else:
            depth = 1 + max(popped) if popped else 0
            stack.extend([depth] * len(op.stack_after))
        if stack and stack[-1] is not _MARK and stack[-1] > MAX_DEPTH:
            refuse(pos, f"objects nested more than {MAX_DEPTH} deep; a dataset pickle is a "
                        f"dict of arrays", "is refused")


# --------------------------------------------------------------------------
# 2. the guarded globals: arguments checked before NumPy allocates
# --------------------------------------------------------------------------
class _Guards:
    """The allowed globals of one load, each checking its arguments first."""

    def __init__(self, name, n_bytes):
        self.name = name
        self.limit = n_bytes  # no array in a pickle holds more bytes than the file

    def refuse(self, why):
        raise PickleFileError(f"{self.name}: {why}. The file is corrupt or crafted; "
                              f"re-download it.")

    def dtype(self, value, what):
        try:
            dt = np.dtype(value)
        except (TypeError, ValueError) as exc:
            self.refuse(f"{what}: dtype {value!r} is not a NumPy dtype ({exc})")
        if dt.hasobject:
            self.refuse(f"{what}: dtype {dt!s} holds Python objects; only numeric arrays are "
                        f"accepted from dataset pickles")
        return dt

    def shape(self, shape, what):
        if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
            shape = (shape,)
        if not isinstance(shape, tuple) or not all(
                isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in shape):
            self.refuse(f"{what}: shape {shape!r} is not a tuple of ints")
        if len(shape) > 64 or any(n < 0 for n in shape):
            self.refuse(f"{what}: shape {shape!r} is not a NumPy shape (at most 64 "
                        f"non-negative sizes)")
        return tuple(int(n) for n in shape)

    def size(self, shape, dt, what):
        nbytes = math.prod(shape) * dt.itemsize
        if nbytes > self.limit:
            self.refuse(f"{what}: shape {shape} of {dt!s} declares {nbytes} bytes, more than "
                        f"the {self.limit} bytes of the file; refused before allocating")
        return nbytes

    def ndarray(self, shape, dtype=float, buffer=None, offset=0, strides=None, order=None):
        what = "numpy.ndarray(...)"
        shape = self.shape(shape, what)
        dt = self.dtype(dtype, what)
        nbytes = self.size(shape, dt, what)
        if buffer is None:
            if strides is not None or offset:
                self.refuse(f"{what}: strides or offset without a buffer")
            return np.ndarray(shape, dt, order=order or "C")
        if not isinstance(buffer, (bytes, bytearray, pickle.PickleBuffer)):
            self.refuse(f"{what}: buffer of type {type(buffer).__name__}, expected bytes")
        n_buf = memoryview(buffer).nbytes
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            self.refuse(f"{what}: offset {offset!r} is not a non-negative int")
        if strides is None:
            extent = nbytes
        else:
            strides = self.shape(strides, f"{what} strides") if not isinstance(strides, tuple) \
                else strides
            if (len(strides) != len(shape) or not all(
                    isinstance(s, int) and not isinstance(s, bool) for s in strides)):
                self.refuse(f"{what}: strides {strides!r} must be {len(shape)} ints")
            if any(s <= 0 for s in strides):
                self.refuse(f"{what}: strides {strides} include zero or negative steps, which "
                            f"repeat or reverse bytes (shape {shape}, {n_buf}-byte buffer); "
                            f"dataset arrays are stored contiguously")
            extent = 0 if 0 in shape else (
                sum((n - 1) * s for n, s in zip(shape, strides)) + dt.itemsize)
        if offset + extent > n_buf:
            self.refuse(f"{what}: shape {shape} of {dt!s} needs {offset + extent} bytes of a "
                        f"{n_buf}-byte buffer")
        return np.ndarray(shape, dt, buffer=buffer, offset=offset, strides=strides,
                          order=order or "C")

    def reconstruct(self, subtype, shape, dtype):
        from numpy._core.multiarray import _reconstruct

        what = "numpy._core.multiarray._reconstruct(...)"
        if subtype != self.ndarray:  # the guarded numpy.ndarray this load handed out
            self.refuse(f"{what}: subtype {subtype!r} is not numpy.ndarray")
        shape = self.shape(shape, what)
        dt = self.dtype(dtype, what)
        self.size(shape, dt, what)
        return _reconstruct(np.ndarray, shape, dt)

    def scalar(self, dtype, obj=None):
        from numpy._core.multiarray import scalar

        what = "numpy._core.multiarray.scalar(...)"
        if not isinstance(dtype, np.dtype):
            self.refuse(f"{what}: {type(dtype).__name__} instead of a dtype")
        dt = self.dtype(dtype, what)
        if not isinstance(obj, bytes) or len(obj) != dt.itemsize:
            got = f"{len(obj)} bytes" if isinstance(obj, bytes) else type(obj).__name__
            self.refuse(f"{what}: a {dt!s} scalar needs {dt.itemsize} bytes, got {got}")
        return scalar(dt, obj)

    def frombuffer(self, buf, dtype, shape, order="C"):
        from numpy._core.numeric import _frombuffer

        what = "numpy._core.numeric._frombuffer(...)"
        if not isinstance(buf, (bytes, bytearray, pickle.PickleBuffer)):
            self.refuse(f"{what}: buffer of type {type(buf).__name__}, expected bytes")
        dt = self.dtype(dtype, what)
        shape = self.shape(shape, what)
        nbytes = self.size(shape, dt, what)
        if memoryview(buf).nbytes != nbytes:
            self.refuse(f"{what}: shape {shape} of {dt!s} needs {nbytes} bytes, the pickle "
                        f"holds {memoryview(buf).nbytes}")
        return _frombuffer(buf, dt, shape, order)

    def encode(self, obj, encoding="utf-8", errors="strict"):
        what = "_codecs.encode(...)"
        if not isinstance(obj, str) or not isinstance(encoding, str):
            self.refuse(f"{what}: expected (str, codec name), got ({type(obj).__name__}, "
                        f"{type(encoding).__name__})")
        if encoding.lower() not in _LATIN1:
            self.refuse(f"{what}: codec {encoding[:40]!r}; NumPy pickles encode array bytes "
                        f"with 'latin1' only")
        if errors != "strict":
            self.refuse(f"{what}: errors={errors!r}, expected 'strict'")
        try:
            return codecs.encode(obj, "latin1")
        except UnicodeEncodeError as exc:
            self.refuse(f"{what}: the string is not latin1 ({exc.reason})")

    def table(self):
        return {
            ("numpy", "ndarray"): self.ndarray,
            ("numpy", "dtype"): np.dtype,
            ("numpy._core.multiarray", "_reconstruct"): self.reconstruct,
            ("numpy._core.multiarray", "scalar"): self.scalar,
            ("numpy._core.numeric", "_frombuffer"): self.frombuffer,
            ("_codecs", "encode"): self.encode,
        }


# Globals that rebuild numeric arrays, and nothing else.
_ALLOWED = frozenset(_Guards("", 0).table())

# Python 2 / NumPy 1 pickles name the pre-2.0 module paths.
_REMAP = {
    "numpy.core.multiarray": "numpy._core.multiarray",
    "numpy.core.numeric": "numpy._core.numeric",
}


class _RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` whose ``find_class`` admits only the guarded allow-list."""

    def __init__(self, file, *, name, n_bytes, encoding="latin1"):
        super().__init__(file, encoding=encoding)
        self._name = name
        self._table = _Guards(name, n_bytes).table()

    def find_class(self, module, name):
        module = _REMAP.get(module, module)
        if (module, name) in self._table:
            return self._table[module, name]
        allowed = ", ".join(f"{m}.{n}" for m, n in sorted(_ALLOWED))
        raise PickleFileError(
            f"{self._name}: refused to load global '{module}.{name}'. Dataset pickles "
            f"may only reference {allowed}. The file is not a plain numeric pickle "
            f"and could execute code; do not open it with pickle.load."
        )

    def persistent_load(self, pid):
        raise PickleFileError(
            f"{self._name}: refused a persistent id ({type(pid).__name__}); dataset "
            f"pickles never hold persistent ids."
        )


def _check_no_object_arrays(obj, name):
    """Raise :class:`PickleFileError` on any object-dtype array inside ``obj``.

    Dicts, lists and tuples are walked with an explicit stack (no recursion).

    Parameters
    ----------
    obj : object
        Result of unpickling.
    name : str
        File name used in the message.
    """
    todo = [(obj, "", 0)]
    while todo:
        item, where, depth = todo.pop()
        if depth > MAX_DEPTH:
            raise PickleFileError(f"{name}: objects nested more than {MAX_DEPTH} deep at "
                                  f"{where[:80]}...; a dataset pickle is a dict of arrays.")
        if isinstance(item, (np.ndarray, np.generic)):
            if item.dtype.hasobject:
                raise PickleFileError(
                    f"{name}: {where or 'top-level object'} is an array of dtype "
                    f"{item.dtype!s} holding Python objects (shape {np.shape(item)}); only "
                    f"numeric arrays are accepted from dataset pickles."
                )
        elif isinstance(item, dict):
            todo.extend((v, f"{where}[{k!r}]", depth + 1) for k, v in item.items())
        elif isinstance(item, (list, tuple)):
            todo.extend((v, f"{where}[{i}]", depth + 1) for i, v in enumerate(item))


def load_pickle(fname_or_bytes, *, name=None, encoding="latin1"):
    """Load a dataset pickle through the restricted unpickler.

    Parameters
    ----------
    fname_or_bytes : path-like | bytes
        File to read (a regular file), or the pickle bytes themselves.
    name : str | None
        Name used in error messages; the file's base name by default
        (``"<bytes>"`` for bytes).
    encoding : str
        How Python 2 ``str`` objects are decoded; ``"latin1"`` keeps array
        bytes intact (NumPy re-encodes them).

    Returns
    -------
    obj : object
        The unpickled object; any ndarray in it has a numeric dtype.

    Raises
    ------
    PickleFileError
        If the pickle is truncated or corrupt, has trailing bytes, is nested
        too deep, references a global outside the allow-list, declares an
        array its bytes do not fill (or larger than the file, or with zero
        or negative strides), or holds an object-dtype array.
    DataFileError
        If the path is not a regular file (a folder, FIFO or device).
    """
    _check_encoding(encoding)
    if isinstance(fname_or_bytes, (bytes, bytearray, memoryview)):
        name = name or "<bytes>"
        with io.BytesIO(bytes(fname_or_bytes)) as fid:
            obj = _load(fid, name, encoding, len(fname_or_bytes))
    elif isinstance(fname_or_bytes, (str, os.PathLike)):
        path = Path(fname_or_bytes)
        name = name or path.name
        # streamed from the file: the unpickler reads each array's bytes in one
        # call, without a second in-memory copy of the whole file
        with _open_user_file(path, "rb", what="pickle") as fid:
            obj = _load(fid, name, encoding, os.fstat(fid.fileno()).st_size)
    else:
        raise ConfigTypeError(
            f"fname_or_bytes must be a path-like or bytes, got "
            f"{type(fname_or_bytes).__name__} instead."
        )
    _check_no_object_arrays(obj, name)
    return obj


def _check_encoding(encoding):
    if not isinstance(encoding, str):
        raise ConfigTypeError(f"encoding must be a codec name (str), got "
                              f"{type(encoding).__name__}.")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(f"encoding {encoding!r} is not a codec Python knows; use 'latin1' "
                          f"(keeps NumPy array bytes intact) or 'bytes'.") from None


def _load(fid, name, encoding, n_bytes):
    """Scan, then run the restricted unpickler on ``fid``; every failure names the file."""
    _scan(fid, name, n_bytes)
    unpickler = _RestrictedUnpickler(fid, name=name, n_bytes=n_bytes, encoding=encoding)
    try:
        return unpickler.load()
    except PickleFileError:
        raise  # our own refusal
    except pickle.UnpicklingError as exc:
        raise PickleFileError(
            f"{name}: the pickle is truncated or corrupt ({exc}; {n_bytes} bytes "
            f"read). Re-download the file."
        ) from exc
    except (EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError,
            LookupError, UnicodeDecodeError, OverflowError, MemoryError,
            RecursionError) as exc:
        detail = str(exc)[:120]
        if isinstance(exc, ValueError) and "buffer size does not match array size" in detail:
            detail = ("an array's declared shape and dtype need more or fewer bytes than "
                      "the pickle holds for it")
        raise PickleFileError(
            f"{name}: the pickle is truncated or corrupt ({type(exc).__name__}: "
            f"{detail}; {n_bytes} bytes read). Re-download the file."
        ) from exc


def _check_pickled_dict(obj, name, keys, *, hint=""):
    """Check that an unpickled object is a dict holding exactly ``keys``.

    Parameters
    ----------
    obj : object
        The unpickled object.
    name : str
        File name used in messages.
    keys : sequence of str
        Required keys.
    hint : str
        Sentence appended to the message.

    Returns
    -------
    obj : dict
        ``obj`` with ``bytes`` keys decoded to ``str``.
    """
    suffix = f" {hint}" if hint else ""
    if not isinstance(obj, dict):
        raise DataFileError(
            f"{name}: expected a pickled dict with keys {list(keys)}, got "
            f"{type(obj).__name__}.{suffix}"
        )
    obj = {(k.decode("latin1") if isinstance(k, bytes) else k): v for k, v in obj.items()}
    missing = [k for k in keys if k not in obj]
    if missing:
        found = sorted(str(k) for k in obj)
        raise DataFileError(
            f"{name}: missing key(s) {missing}; found keys {found}, expected "
            f"{list(keys)}.{suffix}"
        )
    for key in keys:
        if not isinstance(obj[key], np.ndarray):
            raise DataFileError(
                f"{name}: key {key!r} holds {type(obj[key]).__name__}, expected a "
                f"numeric ndarray.{suffix}"
            )
    return obj
