"""The training driver: teachers, students and baselines over the folds of a protocol.

``run_distill(config)`` reads the cache (or takes an in-memory
:class:`~emopipe.distill.data.CohortData`), builds the folds, and for each
fold:

1. fits the standardisation on the fold's training windows only;
2. trains the teacher (selection / early stopping on VALIDATION windows),
   stores its checkpoint and its logits and features for the training and
   validation windows only (``teacher_cache/<fold>.npz``; test windows
   never get teacher knowledge);
3. trains the student with the method's objective (:mod:`.methods`);
4. trains the no-KD baseline student from the same initial weights and the
   same batch order (``compare_baseline``), so that the KD-vs-baseline
   comparison is paired;
5. stores the test predictions (``predictions/<fold>.npz``).

A fold whose predictions exist is skipped on rerun (resume). Metrics are
computed from all stored predictions at the end.

Run folder::

    <out>/config.yaml  versions.json  folds.csv  metrics_fold.csv
          metrics_subject.csv  summary.json
          predictions/<fold>.npz   test_idx + test outputs of each model (resume key)
          predictions/<fold>.json  training record (best epoch, validation curve,
                                   feedback steps, dynamic KD weight)
          checkpoints/<fold>/{teacher,student,baseline}.pt   (state dicts)
          teacher_cache/<fold>.npz  train/val indices, teacher logits and features

Checkpoints are state dicts; load them with ``torch.load(path,
weights_only=True)``. On CPU the run is deterministic
(``torch.use_deterministic_algorithms``; per-fold seeds derived from
``seed`` and the fold number; student and baseline share initial weights
and batch order).

CLI mapping (``emopipe distill``): every flag is a :class:`DistillConfig`
field with ``-`` for ``_`` (``--teacher-only`` -> ``teacher_only``);
:func:`config_from_cli` builds the config from ``vars(args)``, reading
``--config FILE`` first.
"""

import copy
import csv
import dataclasses
import json
import logging
import os
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .._version import __version__
from ..utils._checks import _check_option, _check_type
from ..utils._logging import progress, verbose
from ..utils.config import config_from_dict, config_hash, config_to_dict, load_config
from . import metrics as _metrics
from .data import NORMALISE, CohortData, FoldScaler, load_cohort
from .methods import METHODS, Term, default_models, get_recipe, make_objective, resolve_terms
from .protocols import PROTOCOLS, make_folds, write_folds

logger = logging.getLogger("emopipe.distill.train")

#: config fields that do not change results (ignored when resuming a run)
_RUNTIME_FIELDS = ("out", "device", "n_threads", "resume", "max_folds", "cache")


