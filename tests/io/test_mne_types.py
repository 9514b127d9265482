"""Typed modalities from MNE Raw objects of real recordings (shared/data/real)."""

import logging
import os

import numpy as np
import pytest
from numpy.testing import assert_allclose

from emopipe.features.eog import detect_blinks, pick_eog_pair
from emopipe.io._mne import infer_channel_types, typed_modalities

mne = pytest.importorskip("mne")


@pytest.fixture(scope="module")
def bdf_raw(real_data_dir):
    return mne.io.read_raw_bdf(os.path.join(real_data_dir, "biosemi-bdf", "test.bdf"),
                               preload=True, verbose=False)


@pytest.fixture(scope="module")
def edf_raw(real_data_dir):
    return mne.io.read_raw_edf(
        os.path.join(real_data_dir, "edf-eeg-eog-ecg", "test_edf_stim_channel.edf"),
        infer_types=True, preload=True, verbose=False)


@pytest.fixture(scope="module")
def vhdr_raw(real_data_dir):
    return mne.io.read_raw_brainvision(
        os.path.join(real_data_dir, "brainvision-eeg-eog", "test.vhdr"), preload=True,
        verbose=False)


def test_biosemi_exg_channels(bdf_raw):
    mods = typed_modalities(bdf_raw)
    assert mods["eog"].ch_names == ["REOG", "LEOG", "IEOG"]
    assert mods["eog"].unit == "V" and mods["eog"].data.shape == (1, 3, 2048)
    # unnamed external electrodes are not scalp EEG; M1/M2 keep MNE's type
    assert mods["misc"].ch_names == ["EXG1", "EXG5", "EXG8"]
    assert len(mods["eeg"].ch_names) == 66 and "M1" in mods["eeg"].ch_names
    assert mods["stim"].ch_names == ["Status"]
    assert_allclose(mods["eog"].data[0], bdf_raw.get_data(picks=["REOG", "LEOG", "IEOG"]))
    assert bdf_raw.get_channel_types(picks=["REOG"]) == ["eeg"]  # the Raw is untouched
    # the DEAP layout maps EXG1 to EOG and EXG5/EXG8 to EMG
    mods = typed_modalities(bdf_raw, exg="deap")
    assert mods["eog"].ch_names == ["EXG1", "REOG", "LEOG", "IEOG"]
    assert mods["emg"].ch_names == ["EXG5", "EXG8"]


def test_edf_infer_types(edf_raw):
    mods = typed_modalities(edf_raw)
    assert mods["eog"].ch_names == ["VEOG_I", "VEOG_II"]
    assert mods["ecg"].ch_names == ["ECG1", "ECG2"]
    assert mods["stim"].ch_names == ["DIG DTRIG"]
    assert "DIG DTRIG" not in mods["eeg"].ch_names and len(mods["eeg"].ch_names) == 20
    assert mods["eog"].sfreq == 128.0


def test_brainvision_garbled_eog_units(vhdr_raw):
    mods = typed_modalities(vhdr_raw)
    eog = mods["eog"]
    assert eog.ch_names == ["HL", "HR", "Vb"] and eog.unit == "V"
    # MNE scaled HR by 1e-6 ('uS') but HL and Vb by 1 ('ARU', 'S'): all must now be V,
    # i.e. integer multiples of the 0.5-uV resolution
    steps = eog.data[0] / 0.5e-6
    assert_allclose(steps, np.round(steps), atol=1e-6)
    assert np.all(np.ptp(eog.data[0], axis=1) < 1e-3)  # tens of uV, not tens of V
    raw_hl = vhdr_raw.get_data(picks=["HL"])[0]
    assert_allclose(eog.data[0, 0], raw_hl * 1e-6)
    assert "CP5" in mods["misc"].ch_names and "HL" not in mods["misc"].ch_names


def test_blinks_on_real_edf(edf_raw):
    eog = typed_modalities(edf_raw)["eog"]
    picks = pick_eog_pair(eog.ch_names, ["eog"] * 2)
    veog, heog = picks.derive(eog.data[0])
    assert heog is None
    sfreq = eog.sfreq
    blinks = detect_blinks(veog, sfreq)
    assert len(blinks) >= 1
    dur_s = veog.size / sfreq
    assert np.all((blinks.duration >= 0.1) & (blinks.duration <= 0.4))
    assert np.all((blinks.onset >= 0) & (blinks.onset + blinks.duration <= dur_s))
    assert np.all(blinks.amplitude > blinks.info["threshold"])
    # independent check: at each peak the raw derivation exceeds its median over the
    # surrounding 2 s by at least the threshold
    for t in blinks.peak_time:
        i = int(round(t * sfreq))
        local = np.median(veog[max(0, i - int(sfreq)):i + int(sfreq)])
        assert veog[max(0, i - 3):i + 4].max() - local > blinks.info["threshold"]


