"""MAHNOB-HCI reader: sessions, BDF cut at Status edges, session.xml, gaze, face, continuous valence."""

import json
import re

import numpy as np
import pytest

from emopipe.cli import main
from emopipe.io import DATASETS, MAHNOB, read_mahnob_bdf, read_session_xml
from emopipe.io._mahnob_gaze import read_mahnob_gaze
from emopipe.io.mahnob import decode_session_id
from emopipe.io.synth._bdf import write_bdf
from emopipe.io.synth._cohort import get_scenario
from emopipe.io.synth.mahnob import _bdf_signals, _manifest, write_mahnob_synth
from emopipe.utils._errors import DataFileError

BDF_DIMS = ["uV"] * 40 + ["Ohm", "Ohm", "uV", "uV", "a.u.", "degC", "Boolean"]


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("mahnob")
    truth = write_mahnob_synth(root, n_subjects=2, n_trials=2, seed=4, stimulus=(6.0, 8.0),
                               face=True, face_fps=8.0)
    return root, truth


def _bad_bdf(path, edges):
    """A MAHNOB BDF whose Status rises at ``edges`` (samples) only."""
    rng = np.random.default_rng(0)
    sig, _, _ = _bdf_signals(rng, np.full(24, 5.0), 5.0, 6.0, get_scenario("kd"), 2.0)
    sig[46] = 0
    for e in edges:
        sig[46, e:e + 5] = 1
    write_bdf(path, sig, list(_manifest()["bdf"]["labels"]), BDF_DIMS, 256.0)


def test_registered_with_its_facts():
    ds = DATASETS.get("mahnob")
    assert ds is MAHNOB
    assert (ds.sfreq, ds.label_names, ds.label_scale, ds.default_threshold) == (
        256.0, ("valence", "arousal", "control", "predictability"), (1.0, 9.0), 5.0)
    assert ds.describe()["subjects"] == 30


@pytest.mark.parametrize("sid, expected", [(2, (1, 2)), (40, (1, 40)), (130, (1, 130)),
                                           (131, (2, 1)), (1854, (15, 34)), (1984, (16, 34))])
def test_session_ids_decode_into_subject_and_section(sid, expected):
    assert decode_session_id(sid) == expected
    assert (expected[0] - 1) * 130 + expected[1] == sid


def test_trials_are_cut_between_the_two_status_edges(synth):
    import pyedflib

    root, truth = synth
    rec = MAHNOB.read_subject(root, "1")
    trials = truth["subjects"]["1"]["trials"]
    assert rec.trial_ids.tolist() == [1, 2] and rec.baseline == 30.0
    assert rec.info["sessions"] == [2, 4] and rec.info["skipped"]["tagging"] == [41]
    bdf = root / "Sessions" / "2" / "Part_1_S_Trial1_emotion.bdf"
    with pyedflib.EdfReader(str(bdf)) as f:  # independent reader, file units (uV)
        raw = np.array([f.readSignal(i) for i in range(32)])
    a, b = trials[0]["stimulus_samples"]
    eeg = rec.modalities["eeg"].trial(0)
    assert eeg.shape == (32, b - a + 30 * 256)
    np.testing.assert_allclose(eeg, raw[:, a - 30 * 256:b] * 1e-6, atol=1e-12)
    for t, tr in zip(range(2), trials):
        assert rec.modalities["eeg"].trial(t).shape[1] == round((30 + tr["stimulus_s"]) * 256)
        assert rec.info["edges_s"][t] == [30.0, 30.0 + tr["stimulus_s"]]
        assert rec.info["post_margin_s"][t] == tr["post_margin_s"] >= 30.0
    assert rec.modalities["eeg"].ch_names == list(_manifest()["bdf"]["labels"][:32])
    assert rec.modalities["ecg"].ch_names == ["EXG1", "EXG2", "EXG3"]
    assert (rec.modalities["gsr"].unit, rec.modalities["gsr"].source_unit) == ("ohm", "Ohm")
    for name in ("valence", "arousal", "control", "predictability"):
        assert rec.labels[name].tolist() == [tr["felt"][name] for tr in trials]
    assert rec.info["felt_emotion"].tolist() == [tr["felt_emotion"] for tr in trials]


