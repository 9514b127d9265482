"""Precondition search for a positive control: scenario fields chosen by linear models only.

No distillation method runs here. For every point of a small grid over the
:class:`emopipe.io.synth._cohort.Scenario` fields that theory names (module
docstring of that module, ``kd_strong``: EEG per-window strength
``beta_gamma`` / ``beta_gamma_jitter``, EOG per-window strength ``blink`` /
``saccade`` (scaled together), label trial noise ``report_noise_sd``; every
other field as in ``kd``) this writes the issue's cohort (10 subjects x 20
trials, cohort seed 0), extracts 4-s windows and evaluates the
method-independent precondition of ``benchmarks/kd_controls.py``
(:func:`kd_controls.headroom`, :func:`kd_controls.precondition`: LR, LOSO,
target arousal): ``room``, ``clean`` and ``G = room * clean / (1 - q_L)``.

Choice rule (fixed before the search ran; :func:`choose`): among the points
that meet ``G >= 0.02`` and keep the student weaker than the teacher (the
EOG trial-level planted strength below the EEG one AND the EOG LR trained on
the latent class scoring below the teacher LR against the latent), take the
one with the smallest deviation from ``kd``, deviation = sum over the four
searched quantities of ``|log2(value / kd value)|`` (``beta_gamma``,
``beta_gamma_jitter``, the EOG slope factor, ``report_noise_sd``); ties go to
the larger ``G``. If no point meets it, none is chosen.

Search 2 (``--search trials40``, declared and committed after search 1
found no point and before search 2 ran): search 1's diagnosis (LR only) is
that the teacher LR memorises trial labels. Every window of a trial shares
one report, and 9 training subjects x 20 trials give 180 trial labels for
148 teacher features (128 EEG DE + 20 EOG): on the strongest point
(beta_gamma 1.0, jitter 0.1, noise 3.5) the EEG-only LR trained on the
latent agrees with it on 0.987 of the test windows, trained on the labels
on 0.774. Theory: with DEAP's own 40 trials per subject (360 trial labels,
more than twice the features) the teacher cannot fit the trial noise as
easily, so ``clean`` should rise; ``room`` is not expected to grow (the
student has 20 features). Grid: beta_gamma {0.3, 1.0} x jitter {0.25, 0.1}
x EOG factor 1 (search 1: factor 2 halves ``room`` everywhere) x report
noise {2.5, 3.5}, 10 subjects x 40 trials; the same choice rule. The number
of trials is a property of the cohort, not of the Scenario: a point chosen
here is a scenario meant for 10 x 40 cohorts.

Search 3 (``--search sel``, declared and committed after session 3's
``teacher_select_k`` rows and before it ran): the instrument change that
search 2's reading calls for, a low-dimensional teacher input. The teacher
LR reads only the ``SELECT_K`` (10) teacher columns with the largest
F-score on each fold's training labels (``headroom(select_k=SELECT_K)``,
as the method option ``teacher_select_k``), so it cannot fit 180 trial
labels with 148 coefficients. Theory: ``clean`` should now grow with the
EEG's per-window strength as search 1 predicted (kd_noisy: +0.076 with
selection against -0.012 without). ``room`` fell from 1x to 2x EOG, so
its peak may lie below 1x: the grid adds an EOG factor 0.5 (trial r about
0.45, window r about 0.12: weak but real). Grid: beta_gamma {0.3, 0.6,
1.0} x jitter {0.25, 0.1} x EOG factor {0.5, 1.0} x report noise {2.5,
3.5}, 10 x 20; the same choice rule on ``G``. Reported beside it, not part
of the rule: ``kd_linear``, the gain of a distilled linear student
(:func:`kd_controls.headroom`), a direct check of ``G``.

Search 4 (``--search draws``, declared and committed after
``benchmarks/results/kd_replication.md`` and before it ran): the
replication found that the room search 3 chose on was a lucky draw. At
``kd_strong``'s fields the EOG LR oracle beats the LR alone against the
labels by +0.041 on cohort seed 0, the draw the search ran on, but by only
+0.021 and +0.013 on seeds 1 and 2, where G was 0.0085 and 0.0042. A point
chosen on one draw is subject to the winner's curse. So search 3's grid and
instrument (teacher LR on ``SELECT_K`` in-fold selected columns) are
evaluated again on three fresh cohort draws, seeds ``DRAW_SEEDS`` = 3, 4, 5
(seeds 0-2 were explored or used to confirm), and the choice rule is applied
to each point's MEAN over the draws: met when the mean G >= 0.02, weaker
when the student is weaker than the teacher on every draw, then the smallest
deviation (ties: the larger mean G). Expectation, written before the run:
no point reaches a mean G of 0.02. At ``kd_strong``'s fields the mean room
over draws 0-2 is 0.025; with search 3's clean of about 0.14 and 27 % wrong
labels, G is about 0.025 x 0.14 / 0.27 = 0.013. The largest room of
search 3 (0.041) was reached only at noise 3.5 with EOG 1x, on draw 0. If
no point qualifies, nothing is registered. The issue's target against the written labels (+0.02) is then
recorded as beyond what this cohort model gives a linear student at 10 x 20
on this grid, on a typical draw. If a point qualifies, it is registered as
``kd_power`` / ``blind_power`` (EOG and GSR at zero). Its confirmation uses
``benchmarks/kd_replication.py``'s design on draws 6 and 7, with hypotheses
written in that script before it runs. No distillation method runs here.

Usage::

    python benchmarks/kd_precondition_search.py [--search main|trials40|sel|draws]
        [--work /tmp/kd_precondition_search] [--md PATH]
"""

