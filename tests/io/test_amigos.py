"""AMIGOS: per-participant cells, the reader's skips, the extract round trip and bad input."""

import json
import logging
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from emopipe.cli import main
from emopipe.io import DATASETS
from emopipe.io.amigos import AMIGOS, read_amigos_subject
from emopipe.io.synth.amigos import write_amigos_synth
from emopipe.utils._errors import DataFileError

IDS = ["4", "5", "9", "10", "13", "18", "19", "20", "23", "30", "31", "34", "36", "58", "80", "138",
       "N1", "P1", "B1", "U1"]
P01 = "Data_Preprocessed_P01/Data_Preprocessed_P01.mat"


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    root = tmp_path_factory.mktemp("amigos")
    truth = write_amigos_synth(root, n_subjects=3, seed=0, scenario="kd", short_s=(4.0, 6.0),
                               long_s=(8.0, 10.0))
    return root, truth


def _usable(truth, subject):
    return [t for t in truth["subjects"][subject]["trials"] if t["usable"]]


def _resave(src, dst, **changes):
    mat = scipy.io.loadmat(src)
    mat = {k: v for k, v in mat.items() if not k.startswith("__")}
    for key, value in changes.items():
        if value is None:
            del mat[key]
        else:
            mat[key] = value(mat[key])
    dst.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(dst, mat)
    return dst


def test_registered_with_its_facts():
    ds = DATASETS.get("amigos")
    assert ds is AMIGOS
    assert ds.label_names == ("arousal", "valence", "dominance", "liking", "familiarity",
                              "ext_valence", "ext_arousal")
    assert (ds.sfreq, ds.label_scale, ds.default_threshold, ds.default_modalities) == (
        128.0, (1.0, 9.0), 5.0, ("eeg", "ecg"))
    assert ds.label_classes(np.array([1.0, 5.0, 5.01, 9.0])).tolist() == [0, 0, 1, 1]


def test_fixture_is_format_faithful_with_its_quirks(synth):
    root, truth = synth
    mat = scipy.io.loadmat(root / P01)
    assert sorted(k for k in mat if not k.startswith("__")) == [
        "VideoIDs", "joined_data", "labels_ext_annotation", "labels_selfassessment"]
    for key in ("VideoIDs", "joined_data", "labels_selfassessment", "labels_ext_annotation"):
        assert mat[key].shape == (1, 20) and mat[key].dtype == object
    assert [str(v[0]) for v in mat["VideoIDs"][0]] == IDS
    trials = truth["subjects"]["P01"]["trials"]
    jd, sa = mat["joined_data"][0], mat["labels_selfassessment"][0]
    assert jd[0].shape == (128 * trials[0]["duration_s"], 17)
    assert jd[2].shape == (0, 0) and sa[2].shape == (1, 0)  # the empty cell
    assert np.isnan(jd[4]).all() and jd[4].shape[1] == 17  # the NaN trial
    # arousal first, then valence, dominance, liking, familiarity, then 7 flags
    assert sa[0].shape == (1, 12)
    assert sa[0][0, :5].tolist() == [trials[0][k] for k in ("arousal", "valence", "dominance",
                                                             "liking", "familiarity")]
    assert set(np.unique(sa[0][0, 5:])) <= {0.0, 1.0}
    ext = mat["labels_ext_annotation"][0][0]
    assert ext.shape[1] == 3 and ext[:, 0].tolist() == list(range(1, ext.shape[0] + 1))
    p02 = scipy.io.loadmat(root / "Data_Preprocessed_P02" / "Data_Preprocessed_P02.mat")
    assert [c.size for c in p02["joined_data"][0][16:]] == [0, 0, 0, 0]  # no long videos
    assert (root / "Data_Preprocessed_P03.mat").is_file()  # flat layout
    assert truth["quirks"]["without_long_videos"] == "P02"


