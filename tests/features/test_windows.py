"""The windowing primitive: shapes, values of hand-cut slices, views not copies, errors."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from emopipe.features._windows import (
    WindowGrid,
    sliding_windows,
    strided_windows,
    window_starts,
    windows_at,
)


def _hand_cut(data, starts, n_win):
    """(..., n_windows, n_win) from plain slices."""
    return np.stack([data[..., s:s + n_win] for s in starts], axis=-2)


@pytest.mark.parametrize("n_win, n_step, first", [(4, 4, 0), (4, 2, 0), (3, 5, 2), (1, 1, 7)])
def test_strided_windows_equal_hand_cut_slices(rng, n_win, n_step, first):
    data = rng.standard_normal((2, 3, 20))  # (n_trials, n_channels, n_times)
    n_windows = (20 - first - n_win) // n_step + 1
    win = strided_windows(data, n_win, n_step, n_windows, first=first)
    assert win.shape == (2, 3, n_windows, n_win)
    starts = first + n_step * np.arange(n_windows)
    assert_array_equal(win, _hand_cut(data, starts, n_win))


def test_strided_windows_are_read_only_views(rng):
    data = rng.standard_normal((3, 16))
    win = strided_windows(data, 8, 4, 3)
    assert np.shares_memory(win, data)
    assert not win.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        win[0, 0, 0] = 1.0
    data[1, 5] = 42.0  # the view follows its base
    assert win[1, 0, 5] == 42.0 and win[1, 1, 1] == 42.0


def test_strided_windows_of_a_non_contiguous_array(rng):
    data = rng.standard_normal((10, 4)).T  # (4, 10), Fortran order
    win = strided_windows(data[:, ::2], 2, 1, 4)  # every other sample
    assert_array_equal(win, _hand_cut(data[:, ::2], range(4), 2))


def test_zero_windows_have_shape_and_no_samples():
    win = strided_windows(np.zeros((2, 3)), 5, 1, 0)
    assert win.shape == (2, 0, 5)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_win=0, n_step=1, n_windows=1), r"n_win must be an integer >= 1 .* got 0"),
    (dict(n_win=2, n_step=0, n_windows=1), r"n_step must be an integer >= 1 .* got 0"),
    (dict(n_win=2.0, n_step=1, n_windows=1), r"n_win must be an integer >= 1 .* got 2.0"),
    (dict(n_win=2, n_step=1, n_windows=-1), r"n_windows must be an integer >= 0"),
    (dict(n_win=4, n_step=4, n_windows=3), r"3 windows of n_win = 4 samples every n_step = 4 "
                                           r"from sample first = 0 need n_times >= 12, got data "
                                           r"of shape \(2, 10\)"),
    (dict(n_win=4, n_step=4, n_windows=2, first=3), r"need n_times >= 11"),
])
def test_strided_windows_errors_name_the_parameter_and_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        strided_windows(np.zeros((2, 10)), **kwargs)


def test_strided_windows_need_a_time_axis():
    with pytest.raises(ValueError, match=r"data must have shape \(\.\.\., n_times\), got shape \(\)"):
        strided_windows(np.float64(1.0), 1, 1, 1)


def test_windows_at_regular_starts_is_a_view(rng):
    data = rng.standard_normal((2, 30))
    starts = np.array([3, 9, 15, 21])
    win = windows_at(data, starts, 6)
    assert np.shares_memory(win, data) and not win.flags.writeable
    assert_array_equal(win, _hand_cut(data, starts, 6))
    one = windows_at(data, np.array([24]), 6)
    assert np.shares_memory(one, data)
    assert_array_equal(one, data[:, None, 24:30])


def test_windows_at_irregular_starts_is_a_copy_of_the_same_slices(rng):
    data = rng.standard_normal((2, 30))
    starts = np.array([10, 0, 4, 4])
    win = windows_at(data, starts, 5)
    assert not np.shares_memory(win, data)
    assert_array_equal(win, _hand_cut(data, starts, 5))


def test_windows_at_errors():
    data = np.zeros((2, 10))
    with pytest.raises(ValueError, match=r"starts must lie in \[0, n_times - n_win\] = \[0, 6\] .* "
                                         r"got starts from 0 to 7"):
        windows_at(data, np.array([0, 7]), 4)
    with pytest.raises(ValueError, match=r"got starts from -1 to 2"):
        windows_at(data, np.array([-1, 2]), 4)
    with pytest.raises(ValueError, match=r"starts must be a 1-D array of integer sample indices"):
        windows_at(data, np.array([0.0, 2.0]), 4)
    assert windows_at(data, np.zeros(0, dtype=int), 4).shape == (2, 0, 4)


def test_sliding_windows_follow_window_starts(rng):
    data = rng.standard_normal((3, 130))
    win = sliding_windows(data, 10.0, 2.0, 0.5)
    starts, n_win = window_starts(130, 10.0, 2.0, 0.5)
    assert win.shape == (3, len(starts), n_win) == (3, 23, 20)
    assert np.shares_memory(win, data)
    assert_array_equal(win, _hand_cut(data, starts, n_win))
    assert sliding_windows(data, 10.0, 20.0).shape == (3, 0, 200)


def test_grid_cut_copies_the_windows_of_a_trial(rng):
    grid = WindowGrid([[0.0, 1.0, 2.0], [0.5]], window=1.0, baseline=0.5)
    data = rng.standard_normal((2, 40))  # 4 s at 10 Hz
    win = grid.cut(data, 10.0, 0)
    assert_array_equal(win, _hand_cut(data, [5, 15, 25], 10))
    assert not np.shares_memory(win, data) and win.flags.writeable
    irregular = WindowGrid([[0.0, 0.3, 2.0]], window=1.0)
    assert_array_equal(irregular.cut(data, 10.0, 0), _hand_cut(data, [0, 3, 20], 10))
    with pytest.raises(ValueError, match=r"trial 0: the window grid needs 35 samples at 10.0 Hz "
                                         r"but the trial has 30"):
        grid.cut(data[:, :30], 10.0, 0)
