"""``emopipe pipeline run pipelines/v2e_mahnob.yaml``: Visual-to-EEG KD's band x channel saliency
maps of the EEG student (step sequences ``eeg:band_power@13``) on a tiny synthetic MAHNOB-HCI."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from emopipe import __version__
from emopipe.analysis.pipeline import column_shares
from emopipe.analysis.saliency import read_saliency, top_cells
from emopipe.utils.config import read_yaml

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"
#: MAHNOB-HCI's 32 EEG channels (BDF header order) and V2E's six bands
CHANNELS = ("Fp1 AF3 F3 F7 FC5 FC1 C3 T7 CP5 CP1 P3 P7 PO3 O1 Oz Pz Fp2 AF4 Fz F4 F8 FC6 FC2 "
            "Cz C4 T8 CP6 CP2 P4 P8 PO4 O2").split()
BANDS = ["delta", "theta", "alpha", "beta_low", "beta_high", "gamma"]


def _tiny(tmp_path):
    """The V2E pipeline shrunk: 3 subjects x 2 trials, 2-s windows of 8-fps video, 1 epoch, LOSO.

    The cohort is written here (short stimuli, slow video), so the pipeline runs without
    ``synth`` on the download in ``root``.
    """
    from emopipe.io.synth.mahnob import write_mahnob_synth

    write_mahnob_synth(tmp_path / "root", n_subjects=3, n_trials=2, seed=2, stimulus=(6.0, 7.0),
                       face=True, face_fps=8.0)
    doc = read_yaml(PIPELINES / "v2e_mahnob.yaml")
    assert doc["pipeline"].pop("synth")["face"] is True
    doc["pipeline"]["runs"] = [r for r in doc["pipeline"]["runs"] if r["name"] == "loso"]
    doc["pipeline"]["figures"][0].update(check_windows=8, steps=16)
    doc["extract"].update(step=None, window=2.0,
                          modality_params={"face": {"frames_per_window": 4, "size": 32}})
    doc["distill"].update(epochs=1, teacher_epochs=1, batch_size=16)
    out = tmp_path / "v2e_mahnob.yaml"
    out.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def v2e(tmp_path_factory):
    from emopipe.cli import main

    tmp = tmp_path_factory.mktemp("v2e")
    cfg = _tiny(tmp)
    code = main(["pipeline", "run", str(cfg), "--root", str(tmp / "root"), "--out",
                 str(tmp / "out")])
    return code, tmp / "out", cfg


def test_v2e_pipeline_draws_band_by_channel_maps_of_the_student(v2e, capsys):
    code, out, cfg = v2e
    assert code == 0
    fig = out / "figures"
    maps, prov = read_saliency(fig / "v2e_saliency" / "loso_student" / "saliency.h5")
    (smap,) = maps
    # the (window, step, channel, band) input summed over its 13 steps: channels x bands
    assert smap.key == "eeg:band_power@13"
    assert smap.rows == CHANNELS and smap.cols == BANDS
    assert (smap.row_label, smap.col_label) == ("channel", "band")
    assert smap.outputs == ["valence_continuous"]  # one output of the continuous target
    assert smap.subjects == ["1", "2", "3"] and smap.per_subject.shape == (3, 1, 32, 6)
    run = json.loads((out / "runs" / "loso" / "summary.json").read_text())
    assert run["method"] == "v2e" and run["student_inputs"] == ["eeg:band_power@13"]
    assert prov["role"] == "student" and prov["steps"] == 16 and prov["check_windows_per_fold"] == 8
    # every LOSO test window counts once
    from emopipe.distill.run_reader import load_run

    loaded = load_run(out / "runs" / "loso")
    assert int(smap.n_windows.sum()) == sum(len(f.test_idx) for f in loaded.folds)
    # MAHNOB's montage places every channel: the topomap is drawn, none left out
    summary = json.loads((fig / "v2e_saliency" / "loso_student" / "saliency_summary.json")
                         .read_text())
    assert summary["montage"] == "standard_1020"
    assert summary["channels_without_position"] == {"eeg:band_power@13": []}
    assert (fig / "v2e_saliency" / "loso_student" /
            "saliency_topomap_eeg_band_power@13.png").stat().st_size > 1000
    # the tables are the map's own numbers
    with open(fig / "v2e_saliency_top.csv", newline="") as fid:
        top = list(csv.DictReader(fid))
    want = top_cells(smap, 0, 5)
    assert [(r["rank"], r["row"], r["col"]) for r in top] == [
        (str(i + 1), r, c) for i, (r, c, _, _) in enumerate(want)]
    np.testing.assert_allclose([float(r["mean"]) for r in top], [m for _, _, m, _ in want],
                               rtol=1e-5)
    last = prov["randomisation"][-1]["spearman"]
    assert {r["spearman_random"] for r in top} == {f"{last:.6g}"}
    with open(fig / "v2e_saliency_bands.csv", newline="") as fid:
        bands = list(csv.DictReader(fid))
    shares = column_shares(smap, 0)
    assert [r["col"] for r in bands] == BANDS
    np.testing.assert_allclose([float(r["share"]) for r in bands], shares, rtol=1e-5)
    m = np.nan_to_num(smap.mean[0])
    np.testing.assert_allclose(shares, m.sum(0) / m.sum())
    side = json.loads((fig / "v2e_saliency_loso_student.json").read_text())
    assert side["emopipe_version"] == __version__ and side["run_name"] == "loso"
    assert side["pipeline"] == str(cfg) and side["flagged"] == prov["flagged"]
    for ext in ("png", "pdf"):
        assert (fig / f"v2e_saliency_loso_student.{ext}").stat().st_size > 1000


def test_v2e_pipeline_prints_the_maps_and_the_paper_note(v2e, capsys):
    _, out, _ = v2e
    text = (out / "tables" / "results.md").read_text()
    assert "Visual-to-EEG KD (Zhang, Tang, Guan, Pattern Recognition 130:108833, 2022) does " \
           "not give per-table numbers that are known here" in text
    assert "p < 0.01 TRS, p < 0.05 LOSO" in text
    with open(out / "tables" / "results.csv", newline="") as fid:
        rows = list(csv.DictReader(fid))
    assert [(r["run"], r["model"]) for r in rows] == [
        ("loso", "teacher"), ("loso", "student"), ("loso", "baseline")]
    assert all(r["ccc_paper"] == "nan" for r in rows)


def test_step_sequence_attributions_sum_over_steps_and_stay_complete(v2e):
    """Per window the (channel x band) matrix adds up to f(x) - f(baseline) (IG completeness)."""
    import torch

    from emopipe.analysis.saliency_attr import _forward_of, attribute
    from emopipe.analysis.saliency import attribution_matrix
    from emopipe.analysis.saliency_run import _FoldInputs
    from emopipe.distill.run_reader import load_run

    _, out, _ = v2e
    run = load_run(out / "runs" / "loso")
    data = run.cohort()
    fold = run.folds[0]
    fin = _FoldInputs(fold, "student", data)
    model = fold.model("student")
    (X,) = fin.arrays
    assert X.shape[1:] == (13, 32, 6)
    (attr,) = attribute(model, fin.arrays, fin.group, shapes=fin.plan.shapes, steps=64)
    mat = attribution_matrix(attr, fold.inputs["eeg:band_power@13"]["dims"])
    assert mat.shape == (X.shape[0], 32, 6)
    np.testing.assert_allclose(mat, attr.sum(1))  # summed over the 13 steps
    fwd = _forward_of(model, fin.plan.shapes, [False])
    with torch.no_grad():
        fx = fwd(torch.from_numpy(X.astype(np.float32)))[:, 0].numpy()
        f0 = fwd(torch.zeros((1,) + X.shape[1:]))[:, 0].numpy()
    np.testing.assert_allclose(mat.reshape(len(X), -1).sum(1), fx - f0, atol=2e-3 *
                               max(1.0, float(np.abs(fx - f0).max())))


@pytest.mark.parametrize("field, value, message", [
    ("method", "gradcam", "method must be one of 'ig', 'saliency', 'input_x_gradient', got "
                          "'gradcam'."),
    ("steps", 0, "steps must be an int >= 1, got 0."),
    ("check_windows", 2.5, "check_windows must be an int >= 1, got 2.5."),
])
def test_saliency_figure_fields_are_checked_when_the_file_is_read(tmp_path, field, value,
                                                                  message):
    from emopipe.analysis.pipeline import load_pipeline
    from emopipe.utils._errors import ConfigError

    doc = read_yaml(PIPELINES / "v2e_mahnob.yaml")
    doc["pipeline"]["figures"][0][field] = value
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_pipeline(path)
    assert str(err.value).endswith(f"figure 'v2e_saliency': {message}")
