"""The dataset registry is filled explicitly, and the CLI offers what it holds."""

import re

import pytest

from emopipe.io import DATASETS, DEAP, _registry
from emopipe.io._registry import load_datasets


def test_load_datasets_fills_the_registry():
    assert load_datasets() is DATASETS
    # every module registers the dataset named like it (deap.py -> "deap", seed_iv.py -> "seed_iv")
    assert DATASETS.names() == sorted(_registry.DATASET_MODULES) and DATASETS.get("deap") is DEAP


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
    allowed = ", ".join(repr(d) for d in DATASETS.names())  # sorted: 'deap', 'other', ...
    assert "'other'" in allowed
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(
            f"Allowed values are {allowed}, but got 'othr' instead. Did you mean 'other'?")):
        cli._dataset_arg("othr")
    expected = list(dict.fromkeys(s for n in DATASETS.names() for s in DATASETS.get(n).sources))
    assert cli._source_choices() == expected
    deap = ["auto", "preprocessed_python", "preprocessed_matlab", "raw"]
    assert [s for s in expected if s in deap] == deap  # in DEAP's order, whichever sorts first
    assert "csv" in expected
