"""Benchmark EEG band power + DE extraction on one DEAP-sized subject.

One subject: 40 trials x 32 channels x 60 s at 128 Hz, 1-s windows, five
bands (seed5 with gamma capped at 45 Hz for 128-Hz data). Compares

* emopipe ``band_power_and_de(method="spectral")`` (one basis product),
* emopipe ``band_power_and_de(method="bandpass")`` (MNE FIR, one FFT pass),
* a naive baseline: per band ``scipy.signal.sosfiltfilt`` (Butterworth
  order 4, zero phase) on the whole array, then per-window variance and DE,
* mne-features ``compute_pow_freq_bands`` called per window (as its
  ``extract_features`` does per epoch) on a subset of trials, scaled to 40.

Prints seconds per subject (best of ``--repeats``), trials/s, speed-up against
each baseline, the 32-subject time (extrapolated, and measured for the
spectral path by running it 32 times, one subject at a time) and the peak RSS.

Usage: ``python benchmarks/bench_extract.py [--repeats 3] [--mnef-trials 2]``
"""

import argparse
import os
import resource
import time

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-trials", type=int, default=40)
    parser.add_argument("--n-channels", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sfreq", type=float, default=128.0)
    parser.add_argument("--window", type=float, default=1.0)
    parser.add_argument("--n-subjects", type=int, default=32,
                        help="cohort size for the extrapolated time")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mnef-trials", type=int, default=2,
                        help="trials timed for mne-features (0 to skip); scaled up")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

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
    rows.append(("emopipe spectral DE+BP", t, peak_rss_mb()))
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
