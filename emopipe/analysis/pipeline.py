"""``emopipe pipeline run``: one paper experiment end to end, from a YAML in ``pipelines/``.

A pipeline file holds up to four top-level sections, each read into its own
frozen dataclass through :mod:`emopipe.utils.config` (unknown keys are
refused by name):

- ``extract:`` the :class:`~emopipe.features.extract.ExtractConfig` fields;
- ``distill:`` the :class:`~emopipe.distill.config.DistillConfig` fields
  shared by every run of the experiment;
- ``pipeline:`` (:class:`PipelineConfig`) the dataset, an optional synthetic
  cohort to write first, the runs (each a name and the ``distill`` fields it
  changes, e.g. the protocol), the figures (:class:`FigureConfig`);
- ``paper:`` (:class:`PaperConfig`) what the paper reports, per run, model
  and metric, with its source and caveats; empty when its tables are not
  known (the output says so).

:func:`run_pipeline` then writes, under ``OUT``::

    cache/                 the feature cache (resumed)
    runs/<run>/            one distillation run folder per run (resumed)
    tables/results.csv     per run and model: mean +- SD over subjects of each
    tables/results.md      metric, the paper's number beside ours where known
    figures/<name>.pdf/.png/.json, figures/<name>_scores.csv
    pipeline.json          the resolved configs

Figure kinds are registered in :data:`FIGURES`: ``tsne`` (CMCRD's t-SNE of one
subject's test windows) and ``saliency`` (Visual-to-EEG KD's band x channel
maps of the student, through :func:`~emopipe.analysis.saliency_run.run_saliency`).
"""

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..utils._errors import ConfigError, ConfigTypeError
from ..utils._registry import Registry
from ..utils.config import config_from_dict, config_to_dict, read_config_section

logger = logging.getLogger("emopipe.analysis.pipeline")

__all__ = ["FIGURES", "FigureConfig", "PaperConfig", "PipelineConfig", "load_pipeline",
           "run_pipeline"]

#: figure kinds a pipeline can draw: ``fn(spec, runs, folder, provenance) -> (paths, rows,
#: lines)``, ``lines`` what the runner prints of the figure's numbers
FIGURES = Registry("Figure kind", "figure kinds")

#: metrics the results table shows (in %: accuracy-like ones), per target kind
_CLASS_METRICS = ("accuracy", "f1_macro", "balanced_accuracy")
_CONT_METRICS = ("ccc", "pcc", "rmse")
_PERCENT = {"accuracy", "f1_macro", "balanced_accuracy"}


def _mapping(name, value, source):
    if not isinstance(value, dict):
        raise ConfigTypeError(f"{source}: {name} must be a mapping, got "
                              f"{type(value).__name__} ({value!r}).")


@dataclass(frozen=True)
class FigureConfig:
    """One figure of a pipeline.

    Parameters
    ----------
    name : str
        File stem under ``figures/``.
    kind : str
        Key of :data:`FIGURES` (``"tsne"``, ``"saliency"``).
    runs : list of str | None
        Runs shown (rows of the figure); ``None``: every run.
    roles : list of str
        Models shown (t-SNE: columns; saliency: one map each): ``"teacher"``,
        ``"baseline"`` (the student alone), ``"student"`` (distilled).
    subject : str | None
        The one subject whose test windows are shown; ``None``: the first
        subject tested by every run shown.
    perplexity : float
        t-SNE perplexity.
    seed : int
        t-SNE random state.
    k : int
        Neighbours of the k-NN accuracy.
    method : str
        Saliency: attribution method (``"ig"``, ``"saliency"``,
        ``"input_x_gradient"``).
    steps : int
        Saliency: integration points of integrated gradients.
    check_windows : int
        Saliency: test windows per fold of the randomisation check.
    """

    name: str
    kind: str = "tsne"
    runs: list | None = None
    roles: list = field(default_factory=lambda: ["baseline", "student"])
    subject: str | None = None
    perplexity: float = 30.0
    seed: int = 0
    k: int = 5
    method: str = "ig"
    steps: int = 32
    check_windows: int = 256

    def __post_init__(self):
        FIGURES.get(self.kind)
        bad = [r for r in self.roles if r not in ("teacher", "baseline", "student")]
        if bad or not self.roles:
            raise ConfigError(f"figure {self.name!r}: roles must be some of 'teacher', "
                              f"'baseline', 'student', got {list(self.roles)!r}.")
        if self.subject is not None:
            object.__setattr__(self, "subject", str(self.subject))
        if self.kind == "saliency":  # refused before any run is trained
            from .saliency_attr import METHODS

            if self.method not in METHODS:
                raise ConfigError(f"figure {self.name!r}: method must be one of "
                                  f"{', '.join(map(repr, METHODS))}, got {self.method!r}.")
            for key in ("steps", "check_windows"):
                value = getattr(self, key)
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ConfigError(f"figure {self.name!r}: {key} must be an int >= 1, got "
                                      f"{value!r}.")


