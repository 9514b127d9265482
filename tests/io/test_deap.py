"""DEAP readers read back exactly what the format-faithful writer wrote."""

import logging
import pickle
import shutil

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from _deap_cohort import N_TRIALS, RAW_TRIALS, deap_cohort
from emopipe.io import (
    DATASETS,
    DEAP,
    binarize_labels,
    load_pickle,
    read_deap_matlab,
    read_deap_preprocessed,
    read_deap_raw,
    read_participant_ratings,
)
from emopipe.io._bdf import _read_bdf_header
from emopipe.io.deap import GENEVA_ORDER, PREPROCESSED_CHANNELS
from emopipe.io.synth._pickle2 import write_py2_pickle

LABELS = ("valence", "arousal", "dominance", "liking")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    return deap_cohort(tmp_path_factory)


@pytest.fixture(scope="module")
def raw_recs(cohort):
    root, _ = cohort
    return {s: DEAP.read_subject(root, s, source="raw") for s in ("s01", "s23")}


def _file_arrays(root, subject):
    obj = load_pickle(root / "data_preprocessed_python" / f"{subject}.dat")
    return obj["data"], obj["labels"]


def _demean(x):
    return x - x.mean(axis=-1, keepdims=True)


def test_registry_and_subjects(cohort):
    root, _ = cohort
    assert DATASETS.get("deap") is DEAP
    with pytest.raises(KeyError, match=r"Dataset 'deep' not found\. Available datasets: .*"
                                       r"Did you mean 'deap'\?"):
        DATASETS.get("deep")
    assert DEAP.subjects(root) == ["s01", "s23"]
    assert DEAP().subjects(root) == ["s01", "s23"]


def test_preprocessed_units_shapes_labels(cohort):
    root, truth = cohort
    data, labels = _file_arrays(root, "s23")
    rec = DEAP().read_subject(root, "s23")
    assert rec.dataset == "deap" and rec.subject == "s23" and rec.baseline == 3.0
    assert list(rec.modalities) == ["eeg", "eog", "emg", "gsr", "resp", "ppg", "temp"]
    eeg = rec.modalities["eeg"]
    assert eeg.ch_names == GENEVA_ORDER and eeg.sfreq == 128.0
    assert (eeg.unit, eeg.source_unit) == ("V", "uV")
    assert eeg.data.shape == (N_TRIALS, 32, 8064)
    assert_allclose(eeg.data, data[:, :32] * 1e-6, rtol=1e-15)
    assert rec.modalities["eog"].ch_names == ["hEOG", "vEOG"]
    assert_allclose(rec.modalities["eog"].data, data[:, 32:34] * 1e-6, rtol=1e-15)
    assert rec.modalities["emg"].ch_names == ["zEMG", "tEMG"]
    gsr = rec.modalities["gsr"]
    assert (gsr.unit, gsr.source_unit, gsr.ch_names) == ("ohm", "ohm", ["GSR"])
    assert_array_equal(gsr.data[:, 0], data[:, 36])  # as the file holds it
    assert rec.modalities["temp"].unit == "degC" and rec.modalities["resp"].unit == "a.u."
    assert_array_equal(rec.trial_ids, np.arange(1, N_TRIALS + 1))
    for j, name in enumerate(LABELS):
        assert_array_equal(rec.labels[name], labels[:, j])
        assert_array_equal(rec.labels[name], [t[name] for t in truth["subjects"]["s23"]["trials"]])
    # ratings CSV found under root: presentation positions attached per video
    assert_array_equal(rec.info["presentation_trial"],
                       [t["presentation_trial"] for t in truth["subjects"]["s23"]["trials"]])
    assert np.isnan(rec.info["familiarity"]).all()  # participant 23 has none
    assert rec.sources == [str((root / "data_preprocessed_python" / "s23.dat").resolve())]


