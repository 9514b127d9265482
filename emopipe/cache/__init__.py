"""Layer 3: the HDF5 feature cache (one file per subject, atomic writes)."""

from .hdf5 import (
    SCHEMA_VERSION,
    CachedSubject,
    cache_files,
    cached_hash,
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
    "file_checksum",
    "read_cohort",
    "read_features",
    "run_extract",
    "write_features",
]