@dataclass(frozen=True)
class PaperConfig:
    """What a paper reports, to print beside emopipe's numbers.

    Parameters
    ----------
    name : str
        Short name of the paper (e.g. ``"CMCRD (Kan et al., TAFFC)"``).
    source : str
        Where the numbers come from, and their caveats (printed).
    reported : dict
        Run name -> model role -> metric -> value in percent (accuracy-like
        metrics) or as is (``ccc``); empty when the tables are not known.
    note : str
        Printed with the table: what the paper claims when its per-table
        numbers are not known, or why its numbers are not targets.
    """

    name: str = ""
    source: str = ""
    reported: dict = field(default_factory=dict)
    note: str = ""

    def __post_init__(self):
        _mapping("paper.reported", self.reported, "paper")
        for run, roles in self.reported.items():
            _mapping(f"paper.reported[{run!r}]", roles, "paper")
            for role, metrics in roles.items():
                _mapping(f"paper.reported[{run!r}][{role!r}]", metrics, "paper")


@dataclass(frozen=True)
class PipelineConfig:
    """The ``pipeline:`` section: what to run for one paper experiment.

    Parameters
    ----------
    name : str
        Name of the experiment (printed, recorded).
    dataset : str
        Dataset name (a key of ``emopipe.io.DATASETS``).
    synth : dict | None
        Write a synthetic cohort into ``--root`` first: ``n_subjects``,
        ``seed``, ``scenario`` and the dataset writer's own options (e.g.
        ``max_windows`` for SEED-V). ``None``: ``--root`` is a download.
    runs : list of dict
        Each ``name`` plus the :class:`~emopipe.distill.config.DistillConfig`
        fields it sets over the ``distill:`` section (e.g. ``protocol``).
    figures : list of dict
        :class:`FigureConfig` fields, one figure each.
    """

    name: str
    dataset: str
    synth: dict | None = None
    runs: list = field(default_factory=lambda: [{"name": "main"}])
    figures: list = field(default_factory=list)

    def __post_init__(self):
        if self.synth is not None:
            _mapping("pipeline.synth", self.synth, "pipeline")
        if not isinstance(self.runs, list) or not self.runs:
            raise ConfigError(f"pipeline.runs must be a non-empty list of mappings with a "
                              f"'name', got {self.runs!r}.")
        names = []
        for i, run in enumerate(self.runs):
            if not isinstance(run, dict) or not isinstance(run.get("name"), str):
                raise ConfigError(f"pipeline.runs[{i}] must be a mapping with a 'name' (a "
                                  f"string), got {run!r}.")
            names.append(run["name"])
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"pipeline.runs: names must be unique, {dup} repeat(s).")
        if not isinstance(self.figures, list):
            raise ConfigTypeError(f"pipeline.figures must be a list, got {self.figures!r}.")
        figs = []
        for i, fig in enumerate(self.figures):
            f = fig if isinstance(fig, FigureConfig) else config_from_dict(
                FigureConfig, fig, source=f"pipeline.figures[{i}]")
            unknown = [r for r in (f.runs or []) if r not in names]
            if unknown:
                raise ConfigError(f"pipeline.figures[{i}] ({f.name!r}): runs {unknown} are "
                                  f"not in pipeline.runs ({names}).")
            figs.append(f)
        object.__setattr__(self, "figures", figs)