@dataclass(frozen=True)
class DistillConfig:
    """Everything ``emopipe distill`` needs; YAML keys = fields = CLI flags.

    Parameters
    ----------
    cache : str | None
        Feature cache folder (``None`` when a cohort is passed in memory).
    teacher : str
        Teacher modality spec (``"eeg"``, ``"eeg:de"``, ``"eeg+eog"``).
    student : str
        Student modality spec.
    method : str
        Key of ``METHODS`` (``"none"``, ``"hinton_kd"``, ``"cmcrd"``, ...).
    protocol : str
        Key of ``PROTOCOLS`` (``"loso"``, ``"within_subject_kfold"``, ...).
    target : str
        Label name (``"valence"``, ``"arousal"``); classification reads
        ``<target>_class``, continuous methods the rating.
    seed : int
        Seed of folds, initialisation and batch order.
    epochs : int
        Maximum student epochs.
    teacher_epochs : int | None
        Maximum teacher epochs (``None``: ``epochs``).
    batch_size : int
        Windows per batch.
    lr : float
        Student learning rate (AdamW).
    teacher_lr : float | None
        Teacher learning rate (``None``: ``lr``).
    weight_decay : float
        AdamW weight decay.
    patience : int
        Epochs without validation improvement before stopping (0: never).
    selection : str
        ``"best_val"`` (weights of the best validation epoch) or ``"last"``.
    device : str
        ``"cpu"``, ``"cuda"`` or ``"auto"``.
    out : str | None
        Run folder (``None``: nothing is written, no resume).
    teacher_only : bool
        Train and score teachers only.
    n_folds : int
        Folds of the k-fold protocols and ``trs``.
    val_fraction : float
        Fraction of each fold's training trials used for validation.
    normalise : str
        ``"pooled"``, ``"per_subject"`` or ``"none"`` (z-score fitted on the
        training windows of each fold).
    transductive : bool
        Fit the standardisation on every window, test included (flagged in
        the summary; off by default).
    teacher_model, student_model : str | None
        Model names (``None``: the method's default for the inputs).
    teacher_params, student_params : dict
        Extra model keyword arguments.
    loss_weights : dict
        Weight overrides by loss name (e.g. ``{"hinton_kd": 1.0}`` adds KD
        to CMCRD).
    loss_params : dict
        Loss constructor overrides by loss name (e.g. ``{"cmcrd": {"nce_k": 512}}``).
    compare_baseline : bool
        Also train the no-KD student for the paired test.
    feedback_every : int
        Student steps between teacher feedback updates (EKD, BS25).
    feedback_lr : float
        Teacher learning rate of the feedback updates.
    feedback_first_order : bool
        Drop second-order terms of the feedback look-ahead.
    n_threads : int | None
        ``torch.set_num_threads`` for the run.
    deterministic : bool
        ``torch.use_deterministic_algorithms(True)`` during the run.
    save_teacher_cache : bool
        Write ``teacher_cache/<fold>.npz``.
    save_checkpoints : bool
        Write ``checkpoints/<fold>/*.pt``.
    max_folds : int | None
        Run only the first ``max_folds`` folds (smoke tests, benchmarks).
    resume : bool
        Skip folds whose predictions are already in ``out``.
    """

    cache: str | None = None
    teacher: str = "eeg"
    student: str = "eog"
    method: str = "none"
    protocol: str = "loso"
    target: str = "valence"
    seed: int = 0
    epochs: int = 30
    teacher_epochs: int | None = None
    batch_size: int = 256
    lr: float = 1e-3
    teacher_lr: float | None = None
    weight_decay: float = 1e-3
    patience: int = 10
    selection: str = "best_val"
    device: str = "cpu"
    out: str | None = None
    teacher_only: bool = False
    n_folds: int = 10
    val_fraction: float = 0.2
    normalise: str = "pooled"
    transductive: bool = False
    teacher_model: str | None = None
    student_model: str | None = None
    teacher_params: dict = field(default_factory=dict)
    student_params: dict = field(default_factory=dict)
    loss_weights: dict = field(default_factory=dict)
    loss_params: dict = field(default_factory=dict)
    compare_baseline: bool = True
    feedback_every: int = 1
    feedback_lr: float = 5e-5
    feedback_first_order: bool = False
    n_threads: int | None = None
    deterministic: bool = True
    save_teacher_cache: bool = True
    save_checkpoints: bool = True
    max_folds: int | None = None
    resume: bool = True

    def __post_init__(self):
        _check_type("cache", self.cache, ("path-like", None))
        for name in ("teacher", "student", "target"):
            _check_type(name, getattr(self, name), (str,))
        _check_option("method", self.method, METHODS.names())
        _check_option("protocol", self.protocol, PROTOCOLS.names())
        _check_option("selection", self.selection, ("best_val", "last"))
        _check_option("device", self.device, ("cpu", "cuda", "auto"))
        _check_option("normalise", self.normalise, NORMALISE)
        for name in ("seed", "epochs", "batch_size", "patience", "n_folds", "feedback_every"):
            _check_type(name, getattr(self, name), ("int",))
        for name in ("epochs", "batch_size", "feedback_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}.")
        if self.batch_size < 2:
            raise ValueError(
                f"batch_size must be >= 2 (BatchNorm needs two windows), got {self.batch_size!r}."
            )
        for name in ("teacher_epochs", "max_folds", "n_threads"):
            _check_type(name, getattr(self, name), ("int", None))
            val = getattr(self, name)
            if val is not None and val < 1:
                raise ValueError(f"{name} must be >= 1 or None, got {val!r}.")
        for name in ("lr", "weight_decay", "val_fraction", "feedback_lr"):
            _check_type(name, getattr(self, name), ("numeric",))
        _check_type("teacher_lr", self.teacher_lr, ("numeric", None))
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr!r}.")
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction!r}.")
        for name in ("teacher_only", "transductive", "compare_baseline", "feedback_first_order",
                     "deterministic", "save_teacher_cache", "save_checkpoints", "resume"):
            _check_type(name, getattr(self, name), (bool,))
        for name in ("teacher_params", "student_params", "loss_weights", "loss_params"):
            _check_type(name, getattr(self, name), (dict,))
        if self.teacher_only and not get_recipe(self.method).needs_teacher:
            raise ValueError(
                "teacher_only=True needs a method with a teacher, got method='none'. Pick the "
                "method whose teacher you want (e.g. 'hinton_kd')."
            )


def load_distill_config(path):
    """Read a :class:`DistillConfig` from YAML (top-level ``distill:`` section or bare keys).

    Parameters
    ----------
    path : path-like
        YAML file, e.g. ``pipelines/distill_deap_cmcrd.yaml``.

    Returns
    -------
    config : DistillConfig
        The validated config.
    """
    import yaml

    with open(path, encoding="utf-8") as fid:
        data = yaml.safe_load(fid)
    section = "distill" if isinstance(data, dict) and "distill" in data else None
    return load_config(path, DistillConfig, section=section)


