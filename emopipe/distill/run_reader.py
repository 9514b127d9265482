"""A finished run folder read back: each fold's models, statistics and feature metadata.

:func:`load_run` reads what :func:`~emopipe.distill.train.run_distill` wrote
(:mod:`.run_folder`): per fold, ``models/<fold>.json`` (each model's registry
name and constructor arguments, its inputs with their cached metadata, the
normalisation, the data identity) and ``models/<fold>.npz`` (the fold's test
windows and the statistics fitted on its training windows); the models are
rebuilt from the recorded arguments and their checkpoints loaded with
``torch.load(weights_only=True)`` after the checksum is verified. A fold's
:meth:`RunFold.predict` standardises in-memory features with the fold's own
statistics, so it reproduces the run's stored test predictions.
"""

import json
from pathlib import Path

import numpy as np
import torch

from ..models import build_model
from ..utils._errors import DataFileError, RunError, UnknownNameError
from ..utils.config import read_yaml
from ._build import ModelPlan
from ._fit import _predict
from .data import CohortData, FoldScaler
from .run_folder import _load_state, _safe_name, _verified

#: ``models/<fold>.json`` schema this reader understands
SCHEMA = 1


def _rerun(out):
    return (f"Rerun 'emopipe distill' with this folder's config.yaml into a new --out folder "
            f"(or with resume=False into {out}) to write them.")


