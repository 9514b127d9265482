"""What the synthetic writers do alike: the closing ``ground_truth.json``, its strengths."""

import json
from pathlib import Path

import numpy as np

from ._cohort import strength

__all__ = ["session_eeg_strengths", "write_ground_truth"]

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


def session_eeg_strengths(subjects):
    """Measured strengths of the two planted EEG effects of a SEED-family cohort.

    Parameters
    ----------
    subjects : dict
        Subject -> session -> ``{"trials": [trial, ...]}``, each trial a dict
        with ``valence``, ``arousal``, ``alpha_asym_ln_power`` and
        ``beta_gamma_ln_power``.

    Returns
    -------
    strengths : dict of str -> float
        ``alpha_asymmetry_vs_valence`` and ``beta_gamma_vs_arousal``,
        :func:`emopipe.io.synth._cohort.strength` over every trial.
    """
    trials = [t for s in subjects.values() for ses in s.values() for t in ses["trials"]]
    val = np.array([t["valence"] for t in trials])
    aro = np.array([t["arousal"] for t in trials])
    return {
        "alpha_asymmetry_vs_valence": strength(
            np.array([t["alpha_asym_ln_power"] for t in trials]), val),
        "beta_gamma_vs_arousal": strength(
            np.array([t["beta_gamma_ln_power"] for t in trials]), aro),
    }