import argparse
import itertools
import json
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kd_controls as K  # noqa: E402

#: the grid (fixed before the search ran); EOG factor multiplies kd's blink 1.5 and saccade 2.0
GRID = {"beta_gamma": (0.3, 0.6, 1.0), "beta_gamma_jitter": (0.25, 0.1),
        "eog_factor": (1.0, 2.0), "report_noise_sd": (2.5, 3.5)}
#: search 2 (declared after search 1 failed, before it ran): DEAP's 40 trials per subject
GRID_TRIALS40 = {"beta_gamma": (0.3, 1.0), "beta_gamma_jitter": (0.25, 0.1),
                 "eog_factor": (1.0,), "report_noise_sd": (2.5, 3.5)}
#: search 3 (declared after session 3's +sel rows, before it ran): teacher on SELECT_K columns
GRID_SEL = {"beta_gamma": (0.3, 0.6, 1.0), "beta_gamma_jitter": (0.25, 0.1),
            "eog_factor": (0.5, 1.0), "report_noise_sd": (2.5, 3.5)}
#: search name -> (grid, trials per subject, teacher columns kept: None = all)
SEARCHES = {"main": (GRID, 20, None), "trials40": (GRID_TRIALS40, 40, None),
            "sel": (GRID_SEL, 20, K.SELECT_K), "draws": (GRID_SEL, 20, K.SELECT_K)}
#: search 4's fresh cohort draws (declared after the replication, before it ran)
DRAW_SEEDS = (3, 4, 5)
#: the reference the deviation is measured from (``kd``'s values)
REFERENCE = {"beta_gamma": 0.30, "beta_gamma_jitter": 0.25, "eog_factor": 1.0,
             "report_noise_sd": 1.5}


