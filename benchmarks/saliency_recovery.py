"""Planted-truth check of ``emopipe saliency`` on the ``kd`` scenario of the synthetic DEAP cohort.

Synthesises ``emopipe synth --dataset deap --scenario kd`` (arousal raises
ln beta and gamma power at C3, C4, Cz, T7 and T8: 10 planted (channel, band)
cells out of 32 x 4, read from ``ground_truth.json``), extracts 4-s EEG DE
windows, trains an EEG-DE MLP student for arousal under leave-one-subject-out
(``method="none"``: the student alone; the map explains what an EEG model
reads) and runs :func:`~emopipe.analysis.saliency_run.run_saliency`
(integrated gradients, 32 steps, with the cascading randomisation check).

Reports, per output (arousal class), the top five cells of the map and how
many of them are planted, the ranks of the planted cells, the Spearman
correlation of each randomisation step with the trained map, and whether the
issue's targets hold: the top five cells are all planted, and the fully
randomised map has rank correlation < 0.3 with the trained map. Writes
``<work>/recovery.json``.

Usage::

    python benchmarks/saliency_recovery.py [--work /tmp/saliency_recovery] [--subjects 8]
        [--trials 20] [--epochs 40]
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np


def prepare(work, n_subjects, n_trials, seed):
    """Synthetic kd download and its 4-s EEG DE cache; returns (cache, planted cells)."""
    from emopipe.cache import run_extract
    from emopipe.features.extract import ExtractConfig
    from emopipe.io.synth.deap import write_deap_synth

    root, cache = work / "deap", work / "cache"
    truth_path = root / "ground_truth.json"
    if not truth_path.is_file():
        write_deap_synth(root, n_subjects=n_subjects, n_trials=n_trials, seed=seed, raw=False,
                         scenario="kd")
    truth = json.loads(truth_path.read_text())
    eff = truth["effects"]["arousal_beta_gamma"]
    planted = {(ch, band) for ch in eff["channels"] for band in eff["bands_hz"]}
    run_extract(ExtractConfig(dataset="deap", window=4.0, modalities=("eeg",)), root, cache)
    return cache, planted


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", default="/tmp/saliency_recovery")
    p.add_argument("--subjects", type=int, default=8)
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    from emopipe.analysis.saliency_run import run_saliency
    from emopipe.distill import DistillConfig, run_distill

    work = Path(args.work)
    t0 = time.perf_counter()
    cache, planted = prepare(work, args.subjects, args.trials, args.seed)
    run = work / "run"
    res = run_distill(DistillConfig(cache=str(cache), student="eeg:de", method="none",
                                    protocol="loso", target="arousal", seed=args.seed,
                                    epochs=args.epochs, batch_size=128, lr=1e-3, patience=10,
                                    n_threads=args.threads, out=str(run)))
    acc = res.summary["subjects"]["student"]["accuracy"]["mean"]
    t1 = time.perf_counter()
    sal = run_saliency(run, work / "saliency", check_windows=256, seed=args.seed)
    t2 = time.perf_counter()
    smap = sal.maps[0]
    report = {"n_subjects": args.subjects, "n_trials": args.trials, "epochs": args.epochs,
              "student_accuracy": acc, "planted": sorted(map(list, planted)),
              "seconds_train": round(t1 - t0, 1), "seconds_saliency": round(t2 - t1, 1),
              "outputs": {}}
    print(f"EEG-DE MLP student, LOSO over {args.subjects} subjects: accuracy {acc:.3f} "
          f"(train {t1 - t0:.0f} s, saliency {t2 - t1:.0f} s)")
    for o, name in enumerate(smap.outputs):
        m = smap.mean[o]
        order = np.argsort(-m, axis=None, kind="stable")
        cells = [(smap.rows[r], smap.cols[c]) for r, c in zip(*np.unravel_index(order, m.shape))]
        top5 = cells[:5]
        ranks = sorted(cells.index(c) + 1 for c in planted)
        hits = sum(c in planted for c in top5)
        report["outputs"][name] = {"top5": top5, "planted_in_top5": hits,
                                   "planted_ranks": ranks}
        print(f"arousal class {name}: top 5 {top5}; {hits}/5 planted; planted ranks {ranks}")
    last = sal.check[-1]["spearman"]
    report["randomisation"] = sal.check
    report["flagged"] = sal.flagged
    all_top = all(v["planted_in_top5"] == 5 for v in report["outputs"].values())
    report["targets"] = {"top5_all_planted": all_top, "randomised_spearman_below_0.3": last < 0.3}
    print("randomisation (Spearman with the trained map): "
          + ", ".join(f"{s['layer']} {s['spearman']:.3f}" for s in sal.check))
    print(f"targets: top five all planted: {all_top}; fully randomised Spearman {last:.3f} "
          f"< 0.3: {last < 0.3}")
    with open(work / "recovery.json", "w", encoding="utf-8") as fid:
        json.dump(report, fid, indent=1, default=str)


if __name__ == "__main__":
    main()
