"""numpydoc validation of the public API (style.md section 3).

Every public function and class of the subpackages' ``__all__``, and every
public method and property a public class defines, is validated.
"""

import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

SUBPACKAGES = ["emopipe.utils", "emopipe.io", "emopipe.features", "emopipe.cache",
               "emopipe.models", "emopipe.distill", "emopipe.analysis"]
# no docstring, parameter missing from the docstring, documented parameter that does not
# exist, no Returns section for a function that returns, a return value without description
CHECKED = {"GL08", "PR01", "PR02", "RT01", "RT03"}
# hooks of a base class from another library, documented there (torch's module repr)
FOREIGN_HOOKS = {"extra_repr"}


def _members(cls, qual):
    for name, value in vars(cls).items():
        if name.startswith("_") or name in FOREIGN_HOOKS:
            continue
        if inspect.isfunction(value) or isinstance(value, (property, classmethod,
                                                           staticmethod)):
            yield f"{qual}.{name}"


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
            if qual in seen:
                continue
            seen.add(qual)
            yield qual
            if inspect.isclass(obj):
                yield from _members(obj, qual)


def test_public_docstrings_follow_numpydoc():
    errors = []
    for qual in _public_objects():
        res = numpydoc_validate.validate(qual)
        for code, msg in res["errors"]:
            if code in CHECKED:
                errors.append(f"{qual}: {code} {msg}")
    assert errors == []


def test_validation_reaches_methods_and_returns():
    quals = set(_public_objects())
    # a method and a property of a public class are validated, not only the class
    assert "emopipe.utils._registry.Registry.get" in quals
    assert "emopipe.features._windows.WindowGrid.n_trials" in quals
    res = numpydoc_validate.validate("emopipe.utils._registry.Registry.get")
    assert "RT01" not in {code for code, _ in res["errors"]}