def test_matlab_reader_matches_python_reader(cohort):
    root, _ = cohort
    a = read_deap_preprocessed(root / "data_preprocessed_python" / "s01.dat")
    b = read_deap_matlab(root / "data_preprocessed_matlab" / "s01.mat")
    c = DEAP.read_subject(root, "s01", source="preprocessed_matlab")
    for mod in a.modalities:
        assert_array_equal(a.modalities[mod].data, b.modalities[mod].data)
        assert_array_equal(a.modalities[mod].data, c.modalities[mod].data)
    assert_array_equal(a.labels["liking"], b.labels["liking"])


def test_raw_twente_and_geneva_give_canonical_order_and_video_order(cohort, raw_recs):
    root, truth = cohort
    for subject, rec in raw_recs.items():
        gt = truth["subjects"][subject]
        presented = gt["presentation_order"][:RAW_TRIALS]  # Experiment_id of trials 1, 2
        assert presented != sorted(presented)  # seed chosen so order matters here
        assert_array_equal(rec.trial_ids, sorted(presented))
        assert_array_equal(rec.info["presentation_trial"],
                           [presented.index(e) + 1 for e in sorted(presented)])
        assert rec.info["eeg_order_in_file"] == gt["site"]
        assert rec.modalities["eeg"].ch_names == GENEVA_ORDER
        assert rec.modalities["eeg"].data.shape == (RAW_TRIALS, 32, 8064)
        assert rec.modalities["eog"].unit == "V" and rec.modalities["gsr"].unit == "ohm"
        pre, labels = _file_arrays(root, subject)
        idx = rec.trial_ids - 1
        for j, name in enumerate(LABELS):
            assert_array_equal(rec.labels[name], labels[idx, j])
        # sample by sample: the raw window equals the preprocessed trial of that video
        inner = slice(64, -64)
        for mod, sl, scale in (("eeg", slice(0, 32), 1e-6), ("eog", slice(32, 34), 1e-6),
                               ("gsr", slice(36, 37), 1.0)):
            got = _demean(rec.modalities[mod].data)[..., inner]
            want = _demean(pre[idx, sl] * scale)[..., inner]
            rel = np.abs(got - want).max() / np.abs(want).max()
            assert rel < 0.02, (subject, mod, rel)
            # a reader that kept presentation order would pair trials wrongly
            swapped = _demean(pre[np.array(presented) - 1, sl] * scale)[..., inner]
            assert np.abs(got - swapped).max() / np.abs(want).max() > 0.5
    assert_array_equal(raw_recs["s01"].modalities["eeg"].ch_names,
                       raw_recs["s23"].modalities["eeg"].ch_names)
    assert raw_recs["s23"].info["status_label"] == ""  # blank label, found by position


def test_raw_without_ratings_stays_in_presentation_order(cohort, caplog):
    root, truth = cohort
    with caplog.at_level(logging.WARNING, logger="emopipe.io.deap"):
        rec = read_deap_raw(root / "data_original" / "s01.bdf")
    assert "no participant_ratings given; trials stay in presentation order" in caplog.text
    assert_array_equal(rec.trial_ids, [1, 2])
    assert rec.labels == {}
    pre, _ = _file_arrays(root, "s01")
    first = truth["subjects"]["s01"]["presentation_order"][0]
    got = _demean(rec.modalities["eeg"].data[0])[:, 64:-64]
    want = _demean(pre[first - 1, :32] * 1e-6)[:, 64:-64]
    assert np.abs(got - want).max() / np.abs(want).max() < 0.02


def test_raw_resampled_to_other_rate(cohort):
    root, _ = cohort
    rec = DEAP.read_subject(root, "s01", sfreq=256.0)  # auto falls back to the raw file
    assert rec.info["format"] == "raw"
    assert rec.modalities["eeg"].sfreq == 256.0
    assert rec.modalities["eeg"].data.shape == (RAW_TRIALS, 32, 63 * 256)


