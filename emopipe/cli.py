"""emopipe: cross-modal knowledge distillation for emotion recognition.

Thin commands; every heavy import happens inside a command body so that
``emopipe --help`` starts fast.
"""

import argparse
import sys

from ._version import __version__
from .utils._checks import _close_match_hint


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
    p.add_argument("--trials", type=int, default=40, help="trials per subject")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-raw", action="store_true", help="skip the raw BDF files")
    p.add_argument("--face", action="store_true",
                   help="also write face videos (face_video/sXX/, subjects s01-s22)")
    p.add_argument("--scenario", default="legacy", choices=("legacy", "kd", "blind", "equal"),
                   help="cohort scenario (emopipe.io.synth._cohort): kd = positive control of "
                        "distillation, blind = negative control, equal, legacy (default)")
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

    p = sub.add_parser("demo", help="synthesise a small cohort, extract, distill; print where outputs are")
    p.add_argument("--out", default="demo_out", help="working folder")
    p.add_argument("--subjects", type=int, default=6)
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--method", default="hinton_kd", help="KD method of the distillation step")
    _add_verbose(p)
    return parser


def _cmd_synth(args):
    from pathlib import Path

    from .io.synth.deap import write_deap_synth

    write_deap_synth(args.out, n_subjects=args.subjects, n_trials=args.trials, seed=args.seed,
                     raw=not args.no_raw, face=args.face, scenario=args.scenario)
    print(f"Wrote a synthetic {args.dataset} cohort of {args.subjects} subjects to {args.out}")
    print(f"Planted effects: {Path(args.out) / 'ground_truth.json'}")
    return 0


def _cmd_check(args):
    from .io import DATASETS

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
        from .utils.config import read_yaml

        doc = read_yaml(args.config)
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise ValueError(
                f"{args.config}: expected a mapping (an 'extract:' section or ExtractConfig "
                f"keys) at the top level, got a {type(doc).__name__}."
            )
        data = doc.get("extract", doc)
        data = dict(data) if isinstance(data, dict) else data
    data["dataset"] = args.dataset
    for key in ("source", "subjects", "window", "step", "modalities"):
        value = getattr(args, key)
        if value is not None:
            data[key] = value
    return config_from_dict(ExtractConfig, data, source=args.config or "command line")


def _cmd_extract(args):
    from .cache import run_extract

    config = _extract_config(args)
    summary = run_extract(config, args.root, args.cache, n_jobs=args.n_jobs)
    print(f"Cache: {summary['cache_dir']} (config {summary['config_hash']}); "
          f"{len(summary['written'])} subject(s) extracted, {len(summary['skipped'])} already current "
          f"({summary['n_jobs']} job(s), {summary['timings']['wall']:.1f} s)")
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


def _cmd_demo(args):
    from .demo import run_demo

    run_demo(args.out, n_subjects=args.subjects, n_trials=args.trials, seed=args.seed,
             method=args.method)
    return 0


_COMMANDS = {"synth": _cmd_synth, "check": _cmd_check, "extract": _cmd_extract,
             "distill": _cmd_distill, "demo": _cmd_demo}


def main(argv=None):
    """Entry point of the ``emopipe`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from .utils._logging import set_log_level

    set_log_level({0: "warning", 1: "info"}.get(args.verbose, "debug"))
    try:
        return _COMMANDS[args.command](args)
    except (ValueError, TypeError, KeyError, FileNotFoundError, OSError) as exc:
        # user errors: one paragraph, no traceback (use -vv for one)
        if args.verbose >= 2:
            raise
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"emopipe {args.command}: error: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
