"""Validation helpers: the only place error wording lives.

Every message names the parameter, the rule, the value received and a fix.
"""

import difflib
import math
import numbers
from collections.abc import Mapping

import numpy as np

from ._errors import ConfigError, ConfigTypeError


def _close_match_hint(value, allowed):
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, [str(a) for a in allowed], n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _check_option(parameter, value, allowed, *, extra=""):
    """Raise ValueError unless ``value`` is one of ``allowed``.

    Parameters
    ----------
    parameter : str
        Name of the parameter, used in the message.
    value : object
        The value received.
    allowed : sequence
        The allowed values.
    extra : str
        Text appended after the parameter name (e.g. ``" (in config.yaml)"``).

    Returns
    -------
    value : object
        ``value``, unchanged.
    """
    if value in allowed:
        return value
    allowed_str = ", ".join(repr(a) for a in allowed)
    hint = _close_match_hint(value, allowed)
    raise ConfigError(
        f"Invalid value for the {parameter!r} parameter{extra}. Allowed values are "
        f"{allowed_str}, but got {value!r} instead.{hint}"
    )


def _check_type(parameter, value, types, *, type_name=None):
    """Raise TypeError unless ``value`` is an instance of ``types``.

    Parameters
    ----------
    parameter : str
        Name of the parameter, used in the message.
    value : object
        The value received.
    types : type | str | None | tuple
        Allowed types; besides classes, the strings ``"numeric"``, ``"int"``,
        ``"path-like"`` and ``None``.
    type_name : str | None
        How to name the allowed types in the message; built from ``types``
        by default.

    Returns
    -------
    value : object
        ``value``, unchanged.
    """
    import os

    if not isinstance(types, tuple):
        types = (types,)
    resolved = []
    names = []
    for t in types:
        if t is None:
            resolved.append(type(None))
            names.append("None")
        elif t == "numeric":
            resolved.append(numbers.Real)
            names.append("numeric")
        elif t == "int":
            resolved.append(numbers.Integral)
            names.append("int")
        elif t == "path-like":
            resolved.append((str, os.PathLike))
            names.append("path-like")
        else:
            resolved.append(t)
            names.append(t.__name__)
    flat = []
    for r in resolved:
        flat.extend(r if isinstance(r, tuple) else (r,))
    if isinstance(value, bool) and bool not in flat and numbers.Real in flat:
        ok = False
    else:
        ok = isinstance(value, tuple(flat))
    if not ok:
        expected = type_name or " or ".join(names)
        raise ConfigTypeError(
            f"{parameter} must be an instance of {expected}, "
            f"got {type(value).__name__} ({value!r:.60}) instead."
        )
    return value


def _describe_range(low, high, low_open, high_open):
    """``">= 1"``, ``"in [0, 1)"``, ... for a message (``""`` without bounds)."""
    if low is not None and high is not None:
        return (f"in {'(' if low_open else '['}{low:g}, {high:g}"
                f"{')' if high_open else ']'}")
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return ""


