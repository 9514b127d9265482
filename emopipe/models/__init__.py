"""Layer 4: PyTorch teachers and students (imports only ``emopipe.utils`` and torch).

Every model is built from keyword sizes, registered in ``MODELS`` under a
snake_case name, and returns ``(out, feat)`` from ``forward``; see
:class:`EmoModule`. Importing this package fills ``MODELS``: the two model
modules below are imported here, explicitly, and an import failure is an
error.
"""

from ._base import SIGNAL_ARGS, EmoModule, feature_shape, output_shape
from ._registry import MODELS, build_model, register_model
from ._transformer import n_conv_tokens
from .students import (
    CNN1d,
    DGCNN,
    EEGNetMini,
    EKDStudent,
    MLP,
    BiLSTMRegressor,
    Linear,
    TCNRegressor,
    TCNWindowRegressor,
)
from .teachers import ConcatTeacher, EKDTeacher, FaceTCN, FaceWindowTCN, FusionMLP

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
    "FaceWindowTCN",
    "FusionMLP",
    "Linear",
    "MLP",
    "MODELS",
    "SIGNAL_ARGS",
    "TCNRegressor",
    "TCNWindowRegressor",
    "build_model",
    "feature_shape",
    "n_conv_tokens",
    "output_shape",
    "register_model",
]
