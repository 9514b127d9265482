"""Model inputs from the feature cache: modality specs, cohort arrays, fold scaling.

A *modality spec* names what a teacher or student sees:

- ``"eeg:de"``: feature ``de`` of modality ``eeg``;
- ``"eeg"``: the modality's default feature, as its extractor declares it
  (:func:`emopipe.cache.default_feature`: EEG ``de``, face ``frames``, every
  other modality all its features); when the modality has no default in the
  cache but a single feature, that one;
- ``"eog:features"``: every non-raw feature of the modality, flattened and
  concatenated in name order (:data:`ALL_FEATURES`);
- ``"eeg+eog"`` or ``"eeg:de+eog:raw"``: several inputs (a multimodal teacher),
  given to the model in that order;
- ``"eeg:band_power@13"``: each window as the *sequence* of the 13 windows of
  its trial ending at it (:func:`step_sequences`), for models whose input has
  a ``"step"`` axis (V2E's TCN student, ``tcn_window_regressor``): shape
  ``(n_windows, 13, n_channels, n_bands)``, dims ``("window", "step",
  "channel", "band")``, key ``"eeg:band_power@13"``.

All windows of the cohort are concatenated in sorted-subject order into one
:class:`CohortData`; folds index its rows. Small feature models train from
these in-memory arrays (no per-sample ``DataLoader``).
"""

import logging
from dataclasses import dataclass, field

import numpy as np

from ..cache import cached_modalities, default_feature
from ..utils._checks import _check_option
from ..utils._errors import ConfigError, RunError, UnknownNameError

logger = logging.getLogger("emopipe.distill.data")

NORMALISE = ("pooled", "per_subject", "none")
#: whose statistics standardise the test windows: the fold's training windows
#: (default), or the test windows themselves (transductive; the public CMCRD code)
TEST_NORMALISE = ("train", "test")

#: cached feature attributes a cohort carries through to the models and the run
#: folder (:attr:`CohortData.meta`): what a figure needs to name its axes
META_ATTRS = ("unit", "ch_names", "band_names", "band_edges", "feature_names", "sfreq")

#: pseudo-feature name: all non-raw features of a modality, flattened and
#: concatenated in name order (e.g. ``"eog:features"`` = blink and saccade
#: statistics, band power and DE), unless the cache holds a feature of that name
ALL_FEATURES = "features"


def _default_name(modality):
    """Feature name a spec naming ``modality`` alone means (``ALL_FEATURES`` if none)."""
    return default_feature(modality) or ALL_FEATURES


@dataclass(frozen=True)
class InputSpec:
    """One model input: ``modality``, ``feature`` (``None`` = default), ``steps`` (``@n``)."""

    modality: str
    feature: str | None = None
    steps: int | None = None

    @property
    def key(self):
        key = f"{self.modality}:{self.feature}" if self.feature else self.modality
        return key if self.steps is None else f"{key}@{self.steps}"


def _split_steps(part, spec):
    """``"eeg:band_power@13"`` -> ``("eeg:band_power", 13)``; no ``@`` -> ``(part, None)``."""
    base, at, n = part.partition("@")
    if not at:
        return part, None
    if not n.isdigit() or int(n) < 1:
        raise ConfigError(
            f"Invalid modality spec part {part!r} in {spec!r}: '@' must be followed by the "
            f"number of steps (an int >= 1), e.g. 'eeg:band_power@13'."
        )
    return base, int(n)


