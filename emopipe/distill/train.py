"""The training driver: teachers, students and baselines over the folds of a protocol.

``run_distill(config)`` reads the cache (or takes an in-memory
:class:`~emopipe.distill.data.CohortData`), builds the folds, and for each
fold:

1. fits the standardisation on the fold's training windows only;
2. trains the teacher (selection / early stopping on VALIDATION windows),
   stores its checkpoint and its logits and features for the training and
   validation windows only (``teacher_cache/<fold>.npz``; test windows
   never get teacher knowledge);
3. with ``teacher_targets="cross_fit"``, replaces the teacher's logits and
   features of the training windows by out-of-fold ones (inner teachers
   that never saw the window's trial, :mod:`._cross_fit`; the fold's
   teacher still gives the test predictions);
   With ``teacher_centre="subject"``, the training windows' logits then
   lose each training subject's mean (:mod:`._centre`), with
   ``"subject_features"`` the penultimate features too;
4. trains the student with the method's objective (:mod:`.methods`) on the
   teacher's training-window outputs;
5. trains the no-KD baseline student from the same initial weights and the
   same batch order (``compare_baseline``), so that the KD-vs-baseline
   comparison is paired;
6. stores the test predictions (``predictions/<fold>.npz``).

A fold whose predictions exist is skipped on rerun (resume). Metrics are
computed from all stored predictions at the end (:mod:`.report`).

Models are sized from the dims of the cached features (:mod:`._build`); the
fit loop is :mod:`._fit`, the run folder :mod:`.run_folder` and the config
:mod:`.config`. On CPU the run is deterministic
(``torch.use_deterministic_algorithms``; per-fold seeds derived from
``seed`` and the fold number; student and baseline share initial weights
and batch order).
"""

import copy
import dataclasses
import logging
import time

import numpy as np
import torch

from ..models import feature_shape
from ..utils._checks import _check_type
from ..utils._lock import FolderLock
from ..utils._logging import verbose
from ..utils.config import config_from_dict
from ..utils._errors import ConfigError
from ._build import InputMeta, cohort_inputs, plan_model
from ._centre import centre_by_group
from ._cross_fit import cross_fit_targets, inner_groups
from ._fit import _device, _fold_seed, _predict, _score, _train_model
from .config import DistillConfig, config_from_cli, load_distill_config
from .data import (CohortData, FoldScaler, folds_on_rows, load_cohort, select_columns,
                   standardise_test_on_itself, target_rows)
from .methods import Term, default_models, get_recipe, make_objective, resolve_terms
from .protocols import make_folds, write_folds
from .report import RunResult, _summarise
from .run_folder import (
    _atomic,
    _data_hash,
    _load_state,
    _prepare_out,
    _read_fold,
    _result_hash,
    _safe_name,
    _save_npz,
    _save_state,
    _verified,
    _write_fold_models,
    _write_json,
    _write_report,
    versions,
)

__all__ = [
    "DistillConfig",
    "RunResult",
    "config_from_cli",
    "load_distill_config",
    "run_distill",
    "versions",
]

