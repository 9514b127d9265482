"""The synthetic DEAP writer reproduces the real formats and plants recoverable effects."""

import csv
import pickletools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from _deap_cohort import N_TRIALS, RAW_TRIALS, deap_cohort
from emopipe.io._pickle import load_pickle
from emopipe.io.deap import GENEVA_ORDER, RATINGS_HEADER, TWENTE_ORDER
from emopipe.io.synth.deap import write_deap_synth


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return deap_cohort(tmp_path_factory)


def _dat(root, subject):
    return load_pickle(root / "data_preprocessed_python" / f"{subject}.dat")


def test_layout_and_python2_pickle_form(cohort):
    root, truth = cohort
    assert sorted(truth["subjects"]) == ["s01", "s23"]
    assert truth["subjects"]["s01"]["site"] == "twente"
    assert truth["subjects"]["s23"]["site"] == "geneva"
    raw = (root / "data_preprocessed_python" / "s01.dat").read_bytes()
    ops = [(op.name, arg) for op, arg, _ in pickletools.genops(raw)]
    names = [o for o, _ in ops]
    assert raw[:2] == b"\x80\x02"
    assert [a for o, a in ops if o == "SHORT_BINSTRING"][:2] == ["labels", "b"]
    assert names.count("BINSTRING") == 2  # the two arrays' bytes as py2 str
    assert "BINUNICODE" not in names
    assert sorted({a for o, a in ops if o == "GLOBAL"}) == [
        "numpy dtype", "numpy ndarray", "numpy.core.multiarray _reconstruct"]
    obj = _dat(root, "s01")
    assert list(obj) == ["labels", "data"]
    assert obj["data"].shape == (N_TRIALS, 40, 8064) and obj["data"].dtype == np.float64
    assert obj["labels"].shape == (N_TRIALS, 4) and obj["labels"].dtype == np.float64
    assert obj["labels"].min() >= 1 and obj["labels"].max() <= 9
    assert_array_equal(obj["labels"], np.round(obj["labels"], 2))


