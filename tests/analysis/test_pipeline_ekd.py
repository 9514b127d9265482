"""``emopipe pipeline run pipelines/ekd_mahnob.yaml``: EmotionKD's MAHNOB-HCI numbers printed
beside ours, on a tiny synthetic MAHNOB-HCI cohort."""

import csv
import json
from pathlib import Path

import pytest
import yaml

from emopipe.utils.config import read_yaml

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"


def test_ekd_mahnob_pipeline_puts_the_papers_hci_numbers_beside_ours(tmp_path, capsys):
    from emopipe.cli import main

    doc = read_yaml(PIPELINES / "ekd_mahnob.yaml")
    doc["pipeline"]["synth"] = {"n_subjects": 3, "trials": 4, "seed": 3, "scenario": "kd"}
    for run in doc["pipeline"]["runs"]:
        run["max_folds"] = 1
    doc["distill"].update(epochs=1, batch_size=16, patience=0)
    cfg = tmp_path / "ekd_mahnob.yaml"
    cfg.write_text(yaml.safe_dump(doc), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["pipeline", "run", str(cfg), "--root", str(tmp_path / "root"), "--out",
                 str(out)]) == 0
    text = capsys.readouterr().out
    with open(out / "tables" / "results.csv", newline="") as fid:
        rows = {(r["run"], r["model"]): r for r in csv.DictReader(fid)}
    assert list(rows) == [(run, role) for run in ("valence", "arousal")
                          for role in ("teacher", "student", "baseline")]
    # docs/methods.md section 4, HCI columns: EmotionNet-Teacher and EmotionNet-Student
    paper = {("valence", "teacher"): ("64.72", "64.27"), ("valence", "student"): ("59.56", "57.81"),
             ("arousal", "teacher"): ("60.66", "58.32"), ("arousal", "student"): ("56.86", "50.49"),
             ("valence", "baseline"): ("nan", "nan"), ("arousal", "baseline"): ("nan", "nan")}
    for key, (acc, f1) in paper.items():
        assert (rows[key]["accuracy_paper"], rows[key]["f1_macro_paper"]) == (acc, f1)
        summary = json.loads((out / "runs" / key[0] / "summary.json").read_text())
        want = 100 * summary["subjects"][key[1]]["accuracy"]["mean"]
        assert float(rows[key]["accuracy"]) == pytest.approx(want, rel=1e-5)
    md = (out / "tables" / "results.md").read_text()
    assert md in text  # printed as written
    line = next(ln for ln in md.splitlines() if ln.startswith("| valence | loso | valence | "
                                                              "student |"))
    assert line.split(" | ")[6] == "59.56" and line.split(" | ")[8] == "57.81"
    assert ("Paper numbers: EmotionKD (Liu, Jia, Wang, ACM MM 2023); project page results "
            "figures, HCI columns (docs/methods.md section 4)") in md
    assert "Visual-to-EEG KD 55.33 / 54.36; 47.26 / 46.76" in md
