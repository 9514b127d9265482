"""Moving average and LDS smoothing (methods.md §1.4)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.features.smoothing import CausalLDS, _lds_gains, lds, moving_average


def test_moving_average_edges_by_hand():
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])[:, None]  # (n_windows, n_features)
    # n = 5: two windows each side, truncated at the trial edges
    expected = [
        (1 + 2 + 4) / 3,
        (1 + 2 + 4 + 8) / 4,
        (1 + 2 + 4 + 8 + 16) / 5,
        (2 + 4 + 8 + 16 + 32) / 5,
        (4 + 8 + 16 + 32) / 4,
        (8 + 16 + 32) / 3,
    ]
    assert_allclose(moving_average(x, 5)[:, 0], expected, rtol=1e-14)
    # n = 4: left ceil(3 / 2) = 2, right floor(3 / 2) = 1
    expected4 = [(1 + 2) / 2, (1 + 2 + 4) / 3, (1 + 2 + 4 + 8) / 4, (2 + 4 + 8 + 16) / 4,
                 (4 + 8 + 16 + 32) / 4, (8 + 16 + 32) / 3]
    assert_allclose(moving_average(x, 4)[:, 0], expected4, rtol=1e-14)
    assert_allclose(moving_average(x, 1), x)


def test_moving_average_axis_and_shape(rng):
    x = rng.standard_normal((3, 7, 4))  # (n_trials, n_windows, n_features)
    out = moving_average(x, 3)
    assert out.shape == x.shape
    assert_allclose(out[:, 3], x[:, 2:5].mean(axis=1), rtol=1e-12)
    assert_allclose(moving_average(np.moveaxis(x, 1, 0), 3, axis=0),
                    np.moveaxis(out, 1, 0), rtol=1e-12)


def test_lds_gains_are_data_independent_constants():
    k, _, _ = _lds_gains(2000, 1e-4, 1.0, 0.01)
    assert_allclose(k[0], 0.01 / 1.01, rtol=1e-12)  # v0 c / (c^2 v0 + r) ~ 0.0099
    # steady state: P = V + q, k = P / (P + r), V = (1 - k) P  ->  P^2 - q P - q r = 0
    p_inf = (1e-4 + np.sqrt(1e-8 + 4e-4)) / 2
    assert_allclose(k[-1], p_inf / (p_inf + 1.0), rtol=1e-9)
    assert_allclose(k[-1], 0.00995, atol=5e-5)


def test_lds_of_constant_is_constant(rng):
    x = np.full((50, 3), 2.5)
    for mode in ("trial", "rts"):
        assert_allclose(lds(x, axis=0, mode=mode), x, rtol=1e-14)
    x_trials = np.broadcast_to(rng.standard_normal((4, 1, 2)), (4, 30, 2))
    assert_allclose(lds(x_trials), x_trials, rtol=1e-14)  # per trial, axis=-2


def test_lds_trial_mode_first_step_by_hand(rng):
    x = rng.standard_normal((10, 2))
    k0 = 0.01 / 1.01
    mu = x.mean(axis=0)
    out = lds(x, axis=0)
    assert_allclose(out[0], mu + k0 * (x[0] - mu), rtol=1e-14)


def test_causal_output_depends_only_on_the_past(rng):
    x = rng.standard_normal((2, 40, 3))
    mu0 = rng.standard_normal(3)
    ref = lds(x, mode="causal", mu0=mu0)
    for t in (0, 17, 38):
        y = x.copy()
        y[:, t + 1 :] += 100 * rng.standard_normal(y[:, t + 1 :].shape)
        out = lds(y, mode="causal", mu0=mu0)
        assert_allclose(out[:, : t + 1], ref[:, : t + 1], rtol=1e-14)
        assert not np.allclose(out[:, t + 1 :], ref[:, t + 1 :])
    # the trial mode is not causal: the trial mean leaks the future into t = 0
    y = x.copy()
    y[:, 20:] += 100
    assert not np.allclose(lds(y)[:, 0], lds(x)[:, 0])


def _rts_textbook(x, q, r, v0, mu0):
    """Kalman filter + RTS smoother for a 1-D random walk, written from scratch."""
    n = len(x)
    m_f, v_f, m_p, v_p = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    m_p[0], v_p[0] = mu0, v0  # prior of the first state
    for t in range(n):
        if t > 0:
            m_p[t], v_p[t] = m_f[t - 1], v_f[t - 1] + q
        gain = v_p[t] / (v_p[t] + r)
        m_f[t] = m_p[t] + gain * (x[t] - m_p[t])
        v_f[t] = (1 - gain) * v_p[t]
    m_s = m_f.copy()
    for t in range(n - 2, -1, -1):
        c = v_f[t] / v_p[t + 1]
        m_s[t] = m_f[t] + c * (m_s[t + 1] - m_p[t + 1])
    return m_f, m_s


def test_rts_against_textbook_smoother(rng):
    x = np.cumsum(0.3 * rng.standard_normal(80)) + rng.standard_normal(80)
    q, r, v0 = 0.05, 0.5, 2.0
    m_f, m_s = _rts_textbook(x, q, r, v0, mu0=x.mean())
    assert_allclose(lds(x[:, None], axis=0, q=q, r=r, v0=v0)[:, 0], m_f, rtol=1e-12)
    assert_allclose(lds(x[:, None], axis=0, mode="rts", q=q, r=r, v0=v0)[:, 0], m_s,
                    rtol=1e-12)
    m_f0, m_s0 = _rts_textbook(x, q, r, v0, mu0=1.5)
    assert_allclose(lds(x, axis=0, mode="causal", mu0=1.5, q=q, r=r, v0=v0), m_f0,
                    rtol=1e-12)
    assert_allclose(lds(x, axis=0, mode="rts", mu0=1.5, q=q, r=r, v0=v0), m_s0, rtol=1e-12)


def test_causal_lds_estimator(rng):
    train = rng.standard_normal((5, 20, 3)) + np.array([1.0, 2.0, 3.0])
    test = rng.standard_normal((2, 15, 3))
    model = CausalLDS().fit(train)
    assert_allclose(model.mu0_, train.mean(axis=(0, 1)), rtol=1e-14)
    assert_allclose(model.transform(test), lds(test, mode="causal", mu0=model.mu0_))
    with pytest.raises(RuntimeError, match="not fitted yet"):
        CausalLDS().transform(test)


def test_smoothing_errors(rng):
    x = rng.standard_normal((10, 2))
    with pytest.raises(ValueError, match=r"mode='causal' needs mu0"):
        lds(x, mode="causal")
    with pytest.raises(ValueError, match=r"mu0 must be None for mode='trial'"):
        lds(x, mu0=0.0)
    with pytest.raises(ValueError, match=r"Invalid value for the 'mode' parameter.*"
                                         r"Did you mean 'causal'"):
        lds(x, mode="casual")
    with pytest.raises(ValueError, match=r"mu0 of shape \(3,\) must broadcast"):
        lds(x, mode="causal", mu0=np.zeros(3))
    with pytest.raises(ValueError, match=r"axis = 2 is out of range for x of shape \(10, 2\)"):
        moving_average(x, 3, axis=2)
    with pytest.raises(ValueError, match=r"n must be > 0, got 0"):
        moving_average(x, 0)
