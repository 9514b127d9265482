"""Registry of dataset classes (``@DATASETS.register("deap")``)."""

from ..utils._registry import Registry

DATASETS = Registry("Dataset", "datasets")
