"""The ``emopipe distill`` config: :class:`DistillConfig`, its YAML reader and the CLI mapping.

CLI mapping (``emopipe distill``): every flag is a :class:`DistillConfig`
field with ``-`` for ``_`` (``--teacher-only`` -> ``teacher_only``);
:func:`config_from_cli` builds the config from ``vars(args)``, reading
``--config FILE`` first.
"""

from dataclasses import dataclass, field
from pathlib import Path

from ..utils._checks import _check_option, _check_type
from ..utils._errors import ConfigError
from ..utils.config import config_from_dict, config_to_dict, read_yaml
from .data import NORMALISE
from .methods import METHODS, get_recipe
from .protocols import PROTOCOLS

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
            raise ConfigError(
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
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Config file {str(path)!r} does not exist.")
    data = read_yaml(path)
    if isinstance(data, dict) and "distill" in data:
        data = data["distill"]
    return config_from_dict(DistillConfig, data, source=path.name)


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