def config_from_cli(args):
    """Build a :class:`DistillConfig` from parsed CLI arguments.

    Flags map to fields by replacing ``-`` with ``_`` (``--teacher-only`` ->
    ``teacher_only``). ``config`` (a YAML file, see
    :func:`load_distill_config`) is read first; CLI values
    that are not ``None`` (and flags that are set) override it. The keys
    ``command``, ``verbose`` and ``func`` are ignored.

    Parameters
    ----------
    args : dict
        ``vars(namespace)`` of the ``emopipe distill`` parser.

    Returns
    -------
    config : DistillConfig
        The validated config.
    """
    args = {str(k).replace("-", "_"): v for k, v in dict(args).items()}
    base = {}
    path = args.pop("config", None)
    if path is not None:
        base = config_to_dict(load_distill_config(path))
    for key in ("command", "verbose", "func"):
        args.pop(key, None)
    for key, val in args.items():
        if val is None or (isinstance(val, bool) and not val and key in base):
            continue
        base[key] = val
    return config_from_dict(DistillConfig, base, source="command line")


@dataclass
class RunResult:
    """What :func:`run_distill` returns.

    Parameters
    ----------
    config : DistillConfig
        The config run.
    out : Path | None
        Run folder.
    folds : list of str
        Fold names in order.
    metrics_fold : list of dict
        One row per (fold, model): ``fold``, ``model``, ``n_test`` and metrics.
    metrics_subject : list of dict
        One row per (subject, model), predictions pooled over folds.
    summary : dict
        Mean and std per metric and model, paired tests, timing.
    predictions : dict of str -> dict
        Per fold: ``test_idx`` (window rows of the cohort) and the test
        outputs of each model (``teacher``, ``student``, ``baseline``;
        logits of shape (n_test, n_classes) or predictions (n_test, 1)).
    """

    config: DistillConfig
    out: Path | None
    folds: list
    metrics_fold: list
    metrics_subject: list
    summary: dict
    predictions: dict = field(default_factory=dict)

    def summary_text(self):
        """A few lines for the terminal: mean +- std over subjects, paired tests.

        Returns
        -------
        text : str
            One line per model with the subject-level mean and sample standard
            deviation of each metric, then the student-vs-baseline paired
            t-test and Wilcoxon p-values when a baseline was trained.
        """
        s = self.summary
        lines = [f"{s.get('method')} / {s.get('protocol')} / {s.get('target')}: "
                 f"{s.get('n_folds')} fold(s), seed {s.get('seed')}, "
                 f"{s.get('seconds', float('nan')):.1f} s"]
        for role, metrics in s.get("subjects", {}).items():
            parts = [f"{m} {v['mean']:.3f} +- {v['std']:.3f}" for m, v in metrics.items()]
            lines.append(f"  {role:<8} " + ", ".join(parts) + "  (over subjects)")
        paired = s.get("paired_student_vs_baseline") or {}
        for m, test in paired.items():
            if m not in ("accuracy", "ccc"):
                continue
            lines.append(
                f"  student - baseline {m}: {test.get('mean_diff', float('nan')):+.3f}, "
                f"paired t p = {test.get('p_ttest', float('nan')):.3g}, "
                f"Wilcoxon p = {test.get('p_wilcoxon', float('nan')):.3g} "
                f"(n = {test.get('n', 0)} subjects)")
        return "\n".join(lines)


# --------------------------------------------------------------------------- helpers
def _fold_seed(seed, k):
    return int(np.random.SeedSequence([int(seed), int(k)]).generate_state(1)[0])


def _device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' but torch sees no CUDA device. Use device='cpu' or 'auto'.")
    return torch.device(name)


def _model_kwargs(name, shapes, dims, n_classes, extra):
    """Keyword sizes for ``build_model(name, ...)`` from the input shapes."""
    from ..models._registry import MODELS

    import inspect

    cls = MODELS.get(name)
    accepted = set(inspect.signature(cls.__init__).parameters)
    kw = {}
    if "n_classes" in accepted:
        kw["n_classes"] = n_classes
    elif "n_outputs" in accepted:
        kw["n_outputs"] = n_classes
    if len(shapes) == 1:
        shape, dim = shapes[0], dims[0]
        if "n_features" in accepted:
            kw["n_features"] = int(np.prod(shape))
        if "frame_size" in accepted and len(shape) >= 3:  # (n_steps, [1,] height, width)
            kw["frame_size"] = (int(shape[-2]), int(shape[-1]))
            if "n_steps" in accepted:
                kw["n_steps"] = int(shape[0])
        elif len(shape) >= 2:
            if "n_channels" in accepted:
                kw["n_channels"] = int(shape[0])
            if "n_times" in accepted:
                kw["n_times"] = int(shape[-1])
            if "n_bands" in accepted:
                kw["n_bands"] = int(shape[-1])
    else:
        # two-input models (teachers.py): sizes suffixed _a, _b in input order
        # raw windows have a "time" axis; without dims, a 2-D sample is taken as raw
        raw = [("time" in dim) if dim else len(shape) >= 2 for shape, dim in zip(shapes, dims)]
        for i, shape in enumerate(shapes):
            suffix = "abcdefgh"[i]
            if raw[i]:
                if f"n_channels_{suffix}" in accepted:
                    kw[f"n_channels_{suffix}"] = int(shape[0])
                if "n_times" in accepted:
                    kw["n_times"] = int(shape[-1])
            elif f"n_features_{suffix}" in accepted:
                kw[f"n_features_{suffix}"] = int(np.prod(shape))
        if all(raw) and "encoder" in accepted:
            kw["encoder"] = "cnn1d"
    kw.update(extra)
    return kw


