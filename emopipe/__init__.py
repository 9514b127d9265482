"""emopipe: cross-modal knowledge distillation for emotion recognition.

Three stages with a file boundary between them: ``extract`` (raw recordings
to an HDF5 feature cache), ``distill`` (teachers and students trained on the
cache) and ``analysis`` (embeddings, saliency, figures). Importing the
package loads nothing heavy: the workflow names below are imported from
their subpackage on first use.

The workflow, top to bottom::

    import emopipe
    cfg = emopipe.ExtractConfig(dataset="deap")
    emopipe.run_extract(cfg, "~/data/deap", "~/cache/deap")      # stage 1
    subjects = emopipe.read_cohort("~/cache/deap")               # the cache
    result = emopipe.run_distill(emopipe.DistillConfig(
        cache="~/cache/deap", teacher="eeg", student="eog",
        method="hinton_kd", out="runs/kd"))                      # stage 2

Everything else lives in the subpackages (``emopipe.io``,
``emopipe.features``, ``emopipe.cache``, ``emopipe.models``,
``emopipe.distill``).
"""

import importlib

from ._version import __version__
from .utils._errors import EmopipeError
from .utils._logging import set_log_level

#: Top-level name -> (module, attribute), imported lazily (PEP 562).
_LAZY = {
    "ExtractConfig": ("emopipe.features.extract", "ExtractConfig"),
    "run_extract": ("emopipe.cache.pipeline", "run_extract"),
    "read_cohort": ("emopipe.cache.hdf5", "read_cohort"),
    "DistillConfig": ("emopipe.distill.config", "DistillConfig"),
    "load_distill_config": ("emopipe.distill.config", "load_distill_config"),
    "run_distill": ("emopipe.distill.train", "run_distill"),
    "load_run": ("emopipe.distill.run_reader", "load_run"),
    "load_config": ("emopipe.utils.config", "load_config"),
}

__all__ = ["EmopipeError", "__version__", "set_log_level", *sorted(_LAZY)]


def __getattr__(name):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'emopipe' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