class RunFold:
    """One fold of a run folder: its models, test windows, scalers and feature metadata.

    Built by :func:`load_run`; the models are built and their weights loaded
    on first use (:meth:`model`).

    Parameters
    ----------
    out : Path
        The run folder.
    record : dict
        The fold's ``models/<fold>.json``.
    arrays : dict of str -> ndarray
        The fold's ``models/<fold>.npz``.

    Attributes
    ----------
    name : str
        Fold name, e.g. ``"sub-s01"``.
    roles : list of str
        Models the fold holds (``teacher``, ``student``, ``baseline``).
    test_idx : ndarray of int, shape (n_test,)
        Rows of the run's cohort the fold tested on.
    inputs : dict of str -> dict
        Per input key (``"eeg:de"``): ``dims``, ``shape`` (one window) and
        ``meta`` (the cached attributes: ``unit``, ``ch_names``,
        ``band_names``, ``band_edges``, ``feature_names``, ``sfreq``, those
        the cache held).
    scalers : dict of str -> FoldScaler
        The normalisation fitted on the fold's training windows, per input.
    target : dict
        ``name``, ``kind`` (``"class"`` | ``"continuous"``), ``classes`` and
        ``n_outputs``.
    record : dict
        The whole ``models/<fold>.json``.
    """

    def __init__(self, out, record, arrays):
        self.out = Path(out)
        self.record = record
        self.name = record["fold"]
        self.roles = list(record["models"])
        self.test_idx = np.asarray(arrays["test_idx"])
        self.target = record["target"]
        self.inputs = {}
        self.scalers = {}
        scope = record["normalise"]["scope"]
        for item in record["inputs"]:
            key = item["key"]
            self.inputs[key] = {"dims": tuple(item["dims"]), "shape": tuple(item["shape"]),
                                "meta": item["meta"]}
            p = item["stats"] + "_"
            state = {k[len(p):]: v for k, v in arrays.items() if k.startswith(p)}
            self.scalers[key] = FoldScaler.from_state(scope, state,
                                                      time_axis=item["time_axis"])
        self._models = {}

    def __repr__(self):
        return f"<RunFold {self.name!r}: {', '.join(self.roles)}; {len(self.test_idx)} test windows>"

    def _role(self, role):
        if role not in self.record["models"]:
            raise UnknownNameError(
                f"Fold {self.name!r} of {self.out} has no {role!r} model. Available models: "
                f"{', '.join(repr(r) for r in self.roles)}."
            )
        return self.record["models"][role]

    def plan(self, role):
        """The recorded build plan of a model.

        Parameters
        ----------
        role : ``"teacher"`` | ``"student"`` | ``"baseline"``
            Which model.

        Returns
        -------
        plan : ModelPlan
            Registry name, constructor arguments and input window shapes.
        """
        return ModelPlan.from_record(self._role(role))

    def input_keys(self, role):
        """Input keys of a model, in its input order.

        Parameters
        ----------
        role : ``"teacher"`` | ``"student"`` | ``"baseline"``
            Which model.

        Returns
        -------
        keys : list of str
            ``"modality:feature"`` keys, e.g. ``["eeg:de"]``.
        """
        return list(self._role(role)["inputs"])

    def model(self, role):
        """The trained model, in eval mode (built and loaded on first call).

        Parameters
        ----------
        role : ``"teacher"`` | ``"student"`` | ``"baseline"``
            Which model.

        Returns
        -------
        model : EmoModule
            Built from the recorded name and arguments, with the fold's
            checkpoint loaded.
        """
        if role in self._models:
            return self._models[role]
        rec = self._role(role)
        rel = rec.get("checkpoint")
        fix = (f"Delete {self.out / 'predictions' / (_safe_name(self.name) + '.npz')} and "
               f"rerun 'emopipe distill' on this folder with save_checkpoints=True (resume "
               f"retrains that fold only).")
        if rel is None:
            raise RunError(
                f"{self.out}: fold {self.name!r} was trained with save_checkpoints=False, so "
                f"its {role} has no weights to load. {fix}"
            )
        path = self.out / rel
        if not path.is_file():
            raise RunError(
                f"{path}: the {role} checkpoint of fold {self.name!r} is missing. {fix}"
            )
        if not _verified(path):
            raise RunError(
                f"{path}: the {role} checkpoint of fold {self.name!r} has no checksum "
                f"({path.name}.sha256; a run was killed while writing it). {fix}"
            )
        plan = ModelPlan.from_record(rec)
        with torch.random.fork_rng(devices=[]):  # building draws initial weights
            model = build_model(plan.name, **plan.kwargs)
        _load_state(path, model, map_location="cpu")
        model.eval()
        self._models[role] = model
        return model

    def _arrays(self, role, features, subject):
        if isinstance(features, CohortData):
            subject = features.subject if subject is None else subject
            features = features.features
        keys = self.input_keys(role)
        if not isinstance(features, dict):
            if len(keys) != 1:
                raise RunError(
                    f"The {role} of fold {self.name!r} takes {len(keys)} inputs ({keys}); give "
                    f"features as a dict keyed by them."
                )
            features = {keys[0]: features}
        missing = [k for k in keys if k not in features]
        if missing:
            raise UnknownNameError(
                f"The {role} of fold {self.name!r} takes inputs {keys}; features lacks "
                f"{missing} (got {sorted(features)})."
            )
        arrays = []
        n = None
        for key in keys:
            X = np.asarray(features[key])
            want = self.inputs[key]["shape"]
            if X.ndim < 1 or tuple(X.shape[1:]) != tuple(want):
                raise RunError(
                    f"features[{key!r}] must have shape (n_windows, {', '.join(map(str, want))}) "
                    f"as in the run, got {X.shape}."
                )
            if n is not None and X.shape[0] != n:
                raise RunError(
                    f"features[{key!r}] has {X.shape[0]} windows, another input {n}."
                )
            n = X.shape[0]
            scaler = self.scalers[key]
            if self.record["normalise"].get("test_normalise") == "test" and scaler.scope != "none":
                # a transductive run z-scored its test windows on their own statistics: so are
                # the windows given here (the fold's test windows reproduce its predictions)
                scaler = FoldScaler(scaler.scope, time_axis=scaler.time_axis).fit(
                    X, subject=subject)
            arrays.append(torch.from_numpy(scaler.transform(X, subject=subject)))
        select = self._role(role).get("select_columns")
        if select is not None:  # teacher_select_k: the fold's selected columns, one vector
            flat = torch.cat([a.reshape(len(a), -1) for a in arrays], dim=1)
            arrays = [flat[:, torch.as_tensor(select)]]
        return self.plan(role).arrange(arrays)

    def _forward(self, role, features, subject):
        X = self._arrays(role, features, subject)
        model = self.model(role)
        old = torch.get_num_threads()
        try:  # the run's thread count: float sums depend on it
            torch.set_num_threads(int(self.record.get("n_threads", 1)))
            out, feats = _predict(model, X)
        finally:
            torch.set_num_threads(old)
        return out.numpy(), feats.numpy()

    def predict(self, role, features, *, subject=None):
        """Outputs of a model on windows, standardised with the fold's statistics.

        A run with ``test_normalise="test"`` (transductive) standardised its
        test windows on their own statistics; the windows given here are
        then standardised on theirs, so the fold's test windows reproduce its
        predictions.

        Parameters
        ----------
        role : ``"teacher"`` | ``"student"`` | ``"baseline"``
            Which model.
        features : CohortData | dict of str -> ndarray | ndarray
            Unstandardised windows, shape (n_windows, ...) per input as in
            the cohort (a dict keyed ``"modality:feature"``; one array for a
            single-input model; a cohort gives its features and subjects).
        subject : ndarray of str, shape (n_windows,) | None
            Subject of each window (needed with ``normalise="per_subject"``).

        Returns
        -------
        outputs : ndarray of float32, shape (n_windows, n_outputs)
            Logits (classification) or predictions (continuous target).
        """
        return self._forward(role, features, subject)[0]

    def features_of(self, role, features, *, subject=None):
        """Penultimate features (the models' embedding) of windows.

        Parameters
        ----------
        role : ``"teacher"`` | ``"student"`` | ``"baseline"``
            Which model.
        features : CohortData | dict of str -> ndarray | ndarray
            As in :meth:`predict`.
        subject : ndarray of str, shape (n_windows,) | None
            As in :meth:`predict`.

        Returns
        -------
        embedding : ndarray of float32, shape (n_windows, n_dims)
            The features ``forward`` returns beside the outputs, flattened.
        """
        return self._forward(role, features, subject)[1]