def test_participant_ratings_and_binarize(cohort):
    root, truth = cohort
    ratings = read_participant_ratings(root / "metadata_csv" / "participant_ratings.csv")
    assert sorted(ratings) == ["s01", "s23"]
    r = ratings["s01"]
    assert_array_equal(r["experiment_id"], np.arange(1, N_TRIALS + 1))
    gt = truth["subjects"]["s01"]["trials"]
    assert_array_equal(r["trial"], [t["presentation_trial"] for t in gt])
    assert_allclose(r["arousal"], [t["arousal"] for t in gt])
    assert np.isnan(ratings["s23"]["familiarity"]).all()
    assert_array_equal(binarize_labels(np.array([1.0, 5.0, 5.01, 9.0])), [0, 0, 1, 1])
    out = binarize_labels({"valence": [4.9, 7.0]}, threshold=6.5)
    assert_array_equal(out["valence"], [0, 1]) and out["valence"].dtype == np.int64


# ---------------------------------------------------------------- errors
def _write_dat(path, data=None, labels=None, n=3):
    rng = np.random.default_rng(1)
    arrays = {"labels": rng.uniform(1, 9, (n, 4)) if labels is None else labels,
              "data": rng.standard_normal((n, 40, 8064)) if data is None else data}
    write_py2_pickle(path, arrays)
    return path


def test_error_labels_shape(tmp_path):
    f = _write_dat(tmp_path / "s07.dat", labels=np.ones((3, 3)))
    msg = ("s07.dat: key 'labels' has shape (3, 3), expected (n_trials, 4) (valence, arousal, "
           "dominance, liking). Is this a DEAP preprocessed file?")
    with pytest.raises(ValueError, match="^" + __import__("re").escape(msg) + "$"):
        read_deap_preprocessed(f)
    f = _write_dat(tmp_path / "s08.dat", labels=np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"^s08\.dat: key 'labels' has shape \(2, 4\), expected "
                                         r"\(n_trials, 4\) with n_trials = 3 as in key 'data'"):
        read_deap_preprocessed(f)


def test_error_data_shape_dtype_and_rate(tmp_path):
    f = _write_dat(tmp_path / "s01.dat", data=np.ones((3, 32, 8064)))
    with pytest.raises(ValueError, match=r"^s01\.dat: key 'data' has shape \(3, 32, 8064\), "
                                         r"expected \(n_trials, 40, 8064\) \(trial, channel, "
                                         r"sample\)\. Is this a DEAP preprocessed file\?$"):
        read_deap_preprocessed(f)
    f = _write_dat(tmp_path / "s02.dat", data=np.ones((3, 40, 8064), dtype=np.int16))
    with pytest.raises(ValueError, match=r"^s02\.dat: key 'data' has dtype int16, expected a "
                                         r"floating dtype \(float64\)\."):
        read_deap_preprocessed(f)
    f = _write_dat(tmp_path / "s03.dat", data=np.random.default_rng(0).standard_normal(
        (3, 40, 4032)))
    with pytest.raises(ValueError, match=r"^s03\.dat: key 'data' has 4032 samples per trial, "
                                         r"expected 8064 \(63 s at the manifest's 128 Hz\): "
                                         r"sampling-rate mismatch"):
        read_deap_preprocessed(f)
    (tmp_path / "s04.dat").write_bytes(pickle.dumps({"data": np.zeros(3)}, protocol=2))
    with pytest.raises(ValueError, match=r"^s04\.dat: missing key\(s\) \['labels'\]; found keys "
                                         r"\['data'\]"):
        read_deap_preprocessed(tmp_path / "s04.dat")