def test_gaze_is_the_eye_modality_with_the_bad_line_counted(synth):
    root, truth = synth
    rec = MAHNOB.read_subject(root, "1", modalities=["eye"])
    eye = rec.modalities["eye"]
    assert eye.sfreq == 60.0 and eye.ch_names == ["gaze_x", "gaze_y", "pupil_left",
                                                  "pupil_right"]
    for t, tr in enumerate(truth["subjects"]["1"]["trials"]):
        assert eye.trial(t).shape == (4, round((30 + tr["stimulus_s"]) * 60))
    assert truth["malformed_gaze"]["session"] == 2 and rec.info["gaze_bad_lines"] == 1


def test_gaze_invalid_samples_are_missing(tmp_path):
    from emopipe.io.synth.eye import write_tobii_tsv

    n = 600
    gx, gy = np.full(n, 640.0), np.full(n, 512.0)
    pupil = np.full(n, 3.0)
    gx[[100, 250, 251]] = np.nan  # written as -1 with validity 4
    f = tmp_path / "P1-Rec1-All-Data-New_Section_2.tsv"
    write_tobii_tsv(f, gx, gy, pupil, 60.0, movie_start=2.0, movie_end=8.0)
    lines = f.read_bytes().split(b"\r\n")
    lines.pop(22)  # 23 preamble lines
    f.write_bytes(b"\r\n".join(lines))
    gaze, n_bad = read_mahnob_gaze(f, baseline=1.0)
    assert n_bad == 0 and gaze.n_times == 7 * 60  # [MovieStart - 1 s, MovieEnd)
    assert np.flatnonzero(np.isnan(gaze.gaze_x)).tolist() == [40, 190, 191]
    assert np.flatnonzero(np.isnan(gaze.pupil[0])).tolist() == [40, 190, 191]
    np.testing.assert_allclose(gaze.pupil[1, 0], 3.0e-3)


def test_gaze_with_another_column_set_is_named(tmp_path):
    f = tmp_path / "P1-Rec1-All-Data-New_Section_2.tsv"
    f.write_text("\n" * 23 + "Time\tX\tY\n0\t1\t2\n")
    with pytest.raises(DataFileError, match=re.escape(
            "P1-Rec1-All-Data-New_Section_2.tsv: line 24 (the column header after 23 preamble "
            "lines) lacks the MAHNOB gaze columns ['Timestamp', 'Number'")) as exc:
        read_mahnob_gaze(f)
    assert "This is another column set" in str(exc.value)


def test_face_is_lazy_and_starts_at_the_trial(synth):
    root, truth = synth
    rec = MAHNOB.read_subject(root, "2", modalities=["face"])
    face = rec.modalities["face"]
    tr = truth["subjects"]["2"]["trials"][1]
    assert face.sfreq == 8.0 and len(face.data[1]) == round((30 + tr["stimulus_s"]) * 8)
    assert " trigger _C_Section_4.avi" in str(face.data[1].fname)
    assert face.data[1].video.n_retrieved == 0  # nothing decoded by reading
    frames = face.data[1][np.array([0, 300])]
    assert frames.shape == (2, 72, 96) and face.data[1].video.n_retrieved == 2


def test_continuous_valence_window_means(synth, tmp_path):
    import scipy.io

    from emopipe.cache import read_features, run_extract
    from emopipe.features.extract import ExtractConfig

    root, truth = synth
    eye = {"screen_size_px": (1280, 1024), "screen_size_m": (0.376, 0.301), "distance_m": 0.6}
    summary = run_extract(ExtractConfig(dataset="mahnob", modalities=("eeg", "gsr", "eye"),
                                        modality_params={"eye": eye}),
                          root, tmp_path / "c", on_error="raise")
    assert summary["written"] == ["1", "2"]
    mat = scipy.io.loadmat(root / "lable_continous_Mahnob.mat")
    traces = {tuple(int(v) for v in k): np.ravel(x)
              for k, x in zip(mat["trials_included"], mat["labels"].ravel())}
    for s in ("1", "2"):
        sub = read_features(tmp_path / "c" / f"{s}.h5")
        trials = truth["subjects"][s]["trials"]
        t_idx, onset = sub.windows["trial_index"], sub.windows["onset"]
        assert t_idx.tolist() == sum([[t] * int(tr["stimulus_s"]) for t, tr in
                                      enumerate(trials)], [])
        for name in ("valence", "arousal", "control", "predictability"):
            assert sub.labels[name].tolist() == [trials[t]["felt"][name] for t in t_idx]
            assert sub.labels[f"{name}_class"].tolist() == [
                int(trials[t]["felt"][name] > 5) for t in t_idx]
        want = [traces[(int(s), trials[t]["section"])][4 * int(o):4 * int(o) + 4].mean()
                for t, o in zip(t_idx, onset)]
        np.testing.assert_allclose(sub.labels["valence_continuous"], want, rtol=0, atol=1e-12)
        assert sorted(sub.modalities) == ["eeg", "eye", "gsr"]
        assert sub.get("eye", "eye_features").data.shape[0] == len(t_idx)