class Run:
    """A run folder read back by :func:`load_run`.

    Parameters
    ----------
    path : Path
        The folder.
    config : dict
        Its ``config.yaml``.
    folds : list of RunFold
        Its finished folds, in the run's order.

    Attributes
    ----------
    path : Path
        The folder.
    config : dict
        Its ``config.yaml`` (with ``settings_hash``, ``data_hash``,
        ``result_hash``).
    folds : list of RunFold
        The finished folds, in the run's order.
    data_hash : str
        The identity of the data the run was trained on.
    cache : dict | None
        ``folder`` and ``files`` (each cache file's config hash and source
        checksums); ``None`` for an in-memory cohort.
    """

    def __init__(self, path, config, folds):
        self.path = Path(path)
        self.config = config
        self.folds = folds
        self.data_hash = folds[0].record["data_hash"]
        self.cache = folds[0].record["cache"]

    def __repr__(self):
        return f"<Run {str(self.path)!r}: {len(self.folds)} folds>"

    def cohort(self, data=None):
        """The run's cohort, checked to be the data the run was trained on.

        Parameters
        ----------
        data : CohortData | path-like | None
            An in-memory cohort, or a cache folder; ``None`` reads the cache
            folder the run recorded.

        Returns
        -------
        cohort : CohortData
            Its rows are those the folds' ``test_idx`` index.
        """
        from .data import load_cohort
        from .run_folder import _data_hash

        if data is None:
            if self.cache is None:
                raise RunError(
                    f"{self.path}: the run was trained on an in-memory cohort; pass that "
                    f"cohort (Run.cohort(cohort))."
                )
            data = self.cache["folder"]
        if isinstance(data, CohortData):
            cohort = data
            files = cohort.sources if (cohort.sources and self.cache is not None) else None
            what = "the given cohort"
        else:
            roles = {r for f in self.folds for r in f.roles}
            specs = [self.config["student"]] if roles - {"teacher"} else []
            if "teacher" in roles:
                specs.append(self.config["teacher"])
            cohort = load_cohort(data, specs)
            files = cohort.sources
            what = f"the cache {data}"
        now = _data_hash(cohort, cache_files=files)
        if now != self.data_hash:
            raise RunError(
                f"{self.path}: {what} is not the data the run was trained on (data_hash "
                f"{now!r}, the run recorded {self.data_hash!r}: another cache, or one "
                f"re-extracted since training). Give the cache the run was trained on, or "
                f"rerun 'emopipe distill' on this one."
            )
        return cohort

    def fold(self, name):
        """The fold named ``name``.

        Parameters
        ----------
        name : str
            E.g. ``"sub-s01"``.

        Returns
        -------
        fold : RunFold
            That fold.
        """
        for f in self.folds:
            if f.name == name:
                return f
        raise UnknownNameError(
            f"{self.path}: no fold {name!r}. Folds: {', '.join(repr(f.name) for f in self.folds)}."
        )


