"""DEAP's ``metadata_csv/participant_ratings.csv``: per-trial ratings and trial orders.

One row per subject and trial: ``Participant_id``, ``Trial`` (presentation
position), ``Experiment_id`` (video), ``Start_time``, the four ratings on
1-9 and ``Familiarity`` on 1-5 (``docs/datasets.md`` section 1).
"""

import csv
import os
from pathlib import Path

import numpy as np

from ..utils._checks import _check_type

RATINGS_FILE = "metadata_csv/participant_ratings.csv"
RATINGS_HEADER = [
    "Participant_id", "Trial", "Experiment_id", "Start_time", "Valence", "Arousal",
    "Dominance", "Liking", "Familiarity",
]


def read_participant_ratings(fname):
    """Read ``metadata_csv/participant_ratings.csv``.

    Parameters
    ----------
    fname : path-like
        The CSV file, header ``Participant_id, Trial, Experiment_id,
        Start_time, Valence, Arousal, Dominance, Liking, Familiarity``.

    Returns
    -------
    ratings : dict of str -> dict
        Subject id (``"s01"``) -> dict of arrays of shape (n_trials,), rows
        sorted by ``Experiment_id`` (video order): ``experiment_id``,
        ``trial`` (presentation position, 1-based), ``start_time``,
        ``valence``, ``arousal``, ``dominance``, ``liking``, ``familiarity``
        (NaN where the CSV leaves it empty, as for participants 2, 15, 23).
    """
    _check_type("fname", fname, ("path-like",))
    name = Path(fname).name
    with open(fname, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ValueError(f"{name}: the file is empty; expected header "
                             f"{', '.join(RATINGS_HEADER)}.") from None
        missing = [h for h in RATINGS_HEADER if h not in header]
        if missing:
            raise ValueError(
                f"{name}: header lacks column(s) {missing}; found {header}, expected "
                f"{RATINGS_HEADER}. Is this DEAP's participant_ratings.csv?"
            )
        col = {h: header.index(h) for h in RATINGS_HEADER}
        rows = {}
        for line_no, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            try:
                pid = int(float(row[col["Participant_id"]]))
                vals = {
                    "trial": int(float(row[col["Trial"]])),
                    "experiment_id": int(float(row[col["Experiment_id"]])),
                    "start_time": float(row[col["Start_time"]] or "nan"),
                    "valence": float(row[col["Valence"]]),
                    "arousal": float(row[col["Arousal"]]),
                    "dominance": float(row[col["Dominance"]]),
                    "liking": float(row[col["Liking"]]),
                    "familiarity": float(row[col["Familiarity"]].strip() or "nan"),
                }
            except (ValueError, IndexError) as exc:
                raise ValueError(f"{name}: line {line_no} is malformed ({exc}): {row!r}") \
                    from None
            rows.setdefault(f"s{pid:02d}", []).append(vals)
    out = {}
    for subject in sorted(rows):
        entries = sorted(rows[subject], key=lambda r: r["experiment_id"])
        sub = {k: np.array([r[k] for r in entries]) for k in entries[0]}
        for k in ("trial", "experiment_id"):
            sub[k] = sub[k].astype(np.int64)
        if len(set(sub["trial"].tolist())) != len(entries):
            raise ValueError(f"{name}: subject {subject} has repeated Trial numbers.")
        out[subject] = sub
    return out


def _subject_ratings(ratings, subject):
    """Per-subject entry of ``ratings`` (a path, the full mapping or one entry)."""
    if ratings is None:
        return None
    if isinstance(ratings, (str, os.PathLike)):
        ratings = read_participant_ratings(ratings)
    if isinstance(ratings, dict) and "experiment_id" in ratings:
        return ratings
    _check_type("ratings", ratings, (dict,))
    if subject not in ratings:
        raise KeyError(
            f"participant_ratings has no rows for subject {subject!r}; it holds "
            f"{', '.join(repr(s) for s in sorted(ratings))}."
        )
    return ratings[subject]
