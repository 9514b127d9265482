"""``emopipe demo``: the whole chain on an embedded synthetic DEAP cohort.

Three steps, each resumable, all under one working folder::

    <out>/deap/     synthetic download in DEAP's official layout
                    (data_preprocessed_python/sXX.dat, metadata_csv/,
                    ground_truth.json with the planted effects)
    <out>/cache/    the HDF5 feature cache (one file per subject)
    <out>/runs/<method>/seed<N>/   one distillation run folder per training seed

The cohort is the ``kd_strong`` scenario of :mod:`emopipe.io.synth._cohort`,
the positive control of distillation that meets its method-independent
precondition: EEG (beta/gamma power) reads the latent arousal strongly, EOG
(blink and saccade rates) and GSR (SCR rate) weakly but really, and the
labels are noisy self-reports of the latent (about 30 % of the arousal
classes differ from the latent's). The distillation step trains a fused
EEG + EOG teacher and distils it into an EOG-only student for arousal under
leave-one-subject-out, with the no-KD student trained alongside for the
paired test. The teacher's logits are centred per training subject
(``teacher_centre="subject"``, :mod:`emopipe.distill._centre`) for every
method that distils from fixed teacher outputs (not the feedback methods).
The run is repeated at :data:`DEMO_SEEDS` training seeds with the settings of
``benchmarks/kd_controls.py``. The printout names the scenario, its planted
strengths (from ``ground_truth.json``) and what the paired tests over
subjects show: per seed, and with each subject averaged over the seeds,
against the written labels and against the planted latent class. Nothing is
downloaded. This module is part of the top (CLI) layer.
"""

import json
import logging
from pathlib import Path

logger = logging.getLogger("emopipe.demo")

#: cohort scenario of the demo (``emopipe.io.synth._cohort.SCENARIOS``)
DEMO_SCENARIO = "kd_strong"

#: subjects of the demo's cohort: the 10 at which issue 10 states the positive control and
#: ``benchmarks/kd_controls.py`` measures it
DEMO_SUBJECTS = 10

#: window length of the demo's features, in seconds: the 4-s windows at which issue 10 states
#: the positive control and ``benchmarks/kd_controls.py`` measures it (a 1-s window holds
#: about one blink, too few for the EOG student to read arousal from)
DEMO_WINDOW = 4.0

#: distillation settings of the demo (fields of ``DistillConfig``): those of
#: ``benchmarks/kd_controls.py``, so that the default demo's rows are that benchmark's
#: ``kd_strong`` LOSO ``hinton_kd+sc`` rows (cohort seed 0, training seeds 0-2)
DEMO_DISTILL = {
    "teacher": "eeg:de+eog",
    "student": "eog",
    "protocol": "loso",
    "target": "arousal",
    "epochs": 10,
    "batch_size": 128,
    "lr": 1e-3,
    "patience": 3,
    "n_threads": 1,
    "loss_params": {},
}

#: training seeds of the demo's distillation (``seed``, ``seed + 1``, ...): one run's paired
#: difference has a seed-to-seed SD of about 0.03 against a gain of about 0.02, so the demo
#: averages each subject's difference over the seeds before its paired test, the analysis
#: ``benchmarks/kd_replication.py`` confirmed on fresh cohort draws
DEMO_SEEDS = 3


def _synth_is_current(root, n_subjects, n_trials, seed):
    path = Path(root) / "ground_truth.json"
    if not path.is_file():
        return False
    with open(path, encoding="utf-8") as fid:
        truth = json.load(fid)
    return (truth.get("n_subjects"), truth.get("n_trials"), truth.get("seed"),
            (truth.get("scenario") or {}).get("name")) == (
        n_subjects, n_trials, seed, DEMO_SCENARIO)


def _strength_lines(truth):
    """Two printout lines: the scenario's planted strengths and label noise."""
    p = truth["strengths"]["pooled"]

    def fmt(key):
        r = p[key]
        return "n/a" if r != r else f"{r:.2f}"

    n = truth["strengths"]["n_trials"]
    return [f"      planted arousal strengths (r with the latent over {n} trials): EEG "
            f"beta/gamma {fmt('eeg_beta_gamma~arousal')}, EOG blink+saccade "
            f"count {fmt('eog_blink_plus_saccade_count~arousal')}, GSR SCR count "
            f"{fmt('gsr_scr_count~arousal')}",
            f"      labels: noisy self-reports (r {fmt('report~latent_arousal')} with the latent; "
            f"{100 * truth['strengths']['label_flip_rate_arousal']:.0f} % of the arousal classes "
            f"differ from the latent's)"]


def _verdict(diff, p):
    if p == p and p < 0.05:
        return ("the distilled student beats the student alone" if diff > 0 else
                "the distilled student is WORSE than the student alone")
    return "no significant difference between the distilled student and the student alone"


