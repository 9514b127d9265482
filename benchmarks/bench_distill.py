"""Training throughput of ``emopipe distill`` against a bare PyTorch loop.

DEAP-sized synthetic cohort: 32 subjects x 40 trials x 60 windows (76 800
windows), student input EEG DE (32 channels x 5 bands = 160 features),
teacher input 33 peripheral features. Method ``cmcrd`` (teacher CE + MCC,
student CE + 0.02 CMCRD), MLP teacher and student, protocol ``loso``.

Measured on ``--folds`` LOSO folds:

- driver: ``run_distill`` (fold scaling, teacher, teacher cache, student,
  validation every epoch, predictions), training samples per second
  (``epochs_run x n_train`` summed over the models trained);
- bare: the same models, objectives, tensors, batch size and number of
  epochs in a plain ``for`` loop (no validation, no bookkeeping);
- overhead = bare rate / driver rate; extrapolated full LOSO time =
  mean fold time x 32.

Usage::

    python benchmarks/bench_distill.py [--folds 1] [--threads 2] [--baseline]
        [--nce-k 256] [--per-anchor-negatives]
"""

import argparse
import json
import logging
import time

import numpy as np
import torch

from emopipe.distill.data import CohortData
from emopipe.distill.methods import get_recipe, make_objective, resolve_terms
from emopipe.distill._build import InputMeta, plan_model
from emopipe.distill.train import DistillConfig, run_distill


def deap_sized(seed=0, n_sub=32, n_trials=40, n_win=60):
    """Synthetic DEAP-sized cohort with a planted label signal."""
    rng = np.random.default_rng(seed)
    n = n_sub * n_trials * n_win
    subject = np.repeat([f"s{i + 1:02d}" for i in range(n_sub)], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(1, n_trials + 1), n_win), n_sub)
    v = np.repeat(rng.standard_normal(n_sub * n_trials), n_win)
    y = (v > 0).astype(np.int64)
    eeg = rng.standard_normal((n, 32, 5)).astype(np.float32)
    eeg[:, :4, 3] += 0.4 * v[:, None].astype(np.float32)
    per = rng.standard_normal((n, 33)).astype(np.float32)
    per[:, 0] += 1.5 * v.astype(np.float32)
    return CohortData.from_arrays(
        {"eeg:de": eeg, "eye:features": per}, subject=subject, trial=trial,
        labels={"valence_class": y, "valence": v},
        dims={"eeg:de": ("window", "channel", "band"), "eye:features": ("window", "feature")})


def bare_loop(cohort, config, n_train, epochs_teacher, epochs_student, baseline):
    """Same work as one driver fold, as a plain loop; returns (samples, seconds)."""
    recipe = get_recipe(config.method)
    rng = np.random.default_rng(0)
    idx = rng.permutation(cohort.n_windows)[:n_train]
    y = torch.as_tensor(cohort.target("valence")[0][idx])
    xs = torch.from_numpy(cohort.features["eeg:de"][idx].reshape(n_train, -1))
    xt = torch.from_numpy(cohort.features["eye:features"][idx])
    t0 = time.perf_counter()
    samples = 0

    def loop(model, obj, x, epochs, teacher_out=None):
        nonlocal samples
        opt = torch.optim.AdamW(list(model.parameters()) + list(obj.parameters()),
                                lr=config.lr, weight_decay=config.weight_decay)
        model.train()
        for _ in range(epochs):
            perm = torch.randperm(n_train)
            for s in range(0, n_train, config.batch_size):
                b = perm[s:s + config.batch_size]
                z, f = model(x[b])
                batch = {"z_s": z, "f_s": f, "y": y[b], "idx": b}
                if teacher_out is not None:
                    batch["z_t"], batch["f_t"] = teacher_out[0][b], teacher_out[1][b]
                loss, _ = obj(batch)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            samples += n_train

    teacher = plan_model("mlp", [InputMeta("eye", tuple(xt.shape[1:]))], 2).build()
    loop(teacher, make_objective(resolve_terms(recipe.teacher), n_classes=2), xt, epochs_teacher)
    teacher.eval()
    with torch.no_grad():
        t_out = teacher(xt)
    student = plan_model("mlp", [InputMeta("eeg", tuple(xs.shape[1:]))], 2).build()
    terms = resolve_terms(recipe.student, params=config.loss_params)
    obj = make_objective(terms, s_dim=student.feat_dim, t_dim=teacher.feat_dim, n_data=n_train,
                         n_classes=2, bank_labels=y, generator=torch.Generator().manual_seed(0))
    loop(student, obj, xs, epochs_student, t_out)
    if baseline:
        base = plan_model("mlp", [InputMeta("eeg", tuple(xs.shape[1:]))], 2).build()
        loop(base, make_objective(resolve_terms((recipe.student[0],)), n_classes=2), xs,
             epochs_student)
    return samples, time.perf_counter() - t0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folds", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=2048)
    p.add_argument("--nce-k", type=int, default=256)
    p.add_argument("--per-anchor-negatives", action="store_true",
                   help="CMCRD negatives drawn per anchor (the papers' sampler) instead of once "
                        "per class of a batch (pipelines/distill_deap_cmcrd.yaml)")
    p.add_argument("--baseline", action="store_true", help="also train the no-KD baseline")
    p.add_argument("--no-deterministic", action="store_true",
                   help="run without torch.use_deterministic_algorithms (driver and bare loop)")
    args = p.parse_args(argv)
    logging.getLogger("emopipe").setLevel(logging.ERROR)
    torch.set_num_threads(args.threads)
    cohort = deap_sized()
    config = DistillConfig(
        teacher="eye", student="eeg", method="cmcrd", protocol="loso", epochs=args.epochs,
        batch_size=args.batch_size, lr=1e-3, patience=args.epochs, n_threads=args.threads,
        compare_baseline=args.baseline, max_folds=args.folds, save_teacher_cache=False,
        save_checkpoints=False, loss_params={"cmcrd": {"nce_k": args.nce_k,
                                            "share_negatives": not args.per_anchor_negatives}},
        deterministic=not args.no_deterministic)
    t0 = time.perf_counter()
    res = run_distill(config, cohort=cohort)
    driver_s = time.perf_counter() - t0
    n_windows = cohort.n_windows
    n_train_fold = int(round((n_windows - n_windows / 32) * (1 - config.val_fraction)))
    models = 3 if args.baseline else 2
    samples = models * args.epochs * n_train_fold * args.folds
    # the bare loop runs under the same determinism setting as the driver
    torch.use_deterministic_algorithms(config.deterministic)
    bare_samples, bare_s = bare_loop(cohort, config, n_train_fold, args.epochs, args.epochs,
                                     args.baseline)
    torch.use_deterministic_algorithms(False)
    bare_samples *= args.folds
    bare_s *= args.folds
    out = {
        "windows": n_windows, "n_train_per_fold": n_train_fold, "folds_run": args.folds,
        "threads": args.threads, "epochs": args.epochs, "batch_size": args.batch_size,
        "nce_k": args.nce_k, "share_negatives": not args.per_anchor_negatives, "baseline": args.baseline, "deterministic": config.deterministic,
        "driver_seconds": round(driver_s, 2),
        "driver_samples_per_s": round(samples / driver_s),
        "bare_samples_per_s": round(bare_samples / bare_s),
        "overhead": round((bare_samples / bare_s) / (samples / driver_s), 3),
        "full_loso_minutes": round(driver_s / args.folds * 32 / 60, 2),
        "student_accuracy_fold0": round(res.metrics_fold[-1]["accuracy"], 3),
    }
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
