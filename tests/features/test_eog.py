"""EOG: planted blinks and saccades recovered, window features, channel picks, bad input."""

import logging

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from _event_matching import f1_score
from emopipe.features._base import MODALITY_EXTRACTORS
from emopipe.features._windows import WindowGrid
from emopipe.features.eog import (
    EventTable,
    detect_blinks,
    detect_saccades,
    eog_window_features,
    pick_eog_pair,
)
from emopipe.io._types import Modality

SFREQ = 128.0


def _blink(sfreq, rise, fall):
    """Raised-cosine rise then fall, peak 1; starts at sample 0."""
    tr = np.arange(int(round(rise * sfreq))) / sfreq
    tf = np.arange(int(round(fall * sfreq))) / sfreq
    return np.concatenate([0.5 * (1 - np.cos(np.pi * tr / rise)), 0.5 * (1 + np.cos(np.pi * tf / fall))])


def make_veog(rng, *, sfreq=SFREQ, duration=60.0, n=15, noise=2e-6):
    """vEOG with ``n`` blinks (100-300 uV, 230-370 ms) on a slow drift; true onsets in s."""
    n_times = int(duration * sfreq)
    t = np.arange(n_times) / sfreq
    x = 30e-6 * np.sin(2 * np.pi * 0.05 * t + rng.uniform(0, 2 * np.pi))
    gap = (duration - 3) / n
    onsets = []
    for i in range(n):
        i0 = int(round((1 + i * gap + rng.uniform(0, 0.5 * gap)) * sfreq))
        shape = _blink(sfreq, rng.uniform(0.08, 0.12), rng.uniform(0.15, 0.25))
        x[i0:i0 + shape.size] += rng.uniform(100e-6, 300e-6) * shape
        onsets.append(i0 / sfreq)
    return x + noise * rng.standard_normal(n_times), np.array(onsets)


def make_heog(rng, *, sfreq=SFREQ, duration=60.0, n=30, noise=2e-6):
    """hEOG with ``n`` saccades (50-200 uV steps of 30-80 ms, sin**2 velocity); true onsets."""
    n_times = int(duration * sfreq)
    t = np.arange(n_times) / sfreq
    vel = np.zeros(n_times)
    gap = (duration - 3) / n
    onsets = []
    for i in range(n):
        i0 = int(round((1 + i * gap + rng.uniform(0, 0.5 * gap)) * sfreq))
        m = int(round(rng.uniform(0.03, 0.08) * sfreq))
        prof = np.sin(np.pi * (np.arange(m) + 0.5) / m) ** 2
        vel[i0:i0 + m] += rng.uniform(50e-6, 200e-6) * rng.choice([-1, 1]) * prof / prof.sum()
        onsets.append(i0 / sfreq)
    x = np.cumsum(vel) + 20e-6 * np.sin(2 * np.pi * 0.03 * t)
    return x + noise * rng.standard_normal(n_times), np.array(onsets)


# ---------------------------------------------------------------- detection
@pytest.mark.parametrize("sfreq", [128.0, 512.0])
def test_blinks_clean_onsets_within_20ms(rng, sfreq):
    x, true = make_veog(rng, sfreq=sfreq)
    blinks = detect_blinks(x, sfreq)
    assert isinstance(blinks, EventTable) and blinks.kind == "blink"
    f1, err = f1_score(true, blinks.onset, 0.02)
    assert f1 >= 0.9
    assert len(err) == len(true) and np.all(np.abs(err) <= 0.02)
    # planted blinks last 230-370 ms and peak at 100-300 uV
    assert np.all((blinks.duration > 0.2) & (blinks.duration < 0.4))
    assert np.all((blinks.amplitude > 90e-6) & (blinks.amplitude < 310e-6))
    assert np.all(blinks.peak_time > blinks.onset) and np.all(blinks.peak_velocity > 0)