def _build(name, shapes, dims, n_classes, extra):
    from ..models._registry import build_model

    try:
        return build_model(name, **_model_kwargs(name, shapes, dims, n_classes, extra))
    except ImportError:  # pragma: no cover - models package incomplete
        raise


def _ensure_models_loaded():
    import importlib

    for mod in ("emopipe.models.students", "emopipe.models.teachers"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError:
            pass


def _fit_inputs(model, arrays):
    """Reshape each input array to the model's per-sample input shape."""
    out = []
    for i, (x, shape) in enumerate(zip(arrays, model.input_shapes)):
        if tuple(x.shape[1:]) != tuple(shape):
            if int(np.prod(x.shape[1:])) != int(np.prod(shape)):
                raise ValueError(
                    f"{type(model).__name__} input {i} must have shape (n_windows, "
                    f"{', '.join(map(str, shape))}), got data of shape {tuple(x.shape)}; the "
                    f"sizes differ. Pick a model for this input or pass its sizes in "
                    f"teacher_params / student_params."
                )
            x = x.reshape((x.shape[0],) + tuple(shape))
        out.append(x)
    return out


@torch.no_grad()
def _predict(model, X, *, chunk=8192):
    """Outputs and features of ``model`` (eval mode) for all rows of ``X``."""
    was = model.training
    model.eval()
    outs, feats = [], []
    n = X[0].shape[0]
    for start in range(0, n, chunk):
        o, f = model(*(x[start:start + chunk] for x in X))
        outs.append(o)
        feats.append(f.reshape(f.shape[0], -1))
    model.train(was)
    if not outs:
        return torch.zeros(0), torch.zeros(0)
    return torch.cat(outs), torch.cat(feats)


def _score(kind, out, y):
    """Validation score (higher is better): accuracy or CCC."""
    if kind == "class":
        return float((out.argmax(1) == y).float().mean())
    return _metrics.ccc(y.cpu().numpy(), out.reshape(-1).cpu().numpy())


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _train_model(model, objective, X, y, *, config, epochs, lr, kind, gen, desc, val=None,
                 teacher_out=None, live_teacher=None, feedback=None):
    """Mini-batch training on in-memory tensors with validation selection.

    Parameters
    ----------
    model : EmoModule
        Model being trained (``z_s``, ``f_s`` of the objective).
    objective : Objective
        Loss; its own parameters (projectors, embeddings) train too.
    X : list of Tensor, shape (n_train, ...)
        Inputs of the training windows.
    y : Tensor, shape (n_train,)
        Targets.
    val : tuple (list of Tensor, Tensor) | None
        Validation inputs and targets.
    teacher_out : tuple (Tensor, Tensor) | None
        Cached teacher logits and features of the training windows.
    live_teacher : tuple (model, list of Tensor) | None
        Teacher and its training inputs (feedback methods).
    feedback : dict | None
        ``{"kind": "ekd"|"dynamic", "optimizer": ..., "weight": DynamicKDWeight|None,
        "teacher_val": float|None}``.

    Returns
    -------
    info : dict
        ``best_epoch``, ``best_score``, ``epochs_run``, ``history``.
    """
    params = [p for p in list(model.parameters()) + list(objective.parameters())
              if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=config.weight_decay)
    n = y.shape[0]
    bs = min(config.batch_size, n)
    best = (-np.inf, None, -1)
    history = []
    stalled = 0
    step = 0
    n_feedback = 0
    epoch = -1
    for epoch in progress(range(epochs), desc=desc):
        model.train()
        objective.train()
        perm = torch.randperm(n, generator=gen).to(y.device)
        total = 0.0
        for start in range(0, n, bs):
            idx = perm[start:start + bs]
            if idx.numel() < 2:
                continue
            xb = [x[idx] for x in X]
            z_s, f_s = model(*xb)
            batch = {"z_s": z_s, "f_s": f_s, "y": y[idx], "idx": idx}
            if teacher_out is not None:
                batch["z_t"] = teacher_out[0][idx]
                batch["f_t"] = teacher_out[1][idx]
            elif live_teacher is not None:
                t_model, t_X = live_teacher
                with torch.no_grad():
                    t_model.eval()
                    z_t, f_t = t_model(*(x[idx] for x in t_X))
                batch["z_t"], batch["f_t"] = z_t, f_t.reshape(f_t.shape[0], -1)
            loss, _ = objective(batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * idx.numel()
            step += 1
            if feedback is not None and step % config.feedback_every == 0:
                from .feedback import ekd_feedback_step

                t_model, t_X = live_teacher
                t_model.train()

                def student_loss(z_s, z_t, f_s, f_t, yb, _idx=idx):
                    return objective({"z_s": z_s, "f_s": f_s, "z_t": z_t,
                                      "f_t": f_t.reshape(f_t.shape[0], -1), "y": yb,
                                      "idx": _idx})[0]

                ekd_feedback_step(t_model, model, tuple(x[idx] for x in t_X), tuple(xb), y[idx],
                                  student_loss_fn=student_loss, student_lr=lr,
                                  teacher_optimizer=feedback["optimizer"],
                                  first_order=config.feedback_first_order)
                n_feedback += 1
        record = {"epoch": epoch, "loss": total / max(n, 1)}
        if val is not None and val[1].shape[0] > 0:
            out, _ = _predict(model, val[0])
            score = _score(kind, out, val[1])
            record["val_score"] = score
            if feedback is not None and feedback.get("weight") is not None:
                objective.kd_scale = feedback["weight"].update(score, feedback.get("teacher_val"))
                record["kd_scale"] = objective.kd_scale
            if score > best[0]:
                best = (score, _state(model) if config.selection == "best_val" else None, epoch)
                stalled = 0
            else:
                stalled += 1
        history.append(record)
        if config.patience and val is not None and stalled >= config.patience:
            logger.debug("%s: early stop at epoch %d (best %d)", desc, epoch, best[2])
            break
    if config.selection == "best_val" and best[1] is not None:
        model.load_state_dict(best[1])
    return {"best_epoch": best[2], "best_score": best[0], "epochs_run": epoch + 1,
            "steps": step, "feedback_steps": n_feedback, "history": history}


def _save_npz(path, **arrays):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}.npz")
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def _save_state(path, model):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp-{os.getpid()}")
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, path)


