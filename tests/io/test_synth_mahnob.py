"""The synthetic MAHNOB-HCI writer reproduces the layout, the quirks and the planted effects."""

import numpy as np
import pytest

from emopipe.cli import main
from emopipe.io._bdf import _read_bdf_header
from emopipe.io.synth.mahnob import session_id, write_mahnob_synth


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("mahnob_synth")
    truth = write_mahnob_synth(root, n_subjects=2, n_trials=2, seed=1, stimulus=(8.0, 10.0),
                               face=True, face_fps=4.0, frame_size=(64, 48))
    return root, truth


def test_layout_and_quirks(synth):
    root, truth = synth
    assert session_id(3, 2) == 262
    s2 = root / "Sessions" / "132"
    assert sorted(p.name for p in s2.iterdir()) == [
        "P2-Rec1-2009.10.02.10.01.00_C1 trigger _C_Section_2.avi",  # the space
        "P2-Rec1-All-Data-New_Section_2.tsv", "Part_2_S_Trial1_emotion.bdf", "session.xml"]
    hdr = _read_bdf_header(s2 / "Part_2_S_Trial1_emotion.bdf")
    assert hdr["n_channels"] == 47 and set(hdr["sfreq"]) == {256.0}
    assert hdr["labels"][32:] == ["EXG1", "EXG2", "EXG3", "EXG4", "EXG5", "EXG6", "EXG7",
                                  "EXG8", "GSR1", "GSR2", "Erg1", "Erg2", "Resp", "Temp",
                                  "Status"]
    lines = (s2 / "P2-Rec1-All-Data-New_Section_2.tsv").read_text().splitlines()
    assert lines[23].startswith("Timestamp\t") and not lines[22].startswith("Timestamp")
    assert "MovieStart" in "\n".join(lines) and "MovieEnd" in "\n".join(lines)
    bad = truth["malformed_gaze"]
    gaze1 = (root / "Sessions" / str(bad["session"]) / "P1-Rec1-All-Data-New_Section_2.tsv")
    assert len(gaze1.read_text().splitlines()[bad["line"] - 1].split("\t")) == 56
    tag = (root / "Sessions" / "41" / "session.xml").read_text()
    assert truth["tagging_sessions"] == [41] and "felt" not in tag
    emo = (s2 / "session.xml").read_text()
    for att in ("feltEmo", "feltArsl", "feltVlnc", "feltCtrl", "feltPred", "cutLenSec",
                "mediaFile", "vidRate", 'subject id="2"', 'sessionId="132"'):
        assert att in emo


def test_continuous_label_file_has_the_documented_variables(synth):
    import scipy.io

    root, truth = synth
    mat = scipy.io.loadmat(root / "lable_continous_Mahnob.mat")
    assert mat["trials_included"].dtype == np.uint8
    assert mat["trials_included"].tolist() == [[1, 2], [1, 4], [2, 2], [2, 4]]
    assert mat["labels"].shape == (4, 1)
    for cell, tr in zip(mat["labels"].ravel(),
                        [t for s in ("1", "2") for t in truth["subjects"][s]["trials"]]):
        assert cell.shape == (1, round(tr["stimulus_s"] * 4)) and cell.dtype == np.float64
        assert np.all(np.abs(cell) <= 0.4)


def test_alpha_asymmetry_follows_the_valence_trace(synth):
    """ln(alpha right / left) per second tracks the planted 4-Hz trace."""
    import scipy.io

    from emopipe.io import MAHNOB

    root, truth = synth
    mat = scipy.io.loadmat(root / "lable_continous_Mahnob.mat")
    rec = MAHNOB.read_subject(root, "1", modalities=["eeg"])
    names = rec.modalities["eeg"].ch_names
    asym, val = [], []
    for t in range(2):
        x = rec.modalities["eeg"].trial(t)[:, 30 * 256:]
        trace = np.ravel(mat["labels"][t, 0])
        for sec in range(len(trace) // 4):
            seg = x[:, sec * 256:(sec + 1) * 256]
            spec = np.abs(np.fft.rfft(seg - seg.mean(axis=1, keepdims=True))) ** 2
            alpha = spec[:, 8:12].sum(axis=1)
            r = sum(np.log(alpha[names.index(c)]) for c in ("F4", "AF4", "Fp2"))
            lft = sum(np.log(alpha[names.index(c)]) for c in ("F3", "AF3", "Fp1"))
            asym.append((r - lft) / 3)
            val.append(trace[4 * sec:4 * sec + 4].mean())
    slope = np.polyfit(val, asym, 1)[0]
    # planted: ln power ratio rises by 4 * alpha_asym = 1.0 per rating point, i.e. 10 per
    # unit of the trace ((v - 5) / 10); the 1/f background dilutes it a little
    assert 6.0 < slope < 11.0 and np.corrcoef(val, asym)[0, 1] > 0.8


def test_cli_synth_then_check(tmp_path, capsys):
    root = tmp_path / "m"
    assert main(["synth", "--dataset", "mahnob", "--out", str(root), "--subjects", "1",
                 "--trials", "1"]) == 0
    assert main(["check", "--dataset", "mahnob", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "info: subject 1: 1 emotion trial(s) read, 1 tagging session(s) skipped" in out
    assert "mahnob at " in out and "every file present is readable" in out