def _copy(root, dst):
    import shutil

    shutil.copytree(root, dst)
    return dst


def test_status_without_two_edges_is_named(tmp_path):
    f = tmp_path / "Part_1_S_Trial1_emotion.bdf"
    _bad_bdf(f, [])
    with pytest.raises(DataFileError, match=re.escape(
            "Part_1_S_Trial1_emotion.bdf: Status (channel 47, 'Status') has 0 rising edge(s); "
            "a MAHNOB emotion recording has exactly two, bracketing the stimulus.")):
        read_mahnob_bdf(f)
    _bad_bdf(f, [7680])
    with pytest.raises(DataFileError, match=re.escape(
            "Part_1_S_Trial1_emotion.bdf: Status (channel 47, 'Status') has 1 rising edge(s) "
            "at 30.00 s; a MAHNOB emotion recording has exactly two")):
        read_mahnob_bdf(f)


def test_one_bad_session_is_a_counted_skip_all_bad_is_an_error(synth, tmp_path, capsys):
    root = _copy(synth[0], tmp_path / "m")
    _bad_bdf(root / "Sessions" / "4" / "Part_1_S_Trial2_emotion.bdf", [7680])
    rec = MAHNOB.read_subject(root, "1")
    assert rec.trial_ids.tolist() == [1] and rec.info["skipped"]["bad_bdf"] == [4]
    with pytest.raises(DataFileError, match="has 1 rising edge"):
        MAHNOB.read_subject(root, "1", on_bad_session="raise")
    _bad_bdf(root / "Sessions" / "2" / "Part_1_S_Trial1_emotion.bdf", [])
    msg = ("MAHNOB-HCI subject 1: no readable emotion session under "
           f"{str(root / 'Sessions')!r} (1 tagging session(s) skipped; sessions without a "
           "readable BDF with two Status edges: [2, 4]).")
    with pytest.raises(DataFileError, match=re.escape(msg)):
        MAHNOB.read_subject(root, "1")
    cache = tmp_path / "c"
    assert main(["extract", "--dataset", "mahnob", "--root", str(root), "--cache",
                 str(cache), "-j", "1", "--strict"]) == 1
    err = capsys.readouterr().err
    assert msg in err.replace("\n", " ") or msg in " ".join(err.split())
    assert not (cache / "1.h5").exists()  # nothing of subject 1 in the cache
    assert main(["extract", "--dataset", "mahnob", "--root", str(root), "--cache",
                 str(cache), "-j", "1"]) == 1  # skipped, listed, the others extracted
    assert "1 subject(s) failed and were skipped (1)" in capsys.readouterr().err
    assert sorted(p.name for p in cache.glob("*")) == ["2.h5"]
    assert main(["check", "--dataset", "mahnob", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    assert "Sessions/2: Part_1_S_Trial1_emotion.bdf: Status (channel 47, 'Status') has 0" in out


def test_unreadable_session_xml_is_named(synth, tmp_path, capsys, caplog):
    root = _copy(synth[0], tmp_path / "m")
    (root / "Sessions" / "132" / "session.xml").write_text("<session sessionId='132'")
    msg = "132/session.xml: not readable XML (unclosed token: line 1, column 0)."
    with pytest.raises(DataFileError, match=re.escape(msg)):
        read_session_xml(root / "Sessions" / "132" / "session.xml")
    with pytest.raises(DataFileError, match=re.escape(msg)):
        MAHNOB.read_subject(root, "2")
    cache = tmp_path / "c"
    assert main(["extract", "--dataset", "mahnob", "--root", str(root), "--cache",
                 str(cache), "-j", "1"]) == 1
    assert f"2: skipped: {msg}" in caplog.text
    assert sorted(p.name for p in cache.glob("*")) == ["1.h5"]
    assert main(["check", "--dataset", "mahnob", "--root", str(root)]) == 1
    assert "Sessions/132: " + msg in capsys.readouterr().out


def test_a_broken_gaze_file_is_an_error_a_missing_one_is_missing(synth, tmp_path):
    root = _copy(synth[0], tmp_path / "m")
    gaze = root / "Sessions" / "134" / "P2-Rec1-All-Data-New_Section_4.tsv"
    gaze.write_text("\n" * 23 + "Time\tX\n0\t1\n")
    with pytest.raises(DataFileError, match="lacks the MAHNOB gaze columns"):
        MAHNOB.read_subject(root, "2", modalities=["eye"])
    gaze.unlink()
    rec = MAHNOB.read_subject(root, "2", modalities=["eye"])
    assert "eye" not in rec.modalities
    assert rec.missing["eye"] == "134: no gaze file P2-Rec1-All-Data-New_Section_4.tsv"


def test_check_reports_absent_sessions_and_release_differences(synth, tmp_path, capsys):
    import shutil

    root = _copy(synth[0], tmp_path / "m")
    shutil.rmtree(root / "Sessions" / "134")
    (root / "Sessions" / "132" / "Part_2_S_Trial1_emotion.bdf").unlink()
    problems = MAHNOB.check(root)
    assert ("Sessions/132: 132: emotion session (section 2) without a "
            "Part_*_Trial*_emotion.bdf file (MAHNOB ships none for sessions 1854 and "
            "1984).") in problems
    assert "info: subject 2: emotion sections absent: 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, " \
           "24, 26, 28, 30, 32, 34, 36, 38, 40" in problems
    assert ("info: lable_continous_Mahnob.mat annotates 2 (participant, section) pair(s) with "
            "no readable emotion session here: 2/2, 2/4 (another release?)") in problems
    assert "info: subject 1: 2 emotion trial(s) read, 1 tagging session(s) skipped" in problems
    assert "info: Sessions/2/P1-Rec1-All-Data-New_Section_2.tsv: 1 malformed line(s) " \
           "skipped" in problems
    assert MAHNOB.check(tmp_path / "nothing") == [
        f"MAHNOB-HCI root {str(tmp_path / 'nothing')!r} does not exist or is not a folder"]
    json.dumps(problems)


def test_a_real_biosemi_file_of_another_layout_is_named():
    from pathlib import Path

    real = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real" / \
        "biosemi-bdf" / "test.bdf"
    if not real.is_file():
        pytest.skip("shared real recordings not present")
    with pytest.raises(DataFileError, match=re.escape(
            "test.bdf: 73 channels, expected 47 (32 EEG, EXG1-8, GSR1, GSR2, Erg1, Erg2, Resp, "
            "Temp, Status). Is this a MAHNOB-HCI emotion BDF?")):
        read_mahnob_bdf(real)


def test_session_xml_disagreeing_with_its_folder_is_named(synth, tmp_path):
    root = _copy(synth[0], tmp_path / "m")
    xml = root / "Sessions" / "4" / "session.xml"
    xml.write_text(xml.read_text().replace('<subject id="1"', '<subject id="7"'))
    with pytest.raises(DataFileError, match=re.escape(
            "4/session.xml: sessionId 4 and subject 7, but the folder name 4 decodes to subject "
            "1, section 4 (id = (subject - 1) * 130 + section).")):
        MAHNOB.read_subject(root, "1")


def test_a_session_without_video_leaves_face_missing(synth, tmp_path):
    root = _copy(synth[0], tmp_path / "m")
    for f in (root / "Sessions" / "4").glob("*.avi"):
        f.unlink()
    rec = MAHNOB.read_subject(root, "1", modalities=["eeg", "face"])
    assert "face" not in rec.modalities and "eeg" in rec.modalities
    assert rec.missing["face"] == ("4: no face video 'P1-Rec1-<date>_C1 trigger _C_Section_4"
                                   ".avi'")


def test_trace_window_means_nan_where_nothing_is_annotated():
    from emopipe.features._windows import WindowGrid
    from emopipe.features.extract import trace_window_means
    from emopipe.io._types import LabelTrace

    grid = WindowGrid([np.array([-1.0, 0.0, 1.0, 2.0]), np.array([0.0, 0.5])], 1.0, 1.0)
    trace = LabelTrace([np.arange(10.0), np.zeros(0)], 4.0, "test")
    got = trace_window_means(trace, grid)
    # trial 0: baseline window empty, then samples 0-3, 4-7, 8-9 (the trace ends at 2.5 s)
    np.testing.assert_array_equal(got, [np.nan, 1.5, 5.5, 8.5, np.nan, np.nan])
