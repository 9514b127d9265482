"""One logger tree (``emopipe.*``), a ``verbose`` decorator and progress bars."""

import functools
import inspect
import logging
import os

logger = logging.getLogger("emopipe")
if not logger.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(_handler)
    logger.setLevel(logging.WARNING)

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}


def _to_level(verbose):
    if verbose is None:
        return None
    if isinstance(verbose, bool):
        return logging.INFO if verbose else logging.WARNING
    if isinstance(verbose, int):
        return verbose
    if isinstance(verbose, str) and verbose.lower() in _LEVELS:
        return _LEVELS[verbose.lower()]
    raise ValueError(
        f"verbose must be None, a bool, an int or one of {sorted(_LEVELS)}, "
        f"got {verbose!r}."
    )


def set_log_level(verbose=None):
    """Set the level of the ``emopipe`` logger.

    Parameters
    ----------
    verbose : bool | int | str | None
        ``True``/``"info"`` for INFO, ``"debug"`` for DEBUG, ``False`` or
        ``None`` for WARNING.

    Returns
    -------
    old_level : int
        The level before the call.
    """
    old = logger.level
    level = _to_level(verbose)
    logger.setLevel(logging.WARNING if level is None else level)
    return old


def verbose(func):
    """Let a function take a keyword-only ``verbose`` that sets the level for the call.

    Parameters
    ----------
    func : callable
        Function with a ``verbose`` parameter.

    Returns
    -------
    wrapper : callable
        ``func`` with the level set around each call.
    """

    sig = inspect.signature(func)
    if "verbose" not in sig.parameters:
        raise TypeError(f"{func.__qualname__} must have a 'verbose' parameter")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        bound = sig.bind_partial(*args, **kwargs)
        level = _to_level(bound.arguments.get("verbose"))
        if level is None:
            return func(*args, **kwargs)
        old = logger.level
        logger.setLevel(level)
        try:
            return func(*args, **kwargs)
        finally:
            logger.setLevel(old)

    return wrapper


def progress(iterable, desc=None, *, total=None):
    """Wrap ``iterable`` in a tqdm bar, silent above INFO or with ``EMOPIPE_TQDM=off``.

    Parameters
    ----------
    iterable : iterable
        What to iterate over.
    desc : str | None
        Text in front of the bar.
    total : int | None
        Length when ``iterable`` has none.

    Returns
    -------
    iterable : iterable
        ``iterable`` itself or a tqdm wrapper.
    """
    env = os.environ.get("EMOPIPE_TQDM", "").lower()
    if env == "off" or (env != "on" and logger.getEffectiveLevel() > logging.INFO):
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False)