logger = logging.getLogger("emopipe.distill.train")


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
        select_k = config.teacher_select_k
        t_name, s_name = default_models(  # a selection is one feature vector
            self.recipe, [False] if select_k else [cohort.is_raw(k) for k in self.t_keys],
            [cohort.is_raw(k) for k in self.s_keys],
            teacher_face=any(k.split(":")[0] == "face" and cohort.is_raw(k)
                             for k in self.t_keys))  # face frames, not OpenFace tables
        self.teacher_model = config.teacher_model or t_name
        self.student_model = config.student_model or s_name
        # models sized from the cached features' dims, the same for every fold
        t_inputs = cohort_inputs(cohort, self.t_keys)
        #: teacher_select_k: the flattened teacher columns' names and each fold's selection
        self.t_columns = [n for k in self.t_keys for n in _flat_names(cohort, k)]
        self.t_select = {}
        if config.teacher_select_k is not None:
            raw = [k for k in self.t_keys if cohort.is_raw(k)]
            if raw or not 1 <= config.teacher_select_k <= len(self.t_columns):
                raise ConfigError(
                    f"teacher_select_k={config.teacher_select_k}: it selects columns of "
                    f"feature teacher inputs and must lie in [1, {len(self.t_columns)}] (the "
                    f"teacher {config.teacher!r} has {len(self.t_columns)} columns"
                    + (f"; {', '.join(raw)} is a raw signal" if raw else "")
                    + "). Pick a K in that range over feature inputs, or drop teacher_select_k.")
            t_inputs = [InputMeta("teacher:selected", (config.teacher_select_k,))]
        self.t_plan = (plan_model(self.teacher_model, t_inputs, self.n_out,
                                  config.teacher_params)
                       if self.recipe.needs_teacher else None)
        self.s_plan = (None if config.teacher_only else
                       plan_model(self.student_model, cohort_inputs(cohort, self.s_keys),
                                  self.n_out, config.student_params))
        self.t_terms = resolve_terms(self.recipe.teacher, weights=None,
                                     params=config.loss_params)
        self.s_terms = resolve_terms(self.recipe.student, weights=config.loss_weights,
                                     params=config.loss_params)
        # the baseline student: the recipe's supervised term alone, at weight 1
        sup = "ce" if self.kind == "class" else "ccc"
        self.b_terms = [Term(sup, 1.0, dict(config.loss_params.get(sup, {})))]

    def inputs(self, keys, fold, scalers=None):
        """Standardised tensors of ``keys`` for every window (fitted scalers into ``scalers``)."""
        cfg, c = self.config, self.cohort
        fit_idx = self.rows if cfg.transductive else fold.train  # finite targets only
        out = []
        for key in keys:
            X = c.features[key]
            scaler = FoldScaler(cfg.normalise, time_axis=c.is_raw(key))
            if cfg.normalise != "none":
                scaler.fit(X[fit_idx], subject=c.subject[fit_idx])
            if scalers is not None:
                scalers[key] = scaler
            Xt = scaler.transform(X, subject=c.subject)
            if cfg.test_normalise == "test":  # transductive, declared in the config
                Xt = standardise_test_on_itself(Xt, X, fold.test, scope=cfg.normalise,
                                                subject=c.subject, time_axis=c.is_raw(key))
            out.append(torch.from_numpy(Xt).to(self.device))
        return out


def _flat_names(cohort, key):
    """Names of ``key``'s flattened columns: ``key[C3,beta]`` (channel x band) or ``key[i]``."""
    shape = tuple(cohort.features[key].shape[1:])
    meta = cohort.meta.get(key) or {}
    ch, bands = meta.get("ch_names"), meta.get("band_names")
    if len(shape) == 2 and ch is not None and bands is not None and \
            (len(ch), len(bands)) == shape:
        return [f"{key}[{c},{b}]" for c in ch for b in bands]
    return [f"{key}[{i}]" for i in range(int(np.prod(shape)))]


