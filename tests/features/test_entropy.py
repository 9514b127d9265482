"""The Gaussian DE helper against its closed form."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.features._entropy import gaussian_entropy


def test_unit_variance_gives_half_log_two_pi_e():
    assert_allclose(gaussian_entropy(1.0), 0.5 * math.log(2 * math.pi * math.e), rtol=1e-15)
    assert_allclose(gaussian_entropy(1.0), 1.4189385332046727, rtol=1e-15)


def test_variance_law_and_shape(rng):
    var = rng.uniform(1e-12, 10.0, size=(3, 4, 2))
    de = gaussian_entropy(var)
    assert de.shape == var.shape
    assert_allclose(de, 0.5 * np.log(2 * np.pi * np.e * var), rtol=1e-13)
    # gain law: scaling the signal by 10 scales the variance by 100, DE by log(10)
    assert_allclose(gaussian_entropy(100.0 * var) - de, math.log(10.0), rtol=1e-12)


def test_log_base_two_gives_bits(rng):
    var = rng.uniform(0.1, 2.0, size=5)
    assert_allclose(gaussian_entropy(var, log_base=2), gaussian_entropy(var) / math.log(2),
                    rtol=1e-14)
    assert_allclose(gaussian_entropy(1.0 / (2 * math.pi * math.e), log_base=2), 0.0, atol=1e-15)


def test_floor_and_zero_variance():
    assert gaussian_entropy(0.0) == -np.inf
    assert_allclose(gaussian_entropy(np.array([0.0, 4.0]), floor=1e-24),
                    [0.5 * np.log(2 * np.pi * np.e * 1e-24), 0.5 * np.log(2 * np.pi * np.e * 4.0)])


def test_input_is_not_modified():
    var = np.array([1.0, 2.0])
    gaussian_entropy(var, log_base=2)
    assert_allclose(var, [1.0, 2.0])


@pytest.mark.parametrize("log_base", [1, 0, -2.0])
def test_bad_log_base_is_an_error(log_base):
    with pytest.raises(ValueError, match=rf"log_base must be > 0 and != 1, got {log_base!r}"):
        gaussian_entropy(1.0, log_base=log_base)
