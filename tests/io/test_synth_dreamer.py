"""The synthetic DREAMER writer: planted effects are in the file, seeds reproduce it."""

import json

import numpy as np
import pytest
import scipy.io

from emopipe.io.synth.dreamer import ALPHA_LEFT, ALPHA_RIGHT, write_dreamer_synth
from emopipe.utils._errors import ConfigError

EEG = ["AF3", "F7", "F3", "FC5", "T7", "P7", "O1", "O2", "P8", "T8", "FC6", "F4", "F8", "AF4"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("dreamer_synth")
    truth = write_dreamer_synth(root, n_subjects=2, n_trials=6, seed=4, scenario="legacy",
                                baseline_s=2.0, stimulus_s=(20.0, 24.0))
    return scipy.io.loadmat(root / "DREAMER.mat")["DREAMER"][0, 0], truth


def _alpha_power(x):
    """Periodogram power in 8-14 Hz per channel of a (n_times, n_channels) segment."""
    f = np.fft.rfftfreq(x.shape[0], 1 / 128.0)
    p = np.abs(np.fft.rfft(x, axis=0)) ** 2
    return p[(f >= 8) & (f < 14)].sum(axis=0)


def test_r_peaks_of_the_ecg_are_the_planted_beats(written):
    mat, truth = written
    for s, sub in enumerate(truth["subjects"].values()):
        for t, trial in enumerate(sub["trials"]):
            ecg = mat["Data"][0, s]["ECG"][0, 0]["stimuli"][t, 0][:, 0]
            for peak in trial["r_peaks_s"][1:-1]:
                i = round(peak * 256)
                lo = i - 25
                assert abs(lo + int(np.argmax(ecg[lo:i + 26])) - i) <= 1


def test_planted_alpha_asymmetry_is_in_the_stimulus_eeg(written):
    mat, truth = written
    right = [EEG.index(c) for c in ALPHA_RIGHT]
    left = [EEG.index(c) for c in ALPHA_LEFT]
    for s, sub in enumerate(truth["subjects"].values()):
        resid = []
        for t, trial in enumerate(sub["trials"]):
            p = _alpha_power(mat["Data"][0, s]["EEG"][0, 0]["stimuli"][t, 0])
            measured = np.log(p[right]).mean() - np.log(p[left]).mean()
            resid.append(measured - trial["planted_ln_alpha_asymmetry"])
        # channel gains shift every trial of a subject alike; the rest is periodogram noise
        # (about 120 bins x 3 channels per side: SD of a side's mean ln power ~ 0.06)
        assert np.std(resid) < 0.25
    planted = [t["planted_ln_alpha_asymmetry"] for s in truth["subjects"].values()
               for t in s["trials"]]
    assert np.ptp(planted) > 2.0  # legacy: 0.5 ln per score point over 1-5 scores


def test_the_seed_reproduces_the_file(tmp_path):
    kw = dict(n_subjects=1, n_trials=2, seed=9, baseline_s=1.0, stimulus_s=(2.0, 3.0))
    a = write_dreamer_synth(tmp_path / "a", **kw)
    b = write_dreamer_synth(tmp_path / "b", **kw)
    assert json.dumps(a) == json.dumps(b)  # NaN strengths (two clips) compare as text
    ma = scipy.io.loadmat(tmp_path / "a" / "DREAMER.mat")["DREAMER"][0, 0]["Data"][0, 0]
    mb = scipy.io.loadmat(tmp_path / "b" / "DREAMER.mat")["DREAMER"][0, 0]["Data"][0, 0]
    np.testing.assert_array_equal(ma["EEG"][0, 0]["stimuli"][1, 0],
                                  mb["EEG"][0, 0]["stimuli"][1, 0])
    c = write_dreamer_synth(tmp_path / "c", **{**kw, "seed": 10})
    assert c["subjects"]["s01"]["trials"] != a["subjects"]["s01"]["trials"]


def test_scores_are_integers_on_1_to_5_and_bad_sizes_are_refused(written, tmp_path):
    mat, truth = written
    scores = np.concatenate([mat["Data"][0, s]["ScoreValence"].ravel() for s in range(2)])
    assert set(scores.tolist()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    with pytest.raises(ConfigError, match=r"n_trials must be in \[1, 18\] \(DREAMER has 18\), "
                                          r"got 19\."):
        write_dreamer_synth(tmp_path, n_trials=19)
    with pytest.raises(ConfigError, match=r"baseline_s must be > 0 and a whole number of 1/128 s"):
        write_dreamer_synth(tmp_path, baseline_s=0.001)
