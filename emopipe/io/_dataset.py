"""The contract of a dataset class: the facts generic code asks a dataset for.

A dataset class (``@DATASETS.register("deap") class DEAP(Dataset)``) reads
subjects and declares, as class attributes, what the extract stage and the
channel pickers need to know about it: the default sampling rate, the file
sources a user may pick, the label names, their scale and default
binarisation, and how external electrodes are wired. Generic code reads these
facts from the class named by ``ExtractConfig.dataset`` and states none of
them itself, so a dataset whose labels are already classes (SEED: -1/0/1) or
on another scale (DREAMER: 1-5) needs no change outside its own module.
"""

from pathlib import Path

import numpy as np

from ..utils._checks import _check_type
from ..utils._errors import ConfigError


class Dataset:
    """Base class of the registered datasets.

    Class attributes (override them in the dataset class):

    - ``name`` : str, the registry key.
    - ``sfreq`` : float | None, the rate in Hz the dataset's signals are
      read at by default (``ExtractConfig(sfreq=None)`` means this rate).
    - ``sources`` : tuple of str, values of ``source`` the reader accepts
      (``"auto"`` first when it picks one itself).
    - ``label_names`` : tuple of str, the ratings or classes of each trial.
    - ``label_scale`` : tuple of (float, float) | None, lowest and highest
      rating; ``None`` when the labels are classes already.
    - ``default_threshold`` : float | None, the default binarisation: a
      rating above it is class 1, the rest class 0; ``None`` when the labels
      are classes already (never thresholded).
    - ``default_modalities`` : tuple of str, what ``extract`` computes when
      the config names no modalities (``ExtractConfig(modalities=None)``).
    - ``default_window`` : float, the window length in s ``extract`` uses
      when the config names none (``ExtractConfig(window=None)``); a dataset
      whose official features come in fixed windows declares theirs
      (SEED-IV, SEED-V: 4).
    - ``protocols`` : tuple of str, protocols that need what only some
      datasets have (``cross_session``: several sessions); a protocol
      written for one dataset's official split says so itself (its
      ``dataset`` attribute in :mod:`emopipe.distill.protocols`).
    - ``source_windows`` : dict of str -> float (optional), sources whose
      features come precomputed, with their fixed window; ``ExtractConfig``
      refuses any other window for them.
    - ``config_fields`` : tuple of str, the ``ExtractConfig`` fields only
      this dataset reads (BIDS: ``bids_label_columns``, ...); the extract
      driver passes them to :meth:`read_subject` as keyword arguments,
      :meth:`resolve_config` checks them, and a config of another dataset
      that sets one is refused.
    - ``montage`` : str | None, the MNE standard montage placing the EEG
      channels (``"standard_1020"``) for scalp maps; ``None``: no positions.
    """

    name = None
    title = None  # the dataset's name in messages ("SEED-IV"); ``name`` when None
    sfreq = None
    sources = ("auto",)
    label_names = ()
    label_scale = None
    default_threshold = None
    default_modalities = ("eeg",)
    protocols = ()
    default_window = 1.0
    montage = None
    config_fields = ()

    @classmethod
    def resolve_config(cls, config):
        """Check this dataset's ``config_fields`` of an extract config; their resolved values.

        Parameters
        ----------
        config : ExtractConfig
            The config being built (its generic fields already checked).

        Returns
        -------
        values : dict of str -> object
            Fields to store resolved (``ExtractConfig`` sets them; the cache
            key holds them). Empty for datasets without fields of their own.
        """
        return {}

    @classmethod
    def _root_problem(cls, root):
        """Why ``root`` cannot be a download of this dataset, or ``None`` if it is a folder."""
        _check_type("root", root, ("path-like",))
        if Path(root).is_dir():
            return None
        return f"{cls.title or cls.name} root {str(root)!r} does not exist or is not a folder"

    @classmethod
    def _root(cls, root):
        """``root`` as a Path; FileNotFoundError unless it is a folder."""
        problem = cls._root_problem(root)
        if problem is not None:
            raise FileNotFoundError(problem + ".")
        return Path(root)

    @classmethod
    def describe(cls):
        """The facts ``emopipe datasets`` lists, from the class and its manifest.

        Returns
        -------
        facts : dict
            ``name``, ``modalities`` (the default ones), ``sources``,
            ``labels`` (names with their scale and binarisation, or their
            classes), ``subjects`` (count), ``sessions`` (count), ``window``
            (s) and ``protocols`` (those it declares).
        """
        from ._manifest import load_manifest

        manifest = load_manifest(cls.name)
        names = ", ".join(cls.label_names)
        if cls.default_threshold is None:
            classes = manifest.get("classes", ())
            labels = f"{names}: {len(classes)} classes" if classes else f"{names}: classes"
        else:
            lo, hi = cls.label_scale
            labels = (f"{names}: ratings {lo:g}-{hi:g}, class 1 above "
                      f"{cls.default_threshold:g}")
        return {"name": cls.name, "modalities": tuple(cls.default_modalities),
                "sources": tuple(cls.sources), "labels": labels,
                "subjects": int(manifest.get("n_subjects", 0)),
                "sessions": len(manifest.get("sessions", ())) or 1,
                "window": float(cls.default_window), "protocols": tuple(cls.protocols)}

    @classmethod
    def label_classes(cls, ratings, threshold=None):
        """Classes of the ratings of one label.

        Parameters
        ----------
        ratings : ndarray, shape (n_trials,)
            Ratings (or classes) as the reader returns them.
        threshold : float | None
            A rating above it is class 1, the rest class 0. ``None`` means
            :attr:`default_threshold`; when that is ``None`` too, the labels
            are classes already and are returned as integers.

        Returns
        -------
        classes : ndarray of int64, shape (n_trials,)
            The class of each trial.
        """
        _check_type("threshold", threshold, ("numeric", None))
        if threshold is None:
            threshold = cls.default_threshold
        arr = np.asarray(ratings, dtype=np.float64)
        if threshold is None:
            if not np.array_equal(arr, np.round(arr)):
                raise ConfigError(
                    f"{cls.name} labels are classes (no default threshold), but got "
                    f"non-integer values such as {float(arr[arr != np.round(arr)][0])!r}. "
                    f"Pass label_threshold to binarise ratings."
                )
            return arr.astype(np.int64)
        return (arr > threshold).astype(np.int64)

    @classmethod
    def exg_layout(cls):
        """Type and role of the external (BioSemi ``EXG``) electrodes, if the dataset fixes them.

        Returns
        -------
        layout : dict of str -> tuple of (str, str | None) | None
            Lower-case label (``"exg1"``) -> ``(channel type, EOG role)``,
            the role among ``"v"``, ``"v+"``, ``"v-"``, ``"h"``, ``"h+"``,
            ``"h-"`` (see :func:`emopipe.io.eog_role`) or ``None``. ``None``
            when the dataset has no fixed layout.
        """
        return None


def _session_trials(sessions, n_trials):
    """Trial ids and sessions of a subject whose every session shows the same ``n_trials`` clips.

    Clip ``k`` of session ``s`` gets the id ``n_trials * (s - 1) + k``, unique
    within the subject, so a trial-level split never mixes two sessions' clip ``k``.

    Parameters
    ----------
    sessions : sequence of int
        Session numbers (1, 2, ...), in the order the trials are read.
    n_trials : int
        Clips per session.

    Returns
    -------
    trial_ids : ndarray of int64, shape (n_sessions * n_trials,)
        Session by session, clip 1 first.
    trial_sessions : ndarray of int64, shape (n_sessions * n_trials,)
        The session of each trial.
    """
    sessions = np.asarray(sessions, dtype=np.int64).reshape(-1)
    trial_ids = n_trials * (sessions[:, None] - 1) + np.arange(1, n_trials + 1)
    return trial_ids.reshape(-1).astype(np.int64), np.repeat(sessions, n_trials)
