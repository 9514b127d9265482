"""The synthetic AMIGOS writer: planted SCRs and labels are in the files, seeds reproduce them."""

import json

import numpy as np
import pytest
import scipy.io

from emopipe.io.synth.amigos import write_amigos_synth
from emopipe.utils._errors import ConfigError


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("amigos_synth")
    truth = write_amigos_synth(root, n_subjects=2, seed=2, scenario="legacy", short_s=(30.0, 40.0),
                               long_s=(30.0, 40.0))
    return root, truth


def test_gsr_is_resistance_in_kohm_holding_the_planted_scrs(written):
    root, truth = written
    mat = scipy.io.loadmat(root / "Data_Preprocessed_P02" / "Data_Preprocessed_P02.mat")
    sub = truth["subjects"]["P02"]
    tk = np.arange(20 * 128) / 128.0
    kernel = np.exp(-tk / 3.0) - np.exp(-tk / 0.75)
    kernel /= kernel.max()
    n_scr = 0
    for trial in sub["trials"][:16]:
        g = 1000.0 / mat["joined_data"][0, trial["cell"] - 1][:, 16]  # kOhm -> uS
        planted = np.full(g.size, sub["params"]["tonic_uS"])
        for onset, amp in zip(trial["scr_onsets_s"], trial["scr_amplitudes_uS"]):
            i = round(onset * 128)
            seg = kernel[:g.size - i]
            planted[i:i + seg.size] += amp * seg
            n_scr += 1
        # what is left is the writer's white noise (SD 0.002 uS): 6 SD
        assert np.abs(g - planted).max() < 0.012
    assert n_scr > 10


def test_labels_are_the_self_reports_arousal_first_and_the_annotations(written):
    root, truth = written
    mat = scipy.io.loadmat(root / "Data_Preprocessed_P01" / "Data_Preprocessed_P01.mat")
    for trial in truth["subjects"]["P01"]["trials"]:
        sa = mat["labels_selfassessment"][0, trial["cell"] - 1]
        ext = mat["labels_ext_annotation"][0, trial["cell"] - 1]
        if trial["skip_reason"] == "empty joined_data cell":
            assert sa.shape == (1, 0) and ext.size == 0
            continue
        assert sa[0, 0] == trial["arousal"] and sa[0, 1] == trial["valence"]
        # legacy: the self-report is the latent itself
        assert (sa[0, 0], sa[0, 1]) == (trial["latent"]["arousal"], trial["latent"]["valence"])
        assert ext[:, 1].mean() == pytest.approx(trial["ext_valence"], abs=1e-12)
        assert ext.shape[0] == trial["duration_s"] // 20


def test_the_seed_reproduces_the_cohort_and_bad_settings_are_refused(tmp_path):
    kw = dict(n_subjects=1, seed=5, short_s=(2.0, 3.0), long_s=(4.0, 5.0))
    a, b = write_amigos_synth(tmp_path / "a", **kw), write_amigos_synth(tmp_path / "b", **kw)
    assert json.dumps(a) == json.dumps(b)
    with pytest.raises(ConfigError, match=r"n_subjects must be in \[1, 40\] \(AMIGOS has 40\)"):
        write_amigos_synth(tmp_path, n_subjects=41)
    with pytest.raises(ConfigError, match=r"short_s must be \(shortest, longest\)"):
        write_amigos_synth(tmp_path, short_s=(5.0, 4.0))
