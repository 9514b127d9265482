"""Frozen dataclass configs loaded from YAML (``safe_load``) and hashed.

A config's resolved dict is written next to every output; its hash keys the
feature cache.
"""

import dataclasses
import difflib
import hashlib
import json
from pathlib import Path

import numpy as np


def _to_plain(obj):
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return obj


def config_to_dict(config):
    """Return a JSON-serialisable dict of a (nested) dataclass config.

    Parameters
    ----------
    config : dataclass instance | dict
        The config.

    Returns
    -------
    d : dict
        Plain dict (tuples become lists, paths strings).
    """
    return _to_plain(config)


def config_hash(config, *, length=16):
    """Stable hex digest of a config (sorted-key JSON, SHA-256).

    Parameters
    ----------
    config : dataclass instance | dict
        The config.
    length : int
        Number of hex characters kept.

    Returns
    -------
    digest : str
        Hex digest.
    """
    text = json.dumps(config_to_dict(config), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def config_from_dict(cls, data, *, source="config"):
    """Build a dataclass ``cls`` from a dict, refusing unknown keys with a hint.

    Parameters
    ----------
    cls : type
        A dataclass.
    data : dict
        Field values; missing fields keep their defaults.
    source : str
        Where the dict came from, for messages (a file name).

    Returns
    -------
    config : cls
        The validated config (``__post_init__`` runs the checks).
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TypeError(
            f"{source}: a {cls.__name__} must be a mapping of field -> value, "
            f"got {type(data).__name__}."
        )
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(str(key), sorted(fields), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"{source}: unknown key {key!r} for {cls.__name__}. Allowed keys are "
            f"{', '.join(repr(f) for f in sorted(fields))}.{hint}"
        )
    return cls(**data)


def load_config(path, cls, *, section=None):
    """Load a YAML file with ``yaml.safe_load`` into the frozen dataclass ``cls``.

    Parameters
    ----------
    path : path-like
        YAML file.
    cls : type
        Dataclass to build.
    section : str | None
        Top-level key holding the fields (e.g. ``"extract"``); ``None`` reads
        the whole document.

    Returns
    -------
    config : cls
        The validated config.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Config file {str(path)!r} does not exist.")
    with open(path, encoding="utf-8") as fid:
        data = yaml.safe_load(fid)
    if section is not None:
        if not isinstance(data, dict) or section not in data:
            raise ValueError(
                f"{path.name}: expected a top-level key {section!r}, found "
                f"{sorted(data) if isinstance(data, dict) else type(data).__name__}."
            )
        data = data[section]
    return config_from_dict(cls, data, source=path.name)
