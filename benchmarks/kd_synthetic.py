"""KD student versus the same student alone, every method, on the synthetic DEAP cohort.

Synthesises a DEAP-format cohort with planted effects (``emopipe synth``),
extracts 4-s windows (EEG DE + raw EEG, EOG features + raw vEOG/hEOG, GSR
features + raw conductance at 128 Hz) into a cache, and runs every method of
``emopipe.distill.METHODS`` under ``loso`` and ``within_subject_kfold`` for
arousal, where the planted effect is spread over EEG (beta/gamma power), EOG
(blink and saccade rates) and GSR (SCR rate), so a fused teacher sees more of
it than a single-modality student:

===============================  ==========================  ==================
methods                          teacher                     student
===============================  ==========================  ==================
feature methods (hinton_kd ...)  ``eeg:de+eog:features``     ``eog:features``
``ekd``                          ``eeg:de+gsr:features``     ``gsr:features``
``bs25``                         ``eeg:de+eog:features``     ``eog:features``
``v2e`` (continuous arousal)     ``eeg:de+eog:features``     ``eog:features``
===============================  ==========================  ==================

With ``--raw``, ``ekd`` and ``bs25`` use their own architectures on raw
windows (``eeg:raw+gsr:raw -> gsr:raw``, ``eeg:raw+eog:raw -> eog:raw``):
about 1 s per 64-window step of the EmotionKD teacher on 2 CPU cores, so
keep such runs small (``--subjects``, ``--epochs-raw``).

Prints one markdown row per (protocol, method): teacher, KD student and
no-KD baseline (mean over subjects), the paired difference and the paired
t-test and Wilcoxon p-values over subjects; writes the rows to
``<work>/kd_table.json``. Each run folder is kept (and resumed) under
``<work>/runs``.

Usage::

    python benchmarks/kd_synthetic.py [--work /tmp/kd_synth] [--subjects 10] [--trials 20]
        [--methods hinton_kd cmcrd ...] [--protocols loso within_subject_kfold]
"""

import argparse
import json
import time
from pathlib import Path

FEATURE_METHODS = ("hinton_kd", "fitnet", "crd", "cmcrd", "sp", "rkd", "pkt", "nst")
#: EKD / BS25 on feature vectors (fusion MLP teacher, MLP student, MLKD + feedback)
INPUTS = {
    "ekd": ("eeg:de+gsr:features", "gsr:features"),
    "bs25": ("eeg:de+eog:features", "eog:features"),
}
#: ``--raw``: their own architectures on raw windows (ekd_teacher / ekd_student)
RAW_INPUTS = {
    "ekd": ("eeg:raw+gsr:raw", "gsr:raw"),
    "bs25": ("eeg:raw+eog:raw", "eog:raw"),
}
DEFAULT_INPUTS = ("eeg:de+eog:features", "eog:features")


def prepare(work, n_subjects, n_trials, seed):
    """Synthetic download and its 4-s window cache; returns the cache folder."""
    from emopipe.cache import run_extract
    from emopipe.features.extract import ExtractConfig
    from emopipe.io.synth.deap import write_deap_synth

    root, cache = work / "deap", work / "cache"
    truth = root / "ground_truth.json"
    if not truth.is_file():
        write_deap_synth(root, n_subjects=n_subjects, n_trials=n_trials, seed=seed, raw=False)
    config = ExtractConfig(dataset="deap", window=4.0, eeg_features=("de", "raw"),
                           modalities=("eeg", "eog", "gsr"),
                           modality_params={"eog": {"raw": True}, "gsr": {"raw": True}})
    run_extract(config, root, cache)
    return cache


def run_one(cache, work, method, protocol, seed, threads, raw=False, epochs_raw=3):
    from emopipe.distill import DistillConfig, run_distill

    raw = raw and method in RAW_INPUTS
    teacher, student = (RAW_INPUTS if raw else INPUTS).get(method, DEFAULT_INPUTS)
    cfg = DistillConfig(
        cache=str(cache), teacher=teacher, student=student, method=method, protocol=protocol,
        target="arousal", seed=seed, n_folds=5,
        epochs=epochs_raw if raw else 30, batch_size=64 if raw else 128,
        lr=3e-4 if raw else 1e-3, patience=5 if raw else 10,
        loss_params={"crd": {"nce_k": 256}, "cmcrd": {"nce_k": 256}},
        n_threads=threads,
        out=str(work / "runs" / f"{protocol}-{method}{'-raw' if raw else ''}"),
        save_checkpoints=False)
    t0 = time.perf_counter()
    res = run_distill(cfg)
    s = res.summary
    metric = "ccc" if method == "v2e" else "accuracy"
    row = {"protocol": protocol, "method": method + ("-raw" if raw else ""), "teacher_input": teacher,
           "student_input": student, "metric": metric, "folds": len(res.folds),
           "seconds": round(time.perf_counter() - t0, 1)}
    for role in ("teacher", "student", "baseline"):
        row[role] = s["subjects"][role][metric]["mean"]
        row[f"{role}_std"] = s["subjects"][role][metric]["std"]
    test = s["paired_student_vs_baseline"][metric]
    row.update(diff=test["mean_diff"], p_ttest=test["p_ttest"], p_wilcoxon=test["p_wilcoxon"],
               n_subjects=test["n"])
    return row


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", default="/tmp/kd_synth")
    p.add_argument("--subjects", type=int, default=10)
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--methods", nargs="+", default=list(FEATURE_METHODS) + ["ekd", "bs25", "v2e"])
    p.add_argument("--protocols", nargs="+", default=["loso", "within_subject_kfold"])
    p.add_argument("--raw", action="store_true", help="ekd / bs25 on raw windows")
    p.add_argument("--epochs-raw", type=int, default=3)
    args = p.parse_args()
    work = Path(args.work)
    cache = prepare(work, args.subjects, args.trials, args.seed)
    rows = []
    print("| protocol | method | teacher | KD student | student alone | diff | p (t) | p (W) "
          "| s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for protocol in args.protocols:
        for method in args.methods:
            r = run_one(cache, work, method, protocol, args.seed, args.threads, raw=args.raw,
                        epochs_raw=args.epochs_raw)
            rows.append(r)
            print(f"| {protocol} | {method} ({r['metric']}) | {r['teacher']:.3f} | "
                  f"{r['student']:.3f} | {r['baseline']:.3f} | {r['diff']:+.3f} | "
                  f"{r['p_ttest']:.3g} | {r['p_wilcoxon']:.3g} | {r['seconds']:.0f} |",
                  flush=True)
            with open(work / "kd_table.json", "w", encoding="utf-8") as fid:
                json.dump(rows, fid, indent=1)


if __name__ == "__main__":
    main()