def test_labels_video_order_and_ratings_csv(cohort):
    root, truth = cohort
    with open(root / "metadata_csv" / "participant_ratings.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == RATINGS_HEADER
    for subject, pid in (("s01", 1), ("s23", 23)):
        sub = [r for r in rows[1:] if int(r[0]) == pid]
        assert [int(r[1]) for r in sub] == list(range(1, N_TRIALS + 1))  # presentation
        exp_ids = [int(r[2]) for r in sub]
        assert sorted(exp_ids) == list(range(1, N_TRIALS + 1))
        assert exp_ids != sorted(exp_ids)  # a non-identity permutation
        assert exp_ids == truth["subjects"][subject]["presentation_order"]
        labels = _dat(root, subject)["labels"]
        for r in sub:  # CSV row of Experiment_id e == labels[e - 1] of the .dat
            assert_allclose([float(x) for x in r[4:8]], labels[int(r[2]) - 1])
        fam = [r[8] for r in sub]
        if pid == 23:  # documented: no Familiarity for participants 2, 15, 23
            assert fam == [""] * N_TRIALS
        else:
            assert all(1 <= int(f) <= 5 for f in fam)
        gt = truth["subjects"][subject]["trials"]
        assert_allclose([t["valence"] for t in gt], labels[:, 0])


def test_units_gsr_in_ohm_drops_during_scr(cohort):
    root, truth = cohort
    data = _dat(root, "s01")["data"]
    eeg_rms = data[:, :32].std()
    assert 5 < eeg_rms < 30  # microvolts, not volts
    gsr = data[:, 36]
    tonic = truth["subjects"]["s01"]["params"]["tonic_uS"]
    assert 1e5 < gsr.min() and gsr.max() < 3e6  # ohm for 0.5-5 uS
    assert_allclose(np.median(gsr), 1e6 / tonic, rtol=0.25)
    n_checked = 0
    for i, trial in enumerate(truth["subjects"]["s01"]["trials"]):
        for onset, amp in zip(trial["scrs"], trial["scr_amplitudes_uS"]):
            s = round((3.0 + onset) * 128)
            peak = s + round(1.39 * 128)  # Bateman peak latency for rise 0.75 s, decay 3 s
            if amp > 0.1 and peak < 8064:
                assert gsr[i, peak] < gsr[i, s]  # resistance drops
                n_checked += 1
    assert n_checked >= 3
    assert 29 < data[:, 39].mean() < 37  # degC


def test_planted_alpha_asymmetry_recovered(cohort):
    from scipy.signal import welch

    root, truth = cohort
    asym, valence = [], []
    right = [GENEVA_ORDER.index(c) for c in ("F4", "AF4", "Fp2")]
    left = [GENEVA_ORDER.index(c) for c in ("F3", "AF3", "Fp1")]
    for subject in ("s01", "s23"):
        obj = _dat(root, subject)
        x = obj["data"][:, :32, 384:]  # stimulus part
        f, pxx = welch(x, fs=128.0, nperseg=256, axis=-1)
        alpha = pxx[..., (f >= 8) & (f < 14)].sum(-1)  # (n_trials, 32)
        asym.extend(np.log(alpha[:, right].mean(1)) - np.log(alpha[:, left].mean(1)))
        valence.extend(obj["labels"][:, 0])
    r = np.corrcoef(asym, valence)[0, 1]
    assert r > 0.5, r  # 0.75 here (12 trials); 0.84 on 4 x 40 trials


def test_planted_blinks_visible_and_rate_follows_arousal(cohort):
    root, truth = cohort
    n_blinks, arousal, n_found = [], [], []
    for subject in ("s01", "s23"):
        data = _dat(root, subject)["data"]
        for i, trial in enumerate(truth["subjects"][subject]["trials"]):
            veog = data[i, 33, 384:] - np.median(data[i, 33, 384:])
            above = veog > 60.0
            onsets = np.flatnonzero(above[1:] & ~above[:-1])
            # noise can re-cross the threshold on a blink's flank: merge within 0.2 s
            n_found.append(int(np.sum(np.diff(onsets, prepend=-100) > 0.2 * 128)))
            n_blinks.append(len(trial["blinks"]))
            arousal.append(trial["arousal"])
    assert n_found == n_blinks  # every planted blink, and nothing else, crosses 60 uV
    assert np.corrcoef(n_blinks, arousal)[0, 1] > 0.5


def test_raw_bdf_layout_status_codes_and_site_orders(cohort):
    import pyedflib

    root, truth = cohort
    for subject, order, status_label, high in (("s01", TWENTE_ORDER, "Status", 0),
                                               ("s23", GENEVA_ORDER, "", 0x190000)):
        with pyedflib.EdfReader(str(root / "data_original" / f"{subject}.bdf")) as f:
            labels = f.getSignalLabels()
            assert f.signals_in_file == 48
            assert set(f.getSampleFrequencies()) == {512.0}
            assert labels[:32] == order
            assert labels[32:47] == ["EXG1", "EXG2", "EXG3", "EXG4", "EXG5", "EXG6", "EXG7",
                                     "EXG8", "GSR1", "GSR2", "Erg1", "Erg2", "Resp", "Plet",
                                     "Temp"]
            assert labels[47] == status_label
            status = f.readSignal(47, digital=True).astype(np.int64)
        assert np.all((status & ~0xFF) == high)
        code = status & 0xFF
        on = np.flatnonzero((code != 0) & (np.diff(code, prepend=0) != 0))
        seq = code[on].tolist()
        assert seq == [1, 1] + [2, 3, 4, 5, 1] * RAW_TRIALS + [7]
        t = on / 512.0
        assert t[2] - t[1] == pytest.approx(120.0)  # 2-min baseline
        for k in range(RAW_TRIALS):
            t2, t3, t4, t5 = t[2 + 5 * k: 6 + 5 * k]
            assert (t3 - t2, t4 - t3, t5 - t4) == pytest.approx((1.0, 5.0, 60.0))
        assert truth["subjects"][subject]["raw"]["experiment_ids"] == \
            truth["subjects"][subject]["presentation_order"][:RAW_TRIALS]


def test_same_seed_same_bytes_and_argument_errors(tmp_path):
    a = write_deap_synth(tmp_path / "a", n_subjects=1, n_trials=2, seed=5, raw=False)
    b = write_deap_synth(tmp_path / "b", n_subjects=1, n_trials=2, seed=5, raw=False)
    assert a == b
    fa = (tmp_path / "a" / "data_preprocessed_python" / "s01.dat").read_bytes()
    assert fa == (tmp_path / "b" / "data_preprocessed_python" / "s01.dat").read_bytes()
    with pytest.raises(ValueError, match=r"^n_trials must be in \[1, 40\], got 41\.$"):
        write_deap_synth(tmp_path / "c", n_trials=41)
    with pytest.raises(ValueError, match=r"^raw_trials \(emopipe synth --raw-trials\) must be "
                                         r"in \[1, n_trials = 2\], got 3: .* Lower raw_trials, "
                                         r"leave it unset \(min\(4, n_trials\)\), or skip"):
        write_deap_synth(tmp_path / "c", n_trials=2, raw_trials=3)
    # unset, raw_trials is min(4, n_trials): fewer trials than 4 need no option
    truth = write_deap_synth(tmp_path / "d", n_subjects=1, n_trials=2, seed=5)
    assert truth["raw_trials"] == 2


def test_subject_ids_split_twente_and_geneva_up_to_all_32():
    from emopipe.io.synth.deap import _subject_ids

    # Geneva (s23-s32) takes half, at most its 10; Twente (s01-s22) the rest
    assert _subject_ids(4) == ["s01", "s02", "s23", "s24"]
    assert _subject_ids(5) == ["s01", "s02", "s03", "s23", "s24"]
    every = _subject_ids(32)
    assert every == [f"s{i:02d}" for i in range(1, 33)]
    assert _subject_ids(21) == [f"s{i:02d}" for i in range(1, 12)] + [
        f"s{i:02d}" for i in range(23, 33)]
    with pytest.raises(ValueError, match=r"n_subjects must be <= 32 \(DEAP has 32\), got 33"):
        _subject_ids(33)