def test_reader_skips_empty_and_nan_cells_with_a_count(synth, caplog):
    root, truth = synth
    with caplog.at_level(logging.WARNING, logger="emopipe"):
        rec = AMIGOS.read_subject(root, "P01")
    assert ("P01: 2 of 20 videos skipped (1 x empty joined_data cell, 1 x every channel all "
            "NaN)") in caplog.text
    assert rec.info["skipped"] == {3: "empty joined_data cell", 5: "every channel all NaN"}
    kept = [k for k in range(1, 21) if k not in (3, 5)]
    assert rec.trial_ids.tolist() == kept
    assert rec.sessions.tolist() == [1] * 14 + [2] * 4
    assert rec.info["video_ids"] == [IDS[k - 1] for k in kept]
    good = _usable(truth, "P01")
    for name in AMIGOS.label_names:
        np.testing.assert_array_equal(rec.labels[name], [t[name] for t in good])
    mat = scipy.io.loadmat(root / P01)["joined_data"][0]
    eeg, ecg, gsr = (rec.modalities[m] for m in ("eeg", "ecg", "gsr"))
    np.testing.assert_array_equal(eeg.trial(0), mat[0][:, :14].T * 1e-6)
    np.testing.assert_array_equal(ecg.trial(2), mat[3][:, 14:16].T)
    np.testing.assert_array_equal(gsr.trial(2), mat[3][:, 16:].T)
    assert (eeg.unit, ecg.ch_names, gsr.unit, eeg.sfreq) == (
        "V", ["ECG_right", "ECG_left"], "a.u.", 128.0)
    p02 = AMIGOS.read_subject(root, "P02", modalities=["gsr"])
    assert p02.trial_ids.tolist() == list(range(1, 17)) and set(p02.sessions) == {1}
    assert list(p02.modalities) == ["gsr"]
    assert AMIGOS.subjects(root) == ["P01", "P02", "P03"]
    assert AMIGOS.read_subject(root, "P03").n_trials == 20


def test_a_partly_dead_cell_is_judged_on_the_modalities_read(synth, tmp_path):
    root, _ = synth

    def kill_ecg_left(cells):
        cells[0, 0] = cells[0, 0].copy()
        cells[0, 0][:, 15] = np.nan
        return cells

    f = _resave(root / P01, tmp_path / "Data_Preprocessed_P01.mat", joined_data=kill_ecg_left)
    rec = read_amigos_subject(f)
    assert rec.info["skipped"][1] == "channels ECG_left all NaN"
    assert read_amigos_subject(f, modalities=["eeg", "gsr"]).trial_ids[0] == 1


