"""``emopipe demo``: the chain on a synthetic cohort, and a rerun that reuses every step."""

import json

import numpy as np

from emopipe.cli import main
from emopipe.demo import DEMO_SCENARIO


def test_demo_runs_the_chain_and_a_rerun_reuses_every_step(tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["demo", "--out", str(out), "--subjects", "3", "--trials", "4", "--method", "hinton_kd"]
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
    summary = json.loads((out / "runs" / "hinton_kd" / "summary.json").read_text())
    assert summary["n_folds"] == 3 and summary["protocol"] == "loso"
    assert summary["teacher_inputs"] == ["eeg:de", "eog:features"]
    assert summary["student_inputs"] == ["eog:features"]
    assert "teacher logits centred per training subject (teacher_centre='subject')" in text
    folds = sorted((out / "runs" / "hinton_kd" / "predictions").glob("*.json"))
    offsets = [set(json.loads(f.read_text())["teacher"]["centre"]["offsets"]) for f in folds]
    # each fold centres on its two training subjects, never on its test subject
    assert len(folds) == 3 and all(len(o) == 2 for o in offsets)
    assert len(set.union(*offsets)) == 3 and not set.intersection(*offsets)
    assert set(summary["subjects"]) == {"teacher", "student", "baseline"}
    # the three printed subject lines hold the numbers of summary.json
    acc = summary["subjects"]["student"]["accuracy"]["mean"]
    assert f"student  accuracy {acc:.3f}" in text
    test = summary["paired_student_vs_baseline"]["balanced_accuracy"]
    assert (f"Paired test over 3 subjects (balanced accuracy): KD student - student alone = "
            f"{test['mean_diff']:+.3f}, paired t p = {test['p_ttest']:.3g}: ") in text
    # the same test against the planted latent class, recomputed here from the run's
    # predictions, the cache's window index and ground_truth.json
    from scipy import stats

    from emopipe.distill.data import load_cohort

    def balanced_accuracy_score(y, pred):  # mean recall over the classes y holds
        return np.mean([np.mean(pred[y == k] == k) for k in np.unique(y)])

    cohort = load_cohort(out / "cache", ["eog:features"])
    lat = np.array([truth["subjects"][s]["trials"][int(t) - 1]["latent"]["arousal"] > 5
                    for s, t in zip(cohort.subject, cohort.trial)], dtype=int)
    kd, alone = [], []
    for f in sorted((out / "runs" / "hinton_kd" / "predictions").glob("*.npz")):
        z = np.load(f)
        kd.append(balanced_accuracy_score(lat[z["test_idx"]], z["student"].argmax(1)))
        alone.append(balanced_accuracy_score(lat[z["test_idx"]], z["baseline"].argmax(1)))
    diff = float(np.mean(np.subtract(kd, alone)))
    p = stats.ttest_rel(kd, alone).pvalue
    assert (f"Against the planted latent arousal class (ground_truth.json; known only on "
            f"synthetic data): KD student - student alone = {diff:+.3f}, paired t p = "
            f"{p:.3g}: ") in text
    assert "extract EEG, EOG and GSR features (4-s windows)" in text
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "already there, reused" in text
    assert "0 subject(s) extracted, 3 already current" in text
    summary2 = json.loads((out / "runs" / "hinton_kd" / "summary.json").read_text())
    assert summary2["n_resumed"] == 3
    assert summary2["subjects"] == summary["subjects"]


def test_demo_refuses_too_few_subjects(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--subjects", "2"]) == 1
    assert ("n_subjects must be >= 3 for the demo's leave-one-subject-out run, got 2."
            in capsys.readouterr().err)
