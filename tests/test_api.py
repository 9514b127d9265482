"""The small top-level API: lazy workflow names (emopipe/__init__.py)."""

import importlib
import subprocess
import sys

import pytest

import emopipe

WORKFLOW = {
    "ExtractConfig": "emopipe.features.extract",
    "run_extract": "emopipe.cache.pipeline",
    "read_cohort": "emopipe.cache.hdf5",
    "DistillConfig": "emopipe.distill.config",
    "load_distill_config": "emopipe.distill.config",
    "run_distill": "emopipe.distill.train",
    "load_config": "emopipe.utils.config",
}


@pytest.mark.parametrize("name", sorted(WORKFLOW))
def test_workflow_name_is_the_subpackage_object(name):
    assert getattr(emopipe, name) is getattr(importlib.import_module(WORKFLOW[name]), name)
    assert name in emopipe.__all__ and name in dir(emopipe)


def test_import_emopipe_loads_nothing_heavy():
    code = (
        "import sys, emopipe\n"
        "heavy = [m for m in ('torch', 'mne', 'h5py', 'matplotlib', 'sklearn')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == ""


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match=r"module 'emopipe' has no attribute 'run_extrac'"):
        emopipe.run_extrac  # noqa: B018
    assert not hasattr(emopipe, "definitely_not_there")