#: what the tables of 2026-12-02 show; rewrite it when the rows change
READING = """## Reading of search 3 (measured 2026-12-02, session 4)

- **Four of 24 points meet G >= 0.02 with the teacher LR on 10 in-fold selected columns;
  the committed rule picks beta_gamma 0.6, jitter 0.25, EOG 1x, report noise 3.5** (room
  +0.041, clean +0.140, G +0.0216; deviation 2.22), frozen as `kd_strong` (and
  `blind_strong`) before any method ran on it. `clean` now grows with the EEG's strength as
  search 1 predicted (+0.04 at beta_gamma 0.3 to +0.16 at 1.0); `room` still depends only
  on the EOG and the label noise (EOG 0.5x: the LR alone is at chance, 0.496-0.499).
- **The direct check does not confirm G.** The distilled linear student gains +0.003 to
  +0.019 at EOG 1x (p >= 0.06 everywhere), and +0.011 to +0.032 at EOG 0.5x, where the alone
  LR learns nothing; G predicted the opposite order. On the chosen point: +0.013 (p 0.20).
  Session 4's diagnosis of why (subject offsets in the teacher's logits) and the methods'
  rows are in `benchmarks/results/kd_controls.md`.

## Reading (measured 2026-12-02, session 3)

- **No point of either search meets the precondition; no scenario was frozen and no
  distillation method was run on any point.** Search 1 (10 x 20, 24 points): largest G
  0.0066 (beta_gamma 1.0, jitter 0.25, EOG x1, noise 2.5: room 0.026, clean 0.058), a third
  of the 0.02 needed. Search 2 (10 x 40, 8 points, declared after search 1): largest G 0.0039.
- **Theory vs measurement.** Predicted: a strong EEG makes the teacher cleaner than the
  labels (clean >= 0.1) and label noise with a 1-2x EOG leaves room 0.03-0.06. Measured:
  `room` depends only on the EOG and the labels (0.026 at noise 2.5, 0.041 at 3.5; a 2x EOG
  halves it, to 0.013 / 0.018: the student then learns the direction from noisy labels
  anyway), as predicted; `clean` rises only from 0.015 to 0.058 (noise 2.5) and from -0.012
  to 0.037 (noise 3.5) while the planted EEG trial r goes 0.93 -> 0.99: wrong by a factor 2-3.
- **Why clean stays small (LR only).** Each trial's 15 windows share one report; 9 training
  subjects x 20 trials give 180 trial labels for the teacher's 148 features (128 EEG DE + 20
  EOG), so the LR fits the trial noise: on beta_gamma 1.0 / jitter 0.1 / noise 3.5 the EEG LR
  trained on the latent agrees with it on 0.987 of the test windows, trained on the labels
  on 0.774 (0.812 at C = 0.01, 0.842 at C = 0.001; per-subject z-scoring of both models: room
  0.028, clean 0.127, G 0.013). With 40 trials (search 2) clean rises to 0.06-0.13, but the
  student learns from the extra labels as well and room falls to 0.003-0.008.
- **Reading.** Along every axis searched (EEG strength and jitter, EOG strength, trial noise,
  trials per subject) room and clean move in opposite directions or one stays put: teacher
  and student learn from the same labels, so what spoils the student's labels spoils the
  teacher's, unless the teacher's input is such that it cannot fit label noise. Diagnostic
  only (nothing chosen by it; the columns were ranked on all subjects' labels, a small leak):
  an EEG LR on the 10 DE columns most correlated with the labels agrees with the latent on
  0.892 on that point, which with its room 0.041 would give G ~0.025. The next step is an
  instrument change, decided before measuring: a low-dimensional teacher input (e.g. the
  beta/gamma DE of the 5 planted channels), or a teacher trained on more labelled data than
  the student; not another Scenario field.
"""


def point_name(p, trials=20):
    """A unique scenario name for one grid point (and its trials per subject, if not 20)."""
    return (f"pc_bg{p['beta_gamma']}_j{p['beta_gamma_jitter']}_eog{p['eog_factor']}"
            f"_n{p['report_noise_sd']}" + (f"_t{trials}" if trials != 20 else ""))


def row_name(p, trials=20, select_k=None, seed=0):
    """The key of one evaluated point: its scenario, the teacher's columns and the draw."""
    return (point_name(p, trials) + (f"_sel{select_k}" if select_k else "")
            + (f"_s{seed}" if seed else ""))


def scenario_of(p, trials=20):
    """The ``kd`` scenario with the grid point's fields."""
    from emopipe.io.synth._cohort import SCENARIOS

    kd = SCENARIOS["kd"]
    return replace(kd, name=point_name(p, trials), summary="precondition search point",
                   beta_gamma=p["beta_gamma"], beta_gamma_jitter=p["beta_gamma_jitter"],
                   blink=kd.blink * p["eog_factor"], saccade=kd.saccade * p["eog_factor"],
                   report_noise_sd=p["report_noise_sd"])


def deviation(p):
    """Sum of |log2(value / kd value)| over the searched quantities."""
    return sum(abs(math.log2(p[k] / REFERENCE[k])) for k in REFERENCE)


def evaluate(work, p, n_subjects=10, n_trials=20, seed=0, select_k=None):
    """Write, extract and evaluate one grid point (LR only); returns its row."""
    from emopipe.io.synth._cohort import SCENARIOS

    sc = scenario_of(p, n_trials)
    SCENARIOS[sc.name] = sc  # registered for this process only, so the writer can name it
    t0 = time.perf_counter()
    cache, truth = K.prepare(work, sc.name, n_subjects, n_trials, seed)
    h = K.headroom(cache, truth, "loso", select_k=select_k)
    c = K.precondition(h)
    pooled = truth["strengths"]["pooled"]
    return {**p, "name": row_name(p, n_trials, select_k, seed), "trials": n_trials,
            "select_k": select_k, "seed": seed, **h,
            **{k: c[k] for k in ("room", "clean", "gain")},
            "met": bool(c["met"]),
            "eeg_r": pooled["eeg_beta_gamma~arousal"],
            "eog_r": pooled["eog_blink_plus_saccade_count~arousal"],
            "flip": truth["strengths"]["label_flip_rate_arousal"],
            "deviation": deviation(p), "seconds": round(time.perf_counter() - t0, 1)}