def parse_spec(spec):
    """Split a modality spec into its inputs.

    Parameters
    ----------
    spec : str
        E.g. ``"eeg"``, ``"eeg:de"``, ``"eeg+eog:raw"``, ``"eeg:band_power@13"``.

    Returns
    -------
    inputs : list of InputSpec
        One per ``+``-separated part, in order.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(
            f"A modality spec must be a non-empty string like 'eeg', 'eeg:de' or 'eeg+eog', "
            f"got {spec!r}."
        )
    out = []
    for part in spec.split("+"):
        part, steps = _split_steps(part.strip(), spec)
        mod, _, feat = part.partition(":")
        if not mod or (":" in part and not feat) or ":" in feat:
            raise ConfigError(
                f"Invalid modality spec part {part!r} in {spec!r}: expected 'modality' or "
                f"'modality:feature', e.g. 'eeg:de'."
            )
        out.append(InputSpec(mod, feat or None, steps))
    return out


@dataclass
class CohortData:
    """Every window of a cohort, subjects concatenated in sorted order.

    Parameters
    ----------
    features : dict of str -> ndarray, shape (n_windows, ...)
        Arrays keyed ``"modality:feature"``.
    subject : ndarray of str, shape (n_windows,)
        Subject id of each window.
    trial : ndarray of int, shape (n_windows,)
        Dataset trial id of each window.
    labels : dict of str -> ndarray, shape (n_windows,)
        Ratings (``"valence"``) and classes (``"valence_class"``).
    session : ndarray of int, shape (n_windows,)
        Session (0 without sessions).
    window : ndarray of int, shape (n_windows,)
        Position in the subject's window index (cache row).
    onset, duration : ndarray of float, shape (n_windows,)
        Window timing in s after stimulus onset.
    dims : dict of str -> tuple of str
        Axis names of each feature.
    sources : list of str
        Cache files read (empty for in-memory data).
    sfreq : dict of str -> float
        Sampling frequency in Hz of each feature whose cache attributes give
        one (raw windows, face frames).
    meta : dict of str -> dict
        Metadata of each feature, from its cache attributes
        (:data:`META_ATTRS`: ``unit``, ``ch_names``, ``band_names``,
        ``band_edges``, ``feature_names``, ``sfreq``, those present), as
        JSON values (lists, floats, strings).
    """

    features: dict
    subject: np.ndarray
    trial: np.ndarray
    labels: dict
    session: np.ndarray
    window: np.ndarray
    onset: np.ndarray
    duration: np.ndarray
    dims: dict = field(default_factory=dict)
    sources: list = field(default_factory=list)
    sfreq: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @property
    def n_windows(self):
        """Number of windows of the cohort (all subjects)."""
        return int(self.subject.shape[0])

    @classmethod
    def from_arrays(cls, features, *, subject, trial, labels, session=None, window=None,
                    onset=None, duration=None, dims=None, sfreq=None, meta=None):
        """Build a cohort from in-memory arrays (tests, benchmarks, notebooks).

        Parameters
        ----------
        features : dict of str -> ndarray, shape (n_windows, ...)
            Keys ``"modality:feature"`` (a bare ``"modality"`` gets the
            default feature name appended); stored as float32, as
            :func:`load_cohort` stores the cache's features, so a cohort built
            here trains exactly as the same arrays read from a cache.
        subject : array-like, shape (n_windows,)
            Subject ids.
        trial : array-like of int, shape (n_windows,)
            Trial ids.
        labels : dict of str -> array-like, shape (n_windows,)
            Ratings and ``<name>_class`` classes.
        session, window : array-like of int, shape (n_windows,) | None
            Defaults: 0; running index within each subject.
        onset, duration : array-like of float, shape (n_windows,) | None
            Defaults: running window number within the trial; 1 s.
        dims : dict of str -> tuple | None
            Axis names; default ``("window", "feature", ...)``.
        sfreq : dict of str -> float | None
            Sampling frequency in Hz of the features that have one.
        meta : dict of str -> dict | None
            Metadata of the features, as a cache's attributes give it
            (:data:`META_ATTRS`; other keys are dropped).

        Returns
        -------
        cohort : CohortData
            The arrays, checked for matching window counts.
        """
        subject = np.asarray(subject).astype(str)
        n = subject.shape[0]
        trial = np.asarray(trial).astype(np.int64)
        feats, fdims, fsfreq, fmeta = {}, {}, {}, {}
        for key, arr in features.items():
            arr = np.asarray(arr)
            spec = parse_spec(key)
            if len(spec) != 1:
                raise ConfigError(f"features keys name one input each, got {key!r}.")
            s = spec[0]
            if s.steps is not None:
                raise ConfigError(
                    f"features key {key!r}: give the feature of one window (e.g. "
                    f"{key.partition('@')[0]!r}); a spec '{key}' builds its step sequences."
                )
            full = f"{s.modality}:{s.feature or _default_name(s.modality)}"
            if arr.shape[0] != n:
                raise ConfigError(
                    f"features[{key!r}] has {arr.shape[0]} windows but subject has {n}: every "
                    f"modality must share the window index (mismatched window counts)."
                )
            feats[full] = arr.astype(np.float32, copy=False)  # as load_cohort: one dtype
            given = (dims or {}).get(key)
            fdims[full] = tuple(given) if given else ("window",) + ("feature",) * (arr.ndim - 1)
            if (sfreq or {}).get(key) is not None:
                fsfreq[full] = float(sfreq[key])
            fmeta[full] = feature_meta({**(meta or {}).get(key, {}),
                                        **({"sfreq": fsfreq[full]} if full in fsfreq else {})})
        if session is None:
            session = np.zeros(n, np.int64)
        if window is None:
            window = _running_index(np.unique(subject, return_inverse=True)[1].ravel())
        if onset is None:
            pairs = np.rec.fromarrays([subject, trial], names="s,t")
            onset = _running_index(np.unique(pairs, return_inverse=True)[1].ravel()).astype(float)
        if duration is None:
            duration = np.ones(n)
        labels = {k: np.asarray(v) for k, v in labels.items()}
        for name, arr in [("trial", trial), ("session", session), ("window", window),
                          ("onset", onset), ("duration", duration)] + list(labels.items()):
            if np.shape(arr) != (n,):
                raise ConfigError(
                    f"{name} must have shape (n_windows,) = ({n},), got {np.shape(arr)}."
                )
        return cls(feats, subject, trial, labels, np.asarray(session).astype(np.int64),
                   np.asarray(window).astype(np.int64), np.asarray(onset, float),
                   np.asarray(duration, float), fdims, [], fsfreq, fmeta)

    def resolve(self, spec):
        """Feature keys of a modality spec.

        Parameters
        ----------
        spec : str
            E.g. ``"eeg"``, ``"eeg:de+eog"``.

        Returns
        -------
        keys : list of str
            ``"modality:feature"`` keys of :attr:`features`, in spec order.
        """
        keys = []
        for s in parse_spec(spec):
            if s.feature is not None:
                key = f"{s.modality}:{s.feature}"
            else:
                cands = [k for k in self.features if k.split(":")[0] == s.modality]
                default = f"{s.modality}:{_default_name(s.modality)}"
                key = default if default in cands else (cands[0] if len(cands) == 1 else default)
            if key not in self.features:
                raise UnknownNameError(
                    f"Input {key!r} (from spec {spec!r}) is not loaded. Available inputs: "
                    f"{', '.join(repr(k) for k in sorted(self.features)) or 'none'}."
                )
            if s.steps is not None:
                key = self._add_steps(key, s.steps)
            keys.append(key)
        return keys

    def _add_steps(self, key, n_steps):
        """Add ``key@n_steps`` (:func:`step_sequences` of ``key``) once; return its key."""
        seq_key = f"{key}@{n_steps}"
        if seq_key in self.features:
            return seq_key
        if self.is_raw(key) or "step" in self.dims.get(key, ()):
            raise ConfigError(
                f"Spec '{seq_key}': step sequences are built from feature vectors of one "
                f"window, but {key} has dims {self.dims.get(key)}. Use a feature without a "
                f"'time' or 'step' axis, e.g. 'eeg:band_power@{n_steps}'."
            )
        self.features[seq_key] = step_sequences(self.features[key], self.subject, self.trial,
                                                self.onset, n_steps=n_steps)
        dims = self.dims.get(key) or ("window",) + ("feature",) * (self.features[key].ndim - 1)
        self.dims[seq_key] = (dims[0], "step") + tuple(dims[1:])
        if key in self.sfreq:
            self.sfreq[seq_key] = self.sfreq[key]
        self.meta[seq_key] = dict(self.meta.get(key, {}))
        logger.info("%s: %d windows as sequences of %d steps, %s per window", seq_key,
                    self.n_windows, n_steps, self.features[seq_key].shape[1:])
        return seq_key

    def is_raw(self, key):
        """Whether a feature holds raw signal windows.

        Parameters
        ----------
        key : str
            ``"modality:feature"`` key of :attr:`features`.

        Returns
        -------
        raw : bool
            True when the feature has a ``"time"`` axis.
        """
        return "time" in self.dims.get(key, ())

    def target(self, name, *, kind="class"):
        """Target of every window.

        Parameters
        ----------
        name : str
            Label name, e.g. ``"valence"``.
        kind : ``"class"`` | ``"continuous"``
            ``"class"`` reads ``<name>_class`` and maps its values to
            ``0 .. n_classes - 1`` (sorted); ``"continuous"`` reads ``name``.

        Returns
        -------
        y : ndarray, shape (n_windows,)
            int64 classes or float64 ratings.
        classes : ndarray | None
            Original class values (``None`` for continuous targets).
        """
        _check_option("kind", kind, ("class", "continuous"))
        key = f"{name}_class" if kind == "class" else name
        if key not in self.labels:
            raise UnknownNameError(
                f"Target {name!r} needs label {key!r}, which is not in the data. Available "
                f"labels: {', '.join(repr(k) for k in sorted(self.labels)) or 'none'}."
            )
        y = self.labels[key]
        if kind == "continuous":
            return y.astype(np.float64), None
        classes, y = np.unique(y, return_inverse=True)
        return y.astype(np.int64).ravel(), classes


def step_sequences(X, subject, trial, onset, *, n_steps):
    """Each window as the sequence of the ``n_steps`` windows of its trial ending at it.

    Step ``n_steps - 1`` of window ``i`` is window ``i`` itself, step ``j`` the
    window ``n_steps - 1 - j`` places before it in its trial (windows ordered
    by onset); before the trial's first window the sequence repeats that
    window. With V2E's 0.25-s hop and 13 steps a window carries the 3.25 s of
    band power its causal TCN sees (receptive field 13 steps), so a
    window-level model's last step is the per-step output of V2E's sequence
    model, while folds, targets and scores stay per window.

    Parameters
    ----------
    X : ndarray, shape (n_windows, ...)
        One feature of every window.
    subject : ndarray of str, shape (n_windows,)
        Subject of each window.
    trial : ndarray of int, shape (n_windows,)
        Trial of each window (unique within a subject).
    onset : ndarray of float, shape (n_windows,)
        Window onset in s (orders the windows of a trial).
    n_steps : int
        Steps per sequence.

    Returns
    -------
    seq : ndarray, shape (n_windows, n_steps, ...)
        ``X``'s dtype; ``n_steps`` times the memory of ``X``.
    """
    X = np.asarray(X)
    n = X.shape[0]
    pairs = np.rec.fromarrays([np.asarray(subject).astype(str),
                               np.asarray(trial).astype(np.int64)], names="s,t")
    group = np.unique(pairs, return_inverse=True)[1].ravel()
    order = np.lexsort((np.asarray(onset, float), group))  # by trial, then onset
    pos = _running_index(group[order])  # position within the trial, in sorted order
    back = np.arange(n_steps - 1, -1, -1)  # steps before the window, last step = 0
    src = np.arange(n)[:, None] - np.minimum(back[None, :], pos[:, None])
    rows = np.empty((n, n_steps), np.int64)
    rows[order] = order[src]
    return X[rows]


def _json_value(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value


def feature_meta(attrs):
    """The metadata a cohort keeps of a feature's attributes, as JSON values.

    Parameters
    ----------
    attrs : dict
        A cached feature's attributes (:attr:`emopipe.features._base.Feature.attrs`).

    Returns
    -------
    meta : dict
        The :data:`META_ATTRS` present in ``attrs``; arrays as (nested)
        lists, ``sfreq`` as float.
    """
    out = {k: _json_value(attrs[k]) for k in META_ATTRS if attrs.get(k) is not None}
    if "sfreq" in out:
        out["sfreq"] = float(out["sfreq"])
    return out


def _running_index(group):
    """Position of each element among the elements of its group, in order."""
    order = np.argsort(group, kind="stable")
    sorted_g = group[order]
    starts = np.searchsorted(sorted_g, sorted_g, side="left")
    out = np.empty(len(group), np.int64)
    out[order] = np.arange(len(group)) - starts
    return out


def _resolve_in_subject(cs, part, spec):
    mods = cs.modalities
    if part.modality not in mods:
        why = f" ({cs.missing[part.modality]})" if part.modality in cs.missing else ""
        held = cached_modalities(cs.path) if cs.path is not None else sorted(mods)
        raise UnknownNameError(
            f"{cs.path}: modality {part.modality!r} (from spec {spec!r}) is not in the cache"
            f"{why}. Available modalities: {', '.join(repr(m) for m in held) or 'none'}."
        )
    feats = mods[part.modality]
    if part.feature is not None:
        name = part.feature
    else:
        name = _default_name(part.modality)
        vectors = [k for k, f in feats.items() if "time" not in f.dims]
        if name == ALL_FEATURES and not vectors and len(feats) == 1:
            name = next(iter(feats))  # raw windows only: the modality alone means them
        if name not in feats and name != ALL_FEATURES:
            if len(feats) == 1:
                name = next(iter(feats))
            else:
                raise UnknownNameError(
                    f"{cs.path}: spec {spec!r} names modality {part.modality!r} alone, but its "
                    f"default feature {name!r} is not in the cache. Name one of "
                    f"{', '.join(repr(f'{part.modality}:{k}') for k in sorted(feats))}."
                )
    if name == ALL_FEATURES and name not in feats:
        return f"{part.modality}:{name}", _concat_features(cs, part.modality, feats, spec)
    if name not in feats:
        raise UnknownNameError(
            f"{cs.path}: feature {part.modality}/{name} (from spec {spec!r}) is not in the cache. "
            f"Available {part.modality} features: {', '.join(repr(k) for k in sorted(feats))}."
        )
    return f"{part.modality}:{name}", feats[name]


def _concat_features(cs, modality, feats, spec):
    """Every non-raw feature of a modality, flattened and concatenated in name order."""
    from ..features._base import Feature

    names = sorted(k for k, f in feats.items() if "time" not in f.dims)
    if not names:
        raise UnknownNameError(
            f"{cs.path}: spec {spec!r} asks for the {modality} feature vector, but {modality} "
            f"holds only raw windows ({', '.join(repr(k) for k in sorted(feats))}). Use "
            f"'{modality}:raw'."
        )
    n = cs.n_windows
    data = np.concatenate([np.asarray(feats[k].data, np.float32).reshape(n, -1) for k in names],
                          axis=1)
    return Feature(data, ("window", "feature"),
                   {"feature_names": [c for k in names for c in _column_names(k, feats[k])]})


def _column_names(name, feat):
    """Names of a feature's flattened columns: ``name`` alone, ``name_<ch>_<band>``, ``name<i>``."""
    shape = np.shape(feat.data)[1:]
    size = int(np.prod(shape))
    if size == 1:
        return [name]
    meta = feat.attrs or {}
    ch, bands = meta.get("ch_names"), meta.get("band_names")
    if len(shape) == 2 and ch is not None and bands is not None and \
            (len(ch), len(bands)) == tuple(shape):
        return [f"{name}_{c}_{b}" for c in ch for b in bands]
    return [f"{name}{i}" for i in range(size)]