def _check_number(parameter, value, *, kind="float", low=None, high=None, low_open=False,
                  high_open=False, none_ok=False, fix=""):
    """Raise unless ``value`` is a finite number of ``kind`` within ``[low, high]``.

    The one wording of every numeric config field: the type first
    (:class:`ConfigTypeError`, e.g. ``"five"`` for an int, ``True`` for a
    float), then finiteness and range (:class:`ConfigError` naming the rule
    and the value: ``lr must be a finite number > 0, got inf.``,
    ``epochs must be >= 1, got -1.``).

    Parameters
    ----------
    parameter : str
        Name of the field, used in the message.
    value : object
        The value received.
    kind : str
        ``"float"`` (any real number but a bool) or ``"int"`` (an integral
        number but a bool; ``5.0`` is refused).
    low, high : float | None
        Bounds of the allowed range, ``None`` for none.
    low_open, high_open : bool
        Exclude the bound itself (``low_open=True`` with ``low=0`` means ``> 0``).
    none_ok : bool
        Accept ``None`` (the field's "not set").
    fix : str
        Sentence appended to the range message (starting with a space).

    Returns
    -------
    value : object
        ``value``, unchanged.
    """
    _check_option("kind", kind, ("float", "int"))
    if value is None and none_ok:
        return value
    integral = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
    real = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    if not (integral if kind == "int" else real):
        expected = ("an int" if kind == "int" else "a number") + (" or None" if none_ok else "")
        hint = ""
        if isinstance(value, str):
            hint = " Write a number such as 5 or 1e-3, without quotes."
        elif kind == "int" and real:
            hint = f" Give a whole number, e.g. {int(value) if math.isfinite(value) else 1}."
        raise ConfigTypeError(
            f"{parameter} must be {expected}, got {type(value).__name__} ({value!r:.60}) "
            f"instead.{hint}"
        )
    rule = _describe_range(low, high, low_open, high_open)
    if not (integral or math.isfinite(value)):
        raise ConfigError(
            f"{parameter} must be a finite number{' ' + rule if rule else ''}, got "
            f"{value!r}.{fix}"
        )
    ok = True
    if low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ConfigError(f"{parameter} must be {rule}, got {value!r}.{fix}")
    return value


def _check_shape(parameter, array, shape, *, hint=""):
    """Raise ValueError unless ``array.shape`` matches ``shape``.

    Parameters
    ----------
    parameter : str
        Name used in the message, e.g. ``"data"`` or ``"s01.dat: key 'data'"``.
    array : ndarray
        The array to check.
    shape : tuple
        Expected shape; ``None`` entries match any size, a leading
        ``Ellipsis`` matches any number of leading axes. Strings are axis
        names that match any size and are shown in the message.
    hint : str
        Extra sentence appended to the message.

    Returns
    -------
    array : ndarray
        ``array``, unchanged.
    """
    got = tuple(np.shape(array))
    exp = tuple(shape)
    lead = bool(exp) and exp[0] is Ellipsis
    core = exp[1:] if lead else exp
    ok = len(got) >= len(core) if lead else len(got) == len(core)
    if ok:
        tail = got[len(got) - len(core):] if core else ()
        for g, e in zip(tail, core):
            if isinstance(e, numbers.Integral) and g != e:
                ok = False
                break
    if not ok:
        parts = (["..."] if lead else []) + [
            "any" if e is None else str(e) for e in core
        ]
        msg = f"{parameter} must have shape ({', '.join(parts)}), got shape {got}."
        if hint:
            msg += " " + hint
        raise ConfigError(msg)
    return array


def _check_bands(bands, sfreq=None, *, parameter="bands"):
    """Validate a ``bands`` mapping name -> (l_freq, h_freq) in Hz.

    Parameters
    ----------
    bands : dict
        Band name -> ``(l_freq, h_freq)`` in Hz.
    sfreq : float | None
        Sampling rate in Hz; when given, every ``h_freq`` must be at most
        ``sfreq / 2``.
    parameter : str
        Name of the parameter, used in the message.

    Returns
    -------
    bands : dict
        An ordered ``dict`` of ``name -> (float, float)``.
    """
    if not isinstance(bands, Mapping) or len(bands) == 0:
        raise ConfigTypeError(
            f"{parameter} must be a non-empty dict name -> (l_freq, h_freq) in Hz, "
            f"e.g. {{'alpha': (8, 14)}}, got {type(bands).__name__} ({bands!r:.60})."
        )
    out = {}
    nyq = None if sfreq is None else float(sfreq) / 2.0
    for name, edges in bands.items():
        try:
            l_freq, h_freq = (float(e) for e in edges)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{parameter}[{name!r}] must be a pair (l_freq, h_freq) in Hz, "
                f"got {edges!r}."
            ) from None
        if not (0 <= l_freq < h_freq) or (nyq is not None and h_freq > nyq):
            limit = f" <= sfreq / 2 = {nyq:g} Hz" if nyq is not None else ""
            fix = (
                f" Lower h_freq or use data sampled above {2 * h_freq:g} Hz."
                if nyq is not None and h_freq > nyq
                else " Give l_freq below h_freq, both non-negative."
            )
            raise ConfigError(
                f"{parameter}[{name!r}] = ({edges[0]:g}, {edges[1]:g}) Hz must satisfy "
                f"0 <= l_freq < h_freq{limit}.{fix}"
            )
        out[str(name)] = (l_freq, h_freq)
    return out