@dataclass(frozen=True)
class Pipeline:
    """A pipeline file read by :func:`load_pipeline`.

    Parameters
    ----------
    path : Path
        The YAML file.
    pipeline : PipelineConfig
        Its ``pipeline:`` section.
    extract : ExtractConfig
        Its ``extract:`` section (``dataset`` from the pipeline).
    distill : dict
        Its ``distill:`` section (fields shared by the runs).
    runs : dict of str -> DistillConfig
        Each run's config (without ``cache`` and ``out``, set when run).
    paper : PaperConfig
        Its ``paper:`` section.
    """

    path: Path
    pipeline: PipelineConfig
    extract: object
    distill: dict
    runs: dict
    paper: PaperConfig


def load_pipeline(path):
    """Read and check a pipeline file (every section, every run's config).

    Parameters
    ----------
    path : path-like
        A YAML file of ``pipelines/`` with a ``pipeline:`` section.

    Returns
    -------
    pipeline : Pipeline
        The validated configs.
    """
    from ..distill.config import DistillConfig
    from ..features.extract import ExtractConfig
    from ..utils.config import read_yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Pipeline file {str(path)!r} does not exist.")
    doc = read_yaml(path)
    name = path.name
    allowed = ("pipeline", "extract", "distill", "paper")
    if not isinstance(doc, dict) or "pipeline" not in doc:
        raise ConfigError(
            f"{name}: a pipeline file needs a top-level 'pipeline:' section (name, dataset, "
            f"runs, figures); this one has {sorted(doc) if isinstance(doc, dict) else doc!r}. "
            f"Files without it are configs for 'emopipe extract' / 'emopipe distill'."
        )
    unknown = [k for k in doc if k not in allowed]
    if unknown:
        raise ConfigError(f"{name}: unknown top-level section {unknown[0]!r}. Allowed sections "
                          f"are {', '.join(repr(a) for a in allowed)}.")
    sections = {s: read_config_section(path, s) if s in doc else {} for s in allowed}
    pipe = config_from_dict(PipelineConfig, sections["pipeline"], source=f"{name}: pipeline")
    extract = config_from_dict(ExtractConfig, {**sections["extract"], "dataset": pipe.dataset},
                               source=f"{name}: extract")
    paper = config_from_dict(PaperConfig, sections["paper"], source=f"{name}: paper")
    base = dict(sections["distill"])
    runs = {}
    for i, spec in enumerate(pipe.runs):
        over = {k: v for k, v in spec.items() if k != "name"}
        runs[spec["name"]] = config_from_dict(DistillConfig, {**base, **over},
                                              source=f"{name}: pipeline.runs[{i}]")
    missing = [r for r in paper.reported if r not in runs]
    if missing:
        raise ConfigError(f"{name}: paper.reported names runs {missing} that are not in "
                          f"pipeline.runs ({list(runs)}).")
    return Pipeline(path, pipe, extract, base, runs, paper)


def _write_synth(pipe, root):
    """Write the synthetic cohort into ``root`` unless the same one is there."""
    import inspect

    from ..io.synth._registry import load_writers

    spec = dict(pipe.synth)
    root = Path(root)
    marker = root / "pipeline_synth.json"
    if marker.is_file():
        there = json.loads(marker.read_text(encoding="utf-8"))
        if there == spec:
            print(f"      synthetic {pipe.dataset} cohort in {root}: already there, reused")
            return
        raise ConfigError(
            f"--root {root} holds another synthetic cohort ({marker.name}: {there}; the "
            f"pipeline asks for {spec}). Give an empty or new --root, or delete {root}."
        )
    if root.is_dir() and any(root.iterdir()):
        raise ConfigError(
            f"--root {root} is not empty and holds no {marker.name}: the pipeline's 'synth' "
            f"would write a synthetic cohort over it. Give an empty or new --root, or remove "
            f"'synth' from the pipeline to use the data there."
        )
    writers = load_writers()
    if pipe.dataset not in writers.names():
        raise ConfigError(f"pipeline.synth: emopipe has no synthetic writer for dataset "
                          f"{pipe.dataset!r}; it writes {', '.join(map(repr, writers.names()))}.")
    write = writers.get(pipe.dataset).write
    params = inspect.signature(write).parameters
    unknown = [k for k in spec if k not in params or k == "out"]
    if unknown:
        takes = [p for p in params if p != "out"]
        raise ConfigError(f"pipeline.synth: the {pipe.dataset} writer takes {takes}, not "
                          f"{unknown}.")
    spec.setdefault("n_subjects", 3)
    write(root, **spec)
    tmp = marker.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(dict(pipe.synth)), encoding="utf-8")
    tmp.replace(marker)
    print(f"      wrote a synthetic {pipe.dataset} cohort ({spec['n_subjects']} subjects) to "
          f"{root}")