def cohort_from_subjects(subjects, specs):
    """Concatenate cached subjects into a :class:`CohortData` holding ``specs``.

    Parameters
    ----------
    subjects : list of CachedSubject
        From :func:`emopipe.cache.read_cohort`.
    specs : list of str
        Modality specs to load (teacher and student).

    Returns
    -------
    cohort : CohortData
        Subjects in sorted order.
    """
    if not subjects:
        raise RunError("No subjects to load: the cache is empty.")
    subjects = sorted(subjects, key=lambda s: s.subject)
    parts = [(spec, p) for spec in specs for p in parse_spec(spec)]
    per_key = {}
    dims = {}
    sfreq = {}
    meta = {}
    cols = {k: [] for k in ("subject", "trial", "session", "window", "onset", "duration")}
    label_names = None
    labels = {}
    for cs in subjects:
        n = cs.n_windows
        for spec, part in parts:
            key, feat = _resolve_in_subject(cs, part, spec)
            if feat.data.shape[0] != n:
                raise RunError(
                    f"{cs.path}: {key} has {feat.data.shape[0]} windows but the subject's window "
                    f"index has {n} (mismatched window counts between modalities). Re-extract "
                    f"the cache."
                )
            if key in dims and dims[key] != tuple(feat.dims):
                raise RunError(
                    f"{cs.path}: {key} has dims {tuple(feat.dims)}, other subjects have {dims[key]}."
                )
            dims[key] = tuple(feat.dims)
            if feat.attrs.get("sfreq") is not None:
                sfreq[key] = float(feat.attrs["sfreq"])
            meta.setdefault(key, feature_meta(feat.attrs))  # the first subject's
            if key not in per_key or per_key[key][-1][0] != cs.subject:
                per_key.setdefault(key, []).append((cs.subject, feat.data))
        cols["subject"].append(np.full(n, cs.subject))
        cols["trial"].append(np.asarray(cs.windows["trial"]).astype(np.int64))
        cols["session"].append(np.asarray(cs.windows.get("session", np.zeros(n))).astype(np.int64))
        cols["window"].append(np.arange(n, dtype=np.int64))
        cols["onset"].append(np.asarray(cs.windows["onset"], float))
        cols["duration"].append(np.asarray(cs.windows["duration"], float))
        names = set(cs.labels)
        label_names = names if label_names is None else label_names & names
        for k, v in cs.labels.items():
            labels.setdefault(k, []).append(np.asarray(v))
    shapes = {}
    feats = {}
    for key, items in per_key.items():
        for sub, arr in items:
            if key in shapes and arr.shape[1:] != shapes[key]:
                raise RunError(
                    f"{key} has shape {arr.shape[1:]} per window for subject {sub!r} but "
                    f"{shapes[key]} for others; all subjects need the same feature layout."
                )
            shapes[key] = arr.shape[1:]
        feats[key] = np.concatenate([a for _, a in items]).astype(np.float32, copy=False)
    labels = {k: np.concatenate(v) for k, v in labels.items()
              if k in label_names and len(v) == len(subjects)}
    logger.info("Loaded %d subjects, %d windows, inputs %s", len(subjects),
                sum(len(c) for c in cols["subject"]),
                ", ".join(f"{k} {shapes[k]}" for k in feats))
    cohort = CohortData(feats, *(np.concatenate(cols[k]) for k in ("subject", "trial")),
                        labels, *(np.concatenate(cols[k]) for k in
                                  ("session", "window", "onset", "duration")),
                        dims=dims, sources=[str(cs.path) for cs in subjects], sfreq=sfreq,
                        meta=meta)
    cohort.subject = cohort.subject.astype(str)
    for spec in specs:  # step sequences ('eeg:band_power@13') from the loaded features
        if any(p.steps is not None for p in parse_spec(spec)):
            cohort.resolve(spec)
    return cohort