def student_weaker(r):
    """The student stays weaker than the teacher (trial-level planted r and window-level LR)."""
    return r["eog_r"] < r["eeg_r"] and r["oracle_latent"] < r["teacher_latent"]


def choose(rows):
    """The choice rule of the module docstring; ``None`` if no point qualifies."""
    ok = [r for r in rows if r["met"] and student_weaker(r)]
    if not ok:
        return None
    return min(ok, key=lambda r: (round(r["deviation"], 9), -r["gain"]))


def _search_of(r):
    """The search a row belongs to: (trials per subject, teacher columns kept, draws searched)."""
    return r.get("trials", 20), r.get("select_k"), "draws" if r.get("seed", 0) else "seed 0"


def mean_over_draws(rows):
    """Search 4's rows averaged per grid point over its draws.

    Parameters
    ----------
    rows : list of dict
        :func:`evaluate` rows of one point on each of several cohort seeds.

    Returns
    -------
    points : list of dict
        Per point: its fields, ``deviation``, the means of ``room``,
        ``clean`` and ``gain``, ``gains`` (per draw, in seed order),
        ``rooms`` (idem), ``met`` (mean gain >= the precondition's 0.02),
        ``weaker`` (the student weaker than the teacher on every draw) and
        ``seeds``.
    """
    import numpy as np

    by_point = {}
    for r in rows:
        by_point.setdefault(point_name(r, r.get("trials", 20)), []).append(r)
    points = []
    for name, rs in by_point.items():
        rs = sorted(rs, key=lambda r: r["seed"])
        m = {k: float(np.mean([r[k] for r in rs])) for k in ("room", "clean", "gain")}
        points.append({**{k: rs[0][k] for k in REFERENCE}, "name": name,
                       "deviation": rs[0]["deviation"], **m,
                       "gains": [r["gain"] for r in rs], "rooms": [r["room"] for r in rs],
                       "met": m["gain"] >= K.PRECONDITION_GAIN,
                       "weaker": all(student_weaker(r) for r in rs),
                       "seeds": [r["seed"] for r in rs]})
    return points


def choose_mean(points):
    """Search 4's rule on :func:`mean_over_draws` points; ``None`` if none qualifies."""
    ok = [p for p in points if p["met"] and p["weaker"]]
    if not ok:
        return None
    return min(ok, key=lambda p: (round(p["deviation"], 9), -p["gain"]))


def _draws_table(rows):
    points = mean_over_draws(rows)
    chosen = choose_mean(points)
    seeds = points[0]["seeds"]
    lines = [f"## Search 4: search 3 on fresh cohort draws {', '.join(map(str, seeds))}, "
             "rule on the means", "",
             f"Sum of the per-point times: {sum(r['seconds'] for r in rows) / 60:.1f} min.", "",
             "| beta_gamma | jitter | EOG factor | report noise | "
             + " | ".join(f"room s{s}" for s in seeds) + " | mean room | mean clean | "
             + " | ".join(f"G s{s}" for s in seeds) + " | mean G | met | weaker | deviation |",
             "|---" * (10 + 2 * len(seeds)) + "|"]
    for p in sorted(points, key=lambda p: (p["deviation"], -p["gain"])):
        lines.append(
            f"| {p['beta_gamma']} | {p['beta_gamma_jitter']} | {p['eog_factor']} | "
            f"{p['report_noise_sd']} | " + " | ".join(f"{v:+.3f}" for v in p["rooms"])
            + f" | {p['room']:+.3f} | {p['clean']:+.3f} | "
            + " | ".join(f"{v:+.4f}" for v in p["gains"])
            + f" | {p['gain']:+.4f} | {'yes' if p['met'] else 'no'} | "
            f"{'yes' if p['weaker'] else 'no'} | {p['deviation']:.2f} |")
    lines += ["", "Chosen by the rule: " + (
        "no grid point meets it." if chosen is None else
        f"`{chosen['name']}`: mean room {chosen['room']:+.3f}, mean clean "
        f"{chosen['clean']:+.3f}, mean G {chosen['gain']:+.4f}, deviation "
        f"{chosen['deviation']:.2f}."), ""]
    return lines