def run_pipeline(path, root, out, *, n_jobs=1, verbose=None):
    """Run a paper experiment end to end: synth, extract, distil, tables, figures.

    Every step resumes: the cache and the run folders skip what is current.

    Parameters
    ----------
    path : path-like
        The pipeline YAML.
    root : path-like
        Dataset download folder (where the synthetic cohort is written with
        ``pipeline.synth``).
    out : path-like
        Output folder.
    n_jobs : int
        Subjects extracted at once.
    verbose : bool | str | int | None
        Log level for the call.

    Returns
    -------
    result : dict
        ``rows`` (the results table), ``figures`` (paths), ``runs`` (run
        folders by name), ``text`` (what was printed of the table).
    """
    from ..cache import run_extract
    from ..distill import run_distill
    from ..utils._logging import set_log_level

    if verbose is not None:
        set_log_level(verbose)
    p = load_pipeline(path)
    pipe = p.pipeline
    root, out = Path(root), Path(out)
    n_steps = 4 + bool(pipe.synth)
    step = iter(range(1, n_steps + 1))
    print(f"Pipeline {pipe.name!r} ({p.path.name}) on {pipe.dataset} -> {out}")
    if pipe.synth is not None:
        print(f"[{next(step)}/{n_steps}] synthetic cohort")
        _write_synth(pipe, root)
    cache = out / "cache"
    print(f"[{next(step)}/{n_steps}] extract -> {cache}")
    summary = run_extract(p.extract, root, cache, n_jobs=n_jobs, on_error="raise")
    print(f"      {len(summary['written'])} subject(s) extracted, {len(summary['skipped'])} "
          f"already current (config {summary['config_hash']})")
    print(f"[{next(step)}/{n_steps}] distil {len(p.runs)} run(s)")
    results, run_dirs = {}, {}
    for name, cfg in p.runs.items():
        run_dirs[name] = out / "runs" / name
        cfg = dataclasses.replace(cfg, cache=str(cache), out=str(run_dirs[name]))
        print(f"      {name}: {cfg.teacher} -> {cfg.student}, {cfg.method}, {cfg.protocol}, "
              f"{cfg.target}")
        results[name] = run_distill(cfg)
    print(f"[{next(step)}/{n_steps}] tables -> {out / 'tables'}")
    rows = _result_rows(p, results)
    text = _markdown(rows, p.paper)
    _write_tables(out / "tables", rows, text)
    print(text)
    print(f"[{next(step)}/{n_steps}] figures -> {out / 'figures'}")
    figures = {}
    for fig in pipe.figures:
        runs = {r: run_dirs[r] for r in (fig.runs or list(run_dirs))}
        paths, _, lines = FIGURES.get(fig.kind)(fig, runs, out / "figures",
                                                {"pipeline": str(p.path), "name": pipe.name})
        figures[fig.name] = paths
        for line in lines:
            print(f"      {fig.name}: {line}")
        print(f"      {fig.name}: {', '.join(str(x) for x in paths[:2])}")
    record = {"pipeline": config_to_dict(pipe), "extract": config_to_dict(p.extract),
              "runs": {n: config_to_dict(c) for n, c in p.runs.items()},
              "paper": config_to_dict(p.paper), "file": str(p.path)}
    tmp = out / "pipeline.json.tmp"
    tmp.write_text(json.dumps(record, indent=1, default=str), encoding="utf-8")
    tmp.replace(out / "pipeline.json")
    return {"rows": rows, "figures": figures, "runs": run_dirs, "text": text}


