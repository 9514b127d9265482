"""Registry of dataset classes (``@DATASETS.register("deap")``), filled explicitly.

Each module of :data:`DATASET_MODULES` registers its dataset class when
imported; :func:`load_datasets` imports them all (``emopipe.io`` does on
import), so the registry, the CLI's ``--dataset`` choices among them, is
complete or fails naming the module that could not be imported. Dataset
modules import nothing heavy at module level (MNE, OpenCV, SciPy are
imported inside the readers), so filling the registry stays cheap.
"""

from ..utils._registry import Registry

DATASETS = Registry("Dataset", "datasets")

#: modules of ``emopipe.io`` that register a dataset class
DATASET_MODULES = ("amigos", "bids", "deap", "dreamer", "mahnob", "seed", "seed_iv", "seed_v")


def load_datasets():
    """Import every dataset module, so that :data:`DATASETS` holds every dataset.

    Returns
    -------
    datasets : Registry
        :data:`DATASETS`, filled.
    """
    return DATASETS.fill(__package__, DATASET_MODULES, label="dataset registry",
                         fix="Reinstall emopipe, or fix that module; its dataset is never "
                             "skipped silently.")
