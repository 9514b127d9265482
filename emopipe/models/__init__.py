"""Layer 4: PyTorch teachers and students (imports only ``emopipe.utils`` and torch).

Every model is built from keyword sizes, registered in ``MODELS`` under a
snake_case name, and returns ``(out, feat)`` from ``forward``; see
:class:`EmoModule`.
"""

from ._blocks import EmoModule, feature_shape, n_conv_tokens, output_shape
from ._registry import MODELS, build_model, register_model
from .students import (
    CNN1d,
    DGCNN,
    EEGNetMini,
    EKDStudent,
    MLP,
    BiLSTMRegressor,
    TCNRegressor,
)
from .teachers import ConcatTeacher, EKDTeacher, FaceTCN, FusionMLP

__all__ = [
    "BiLSTMRegressor",
    "CNN1d",
    "ConcatTeacher",
    "DGCNN",
    "EEGNetMini",
    "EKDStudent",
    "EKDTeacher",
    "EmoModule",
    "FaceTCN",
    "FusionMLP",
    "MLP",
    "MODELS",
    "TCNRegressor",
    "build_model",
    "feature_shape",
    "n_conv_tokens",
    "output_shape",
    "register_model",
]