#: (trials, select_k, draws) -> the title of its table
TITLES = {(20, None, "seed 0"): "Search 1: 10 subjects x 20 trials",
          (40, None, "seed 0"): "Search 2: 10 subjects x 40 trials",
          (20, K.SELECT_K, "seed 0"): f"Search 3: 10 subjects x 20 trials, teacher LR on "
                                      f"{K.SELECT_K} in-fold selected columns"}


def _table(rows, chosen, key):
    kd_cols = any("kd_linear" in r for r in rows)
    lines = [f"## {TITLES[key]}", "",
             f"Sum of the per-point times: {sum(r['seconds'] for r in rows) / 60:.1f} min.", "",
             "| beta_gamma | jitter | EOG factor | report noise | flipped | EEG r | EOG r | "
             "teacher (LR) | alone (LR) | oracle (LR) | teacher vs latent | labels vs latent | "
             "oracle (LR, latent) | room | clean | G | met | weaker | deviation |"
             + (" linear KD - alone | p |" if kd_cols else ""),
             "|---" * (21 if kd_cols else 19) + "|"]
    for r in sorted(rows, key=lambda r: (r["deviation"], -r["gain"])):
        lines.append(
            f"| {r['beta_gamma']} | {r['beta_gamma_jitter']} | {r['eog_factor']} | "
            f"{r['report_noise_sd']} | {r['flip']:.3f} | {r['eeg_r']:.3f} | {r['eog_r']:.3f} | "
            f"{r['teacher']:.3f} | {r['alone']:.3f} | {r['oracle']:.3f} | "
            f"{r['teacher_latent_agreement']:.3f} | {r['label_agreement']:.3f} | "
            f"{r['oracle_latent']:.3f} | {r['room']:+.3f} | {r['clean']:+.3f} | "
            f"{r['gain']:+.4f} | {'yes' if r['met'] else 'no'} | "
            f"{'yes' if student_weaker(r) else 'no'} | {r['deviation']:.2f} |"
            + (f" {r['kd_linear'] - r['alone']:+.3f} | {r['kd_linear_p']:.3g} |"
               if kd_cols else ""))
    lines += ["", "Chosen by the rule: " + (
        "no grid point meets it." if chosen is None else
        f"`{chosen['name']}`: beta_gamma {chosen['beta_gamma']}, jitter "
        f"{chosen['beta_gamma_jitter']}, EOG factor {chosen['eog_factor']} (blink "
        f"{1.5 * chosen['eog_factor']:g}, saccade {2.0 * chosen['eog_factor']:g}), report noise "
        f"SD {chosen['report_noise_sd']}: room {chosen['room']:+.3f}, clean "
        f"{chosen['clean']:+.3f}, G {chosen['gain']:+.4f}, deviation "
        f"{chosen['deviation']:.2f}."), ""]
    return lines


def write_markdown(path, rows):
    """The table of every grid point of each search and the point its rule chooses."""
    lines = ["# Precondition search for a positive control (LR only, no distillation method)", "",
             "`python benchmarks/kd_precondition_search.py [--search main|trials40|sel]`: cohort "
             "seed 0, 4-s windows, target arousal, LOSO, every Scenario field as in `kd` except "
             "the four searched (EOG factor x kd's blink 1.5 / saccade 2.0 per min per point). "
             "Grids and choice rule fixed before each search ran (module docstring of the "
             "script). `room` = EOG LR oracle - alone (vs written labels), `clean` = teacher LR "
             "agreement with the latent - labels' agreement, `G` = room * clean / (1 - q_L); "
             "precondition G >= 0.02. `EEG r` / `EOG r`: trial-level planted strengths "
             "(ground_truth.json, pooled); `weaker`: the student weaker than the teacher (EOG r < "
             "EEG r and EOG oracle LR vs latent < teacher LR vs latent).", ""]
    for key in sorted({_search_of(r) for r in rows}, key=lambda k: (k[1] or 0, k[0])):
        sub = [r for r in rows if _search_of(r) == key]
        lines += _table(sub, choose(sub), key)
    lines.append(READING)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines), encoding="utf-8")