def test_blinks_moderate_noise(rng):
    # 20 uV white noise (about 10 % of a blink): detection degrades, not collapses
    x, true = make_veog(rng, noise=20e-6)
    f1, err = f1_score(true, detect_blinks(x, SFREQ).onset, 0.02)
    assert f1 >= 0.7


@pytest.mark.parametrize("sfreq", [128.0, 512.0])
def test_saccades_clean_onsets_within_20ms(rng, sfreq):
    x, true = make_heog(rng, sfreq=sfreq)
    sacc = detect_saccades(x, sfreq)
    f1, err = f1_score(true, sacc.onset, 0.02)
    assert f1 >= 0.9
    assert np.all(np.abs(err) <= 0.02)
    # planted steps are 50-200 uV; the Gaussian smoothing spreads them slightly
    assert np.median(sacc.amplitude) > 50e-6 and np.all(sacc.amplitude < 230e-6)
    assert set(np.unique(sacc.info["direction"])) == {-1.0, 1.0}


def test_saccades_moderate_noise(rng):
    x, true = make_heog(rng, noise=10e-6)
    f1, _ = f1_score(true, detect_saccades(x, SFREQ).onset, 0.02)
    assert f1 >= 0.7


def test_blink_is_not_a_saccade_step(rng):
    # a vertical step (gaze shift) lasts longer than max_duration: not a blink
    x = np.zeros(int(10 * SFREQ))
    x[int(5 * SFREQ):] = 200e-6
    x += 1e-6 * rng.standard_normal(x.size)
    assert len(detect_blinks(x, SFREQ)) == 0


def test_threshold_is_mad_based(rng):
    x, _ = make_veog(rng)
    blinks = detect_blinks(x, SFREQ, k=5.0)
    assert_allclose(blinks.info["threshold"], 5.0 * blinks.info["robust_sd"])
    # an explicit threshold above every blink finds none
    assert len(detect_blinks(x, SFREQ, threshold=1e-3)) == 0


def test_event_table_contract():
    tab = EventTable([2.0, 1.0], [0.2, 0.3], [1e-4, 2e-4], [1e-3, 2e-3], [2.1, 1.1], kind="blink")
    assert len(tab) == 2
    assert_array_equal(tab.onset, [1.0, 2.0])  # sorted by onset, rows kept together
    assert_array_equal(tab.amplitude, [2e-4, 1e-4])
    assert_allclose(tab.rise_time, [0.1, 0.1])
    assert set(tab.to_dict()) == {"onset", "duration", "amplitude", "peak_velocity", "peak_time"}
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        EventTable([1.0], [0.2, 0.3], [1.0], [1.0], [1.0])


# ---------------------------------------------------------------- bad input
def test_flat_and_saturated_channels_warn(rng, caplog):
    flat = np.full(int(20 * SFREQ), 1e-5)
    with caplog.at_level(logging.WARNING, logger="emopipe"):
        tab = detect_blinks(flat, SFREQ)
    assert len(tab) == 0 and tab.info["quality"] == "flat"
    assert "vEOG signal is flat" in caplog.text
    x, _ = make_heog(rng, duration=20.0)
    clipped = np.clip(x, None, np.quantile(x, 0.9))  # 10 % of samples at the rail
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="emopipe"):
        tab = detect_saccades(clipped, SFREQ)
    assert len(tab) == 0 and tab.info["quality"] == "saturated"
    assert "hEOG signal is saturated" in caplog.text


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"veog must be a 1-D signal .* got shape \(2, 10\)"):
        detect_blinks(np.zeros((2, 10)), SFREQ)
    with pytest.raises(ValueError, match="min_duration < max_duration"):
        detect_blinks(np.ones(100), SFREQ, min_duration=0.5, max_duration=0.4)
    x = np.ones(100)
    x[3] = np.nan
    with pytest.raises(ValueError, match="heog contains 1 NaN"):
        detect_saccades(x, SFREQ)