def _subject_scores(result, y):
    """Per test subject: balanced accuracy of the KD student and of the student alone.

    Parameters
    ----------
    result : DistillResult
        A LOSO run (one test subject per fold).
    y : ndarray of int, shape (n_windows,)
        The classes to score against (the written labels or the latent class).

    Returns
    -------
    scores : dict of str -> ndarray, shape (n_subjects, 2)
        Fold name -> (KD student, student alone).
    """
    import numpy as np

    from .distill.metrics import balanced_accuracy

    return {name: np.array([balanced_accuracy(y[p["test_idx"]], p[role].argmax(1))
                            for role in ("student", "baseline")])
            for name, p in result.predictions.items()}


def _pooled_test(per_seed):
    """Each subject's scores averaged over the seeds, then the paired test over subjects.

    Parameters
    ----------
    per_seed : list of dict
        One :func:`_subject_scores` result per training seed.

    Returns
    -------
    test : dict
        :func:`emopipe.distill.metrics.paired_tests` of the averaged KD
        student against the averaged student alone, over the subjects every
        seed scored.
    """
    import numpy as np

    from .distill.metrics import paired_tests

    subjects = sorted(set.intersection(*(set(s) for s in per_seed)))
    mean = np.mean([[s[name] for name in subjects] for s in per_seed], axis=0)
    return paired_tests(mean[:, 0], mean[:, 1]) if subjects else {"n": 0}


def _test_words(what, test, pooled):
    """One printed line: the paired test against ``what``, in words."""
    if test["n"] < 2:
        return f"{what}: not enough subjects."
    diff, p = test["mean_diff"], test["p_ttest"]
    over = f"{test['n']} subjects" + (", each averaged over the seeds" if pooled else "")
    return (f"{what} (balanced accuracy, paired over {over}): KD student - student alone = "
            f"{diff:+.3f}, paired t p = {p:.3g}: {_verdict(diff, p)} (p < 0.05 required).")