def _result_rows(p, results):
    """One row per (run, model): mean and SD over subjects of each metric, the paper's value."""
    rows = []
    for name, res in results.items():
        s = res.summary
        paired = s.get("paired_student_vs_baseline") or {}
        for role, metrics in s.get("subjects", {}).items():
            names = [m for m in _CLASS_METRICS + _CONT_METRICS if m in metrics]
            row = {"run": name, "method": s.get("method"), "protocol": s.get("protocol"),
                   "target": s.get("target"), "model": role,
                   "n_subjects": int(metrics[names[0]]["n"]) if names else 0}
            reported = p.paper.reported.get(name, {}).get(role, {})
            for m in names:
                scale = 100.0 if m in _PERCENT else 1.0
                row[m] = scale * metrics[m]["mean"]
                row[f"{m}_sd"] = scale * metrics[m]["std"]
                row[f"{m}_paper"] = float(reported[m]) if m in reported else float("nan")
            main = names[0] if names else None
            test = paired.get(main) if role == "student" else None
            row["p_vs_baseline"] = float(test["p_ttest"]) if test else float("nan")
            rows.append(row)
    return rows


def _fmt(v, digits=2):
    return "n/a" if v != v else f"{v:.{digits}f}"


def _markdown(rows, paper):
    """The results as a Markdown table, with the paper's numbers and caveats below."""
    metrics = [m for m in _CLASS_METRICS + _CONT_METRICS if rows and m in rows[0]]
    head = ["run", "protocol", "target", "model", "subjects"]
    for m in metrics:
        unit = " (%)" if m in _PERCENT else ""
        head += [f"{m}{unit}", f"{m} paper"]
    head.append("p vs alone")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["run"], r["protocol"], r["target"],
                 {"baseline": "student alone"}.get(r["model"], r["model"]), str(r["n_subjects"])]
        for m in metrics:
            cells += [f"{_fmt(r.get(m, float('nan')))} +- {_fmt(r.get(f'{m}_sd', float('nan')))}",
                      _fmt(r.get(f"{m}_paper", float("nan")))]
        cells.append(_fmt(r["p_vs_baseline"], 3))
        lines.append("| " + " | ".join(cells) + " |")
    known = any(v for roles in paper.reported.values() for v in roles.values())
    who = paper.name or "the paper"
    if known:
        lines.append(f"\nPaper numbers: {who}; {paper.source}")
    else:
        lines.append(f"\nPaper numbers: {who} does not give per-table numbers that are known "
                     f"here, so the 'paper' columns are n/a. {paper.source}".rstrip())
    if paper.note:
        lines.append(f"Note: {paper.note}")
    return "\n".join(lines)


def _write_tables(folder, rows, text):
    from .embedding import write_rows

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_rows(folder / "results.csv", rows)
    tmp = folder / "results.md.tmp"
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(folder / "results.md")