def _safe_name(name):
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


# --------------------------------------------------------------------------- fold
class _Run:
    """State shared by the folds of one run."""

    def __init__(self, config, cohort, device):
        self.config = config
        self.cohort = cohort
        self.device = device
        self.recipe = get_recipe(config.method)
        self.kind = self.recipe.target_kind
        self.t_keys = cohort.resolve(config.teacher) if self.recipe.needs_teacher else []
        self.s_keys = cohort.resolve(config.student)
        if self.kind == "class":
            self.y, self.classes = cohort.target(config.target, kind="class")
            self.n_out = len(self.classes)
        else:
            self.y, self.classes = cohort.target(config.target, kind="continuous")
            self.n_out = 1
        t_name, s_name = default_models(
            self.recipe, [cohort.is_raw(k) for k in self.t_keys],
            [cohort.is_raw(k) for k in self.s_keys],
            teacher_face=any(k.split(":")[0] == "face" and cohort.is_raw(k)
                             for k in self.t_keys))  # face frames, not OpenFace tables
        self.teacher_model = config.teacher_model or t_name
        self.student_model = config.student_model or s_name
        self.t_terms = resolve_terms(self.recipe.teacher, weights=None,
                                     params=config.loss_params)
        self.s_terms = resolve_terms(self.recipe.student, weights=config.loss_weights,
                                     params=config.loss_params)
        # the baseline student: the recipe's supervised term alone, at weight 1
        sup = "ce" if self.kind == "class" else "ccc"
        self.b_terms = [Term(sup, 1.0, dict(config.loss_params.get(sup, {})))]

    def inputs(self, keys, fold):
        """Standardised tensors of ``keys`` for every window."""
        cfg, c = self.config, self.cohort
        fit_idx = np.arange(c.n_windows) if cfg.transductive else fold.train
        out = []
        for key in keys:
            X = c.features[key]
            scaler = FoldScaler(cfg.normalise, time_axis=c.is_raw(key))
            if cfg.normalise != "none":
                scaler.fit(X[fit_idx], subject=c.subject[fit_idx])
            out.append(torch.from_numpy(scaler.transform(X, subject=c.subject)).to(self.device))
        return out


