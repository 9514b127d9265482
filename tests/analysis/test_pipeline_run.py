"""``emopipe pipeline run``: the CMCRD t-SNE pipeline on a tiny synthetic SEED-V cohort, config errors."""

import csv
import json
from pathlib import Path

import pytest
import yaml

from emopipe import __version__
from emopipe.analysis.pipeline import load_pipeline
from emopipe.utils._errors import ConfigError, UnknownNameError
from emopipe.utils.config import read_yaml

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"


def _tiny(path, tmp_path, **distill):
    """The pipeline file shrunk: 3 subjects x 4 windows per trial, subject 1's folds, 3 epochs."""
    doc = read_yaml(path)
    doc["pipeline"]["synth"].update(n_subjects=3, max_windows=4)
    for run in doc["pipeline"]["runs"]:
        # the first folds are subject 1's: its three official folds, its LOSO fold
        run["max_folds"] = 3 if run["protocol"] == "seed_v_3fold" else 1
    doc["distill"].update(epochs=3, batch_size=64, patience=0, **distill)
    out = tmp_path / path.name
    out.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def cmcrd(tmp_path_factory):
    from emopipe.cli import main

    tmp = tmp_path_factory.mktemp("pipe")
    cfg = _tiny(PIPELINES / "cmcrd_seed_v.yaml", tmp)
    code = main(["pipeline", "run", str(cfg), "--root", str(tmp / "root"), "--out",
                 str(tmp / "out")])
    return code, tmp / "out", cfg


def test_cmcrd_tsne_pipeline_writes_tables_and_the_figure(cmcrd, capsys):
    code, out, cfg = cmcrd
    assert code == 0
    # the table holds the run folders' own subject-level numbers, in percent
    with open(out / "tables" / "results.csv", newline="") as fid:
        table = list(csv.DictReader(fid))
    assert [(r["run"], r["model"]) for r in table] == [
        (run, role) for run in ("within", "cross") for role in ("teacher", "student", "baseline")]
    for r in table:
        summary = json.loads((out / "runs" / r["run"] / "summary.json").read_text())
        want = summary["subjects"][r["model"]]["accuracy"]["mean"] * 100
        assert float(r["accuracy"]) == pytest.approx(want, rel=1e-5)
        assert r["accuracy_paper"] == "nan"  # CMCRD's tables are not known
    md = (out / "tables" / "results.md").read_text()
    assert "CMCRD (Kan et al., arXiv:2504.09221, IEEE TAFFC) does not give per-table numbers " \
           "that are known here, so the 'paper' columns are n/a." in md
    assert "+6.2 % mean accuracy" in md
    # the figure: subject 1, student alone and CMCRD student, within and cross subject
    with open(out / "figures" / "cmcrd_tsne_scores.csv", newline="") as fid:
        scores = list(csv.DictReader(fid))
    assert [(r["run"], r["model"], r["subject"], r["n_windows"], r["n_folds"]) for r in scores] \
        == [("within", "student alone", "1", "180", "3"), ("within", "distilled student", "1",
                                                           "180", "3"),
            ("cross", "student alone", "1", "180", "1"), ("cross", "distilled student", "1",
                                                          "180", "1")]
    side = json.loads((out / "figures" / "cmcrd_tsne.json").read_text())
    assert side["subject"] == "1" and side["emopipe_version"] == __version__
    assert side["configs"]["within"]["protocol"] == "seed_v_3fold"
    assert side["configs"]["cross"]["method"] == "cmcrd"
    for ext in ("png", "pdf"):
        assert (out / "figures" / f"cmcrd_tsne.{ext}").stat().st_size > 1000
    rec = json.loads((out / "pipeline.json").read_text())
    assert rec["runs"]["cross"]["protocol"] == "loso" and rec["file"] == str(cfg)


def test_figure_scores_equal_an_independent_tsne_of_the_run(cmcrd):
    from emopipe.analysis.embedding import run_tsne

    _, out, _ = cmcrd
    with open(out / "figures" / "cmcrd_tsne_scores.csv", newline="") as fid:
        scores = {(r["run"], r["model"]): r for r in csv.DictReader(fid)}
    rows = run_tsne(out / "runs" / "within", None, roles=["baseline"], scopes=["subject"],
                    subjects=["1"])
    assert float(scores[("within", "student alone")]["knn_accuracy"]) == pytest.approx(
        rows[0]["knn_accuracy"], rel=1e-5)


def test_rerun_reuses_everything(cmcrd, capsys):
    from emopipe.cli import main

    _, out, cfg = cmcrd
    before = (out / "tables" / "results.csv").read_text()
    assert main(["pipeline", "run", str(cfg), "--root", str(out.parent / "root"), "--out",
                 str(out)]) == 0
    text = capsys.readouterr().out
    assert "already there, reused" in text and "0 subject(s) extracted, 3 already current" in text
    assert (out / "tables" / "results.csv").read_text() == before


