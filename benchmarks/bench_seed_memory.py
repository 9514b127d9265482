"""Peak memory and time of a SEED-IV-sized extract from raw EEG, streamed one recording at a time.

SEED-IV: 15 subjects x 3 sessions x 24 clips of about 4 min, 62 channels at
200 Hz; one session's ``eeg_raw_data`` file holds 24 x 62 x 48,000 float64
samples (0.57 GB), the cohort 26 GB. The synthetic writer
(:func:`emopipe.io.synth.write_seed_iv_synth`, ``raw=True``) writes a subset
of that cohort on the fly (``--subjects``, default 1, x 3 sessions, 58-62
four-second windows per clip, i.e. 3.9-4.1 min) into a temporary folder,
with the official ``eeg_feature_smooth`` and ``eye_feature_smooth`` files
beside it. Then, each in a fresh subprocess (so that its peak RSS is its
own, not the writer's):

* ``raw``: ``run_extract(ExtractConfig(dataset="seed_iv", source="raw",
  bands="seed5", eeg_features=("de",)))``: the raw trials are read one MAT
  variable at a time (``MatTrial``), DE computed on the eye features' 4-s
  windows, one subject at a time (``n_jobs=1``);
* ``features``: the same with ``source="features"`` (the official DE/PSD and
  eye features passed through).

Prints the peak RSS of each run against the 2-GB budget, the seconds per
session (wall / sessions) and the cohort time extrapolated to 45 sessions.
The RSS does not grow with the number of subjects (one subject's features
are held at a time, one raw trial at a time); ``--subjects 2`` shows it.

Usage: ``python benchmarks/bench_seed_memory.py [--subjects 1] [--keep DIR]``
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUDGET_MB = 2048.0
COHORT_SESSIONS = 15 * 3

_WRITE = """
import sys, time
from emopipe.io.synth.seed_iv import write_seed_iv_synth
t = time.perf_counter()
write_seed_iv_synth(sys.argv[1], n_subjects=int(sys.argv[2]), n_sessions=3,
                    n_windows=(58, 62), seed=0, raw=True)
print(time.perf_counter() - t)
"""

_EXTRACT = """
import json, resource, sys, time
from emopipe.cache import run_extract
from emopipe.features.extract import ExtractConfig
root, cache, source = sys.argv[1:4]
t = time.perf_counter()
summary = run_extract(ExtractConfig(dataset="seed_iv", source=source, bands="seed5",
                                    eeg_features=("de",)), root, cache, n_jobs=1,
                      on_error="raise")
wall = time.perf_counter() - t
print(json.dumps({"wall": wall, "written": summary["written"],
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}))
"""


def _python(code, *args):
    env = {**os.environ, "PYTHONPATH": str(REPO), "EMOPIPE_TQDM": "off",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def _size_gb(folder):
    return sum(p.stat().st_size for p in Path(folder).rglob("*.mat")) / 1e9


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=1)
    parser.add_argument("--keep", default=None, help="write the cohort here and keep it")
    args = parser.parse_args(argv)
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="bench_seed_")
    work = Path(args.keep or tmp.name)
    root = work / "seed_iv"
    try:
        t0 = time.perf_counter()
        write_s = float(_python(_WRITE, root, args.subjects))
        raw_gb = _size_gb(root / "eeg_raw_data")
        print(f"synthetic SEED-IV: {args.subjects} subject(s) x 3 sessions x 24 trials of "
              f"~4 min, 62 ch at 200 Hz; eeg_raw_data {raw_gb:.2f} GB, written in "
              f"{write_s:.0f} s")
        n_sessions = 3 * args.subjects
        rows = {}
        for source in ("raw", "features"):
            res = json.loads(_python(_EXTRACT, root, work / f"cache_{source}", source))
            rows[source] = res
            per = res["wall"] / n_sessions
            ok = "under" if res["peak_rss_mb"] < BUDGET_MB else "OVER"
            print(f"source={source:8s}: peak RSS {res['peak_rss_mb']:7.0f} MB ({ok} the "
                  f"{BUDGET_MB:.0f}-MB budget), {res['wall']:6.1f} s for {n_sessions} "
                  f"session(s) = {per:5.2f} s per session; 45-session cohort ~ "
                  f"{per * COHORT_SESSIONS / 60:.1f} min")
        print(f"total {time.perf_counter() - t0:.0f} s")
        return rows
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    main()