def _read_json(path, fix):
    try:
        with open(path, encoding="utf-8") as fid:
            data = json.load(fid)
    except (ValueError, UnicodeDecodeError) as err:
        raise DataFileError(f"{path}: not readable JSON ({type(err).__name__}). {fix}") from None
    if not isinstance(data, dict):
        raise DataFileError(f"{path}: must hold a JSON object, got {type(data).__name__}. {fix}")
    return data


def load_run(path):
    """Read a run folder back: per fold, ready models, scalers and feature metadata.

    Parameters
    ----------
    path : path-like
        A folder written by :func:`~emopipe.distill.train.run_distill`
        (``--out``).

    Returns
    -------
    run : Run
        Its config and finished folds (:class:`RunFold`: ``models``,
        ``test_idx``, ``scalers``, ``inputs``, ``predict``,
        ``features_of``).
    """
    out = Path(path).expanduser()
    cfg_path = out / "config.yaml"
    if not cfg_path.is_file():
        raise RunError(
            f"{out}: not a run folder (no config.yaml). Give the --out folder of "
            f"'emopipe distill'."
        )
    try:
        config = read_yaml(cfg_path)
    except ValueError as err:
        raise DataFileError(f"{cfg_path}: unreadable ({err}).") from None
    pred_dir = out / "predictions"
    finished = sorted(p.stem for p in pred_dir.glob("*.npz")) if pred_dir.is_dir() else []
    if not finished:
        raise RunError(
            f"{out}: the run folder holds no finished fold (no predictions/<fold>.npz). Run "
            f"'emopipe distill' to finish it."
        )
    missing = [f for f in finished if not (out / "models" / f"{f}.json").is_file()
               or not (out / "models" / f"{f}.npz").is_file()]
    if missing:
        raise RunError(
            f"{out}: folds {missing} have no models/<fold>.json and .npz: the folder was "
            f"written by an emopipe older than the self-describing run folder and does not "
            f"record the models' names and constructor arguments, the normalisation "
            f"statistics, the feature metadata or the cache identity. {_rerun(out)}"
        )
    folds = []
    for name in finished:
        jpath = out / "models" / f"{name}.json"
        fix = f"Delete {out / 'predictions' / (name + '.npz')} and rerun to recompute the fold."
        record = _read_json(jpath, fix)
        if record.get("schema") != SCHEMA:
            raise RunError(
                f"{jpath}: schema {record.get('schema')!r}, this emopipe reads schema "
                f"{SCHEMA}. {_rerun(out)}"
            )
        npath = out / "models" / f"{name}.npz"
        try:
            with open(npath, "rb") as fid, np.load(fid, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
        except Exception as err:  # BadZipFile, EOFError, ...: a bad file
            raise DataFileError(
                f"{npath}: not a readable statistics file ({type(err).__name__}). {fix}"
            ) from None
        if record.get("data_hash") != config.get("data_hash"):
            raise RunError(
                f"{jpath}: recorded for data_hash {record.get('data_hash')!r}, the folder's "
                f"config.yaml holds {config.get('data_hash')!r}; the fold belongs to another "
                f"run. {fix}"
            )
        folds.append(RunFold(out, record, arrays))
    folds.sort(key=lambda f: f.record.get("index", 0))
    return Run(out, config, folds)