@FIGURES.register("tsne")
def _figure_tsne(spec, runs, folder, provenance):
    """t-SNE of one subject's test windows: rows = runs, columns = models (CMCRD's figure).

    Parameters
    ----------
    spec : FigureConfig
        The figure.
    runs : dict of str -> Path
        Run folders shown, by run name.
    folder : Path
        The figures folder.
    provenance : dict
        Added to the sidecar (pipeline file, name).

    Returns
    -------
    paths : list of Path
        PDF, PNG, JSON.
    rows : list of dict
        Per (run, model): ``run``, ``model``, ``subject``, ``n_windows``,
        ``n_folds``, ``silhouette``, ``knn_accuracy``, ``knn_other_trials``,
        ``same_fold_knn``.
    lines : list of str
        One printed line per row.
    """
    from .embedding import _ROLE_TITLES, draw_panels, embed_run, write_rows

    loaded, cohorts = _load_runs(spec, runs)
    subject = spec.subject
    if subject is None:
        tested = [{str(s) for f in run.folds for s in np.unique(cohorts[n].subject[f.test_idx])}
                  for n, run in loaded.items()]
        common = sorted(set.intersection(*tested))
        if not common:
            raise ConfigError(f"figure {spec.name!r}: no subject is tested by every run "
                              f"({list(runs)}); set 'subject'.")
        subject = common[0]
    grid, rows = {}, []
    for name, run in loaded.items():
        rs, panels = embed_run(run, cohort=cohorts[name], roles=spec.roles, scopes=("subject",),
                               subjects=[subject], perplexity=spec.perplexity, seed=spec.seed,
                               k=spec.k)
        for r in rs:
            if r["group"] == "mean":
                continue
            grid[(name, r["role"])] = panels[(r["role"], "subject", subject)]
            rows.append({"run": name, "model": _ROLE_TITLES[r["role"]], "subject": subject,
                         "protocol": run.config.get("protocol"), "n_windows": r["n_windows"],
                         "n_folds": r["n_folds"], "silhouette": r["silhouette"],
                         "knn_accuracy": r["knn_accuracy"],
                         "knn_other_trials": r["knn_other_trials"],
                         "same_fold_knn": r["same_fold_knn"]})
    titles = {name: f"{name} ({run.config.get('protocol')})" for name, run in loaded.items()}
    methods = {run.config.get("method") for run in loaded.values()}
    cols = dict(_ROLE_TITLES)
    if len(methods) == 1 and None not in methods and "none" not in methods:
        cols["student"] = f"{methods.pop()} student"
    sidecar = {**provenance, "subject": subject, "runs": {n: str(p) for n, p in runs.items()},
               "configs": {n: r.config for n, r in loaded.items()},
               "data_hashes": {n: r.data_hash for n, r in loaded.items()},
               "roles": list(spec.roles), "perplexity": spec.perplexity, "seed": spec.seed,
               "k": spec.k, "scores": f"{spec.name}_scores.csv"}
    folder.mkdir(parents=True, exist_ok=True)
    write_rows(folder / f"{spec.name}_scores.csv", rows)
    paths = draw_panels(folder / spec.name, grid, [titles[n] for n in loaded], list(loaded),
                        [cols[r] for r in spec.roles], list(spec.roles), spec.k, sidecar)
    lines = [f"{r['run']:<10} {r['model']:<18} subject {r['subject']}: silhouette "
             f"{r['silhouette']:.3f}, {spec.k}-NN accuracy {r['knn_accuracy']:.3f} "
             f"({r['knn_other_trials']:.3f} from other trials; {r['n_windows']} windows)"
             for r in rows]
    return paths, rows, lines


def _load_runs(spec, runs):
    """Each run folder read, its cohort checked, every checkpoint the figure needs loaded."""
    from ..distill.run_reader import load_run
    from ..utils._errors import RunError

    loaded, cohorts = {}, {}
    for name, path in runs.items():
        try:
            loaded[name] = load_run(path)
            cohorts[name] = loaded[name].cohort()
            for fold in loaded[name].folds:  # every checkpoint there before any work
                for role in spec.roles:
                    if role in fold.roles:
                        fold.model(role)
        except RunError as err:
            raise RunError(f"figure {spec.name!r}, run {name!r}: {err} Within 'emopipe "
                           f"pipeline run', deleting {path} and rerunning the pipeline "
                           f"retrains that run.") from None
    return loaded, cohorts


def column_shares(smap, output):
    """Share of each column (band) in an output's mean map: column sums over the map's sum.

    Parameters
    ----------
    smap : SaliencyMap
        The map.
    output : int
        Output index.

    Returns
    -------
    shares : ndarray, shape (n_cols,)
        Non-negative, summing to 1 (NaN cells left out).
    """
    m = np.nan_to_num(smap.mean[output])
    total = m.sum()
    return m.sum(0) / total if total > 0 else np.full(m.shape[1], np.nan)


