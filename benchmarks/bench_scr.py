"""Score emopipe's SCR detector on traces with SCRs planted by neurokit2, and against neurokit2.

The traces come from :func:`neurokit2.eda_simulate` (neurokit2 0.3), which
emopipe did not write. It places ``scr_number`` SCRs at
``linspace(0, duration, scr_number, endpoint=False)`` and draws each one's
time to peak as ``abs(RandomState(seed).normal(0, 5)) + 3.0745`` (in its
tenth-of-a-second SCR time axis), then adds a linear drift and Laplace
noise (``noise`` times the signal's SD, at 5, 10 and 100 Hz). The planted
SCR waveform is neurokit2's own ``_eda_simulate_scr(sampling_rate,
time_peak)`` (Bach et al. 2010's canonical response, normalised to a peak
of 1), so the planted **onset** (where the rise starts: the response first
reaching 1 % of its amplitude) and **peak** are read off that waveform. The
script replays the draws with the same seed and checks the replay against
``eda_simulate(noise=0)`` before scoring.

Scored, per condition (sampling rate, noise, SCR spacing) over ``--seeds``
seeds, values in uS taken as conductance in S * 1e6:

* emopipe :func:`emopipe.features.gsr.detect_scrs` (defaults) against the
  planted onsets: recall, precision (a detection matches the nearest
  unmatched planted onset within ``--tol`` s, default 0.5 s), and the
  signed onset error (detected - planted) of the matches;
* neurokit2's own pipeline (``eda_clean`` -> ``eda_phasic`` ->
  ``eda_peaks``, its defaults) scored the same way, on its ``SCR_Onsets``;
* the agreement of the two detectors: the fraction of emopipe's SCRs with a
  neurokit2 SCR whose onset lies within ``--tol`` s, and the reverse.

Usage: ``python benchmarks/bench_scr.py [--seeds 10] [--tol 0.5] [--json out.json]``
(about 75 s on one core at the defaults).
"""

import argparse
import json
import sys
import warnings

import numpy as np

#: (sampling rate Hz, noise, seconds between SCRs) scored; 120-s traces
CONDITIONS = [(sr, noise, gap) for sr in (128, 1000) for noise in (0.01, 0.05, 0.1)
              for gap in (10.0, 4.0)]
DURATION = 120
DRIFT = -0.01


def planted(duration, sampling_rate, scr_number, seed):
    """Onsets and peaks (s) of the SCRs ``eda_simulate`` plants with integer ``seed``."""
    from neurokit2.eda.eda_simulate import _eda_simulate_scr

    rng = np.random.RandomState(seed)          # neurokit2's check_random_state(int)
    onsets, peaks = [], []
    for start in np.linspace(0, duration, scr_number, endpoint=False):
        time_peak = np.abs(rng.normal(0, 5, size=1)) + 3.0745
        scr = _eda_simulate_scr(sampling_rate=sampling_rate, time_peak=time_peak)
        on = np.argmax(scr >= 0.01) / sampling_rate
        if start + on < duration and start + np.argmax(scr) / sampling_rate < duration:
            onsets.append(start + on)
            peaks.append(start + np.argmax(scr) / sampling_rate)
    return np.array(onsets), np.array(peaks)


def simulate(duration, sampling_rate, scr_number, noise, seed):
    """``eda_simulate`` trace (uS) and its planted onsets and peaks (s)."""
    import neurokit2 as nk

    eda = nk.eda_simulate(duration=duration, sampling_rate=sampling_rate, noise=noise,
                          scr_number=scr_number, drift=DRIFT, random_state=seed)
    onsets, peaks = planted(duration, sampling_rate, scr_number, seed)
    # the replay must match eda_simulate: the noiseless trace has a local maximum within
    # 50 ms of each planted peak (drift removed; the decay of the SCR before, 4 s or more
    # earlier, shifts a summed maximum by a few ms)
    clean = nk.eda_simulate(duration=duration, sampling_rate=sampling_rate, noise=0,
                            scr_number=scr_number, drift=0.0, random_state=seed)
    d = np.diff(clean)
    maxima = np.flatnonzero((d[:-1] > 0) & (d[1:] <= 0)) + 1
    for p in peaks:
        if np.min(np.abs(maxima / sampling_rate - p)) > 0.05:
            raise RuntimeError(f"replayed peak at {p:.3f} s is not a maximum of eda_simulate's "
                               f"noiseless trace (seed {seed}); neurokit2 changed its simulator.")
    return np.asarray(eda, float), onsets, peaks


def match(detected, reference, tol):
    """Greedy one-to-one matching by onset: (n matched, signed errors detected - reference)."""
    used, errs = set(), []
    for r in reference:
        cands = [(abs(d - r), i) for i, d in enumerate(detected)
                 if i not in used and abs(d - r) <= tol]
        if cands:
            _, i = min(cands)
            used.add(i)
            errs.append(detected[i] - r)
    return len(errs), np.array(errs)


def emopipe_onsets(eda_us, sampling_rate):
    from emopipe.features.gsr import detect_scrs

    return np.asarray(detect_scrs(eda_us * 1e-6, float(sampling_rate)).onset)