def test_extract_round_trip_recovers_both_target_sets(synth, tmp_path):
    from emopipe.cache import read_features, run_extract
    from emopipe.features.extract import ExtractConfig

    root, truth = synth
    cfg = ExtractConfig(dataset="amigos", modalities=["eeg", "gsr"],
                        modality_params={"gsr": {"unit": "kohm", "raw": True}})
    summary = run_extract(cfg, root, tmp_path, on_error="raise")
    assert summary["written"] == ["P01", "P02", "P03"]
    sub = read_features(tmp_path / "P02.h5")
    good = _usable(truth, "P02")
    n_win = [t["duration_s"] // 4 for t in good]
    assert sub.windows["trial"].tolist() == np.repeat([t["cell"] for t in good], n_win).tolist()
    assert sub.windows["session"].tolist() == np.repeat([t["session"] for t in good],
                                                        n_win).tolist()
    for name in AMIGOS.label_names:
        want = np.repeat([t[name] for t in good], n_win)
        np.testing.assert_array_equal(sub.labels[name], want)
        assert sub.labels[f"{name}_class"].tolist() == (want > 5).astype(int).tolist()
    # raw GSR windows: the file's kOhm turned into siemens, window by window
    mat = scipy.io.loadmat(root / "Data_Preprocessed_P02" / "Data_Preprocessed_P02.mat")
    first = mat["joined_data"][0][0][:512, 16]
    np.testing.assert_allclose(sub.get("gsr", "raw").data[0, 0], 1.0 / (first * 1e3),
                               rtol=1e-12)


def test_gsr_without_a_stated_unit_is_a_named_skip(synth, tmp_path):
    from emopipe.cache import run_extract
    from emopipe.features.extract import ExtractConfig

    root, _ = synth
    summary = run_extract(ExtractConfig(dataset="amigos", subjects=["P03"], modalities=["gsr"]),
                          root, tmp_path)
    assert list(summary["failed"]) == ["P03"]
    assert ("GSR channels ['GSR'] have unit 'a.u.' (a.u. (no unit in the file; emopipe's "
            "choice))") in summary["failed"]["P03"]
    assert "modality_params: {gsr: {unit: uS}}" in summary["failed"]["P03"]
    assert not list(tmp_path.glob("*.h5"))


def test_a_file_with_19_cells_is_a_named_error(synth, tmp_path, capsys):
    root, _ = synth
    bad = tmp_path / "bad"
    _resave(root / P01, bad / P01, joined_data=lambda c: c[:, :19])
    msg = ("Data_Preprocessed_P01.mat: joined_data has 19 cells, shape (1, 19) (object), "
           "expected (1, 20) cells: 16 short and 4 long videos. The file is incomplete: "
           "re-download it.")
    with pytest.raises(DataFileError, match=re.escape(msg)):
        AMIGOS.read_subject(bad, "P01")
    assert main(["check", "--dataset", "amigos", "--root", str(bad)]) == 1
    assert f"  - {msg}" in capsys.readouterr().out
    assert main(["extract", "--dataset", "amigos", "--root", str(bad), "--cache",
                 str(tmp_path / "c"), "--strict", "-j", "1"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"emopipe extract: error: {msg}"
    assert not any((tmp_path / "c").glob("*.h5")) if (tmp_path / "c").exists() else True


def test_other_malformed_files_are_named(synth, tmp_path):
    root, _ = synth
    f = _resave(root / P01, tmp_path / "a" / "Data_Preprocessed_P01.mat",
                labels_ext_annotation=None)
    with pytest.raises(DataFileError, match=re.escape(
            "Data_Preprocessed_P01.mat: key 'labels_ext_annotation' missing; the file holds "
            "VideoIDs, joined_data, labels_selfassessment, expected VideoIDs, joined_data, "
            "labels_selfassessment, labels_ext_annotation")):
        read_amigos_subject(f)

    def sixteen(cells):
        cells[0, 1] = cells[0, 1][:, :16]
        return cells

    f = _resave(root / P01, tmp_path / "b" / "Data_Preprocessed_P01.mat", joined_data=sixteen)
    with pytest.raises(DataFileError, match=re.escape(
            "Data_Preprocessed_P01.mat: cell 2 (VideoID 5): joined_data holds float64 (")):
        read_amigos_subject(f)
    # one participant in both layouts
    dup = tmp_path / "dup"
    _resave(root / P01, dup / P01)
    _resave(root / P01, dup / "Data_Preprocessed_P01.mat")
    assert AMIGOS.check(dup) == [
        "AMIGOS participant P01 has two files, Data_Preprocessed_P01.mat and "
        "Data_Preprocessed_P01/Data_Preprocessed_P01.mat; keep one (in its folder or flat "
        "under the root)."]


def test_cli_synth_check_extract(tmp_path, capsys):
    root = tmp_path / "a"
    assert main(["synth", "--dataset", "amigos", "--out", str(root), "--subjects", "1"]) == 0
    assert main(["check", "--dataset", "amigos", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "info: participant P01: 2 of 20 videos skipped (3: empty joined_data cell, 5: every " \
           "channel all NaN)" in out
    assert main(["synth", "--dataset", "amigos", "--out", str(root), "--trials", "3"]) == 1
    assert "--trials do(es) not apply: AMIGOS files always hold the 20 videos" in \
        capsys.readouterr().err
    assert main(["extract", "--dataset", "amigos", "--root", str(root), "--cache",
                 str(tmp_path / "c"), "--modalities", "ecg", "-j", "1"]) == 0
    assert "1 subject(s) extracted" in capsys.readouterr().out
    gt = json.loads((root / "ground_truth.json").read_text())
    assert gt["units_in_file"]["gsr"] == "kohm (skin resistance)"


def test_pipeline_yaml_runs_ekd_eeg_gsr_to_gsr(synth, tmp_path, capsys):
    import yaml

    root, _ = synth
    cache, run = tmp_path / "cache", tmp_path / "run"
    cfg = str(Path(__file__).resolve().parents[2] / "pipelines" / "ekd_amigos.yaml")
    assert main(["extract", "--dataset", "amigos", "--root", str(root), "--config", cfg,
                 "--cache", str(cache), "-j", "1"]) == 0
    assert main(["distill", "--cache", str(cache), "--config", cfg, "--epochs", "1",
                 "--out", str(run)]) == 0
    assert "ekd / loso / arousal: 3 fold(s), seed 0" in capsys.readouterr().out
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert (saved["teacher"], saved["student"]) == ("eeg:raw+gsr:raw", "gsr:raw")