def _run_fold(run, k, fold, out):
    cfg, c = run.config, run.cohort
    dev = run.device
    seed = _fold_seed(cfg.seed, k)
    name = _safe_name(fold.name)
    y_all = torch.as_tensor(run.y, device=dev)
    if run.kind == "continuous":
        y_all = y_all.float()
    tr = torch.as_tensor(fold.train, device=dev)
    va = torch.as_tensor(fold.val, device=dev)
    te = torch.as_tensor(fold.test, device=dev)
    y_tr, y_va = y_all[tr], y_all[va]
    preds = {"test_idx": fold.test}
    info = {}
    XS = run.inputs(run.s_keys, fold)
    teacher = None
    t_out = None
    teacher_val = None
    if run.recipe.needs_teacher:
        XT = run.inputs(run.t_keys, fold)
        torch.manual_seed(seed)
        teacher = _build(run.teacher_model, [x.shape[1:] for x in XT],
                         [c.dims.get(k) for k in run.t_keys], run.n_out,
                         cfg.teacher_params).to(dev)
        XT = _fit_inputs(teacher, XT)
        ckpt = None if out is None else out / "checkpoints" / name / "teacher.pt"
        tcache = None if out is None else out / "teacher_cache" / f"{name}.npz"
        if cfg.resume and ckpt is not None and ckpt.is_file():
            teacher.load_state_dict(torch.load(ckpt, weights_only=True, map_location=dev))
            info["teacher"] = {"resumed": True}
        else:
            t_obj = make_objective(run.t_terms, n_classes=run.n_out if run.kind == "class"
                                   else None).to(dev)
            gen = torch.Generator().manual_seed(seed + 1)
            info["teacher"] = _train_model(
                teacher, t_obj, [x[tr] for x in XT], y_tr, config=cfg,
                epochs=cfg.teacher_epochs or cfg.epochs, lr=cfg.teacher_lr or cfg.lr,
                kind=run.kind, gen=gen, desc=f"{fold.name} teacher",
                val=([x[va] for x in XT], y_va))
            if ckpt is not None and cfg.save_checkpoints:
                _save_state(ckpt, teacher)
        z_tr, f_tr = _predict(teacher, [x[tr] for x in XT])
        z_va, f_va = _predict(teacher, [x[va] for x in XT])
        t_out = (z_tr, f_tr)
        if tcache is not None and cfg.save_teacher_cache:
            _save_npz(tcache, train_idx=fold.train, val_idx=fold.val,
                      logits_train=z_tr.cpu().numpy(), feat_train=f_tr.cpu().numpy(),
                      logits_val=z_va.cpu().numpy(), feat_val=f_va.cpu().numpy())
        preds["teacher"] = _predict(teacher, [x[te] for x in XT])[0].cpu().numpy()
        teacher_val = _score(run.kind, z_va, y_va) if len(fold.val) else None
    if not cfg.teacher_only:
        models = [("student", run.s_terms)]
        if cfg.compare_baseline and cfg.method != "none":
            models.append(("baseline", run.b_terms))
        for role, terms in models:
            torch.manual_seed(seed + 2)  # same initial weights for student and baseline
            student = _build(run.student_model, [x.shape[1:] for x in XS],
                             [c.dims.get(k) for k in run.s_keys], run.n_out,
                             cfg.student_params).to(dev)
            Xs = _fit_inputs(student, XS)
            kd = role == "student" and run.recipe.needs_teacher
            obj_gen = torch.Generator().manual_seed(seed + 3)
            s_dim = int(np.prod(_predict(student, [x[:2] for x in Xs])[1].shape[1:]))
            obj = make_objective(
                terms, s_dim=s_dim, t_dim=int(t_out[1].shape[1]) if kd else None,
                n_data=len(fold.train), n_classes=run.n_out if run.kind == "class" else None,
                bank_labels=y_tr.cpu() if (kd and run.kind == "class") else None,
                generator=obj_gen if kd else None).to(dev)
            feedback = None
            live = None
            if kd and run.recipe.feedback is not None:
                from .feedback import DynamicKDWeight

                live_teacher = copy.deepcopy(teacher)
                live = (live_teacher, [x[tr] for x in XT])
                feedback = {"optimizer": torch.optim.Adam(live_teacher.parameters(),
                                                          lr=cfg.feedback_lr),
                            "weight": DynamicKDWeight() if run.recipe.feedback == "dynamic"
                            else None,
                            "teacher_val": teacher_val}
            gen = torch.Generator().manual_seed(seed + 4)  # same batch order for both
            info[role] = _train_model(
                student, obj, [x[tr] for x in Xs], y_tr, config=cfg, epochs=cfg.epochs,
                lr=cfg.lr, kind=run.kind, gen=gen, desc=f"{fold.name} {role}",
                val=([x[va] for x in Xs], y_va),
                teacher_out=t_out if (kd and live is None) else None,
                live_teacher=live, feedback=feedback)
            if live is not None:
                info[role]["teacher_shift"] = float(sum(
                    (a.detach() - b.detach()).pow(2).sum() for a, b in
                    zip(live[0].parameters(), teacher.parameters())).sqrt())
            preds[role] = _predict(student, [x[te] for x in Xs])[0].cpu().numpy()
            if out is not None and cfg.save_checkpoints:
                _save_state(out / "checkpoints" / name / f"{role}.pt", student)
    for role, i in info.items():
        if "best_score" in i:
            logger.info("%s %s: best validation %.4f at epoch %d of %d", fold.name, role,
                        i["best_score"], i["best_epoch"], i["epochs_run"])
    if out is not None:
        _save_npz(out / "predictions" / f"{name}.npz",
                  **{k: np.asarray(v) for k, v in preds.items()})
    training = {role: {k: v for k, v in i.items() if k != "history"} for role, i in info.items()}
    training["fold_seed"] = seed
    for role, i in info.items():
        if "history" in i:
            training[role]["val_scores"] = [h.get("val_score") for h in i["history"]]
            if any("kd_scale" in h for h in i["history"]):
                training[role]["kd_scale"] = [h.get("kd_scale") for h in i["history"]]
    if out is not None:
        with open(out / "predictions" / f"{name}.json", "w", encoding="utf-8") as fid:
            json.dump(config_to_dict(training), fid, indent=1, allow_nan=True)
    return preds, training


