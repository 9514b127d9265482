"""What the synthetic writers do alike: the closing ``ground_truth.json``, its strengths."""

import json
from pathlib import Path

import numpy as np

from ._cohort import strength

__all__ = ["latent_classes", "session_eeg_strengths", "write_ground_truth"]

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


def latent_classes(truth, subject, trial, name="arousal", threshold=5.0):
    """The planted latent class (latent > ``threshold``) of every window.

    For ground truths that list each subject's trials (``truth["subjects"][s]
    ["trials"][t - 1]["latent"]``, the DEAP writer's): what a distilled
    student can be scored against besides the noisy written labels.

    Parameters
    ----------
    truth : dict
        A ``ground_truth.json``.
    subject : array of str, shape (n_windows,)
        Subject of every window.
    trial : array of int, shape (n_windows,)
        Trial number (1-based) of every window.
    name : str
        The latent dimension (``"valence"``, ``"arousal"``, ...).
    threshold : float
        Class boundary on the latent's scale (DEAP's midpoint, 5).

    Returns
    -------
    classes : ndarray of int, shape (n_windows,)
        1 where the window's trial latent exceeds ``threshold``, else 0.
    """
    if len(subject) != len(trial):
        raise ValueError(f"subject and trial must have one entry per window, got "
                         f"{len(subject)} subjects and {len(trial)} trials")
    subjects = truth["subjects"]
    return np.array([subjects[str(s)]["trials"][int(t) - 1]["latent"][name] > threshold
                     for s, t in zip(subject, trial)], dtype=int)