@FIGURES.register("saliency")
def _figure_saliency(spec, runs, folder, provenance):
    """Band x channel saliency maps of each run's models (Visual-to-EEG KD's figure).

    For every run and role of ``spec``, :func:`~emopipe.analysis.saliency_run.run_saliency`
    on every fold's test windows, with the randomisation check; its files go
    to ``figures/<name>/<run>_<role>/``, its heat map to
    ``figures/<name>_<run>_<role>.pdf/.png/.json``. Tables:
    ``<name>_top.csv`` (the five largest cells of each map) and
    ``<name>_bands.csv`` (each band's share of the map).

    Parameters
    ----------
    spec : FigureConfig
        The figure.
    runs : dict of str -> Path
        Run folders shown, by run name.
    folder : Path
        The figures folder.
    provenance : dict
        Added to the sidecars (pipeline file, name).

    Returns
    -------
    paths : list of Path
        The heat maps (PDF, PNG, JSON of each, in run then role order).
    rows : list of dict
        The top cells: ``run``, ``model``, ``input``, ``output``, ``rank``,
        ``row``, ``col``, ``mean``, ``sd``, ``spearman_random`` (the fully
        randomised map's rank correlation), ``flagged``.
    lines : list of str
        Per map: its top cells, band shares and the randomisation check.
    """
    from .embedding import _ROLE_TITLES, write_rows
    from .saliency import _safe_key, top_cells
    from .saliency_plot import draw_heatmap
    from .saliency_run import run_saliency

    loaded, cohorts = _load_runs(spec, runs)
    folder.mkdir(parents=True, exist_ok=True)
    paths, rows, share_rows, lines = [], [], [], []
    for name, run in loaded.items():
        for role in spec.roles:
            if not any(role in f.roles for f in run.folds):
                raise ConfigError(f"figure {spec.name!r}: run {name!r} holds no {role!r} model "
                                  f"(it holds {sorted({r for f in run.folds for r in f.roles})}"
                                  f"); set the figure's 'roles'.")
            res = run_saliency(run, folder / spec.name / f"{name}_{role}", cohort=cohorts[name],
                               role=role, method=spec.method, steps=spec.steps,
                               check_windows=spec.check_windows, seed=spec.seed)
            last = res.check[-1]["spearman"] if res.check else float("nan")
            verdict = "FLAGGED (survives randomisation)" if res.flagged else "passed"
            sidecar = {**provenance, "run": str(run.path), "run_name": name, "role": role,
                       "config": run.config, "data_hash": run.data_hash,
                       "method": spec.method, "steps": spec.steps, "baseline": res.baseline,
                       "randomisation": res.check, "flagged": res.flagged,
                       "files": str(folder / spec.name / f"{name}_{role}"),
                       "tables": [f"{spec.name}_top.csv", f"{spec.name}_bands.csv"]}
            for smap in res.maps:
                stem = f"{spec.name}_{name}_{role}" + (
                    f"_{_safe_key(smap.key)}" if len(res.maps) > 1 else "")
                paths += draw_heatmap(smap, folder / stem, sidecar)
                for o, out_name in enumerate(smap.outputs):
                    top = top_cells(smap, o, 5)
                    for rank, (r, c, m, sd) in enumerate(top, 1):
                        rows.append({"run": name, "model": _ROLE_TITLES[role],
                                     "input": smap.key, "output": out_name, "rank": rank,
                                     "row": r, "col": c, "mean": m, "sd": sd,
                                     "spearman_random": last, "flagged": res.flagged})
                    shares = column_shares(smap, o)
                    for c, share in zip(smap.cols, shares):
                        share_rows.append({"run": name, "model": _ROLE_TITLES[role],
                                           "input": smap.key, "output": out_name, "col": c,
                                           "share": float(share)})
                    cells = ", ".join(f"{r}/{c}" for r, c, _, _ in top)
                    bands = ", ".join(f"{c} {100 * v:.0f}%" for c, v in zip(smap.cols, shares))
                    lines.append(f"{name:<10} {_ROLE_TITLES[role]:<18} {smap.key} {out_name}: "
                                 f"top cells {cells}; band shares {bands}; randomisation "
                                 f"Spearman {last:+.3f}, {verdict}")
    write_rows(folder / f"{spec.name}_top.csv", rows)
    write_rows(folder / f"{spec.name}_bands.csv", share_rows)
    return paths, rows, lines