# --------------------------------------------------------------------------- scoring
def _decode(kind, pred):
    if kind == "class":
        return np.asarray(pred).argmax(axis=1)
    return np.asarray(pred).reshape(len(pred), -1)[:, 0]


def _scores(run, idx, pred):
    c = run.cohort
    if run.kind == "class":
        return _metrics.classification_scores(run.y[idx], _decode("class", pred))
    trial_key = np.char.add(np.char.add(c.subject[idx], "/"), c.trial[idx].astype(str))
    return _metrics.regression_scores(run.y[idx], _decode("continuous", pred), trial=trial_key,
                                      onset=c.onset[idx], duration=c.duration[idx])


def _mean_std(values):
    v = np.asarray([x for x in values if np.isfinite(x)], float)
    if v.size == 0:
        return {"mean": float("nan"), "std": float("nan"), "n": 0}
    return {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
            "n": int(v.size)}


def _summarise(run, folds, all_preds):
    c = run.cohort
    roles = [r for r in ("teacher", "student", "baseline") if any(r in p for p in all_preds)]
    rows_fold = []
    pooled = {r: {"idx": [], "pred": []} for r in roles}
    for fold, preds in zip(folds, all_preds):
        idx = preds["test_idx"]
        for r in roles:
            if r not in preds:
                continue
            rows_fold.append({"fold": fold.name, "model": r, "n_test": int(len(idx)),
                              **_scores(run, idx, preds[r])})
            pooled[r]["idx"].append(idx)
            pooled[r]["pred"].append(np.asarray(preds[r]))
    rows_sub = []
    for r in roles:
        idx = np.concatenate(pooled[r]["idx"])
        pred = np.concatenate(pooled[r]["pred"])
        for s in np.unique(c.subject[idx]):
            sel = c.subject[idx] == s
            rows_sub.append({"subject": s, "model": r, "n_test": int(sel.sum()),
                             **_scores(run, idx[sel], pred[sel])})
    metric_names = [k for k in (rows_fold[0] if rows_fold else {}) if k not in
                    ("fold", "model", "n_test")]
    summary = {"folds": {}, "subjects": {}, "paired_student_vs_baseline": {}}
    for r in roles:
        fr = [row for row in rows_fold if row["model"] == r]
        sr = [row for row in rows_sub if row["model"] == r]
        summary["folds"][r] = {m: _mean_std([row[m] for row in fr]) for m in metric_names}
        summary["subjects"][r] = {m: _mean_std([row[m] for row in sr]) for m in metric_names}
    if "student" in roles and "baseline" in roles:
        st = {row["subject"]: row for row in rows_sub if row["model"] == "student"}
        bl = {row["subject"]: row for row in rows_sub if row["model"] == "baseline"}
        subs = sorted(set(st) & set(bl))
        for m in metric_names:
            summary["paired_student_vs_baseline"][m] = _metrics.paired_tests(
                [st[s][m] for s in subs], [bl[s][m] for s in subs])
        summary["paired_unit"] = "subject"
    return rows_fold, rows_sub, summary


def _write_csv(path, rows):
    if not rows:
        return
    keys = list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as fid:
        w = csv.DictWriter(fid, fieldnames=keys)
        w.writeheader()
        for row in rows:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def versions():
    """Versions of the software a run depends on.

    Returns
    -------
    versions : dict of str -> str
        ``python``, ``torch``, ``numpy``, ``scipy``, ``emopipe``, ``platform``.
    """
    import scipy

    return {"python": platform.python_version(), "torch": torch.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__, "emopipe": __version__,
            "platform": platform.platform()}


def _result_hash(config):
    d = config_to_dict(config)
    for k in _RUNTIME_FIELDS:
        d.pop(k, None)
    return config_hash(d)