def test_error_nan_and_flat_channels(tmp_path):
    data = np.random.default_rng(0).standard_normal((3, 40, 8064))
    data[2, 18, 100:110] = np.nan
    f = _write_dat(tmp_path / "s05.dat", data=data)
    with pytest.raises(ValueError, match=r"^s05\.dat: trial 3 \(Experiment_id 3\), channel 'Fz' "
                                         r"\(index 18\) contains 10 NaN or infinite samples of "
                                         r"8064\."):
        read_deap_preprocessed(f)
    data[2, 18] = 1.0
    data[1, 36] = 5.0e5
    f = _write_dat(tmp_path / "s06.dat", data=data)
    with pytest.raises(ValueError, match=r"^s06\.dat: trial 2 \(Experiment_id 2\), channel 'GSR' "
                                         r"\(index 36\) is flat \(constant 500000\.0 for all 8064 "
                                         r"samples\)"):
        read_deap_preprocessed(f)


def test_error_truncated_files(cohort, tmp_path):
    root, _ = cohort
    dat = tmp_path / "s02.dat"
    dat.write_bytes((root / "data_preprocessed_python" / "s01.dat").read_bytes()[:1000])
    with pytest.raises(pickle.UnpicklingError, match=r"^s02\.dat: the pickle is truncated or "
                                                     r"corrupt"):
        read_deap_preprocessed(dat)
    src = root / "data_original" / "s01.bdf"
    bdf = tmp_path / "s01.bdf"
    bdf.write_bytes(src.read_bytes()[:5_000_000])
    with pytest.raises(ValueError, match=r"^s01\.bdf: BDF file is truncated: the header declares "
                                         r"\d+ data records of 73728 bytes \(\d+ bytes in all\) "
                                         r"but the file holds 5000000 bytes\. Re-download"):
        read_deap_raw(bdf)
    bad = tmp_path / "s09.bdf"
    bad.write_bytes(b"0       " + b"x" * 400)
    with pytest.raises(ValueError, match=r"^s09\.bdf: not a BioSemi BDF file \(first bytes "
                                         r"b'0       '"):
        read_deap_raw(bad)
    mat = tmp_path / "s03.mat"
    mat.write_bytes((root / "data_preprocessed_matlab" / "s01.mat").read_bytes()[:3000])
    with pytest.raises(ValueError, match=r"^s03\.mat: not a readable MAT file"):
        read_deap_matlab(mat)


def _write_bdf(path, *, n_channels=48, sfreq=512, seconds=2, dims=None):
    import pyedflib

    dims = dims or {}
    labels = GENEVA_ORDER + ["EXG1", "EXG2", "EXG3", "EXG4", "EXG5", "EXG6", "EXG7", "EXG8",
                             "GSR1", "GSR2", "Erg1", "Erg2", "Resp", "Plet", "Temp", "Status"]
    w = pyedflib.EdfWriter(str(path), n_channels, file_type=pyedflib.FILETYPE_BDF)
    w.setSignalHeaders([{"label": lab, "dimension": dims.get(lab, "uV"), "sample_frequency": sfreq,
                         "physical_min": -262144, "physical_max": 262143,
                         "digital_min": -8388608, "digital_max": 8388607}
                        if lab != "Status" else
                        {"label": lab, "dimension": "Boolean", "sample_frequency": sfreq,
                         "physical_min": -8388608, "physical_max": 8388607,
                         "digital_min": -8388608, "digital_max": 8388607}
                        for lab in labels[:n_channels]])
    w.writeSamples([np.zeros(sfreq * seconds)] * n_channels)
    w.close()