def run_demo(out, *, n_subjects=DEMO_SUBJECTS, n_trials=20, seed=0, method="hinton_kd",
             n_seeds=DEMO_SEEDS, figures=None, verbose=None):
    """Synthesise a DEAP-format cohort, extract its features, distil; print where outputs are.

    Parameters
    ----------
    out : path-like
        Working folder (created). A rerun reuses what is already there.
    n_subjects : int
        Synthetic subjects (at least 3: LOSO needs a validation split from the
        training subjects' trials and a test subject).
        Default :data:`DEMO_SUBJECTS`.
    n_trials : int
        Trials per subject (<= 40).
    seed : int
        Seed of the cohort and of the first distillation run.
    method : str
        Distillation method (a key of ``emopipe.distill.METHODS``).
    n_seeds : int
        Distillation runs, at training seeds ``seed`` ... ``seed + n_seeds - 1``
        (the cohort fixed); the paired tests average each subject over them.
        Default :data:`DEMO_SEEDS`.
    figures : path-like | None
        Also copy the demo's small PNGs there (``demo_tsne.png``,
        ``demo_saliency.png``; the README shows both).
    verbose : bool | str | int | None
        Log level for the call.

    Returns
    -------
    paths : dict of str -> Path
        ``root`` (synthetic download), ``cache``, ``run`` (the first seed's
        run folder), ``runs`` (every seed's) and the pictures of ``run``
        (:func:`_demo_pictures`: ``tsne``, ``tsne_scores``, ``saliency``).
    """
    from .cache import run_extract
    from .features.extract import ExtractConfig
    from .io.synth.deap import write_deap_synth
    from .utils._logging import set_log_level

    if verbose is not None:
        set_log_level(verbose)
    from .utils._errors import ConfigError

    if n_subjects < 3:
        raise ConfigError(
            f"n_subjects must be >= 3 for the demo's leave-one-subject-out run, got {n_subjects!r}."
        )
    if n_seeds < 1:
        raise ConfigError(f"n_seeds must be >= 1 (training seeds of the demo), got {n_seeds!r}.")
    out = Path(out)
    root, cache = out / "deap", out / "cache"
    print(f"[1/3] synthetic DEAP cohort, scenario {DEMO_SCENARIO!r}: {n_subjects} subjects x "
          f"{n_trials} trials -> {root}")
    if _synth_is_current(root, n_subjects, n_trials, seed):
        print("      already there, reused")
        with open(root / "ground_truth.json", encoding="utf-8") as fid:
            truth = json.load(fid)
    else:
        truth = write_deap_synth(root, n_subjects=n_subjects, n_trials=n_trials, seed=seed,
                                 raw=False, scenario=DEMO_SCENARIO)
    print(f"      {DEMO_SCENARIO}: {truth['scenario']['summary']}")
    for line in _strength_lines(truth):
        print(line)
    print(f"[2/3] extract EEG, EOG and GSR features ({DEMO_WINDOW:g}-s windows) -> {cache}")
    config = ExtractConfig(dataset="deap", window=DEMO_WINDOW, modalities=("eeg", "eog", "gsr"))
    summary = run_extract(config, root, cache)
    print(f"      {len(summary['written'])} subject(s) extracted, "
          f"{len(summary['skipped'])} already current (config {summary['config_hash']})")

    from .distill import DistillConfig, run_distill

    from .distill.data import load_cohort
    from .distill.methods import get_recipe
    from .io.synth._common import latent_classes

    recipe = get_recipe(method)
    centre = {"teacher_centre": "subject"} if (recipe.needs_teacher
                                               and recipe.feedback is None) else {}
    seeds = [seed + k for k in range(n_seeds)]
    run_dirs = [out / "runs" / method / f"seed{s}" for s in seeds]
    print(f"[3/3] distil {DEMO_DISTILL['teacher']} -> {DEMO_DISTILL['student']} ({method}, "
          f"{DEMO_DISTILL['protocol']}, {DEMO_DISTILL['target']}) at training seed(s) "
          f"{', '.join(map(str, seeds))} -> {out / 'runs' / method}")
    if centre:
        print("      teacher logits centred per training subject (teacher_centre='subject')")
    labels, latent = [], []
    for s, run_dir in zip(seeds, run_dirs):
        dconf = DistillConfig(cache=str(cache), method=method, seed=s, out=str(run_dir),
                              **DEMO_DISTILL, **centre)
        result = run_distill(dconf)
        if s == seeds[0]:
            print(f"training seed {s}:")
            print(result.summary_text())
            cohort = load_cohort(cache, [dconf.student])
            y = cohort.labels[f"{dconf.target}_class"]
            lat = latent_classes(truth, cohort.subject, cohort.trial, name=dconf.target)
        labels.append(_subject_scores(result, y))
        latent.append(_subject_scores(result, lat))
        print(_test_words(f"training seed {s}, against the written labels",
                          _pooled_test(labels[-1:]), False))
    print(_test_words(f"{n_seeds} seed(s), against the written labels", _pooled_test(labels),
                      n_seeds > 1))
    print(_test_words(f"{n_seeds} seed(s), against the planted latent {DEMO_DISTILL['target']} "
                      f"class (ground_truth.json; known only on synthetic data)",
                      _pooled_test(latent), n_seeds > 1))
    print("Outputs:")
    print(f"  planted effects    {root / 'ground_truth.json'}")
    print(f"  feature cache      {cache}  (schema: docs/cache.md)")
    print(f"  run folders        {out / 'runs' / method}/seed<N>  (summary.json, "
          f"metrics_subject.csv, folds.csv)")
    return {"root": root, "cache": cache, "run": run_dirs[0], "runs": run_dirs,
            **_demo_pictures(run_dirs[0], out / "figures", figures)}


# ---------------------------------------------------------------------------------------------
# The demo's pictures (drawn after the run; kept apart from the printout above).

#: file stems of the demo's pictures (``<out>/figures/<stem>.png``, copied to ``--figures``)
DEMO_PICTURES = {"tsne": "demo_tsne", "saliency": "demo_saliency"}


def _demo_tsne(run_dir, folder):
    """t-SNE of the demo run: rows = models, columns = the first test subject and the pooled run.

    Parameters
    ----------
    run_dir : Path
        The demo's run folder.
    folder : Path
        Where ``demo_tsne.pdf/.png/.json`` and ``demo_tsne_scores.csv`` go.

    Returns
    -------
    png : Path
        The PNG.
    rows : list of dict
        The scores (:func:`emopipe.analysis.embedding.embed_run`).
    """
    from .analysis.embedding import _ROLE_TITLES, draw_panels, embed_run, write_rows
    from .distill.run_reader import load_run

    run = load_run(run_dir)
    first = str(run.cohort().subject[run.folds[0].test_idx][0])  # the first fold's subject
    cohort = run.cohort()
    rows, panels = embed_run(run, cohort=cohort, scopes=("subject",), subjects=[first])
    more, pooled = embed_run(run, cohort=cohort, scopes=("pooled",))
    rows, panels = rows + more, {**panels, **pooled}
    roles = list(dict.fromkeys(r for r, _, _ in panels))
    cols = [("subject", first), ("pooled", "all")]
    grid = {(r, c): panels[(r, *c)] for r in roles for c in cols if (r, *c) in panels}
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / DEMO_PICTURES["tsne"]
    write_rows(stem.with_name(stem.name + "_scores.csv"), rows)
    sidecar = {"run": str(run.path), "config": run.config, "data_hash": run.data_hash,
               "subject": first, "scores": stem.name + "_scores.csv"}
    paths = draw_panels(stem, grid, [_ROLE_TITLES[r] for r in roles], roles,
                        [f"subject {first} (its LOSO fold)", "all subjects (pooled folds)"],
                        cols, 5, sidecar, dpi=110)
    for r in rows:
        if (r["scope"], r["group"]) in cols:
            print(f"      t-SNE {_ROLE_TITLES[r['role']]:<17} {r['scope']:<7} "
                  f"{r['group']:<4}: silhouette {r['silhouette']:+.3f}, 5-NN accuracy "
                  f"{r['knn_accuracy']:.3f} ({r['knn_other_trials']:.3f} from other trials; "
                  f"{r['n_windows']} windows)")
    return paths[1], rows


