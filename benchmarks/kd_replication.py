"""Confirmatory replication of session 4's transfer finding on fresh cohort draws.

Session 4 (``benchmarks/results/kd_controls.md``) found on ``kd_strong`` at
cohort seed 0 that Hinton KD and CMCRD's KD term transfer the planted
arousal state to the EOG student once the teacher's training logits are
centred per training subject (``+sc``): seed-pooled KD - alone against the
latent class +0.021 (p 0.005, hinton_kd+sc) and +0.029 (p 0.0003,
cmcrd+kd+sc). Those figures came out of about 15 variants tried on that one
draw, and the scenario itself was chosen on that draw (precondition search
3), so they carry a selection effect. This script tests them once, on draws
no method and no search has seen, with everything below fixed and committed
before it ran (session 5, 2026-12-02):

* **Data.** Scenarios ``kd_strong`` and ``blind_strong`` unchanged, cohort
  seeds 1 and 2 (:data:`DRAWS`; seed 0 is the exploration draw), 10 subjects
  x 20 trials, 4-s windows, target arousal, LOSO; training seeds 0, 1, 2;
  every other setting as ``benchmarks/kd_controls.py`` (10 epochs,
  patience 3, batch 128, lr 1e-3, one torch thread).
* **Methods** (:data:`METHODS`): the two candidates ``hinton_kd+sc`` and
  ``cmcrd+kd+sc``, and the registered ``hinton_kd`` and ``cmcrd`` beside
  them as references (no hypothesis about those).
* **H1, transfer (primary).** For each candidate on each kd_strong draw:
  the seed-pooled paired t-test against the LATENT class (each subject's
  KD - alone averaged over the 3 training seeds, then a two-sided one-sample
  t-test over the 10 subjects) has mean > 0 and p < 0.025 (Bonferroni over
  the 2 candidates). Replicated when it holds on both draws.
* **H2, the issue's target (secondary).** The same against the written
  labels, >= +0.020 with p < 0.05, at training seed 0 (the issue's row) and
  seed-pooled, on each draw; reported, not expected (session 4's reading:
  +0.02 against labels with 27 % flips needs about the student's whole room).
* **H3, negative control.** On each blind_strong draw, no method's
  seed-pooled KD - alone against the labels above +0.010, no seed-0 row above
  +0.010, every student and student alone within 0.020 of chance.
* **Also reported.** Each draw's headroom and precondition G (the scenario
  was picked where G >= 0.02 on draw 0; a fresh draw shows how much of that
  was the draw), the teacher-beats-both check, and the 20 subjects of both
  draws in one seed-pooled test (secondary).

Nothing here changes the cohort, the methods or their settings. Rows go to
``<work>/seed<N>/rows.json`` (resumable, as kd_controls) and the Markdown to
``benchmarks/results/kd_replication.md``.

Usage::

    python benchmarks/kd_replication.py [--work /tmp/kd_replication] [--table-only]
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kd_controls as K  # noqa: E402  (the benchmark whose finding this replicates)

#: fresh cohort seeds (seed 0 is the draw session 4 explored)
DRAWS = (1, 2)
SCENARIOS = ("kd_strong", "blind_strong")
CANDIDATES = ("hinton_kd+sc", "cmcrd+kd+sc")
METHODS = ("hinton_kd", "hinton_kd+sc", "cmcrd", "cmcrd+kd+sc")
SEEDS = (0, 1, 2)
#: H1's level per candidate: 0.05 / 2 candidates
ALPHA_H1 = 0.05 / len(CANDIDATES)
N_SUBJECTS, N_TRIALS, EPOCHS, PATIENCE, THREADS = 10, 20, 10, 3, 1
RESULTS = Path(__file__).resolve().parent / "results"


def pooled_over(rows_by_draw, scenario, method):
    """Seed-pooled per-subject diffs of one method, one array per draw.

    Returns
    -------
    d : dict of int -> ndarray, shape (n_subjects, 2)
        Per draw, each subject's KD - alone averaged over the training seeds
        (column 0 against the labels, 1 against the latent).
    """
    out = {}
    for draw, rows in rows_by_draw.items():
        rs = [r for r in rows if r["scenario"] == scenario and r["method"] == method
              and r.get("subject_diff")]
        if len(rs) >= 2:
            out[draw] = K.subject_means(rs)
    return out


def decisions(rows_by_draw):
    """H1-H3 and the reported checks: list of (statement, held, evidence)."""
    import numpy as np
    from scipy import stats

    out = []
    for m in CANDIDATES:
        d = pooled_over(rows_by_draw, "kd_strong", m)
        held = []
        for draw, x in sorted(d.items()):
            p = stats.ttest_1samp(x[:, 1], 0.0).pvalue
            ok = x[:, 1].mean() > 0 and p < ALPHA_H1
            held.append(ok)
            out.append((f"H1 draw {draw}: kd_strong {m}, seeds pooled, against the latent: "
                        f"mean > 0, p < {ALPHA_H1:.3g}", ok,
                        f"{x[:, 1].mean():+.3f}, p = {p:.3g}, {len(x)} subjects"))
        if len(held) == len(DRAWS):
            out.append((f"H1 replicated on every fresh draw: kd_strong {m}", all(held),
                        f"{sum(held)} of {len(held)} draws"))
    for m in CANDIDATES:
        d = pooled_over(rows_by_draw, "kd_strong", m)
        for draw, x in sorted(d.items()):
            p = stats.ttest_1samp(x[:, 0], 0.0).pvalue
            out.append((f"H2 draw {draw}: kd_strong {m}, seeds pooled, against the labels: "
                        f">= +0.020, p < 0.05", x[:, 0].mean() >= 0.02 and p < 0.05,
                        f"{x[:, 0].mean():+.3f}, p = {p:.3g}"))
        for draw, rows in sorted(rows_by_draw.items()):
            r = next((r for r in rows if (r["scenario"], r["method"], r["seed"]) ==
                      ("kd_strong", m, 0)), None)
            if r is None:
                continue
            out.append((f"H2 draw {draw}: kd_strong {m}, training seed 0, against the labels: "
                        f">= +0.020, p < 0.05", r["diff"] >= 0.02 and r["p_ttest"] < 0.05,
                        f"{r['diff']:+.3f}, p = {r['p_ttest']:.3g}"))
            out.append((f"draw {draw}: kd_strong {m}, training seed 0: teacher beats both",
                        r["teacher"] > max(r["student"], r["baseline"]),
                        f"teacher {r['teacher']:.3f}, KD {r['student']:.3f}, alone "
                        f"{r['baseline']:.3f}"))
    for draw, rows in sorted(rows_by_draw.items()):
        blind = [r for r in rows if r["scenario"] == "blind_strong"]
        if not blind:
            continue
        worst_pooled = max(((m, x[:, 0].mean()) for m in METHODS for dr, x in
                            pooled_over({draw: rows}, "blind_strong", m).items()),
                           key=lambda v: v[1], default=None)
        if worst_pooled is not None:
            out.append((f"H3 draw {draw}: blind_strong, no method's seed-pooled diff above "
                        f"+0.010", worst_pooled[1] <= 0.01,
                        f"largest {worst_pooled[1]:+.3f} ({worst_pooled[0]})"))
        seed0 = [r for r in blind if r["seed"] == 0]
        if seed0:
            w = max(seed0, key=lambda r: r["diff"])
            out.append((f"H3 draw {draw}: blind_strong, no seed-0 row above +0.010",
                        w["diff"] <= 0.01, f"largest {w['diff']:+.3f} ({w['method']})"))
        dev = max(max(abs(r["student"] - 0.5), abs(r["baseline"] - 0.5)) for r in blind)
        out.append((f"H3 draw {draw}: blind_strong, every student and alone within 0.020 of "
                    f"chance", dev <= 0.02, f"largest |x - 0.5| = {dev:.3f}"))
    for m in METHODS:  # secondary: the 20 subjects of both draws in one test
        d = pooled_over(rows_by_draw, "kd_strong", m)
        if len(d) == len(DRAWS):
            x = np.concatenate(list(d.values()))
            pl, pa = (stats.ttest_1samp(x[:, j], 0.0).pvalue for j in (1, 0))
            out.append((f"both draws ({len(x)} subjects): kd_strong {m}, seeds pooled",
                        None, f"latent {x[:, 1].mean():+.3f} (p {pl:.3g}), labels "
                              f"{x[:, 0].mean():+.3f} (p {pa:.3g})"))
    return out


def write_markdown(path, rows_by_draw, heads, truths, wall):
    """The replication's table, its pooled tests and the pre-declared decisions."""
    lines = ["# Replication of the transfer finding on fresh cohort draws", "",
             "`python benchmarks/kd_replication.py`: hypotheses, tests and settings fixed "
             "in the script's docstring before it ran. Cohort seeds "
             f"{', '.join(map(str, DRAWS))} (session 4 explored seed 0), {N_SUBJECTS} subjects "
             f"x {N_TRIALS} trials, 4-s windows, target arousal, LOSO, training seeds "
             f"{', '.join(map(str, SEEDS))}, at most {EPOCHS} epochs, patience {PATIENCE}. "
             f"{wall} Columns as in `benchmarks/results/kd_controls.md`.", "",
             "## Planted strengths and precondition per draw", "",
             "| draw | scenario | EEG r | EOG r | report r | flipped | room | clean | G | "
             "precondition | centred linear KD - alone (p) |", "|---" * 11 + "|"]
    for (draw, sc), h in heads.items():
        t = truths[draw, sc]
        p = t["strengths"]["pooled"]
        c = K.precondition(h)
        lines.append(f"| {draw} | {sc} | {p['eeg_beta_gamma~arousal']:.3f} | "
                     f"{p['eog_blink_plus_saccade_count~arousal']:.3f} | "
                     f"{p['report~latent_arousal']:.3f} | "
                     f"{t['strengths']['label_flip_rate_arousal']:.3f} | {c['room']:+.3f} | "
                     f"{c['clean']:+.3f} | {c['gain']:+.4f} | "
                     f"{'met' if c['met'] else 'FAILS'} | "
                     f"{h['kd_linear_centred'] - h['alone']:+.3f} "
                     f"({h['kd_linear_centred_p']:.2g}) |")
    lines += ["", "The teacher LR of this table reads every teacher column (as kd_controls' "
              "`loso` headroom row).", ""] + K.draw_tables(rows_by_draw)
    lines += ["", "## Pre-declared decisions", ""]
    for name, ok, ev in decisions(rows_by_draw):
        mark = "reported" if ok is None else ("held" if ok else "FAILED")
        lines.append(f"- {mark}: {name} ({ev})")
    lines += ["", READING]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