def test_error_raw_rate_and_channels_vs_manifest(tmp_path):
    _write_bdf(tmp_path / "s01.bdf", sfreq=256)
    with pytest.raises(ValueError, match=r"^s01\.bdf: sampling rate \[256\.0\] Hz differs from "
                                         r"the DEAP manifest \(512 Hz for every channel\)"):
        read_deap_raw(tmp_path / "s01.bdf")
    _write_bdf(tmp_path / "s02.bdf", n_channels=47)
    with pytest.raises(ValueError, match=r"^s02\.bdf: has 47 channels, expected 48 "):
        read_deap_raw(tmp_path / "s02.bdf")
    _write_bdf(tmp_path / "s03.bdf")
    with pytest.raises(ValueError, match=r"^s03\.bdf: no music-video onsets \(Status code 4 after "
                                         r"& 0xFF\) in channel 48 \('Status'\); found codes \[\]"):
        read_deap_raw(tmp_path / "s03.bdf")
    _write_bdf(tmp_path / "s04.bdf", dims={"EXG2": "Ohm"})
    with pytest.raises(ValueError, match=r"^s04\.bdf: channel 34 \('EXG2'\) has unit 'Ohm', "
                                         r"expected a voltage \(uV\) for EEG and EXG channels\.$"):
        read_deap_raw(tmp_path / "s04.bdf")
    root = tmp_path / "root"
    (root / "data_original").mkdir(parents=True)
    _write_bdf(root / "data_original" / "s01.bdf", sfreq=256)
    problems = DEAP.check(root)
    assert problems[0].startswith("info: 31 of 32 subjects in the manifest are absent (s02,")
    assert problems[1].startswith("raw/s01.bdf: s01.bdf: sampling rate [256.0] Hz differs")
    assert problems[2].startswith("info: metadata_csv/participant_ratings.csv is absent")


def test_error_missing_subject_empty_root_and_source(cohort, tmp_path):
    root, _ = cohort
    with pytest.raises(FileNotFoundError, match=r"^Subject 's09' not found under .*: no "
                                                r"data_preprocessed_python/s09\.dat, .* Available "
                                                r"subjects: 's01', 's23'\.$"):
        DEAP.read_subject(root, "s09")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert DEAP.subjects(empty) == []
    msg = (r"^no DEAP files found under '.*empty'; expected data_preprocessed_python/s01\.dat "
           r"\.\.\. s32\.dat, data_preprocessed_matlab/sXX\.mat or data_original/sXX\.bdf$")
    with pytest.raises(FileNotFoundError, match=msg):
        DEAP.read_subject(empty, "s01")
    assert len(DEAP.check(empty)) == 1
    assert __import__("re").match(msg, DEAP.check(empty)[0])
    with pytest.raises(ValueError, match=r"Invalid value for the 'source' parameter\. Allowed "
                                         r"values are .*but got 'matlab' instead\."):
        DEAP.read_subject(root, "s01", source="matlab")
    with pytest.raises(ValueError, match=r"^sfreq = 256\.0 Hz is not available from source "
                                         r"'preprocessed_python'"):
        DEAP.read_subject(root, "s01", source="preprocessed_python", sfreq=256.0)


def test_check_reports_subset_and_broken_files(cohort, tmp_path):
    root, _ = cohort
    problems = DEAP.check(root)
    assert len(problems) == 1
    assert problems[0].startswith("info: 30 of 32 subjects in the manifest are absent (s02, s03,")
    broken = tmp_path / "deap"
    shutil.copytree(root, broken)
    dat = broken / "data_preprocessed_python" / "s23.dat"
    dat.write_bytes(dat.read_bytes()[:2000])
    bdf = broken / "data_original" / "s01.bdf"
    bdf.write_bytes(bdf.read_bytes()[:100_000])
    problems = DEAP.check(broken)
    assert len(problems) == 3
    assert problems[1].startswith("raw/s01.bdf: s01.bdf: BDF file is truncated")
    assert problems[2].startswith("preprocessed_python/s23.dat: s23.dat: the pickle is truncated")


def test_real_biosemi_header(real_data_dir):
    import os

    hdr = _read_bdf_header(os.path.join(real_data_dir, "biosemi-bdf", "test.bdf"))
    assert hdr["n_channels"] == 73
    assert set(hdr["sfreq"]) == {2048.0}
    assert hdr["labels"][64:73] == ["EXG1", "REOG", "LEOG", "IEOG", "EXG5", "M2", "M1", "EXG8",
                                    "Status"]
    assert hdr["n_records"] * hdr["record_duration"] == 1.0
    assert PREPROCESSED_CHANNELS[36] == "GSR"
