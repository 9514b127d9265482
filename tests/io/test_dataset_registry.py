"""The dataset registry is filled explicitly, and the CLI offers what it holds."""

import pytest

from emopipe.io import DATASETS, DEAP, _registry
from emopipe.io._registry import load_datasets


def test_load_datasets_fills_the_registry():
    assert load_datasets() is DATASETS
    assert DATASETS.names() == ["deap", "seed_v"] and DATASETS.get("deap") is DEAP


def test_an_import_failure_while_filling_names_the_module(monkeypatch):
    monkeypatch.setattr(_registry, "DATASET_MODULES", ("deap", "no_such_dataset"))
    with pytest.raises(ImportError, match=r"Filling the dataset registry: module "
                                          r"'emopipe\.io\.no_such_dataset' could not be "
                                          r"imported \(ModuleNotFoundError"):
        load_datasets()


def test_cli_dataset_choices_are_the_registry(monkeypatch):
    import argparse

    from emopipe import cli
    from emopipe.io._dataset import Dataset

    assert cli._dataset_arg("deap") == "deap"

    class Other(Dataset):
        name = "other"
        sources = ("auto", "csv")

    monkeypatch.setitem(DATASETS._items, "other", Other)
    assert cli._dataset_arg("other") == "other"
    with pytest.raises(argparse.ArgumentTypeError, match=r"Allowed values are 'deap', 'other', 'seed_v', "
                                                         r"but got 'othr' instead\. Did you mean "
                                                         r"'other'\?"):
        cli._dataset_arg("othr")
    assert cli._source_choices() == ["auto", "preprocessed_python", "preprocessed_matlab", "raw",
                                     "csv", "official_features"]
