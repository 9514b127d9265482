"""DEAP's ``metadata_csv/participant_ratings.csv``: per-trial ratings and trial orders.

One row per subject and trial: ``Participant_id``, ``Trial`` (presentation
position), ``Experiment_id`` (video), ``Start_time``, the four ratings on
1-9 and ``Familiarity`` on 1-5 (``docs/datasets.md`` section 1).
"""

import csv
import math
import os
from pathlib import Path

import numpy as np

from ..utils._checks import _check_type
from ..utils._errors import DataFileError, UnknownNameError
from ._files import _open_user_file

#: the self-assessment scale of the four ratings (DEAP: 1-9) and of familiarity (1-5)
RATING_SCALE = (1.0, 9.0)
FAMILIARITY_SCALE = (1.0, 5.0)
RATINGS_FILE = "metadata_csv/participant_ratings.csv"
RATINGS_HEADER = [
    "Participant_id", "Trial", "Experiment_id", "Start_time", "Valence", "Arousal",
    "Dominance", "Liking", "Familiarity",
]


# key in the output, CSV column, how to read it ("id": integer, required; "rating": finite on
# RATING_SCALE; "familiarity": FAMILIARITY_SCALE or empty; "time": a number or empty)
_COLUMNS = (
    ("participant_id", "Participant_id", "id"), ("trial", "Trial", "id"),
    ("experiment_id", "Experiment_id", "id"), ("start_time", "Start_time", "time"),
    ("valence", "Valence", "rating"), ("arousal", "Arousal", "rating"),
    ("dominance", "Dominance", "rating"), ("liking", "Liking", "rating"),
    ("familiarity", "Familiarity", "familiarity"),
)


def _rows(reader, name):
    """``(line number, row)`` of a csv reader; undecodable text is a named DataFileError."""
    line_no = 1
    while True:
        line_no += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except (UnicodeDecodeError, csv.Error) as exc:
            raise DataFileError(f"{name}: line {line_no} is not readable CSV text "
                                f"({exc}).") from None
        yield line_no, row


def _parse(name, line_no, column, text, kind):
    """One CSV value; a DataFileError names file, line, column, what came and the rule."""
    where = f"{name}: line {line_no}, column {column}"
    if text is None:
        raise DataFileError(f"{where} is missing (the row is too short). Is the file "
                            f"truncated?")
    if kind in ("time", "familiarity") and not text:
        return float("nan")  # DEAP leaves these empty for some participants
    try:
        value = float(text)
    except ValueError:
        raise DataFileError(f"{where}: {text!r} is not a number.") from None
    if kind == "id":
        if not math.isfinite(value) or value != int(value) or value < 0:
            raise DataFileError(f"{where}: {text!r} is not a non-negative integer id. Every "
                                f"row needs a Participant_id, Trial and Experiment_id.")
        return int(value)
    if kind == "time":
        return value
    lo, hi = RATING_SCALE if kind == "rating" else FAMILIARITY_SCALE
    if not math.isfinite(value) or not lo <= value <= hi:
        raise DataFileError(
            f"{where}: {text!r} is outside the {column.lower()} scale {lo:g}-{hi:g}"
            f"{' (NaN or infinite)' if not math.isfinite(value) else ''}. Fix or drop the row."
        )
    return value


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

    Raises
    ------
    DataFileError
        Naming the line and column of a value that does not parse (an empty
        or missing ``Participant_id``, ``Trial`` or ``Experiment_id``, an
        infinite id), of a rating that is NaN, infinite or outside 1-9, or a
        familiarity outside 1-5; and the subject with repeated trials.
    """
    _check_type("fname", fname, ("path-like",))
    name = Path(fname).name
    with _open_user_file(fname, "r", what="ratings CSV", newline="",
                         encoding="utf-8-sig", errors="strict") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise DataFileError(f"{name}: the file is empty; expected header "
                                f"{', '.join(RATINGS_HEADER)}.") from None
        except UnicodeDecodeError as exc:
            raise DataFileError(f"{name}: not a UTF-8 text file ({exc.reason} at byte "
                                f"{exc.start}). Is this DEAP's participant_ratings.csv?") from None
        missing = [h for h in RATINGS_HEADER if h not in header]
        if missing:
            raise DataFileError(
                f"{name}: header lacks column(s) {missing}; found {header}, expected "
                f"{RATINGS_HEADER}. Is this DEAP's participant_ratings.csv?"
            )
        col = {h: header.index(h) for h in RATINGS_HEADER}
        rows = {}
        for line_no, row in _rows(reader, name):
            if not row or all(not c.strip() for c in row):
                continue
            vals = {}
            for key, column, kind in _COLUMNS:
                text = row[col[column]].strip() if col[column] < len(row) else None
                vals[key] = _parse(name, line_no, column, text, kind)
            pid = vals.pop("participant_id")
            rows.setdefault(f"s{pid:02d}", []).append(vals)
    out = {}
    for subject in sorted(rows):
        entries = sorted(rows[subject], key=lambda r: r["experiment_id"])
        sub = {k: np.array([r[k] for r in entries]) for k in entries[0]}
        for k in ("trial", "experiment_id"):
            sub[k] = sub[k].astype(np.int64)
        for key, column in (("trial", "Trial"), ("experiment_id", "Experiment_id")):
            values = sub[key].tolist()
            if len(set(values)) != len(entries):
                twice = sorted({v for v in values if values.count(v) > 1})
                raise DataFileError(f"{name}: subject {subject} has repeated {column} "
                                    f"numbers {twice}; each trial needs one row.")
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
        raise UnknownNameError(
            f"participant_ratings has no rows for subject {subject!r}; it holds "
            f"{', '.join(repr(s) for s in sorted(ratings))}."
        )
    return ratings[subject]