def _write(tmp_path, doc):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_pipeline_config_errors_name_the_field(tmp_path):
    base = {"pipeline": {"name": "x", "dataset": "seed_v", "runs": [{"name": "a"}]},
            "distill": {"student": "eeg"}}
    assert list(load_pipeline(_write(tmp_path, base)).runs) == ["a"]
    bad = {**base, "pipeline": {**base["pipeline"], "figurs": []}}
    with pytest.raises(ConfigError, match=r"p.yaml: pipeline: unknown key 'figurs' for "
                                          r"PipelineConfig\. .* Did you mean 'figures'\?"):
        load_pipeline(_write(tmp_path, bad))
    bad = {**base, "pipeline": {**base["pipeline"], "figures": [{"name": "f", "runs": ["b"]}]}}
    with pytest.raises(ConfigError, match=r"pipeline.figures\[0\] \('f'\): runs \['b'\] are not "
                                          r"in pipeline.runs \(\['a'\]\)"):
        load_pipeline(_write(tmp_path, bad))
    bad = {**base, "pipeline": {**base["pipeline"], "figures": [{"name": "f", "kind": "umap"}]}}
    with pytest.raises(UnknownNameError, match=r"Figure kind 'umap' not found. Available figure "
                                               r"kinds: 'saliency', 'tsne'"):
        load_pipeline(_write(tmp_path, bad))
    bad = {**base, "pipeline": {**base["pipeline"], "runs": [{"name": "a", "protocl": "loso"}]}}
    with pytest.raises(ConfigError, match=r"p.yaml: pipeline.runs\[0\]: unknown key 'protocl' "
                                          r"for DistillConfig"):
        load_pipeline(_write(tmp_path, bad))
    bad = {**base, "paper": {"reported": {"b": {"student": {"accuracy": 50}}}}}
    with pytest.raises(ConfigError, match=r"paper.reported names runs \['b'\] that are not in "
                                          r"pipeline.runs \(\['a'\]\)"):
        load_pipeline(_write(tmp_path, bad))
    with pytest.raises(ConfigError, match=r"p.yaml: a pipeline file needs a top-level "
                                          r"'pipeline:' section"):
        load_pipeline(_write(tmp_path, {"distill": {"student": "eeg"}}))
    with pytest.raises(ConfigError, match=r"unknown top-level section 'figures'"):
        load_pipeline(_write(tmp_path, {**base, "figures": []}))


def test_synth_refuses_to_write_over_a_folder_with_data(tmp_path, capsys):
    doc = {"pipeline": {"name": "x", "dataset": "seed_v", "synth": {"n_subjects": 1}}}
    root = tmp_path / "download"
    root.mkdir()
    (root / "EEG_DE_features").mkdir()
    assert _pipeline_error(["pipeline", "run", str(_write(tmp_path, doc)), "--root", str(root),
                            "--out", str(tmp_path / "o")], capsys) == (
        f"emopipe pipeline: error: --root {root} is not empty and holds no pipeline_synth.json: "
        f"the pipeline's 'synth' would write a synthetic cohort over it. Give an empty or new "
        f"--root, or remove 'synth' from the pipeline to use the data there.")