def _run_fold(run, k, fold, out):
    cfg = run.config
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
    scalers = {}
    XS = run.inputs(run.s_keys, fold, scalers)
    teacher = None
    t_out = None
    teacher_val = None
    if run.recipe.needs_teacher:
        XT = run.inputs(run.t_keys, fold, scalers)
        select = None
        if cfg.teacher_select_k is not None:
            # fitted on the fold's training windows and labels only
            flat = torch.cat([x.reshape(len(x), -1) for x in XT], dim=1)
            idx, score = select_columns(flat[tr].cpu().numpy(), run.y[fold.train],
                                        cfg.teacher_select_k, kind=run.kind)
            XT = [flat[:, torch.as_tensor(idx, device=dev)]]
            run.t_select[fold.name] = idx
            select = {"k": len(idx), "columns": idx.tolist(),
                      "names": [run.t_columns[i] for i in idx],
                      "scores": [float(score[i]) for i in idx]}
        torch.manual_seed(seed)
        teacher = run.t_plan.build().to(dev)
        XT = run.t_plan.arrange(XT)
        ckpt = None if out is None else out / "checkpoints" / name / "teacher.pt"
        tcache = None if out is None else out / "teacher_cache" / f"{name}.npz"
        resumable = cfg.resume and ckpt is not None and ckpt.is_file()
        if resumable and not _verified(ckpt):
            logger.info("%s: %s has no checksum (a run was killed while writing it); the "
                        "teacher is retrained", fold.name, ckpt)
            resumable = False
        if resumable:
            _load_state(ckpt, teacher, map_location=dev)
            info["teacher"] = {"resumed": True}
        else:
            info["teacher"] = _train_teacher(
                run, teacher, [x[tr] for x in XT], y_tr, ([x[va] for x in XT], y_va), seed + 1,
                f"{fold.name} teacher",
                unlabelled=[x[te] for x in XT] if cfg.mcc_on_test else None)
            if ckpt is not None and cfg.save_checkpoints:
                _save_state(ckpt, teacher)
        if select is not None:
            info["teacher"]["select"] = select
        z_tr, f_tr = _predict(teacher, [x[tr] for x in XT])
        z_va, f_va = _predict(teacher, [x[va] for x in XT])
        t_out = (z_tr, f_tr)
        extra = {}
        if cfg.teacher_targets == "cross_fit" and not cfg.teacher_only:
            t_out, info["teacher"]["cross_fit"] = _cross_fitted(
                run, fold, [x[tr] for x in XT], y_tr, ([x[va] for x in XT], y_va), seed, f_tr)
            extra = {"logits_train_in_sample": z_tr.cpu().numpy(),
                     "feat_train_in_sample": f_tr.cpu().numpy()}
        if cfg.teacher_centre != "none" and not cfg.teacher_only:
            t_out, info["teacher"]["centre"] = _centred(
                t_out, run.cohort.subject[fold.train], cfg.teacher_centre, extra)
        if tcache is not None and cfg.save_teacher_cache:
            _save_npz(tcache, train_idx=fold.train, val_idx=fold.val,
                      logits_train=t_out[0].cpu().numpy(), feat_train=t_out[1].cpu().numpy(),
                      logits_val=z_va.cpu().numpy(), feat_val=f_va.cpu().numpy(), **extra)
        preds["teacher"] = _predict(teacher, [x[te] for x in XT])[0].cpu().numpy()
        teacher_val = _score(run.kind, z_va, y_va) if len(fold.val) else None
    if not cfg.teacher_only:
        models = [("student", run.s_terms)]
        if cfg.compare_baseline and cfg.method != "none":
            models.append(("baseline", run.b_terms))
        for role, terms in models:
            torch.manual_seed(seed + 2)  # same initial weights for student and baseline
            student = run.s_plan.build().to(dev)
            Xs = run.s_plan.arrange(XS)
            kd = role == "student" and run.recipe.needs_teacher
            obj_gen = torch.Generator().manual_seed(seed + 3)
            s_dim = int(np.prod(feature_shape(student)[1:]))
            obj = make_objective(
                terms, s_dim=s_dim, t_dim=int(t_out[1].shape[1]) if kd else None,
                n_data=len(fold.train), n_classes=run.n_out if run.kind == "class" else None,
                bank_labels=y_tr.cpu() if (kd and run.kind == "class") else None,
                generator=obj_gen if kd else None).to(dev)
            if cfg.mcc_on_test:
                obj.on_unlabelled = ("mcc",)
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
                live_teacher=live, feedback=feedback,
                unlabelled=[x[te] for x in Xs] if cfg.mcc_on_test else None)
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
    training = {role: {k: v for k, v in i.items() if k != "history"} for role, i in info.items()}
    training["fold_seed"] = seed
    for role, i in info.items():
        if "history" in i:
            training[role]["val_scores"] = [h.get("val_score") for h in i["history"]]
            if any("kd_scale" in h for h in i["history"]):
                training[role]["kd_scale"] = [h.get("kd_scale") for h in i["history"]]
    if out is not None:
        # what reloads the fold (models, statistics, metadata), the training record, and
        # the predictions (the fold's resume key) last
        record, stats = _fold_record(run, k, fold, scalers)
        _write_fold_models(out, name, record, stats)
        _write_json(out / "predictions" / f"{name}.json", training, indent=1)
        _save_npz(out / "predictions" / f"{name}.npz",
                  **{k: np.asarray(v) for k, v in preds.items()})
    return preds, training




def _train_teacher(run, teacher, X_fit, y_fit, val, seed, desc, unlabelled=None):
    """Train ``teacher`` on ``X_fit``, ``y_fit`` (selection on ``val``); its training record.

    ``unlabelled`` (the test windows) is given only under the transductive
    ``mcc_on_test`` option: MCC then also runs on those unlabelled batches.
    Inner cross-fit teachers never get it.
    """
    cfg = run.config
    t_obj = make_objective(run.t_terms, n_classes=run.n_out if run.kind == "class"
                           else None).to(run.device)
    if unlabelled is not None:
        t_obj.on_unlabelled = ("mcc",)
    gen = torch.Generator().manual_seed(seed)
    return _train_model(
        teacher, t_obj, X_fit, y_fit, config=cfg, epochs=cfg.teacher_epochs or cfg.epochs,
        lr=cfg.teacher_lr or cfg.lr, kind=run.kind, gen=gen, desc=desc, val=val,
        unlabelled=unlabelled)


