"""The user-error hierarchy (emopipe.utils._errors)."""

import pytest

import emopipe
from emopipe.utils import (
    ConfigError,
    ConfigTypeError,
    DataFileError,
    EmopipeError,
    RunError,
    UnknownNameError,
    _check_option,
    _check_type,
)
from emopipe.utils._registry import Registry


@pytest.mark.parametrize("cls, builtin", [(DataFileError, ValueError), (ConfigError, ValueError),
                                          (ConfigTypeError, TypeError), (RunError, ValueError),
                                          (UnknownNameError, KeyError)])
def test_each_error_is_an_emopipe_error_and_its_builtin(cls, builtin):
    assert issubclass(cls, EmopipeError) and issubclass(cls, builtin)
    assert emopipe.EmopipeError is EmopipeError


def test_unknown_name_prints_its_message_not_a_repr():
    assert str(UnknownNameError("Loss 'x' not found.")) == "Loss 'x' not found."
    assert str(KeyError("Loss 'x' not found.")) == "\"Loss 'x' not found.\""


def test_checks_and_registry_raise_the_hierarchy():
    with pytest.raises(ConfigError, match=r"Invalid value for the 'baseline' parameter"):
        _check_option("baseline", "drops", ("drop", "keep"))
    with pytest.raises(ConfigTypeError):
        _check_type("window", "1", "numeric")
    reg = Registry("Dataset")
    reg.register("deap")(object)
    with pytest.raises(UnknownNameError, match=r"Dataset 'deep' not found.*'deap'"):
        reg.get("deep")
