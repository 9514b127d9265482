"""Scoring of detected event onsets against planted ones (EOG and GSR tests)."""

import numpy as np


def f1_score(true, detected, tol):
    """F1 of a one-to-one matching within ``tol`` s, and the matched onset errors."""
    used, errors = set(), []
    for d in detected:
        j = int(np.argmin(np.abs(true - d)))
        if abs(true[j] - d) <= tol and j not in used:
            used.add(j)
            errors.append(d - true[j])
    tp = len(used)
    if tp == 0:
        return 0.0, np.zeros(0)
    p, r = tp / len(detected), tp / len(true)
    return 2 * p * r / (p + r), np.array(errors)
