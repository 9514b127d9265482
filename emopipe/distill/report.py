"""The report of a run: scores from stored predictions, summaries, :class:`RunResult`."""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import metrics as _metrics
from .config import DistillConfig


@dataclass
class RunResult:
    """What :func:`run_distill` returns.

    Parameters
    ----------
    config : DistillConfig
        The config run.
    out : Path | None
        Run folder.
    folds : list of str
        Fold names in order.
    metrics_fold : list of dict
        One row per (fold, model): ``fold``, ``model``, ``n_test`` and metrics.
    metrics_subject : list of dict
        One row per (subject, model), predictions pooled over folds.
    summary : dict
        Mean and std per metric and model, paired tests, timing.
    predictions : dict of str -> dict
        Per fold: ``test_idx`` (window rows of the cohort) and the test
        outputs of each model (``teacher``, ``student``, ``baseline``;
        logits of shape (n_test, n_classes) or predictions (n_test, 1)).
    """

    config: DistillConfig
    out: Path | None
    folds: list
    metrics_fold: list
    metrics_subject: list
    summary: dict
    predictions: dict = field(default_factory=dict)

    def summary_text(self):
        """A few lines for the terminal: mean +- std over subjects, paired tests.

        Returns
        -------
        text : str
            One line per model with the subject-level mean and sample standard
            deviation of each metric, then the student-vs-baseline paired
            t-test and Wilcoxon p-values when a baseline was trained.
        """
        s = self.summary
        lines = [f"{s.get('method')} / {s.get('protocol')} / {s.get('target')}: "
                 f"{s.get('n_folds')} fold(s), seed {s.get('seed')}, "
                 f"{s.get('seconds', float('nan')):.1f} s"]
        for role, metrics in s.get("subjects", {}).items():
            parts = [f"{m} {v['mean']:.3f} +- {v['std']:.3f}" for m, v in metrics.items()]
            lines.append(f"  {role:<8} " + ", ".join(parts) + "  (over subjects)")
        paired = s.get("paired_student_vs_baseline") or {}
        for m, test in paired.items():
            if m not in ("accuracy", "ccc"):
                continue
            lines.append(
                f"  student - baseline {m}: {test.get('mean_diff', float('nan')):+.3f}, "
                f"paired t p = {test.get('p_ttest', float('nan')):.3g}, "
                f"Wilcoxon p = {test.get('p_wilcoxon', float('nan')):.3g} "
                f"(n = {test.get('n', 0)} subjects)")
        return "\n".join(lines)


def _decode(kind, pred):
    if kind == "class":
        return np.asarray(pred).argmax(axis=1)
    return np.asarray(pred).reshape(len(pred), -1)[:, 0]


def _scores(run, idx, pred):
    c = run.cohort
    if run.kind == "class":
        return _metrics.classification_scores(run.y[idx], _decode("class", pred))
    trial_key = np.char.add(np.char.add(c.subject[idx], "/"), c.trial[idx].astype(str))
    return _metrics.regression_scores(run.y[idx], _decode("continuous", pred), trial=trial_key,
                                      onset=c.onset[idx], duration=c.duration[idx])


def _mean_std(values):
    v = np.asarray([x for x in values if np.isfinite(x)], float)
    if v.size == 0:
        return {"mean": float("nan"), "std": float("nan"), "n": 0}
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
            "n": int(v.size)}


def _summarise(run, folds, all_preds):
    c = run.cohort
    roles = [r for r in ("teacher", "student", "baseline") if any(r in p for p in all_preds)]
    rows_fold = []
    pooled = {r: {"idx": [], "pred": []} for r in roles}
    for fold, preds in zip(folds, all_preds):
        idx = preds["test_idx"]
        for r in roles:
            if r not in preds:
                continue
            rows_fold.append({"fold": fold.name, "model": r, "n_test": int(len(idx)),
                              **_scores(run, idx, preds[r])})
            pooled[r]["idx"].append(idx)
            pooled[r]["pred"].append(np.asarray(preds[r]))
    rows_sub = []
    for r in roles:
        idx = np.concatenate(pooled[r]["idx"])
        pred = np.concatenate(pooled[r]["pred"])
        for s in np.unique(c.subject[idx]):
            sel = c.subject[idx] == s
            rows_sub.append({"subject": s, "model": r, "n_test": int(sel.sum()),
                             **_scores(run, idx[sel], pred[sel])})
    metric_names = [k for k in (rows_fold[0] if rows_fold else {}) if k not in
                    ("fold", "model", "n_test")]
    summary = {"folds": {}, "subjects": {}, "paired_student_vs_baseline": {}}
    for r in roles:
        fr = [row for row in rows_fold if row["model"] == r]
        sr = [row for row in rows_sub if row["model"] == r]
        summary["folds"][r] = {m: _mean_std([row[m] for row in fr]) for m in metric_names}
        summary["subjects"][r] = {m: _mean_std([row[m] for row in sr]) for m in metric_names}
    if "student" in roles and "baseline" in roles:
        st = {row["subject"]: row for row in rows_sub if row["model"] == "student"}
        bl = {row["subject"]: row for row in rows_sub if row["model"] == "baseline"}
        subs = sorted(set(st) & set(bl))
        for m in metric_names:
            summary["paired_student_vs_baseline"][m] = _metrics.paired_tests(
                [st[s][m] for s in subs], [bl[s][m] for s in subs])
        summary["paired_unit"] = "subject"
    return rows_fold, rows_sub, summary
