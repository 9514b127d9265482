"""Containers returned by every dataset reader.

Readers return typed modalities (EEG, EOG, GSR, ...), never "extra EEG
channels". Signals are in SI units (V, S, ohm, degC) with the unit of the
source file recorded next to them.
"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Modality:
    """One modality of one subject, cut into trials.

    Parameters
    ----------
    data : ndarray, shape (n_trials, n_channels, n_times) | list of ndarray
        The signal, SI units. A list of ``(n_channels, n_times_i)`` arrays
        when trials differ in length. Video uses
        ``dims = ("trial", "time", "height", "width")`` with ``sfreq`` the
        frame rate; its ``data`` may be a list of lazy videos that decode
        frames only when indexed (DEAP face video).
    sfreq : float
        Sampling frequency (or frame rate) in Hz, read from the file.
    ch_names : list of str
        Channel names in ``data`` order (canonical order for the dataset).
    unit : str
        SI unit of ``data``: ``"V"``, ``"S"``, ``"ohm"``, ``"degC"``,
        ``"a.u."``, ``"px"``, ``"deg"``.
    source_unit : str
        Unit in the file read (e.g. ``"uV"``).
    dims : tuple of str
        Axis names of each trial array, ``("trial", "channel", "time")`` by
        default.
    ch_roles : dict of str -> str
        Role of channels whose names do not say it, as the dataset's
        electrode layout declares it: channel name -> EOG role (``"v+"``,
        ``"v-"``, ``"h+"``, ``"h-"``, ``"v"``, ``"h"``; see
        :func:`emopipe.io.eog_role`), e.g. BioSemi ``EXG3`` above the eye in
        DEAP's layout. Empty when names suffice.
    """

    data: object
    sfreq: float
    ch_names: list
    unit: str
    source_unit: str = ""
    dims: tuple = ("trial", "channel", "time")
    ch_roles: dict = field(default_factory=dict)

    @property
    def n_trials(self):
        """Number of trials."""
        return len(self.data)

    def trial(self, i):
        """One trial's samples.

        Parameters
        ----------
        i : int
            Trial position (0-based).

        Returns
        -------
        data : ndarray, shape (n_channels, n_times)
            The trial, in the modality's units.
        """
        return np.asarray(self.data[i])


@dataclass
class PrecomputedFeature:
    """A feature the dataset ships already computed (official features), cut into trials.

    The extract stage passes it through to the cache unchanged
    (:mod:`emopipe.features.precomputed`); the window grid then comes from
    the window counts of these trials.

    Parameters
    ----------
    trials : list of ndarray, shape (n_windows_i, ...)
        One array per trial, windows first, in trial order.
    dims : tuple of str
        Axis names of each array, first ``"window"`` (e.g.
        ``("window", "channel", "band")``).
    attrs : dict
        Cache attributes: ``unit`` always; ``ch_names``, ``band_names``,
        ``feature_names`` as the axes require; ``source`` (file and keys).
    """

    trials: list
    dims: tuple
    attrs: dict = field(default_factory=dict)


@dataclass
class LabelTrace:
    """A continuous annotation of each trial (MAHNOB-HCI's continuous valence), sampled in time.

    The extract stage turns it into a per-window label: the mean of the
    samples inside each window (:func:`emopipe.features.extract.trace_window_means`).

    Parameters
    ----------
    trials : list of ndarray, shape (n_samples_i,)
        One trace per trial, sample ``k`` at ``k / sfreq`` s after stimulus onset.
    sfreq : float
        Annotation rate in Hz (MAHNOB-HCI: 4).
    source : str
        File and variable the traces come from.
    """

    trials: list
    sfreq: float
    source: str = ""


@dataclass
class SubjectRecording:
    """Everything a reader returns for one subject.

    Parameters
    ----------
    dataset : str
        Registry key of the dataset (``"deap"``).
    subject : str
        Subject id as named by the dataset (``"s01"``).
    modalities : dict of str -> Modality
        Keys among ``"eeg"``, ``"eog"``, ``"emg"``, ``"gsr"``, ``"resp"``,
        ``"ppg"``, ``"temp"``, ``"ecg"``, ``"eye"``, ``"face"``.
    labels : dict of str -> ndarray, shape (n_trials,)
        Ratings per trial (DEAP: ``valence``, ``arousal``, ``dominance``,
        ``liking`` on 1-9).
    trial_ids : ndarray, shape (n_trials,)
        Dataset trial ids (DEAP: ``Experiment_id``, video order, 1-based).
    baseline : float
        Seconds of pre-stimulus baseline at the start of every trial array
        (DEAP: 3.0).
    sessions : ndarray, shape (n_trials,) | None
        Session of each trial, ``None`` for single-session datasets.
    sources : list of str
        Files read (absolute paths), for provenance checksums.
    info : dict
        Anything else worth recording (site, channel order found, ...).
    missing : dict of str -> str
        Modalities the dataset defines but this recording lacks, with why.
    precomputed : dict of str -> dict of str -> PrecomputedFeature
        Official features shipped with the dataset, modality -> feature
        name -> per-trial arrays (SEED-IV ``eeg/official_de_LDS``, ``eye``
        features). Empty for datasets that ship signals only.
    precomputed_window : float | None
        Window length in s of every precomputed feature (SEED-IV: 4.0);
        ``None`` when ``precomputed`` is empty.
    label_traces : dict of str -> LabelTrace
        Continuous annotations, label name -> per-trial traces; the cache
        gets their window means as ``labels/<name>`` (no ``_class``).
    """

    dataset: str
    subject: str
    modalities: dict
    labels: dict
    trial_ids: np.ndarray
    baseline: float = 0.0
    sessions: object = None
    sources: list = field(default_factory=list)
    info: dict = field(default_factory=dict)
    missing: dict = field(default_factory=dict)
    precomputed: dict = field(default_factory=dict)
    precomputed_window: float = None
    label_traces: dict = field(default_factory=dict)

    @property
    def n_trials(self):
        """Number of trials."""
        return len(self.trial_ids)