def _check_finite(parameter, array, *, where=""):
    """Raise ValueError naming the first non-finite entry of ``array``."""
    arr = np.asarray(array)
    if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        n_bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ConfigError(
            f"{parameter}{where} contains {n_bad} NaN or infinite values "
            f"(first at index {idx}, shape {arr.shape}). Interpolate or drop the "
            f"affected channels or trials before feature extraction."
        )
    return array


def _check_positive(parameter, value, *, strict=True):
    """Raise ValueError unless ``value`` is a (strictly) positive number."""
    _check_type(parameter, value, ("numeric",))
    if (strict and not value > 0) or (not strict and not value >= 0):
        rule = "> 0" if strict else ">= 0"
        raise ConfigError(f"{parameter} must be {rule}, got {value!r}.")
    return value


def _check_data(data, sfreq, n_win=None, window=None, *, check_finite=True):
    """Validate a signal array of shape (..., n_times); return it as float64.

    The input check of every array function of the features layer: an MNE
    object is refused with the method to call instead (as MNE's
    ``_check_filterable``), ``sfreq`` must be positive, the values real.

    Parameters
    ----------
    data : array-like, shape (..., n_times)
        The signal.
    sfreq : float
        Sampling frequency in Hz.
    n_win : int | None
        Fewest samples ``n_times`` may hold (one window), or ``None``.
    window : float | None
        Window length in seconds, shown with ``n_win`` in the message.
    check_finite : bool
        Raise on NaN or inf here. With ``False`` the caller checks its output
        instead (NaN and inf propagate through the estimators) and calls
        :func:`_raise_non_finite` when that is not finite: one pass saved.

    Returns
    -------
    data : ndarray, shape (..., n_times)
        ``data`` as float64 (no copy when it already is).
    """
    mod = getattr(type(data), "__module__", "") or ""
    if mod.split(".")[0] == "mne" and hasattr(data, "get_data"):
        name = type(data).__name__
        raise ConfigTypeError(
            f"data must be an ndarray of shape (..., n_times), got an MNE {name} "
            f"object. This array function does not read MNE objects: pass "
            f"inst.get_data() (values in V) and sfreq=inst.info['sfreq'] instead."
        )
    _check_type("data", data, (np.ndarray, list, tuple), type_name="ndarray")
    _check_positive("sfreq", sfreq)
    data = np.asarray(data)
    if data.dtype.kind not in "biuf":
        raise ConfigTypeError(
            f"data must hold real numbers, got dtype {data.dtype}. Convert it with "
            f"np.asarray(data, dtype=float)."
        )
    data = data.astype(np.float64, copy=False)
    if check_finite:
        _check_finite("data", data)
    if data.ndim < 1 or (n_win is not None and data.shape[-1] < n_win):
        if n_win is None:
            raise ConfigError(
                f"data must have shape (..., n_times), got shape {data.shape}."
            )
        raise ConfigError(
            f"data must have shape (..., n_times) with n_times >= n_win = {n_win} "
            f"({window:g} s at sfreq = {sfreq:g} Hz), got shape {data.shape}."
        )
    return data


def _raise_non_finite(data, result):
    """Raise the NaN error of :func:`_check_finite` if ``result`` is not finite.

    For callers of :func:`_check_data` with ``check_finite=False``: NaN or inf
    in ``data`` reaches ``result``, so only a non-finite result needs the scan
    of ``data`` that names the first bad sample.
    """
    if not np.isfinite(result).all():
        _check_finite("data", data)
