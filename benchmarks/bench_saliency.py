"""Integrated gradients (32 steps) over every test window of a DEAP-sized LOSO run.

DEAP-sized: 32 folds (one test subject each), 40 trials x 60 windows of 1 s
per subject = 2 400 test windows per fold, 76 800 in all; the student is
emopipe's ``mlp`` on 32 x 4 DE features (128 inputs, 2 classes), one model
per fold with random weights (timing does not depend on training). Times
:func:`emopipe.analysis.saliency_attr.attribute` (captum
``IntegratedGradients``, 32 Gauss-Legendre steps) on every fold, then the
aggregation into per-subject (channel x band) maps
(:func:`emopipe.analysis.saliency.aggregate_attributions`), and, in the same
process as the named baseline, one plain forward + backward pass of each
fold's model over the same windows (the gradient of the attributed logit with
respect to the input). Target (issue 12): <= 5 min on 2 cores.

Usage::

    python benchmarks/bench_saliency.py [--folds 32] [--windows 2400] [--steps 32] [--threads 2]
"""

import argparse
import os
import time

import numpy as np


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--folds", type=int, default=32)
    p.add_argument("--windows", type=int, default=2400, help="test windows per fold")
    p.add_argument("--steps", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    import torch

    from emopipe.analysis.saliency import aggregate_attributions
    from emopipe.analysis.saliency_attr import attribute
    from emopipe.models import build_model

    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    torch.manual_seed(0)
    models = [build_model("mlp", n_features=128, n_outputs=2).eval() for _ in range(args.folds)]
    X = [rng.standard_normal((args.windows, 32, 4)).astype(np.float32) for _ in models]
    y = [rng.integers(0, 2, args.windows) for _ in models]
    n = args.folds * args.windows
    load = os.getloadavg()[0]

    for m, x, t in zip(models[:1], X, y):  # warm-up (first-call allocations)
        attribute(m, [x[:64]], t[:64], shapes=[(128,)], method="ig", steps=args.steps)
    t0 = time.perf_counter()
    for m, x, t in zip(models, X, y):
        xt = torch.from_numpy(x.reshape(len(x), -1)).requires_grad_()
        out = m(xt)[0]
        out.gather(1, torch.from_numpy(t)[:, None]).sum().backward()
    t_base = time.perf_counter() - t0

    t0, c0 = time.perf_counter(), time.process_time()
    mats = []
    for m, x, t in zip(models, X, y):
        (a,) = attribute(m, [x], t, shapes=[(128,)], method="ig", steps=args.steps)
        mats.append(a)
    t_ig, c_ig = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    subject = np.repeat([f"s{i + 1:02d}" for i in range(args.folds)], args.windows)
    aggregate_attributions(np.concatenate(mats), subject, np.concatenate(y), 2)
    t_agg = time.perf_counter() - t0

    print(f"{args.folds} folds x {args.windows} test windows = {n} windows, MLP on 32 x 4 DE, "
          f"{args.threads} torch threads, load average {load:.1f} at start")
    print(f"baseline, one forward + backward pass over the windows: {t_base:.2f} s")
    print(f"integrated gradients, {args.steps} steps: {t_ig:.1f} s wall, {c_ig:.1f} s CPU "
          f"over all threads ({t_ig / t_base:.1f} x the baseline; target <= 300 s); "
          f"aggregation {t_agg:.2f} s; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
