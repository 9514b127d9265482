"""The ``emopipe distill`` config: :class:`DistillConfig`, its YAML reader and the CLI mapping.

CLI mapping (``emopipe distill``): every flag is a :class:`DistillConfig`
field with ``-`` for ``_`` (``--teacher-only`` -> ``teacher_only``);
:func:`config_from_cli` builds the config from ``vars(args)``, reading
``--config FILE`` first.
"""

import inspect
import logging
from dataclasses import dataclass, field

from ..utils._checks import _check_number, _check_option, _check_type, _close_match_hint
from ..utils._errors import ConfigError, ConfigTypeError
from ..utils.config import config_from_dict, config_to_dict, load_config
from ._centre import TEACHER_CENTRE
from .data import NORMALISE, TEST_NORMALISE
from .methods import METHODS, get_recipe
from .protocols import PROTOCOLS

#: config fields that do not change results (ignored when resuming a run). The
#: thread count is not one of them: float sums differ with it, so it is part of
#: the result (``n_threads``).
_RUNTIME_FIELDS = ("out", "device", "resume", "max_folds", "cache")

#: numeric field -> keyword arguments of :func:`~emopipe.utils._checks._check_number`
_NUMERIC = {
    "seed": dict(kind="int", low=0),
    "epochs": dict(kind="int", low=1),
    "teacher_epochs": dict(kind="int", low=1, none_ok=True),
    "batch_size": dict(kind="int", low=2, fix=" BatchNorm needs two windows per batch."),
    "lr": dict(low=0, low_open=True),
    "teacher_lr": dict(low=0, low_open=True, none_ok=True),
    "weight_decay": dict(low=0),
    "patience": dict(kind="int", low=0, fix=" 0 never stops early."),
    "n_folds": dict(kind="int", low=2),
    "val_fraction": dict(low=0, high=1, high_open=True),
    "feedback_every": dict(kind="int", low=1),
    "teacher_folds": dict(kind="int", low=2),
    "teacher_select_k": dict(kind="int", low=1, none_ok=True),
    "feedback_lr": dict(low=0, low_open=True),
    "n_threads": dict(kind="int", low=1, high=1024,
                      fix=" It is fixed per run (not the machine's core count) so that "
                          "results do not depend on the machine."),
    "max_folds": dict(kind="int", low=1, none_ok=True),
}


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
    test_normalise : str
        ``"train"`` (default: the test windows are standardised with the
        statistics of the fold's training windows) or ``"test"``
        (transductive, as the public CMCRD code does: the test windows are
        z-scored on their own statistics, per the ``normalise`` scope).
        Recorded in the run config (and so in its hash), in ``summary.json``
        and ``models/<fold>.json``.
    mcc_on_test : bool
        Transductive MCC, as the public CMCRD code does: every MCC term
        (CMCRD's teacher, and its student when weighted) is computed on a
        batch of the fold's unlabelled *test* windows drawn at each step,
        instead of on the training batch. Off by default (MCC on training
        batches); recorded like ``test_normalise``.
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
    teacher_targets : str
        What the student is distilled from on its training windows:
        ``"in_sample"`` (the fold's teacher, which was trained on those very
        windows and partly reproduces their labels) or ``"cross_fit"``
        (out-of-fold: each training window's logits and features come from
        an inner teacher that never saw its trial; see
        :mod:`emopipe.distill._cross_fit`). Not for feedback
        methods (``ekd``, ``bs25``), whose teacher is updated live.
    teacher_folds : int
        Inner folds of ``teacher_targets="cross_fit"`` (split by trial).
    teacher_select_k : int | None
        Keep only the ``K`` teacher input columns (all teacher inputs
        flattened and concatenated, standardised) with the largest
        univariate score on the fold's TRAINING windows and labels (ANOVA
        F for classes, ``|r|`` for a continuous target); the teacher then
        reads those ``K`` columns as one feature vector. Fitted per fold,
        never on validation or test windows; the indices are recorded in
        ``predictions/<fold>.json`` and ``models/<fold>.json``. ``None``
        (default): every column.
    teacher_centre : str
        ``"none"`` (default), ``"subject"`` or ``"subject_features"``:
        before distillation, subtract
        from each training window's teacher logits the mean teacher logits
        of its subject's training windows. Under a cross-subject protocol a
        teacher's logits carry each training subject's offset (the subject's
        baseline signal levels and report bias, which no test subject
        shares); a student matching them learns to read the subject from
        its own modality's baselines, which does not transfer. Centring
        keeps only the within-subject variation. ``"subject_features"``
        does the same to the teacher's penultimate features of the training
        windows (flattened per window), which the feature methods distil.
        Uses training windows only; validation / test windows are never
        touched, and ``"subject"`` leaves the features as they are. Not for
        feedback methods (``ekd``, ``bs25``), whose teacher is updated live.
    feedback_every : int
        Student steps between teacher feedback updates (EKD, BS25).
    feedback_lr : float
        Teacher learning rate of the feedback updates.
    feedback_first_order : bool
        Drop second-order terms of the feedback look-ahead.
    n_threads : int
        Threads of each run (``torch.set_num_threads`` inside the run, the
        caller's count restored after). Fixed by the config, not taken from
        the machine, because float sums (and so the metrics) change with it;
        it is part of the result hash and recorded in ``versions.json``.
        Parallelism comes from running folds or runs side by side.
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
    test_normalise: str = "train"
    mcc_on_test: bool = False
    teacher_model: str | None = None
    student_model: str | None = None
    teacher_params: dict = field(default_factory=dict)
    student_params: dict = field(default_factory=dict)
    loss_weights: dict = field(default_factory=dict)
    loss_params: dict = field(default_factory=dict)
    compare_baseline: bool = True
    teacher_targets: str = "in_sample"
    teacher_folds: int = 5
    teacher_select_k: int | None = None
    teacher_centre: str = "none"
    feedback_every: int = 1
    feedback_lr: float = 5e-5
    feedback_first_order: bool = False
    n_threads: int = 1
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
        _check_option("test_normalise", self.test_normalise, TEST_NORMALISE)
        _check_option("teacher_targets", self.teacher_targets, ("in_sample", "cross_fit"))
        _check_option("teacher_centre", self.teacher_centre, TEACHER_CENTRE)
        for name, rule in _NUMERIC.items():
            _check_number(name, getattr(self, name), **rule)
        for name in ("teacher_only", "transductive", "mcc_on_test", "compare_baseline",
                     "feedback_first_order",
                     "deterministic", "save_teacher_cache", "save_checkpoints", "resume"):
            _check_type(name, getattr(self, name), (bool,))
        for name in ("teacher_params", "student_params", "loss_weights", "loss_params"):
            _check_type(name, getattr(self, name), (dict,))
        if self.teacher_only and not get_recipe(self.method).needs_teacher:
            raise ConfigError(
                "teacher_only=True needs a method with a teacher, got method='none'. Pick the "
                "method whose teacher you want (e.g. 'hinton_kd')."
            )
        if self.teacher_select_k is not None and not get_recipe(self.method).needs_teacher:
            raise ConfigError(
                f"teacher_select_k={self.teacher_select_k} selects teacher inputs, but method "
                f"{self.method!r} has no teacher. Drop teacher_select_k or pick a method with "
                f"a teacher (e.g. 'hinton_kd')."
            )
        # options that act on fixed teacher outputs: none under a live (feedback) teacher
        for name, off, what in (("teacher_centre", "none", "logits to centre"),
                                ("teacher_targets", "in_sample", "targets to cross-fit")):
            value = getattr(self, name)
            if value != off and get_recipe(self.method).feedback is not None:
                raise ConfigError(
                    f"{name}={value!r} cannot be used with method {self.method!r}: its teacher "
                    f"is updated during student training (feedback), so there are no fixed "
                    f"{what}. Use {name}={off!r} or a method without feedback (e.g. "
                    f"'hinton_kd')."
                )
        _check_losses(self)


def _method_terms(config):
    """``(weighted, all)``: loss names whose weight the config may set, and every loss built.

    The weights are those of the student objective; the parameters reach
    the teacher's, the student's and the baseline's terms alike.
    """
    recipe = get_recipe(config.method)
    student = [t.loss for t in recipe.student]
    built = [t.loss for t in recipe.teacher] + student
    built.append("ce" if recipe.target_kind == "class" else "ccc")  # the baseline's term
    return list(dict.fromkeys(student)), list(dict.fromkeys(built))


def _unknown_loss(field_name, key, allowed, method):
    from .losses import LOSSES

    where = (f"{key!r} is a loss, but method {method!r} has no {key!r} term"
             if key in LOSSES.names() else f"{key!r} is not a loss")
    return ConfigError(
        f"{field_name} has unknown key {key!r} ({where}). Its keys must be terms of method "
        f"{method!r}: {', '.join(repr(a) for a in allowed)}.{_close_match_hint(key, allowed)}"
    )


def _check_losses(config):
    """Refuse ``loss_weights`` / ``loss_params`` keys and values the run would reject.

    Every key must be a term of the method, every parameter one of that
    loss's constructor, and every loss given parameters is built once here
    with small stand-in fold sizes, so a bad value is a named error now
    rather than after the first teacher has trained.
    """
    weighted, built = _method_terms(config)
    for key, weight in config.loss_weights.items():
        if key not in weighted:
            raise _unknown_loss("loss_weights", key, weighted, config.method)
        _check_number(f"loss_weights[{key!r}]", weight, low=0, fix=" 0 drops the term.")
    for key, params in config.loss_params.items():
        if key not in built:
            raise _unknown_loss("loss_params", key, built, config.method)
        if not isinstance(params, dict):
            raise ConfigTypeError(
                f"loss_params[{key!r}] must be a mapping of parameter -> value, e.g. "
                f"{{'tau': 4.0}}, got {type(params).__name__} ({params!r:.60})."
            )
    if config.loss_params:
        _try_losses(config)


def _try_losses(config):
    """Build each loss that ``loss_params`` sets, with stand-in fold sizes."""
    import torch

    from .losses import FOLD_ARGUMENTS, LOSSES

    recipe = get_recipe(config.method)
    terms = list(recipe.teacher) + list(recipe.student)
    sup = "ce" if recipe.target_kind == "class" else "ccc"
    if not any(t.loss == sup for t in terms):
        from .methods import Term

        terms.append(Term(sup))
    # two training windows of two classes, feature size 2 (enough for every constructor)
    pool = {"s_dim": 2, "t_dim": 2, "n_data": 2, "n_classes": 2,
            "bank_labels": torch.tensor([0, 1])}
    quiet = [logging.getLogger(n) for n in ("emopipe.distill.losses._contrastive",
                                            "emopipe.distill.losses._memory")]
    for term in terms:
        user = config.loss_params.get(term.loss)
        if not user:
            continue
        cls = LOSSES.get(term.loss)
        accepted = list(inspect.signature(cls).parameters)
        settable = [k for k in accepted if k not in FOLD_ARGUMENTS]
        for key in user:
            if key in FOLD_ARGUMENTS and key in accepted:
                raise ConfigError(
                    f"loss_params[{term.loss!r}][{key!r}] is filled from each fold "
                    f"({FOLD_ARGUMENTS[key]}) and cannot be set. Remove it; {cls.__name__} "
                    f"takes {', '.join(repr(k) for k in settable) or 'no parameters'}."
                )
            if key not in accepted:
                raise ConfigError(
                    f"loss_params[{term.loss!r}] has unknown parameter {key!r}; "
                    f"{cls.__name__} takes {', '.join(repr(k) for k in settable) or 'none'}."
                    f"{_close_match_hint(key, settable)}"
                )
        kwargs = {k: v for k, v in pool.items() if k in cls.needs}
        if "generator" in cls.needs:
            kwargs["generator"] = torch.Generator().manual_seed(0)
        kwargs.update(term.params)
        kwargs.update(user)
        was = [lg.disabled for lg in quiet]
        try:
            for lg in quiet:
                lg.disabled = True  # the stand-in n_data clips nce_k with a warning
            with torch.random.fork_rng(devices=[]):  # leave the global RNG as it was
                cls(**kwargs)
        except (ValueError, TypeError) as err:
            kind = ConfigTypeError if isinstance(err, TypeError) else ConfigError
            raise kind(f"loss_params[{term.loss!r}]: {err}") from None
        finally:
            for lg, w in zip(quiet, was):
                lg.disabled = w


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
    example = "distill:\n  method: hinton_kd\n  teacher: eeg\n  student: eog"
    return load_config(path, DistillConfig, section="distill", bare_ok=True, empty_ok=False,
                       example=example)


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
