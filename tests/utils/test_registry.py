"""The name -> object registry (emopipe.utils._registry)."""

import pytest

from emopipe.utils._registry import Registry


def test_register_get_and_list():
    reg = Registry("Loss", "losses")

    @reg.register("hinton_kd")
    class HintonKD:
        pass

    @reg.register("crd")
    def crd():
        return 1

    assert reg.get("hinton_kd") is HintonKD
    assert reg.get("crd") is crd
    assert reg.names() == ["crd", "hinton_kd"]
    assert list(reg) == ["crd", "hinton_kd"]
    assert len(reg) == 2 and "crd" in reg and "mcc" not in reg


def test_miss_lists_what_exists_and_hints():
    reg = Registry("Loss", "losses")
    reg.register("crd")(object)
    reg.register("cmcrd")(int)
    with pytest.raises(KeyError, match=r"Loss 'crdd' not found\. Available losses: 'cmcrd', "
                                       r"'crd'\. Did you mean 'crd'\?"):
        reg.get("crdd")
    with pytest.raises(KeyError, match=r"Loss \['x'\] not found"):
        reg.get(["x"])  # unhashable names are a miss, not a TypeError


def test_names_must_be_snake_case_and_unique():
    reg = Registry("Model")
    assert reg.plural == "models"
    with pytest.raises(ValueError, match=r"Model names must be snake_case strings, got 'MLP'"):
        reg.register("MLP")
    with pytest.raises(ValueError, match="got 'two words'"):
        reg.register("two words")
    reg.register("mlp")(dict)
    reg.register("mlp")(dict)  # the same object again is fine
    with pytest.raises(ValueError, match=r"Model 'mlp' is already registered"):
        reg.register("mlp")(list)


def test_fill_imports_each_module_and_names_the_one_that_fails():
    import re

    reg = Registry("Thing")
    # json.decoder and json.encoder exist: filling succeeds and returns the registry
    assert reg.fill("json", ("decoder", "encoder"), label="thing registry", fix="Fix it.") is reg
    with pytest.raises(ImportError, match=re.escape(
            "Filling the thing registry: module 'json.no_such_module' could not be imported "
            "(ModuleNotFoundError: No module named 'json.no_such_module'). Fix it.")):
        reg.fill("json", ("decoder", "no_such_module"), label="thing registry", fix="Fix it.")
