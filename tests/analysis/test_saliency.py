"""Saliency: attributions known analytically, aggregation axes, band split, files, randomisation check."""

import csv

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from torch import nn

from emopipe.analysis.saliency import (aggregate_attributions, attribution_matrix, matrix_layout,
                                       read_saliency, spearman, top_cells, write_saliency,
                                       SaliencyMap)
from emopipe.analysis.saliency_attr import (SURVIVES, attribute, band_components,
                                            cascade_layers, cascading_randomisation)
from emopipe.utils._errors import ConfigError


class _Linear(nn.Module):
    """f(x) = W x + b on a flat input; returns (out, feat) like an EmoModule."""

    def __init__(self, n_in, n_out, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.fc = nn.Linear(n_in, n_out)

    def forward(self, x):
        return self.fc(x), x


class _Smooth(nn.Module):
    def __init__(self, n_in, n_out, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.a = nn.Linear(n_in, 8)
        self.b = nn.Linear(8, n_out)

    def forward(self, x):
        h = torch.tanh(self.a(x))
        return self.b(h), h


class _InputOnly(nn.Module):
    """Output = sum(c * x**2) + 0 * (layer output): its gradient never depends on the weights."""

    def __init__(self, n_in):
        super().__init__()
        self.register_buffer("c", torch.linspace(0.1, 2.0, n_in))
        self.fc = nn.Linear(n_in, 2)

    def forward(self, x):
        q = (self.c * x ** 2).sum(1, keepdim=True)
        return torch.cat([q, -q], 1) + 0.0 * self.fc(x), x


def test_ig_on_a_linear_model_is_weight_times_input_minus_baseline(rng):
    model = _Linear(6, 3)
    X = rng.standard_normal((20, 3, 2)).astype(np.float32)  # (n_windows, n_channels, n_bands)
    target = rng.integers(0, 3, 20)
    W = model.fc.weight.detach().numpy()  # (3, 6)
    want = W[target].reshape(20, 3, 2) * X  # baseline 0
    (ig,) = attribute(model, [X], target, shapes=[(6,)], method="ig", steps=32)
    assert ig.shape == (20, 3, 2)
    assert_allclose(ig, want, rtol=1e-5, atol=1e-6)
    (sal,) = attribute(model, [X], target, shapes=[(6,)], method="saliency")
    assert_allclose(sal, np.broadcast_to(W[target].reshape(20, 3, 2), sal.shape), atol=1e-6)
    (ixg,) = attribute(model, [X], target, shapes=[(6,)], method="input_x_gradient")
    assert_allclose(ixg, want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"Invalid value for the 'method' parameter.*'ig', "
                                         r"'saliency', 'input_x_gradient'.*got 'gradcam'"):
        attribute(model, [X], target, shapes=[(6,)], method="gradcam")


def test_ig_is_complete_on_a_smooth_model(rng):
    model = _Smooth(8, 2)
    X = rng.standard_normal((10, 4, 2)).astype(np.float32)
    target = np.arange(10) % 2
    (ig,) = attribute(model, [X], target, shapes=[(8,)], steps=32)
    with torch.no_grad():
        fx = model(torch.from_numpy(X.reshape(10, 8)))[0].numpy()[np.arange(10), target]
        f0 = model(torch.zeros(1, 8))[0].numpy()[0, target]
    assert_allclose(ig.reshape(10, -1).sum(1), fx - f0, atol=1e-4)


def test_band_components_add_up_and_put_a_tone_in_its_band():
    sfreq, n = 128.0, 256
    t = np.arange(n) / sfreq
    X = np.stack([np.sin(2 * np.pi * 10 * t), np.sin(2 * np.pi * 20 * t) + 0.5])[None]
    bands = {"alpha": (8.0, 14.0), "beta": (14.0, 31.0)}
    comps = band_components(X, sfreq, bands)  # (1, 3, 2, n)
    assert comps.shape == (1, 3, 2, n)
    assert_allclose(comps.sum(1), X, atol=1e-6)
    assert_allclose(comps[0, 0, 0], X[0, 0], atol=1e-5)  # 10 Hz: all alpha
    assert_allclose(comps[0, 1, 1], np.sin(2 * np.pi * 20 * t), atol=1e-5)  # 20 Hz: beta
    assert_allclose(comps[0, 2, 1], 0.5, atol=1e-5)  # DC: the rest
    # per component summed over time, (n, comp, ch) -> (n, ch, comp)
    m = attribution_matrix(comps.sum(-1), ("window", "channel", "time"), split=True)
    assert m.shape == (1, 2, 3)
    assert_allclose(m[0, 1, 2], 0.5 * n, rtol=1e-5)
    assert attribution_matrix(X, ("channel", "time")).shape == (1, 2, 1)


def test_matrix_layouts():
    meta = {"ch_names": ["Fp1", "Cz"], "band_names": ["alpha", "beta"]}
    assert matrix_layout(("window", "channel", "band"), (2, 2), meta) == (
        ["Fp1", "Cz"], ["alpha", "beta"], "channel", "band")
    assert matrix_layout(("channel", "time"), (2, 64), meta, bands=["alpha", "beta"]) == (
        ["Fp1", "Cz"], ["alpha", "beta", "rest"], "channel", "band")
    assert matrix_layout(("channel", "time"), (2, 64), meta) == (
        ["Fp1", "Cz"], ["all"], "channel", "band")
    assert matrix_layout(("feature",), (3,), {"feature_names": ["a", "b", "c"]}) == (
        ["a", "b", "c"], ["all"], "feature", "value")
    A = np.arange(12.0).reshape(2, 6)
    assert attribution_matrix(A, ("feature",)).shape == (2, 6, 1)
    # face frames: one row per time step, summed over the frame
    assert matrix_layout(("window", "time", "plane", "height", "width"), (3, 1, 2, 2), {}) == (
        ["time0", "time1", "time2"], ["all"], "time", "value")
    F = np.arange(24.0).reshape(2, 3, 1, 2, 2)
    assert_allclose(attribution_matrix(F, ("time", "plane", "height", "width"))[..., 0],
                    F.reshape(2, 3, 4).sum(-1))


def test_aggregation_axes_on_planted_arrays():
    # 2 subjects x 2 classes; cell (r, c) of a window of subject s, class g holds
    # sign * (100 s + 10 g + 3 r + c), the sign alternating between windows
    rows = []
    subject, group = [], []
    for s, sub in enumerate(["s02", "s01"]):  # unsorted on purpose
        for g in range(2):
            for w in range(3 if g == 0 else 1):
                if sub == "s02" and g == 1:
                    continue  # s02 has no window of class 1
                sign = -1.0 if w == 1 else 1.0
                val = 100 * s + 10 * g + 3 * np.arange(2)[:, None] + np.arange(3)[None]
                rows.append(sign * val)
                subject.append(sub)
                group.append(g)
    M = np.array(rows)  # (n_windows, 2, 3)
    subs, per, signed, n = aggregate_attributions(M, np.array(subject), np.array(group), 2)
    assert subs == ["s01", "s02"]
    assert per.shape == signed.shape == (2, 2, 2, 3)
    assert n.tolist() == [[3, 1], [3, 0]]
    base = 3 * np.arange(2)[:, None] + np.arange(3)[None]
    assert_allclose(per[0, 0], 100 + base)  # s01 (index 1 in the loop): |.| means
    assert_allclose(per[0, 1], 110 + base)
    assert_allclose(per[1, 0], base)
    assert np.isnan(per[1, 1]).all()
    assert_allclose(signed[0, 0], (100 + base) / 3)  # +, -, + over 3 windows
    smap = SaliencyMap("eeg:de", ["a", "b"], ["x", "y", "z"], ["0", "1"], subs, per, signed, n)
    assert_allclose(smap.mean[0], (100 + 2 * base) / 2)
    assert_allclose(smap.sd[0], np.full((2, 3), np.std([100, 0], ddof=1)))
    assert_allclose(smap.mean[1], 110 + base)  # one subject: its map
    assert np.isnan(smap.sd[1]).all()
    assert smap.n_subjects.tolist() == [2, 1]
    assert top_cells(smap, 1, 2) == [("b", "z", 115.0, pytest.approx(np.nan, nan_ok=True)),
                                     ("b", "y", 114.0, pytest.approx(np.nan, nan_ok=True))]
    with pytest.raises(ConfigError, match=r"group must be in 0 \.\. n_outputs - 1 = 0, got "
                                          r"values 0 \.\. 1"):
        aggregate_attributions(M, np.array(subject), np.array(group), 1)


def test_csv_and_hdf5_round_trip(tmp_path, rng):
    per = rng.random((3, 2, 4, 2))
    per[1, 1] = np.nan
    smap = SaliencyMap("eeg:de", ["Fp1", "F3", "Cz", "O2"], ["beta", "gamma"], ["0", "1"],
                       ["s01", "s02", "s03"], per, -per, np.array([[5, 4], [6, 0], [2, 2]]),
                       attrs={"method": "ig"})
    paths = write_saliency([smap], tmp_path, attrs={"run": "r", "steps": 32})
    assert [p.name for p in paths] == ["saliency_eeg_de_0.csv", "saliency_eeg_de_1.csv",
                                       "saliency.h5"]
    with open(paths[1], newline="") as fid:
        table = list(csv.reader(fid))
    assert table[0] == ["channel", "beta", "gamma"]
    assert [r[0] for r in table[1:]] == smap.rows
    assert_allclose(np.array([[float(v) for v in r[1:]] for r in table[1:]]), smap.mean[1],
                    rtol=1e-15)
    (back,), prov = read_saliency(paths[2])
    assert prov == {"run": "r", "steps": 32}
    assert (back.key, back.rows, back.cols, back.outputs, back.subjects) == (
        smap.key, smap.rows, smap.cols, smap.outputs, smap.subjects)
    assert_allclose(back.per_subject, per)
    assert_allclose(back.per_subject_signed, -per)
    assert back.n_windows.tolist() == smap.n_windows.tolist()
    assert back.attrs == {"method": "ig"}
    assert not list(tmp_path.glob("*.tmp-*"))


def test_spearman_matches_scipy(rng):
    from scipy.stats import spearmanr

    a, b = rng.random(40), rng.random(40)
    assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic, rel=1e-12)
    assert np.isnan(spearman(np.ones(5), b[:5]))


def test_cascade_order_top_first_and_models_left_unchanged():
    from emopipe.models import build_model

    mlp = build_model("mlp", n_features=8, n_outputs=2, hidden=4)
    names = [n for n, _ in cascade_layers(mlp)]
    assert names[0] == "classifier" and names[-1] == "block1.0"
    before = {k: v.clone() for k, v in mlp.state_dict().items()}
    X = np.random.default_rng(1).standard_normal((30, 8)).astype(np.float32)
    mlp.eval()

    def map_of(models):
        (a,) = attribute(models[0], [X], np.zeros(30, int), shapes=[(8,)])
        return np.abs(a).mean(0)

    trained, steps = cascading_randomisation([mlp], map_of)
    assert [s["layer"] for s in steps] == names and [s["step"] for s in steps] == list(
        range(1, len(names) + 1))
    assert all(torch.equal(before[k], v) for k, v in mlp.state_dict().items())
    assert_allclose(trained, map_of([mlp]))


def test_randomisation_flags_a_map_independent_of_the_weights(rng):
    X = rng.standard_normal((50, 12)).astype(np.float32)

    def map_of(models):
        (a,) = attribute(models[0], [X], np.zeros(50, int), shapes=[(12,)], method="saliency")
        return np.abs(a).mean(0)

    _, steps = cascading_randomisation([_InputOnly(12)], map_of)
    assert steps[-1]["spearman"] == pytest.approx(1.0) and steps[-1]["spearman"] >= SURVIVES
    # a linear model's map is |w| x mean |x|: randomising w gives exactly the map of the new w
    lin = _Linear(12, 2, seed=3)
    trained, steps = cascading_randomisation([lin], map_of)
    torch.manual_seed(0)
    fresh = nn.Linear(12, 2)
    want = spearman(trained, np.abs(fresh.weight.detach().numpy()[0]))
    assert steps[-1]["spearman"] == pytest.approx(want, rel=1e-6)


def test_raw_window_ig_through_the_band_split_is_complete(rng):
    from emopipe.models import build_model

    torch.manual_seed(0)
    model = build_model("cnn1d", n_channels=2, n_times=128, n_outputs=2, sfreq=64.0,
                        widths=(4, 4, 4)).eval()
    X = rng.standard_normal((6, 2, 128)).astype(np.float32)
    bands = {"theta": (4.0, 8.0), "alpha": (8.0, 14.0), "beta": (14.0, 31.0)}
    target = np.arange(6) % 2
    (ig,) = attribute(model, [X], target, shapes=[(2, 128)], split=[(64.0, bands)], steps=64)
    assert ig.shape == (6, 4, 2)  # (n_windows, 3 bands + rest, n_channels)
    m = attribution_matrix(ig, ("window", "channel", "time"), split=True)  # (6, 2, 4)
    assert m.shape == (6, 2, 4)
    with torch.no_grad():
        fx = model(torch.from_numpy(X))[0].numpy()[np.arange(6), target]
        f0 = model(torch.zeros(1, 2, 128))[0].numpy()[0, target]
    # the components share the straight path from 0 to x, so their attributions add up to
    # IG of the unsplit window (to float precision) ...
    (plain,) = attribute(model, [X], target, shapes=[(2, 128)], steps=64)
    assert_allclose(m.sum(2), plain.sum(2), rtol=1e-4, atol=1e-6 * np.abs(plain).sum(2).max())
    # ... and to f(x) - f(0) up to the quadrature error at the ReLU kinks (< 1 % here)
    assert_allclose(m.reshape(6, -1).sum(1), fx - f0, atol=1e-2 * np.abs(fx - f0).max())