#: search 4's reading; rewrite it when its rows change
READING_DRAWS = """## Reading (measured 2026-12-02, session 6)

- **No point meets the rule, as expected; nothing is registered.** The largest mean G is
  +0.0074 (beta_gamma 1.0, jitter 0.1, EOG 1x, noise 3.5), about a third of the 0.02 needed.
  At `kd_strong`'s fields the mean G is +0.0062, against +0.0216 on draw 0.
- **`room`, not `clean`, is what is missing, and it was smaller than expected.** The mean room
  is +0.008 to +0.010 on every point, against the +0.025 written down from draws 0-2. `clean`
  is as large as on draw 0 or larger (+0.17 to +0.20 at beta_gamma 0.6-1.0, noise 3.5,
  against +0.14 to +0.16 there).
- **`room` does not depend on the EEG fields.** Within a draw it is the same to the third
  decimal for every beta_gamma and jitter, because the EOG features and the labels do not
  change with them. It is set by the EOG factor, the label noise and the draw: at EOG 1x,
  noise 3.5 it is +0.002, +0.016 and +0.012 on seeds 3-5. Over the six draws measured (0-5)
  it is +0.041, +0.021, +0.013, +0.002, +0.016, +0.012, a mean of +0.018, or +0.013 without
  draw 0, the draw the scenario was chosen on.
- **What follows for issue 10's target.** `room` is what an EOG logistic regression gains,
  scored against the written labels, when it is trained on the planted latent class instead
  of those labels, i.e. from a perfect teacher's hard labels. On a typical draw of this grid
  that gain is about 1 point, half the +0.02 the issue asks a distilled student to gain
  against the same labels. Soft targets can carry more than a class, so this is a guide, not
  a proof, for the MLP students. It matches what they do: against the labels they gain at
  most +0.009 seed-pooled on the fresh draws (`kd_replication.md`), while against the latent
  Hinton KD with subject-centred logits gains +0.020 to +0.027.
"""


def write_draws_markdown(path, rows):
    """Search 4's table (its own file: searches 1-3 keep theirs) and its reading."""
    lines = ["# Precondition search 4: search 3's grid on fresh cohort draws (LR only)", "",
             "`python benchmarks/kd_precondition_search.py --search draws`: search 3's grid, "
             "instrument "
             f"(teacher LR on {K.SELECT_K} in-fold selected columns) and settings (10 subjects x "
             "20 trials, 4-s windows, target arousal, LOSO) on cohort seeds "
             f"{', '.join(map(str, DRAW_SEEDS))}; the choice rule of search 3 applied to each "
             "point's mean over the draws (met: mean G >= 0.02; weaker: on every draw). Rule, "
             "expectation and what follows from either outcome were fixed in the script's "
             "docstring before it ran. No distillation method runs here.", ""]
    lines += _draws_table(rows)
    lines.append(READING_DRAWS)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines), encoding="utf-8")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", default="/tmp/kd_precondition_search")
    p.add_argument("--md", default=None,
                   help="Markdown output (default: results/kd_precondition_draws.md for "
                        "--search draws, results/kd_precondition_search.md otherwise)")
    p.add_argument("--search", choices=sorted(SEARCHES), default="main")
    args = p.parse_args()
    if args.md is None:
        args.md = str(K.RESULTS / ("kd_precondition_draws.md" if args.search == "draws"
                                   else "kd_precondition_search.md"))
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows_path = work / "rows.json"
    done = {r["name"]: r for r in json.loads(rows_path.read_text())} if rows_path.is_file() \
        else {}
    grid, trials, select_k = SEARCHES[args.search]
    seeds = DRAW_SEEDS if args.search == "draws" else (0,)
    for seed, values in itertools.product(seeds, itertools.product(*grid.values())):
        pt = dict(zip(grid, values))
        name = row_name(pt, trials, select_k, seed)
        if name not in done:
            # one work folder per draw: prepare() rewrites a scenario written from another seed
            done[name] = evaluate(work / f"draw{seed}" if seed else work, pt, n_trials=trials,
                                  seed=seed, select_k=select_k)
            rows_path.write_text(json.dumps(list(done.values()), indent=1))
        r = done[name]
        print(f"{name}: room {r['room']:+.3f} clean {r['clean']:+.3f} G {r['gain']:+.4f} "
              f"met {r['met']} weaker {student_weaker(r)} ({r['seconds']} s)", flush=True)
    rows = list(done.values())
    key = _search_of({"trials": trials, "select_k": select_k, "seed": seeds[0]})
    sub = [r for r in rows if _search_of(r) == key]
    if key[2] == "draws":
        write_draws_markdown(args.md, sub)
        chosen = choose_mean(mean_over_draws(sub))
    else:
        write_markdown(args.md, [r for r in rows if _search_of(r)[2] == "seed 0"])
        chosen = choose(sub)
    print("chosen:", chosen and chosen["name"])


if __name__ == "__main__":
    main()