def test_cli_pipeline_errors_are_one_paragraph(tmp_path, capsys):
    from emopipe.cli import main

    path = _write(tmp_path, {"distill": {"student": "eeg"}})
    assert main(["pipeline", "run", str(path), "--root", str(tmp_path), "--out",
                 str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("emopipe pipeline: error: p.yaml: a pipeline file needs a top-level "
                          "'pipeline:' section") and err.count("\n") == 1
    doc = {"pipeline": {"name": "x", "dataset": "seed_v", "synth": {"n_subject": 2}}}
    assert main(["pipeline", "run", str(_write(tmp_path, doc)), "--root", str(tmp_path / "r"),
                 "--out", str(tmp_path / "o")]) == 1
    assert capsys.readouterr().err == (
        "emopipe pipeline: error: pipeline.synth: the seed_v writer takes ['n_subjects', "
        "'seed', 'scenario', 'max_windows'], not ['n_subject'].\n")


def test_every_pipeline_file_with_a_pipeline_section_loads():
    found = []
    for path in sorted(PIPELINES.glob("*.yaml")):
        if "pipeline" in (read_yaml(path) or {}):
            p = load_pipeline(path)
            found.append(path.name)
            assert p.pipeline.dataset == p.extract.dataset
    assert "cmcrd_seed_v.yaml" in found


def _copy_out(cmcrd, tmp_path):
    import shutil

    _, out, cfg = cmcrd
    shutil.copytree(out, tmp_path / "out")
    return tmp_path / "out", cfg, out.parent / "root"


def _pipeline_error(argv, capsys):
    from emopipe.cli import main

    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # one paragraph
    return err.rstrip("\n")


def test_pipeline_on_a_missing_checkpoint_and_an_older_run_folder(cmcrd, tmp_path, capsys):
    import shutil

    out, cfg, root = _copy_out(cmcrd, tmp_path)
    ckpt = out / "runs" / "cross" / "checkpoints" / "sub-1" / "student.pt"
    ckpt.unlink()
    argv = ["pipeline", "run", str(cfg), "--root", str(root), "--out", str(out)]
    run = out / "runs" / "cross"
    tail = (f" Within 'emopipe pipeline run', deleting {run} and rerunning the pipeline "
            f"retrains that run.")
    assert _pipeline_error(argv, capsys) == (
        f"emopipe pipeline: error: figure 'cmcrd_tsne', run 'cross': {ckpt}: the student "
        f"checkpoint of fold 'sub-1' is missing. Delete {run / 'predictions' / 'sub-1.npz'} "
        f"and rerun 'emopipe distill' on this folder with save_checkpoints=True (resume "
        f"retrains that fold only).{tail}")
    shutil.rmtree(run / "models")
    err = _pipeline_error(argv, capsys)
    assert err.startswith(
        f"emopipe pipeline: error: figure 'cmcrd_tsne', run 'cross': {run}: folds ['sub-1'] "
        f"have no models/<fold>.json and .npz: the folder was written by an emopipe older "
        f"than the self-describing run folder and does not record")
    assert err.endswith(tail)


def test_pipeline_refuses_runs_trained_on_other_data(cmcrd, tmp_path, capsys):
    out, cfg, root = _copy_out(cmcrd, tmp_path)
    doc = read_yaml(cfg)
    doc["pipeline"]["synth"]["seed"] = 1  # another cohort: the cache is re-extracted
    cfg2 = tmp_path / "other.yaml"
    cfg2.write_text(yaml.safe_dump(doc), encoding="utf-8")
    # not over the first cohort's --root
    spec = doc["pipeline"]["synth"]
    assert _pipeline_error(["pipeline", "run", str(cfg2), "--root", str(root), "--out",
                            str(out)], capsys) == (
        f"emopipe pipeline: error: --root {root} holds another synthetic cohort "
        f"(pipeline_synth.json: {dict(spec, seed=0)}; the pipeline asks for {spec}). Give an "
        f"empty or new --root, or delete {root}.")
    was = read_yaml(out / "runs" / "within" / "config.yaml")["data_hash"]
    err = _pipeline_error(["pipeline", "run", str(cfg2), "--root", str(tmp_path / "root"),
                           "--out", str(out)], capsys)
    run = out / "runs" / "within"
    assert err.startswith(f"emopipe pipeline: error: {run / 'config.yaml'}: the run folder holds "
                          f"the same config on other data (data_hash {was!r} vs '")
    now = err.split(f"{was!r} vs '")[1].split("'")[0]
    assert len(now) == len(was) and now != was  # both hashes named
    assert err.endswith(f"Use a new --out folder, delete {run}, or set resume=False to "
                        f"overwrite.")


def test_table_puts_emotionkd_numbers_beside_ours():
    from types import SimpleNamespace

    from emopipe.analysis.pipeline import _markdown, _result_rows

    p = load_pipeline(PIPELINES / "distill_deap_ekd.yaml")

    def ms(mean, sd, n=4):
        return {"mean": mean, "std": sd, "n": n}

    def summary(target, acc):
        metrics = {r: {"accuracy": ms(a, 0.1), "f1_macro": ms(a - 0.05, 0.1),
                       "balanced_accuracy": ms(a, 0.1)} for r, a in acc.items()}
        return SimpleNamespace(summary={
            "method": "ekd", "protocol": "loso", "target": target, "subjects": metrics,
            "paired_student_vs_baseline": {"accuracy": {"p_ttest": 0.25}}})

    results = {"valence": summary("valence", {"teacher": 0.6, "student": 0.55, "baseline": 0.5}),
               "arousal": summary("arousal", {"teacher": 0.5, "student": 0.5, "baseline": 0.5})}
    rows = _result_rows(p, results)
    text = _markdown(rows, p.paper).splitlines()
    assert text[0] == ("| run | protocol | target | model | subjects | accuracy (%) | accuracy "
                       "paper | f1_macro (%) | f1_macro paper | balanced_accuracy (%) | "
                       "balanced_accuracy paper | p vs alone |")
    assert text[2] == ("| valence | loso | valence | teacher | 4 | 60.00 +- 10.00 | 66.61 | "
                       "55.00 +- 10.00 | 66.54 | 60.00 +- 10.00 | n/a | n/a |")
    assert text[3] == ("| valence | loso | valence | student | 4 | 55.00 +- 10.00 | 69.18 | "
                       "50.00 +- 10.00 | 68.33 | 55.00 +- 10.00 | n/a | 0.250 |")
    assert text[4].startswith("| valence | loso | valence | student alone | 4 | 50.00 +- 10.00 "
                              "| n/a |")
    assert text[6].split(" | ")[6] == "55.06"  # arousal student
    assert text[9] == ("Paper numbers: EmotionKD (Liu, Jia, Wang, ACM MM 2023); project page "
                       "results figures (docs/methods.md section 4); protocol unstated, so they "
                       "are orientation values, not targets; their F1 variant is unknown "
                       "(compared with macro-F1).")