def _prepare_out(config):
    import yaml

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = out / "config.yaml"
    if cfg_path.is_file():
        with open(cfg_path, encoding="utf-8") as fid:
            old = yaml.safe_load(fid) or {}
        old_hash = old.pop("result_hash", None)
        if old_hash != _result_hash(config) and config.resume:
            raise ValueError(
                f"{cfg_path}: the run folder holds a run with another config (result_hash "
                f"{old_hash!r} vs {_result_hash(config)!r}); resuming would mix results. Use "
                f"a new --out folder, delete {out}, or set resume=False to overwrite."
            )
    if not config.resume:
        for sub in ("predictions", "teacher_cache", "checkpoints"):
            d = out / sub
            if d.is_dir():
                import shutil

                shutil.rmtree(d)
    d = config_to_dict(config)
    d["result_hash"] = _result_hash(config)
    with open(cfg_path, "w", encoding="utf-8") as fid:
        yaml.safe_dump(d, fid, sort_keys=False)
    with open(out / "versions.json", "w", encoding="utf-8") as fid:
        json.dump(versions(), fid, indent=2)
    return out


@verbose
def run_distill(config, *, cohort=None, verbose=None):
    """Train teachers, students and baselines over the folds of a protocol.

    Parameters
    ----------
    config : DistillConfig | dict
        The run config (a dict is validated into a :class:`DistillConfig`).
    cohort : CohortData | None
        In-memory data; ``None`` reads ``config.cache``.
    verbose : bool | str | int | None
        Log level for this call (``True``/``"info"`` shows a progress bar per
        fold and model).

    Returns
    -------
    result : RunResult
        Per-fold and per-subject metrics and the summary; also written to
        ``config.out`` when set.
    """
    if isinstance(config, dict):
        config = config_from_dict(DistillConfig, config)
    _check_type("config", config, (DistillConfig,))
    _ensure_models_loaded()
    t0 = time.perf_counter()
    if cohort is None:
        if config.cache is None:
            raise ValueError("config.cache is None and no cohort was given; set cache to the "
                             "folder written by 'emopipe extract'.")
        specs = [config.student] + ([config.teacher] if get_recipe(config.method).needs_teacher
                                    else [])
        cohort = load_cohort(config.cache, specs)
    _check_type("cohort", cohort, (CohortData,))
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    device = _device(config.device)
    try:
        if config.n_threads is not None:
            torch.set_num_threads(config.n_threads)
        if config.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")
        run = _Run(config, cohort, device)
        folds = make_folds(config.protocol, cohort.subject, cohort.trial,
                           session=cohort.session,
                           labels=run.y if run.kind == "class" else None,
                           n_folds=config.n_folds, val_fraction=config.val_fraction,
                           seed=config.seed)
        if config.max_folds is not None:
            folds = folds[:config.max_folds]
        out = None if config.out is None else _prepare_out(config)
        if out is not None:
            write_folds(out / "folds.csv", folds, cohort.subject, cohort.trial, cohort.window)
        logger.info("distill %s: teacher %s (%s) -> student %s (%s), %s, %d folds",
                    config.method, config.teacher, run.teacher_model, config.student,
                    run.student_model, config.protocol, len(folds))
        all_preds = []
        training = {}
        n_resumed = 0
        for k, fold in enumerate(folds):
            path = None if out is None else out / "predictions" / f"{_safe_name(fold.name)}.npz"
            if config.resume and path is not None and path.is_file():
                with np.load(path) as f:
                    all_preds.append({key: f[key] for key in f.files})
                jpath = path.with_suffix(".json")
                if jpath.is_file():
                    with open(jpath, encoding="utf-8") as fid:
                        training[fold.name] = json.load(fid)
                n_resumed += 1
                logger.info("%s: results found in %s, skipped", fold.name, path)
                continue
            preds, training[fold.name] = _run_fold(run, k, fold, out)
            all_preds.append(preds)
        rows_fold, rows_sub, summary = _summarise(run, folds, all_preds)
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det)
    summary.update({
        "method": config.method, "protocol": config.protocol, "target": config.target,
        "seed": config.seed, "n_folds": len(folds), "n_resumed": n_resumed,
        "teacher_model": run.teacher_model if run.recipe.needs_teacher else None,
        "student_model": run.student_model, "teacher_inputs": run.t_keys,
        "student_inputs": run.s_keys, "transductive": config.transductive,
        "normalise": config.normalise, "selection": config.selection,
        "loss_terms": {"teacher": [dataclasses.asdict(t) for t in run.t_terms],
                       "student": [dataclasses.asdict(t) for t in run.s_terms]},
        "training": training,
        "result_hash": _result_hash(config), "seconds": time.perf_counter() - t0,
        "std": "sample standard deviation (ddof=1)",
    })
    if out is not None:
        _write_csv(out / "metrics_fold.csv", rows_fold)
        _write_csv(out / "metrics_subject.csv", rows_sub)
        with open(out / "summary.json", "w", encoding="utf-8") as fid:
            json.dump(config_to_dict(summary), fid, indent=2, allow_nan=True)
    return RunResult(config, out, [f.name for f in folds], rows_fold, rows_sub, summary,
                     {f.name: p for f, p in zip(folds, all_preds)})