READING = """## Reading (measured 2026-12-02, session 5; written after the run, nothing above changed)

- **H1, transfer to the latent state, replicates for hinton_kd+sc on both fresh draws**
  (seed-pooled KD - alone against the latent: +0.027, p 0.023; +0.020, p 0.019; each under
  the pre-declared 0.025), and for cmcrd+kd+sc on one of two (+0.020, p 0.004; +0.010,
  p 0.28). With the 20 subjects of both draws in one test: hinton_kd+sc +0.023 (p 0.0009),
  cmcrd+kd+sc +0.015 (p 0.008). The registered recipes without the centring do not move:
  hinton_kd -0.004, -0.004; cmcrd +0.007, +0.002. So session 4's cause (subject offsets in
  the teacher's logits) and its fix hold out of sample for Hinton KD; for CMCRD's KD term
  the draw-0 figure (+0.029) was partly the draw.
- **H2, the issue's target against the written labels, fails on both draws** for both
  candidates: seed-pooled +0.005 (p 0.42) and +0.007 (p 0.40) for hinton_kd+sc, +0.009
  (p 0.08) and +0.003 (p 0.74) for cmcrd+kd+sc; at training seed 0 between -0.007 and
  +0.001. The teacher beats both everywhere.
- **Why, measured: the draw-0 room was a lucky draw.** The EOG student's LR oracle (trained
  on the latent class) beats the LR alone by only +0.021 (draw 1) and +0.013 (draw 2)
  against the written labels, against +0.041 on draw 0, the draw the scenario was chosen on
  (precondition G 0.0085 and 0.0042 here with the full teacher; kd_strong was picked where G
  reached 0.0216 on draw 0). A student that learned the latent class perfectly from its EOG
  features would gain about +0.02 against these labels at best; the issue's +0.02 with
  p < 0.05 over 10 subjects is at or beyond that ceiling on a typical draw of this scenario.
- **H3, negative control: the pre-declared seed-pooled bound holds on both draws** (largest
  +0.008 against the labels), every student within 0.018 of chance; **the seed-0 bound
  fails on both draws** (+0.018 cmcrd+kd+sc on draw 1, +0.012 cmcrd on draw 2; p 0.06 and
  0.39), as it could at a per-seed SD of 0.01-0.017. Against the latent, cmcrd+kd+sc on
  blind_strong draw 1 is +0.012 with p 0.002, so it was treated as a possible leak and
  checked: (i) on that cohort and seed, the first fold's student and baseline predictions
  are bit-identical when the test subject's EEG is replaced by noise and its labels are
  permuted; (ii) the suite's no-leak test now runs every method with a teacher (it covered
  hinton_kd alone before) and passes for all; (iii) latent-trained oracles on that draw's
  EOG features score at chance under LOSO (logistic 0.505, gradient boosting 0.502, MLP
  0.504), so no student can read the latent there. Reading: not a leak, and the
  subject-level t-test is anti-conservative here (the ten LOSO fold models share 8 of
  their 9 training subjects, so one model quirk shows in every test subject). The
  calibration that matters is the empirical null: over the 21 seed-pooled blind_strong
  comparisons of draws 0-2 (13 in kd_controls.md, 8 here) the latent diff lies between
  -0.008 and +0.012; hinton_kd+sc on kd_strong gives +0.021, +0.027, +0.020, each above
  that whole range; cmcrd+kd+sc +0.029, +0.020, +0.010, the last inside it."""


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", default="/tmp/kd_replication")
    p.add_argument("--md", default=str(RESULTS / "kd_replication.md"))
    p.add_argument("--table-only", action="store_true",
                   help="write the Markdown from the rows finished so far without training")
    args = p.parse_args()
    t0 = time.perf_counter()
    rows_by_draw, heads, truths = {}, {}, {}
    for draw in DRAWS:
        work = Path(args.work) / f"seed{draw}"
        work.mkdir(parents=True, exist_ok=True)
        rows_path = work / "rows.json"
        done = ({K._key(r): r for r in json.loads(rows_path.read_text())}
                if rows_path.is_file() else {})
        caches = {}
        for sc in SCENARIOS:
            caches[sc], truths[draw, sc] = K.prepare(work, sc, N_SUBJECTS, N_TRIALS, draw)
            heads[draw, sc] = K.headroom(caches[sc], truths[draw, sc], "loso")
            print(f"draw {draw} {sc}: " + ", ".join(
                f"{k} {v:.4f}" if not isinstance(v, bool) else f"{k} {v}"
                for k, v in K.precondition(heads[draw, sc]).items()), flush=True)
        if args.table_only:
            rows_by_draw[draw] = sorted(done.values(), key=lambda r: (
                SCENARIOS.index(r["scenario"]), METHODS.index(r["method"]), r["seed"]))
            continue
        rows = K.run_rows(caches, {sc: truths[draw, sc] for sc in SCENARIOS}, work, draw,
                          METHODS, SEEDS, (THREADS, EPOCHS, PATIENCE), done)
        rows_by_draw[draw] = sorted(rows, key=lambda r: (
            SCENARIOS.index(r["scenario"]), METHODS.index(r["method"]), r["seed"]))
    wall = (f"Sum of the per-row training times: "
            f"{sum(r['seconds'] for rs in rows_by_draw.values() for r in rs) / 60:.1f} min (2 cores); "
            + ("table rewritten from rows.json (--table-only)." if args.table_only else
               f"this invocation {(time.perf_counter() - t0) / 60:.1f} min on 2 cores."))
    write_markdown(args.md, rows_by_draw, heads, truths, wall)
    for name, ok, ev in decisions(rows_by_draw):
        print(f"{'reported' if ok is None else ('held' if ok else 'FAILED')}: {name} ({ev})")
    print(f"table: {args.md}")


if __name__ == "__main__":
    main()