def test_infer_channel_types_rules_and_errors(caplog):
    names = ["Fp1", "EXG3", "GSR1", "Erg1", "Resp", "Plet", "Temp", "Status", "hEOG"]
    types = infer_channel_types(names, ["eeg"] * 8 + ["misc"])
    assert types == ["eeg", "misc", "gsr", "misc", "resp", "ppg", "temp", "stim", "eog"]
    types = infer_channel_types(names, ["eeg"] * 9, exg="deap", overrides={"eog": ["Fp1"]})
    assert types[:2] == ["eog", "eog"]
    with pytest.raises(ValueError, match=r"eog=\['Fp9'\]: channel 'Fp9' is not in the recording"):
        infer_channel_types(names, ["eeg"] * 9, overrides={"eog": ["Fp9"]})
    with pytest.raises(ValueError, match="Invalid value for the 'exg' parameter.*'deap'"):
        infer_channel_types(names, ["eeg"] * 9, exg="deep")
    with pytest.raises(TypeError, match="raw must be an instance of mne.io.Raw"):
        typed_modalities(np.zeros((2, 10)))


def test_mixed_units_logged(vhdr_raw, caplog):
    with caplog.at_level(logging.INFO, logger="emopipe"):
        mods = typed_modalities(vhdr_raw, verbose="info")
    assert mods["misc"].unit == "a.u."
    assert "misc channels have mixed units" in caplog.text


def test_deap_layout_bdf_gsr_in_ohm(tmp_path):
    # the synthetic DEAP raw BDF: default BioSemi labels, GSR1/GSR2 with header unit 'Ohm'
    import glob

    from emopipe.features.gsr import to_conductance
    from emopipe.io.synth.deap import write_deap_synth

    write_deap_synth(tmp_path, n_subjects=1, n_trials=1, raw=True, raw_trials=1)
    (fname,) = glob.glob(os.path.join(tmp_path, "data_original", "*.bdf"))
    raw = mne.io.read_raw_bdf(fname, verbose=False)
    mods = typed_modalities(raw, exg="deap")
    assert mods["eog"].ch_names == ["EXG1", "EXG2", "EXG3", "EXG4"]
    assert mods["emg"].ch_names == ["EXG5", "EXG6", "EXG7", "EXG8"]
    assert mods["gsr"].ch_names == ["GSR1", "GSR2"]
    # MNE marks every BDF channel as volts but leaves 'Ohm' values unscaled
    assert mods["gsr"].unit == "ohm" and mods["gsr"].source_unit == "Ohm"
    g = to_conductance(mods["gsr"].data[0, 0], mods["gsr"].unit)
    assert 0.1e-6 < np.median(g) < 20e-6  # the writer plants 0.5-5 uS
    assert mods["resp"].unit == "a.u." and mods["ppg"].ch_names == ["Plet"]
    assert mods["misc"].ch_names == ["Erg1", "Erg2"] and mods["stim"].ch_names == ["Status"]


def test_exg_roles_come_from_the_dataset_layout(bdf_raw):
    from emopipe.io import DEAP

    layout = DEAP.exg_layout()
    assert layout == {"exg1": ("eog", "h+"), "exg2": ("eog", "h-"), "exg3": ("eog", "v+"),
                      "exg4": ("eog", "v-"), "exg5": ("emg", None), "exg6": ("emg", None),
                      "exg7": ("emg", None), "exg8": ("emg", None)}
    # named EOG channels keep their names' roles; only EXG1 takes one from the layout
    eog = typed_modalities(bdf_raw, exg="deap")["eog"]
    assert eog.ch_roles == {"EXG1": "h+"}
    assert typed_modalities(bdf_raw)["eog"].ch_roles == {}
    # a lab's own wiring, given as a mapping
    mods = typed_modalities(bdf_raw, exg={"EXG1": ("eog", "v+"), "EXG5": "emg"})
    assert mods["eog"].ch_names == ["EXG1", "REOG", "LEOG", "IEOG"]
    assert mods["eog"].ch_roles == {"EXG1": "v+"} and mods["emg"].ch_names == ["EXG5"]


def test_pick_eog_pair_reads_roles_recorded_on_the_modality():
    from emopipe.io import Modality

    names = ["EXG1", "EXG2", "EXG3", "EXG4"]
    roles = {"EXG1": "h+", "EXG2": "h-", "EXG3": "v+", "EXG4": "v-"}
    mod = Modality(np.zeros((1, 4, 10)), 128.0, names, "V", ch_roles=roles)
    picks = pick_eog_pair(mod.ch_names, ["eog"] * 4, roles=mod.ch_roles)
    assert picks.describe() == {"veog": "EXG3 - EXG4", "heog": "EXG1 - EXG2"}
    with pytest.raises(ValueError, match=r"roles\['EXG1'\] = 'up' is not an EOG role"):
        pick_eog_pair(names, ["eog"] * 4, roles={"EXG1": "up"})