def _centred(t_out, subjects, how, extra):
    """The training windows' teacher outputs centred per subject (``teacher_centre``).

    Parameters
    ----------
    t_out : tuple of Tensor
        ``(logits, features)`` of the fold's training windows, shapes
        ``(n_windows, n_outputs)`` and ``(n_windows, ...)``.
    subjects : ndarray of str, shape (n_windows,)
        Subject of every training window.
    how : str
        ``"subject"`` (logits) or ``"subject_features"`` (logits and features).
    extra : dict
        Receives the uncentred arrays for the teacher cache (kept when
        cross-fitting already stored its in-sample ones).

    Returns
    -------
    t_out : tuple of Tensor
        The centred outputs.
    record : dict
        ``by``, the logit ``offsets`` per subject and, with the features,
        the norm of each subject's removed feature mean
        (``feature_offset_norms``).
    """
    z, f = t_out
    if "logits_train_in_sample" not in extra:
        extra["logits_train_uncentred"] = z.cpu().numpy()
    z_c, offsets = centre_by_group(z.cpu().numpy(), subjects)
    record = {"by": "subject", "offsets": offsets}
    z = torch.as_tensor(z_c, dtype=z.dtype, device=z.device)
    if how == "subject_features":
        if "feat_train_in_sample" not in extra:
            extra["feat_train_uncentred"] = f.cpu().numpy()
        flat = f.reshape(len(f), -1).cpu().numpy()
        f_c, f_off = centre_by_group(flat, subjects)
        f = torch.as_tensor(f_c.reshape(tuple(f.shape)), dtype=f.dtype, device=f.device)
        record.update(features=True, feature_offset_norms={
            k: round(float(np.linalg.norm(v)), 6) for k, v in f_off.items()})
    return (z, f), record


def _cross_fitted(run, fold, X_tr, y_tr, val, seed, f_tr):
    """Out-of-fold teacher targets of the fold's training windows and their record.

    Inner teacher ``j`` is seeded from the fold seed and ``j``, trains on the
    training trials outside group ``j`` (selection on the fold's validation
    windows, as the fold's teacher) and never sees the test windows.
    """
    cfg = run.config
    groups = inner_groups(fold.train, run.cohort.subject, run.cohort.trial,
                          cfg.teacher_folds, seed + 5)

    def train_inner(j, positions):
        torch.manual_seed(seed + 100 + j)
        model = run.t_plan.build().to(run.device)
        pos = torch.as_tensor(positions, device=run.device)
        rec = _train_teacher(run, model, [x[pos] for x in X_tr], y_tr[pos], val,
                             seed + 200 + j, f"{fold.name} inner teacher {j + 1}/{len(groups)}")
        return model, rec

    z, f, infos = cross_fit_targets(train_inner, _predict, X_tr, groups, f_tr)
    record = {"folds": len(groups), "group_sizes": [len(g) for g in groups],
              "inner_best_scores": [i["best_score"] for i in infos]}
    if run.kind == "class":
        record["train_label_agreement"] = float((z.argmax(1) == y_tr).float().mean())
    return (z, f), record


def _fold_record(run, k, fold, scalers):
    """``models/<fold>.json`` and the arrays of ``models/<fold>.npz`` of a fold.

    The record names each model's registry key and exact constructor
    arguments, its inputs with their cached metadata, the normalisation and
    the run's data identity; the arrays hold the fold's test windows and the
    fitted statistics of each input (``in<i>_mean`` ... for ``inputs[i]``).
    """
    cfg, c = run.config, run.cohort
    name = _safe_name(fold.name)
    roles = _roles(cfg, run)
    keys = list(dict.fromkeys(run.t_keys + run.s_keys))
    inputs, stats = [], {"test_idx": np.asarray(fold.test)}
    for i, key in enumerate(keys):
        scaler = scalers.get(key)
        inputs.append({"key": key, "dims": list(c.dims.get(key) or ()),
                       "shape": list(c.features[key].shape[1:]),
                       "meta": dict(c.meta.get(key, {})), "time_axis": c.is_raw(key),
                       "stats": f"in{i}"})
        for s, a in ({} if scaler is None else scaler.get_state()).items():
            stats[f"in{i}_{s}"] = a
    models = {}
    for role in roles:
        plan = run.t_plan if role == "teacher" else run.s_plan
        models[role] = {**plan.to_record(),
                        "inputs": run.t_keys if role == "teacher" else run.s_keys,
                        **({"select_columns": run.t_select[fold.name].tolist()}
                           if role == "teacher" and fold.name in run.t_select else {}),
                        "checkpoint": (f"checkpoints/{name}/{role}.pt"
                                       if cfg.save_checkpoints else None)}
    target = {"name": cfg.target, "kind": run.kind,
              "classes": None if run.classes is None else np.asarray(run.classes).tolist(),
              "n_outputs": run.n_out}
    record = {"schema": 1, "emopipe_version": versions()["emopipe"], "fold": fold.name,
              "index": k, "models": models, "inputs": inputs, "target": target,
              "normalise": {"scope": cfg.normalise, "transductive": cfg.transductive,
                            "test_normalise": cfg.test_normalise,
                            "mcc_on_test": cfg.mcc_on_test,
                            "stats": f"models/{name}.npz"},
              "n_threads": cfg.n_threads, "data_hash": run.data_hash, "cache": run.cache}
    return record, stats


