"""``emopipe demo``: the chain on a synthetic cohort, and a rerun that reuses every step."""

import json

import numpy as np

from emopipe.cli import main
from emopipe.demo import DEMO_SCENARIO


def test_demo_runs_the_chain_and_a_rerun_reuses_every_step(tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--subjects", "3", "--trials", "4", "--method", "hinton_kd",
            "--n-seeds", "2"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "3 subject(s) extracted, 0 already current" in text
    # the demo runs the positive-control scenario and says so, with its planted strengths and
    # the paired test
    assert DEMO_SCENARIO == "kd_strong"
    truth = json.loads((out / "deap" / "ground_truth.json").read_text())
    assert truth["scenario"]["name"] == DEMO_SCENARIO
    assert "synthetic DEAP cohort, scenario 'kd_strong': 3 subjects x 4 trials" in text
    flips = truth["strengths"]["label_flip_rate_arousal"]
    assert f"{100 * flips:.0f} % of the arousal classes differ from the latent's" in text
    bg = truth["strengths"]["pooled"]["eeg_beta_gamma~arousal"]
    assert f"EEG beta/gamma {bg:.2f}" in text
    assert (out / "deap" / "data_preprocessed_python" / "s01.dat").is_file()
    runs = [out / "runs" / "hinton_kd" / f"seed{k}" for k in (0, 1)]
    assert "at training seed(s) 0, 1" in text
    summary = json.loads((runs[0] / "summary.json").read_text())
    assert summary["n_folds"] == 3 and summary["protocol"] == "loso"
    assert json.loads((runs[1] / "summary.json").read_text())["seed"] == 1
    assert summary["teacher_inputs"] == ["eeg:de", "eog:features"]
    assert summary["student_inputs"] == ["eog:features"]
    assert "teacher logits centred per training subject (teacher_centre='subject')" in text
    folds = sorted((runs[0] / "predictions").glob("*.json"))
    offsets = [set(json.loads(f.read_text())["teacher"]["centre"]["offsets"]) for f in folds]
    # each fold centres on its two training subjects, never on its test subject
    assert len(folds) == 3 and all(len(o) == 2 for o in offsets)
    assert len(set.union(*offsets)) == 3 and not set.intersection(*offsets)
    assert set(summary["subjects"]) == {"teacher", "student", "baseline"}
    # the first seed's subject lines hold the numbers of its summary.json
    acc = summary["subjects"]["student"]["accuracy"]["mean"]
    assert f"student  accuracy {acc:.3f}" in text
    test = summary["paired_student_vs_baseline"]["balanced_accuracy"]
    assert (f"training seed 0, against the written labels (balanced accuracy, paired over 3 "
            f"subjects): KD student - student alone = {test['mean_diff']:+.3f}, paired t p = "
            f"{test['p_ttest']:.3g}: ") in text
    # the seed-pooled tests against the labels and against the planted latent class,
    # recomputed here from both runs' predictions, the cache's window index and
    # ground_truth.json: each subject's scores averaged over the seeds, then ttest_rel
    from scipy import stats

    from emopipe.distill.data import load_cohort

    def balanced_accuracy_score(y, pred):  # mean recall over the classes y holds
        return np.mean([np.mean(pred[y == k] == k) for k in np.unique(y)])

    cohort = load_cohort(out / "cache", ["eog:features"])
    lat = np.array([truth["subjects"][s]["trials"][int(t) - 1]["latent"]["arousal"] > 5
                    for s, t in zip(cohort.subject, cohort.trial)], dtype=int)
    written = cohort.labels["arousal_class"]
    pooled = []
    for what, y in (("against the written labels", written),
                    ("against the planted latent arousal class (ground_truth.json; known only "
                     "on synthetic data)", lat)):
        kd, alone = np.zeros(3), np.zeros(3)
        for run in runs:
            for j, f in enumerate(sorted((run / "predictions").glob("*.npz"))):
                z = np.load(f)
                kd[j] += balanced_accuracy_score(y[z["test_idx"]], z["student"].argmax(1)) / 2
                alone[j] += balanced_accuracy_score(y[z["test_idx"]], z["baseline"].argmax(1)) / 2
        p = stats.ttest_rel(kd, alone).pvalue
        line = (f"2 seed(s), {what} (balanced accuracy, paired over 3 subjects, each averaged "
                f"over the seeds): KD student - student alone = {np.mean(kd - alone):+.3f}, "
                f"paired t p = {p:.3g}: ")
        assert line in text
        pooled.append(line)
    assert "extract EEG, EOG and GSR features (4-s windows)" in text
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "already there, reused" in text
    assert "0 subject(s) extracted, 3 already current" in text
    summary2 = json.loads((runs[0] / "summary.json").read_text())
    assert summary2["n_resumed"] == 3
    assert summary2["subjects"] == summary["subjects"]
    assert all(line in text for line in pooled)  # the resumed runs give the same tests


def test_demo_refuses_too_few_subjects(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--subjects", "2"]) == 1
    assert ("n_subjects must be >= 3 for the demo's leave-one-subject-out run, got 2."
            in capsys.readouterr().err)
    assert main(["demo", "--out", str(tmp_path), "--n-seeds", "0"]) == 1
    assert "--n-seeds must be >= 1, got 0." in capsys.readouterr().err
