"""Command line: ``emopipe extract|check|synth|demo|distill ...``.

Thin commands; every heavy import happens inside a command body so that
``emopipe --help`` starts fast.
"""

import argparse
import sys

from ._version import __version__
from .utils._checks import _close_match_hint

DATASETS = ("deap",)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit code 2 with a close-match hint
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _dataset_arg(value):
    if value not in DATASETS:
        allowed = ", ".join(repr(d) for d in DATASETS)
        raise argparse.ArgumentTypeError(
            f"Invalid value for the 'dataset' parameter. Allowed values are {allowed}, "
            f"but got {value!r} instead.{_close_match_hint(value, DATASETS)}"
        )
    return value


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
    _add_verbose(p)
    return parser


def main(argv=None):
    """Entry point of the ``emopipe`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from .utils._logging import set_log_level

    set_log_level({0: "warning", 1: "info"}.get(args.verbose, "debug"))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
