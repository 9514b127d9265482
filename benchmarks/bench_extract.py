"""Benchmark EEG band power + DE extraction on one DEAP-sized subject.

One subject: 40 trials x 32 channels x 60 s at 128 Hz, 1-s windows, five
bands (seed5 with gamma capped at 45 Hz for 128-Hz data). Compares

* emopipe ``band_power_and_de(method="spectral")`` (one basis product; the
  default Hann taper, and the boxcar for comparison: the same product),
* emopipe ``band_power_and_de(method="butter")`` (MNE IIR Butterworth,
  ``sosfiltfilt`` on all signals per band),
* emopipe ``band_power_and_de(method="bandpass")`` (MNE FIR, one FFT pass),
* a naive baseline: per band ``scipy.signal.sosfiltfilt`` (Butterworth
  order 4, zero phase) on the whole array, then per-window variance and DE,
* mne-features ``compute_pow_freq_bands`` called per window (as its
  ``extract_features`` does per epoch) on a subset of trials, scaled to 40.

Prints seconds per subject (best of ``--repeats``), trials/s, speed-up against
each baseline, the 32-subject time (extrapolated, and measured for the
spectral path by running it 32 times, one subject at a time) and the peak RSS.

Usage: ``python benchmarks/bench_extract.py [--repeats 3] [--mnef-trials 2]``

End to end (``--end-to-end``): a DEAP-sized cohort (32 subjects x 40 trials,
``data_preprocessed_python/sXX.dat`` + ``metadata_csv/``, written by
:func:`emopipe.io.synth.write_deap_synth` into a temporary folder unless
``--root`` names one) goes through ``python -m emopipe extract`` in a
subprocess, so interpreter start and imports count. Prints the wall time
against the 15-s target, and the per-stage split the extract pipeline logs
at DEBUG (read, eeg, eog, gsr, other modalities, checksum, write, worker
imports; seconds summed over subjects, as a share of their sum) plus the
startup (wall minus the pipeline's own wall: interpreter, CLI imports,
exit). ``--compare PATH`` runs the same command with the emopipe checkout
at ``PATH`` first on ``PYTHONPATH`` (e.g. ``main`` before a change) and
prints the speed-up against it.

``python benchmarks/bench_extract.py --end-to-end [--root DIR] [--n-jobs -1] [--compare PATH]``
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BANDS = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 14.0),
    "beta": (14.0, 31.0),
    "gamma": (31.0, 45.0),
}


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def best_time(fn, repeats):
    out, times = None, []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def naive_baseline(data, sfreq, window):
    """Per band: Butterworth band-pass, sosfiltfilt, window variance, DE."""
    from scipy.signal import butter, sosfiltfilt

    n_win = int(round(window * sfreq))
    n_windows = data.shape[-1] // n_win
    power = np.empty(data.shape[:-1] + (n_windows, len(BANDS)))
    for b, (lo, hi) in enumerate(BANDS.values()):
        sos = butter(4, [lo, hi], btype="bandpass", fs=sfreq, output="sos")
        y = sosfiltfilt(sos, data, axis=-1)
        win = y[..., : n_windows * n_win].reshape(data.shape[:-1] + (n_windows, n_win))
        power[..., b] = win.var(axis=-1)
    de = 0.5 * np.log(2 * np.pi * np.e * power)
    return power, de


def mne_features_pow(data, sfreq, window):
    """mne-features band power, one call per window (n_channels, n_win)."""
    from mne_features.univariate import compute_pow_freq_bands

    n_win = int(round(window * sfreq))
    n_windows = data.shape[-1] // n_win
    out = []
    for trial in data:
        for w in range(n_windows):
            seg = trial[:, w * n_win : (w + 1) * n_win]
            out.append(compute_pow_freq_bands(sfreq, seg, freq_bands=BANDS,
                                              normalize=False))
    return np.array(out)


TARGET_S = 15.0  # issue 8: 32 x 40 DEAP subjects through `emopipe extract`, 2 cores
_REPO = Path(__file__).resolve().parents[1]
_STAGE_ORDER = ("read", "eeg", "eog", "gsr", "other modalities", "extract_other", "checksum",
                "write", "import")


def run_cli_extract(root, cache, *, checkout=_REPO, n_jobs=None, modalities=None):
    """Time ``python -m emopipe extract`` in a subprocess; (wall s, timings dict | None, stderr)."""
    env = dict(os.environ, EMOPIPE_TQDM="off")
    env["PYTHONPATH"] = os.pathsep.join([str(checkout)] + [p for p in
                                         env.get("PYTHONPATH", "").split(os.pathsep) if p])
    cmd = [sys.executable, "-m", "emopipe", "extract", "--dataset", "deap", "--root", str(root),
           "--cache", str(cache), "-vv"]
    if n_jobs is not None:
        cmd += ["--n-jobs", str(n_jobs)]
    if modalities:
        cmd += ["--modalities", *modalities]
    t0 = time.perf_counter()
    # cwd outside any checkout: `-m` puts the cwd before PYTHONPATH on sys.path
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=Path(cache).parent)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stderr[-2000:]}")
    timings = None
    for line in res.stderr.splitlines():
        if line.startswith("extract timings json: "):
            timings = json.loads(line.split(": ", 1)[1])
    return wall, timings, res.stderr


def end_to_end(args):
    """The whole extract command on a DEAP-sized cohort; prints wall and per-stage split."""
    n_cpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="bench_extract_") as tmp:
        tmp = Path(tmp)
        root = Path(args.root) if args.root else tmp / "deap"
        if not args.root:
            sys.path.insert(0, str(_REPO))
            from emopipe.io.synth.deap import write_deap_synth

            t0 = time.perf_counter()
            write_deap_synth(root, n_subjects=args.n_subjects, n_trials=args.n_trials, seed=0,
                             raw=False)
            print(f"wrote a synthetic DEAP cohort of {args.n_subjects} x {args.n_trials} "
                  f"trials to {root} in {time.perf_counter() - t0:.1f} s")
        n_files = len(list((root / "data_preprocessed_python").glob("s*.dat")))
        print(f"emopipe extract --dataset deap --root {root} (default modalities unless "
              f"--modalities), {n_files} subjects, {n_cpu} CPUs, n_jobs={args.n_jobs}")
        rows = []
        if args.compare:
            wall, _, _ = run_cli_extract(root, tmp / "cache_compare", checkout=args.compare,
                                         modalities=args.modalities)
            rows.append((f"baseline {args.compare}", wall))
        wall, timings, _ = run_cli_extract(root, tmp / "cache", n_jobs=args.n_jobs,
                                           modalities=args.modalities)
        rows.append((f"this checkout {_REPO}", wall))
    print(f"{'run':<48}{'wall (s)':>10}{'x baseline':>12}")
    for name, w in rows:
        ratio = f"{rows[0][1] / w:>12.2f}" if args.compare else f"{'-':>12}"
        print(f"{name:<48}{w:>10.2f}{ratio}")
    print(f"target: <= {TARGET_S:g} s wall on 2 cores: {'met' if wall <= TARGET_S else 'MISSED'}"
          f" ({wall:.2f} s = {wall / TARGET_S:.0%} of the target)")
    if timings is None:
        print("no per-stage timings in the log (is this checkout older than the timers?)")
        return
    stages = dict(timings["stages"])
    known = {"read", "extract_other", "checksum", "write", "import", "eeg", "eog", "gsr"}
    other = sum(v for k, v in stages.items() if k not in known)
    stages = {k: stages.get(k, 0.0) for k in ("read", "eeg", "eog", "gsr")}
    stages["other modalities"] = other
    for k in ("extract_other", "checksum", "write", "import"):
        stages[k] = timings["stages"].get(k, 0.0)
    busy = sum(stages.values())
    startup = wall - timings["wall"]
    print(f"per-stage split, seconds summed over {timings['n_subjects']} subjects and "
          f"{timings['n_jobs']} worker(s) (share of their sum, {busy:.2f} s):")
    for k in _STAGE_ORDER:
        print(f"  {k:<18}{stages[k]:>8.2f} s {stages[k] / busy:>6.1%}")
    print(f"  pipeline wall     {timings['wall']:>8.2f} s ({busy / timings['wall']:.2f} stage-s "
          f"per wall-s: the parallel speed-up)")
    print(f"  startup           {startup:>8.2f} s (interpreter, CLI imports, exit; "
          f"{startup / wall:.1%} of the wall)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-trials", type=int, default=40)
    parser.add_argument("--n-channels", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sfreq", type=float, default=128.0)
    parser.add_argument("--window", type=float, default=1.0)
    parser.add_argument("--n-subjects", type=int, default=32,
                        help="cohort size for the extrapolated time (end to end: synthetic subjects)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mnef-trials", type=int, default=2,
                        help="trials timed for mne-features (0 to skip); scaled up")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--end-to-end", action="store_true",
                        help="time `emopipe extract` on a whole DEAP-sized cohort instead")
    parser.add_argument("--root", default=None,
                        help="end to end: existing DEAP folder (default: write a synthetic one)")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="end to end: --n-jobs of emopipe extract (default: its default)")
    parser.add_argument("--modalities", nargs="+", default=None,
                        help="end to end: --modalities of emopipe extract")
    parser.add_argument("--compare", default=None,
                        help="end to end: also time the emopipe checkout at this path")
    args = parser.parse_args()
    if args.end_to_end:
        if args.n_trials != 40 and args.root:
            parser.error("--n-trials only applies to the synthetic cohort (no --root)")
        end_to_end(args)
        return

    from emopipe.features.spectral import band_power_and_de

    rng = np.random.default_rng(args.seed)
    n_times = int(round(args.seconds * args.sfreq))
    data = 1e-5 * rng.standard_normal((args.n_trials, args.n_channels, n_times))
    n_cpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"data: {args.n_trials} trials x {args.n_channels} channels x {args.seconds:g} s "
          f"at {args.sfreq:g} Hz ({data.nbytes / 1e6:.0f} MB float64), "
          f"{args.window:g}-s windows, bands {list(BANDS)} (gamma 31-45 Hz), "
          f"{n_cpu} CPUs, best of {args.repeats}")

    # warm-up imports (mne, scipy.fft) outside the timings
    band_power_and_de(data[:1, :1], args.sfreq, BANDS, window=args.window, method="bandpass")
    rows = []
    t, (bp, de) = best_time(
        lambda: band_power_and_de(data, args.sfreq, BANDS, window=args.window), args.repeats)
    rows.append(("emopipe spectral (hann) DE+BP", t, peak_rss_mb()))
    t, _ = best_time(
        lambda: band_power_and_de(data, args.sfreq, BANDS, window=args.window,
                                  taper="boxcar"), args.repeats)
    rows.append(("emopipe spectral (boxcar) DE+BP", t, peak_rss_mb()))
    t, _ = best_time(
        lambda: band_power_and_de(data, args.sfreq, BANDS, window=args.window,
                                  method="butter"), args.repeats)
    rows.append(("emopipe butter DE+BP", t, peak_rss_mb()))
    t, _ = best_time(
        lambda: band_power_and_de(data, args.sfreq, BANDS, window=args.window,
                                  method="bandpass"), args.repeats)
    rows.append(("emopipe bandpass DE+BP", t, peak_rss_mb()))
    t, _ = best_time(lambda: naive_baseline(data, args.sfreq, args.window), args.repeats)
    rows.append(("naive sosfiltfilt+var", t, peak_rss_mb()))
    t_naive = t
    t_mnef = None
    if args.mnef_trials > 0:
        import mne_features.univariate  # noqa: F401  (numba compiles at import: ~20 s)

        sub = data[: args.mnef_trials]
        t, _ = best_time(lambda: mne_features_pow(sub, args.sfreq, args.window), 1)
        t_mnef = t * args.n_trials / args.mnef_trials
        rows.append((f"mne-features pow ({args.mnef_trials} tr, scaled)", t_mnef,
                     peak_rss_mb()))

    # measured cohort time for the spectral path: one subject at a time
    t0 = time.perf_counter()
    for _ in range(args.n_subjects):
        band_power_and_de(data, args.sfreq, BANDS, window=args.window)
    t_cohort = time.perf_counter() - t0

    header = (f"{'method':<36}{'s/subject':>10}{'trials/s':>10}{'x naive':>9}"
              f"{'x mne-feat':>11}{f'{args.n_subjects} subj (s)':>14}{'peak RSS MB':>13}")
    print(header)
    print("-" * len(header))
    for name, t, rss in rows:
        vs_mnef = f"{t_mnef / t:>11.1f}" if t_mnef else f"{'-':>11}"
        print(f"{name:<36}{t:>10.3f}{args.n_trials / t:>10.0f}{t_naive / t:>9.2f}"
              f"{vs_mnef}{t * args.n_subjects:>14.2f}{rss:>13.0f}")
    print(f"measured: {args.n_subjects} x spectral DE+BP, one subject at a time: "
          f"{t_cohort:.2f} s (target <= 2.5 s)")
    print(f"check: spectral mean DE per band (nats) {np.round(de.mean(axis=(0, 1, 2)), 3)}")


if __name__ == "__main__":
    main()
