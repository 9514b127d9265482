"""Layer 3: the HDF5 feature cache (one file per subject, atomic writes)."""

from ..features._base import default_feature
from .hdf5 import (
    SCHEMA_VERSION,
    CachedSubject,
    cache_files,
    cached_hash,
    cached_modalities,
    file_checksum,
    read_cohort,
    read_features,
    write_features,
)
from .pipeline import run_extract

__all__ = [
    "SCHEMA_VERSION",
    "CachedSubject",
    "cache_files",
    "cached_hash",
    "cached_modalities",
    "default_feature",
    "file_checksum",
    "read_cohort",
    "read_features",
    "run_extract",
    "write_features",
]