# ---------------------------------------------------------------- channel picks
# roles of EXG electrodes as DEAP's layout declares them (Modality.ch_roles)
_DEAP_EXG_ROLES = {"EXG1": "h+", "EXG2": "h-", "EXG3": "v+", "EXG4": "v-"}


@pytest.mark.parametrize(
    "names, types, roles, veog, heog",
    [
        (["Fp1", "hEOG", "vEOG", "GSR"], None, None, "vEOG", "hEOG"),  # DEAP bipolar
        (["EOG VEOG_I", "EOG VEOG_II", "ECG1"], None, None, "EOG VEOG_I - EOG VEOG_II", None),
        (["Fz", "REOG", "LEOG", "IEOG"], None, None, "-IEOG", "LEOG - REOG"),  # BioSemi test.bdf
        (["HL", "HR", "Vb"], None, None, "-Vb", "HL - HR"),  # BrainVision test file
        (["EXG1", "EXG2", "EXG3", "EXG4"], ["eog"] * 4, _DEAP_EXG_ROLES, "EXG3 - EXG4",
         "EXG1 - EXG2"),
        (["Fz", "E1"], ["eeg", "eog"], None, "E1", None),
    ],
)
def test_pick_eog_pair(names, types, roles, veog, heog):
    picks = pick_eog_pair(names, types, roles=roles)
    assert picks.describe() == {"veog": veog, "heog": heog}


def test_pick_eog_pair_derives_and_errors():
    picks = pick_eog_pair(["vEOG1", "vEOG2", "hEOG"])
    data = np.array([[3.0, 3.0], [1.0, 2.0], [5.0, 6.0]])
    v, h = picks.derive(data)
    assert_array_equal(v, [2.0, 1.0]) and assert_array_equal(h, [5.0, 6.0]) is None
    with pytest.raises(ValueError, match=r"No vertical EOG channel found among 2 channels "
                                         r"\('Fz', 'hEOG'\)\. Name it 'vEOG'"):
        pick_eog_pair(["Fz", "hEOG"])
    # BioSemi EXG channels are not EOG unless typed so
    with pytest.raises(ValueError, match="No vertical EOG channel"):
        pick_eog_pair(["EXG1", "EXG2", "EXG3", "EXG4"])


# ---------------------------------------------------------------- window features
def _eog_modality(rng, n_trials=2, baseline=3.0, duration=40.0):
    """(n_trials, 2, n_times) EOG with blinks and saccades; onsets relative to trial start."""
    trials, blinks, saccs = [], [], []
    for _ in range(n_trials):
        v, bon = make_veog(rng, duration=baseline + duration, n=12)
        h, son = make_heog(rng, duration=baseline + duration, n=20)
        trials.append(np.stack([h, v]))
        blinks.append(bon)
        saccs.append(son)
    return Modality(np.stack(trials), SFREQ, ["hEOG", "vEOG"], "V"), blinks, saccs


def test_window_features_count_events_by_onset(rng):
    mod, blinks, saccs = _eog_modality(rng)
    grid = WindowGrid.from_duration([40.0, 40.0], 4.0, baseline=3.0)
    feats = eog_window_features(mod, grid)
    n_w = grid.n_windows
    assert n_w == 20
    for key in ("blink", "saccade"):
        truth = blinks if key == "blink" else saccs
        expected = []
        for t in range(2):
            starts = 3.0 + grid.onsets[t]
            expected += [np.sum((truth[t] >= s) & (truth[t] < s + 4.0)) for s in starts]
        count = feats[f"{key}_count"].data
        assert count.shape == (n_w,)
        # an onset near a window edge may land in the neighbour: compare totals and most windows
        assert abs(count.sum() - sum(expected)) <= 1
        assert np.mean(count == np.array(expected)) >= 0.9
        assert_allclose(feats[f"{key}_rate"].data, count / 4.0 * 60.0)
        empty = count == 0
        assert np.all(np.isfinite(feats[f"{key}_duration"].data))
        assert_array_equal(feats[f"{key}_duration"].data[empty], 0.0)
        assert_array_equal(feats[f"{key}_amplitude"].data[empty], 0.0)
        assert np.all(feats[f"{key}_amplitude"].data[~empty] > 40e-6)
    assert feats["blink_count"].attrs["quality"] == ["ok"]
    bp = feats["band_power"]
    assert bp.data.shape == (n_w, 2, 3) and bp.dims == ("window", "channel", "band")
    assert bp.attrs["ch_names"] == ["vEOG", "hEOG"] and bp.attrs["band_names"] == ["delta", "theta", "alpha"]
    assert_allclose(feats["de"].data, 0.5 * np.log(2 * np.pi * np.e * bp.data))
    raw = feats["raw"]
    assert raw.data.shape == (n_w, 2, 512) and raw.dims == ("window", "channel", "time")
    # window 1 of trial 1 starts 3 s + 4 s into the trial; channel 0 is vEOG (input channel 1)
    assert_array_equal(raw.data[11, 0], mod.data[1, 1, 7 * 128:11 * 128])