def load_cohort(cache_dir, specs):
    """Read the cache folder and assemble the inputs named by ``specs``.

    Parameters
    ----------
    cache_dir : path-like
        Folder of ``<subject>.h5`` files.
    specs : list of str
        Modality specs, e.g. ``["eeg+eog", "eog"]``.

    Returns
    -------
    cohort : CohortData
        Every window of every subject.
    """
    from ..cache import read_cohort

    modalities = sorted({p.modality for s in specs for p in parse_spec(s)})
    subjects = read_cohort(cache_dir, modalities=modalities)
    return cohort_from_subjects(subjects, specs)


class FoldScaler:
    """Z-score fitted on training windows only (per entry of the feature axes).

    Parameters
    ----------
    scope : ``"pooled"`` | ``"per_subject"`` | ``"none"``
        ``"pooled"``: one mean/std per entry over all fitted windows.
        ``"per_subject"``: one per subject, from that subject's fitted
        windows; a subject absent from the fit (a LOSO test subject) gets
        the pooled statistics.
    time_axis : bool
        Also pool over the last axis (raw windows: one statistic per channel).

    Attributes
    ----------
    mean_, std_ : ndarray
        Pooled statistics, shape of one window (time axis of length 1).
    subject_stats_ : dict of str -> (ndarray, ndarray)
        Per-subject statistics (``per_subject`` only).
    """

    def __init__(self, scope="pooled", *, time_axis=False):
        _check_option("scope", scope, NORMALISE)
        self.scope = scope
        self.time_axis = time_axis

    def _stats(self, X):
        axes = (0, X.ndim - 1) if (self.time_axis and X.ndim > 2) else (0,)
        mean = X.mean(axis=axes, keepdims=True, dtype=np.float64)[0]
        std = X.std(axis=axes, keepdims=True, dtype=np.float64)[0]
        std = np.where(std > 1e-12 * np.maximum(np.abs(mean), 1), std, 1.0)
        return mean.astype(np.float32), std.astype(np.float32)

    def fit(self, X, subject=None):
        """Fit the statistics.

        Parameters
        ----------
        X : ndarray, shape (n_windows, ...)
            Windows to fit on: the training windows, or every window in a
            declared transductive run.
        subject : ndarray of str, shape (n_windows,) | None
            Subject of each row (needed for ``per_subject``).

        Returns
        -------
        self : FoldScaler
            Fitted.
        """
        X = np.asarray(X)
        if X.shape[0] == 0:
            raise ConfigError("FoldScaler.fit got no windows; the training set is empty.")
        self.mean_, self.std_ = self._stats(X)
        self.subject_stats_ = {}
        if self.scope == "per_subject":
            if subject is None:
                raise ConfigError("scope='per_subject' needs the subject of each window.")
            subject = np.asarray(subject).astype(str)
            for s in np.unique(subject):
                self.subject_stats_[s] = self._stats(X[subject == s])
        return self

    def transform(self, X, subject=None):
        """Standardise ``X`` with the fitted statistics.

        Parameters
        ----------
        X : ndarray, shape (n_windows, ...)
            Windows.
        subject : ndarray of str, shape (n_windows,) | None
            Subject of each row (``per_subject``).

        Returns
        -------
        Xt : ndarray of float32, shape (n_windows, ...)
            Standardised copy.
        """
        X = np.asarray(X, dtype=np.float32)
        if self.scope == "none":
            return X.copy()
        if not hasattr(self, "mean_"):
            raise RuntimeError("FoldScaler is not fitted; call fit(X_train) first.")
        out = (X - self.mean_) / self.std_
        if self.scope == "per_subject":
            if subject is None:
                raise ConfigError("scope='per_subject' needs the subject of each window.")
            subject = np.asarray(subject).astype(str)
            for s, (m, sd) in self.subject_stats_.items():
                sel = subject == s
                if sel.any():
                    out[sel] = (X[sel] - m) / sd
        return out.astype(np.float32, copy=False)

    def get_state(self):
        """The fitted statistics as arrays, for an ``.npz`` file.

        Returns
        -------
        state : dict of str -> ndarray
            ``mean`` and ``std`` (pooled, shape of one window), and for
            ``per_subject`` ``subjects`` (shape (n_subjects,)),
            ``subject_mean`` and ``subject_std`` (shape (n_subjects, ...));
            empty for ``scope="none"``.
        """
        if self.scope == "none" or not hasattr(self, "mean_"):
            return {}
        state = {"mean": self.mean_, "std": self.std_}
        if self.scope == "per_subject":
            subs = sorted(self.subject_stats_)
            state["subjects"] = np.asarray(subs, dtype="U")
            state["subject_mean"] = np.stack([self.subject_stats_[s][0] for s in subs])
            state["subject_std"] = np.stack([self.subject_stats_[s][1] for s in subs])
        return state

    @classmethod
    def from_state(cls, scope, state, *, time_axis=False):
        """A scaler holding statistics written by :meth:`get_state`.

        Parameters
        ----------
        scope : ``"pooled"`` | ``"per_subject"`` | ``"none"``
            The scope they were fitted with.
        state : dict of str -> ndarray
            :meth:`get_state`'s arrays.
        time_axis : bool
            As in the constructor.

        Returns
        -------
        scaler : FoldScaler
            Fitted (``scope="none"``: unfitted, as a run uses it).
        """
        self = cls(scope, time_axis=time_axis)
        if scope == "none":
            return self
        self.mean_ = np.asarray(state["mean"], np.float32)
        self.std_ = np.asarray(state["std"], np.float32)
        self.subject_stats_ = {}
        if scope == "per_subject":
            for s, m, sd in zip(state["subjects"], state["subject_mean"],
                                state["subject_std"]):
                self.subject_stats_[str(s)] = (np.asarray(m, np.float32),
                                               np.asarray(sd, np.float32))
        return self


