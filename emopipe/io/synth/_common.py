"""What every synthetic writer does the same way: the closing ``ground_truth.json``."""

import json
from pathlib import Path

__all__ = ["write_ground_truth"]

#: the file, in a writer's ``out`` folder, that holds everything planted
GROUND_TRUTH_FILE = "ground_truth.json"


def write_ground_truth(out, truth):
    """Write ``truth`` to ``out/ground_truth.json`` (indent 1) and return it.

    Parameters
    ----------
    out : str | Path
        The writer's output folder (it exists).
    truth : dict
        Everything the writer planted, JSON-serialisable.

    Returns
    -------
    truth : dict
        ``truth``, unchanged, for the writer to return.
    """
    with open(Path(out) / GROUND_TRUTH_FILE, "w", encoding="utf-8") as fh:
        json.dump(truth, fh, indent=1)
    return truth