def _roles(config, run):
    """The models each fold trains (and its stored predictions hold)."""
    roles = ["teacher"] if run.recipe.needs_teacher else []
    if not config.teacher_only:
        roles.append("student")
        if config.compare_baseline and config.method != "none":
            roles.append("baseline")
    return roles


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
    t0 = time.perf_counter()
    cache_files = None
    if cohort is None:
        if config.cache is None:
            raise ConfigError("config.cache is None and no cohort was given; set cache to the "
                             "folder written by 'emopipe extract'.")
        specs = [config.student] + ([config.teacher] if get_recipe(config.method).needs_teacher
                                    else [])
        cohort = load_cohort(config.cache, specs)
        cache_files = cohort.sources
    _check_type("cohort", cohort, (CohortData,))
    lock = None
    if config.out is not None:
        lock = FolderLock(config.out, what="run folder",
                          fix=", or give another --out folder.").acquire()
    try:
        return _run_locked(config, cohort, cache_files, t0)
    finally:
        if lock is not None:
            lock.release()


def _run_locked(config, cohort, cache_files, t0):
    """:func:`run_distill` once the run folder (if any) is locked."""
    data_hash = _data_hash(cohort, cache_files=cache_files)
    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    device = _device(config.device)
    try:
        # a fixed thread count: float sums, and so the metrics, depend on it
        torch.set_num_threads(config.n_threads)
        if config.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=device.type != "cpu")
        run = _Run(config, cohort, device)
        run.data_hash = data_hash
        run.cache = None
        if cache_files is not None:
            from ..cache.hdf5 import cache_identity

            run.cache = {"folder": str(config.cache), "files": cache_identity(cache_files)}
        # windows whose target is NaN (unannotated trials) are dropped before the folds
        run.rows, missing = target_rows(run.y, cohort.subject, target=config.target)
        r = run.rows
        folds, skipped = folds_on_rows(make_folds(
            config.protocol, cohort.subject[r], cohort.trial[r], session=cohort.session[r],
            labels=run.y[r] if run.kind == "class" else None, n_folds=config.n_folds,
            val_fraction=config.val_fraction, seed=config.seed), r)
        if config.max_folds is not None:
            folds = folds[:config.max_folds]
        out = None if config.out is None else _prepare_out(config, data_hash)
        if out is not None:
            with _atomic(out / "folds.csv") as tmp:
                write_folds(tmp, folds, cohort.subject, cohort.trial, cohort.window)
        logger.info("distill %s: teacher %s (%s) -> student %s (%s), %s, %d folds",
                    config.method, config.teacher, run.teacher_model, config.student,
                    run.student_model, config.protocol, len(folds))
        roles = _roles(config, run)
        all_preds = []
        training = {}
        n_resumed = 0
        for k, fold in enumerate(folds):
            path = None if out is None else out / "predictions" / f"{_safe_name(fold.name)}.npz"
            if config.resume and path is not None and path.is_file():
                preds, record = _read_fold(path, test_idx=fold.test, roles=roles,
                                           n_out=run.n_out)
                all_preds.append(preds)
                if record is not None:
                    training[fold.name] = record
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
        "n_threads": config.n_threads,
        "teacher_model": run.teacher_model if run.recipe.needs_teacher else None,
        "student_model": run.student_model, "teacher_inputs": run.t_keys,
        "student_inputs": run.s_keys, "transductive": config.transductive,
        "test_normalise": config.test_normalise, "mcc_on_test": config.mcc_on_test,
        "normalise": config.normalise, "selection": config.selection,
        "loss_terms": {"teacher": [dataclasses.asdict(t) for t in run.t_terms],
                       "student": [dataclasses.asdict(t) for t in run.s_terms]},
        "training": training, "data_hash": data_hash, "target_missing": missing,
        "skipped_folds": skipped,
        "result_hash": _result_hash(config, data_hash), "seconds": time.perf_counter() - t0,
        "std": "sample standard deviation (ddof=1)",
    })
    if out is not None:
        _write_report(out, rows_fold, rows_sub, summary)
    return RunResult(config, out, [f.name for f in folds], rows_fold, rows_sub, summary,
                     {f.name: p for f, p in zip(folds, all_preds)})