def standardise_test_on_itself(Xt, X, test, *, scope, subject, time_axis=False):
    """Replace the test rows of a standardised input by their own z-scores (transductive).

    The public CMCRD code standardises the test set on its own statistics;
    emopipe does so only when ``DistillConfig.test_normalise`` is
    ``"test"``. The training and validation rows keep the statistics of the
    training windows.

    Parameters
    ----------
    Xt : ndarray of float32, shape (n_windows, ...)
        Every window standardised with the training statistics (changed in
        place).
    X : ndarray, shape (n_windows, ...)
        The same windows before standardisation.
    test : ndarray of int, shape (n_test,)
        Rows of the fold's test windows.
    scope : str
        ``normalise`` scope (``"pooled"``, ``"per_subject"``; ``"none"``
        leaves ``Xt`` as it is).
    subject : ndarray of str, shape (n_windows,)
        Subject of each row.
    time_axis : bool
        As in :class:`FoldScaler`.

    Returns
    -------
    Xt : ndarray of float32, shape (n_windows, ...)
        ``Xt`` with its test rows replaced.
    """
    if scope == "none" or len(test) == 0:
        return Xt
    own = FoldScaler(scope, time_axis=time_axis).fit(X[test], subject=subject[test])
    Xt[test] = own.transform(X[test], subject=subject[test])
    return Xt