def _demo_saliency(run_dir, folder):
    """The demo's saliency map: integrated gradients of the student, with the randomisation check.

    The band x channel (here: EOG feature) map of the demo run's student on
    every fold's test windows (``emopipe saliency``'s defaults: integrated
    gradients, 32 steps) goes to ``folder / "saliency"`` (HDF5, CSV,
    summary); its heat map to ``folder / "demo_saliency"`` (PDF + PNG +
    sidecar). The cascading randomisation check uses 32 test windows per
    fold to keep the demo quick. Prints the top cells of each class and the
    check's verdict.

    Parameters
    ----------
    run_dir : Path
        The demo's run folder.
    folder : Path
        The demo's figures folder.

    Returns
    -------
    png : Path
        The heat map's PNG.
    """
    from .analysis.saliency import top_cells
    from .analysis.saliency_attr import SURVIVES
    from .analysis.saliency_plot import draw_heatmap
    from .analysis.saliency_run import run_saliency

    res = run_saliency(run_dir, folder / "saliency", check_windows=32, figure=False)
    smap = res.maps[0]
    for o, name in enumerate(smap.outputs):
        cells = ", ".join(f"{r} {m:.3g}" for r, _, m, _ in top_cells(smap, o, 3))
        print(f"      saliency {smap.key} class {name}: top {smap.row_label}s {cells}")
    last = res.check[-1]["spearman"] if res.check else float("nan")
    verdict = "FLAGGED: it survives randomisation" if res.flagged else "passed"
    print(f"      randomisation check ({len(res.check)} layers re-initialised, 32 windows per "
          f"fold): Spearman {last:+.3f} with the trained map, {verdict} "
          f"(< {SURVIVES} required)")
    sidecar = {"run": str(run_dir), "data_hash": res.maps[0].attrs.get("data_hash"),
               "method": "ig", "steps": 32, "baseline": res.baseline, "role": "student",
               "randomisation": res.check, "flagged": res.flagged,
               "files": str(folder / "saliency")}
    folder.mkdir(parents=True, exist_ok=True)
    paths = draw_heatmap(smap, folder / DEMO_PICTURES["saliency"], sidecar)
    return [p for p in paths if str(p).endswith(".png")][0]


def _demo_pictures(run_dir, folder, figures=None):
    """Draw the demo's pictures into ``folder``; copy the PNGs to ``figures`` when given.

    Parameters
    ----------
    run_dir : Path
        The demo's run folder.
    folder : Path
        ``<out>/figures``.
    figures : path-like | None
        Folder for copies of the small PNGs (the README's ``figures/``).

    Returns
    -------
    paths : dict of str -> Path | list
        ``tsne`` (PNG), ``tsne_scores`` (rows), ``saliency`` (PNG) and
        ``copies`` (the PNGs copied to ``figures``).
    """
    import shutil

    print(f"Pictures -> {folder}")
    png, rows = _demo_tsne(run_dir, folder)
    paths = {"tsne": png, "tsne_scores": rows}
    saliency = _demo_saliency(run_dir, folder)
    paths["saliency"] = saliency
    print(f"  t-SNE              {png} (+ .pdf, sidecar .json, scores .csv)")
    print(f"  saliency           {saliency} (+ .pdf, sidecar .json; maps in "
          f"{folder / 'saliency'})")
    if figures is not None:
        figures = Path(figures)
        figures.mkdir(parents=True, exist_ok=True)
        copies = []
        for key in ("tsne", "saliency"):
            if key in paths:
                dest = figures / Path(paths[key]).name
                tmp = dest.with_name(dest.name + ".tmp")
                shutil.copyfile(paths[key], tmp)
                tmp.replace(dest)
                copies.append(dest)
        paths["copies"] = copies
        print(f"  copied to          {', '.join(str(c) for c in copies)}")
    return paths
