"""Layer 0: logging, checks, docstring sharing, configs, registries."""

from ._checks import (
    _check_bands,
    _check_option,
    _check_shape,
    _check_type,
)
from ._errors import (
    ConfigError,
    ConfigTypeError,
    DataFileError,
    EmopipeError,
    RunError,
    UnknownNameError,
)
from ._logging import logger, progress, set_log_level, verbose
from ._registry import Registry
from .config import config_hash, config_to_dict, load_config, read_yaml
from .docs import docdict, fill_doc

__all__ = [
    "ConfigError",
    "ConfigTypeError",
    "DataFileError",
    "EmopipeError",
    "Registry",
    "RunError",
    "UnknownNameError",
    "_check_bands",
    "_check_option",
    "_check_shape",
    "_check_type",
    "config_hash",
    "config_to_dict",
    "docdict",
    "fill_doc",
    "load_config",
    "read_yaml",
    "logger",
    "progress",
    "set_log_level",
    "verbose",
]
