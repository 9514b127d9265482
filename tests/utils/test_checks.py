"""The numeric-field checker shared by every config (utils._checks._check_number)."""

import numpy as np
import pytest

from emopipe.utils._checks import _check_number
from emopipe.utils._errors import ConfigError, ConfigTypeError


@pytest.mark.parametrize("value, kw, msg", [
    (float("inf"), dict(low=0, low_open=True), "lr must be a finite number > 0, got inf."),
    (float("nan"), {}, "lr must be a finite number, got nan."),
    (0, dict(low=0, low_open=True), "lr must be > 0, got 0."),
    (-1, dict(kind="int", low=1), "lr must be >= 1, got -1."),
    (1.0, dict(low=0, high=1, high_open=True), "lr must be in [0, 1), got 1.0."),
    (0.0, dict(low=0, high=1, low_open=True), "lr must be in (0, 1], got 0.0."),
    (3, dict(kind="int", high=2), "lr must be <= 2, got 3."),
    (5, dict(kind="int", high=5, high_open=True, fix=" Lower it."),
     "lr must be < 5, got 5. Lower it."),
])
def test_range_errors_name_field_rule_and_value(value, kw, msg):
    with pytest.raises(ConfigError) as info:
        _check_number("lr", value, **kw)
    assert str(info.value) == msg
    assert not isinstance(info.value, TypeError)


@pytest.mark.parametrize("value, kw, msg", [
    ("five", dict(kind="int"), "seed must be an int, got str ('five') instead. Write a number "
                               "such as 5 or 1e-3, without quotes."),
    ("1e-9", {}, "seed must be a number, got str ('1e-9') instead. Write a number such as 5 "
                 "or 1e-3, without quotes."),
    (5.0, dict(kind="int"), "seed must be an int, got float (5.0) instead. Give a whole number, "
                            "e.g. 5."),
    (True, {}, "seed must be a number, got bool (True) instead."),
    (np.bool_(True), dict(kind="int"), "seed must be an int, got bool (np.True_) instead."),
    (None, {}, "seed must be a number, got NoneType (None) instead."),
    ([1], dict(none_ok=True), "seed must be a number or None, got list ([1]) instead."),
])
def test_type_errors(value, kw, msg):
    with pytest.raises(ConfigTypeError) as info:
        _check_number("seed", value, **kw)
    assert str(info.value) == msg


@pytest.mark.parametrize("value, kw", [
    (1e-9, dict(low=0, low_open=True)), (0, dict(low=0)), (np.int64(3), dict(kind="int", low=1)),
    (np.float32(0.5), dict(low=0, high=1)), (10**30, dict(kind="int", low=0)),
    (None, dict(none_ok=True, low=1)), (2, {}),  # an int is a number
])
def test_accepted_values_come_back_unchanged(value, kw):
    assert _check_number("x", value, **kw) is value


def test_kind_is_checked():
    with pytest.raises(ConfigError, match=r"Invalid value for the 'kind' parameter"):
        _check_number("x", 1, kind="integer")


@pytest.mark.parametrize("kw, cls, msg", [
    (dict(label_threshold="five"), ConfigTypeError,
     "label_threshold must be a number or None, got str ('five') instead. Write a number such "
     "as 5 or 1e-3, without quotes."),
    (dict(label_threshold=float("nan")), ConfigError,
     "label_threshold must be a finite number, got nan."),
    (dict(window=float("inf")), ConfigError, "window must be a finite number > 0, got inf."),
    (dict(window=0), ConfigError, "window must be > 0, got 0."),
    (dict(step=-1.0), ConfigError, "step must be > 0, got -1.0."),
    (dict(sfreq=float("nan")), ConfigError, "sfreq must be a finite number > 0, got nan."),
    (dict(smoothing_window=0), ConfigError, "smoothing_window must be >= 1, got 0."),
    (dict(smoothing_window=2.5), ConfigTypeError,
     "smoothing_window must be an int, got float (2.5) instead. Give a whole number, e.g. 2."),
    (dict(log_base=1), ConfigError, "log_base must be > 0 and != 1, got 1 (a logarithm to base "
                                    "1 divides by log(1) = 0). Use None for nats or 2 for bits."),
    (dict(log_base=-2), ConfigError, "log_base must be > 0, got -2."),
])
def test_extract_config_numeric_fields_share_the_wording(kw, cls, msg):
    from emopipe.features.extract import ExtractConfig

    with pytest.raises(cls) as info:
        ExtractConfig(dataset="deap", **kw)
    assert str(info.value) == msg