def target_rows(y, subject, *, target):
    """Rows whose target is finite: the windows a run trains and scores.

    A continuous target can be missing (NaN) for some windows, e.g. the MAHNOB
    trials that ``lable_continous_Mahnob.mat`` does not annotate. They are
    dropped before the folds are made and the inputs standardised, so they
    enter no split, no statistic and no score.

    Parameters
    ----------
    y : ndarray, shape (n_windows,)
        Target of every window (classes or ratings).
    subject : ndarray of str, shape (n_windows,)
        Subject of every window.
    target : str
        Target name, for messages.

    Returns
    -------
    rows : ndarray of int64, shape (n_kept,)
        Sorted rows with a finite target.
    record : dict
        ``target``, ``n_windows``, ``n_dropped``, ``n_kept``,
        ``dropped_per_subject`` (subject -> dropped windows, subjects with
        drops only) and ``subjects_without_target`` (subjects left with no
        window), as JSON values.
    """
    y = np.asarray(y)
    subject = np.asarray(subject).astype(str)
    keep = np.isfinite(y) if y.dtype.kind == "f" else np.ones(y.shape[0], bool)
    rows = np.flatnonzero(keep).astype(np.int64)
    n = int(y.shape[0])
    if n and not rows.size:
        raise RunError(
            f"Target {target!r} is NaN in all {n} windows of the {len(np.unique(subject))} "
            f"subject(s): no window can be trained or scored. The target is missing where the "
            f"labels do not annotate a trial (MAHNOB-HCI: lable_continous_Mahnob.mat at the "
            f"dataset root covers 239 emotion trials); put the label file in the root and "
            f"re-extract, or choose another target."
        )
    subs, n_sub = np.unique(subject, return_counts=True)
    kept_subs, n_kept_sub = np.unique(subject[rows], return_counts=True)
    kept = dict(zip(kept_subs.tolist(), n_kept_sub.tolist()))
    dropped = {s: int(c) - kept.get(s, 0) for s, c in zip(subs.tolist(), n_sub.tolist())
               if int(c) != kept.get(s, 0)}
    record = {"target": target, "n_windows": n, "n_dropped": n - int(rows.size),
              "n_kept": int(rows.size), "dropped_per_subject": dropped,
              "subjects_without_target": [s for s in subs.tolist() if s not in kept]}
    if record["n_dropped"]:
        logger.warning(
            "Target %r is NaN in %d of %d windows (%s): those windows are dropped before the "
            "folds and the normalisation%s.", target, record["n_dropped"], n,
            ", ".join(f"subject {s}: {c}" for s, c in dropped.items()),
            (f"; subject(s) {', '.join(record['subjects_without_target'])} keep no window, so "
             f"no fold tests them" if record["subjects_without_target"] else ""))
    return rows, record


