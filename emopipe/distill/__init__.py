"""Layer 5: knowledge distillation on the feature cache.

Protocols (:data:`PROTOCOLS`), cohort inputs (:class:`CohortData`), the
KD loss catalogue (:data:`LOSSES`), method recipes (:data:`METHODS`),
metrics and the training driver (:func:`run_distill`). Importing this
package imports torch; the CLI imports it inside the ``distill`` command.
"""

from .losses import LOSSES, ContrastMemory, register_loss
from .data import (
    CohortData,
    FoldScaler,
    cohort_from_subjects,
    load_cohort,
    parse_spec,
)
from .feedback import DynamicKDWeight, ekd_feedback_step
from .losses import (
    AttentionLoss,
    CCCLoss,
    CELoss,
    CMCRDLoss,
    CRDLoss,
    HintLoss,
    HintonKDLoss,
    L1FeatureLoss,
    MCCLoss,
    MLKDLoss,
    NSTLoss,
    PKTLoss,
    RKDLoss,
    SPLoss,
)
from .methods import METHODS, Recipe, Term, default_models, get_recipe, make_objective
from .metrics import (
    accuracy,
    average_overlapping,
    balanced_accuracy,
    ccc,
    classification_scores,
    f1_macro,
    paired_tests,
    pcc,
    regression_scores,
    rmse,
)
from .protocols import PROTOCOLS, Fold, carve_validation, make_folds, read_folds, write_folds
from .config import DistillConfig, config_from_cli, load_distill_config
from .report import RunResult
from .run_folder import versions
from .run_reader import Run, RunFold, load_run
from .train import run_distill

__all__ = [
    "Run",
    "RunFold",
    "load_run",
    "AttentionLoss",
    "CCCLoss",
    "CELoss",
    "CMCRDLoss",
    "CRDLoss",
    "CohortData",
    "ContrastMemory",
    "DistillConfig",
    "DynamicKDWeight",
    "Fold",
    "FoldScaler",
    "HintLoss",
    "HintonKDLoss",
    "L1FeatureLoss",
    "LOSSES",
    "MCCLoss",
    "METHODS",
    "MLKDLoss",
    "NSTLoss",
    "PKTLoss",
    "PROTOCOLS",
    "RKDLoss",
    "Recipe",
    "RunResult",
    "SPLoss",
    "Term",
    "accuracy",
    "average_overlapping",
    "balanced_accuracy",
    "carve_validation",
    "ccc",
    "classification_scores",
    "cohort_from_subjects",
    "config_from_cli",
    "default_models",
    "ekd_feedback_step",
    "f1_macro",
    "get_recipe",
    "load_cohort",
    "load_distill_config",
    "make_folds",
    "make_objective",
    "paired_tests",
    "parse_spec",
    "pcc",
    "read_folds",
    "register_loss",
    "regression_scores",
    "rmse",
    "run_distill",
    "versions",
    "write_folds",
]
