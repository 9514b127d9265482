"""emopipe: cross-modal knowledge distillation for emotion recognition.

Thin commands; every heavy import happens inside a command body so that
``emopipe --help`` starts fast.
"""

import argparse
import sys

from ._version import __version__
from .utils._checks import _close_match_hint
from .utils._errors import ConfigError, EmopipeError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit code 2 with a close-match hint
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _datasets():
    """The dataset registry, filled (dataset modules import nothing heavy)."""
    from .io._registry import load_datasets

    return load_datasets()


def _dataset_arg(value):
    names = _datasets().names()
    if value not in names:
        allowed = ", ".join(repr(d) for d in names)
        raise argparse.ArgumentTypeError(
            f"Invalid value for the 'dataset' parameter. Allowed values are {allowed}, "
            f"but got {value!r} instead.{_close_match_hint(value, names)}"
        )
    return value


def _source_choices():
    """Every ``source`` a registered dataset accepts (the config checks it per dataset)."""
    registry = _datasets()
    return list(dict.fromkeys(s for name in registry.names() for s in registry.get(name).sources))


def _add_verbose(p):
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="-v for INFO, -vv for DEBUG logging")


def build_parser():
    """Return the argument parser of the ``emopipe`` command."""
    parser = _Parser(prog="emopipe", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"emopipe {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("synth", help="write a synthetic cohort in a dataset's official format")
    p.add_argument("--dataset", type=_dataset_arg, default="deap")
    p.add_argument("--out", required=True, help="folder to write the dataset layout into")
    p.add_argument("--subjects", type=int, default=4, help="number of subjects")
    p.add_argument("--trials", type=int, default=None,
                   help="trials per subject (DEAP; default 40)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-raw", action="store_true", help="skip the raw BDF files")
    p.add_argument("--raw-trials", type=int, default=None,
                   help="trials in each raw BDF, at most --trials (default: min(4, --trials))")
    p.add_argument("--face", action="store_true",
                   help="also write face videos (face_video/sXX/, subjects s01-s22)")
    p.add_argument("--release", default=None, choices=("old", "new"),
                   help="SEED release layout (default new: SEED_EEG/ + SEED_Multimodal/)")
    from .io.synth._cohort import SCENARIOS

    p.add_argument("--scenario", default="legacy", choices=tuple(SCENARIOS),
                   help="cohort scenario (emopipe.io.synth._cohort): kd = positive control of "
                        "distillation (kd_noisy, kd_strong: its later versions), blind = negative "
                        "control (blind_strong: kd_strong's), "
                        "equal, legacy (default)")
    _add_verbose(p)

    p = sub.add_parser("check", help="say what a dataset download lacks before any work starts")
    p.add_argument("--dataset", type=_dataset_arg, required=True)
    p.add_argument("--root", required=True, help="dataset download folder")
    _add_verbose(p)

    p = sub.add_parser("extract", help="raw recordings -> features in the HDF5 cache")
    p.add_argument("--dataset", type=_dataset_arg, required=True)
    p.add_argument("--root", required=True, help="dataset download folder")
    p.add_argument("--cache", default=None,
                   help="cache folder (default: $EMOPIPE_CACHE_DIR or ~/.cache/emopipe, "
                        "then <dataset>-<config hash>)")
    p.add_argument("--config", default=None, help="YAML file with an 'extract:' section")
    p.add_argument("--source", default=None, choices=_source_choices())
    p.add_argument("--subjects", nargs="+", default=None, help="subject ids (default: all)")
    p.add_argument("--window", type=float, default=None, help="window length in s")
    p.add_argument("--step", type=float, default=None, help="hop between windows in s")
    p.add_argument("--modalities", nargs="+", default=None, help="e.g. eeg eog gsr")
    p.add_argument("-j", "--n-jobs", type=int, default=-1,
                   help="subjects extracted at once, one process each (default -1: one per "
                        "CPU; about 0.5 GB of memory each for DEAP). The cache does not "
                        "depend on it")
    p.add_argument("--strict", action="store_true",
                   help="stop at the first subject whose files cannot be used (default: "
                        "report it, skip it, extract the others, exit 1 at the end)")
    _add_verbose(p)

    p = sub.add_parser("distill", help="train teachers and students on the cache")
    p.add_argument("--cache", default=None, help="cache folder written by 'emopipe extract'")
    p.add_argument("--config", default=None, help="YAML from pipelines/ with a 'distill:' section")
    p.add_argument("--teacher", default=None, help="teacher modality, e.g. eeg or eeg+eog")
    p.add_argument("--student", default=None, help="student modality, e.g. eog")
    p.add_argument("--method", default=None, help="KD method (none = student alone)")
    p.add_argument("--protocol", default=None, help="evaluation protocol, e.g. loso")
    p.add_argument("--target", default=None, help="label to predict, e.g. valence")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--device", default=None, help="cpu, cuda or auto")
    p.add_argument("--out", default=None, help="run folder")
    p.add_argument("--teacher-only", action="store_true", help="train and report the teacher only")
    _add_verbose(p)

    p = sub.add_parser("tsne", help="t-SNE of a run's penultimate features, with separation scores")
    p.add_argument("--run", required=True, help="run folder written by 'emopipe distill'")
    p.add_argument("--out", required=True, help="folder for the figure, its sidecar and the table")
    p.add_argument("--cache", default=None,
                   help="cache folder (default: the one the run recorded; checked against it)")
    p.add_argument("--perplexity", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--k", type=int, default=5, help="neighbours of the k-NN accuracy")
    p.add_argument("--scope", nargs="+", default=["subject", "pooled"],
                   choices=("fold", "subject", "pooled"),
                   help="groups of test windows embedded: per fold, per subject (default), "
                        "pooled over the run (default)")
    p.add_argument("--subjects", nargs="+", default=None,
                   help="only these subjects' test windows (default: all)")
    p.add_argument("--roles", nargs="+", default=None, choices=("teacher", "baseline", "student"),
                   help="models to embed (default: all the run holds; baseline = student alone)")
    p.add_argument("-j", "--n-jobs", type=int, default=1, help="threads of the t-SNE")
    _add_verbose(p)

    p = sub.add_parser("saliency", help="band x channel saliency maps of a run's student "
                                        "(or teacher), with a randomisation sanity check")
    p.add_argument("--run", required=True, help="run folder written by 'emopipe distill'")
    p.add_argument("--out", required=True, help="folder for the maps, figures and tables")
    p.add_argument("--method", default="ig", choices=("ig", "saliency", "input_x_gradient"),
                   help="attribution method (captum): integrated gradients (default), the "
                        "gradient, or input x gradient")
    p.add_argument("--teacher", action="store_true", help="explain the teacher, not the student")
    p.add_argument("--steps", type=int, default=32, help="integration steps of ig (default 32)")
    p.add_argument("--cache", default=None,
                   help="cache folder (default: the one the run recorded; checked against it)")
    p.add_argument("--check-windows", type=int, default=256,
                   help="test windows per fold of the randomisation check (default 256)")
    p.add_argument("--no-check", action="store_true", help="skip the randomisation check")
    p.add_argument("--seed", type=int, default=0, help="seed of the randomisation")
    _add_verbose(p)

    p = sub.add_parser("pipeline", help="run one paper experiment end to end (pipelines/*.yaml)")
    psub = p.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    psub.required = True
    q = psub.add_parser("run", help="synth (if asked), extract, distil the runs, write tables "
                                    "and figures")
    q.add_argument("pipeline", help="YAML file with a 'pipeline:' section, e.g. "
                                    "pipelines/cmcrd_seed_v.yaml")
    q.add_argument("--root", required=True,
                   help="dataset download folder (the synthetic cohort is written there when "
                        "the pipeline has 'synth')")
    q.add_argument("--out", required=True, help="output folder (cache, runs, tables, figures)")
    q.add_argument("-j", "--n-jobs", type=int, default=1, help="subjects extracted at once")
    _add_verbose(q)

    p = sub.add_parser("datasets", help="list the datasets emopipe reads, with their facts")
    _add_verbose(p)

    p = sub.add_parser("demo", help="synthesise a small cohort, extract, distill; print where outputs are")
    p.add_argument("--out", default="demo_out", help="working folder")
    p.add_argument("--subjects", type=int, default=None,
                   help="number of subjects (default: emopipe.demo.DEMO_SUBJECTS, 10)")
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--method", default="hinton_kd", help="KD method of the distillation step")
    p.add_argument("--n-seeds", type=int, default=None,
                   help="training seeds of the distillation, from --seed on; the paired tests "
                        "average each subject over them (default: emopipe.demo.DEMO_SEEDS, 3)")
    p.add_argument("--figures", default=None,
                   help="also copy the demo's small PNGs (demo_tsne.png) to this folder, e.g. "
                        "figures/ for the README")
    _add_verbose(p)
    return parser


def _check_count(name, value):
    """A CLI count (``--subjects``, ``--trials``) must be >= 1."""
    if value < 1:
        raise ConfigError(f"--{name} must be >= 1, got {value}.")


def _check_input_path(option, path, *, folder):
    """A path given on the command line exists and is a folder (or a regular file)."""
    import os
    import stat

    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{option} {path}: no such {'folder' if folder else 'file'}.") \
            from None
    if folder and not stat.S_ISDIR(st.st_mode):
        raise ConfigError(f"{option} {path}: not a folder. Give the dataset download folder.")
    if not folder and not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{option} {path}: not a regular file (a folder, FIFO or device). "
                          f"Give a YAML file.")


#: ``emopipe synth`` options a dataset's writer may take (``SynthWriter.options``)
_SYNTH_OPTIONS = ("trials", "raw_trials", "face", "no_raw", "release")


def _cmd_synth(args):
    from pathlib import Path

    from .io.synth._registry import load_writers

    _check_count("subjects", args.subjects)
    writers = load_writers()
    if args.dataset not in writers.names():
        raise ConfigError(
            f"emopipe synth has no synthetic writer for dataset {args.dataset!r}; it writes "
            f"{', '.join(repr(d) for d in writers.names())}."
        )
    writer = writers.get(args.dataset)
    given = [f"--{o.replace('_', '-')}" for o in _SYNTH_OPTIONS
             if getattr(args, o) not in (None, False) and o not in writer.options]
    if given:
        raise ConfigError(f"emopipe synth --dataset {args.dataset}: {', '.join(given)} do(es) not "
                          f"apply: {writer.note} Leave {'them' if len(given) > 1 else 'it'} out.")
    if args.trials is not None:
        _check_count("trials", args.trials)
    writer.write(args.out, n_subjects=args.subjects, seed=args.seed, scenario=args.scenario,
                 **{o: getattr(args, o) for o in writer.options})
    print(f"Wrote a synthetic {args.dataset} cohort of {args.subjects} subjects to {args.out}")
    print(f"Planted effects: {Path(args.out) / 'ground_truth.json'}")
    return 0


def _cmd_check(args):
    from .io import DATASETS

    _check_input_path("--root", args.root, folder=True)

    lines = DATASETS.get(args.dataset)().check(args.root)
    problems = [p for p in lines if not p.startswith("info: ")]
    for line in lines:
        print(f"  - {line}")
    if problems:
        print(f"{args.dataset} at {args.root}: {len(problems)} problem(s); fix them before "
              f"'emopipe extract'.")
        return 1
    print(f"{args.dataset} at {args.root}: every file present is readable and well-formed.")
    return 0


def _extract_config(args):
    from .features.extract import ExtractConfig
    from .utils.config import config_from_dict

    data = {}
    if args.config:
        from .utils.config import read_config_section

        _check_input_path("--config", args.config, folder=False)
        data = read_config_section(args.config, "extract", bare_ok=True)
    data["dataset"] = args.dataset
    for key in ("source", "subjects", "window", "step", "modalities"):
        value = getattr(args, key)
        if value is not None:
            data[key] = value
    return config_from_dict(ExtractConfig, data, source=args.config or "command line")


def _cmd_extract(args):
    from .cache import run_extract

    config = _extract_config(args)
    _check_input_path("--root", args.root, folder=True)
    summary = run_extract(config, args.root, args.cache, n_jobs=args.n_jobs,
                          on_error="raise" if args.strict else "skip")
    failed = summary["failed"]
    n_failed = f", {len(failed)} failed" if failed else ""
    print(f"Cache: {summary['cache_dir']} (config {summary['config_hash']}); "
          f"{len(summary['written'])} subject(s) extracted, {len(summary['skipped'])} already "
          f"current{n_failed} "
          f"({summary['n_jobs']} job(s), {summary['timings']['wall']:.1f} s)")
    if failed:
        # each reason was logged (an error line naming the file) as it happened
        print(f"emopipe extract: error: {len(failed)} subject(s) failed and were skipped "
              f"({', '.join(failed)}); the reasons are above. Fix their files ('emopipe check "
              f"--dataset {args.dataset} --root {args.root}' lists every problem) and rerun: the "
              f"subjects extracted are current and will be skipped.", file=sys.stderr)
        return 1
    return 0


def _distill_config(args):
    from .distill import config_from_cli

    overrides = {k: getattr(args, k) for k in ("cache", "teacher", "student", "method", "protocol",
                                                 "target", "seed", "epochs", "device", "out")}
    overrides["teacher_only"] = args.teacher_only or None
    overrides["config"] = args.config
    return config_from_cli(overrides)


def _cmd_distill(args):
    from .distill import run_distill

    config = _distill_config(args)
    result = run_distill(config)
    print(f"Run folder: {result.out}")
    print(result.summary_text())
    return 0


def _cmd_tsne(args):
    from .analysis.embedding import run_tsne

    rows = run_tsne(args.run, args.out, cohort=args.cache, roles=args.roles, scopes=args.scope,
                    subjects=args.subjects, perplexity=args.perplexity, seed=args.seed,
                    k=args.k, n_jobs=args.n_jobs)
    print(_tsne_table(rows, args.k))
    figs = ", ".join(f"tsne_{s}.png" for s in args.scope)
    print(f"Figures: {args.out}/{figs} (+ .pdf, sidecar .json); table: "
          f"{args.out}/tsne_scores.csv")
    return 0


def _cmd_saliency(args):
    from .analysis.saliency import top_cells
    from .analysis.saliency_run import run_saliency

    _check_count("steps", args.steps)
    _check_count("check-windows", args.check_windows)
    role = "teacher" if args.teacher else "student"
    res = run_saliency(args.run, args.out, cohort=args.cache, role=role, method=args.method,
                       steps=args.steps, check=not args.no_check,
                       check_windows=args.check_windows, seed=args.seed)
    print(f"{role}, {args.method}" + (f" ({args.steps} steps)" if args.method == "ig" else "")
          + f"; baseline: {res.baseline}")
    for smap in res.maps:
        for o, name in enumerate(smap.outputs):
            print(f"{smap.key} output {name} ({int(smap.n_subjects[o])} subjects, "
                  f"{int(smap.n_windows[:, o].sum())} windows): top cells")
            print(f"  {'rank':>4} {smap.row_label:<10} {smap.col_label:<10} {'mean':>10} "
                  f"{'sd':>10}")
            for i, (r, c, m, sd) in enumerate(top_cells(smap, o, 5)):
                print(f"  {i + 1:>4} {r:<10} {c:<10} {m:>10.4g} {sd:>10.4g}")
        if res.topomaps.get(smap.key):
            print(f"{smap.key}: topomap skipped: {res.topomaps[smap.key]}.")
        missing = res.unpositioned.get(smap.key)
        if missing and not res.topomaps.get(smap.key):
            print(f"{smap.key}: no position in {res.montage} for {', '.join(missing)} "
                  f"(left out of the topomap, kept in the matrix).")
    if res.check:
        print("Randomisation check (layers re-initialised from the top, Spearman with the "
              "trained map):")
        for s in res.check:
            print(f"  {s['step']:>2} {s['layer']:<24} {s['spearman']:>7.3f}")
        last = res.check[-1]["spearman"]
        if res.flagged:
            print(f"WARNING: the map survives randomisation (Spearman {last:.3f} >= 0.3 with "
                  f"every layer random): it reflects the input more than what the model "
                  f"learned.")
        else:
            print(f"Passed: the fully randomised map is unlike the trained one (Spearman "
                  f"{last:.3f} < 0.3).")
    print(f"Files: {args.out}/saliency.h5 (per-subject matrices), saliency_*.csv, "
          f"saliency_heatmap_*, saliency_bands_*, saliency_topomap_* (.png, .pdf, .json), "
          f"saliency_summary.json")
    return 0


def _tsne_table(rows, k):
    """The t-SNE scores as aligned text lines."""
    lines = [f"{'model':<9} {'scope':<8} {'group':<16} {'windows':>7} {'silhouette':>10} "
             f"{f'{k}-NN acc':>9} {'other-trial':>11}"]
    for r in rows:
        lines.append(f"{r['role']:<9} {r['scope']:<8} {r['group']:<16} {r['n_windows']:>7} "
                     f"{r['silhouette']:>10.3f} {r['knn_accuracy']:>9.3f} "
                     f"{r['knn_other_trials']:>11.3f}")
    lines.append(f"(other-trial: the {k}-NN accuracy with neighbours from other trials only; "
                 f"windows of one trial share its label)")
    return "\n".join(lines)


def _cmd_pipeline(args):
    from .analysis.pipeline import run_pipeline

    _check_input_path("pipeline", args.pipeline, folder=False)
    result = run_pipeline(args.pipeline, args.root, args.out, n_jobs=args.n_jobs)
    print(f"Tables: {args.out}/tables/results.csv, results.md; figures: "
          f"{', '.join(str(p[1]) for p in result['figures'].values()) or 'none'}")
    return 0


def _cmd_demo(args):
    from .demo import DEMO_SEEDS, DEMO_SUBJECTS, run_demo

    subjects = DEMO_SUBJECTS if args.subjects is None else args.subjects
    n_seeds = DEMO_SEEDS if args.n_seeds is None else args.n_seeds
    _check_count("subjects", subjects)
    _check_count("trials", args.trials)
    _check_count("n-seeds", n_seeds)

    run_demo(args.out, n_subjects=subjects, n_trials=args.trials, seed=args.seed,
             method=args.method, n_seeds=n_seeds, figures=args.figures)
    return 0


def _cmd_datasets(args):
    from .distill.protocols import PROTOCOLS
    from .io import DATASETS

    facts = [DATASETS.get(name).describe() for name in DATASETS.names()]
    declared = {p for f in facts for p in f["protocols"]}
    split_of = {p: getattr(PROTOCOLS.get(p), "dataset", None) for p in PROTOCOLS.names()}
    shared = [p for p, d in split_of.items() if d is None and p not in declared]
    for f in facts:
        official = [p for p, d in split_of.items() if d == f["name"]]
        print(f"{f['name']}: {f['subjects']} subjects x {f['sessions']} session(s); "
              f"modalities {', '.join(f['modalities'])}; {f['labels']}; "
              f"{f['window']:g}-s windows by default")
        print(f"    sources: {', '.join(f['sources'])}")
        print(f"    protocols: {', '.join(official + list(f['protocols']) + shared)}")
    return 0


_COMMANDS = {"synth": _cmd_synth, "check": _cmd_check, "extract": _cmd_extract,
             "distill": _cmd_distill, "tsne": _cmd_tsne, "saliency": _cmd_saliency,
             "pipeline": _cmd_pipeline, "datasets": _cmd_datasets,
             "demo": _cmd_demo}


def _one_paragraph(text):
    """``text`` on one line: runs of whitespace holding a newline become one space."""
    import re

    return re.sub(r"\s*\n\s*", " ", str(text)).strip()


def _user_message(exc):
    """The message of a user error: its own text, or ``path: reason`` for a bare OSError."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc)


def main(argv=None):
    """Entry point of the ``emopipe`` console script.

    Errors the user can fix (an :class:`~emopipe.utils._errors.EmopipeError`:
    bad files, configs, arguments, runs; or an ``OSError`` about a path:
    missing, not permitted, a folder where a file is expected) are printed
    as one paragraph ``emopipe <command>: error: <message>`` with exit code 1
    (``-vv`` shows their traceback too). Any other exception is a bug in
    emopipe and propagates with its traceback.

    Parameters
    ----------
    argv : list of str | None
        Arguments; ``None`` reads ``sys.argv``.

    Returns
    -------
    code : int
        0 on success, 1 on a user error (2 for a bad command line, from argparse).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    from .utils._logging import set_log_level

    set_log_level({0: "warning", 1: "info"}.get(args.verbose, "debug"))
    try:
        return _COMMANDS[args.command](args)
    except (EmopipeError, OSError) as exc:
        # user errors: one paragraph, no traceback (use -vv for one)
        if args.verbose >= 2:
            raise
        print(f"emopipe {args.command}: error: {_one_paragraph(_user_message(exc))}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
