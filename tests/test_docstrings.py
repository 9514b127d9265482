"""numpydoc validation of the public API (style.md section 3)."""

import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

SUBPACKAGES = ["emopipe.utils", "emopipe.io", "emopipe.features", "emopipe.cache",
               "emopipe.models", "emopipe.distill"]
# no docstring, parameter missing from the docstring, documented parameter that does not exist
CHECKED = {"GL08", "PR01", "PR02"}


def _public_objects():
    seen = set()
    for modname in SUBPACKAGES:
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", []):
            if name.startswith("_"):
                continue
            obj = getattr(mod, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            qual = f"{obj.__module__}.{obj.__qualname__}"
            if qual not in seen:
                seen.add(qual)
                yield qual


def test_public_docstrings_follow_numpydoc():
    errors = []
    for qual in _public_objects():
        res = numpydoc_validate.validate(qual)
        for code, msg in res["errors"]:
            if code in CHECKED:
                errors.append(f"{qual}: {code} {msg}")
    assert errors == []