def neurokit_onsets(eda_us, sampling_rate):
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cleaned = nk.eda_clean(eda_us, sampling_rate=sampling_rate)
        phasic = nk.eda_phasic(cleaned, sampling_rate=sampling_rate)["EDA_Phasic"].to_numpy()
        _, info = nk.eda_peaks(phasic, sampling_rate=sampling_rate)
    on = np.asarray(info["SCR_Onsets"], float)
    return on[np.isfinite(on)] / sampling_rate


def score(conditions=CONDITIONS, seeds=10, tol=0.5):
    """Per condition: recall, precision, onset error of both detectors and their agreement."""
    rows = []
    for sr, noise, gap in conditions:
        n_scr = int(round(DURATION / gap))
        acc = {k: [] for k in ("n_true", "n_emo", "tp_emo", "n_nk", "tp_nk", "emo_in_nk",
                               "nk_in_emo", "err_emo", "err_nk", "emo_minus_nk")}
        for seed in range(seeds):
            eda, onsets, _ = simulate(DURATION, sr, n_scr, noise, seed)
            emo = emopipe_onsets(eda, sr)
            nk_on = neurokit_onsets(eda, sr)
            tp_e, err_e = match(emo, onsets, tol)
            tp_n, err_n = match(nk_on, onsets, tol)
            a, diff = match(emo, nk_on, tol)
            acc["n_true"].append(len(onsets))
            acc["n_emo"].append(len(emo))
            acc["tp_emo"].append(tp_e)
            acc["n_nk"].append(len(nk_on))
            acc["tp_nk"].append(tp_n)
            acc["emo_in_nk"].append(a)
            acc["nk_in_emo"].append(a)
            acc["err_emo"].extend(err_e)
            acc["err_nk"].extend(err_n)
            acc["emo_minus_nk"].extend(diff)
        s = {k: np.sum(v) if not k.startswith("err") and k != "emo_minus_nk" else np.array(v)
             for k, v in acc.items()}
        rows.append({
            "sfreq": sr, "noise": noise, "gap_s": gap, "n_planted": int(s["n_true"]),
            "emopipe": {"n": int(s["n_emo"]), "recall": s["tp_emo"] / s["n_true"],
                        "precision": s["tp_emo"] / max(s["n_emo"], 1),
                        "onset_error_median_s": float(np.median(s["err_emo"]))
                        if len(s["err_emo"]) else None,
                        "onset_error_mad_s": float(np.median(np.abs(
                            s["err_emo"] - np.median(s["err_emo"])))) if len(s["err_emo"])
                        else None},
            "neurokit2": {"n": int(s["n_nk"]), "recall": s["tp_nk"] / s["n_true"],
                          "precision": s["tp_nk"] / max(s["n_nk"], 1),
                          "onset_error_median_s": float(np.median(s["err_nk"]))
                          if len(s["err_nk"]) else None},
            "agreement": {"emopipe_in_neurokit2": s["emo_in_nk"] / max(s["n_emo"], 1),
                          "neurokit2_in_emopipe": s["nk_in_emo"] / max(s["n_nk"], 1),
                          "onset_emopipe_minus_neurokit2_median_s":
                              float(np.median(s["emo_minus_nk"])) if len(s["emo_minus_nk"])
                              else None},
        })
    return rows


def _fmt(v, p=3):
    return "-" if v is None else f"{v:.{p}f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--tol", type=float, default=0.5)
    ap.add_argument("--json", default=None, help="also write the scores to this JSON file")
    args = ap.parse_args(argv)
    rows = score(seeds=args.seeds, tol=args.tol)
    print(f"SCRs planted by neurokit2.eda_simulate, {DURATION}-s traces, {args.seeds} seeds, "
          f"match within {args.tol} s")
    print("| Hz | noise | gap s | planted | emopipe n / recall / precision / onset err s "
          "| neurokit2 n / recall / precision / onset err s | emopipe in nk / nk in emopipe "
          "/ onset emo-nk s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        e, k, a = r["emopipe"], r["neurokit2"], r["agreement"]
        print(f"| {r['sfreq']} | {r['noise']} | {r['gap_s']:g} | {r['n_planted']} "
              f"| {e['n']} / {_fmt(e['recall'])} / {_fmt(e['precision'])} / "
              f"{_fmt(e['onset_error_median_s'])} ± {_fmt(e['onset_error_mad_s'])} "
              f"| {k['n']} / {_fmt(k['recall'])} / {_fmt(k['precision'])} / "
              f"{_fmt(k['onset_error_median_s'])} "
              f"| {_fmt(a['emopipe_in_neurokit2'])} / {_fmt(a['neurokit2_in_emopipe'])} / "
              f"{_fmt(a['onset_emopipe_minus_neurokit2_median_s'])} |")
    if args.json:
        with open(args.json, "w") as fid:
            json.dump(rows, fid, indent=1, default=float)
    return 0


if __name__ == "__main__":
    sys.exit(main())