def test_band_power_of_a_sinusoid():
    # A 6-Hz tone of amplitude A in theta gives A**2 / 2 there (2-s Welch segments, 0.5-Hz bins)
    t = np.arange(int(13 * SFREQ)) / SFREQ
    v = 50e-6 * np.sin(2 * np.pi * 6.0 * t)
    mod = Modality(np.stack([v])[None], SFREQ, ["vEOG"], "V")
    grid = WindowGrid.from_duration([10.0], 4.0, baseline=3.0)
    feats = eog_window_features(mod, grid, raw=False)
    assert "raw" not in feats and "saccade_count" not in feats
    bp = feats["band_power"].data  # (n_windows, 1, 3)
    assert_allclose(bp[:, 0, 1], (50e-6) ** 2 / 2, rtol=0.02)
    assert np.all(bp[:, 0, [0, 2]] < 0.01 * bp[:, 0, 1][:, None])


def test_extractor_registry_flat_channel_and_errors(rng, caplog):
    extract = MODALITY_EXTRACTORS.get("eog")
    mod, _, _ = _eog_modality(rng, n_trials=2, duration=8.0)
    mod.data[1, 1] = 0.0  # vEOG of trial 1 disconnected
    grid = WindowGrid.from_duration([8.0, 8.0], 4.0, baseline=3.0)
    with caplog.at_level(logging.WARNING, logger="emopipe"):
        feats = extract(mod, grid, {"blink": {"k": 4.0}, "raw": False})
    assert "trial 1 vEOG: flat" in caplog.text
    assert feats["blink_count"].attrs["quality"] == ["trial 1 vEOG: flat"]
    assert_array_equal(feats["blink_count"].data[2:], 0)
    assert_allclose(feats["de"].data[2:, 0], 0.5 * np.log(2 * np.pi * np.e * 1e-24))
    with pytest.raises(ValueError, match="Unknown blink parameter 'kk'.*Did you mean 'k'"):
        extract(mod, grid, {"blink": {"kk": 4.0}})
    with pytest.raises(ValueError, match="Unknown eog parameter 'band'"):
        extract(mod, grid, {"band": {}})
    with pytest.raises(ValueError, match="The eog modality is empty"):
        extract(Modality(np.zeros((0, 2, 10)), SFREQ, ["hEOG", "vEOG"], "V"), grid, {})
    with pytest.raises(ValueError, match="grid has 1 trials but the eog modality has 2"):
        extract(mod, WindowGrid.from_duration([8.0], 4.0, baseline=3.0), {})


def test_names_win_over_exg_layout():
    # typed_modalities(raw, exg="deap") on test.bdf gives EXG1 (unconnected) + REOG/LEOG/IEOG
    picks = pick_eog_pair(["EXG1", "REOG", "LEOG", "IEOG"], ["eog"] * 4)
    assert picks.describe() == {"veog": "-IEOG", "heog": "LEOG - REOG"}