def folds_on_rows(folds, rows):
    """Map folds made on the rows ``rows`` back to cohort rows; drop those with no test window.

    Parameters
    ----------
    folds : list of Fold
        Folds whose indices point into ``rows`` (made on the kept windows).
    rows : ndarray of int, shape (n_kept,)
        Cohort row of each kept window (:func:`target_rows`).

    Returns
    -------
    folds : list of Fold
        The folds with cohort rows, those with at least one test window.
    skipped : list of dict
        ``fold`` and ``reason`` of each fold left out (reported in
        ``summary.json``).
    """
    from .protocols import Fold

    rows = np.asarray(rows, np.int64)
    out, skipped = [], []
    for f in folds:
        if len(f.test) == 0:
            skipped.append({"fold": f.name, "reason": "no test window with a finite target"})
            logger.warning("%s: no test window with a finite target; the fold is skipped",
                           f.name)
            continue
        out.append(Fold(f.name, rows[f.train], rows[f.val], rows[f.test]))
    return out, skipped


def select_columns(X, y, k, *, kind="class"):
    """The ``k`` columns of ``X`` with the largest univariate score on ``y``.

    The score is the one-way ANOVA F of each column across the classes of
    ``y`` (``kind="class"``) or ``|r|``, the absolute Pearson correlation
    with ``y`` (``kind="continuous"``); a constant or non-finite column
    scores 0. Pass only the rows the selection may see (a fold's training
    windows): nothing else enters.

    Parameters
    ----------
    X : ndarray of float, shape (n_windows, n_columns)
        The candidate columns.
    y : ndarray, shape (n_windows,)
        Class labels or a continuous target.
    k : int
        Columns to keep, ``1 <= k <= n_columns``.
    kind : {"class", "continuous"}
        How ``y`` is read.

    Returns
    -------
    index : ndarray of int, shape (k,)
        The kept columns, best first (ties: the lower index first).
    scores : ndarray of float, shape (n_columns,)
        Every column's score.
    """
    X = np.asarray(X, np.float64)
    y = np.asarray(y)
    n, d = X.shape
    if not 1 <= k <= d:
        raise ConfigError(f"teacher_select_k={k} must lie in [1, {d}] (the teacher inputs have "
                          f"{d} columns). Pick a smaller teacher_select_k.")
    with np.errstate(all="ignore"):
        if kind == "class":
            classes = np.unique(y)
            mean = X.mean(0)
            between = sum((y == c).sum() * (X[y == c].mean(0) - mean) ** 2 for c in classes)
            within = sum(((X[y == c] - X[y == c].mean(0)) ** 2).sum(0) for c in classes)
            score = (between / max(len(classes) - 1, 1)) / (within / max(n - len(classes), 1))
        else:
            xc, yc = X - X.mean(0), y.astype(np.float64) - y.mean()
            score = np.abs(xc.T @ yc) / np.sqrt((xc ** 2).sum(0) * (yc ** 2).sum())
    score = np.where(np.isnan(score), 0.0, score)  # constant columns; inf: perfect split
    index = np.lexsort((np.arange(d), -score))[:k]
    return index.astype(np.int64), score
