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

from ._errors import ConfigError, ConfigTypeError, UnknownNameError

#: Most nodes a YAML document may expand to (aliases counted at every use).
MAX_YAML_NODES = 100_000
#: Floats YAML 1.1 leaves as strings (no dot: ``1e-9``, ``5E3``); read as floats here.
_FLOAT_NO_DOT = r"^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"


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
        raise ConfigTypeError(
            f"{source}: a {cls.__name__} must be a mapping of field -> value, "
            f"got {type(data).__name__}."
        )
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = unknown[0]
        close = difflib.get_close_matches(str(key), sorted(fields), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"{source}: unknown key {key!r} for {cls.__name__}. Allowed keys are "
            f"{', '.join(repr(f) for f in sorted(fields))}.{hint}"
        )
    try:
        return cls(**data)
    except (ConfigError, UnknownNameError) as err:
        if source == "config" or str(err).startswith(f"{source}:"):
            raise
        # the same error, saying which file (or the command line) the value came from
        raise type(err)(f"{source}: {err}") from None


def _expanded_size(node, memo, limit, source):
    """Nodes of ``node`` with every alias expanded; raise past ``limit``."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a cycle (recursive alias) counts once and is refused by the constructor
    size = 1
    value = node.value
    if isinstance(value, list):
        for item in value:
            for child in item if isinstance(item, tuple) else (item,):
                size += _expanded_size(child, memo, limit, source)
                if size > limit:
                    raise ConfigError(
                        f"{source}: the YAML document expands to more than {limit} nodes "
                        f"(aliases such as '*name' are counted at every use). A config is a "
                        f"few dozen keys: write the values out instead of nesting aliases."
                    )
    memo[key] = size
    return size


def read_yaml(path, *, max_nodes=MAX_YAML_NODES):
    """Read a YAML file safely: ``safe_load`` rules, a size limit, floats like ``1e-9``.

    No YAML tag runs code (PyYAML's safe loader). The document's size with
    every alias expanded is checked before anything is built, so a few
    hundred bytes of nested aliases cannot expand to gigabytes. Numbers in
    exponent form without a dot (``1e-9``), which YAML 1.1 reads as strings,
    are read as floats.

    Parameters
    ----------
    path : path-like
        YAML file.
    max_nodes : int
        Largest number of nodes the expanded document may hold.

    Returns
    -------
    data : object
        The document (``None`` for an empty file).
    """
    import re

    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float", re.compile(_FLOAT_NO_DOT), list("-+0123456789")
    )
    path = Path(path)
    with open(path, "rb") as fid:  # PyYAML decodes, and names bad bytes in a YAMLError
        try:
            loader = _Loader(fid)  # reads (and decodes) the first bytes
        except yaml.YAMLError as err:
            raise ConfigError(f"{path.name}: not a valid YAML file: {err}") from None
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _expanded_size(node, {}, max_nodes, path.name)
            return loader.construct_document(node)
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise ConfigError(f"{path.name}: not a valid YAML file: {err}") from None
        finally:
            loader.dispose()


def read_config_section(path, section=None, *, bare_ok=False, empty_ok=True, example=""):
    """The field -> value mapping of one section of a YAML config file.

    Parameters
    ----------
    path : path-like
        YAML file, read with :func:`read_yaml`.
    section : str | None
        Top-level key holding the fields (e.g. ``"extract"``); ``None`` reads
        the whole document.
    bare_ok : bool
        When the document has no ``section`` key, read its top level as the
        fields instead of refusing it.
    empty_ok : bool
        An empty file or an empty section means no fields; with ``False`` it
        is refused.
    example : str
        A short valid document, quoted in the messages.

    Returns
    -------
    data : dict
        The fields.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Config file {str(path)!r} does not exist.")
    name = path.name
    eg = f" Write e.g.\n{example}" if example else ""
    data = read_yaml(path)
    if data is None and not empty_ok:
        raise ConfigError(f"{name}: the config file is empty.{eg}")
    data = {} if data is None else data
    if not isinstance(data, dict):
        under = (f"(optionally under a top-level '{section}:' key)" if bare_ok
                 else f"under a top-level '{section}:' key") if section else ""
        raise ConfigTypeError(
            f"{name}: a config must be a mapping of field -> value"
            f"{' ' + under if under else ''}, got a YAML {type(data).__name__}.{eg}"
        )
    if section is None:
        return dict(data)
    if section not in data:
        if bare_ok:
            return dict(data)
        raise ConfigError(f"{name}: expected a top-level key {section!r}, found {sorted(data)}.{eg}")
    data = data[section]
    if data is None and not empty_ok:
        raise ConfigError(f"{name}: the '{section}:' section is empty. Indent the fields under "
                          f"it.{eg}")
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigTypeError(
            f"{name}: the '{section}:' section must be a mapping of field -> value, got a YAML "
            f"{type(data).__name__}.{eg}"
        )
    return dict(data)


def load_config(path, cls, *, section=None, bare_ok=False, empty_ok=True, example=""):
    """Load a YAML file into the frozen dataclass ``cls``.

    Parameters
    ----------
    path : path-like
        YAML file, read with :func:`read_yaml` (no tag runs code).
    cls : type
        Dataclass to build.
    section : str | None
        Top-level key holding the fields (e.g. ``"extract"``); ``None`` reads
        the whole document.
    bare_ok : bool
        Accept a document without ``section``, its top level being the fields.
    empty_ok : bool
        Accept an empty file or section (no fields: every field its default).
    example : str
        A short valid document, quoted in the messages.

    Returns
    -------
    config : cls
        The validated config.
    """
    data = read_config_section(path, section, bare_ok=bare_ok, empty_ok=empty_ok,
                               example=example)
    return config_from_dict(cls, data, source=Path(path).name)
