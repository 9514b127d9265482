"""Dense blocks: the CMCRD ``DNN_Net`` block and the EmotionKD classifier."""

from torch import nn

from ..utils._checks import _check_option
from ._base import _check_dropout


class DNNBlock(nn.Sequential):
    """``Linear -> BN -> ReLU -> Linear(hidden, hidden) -> BN -> ReLU`` (CMCRD ``DNN_Net``).

    Parameters
    ----------
    n_in : int
        Input size.
    hidden : int
        Width of both linear layers.
    """

    def __init__(self, n_in, hidden):
        super().__init__(
            nn.Linear(n_in, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
        )


class DenseClassifier(nn.Sequential):
    """EmotionKD classifier: ``Dropout -> [Dense(hidden) (-> act)] x n_layers -> Dense(n_outputs)``.

    Parameters
    ----------
    n_in : int
        Input size.
    n_outputs : int
        Number of outputs: classes (logits), or 1 for a continuous target.
    hidden : int
        Width of the hidden layers.
    n_layers : int
        Number of hidden layers.
    dropout : float
        Input dropout.
    activation : str | None
        ``"relu"`` (emopipe default) or ``None`` (no activation, as in the
        reference code, which makes the stack one linear map).
    """

    def __init__(self, n_in, n_outputs, *, hidden=128, n_layers=3, dropout=0.5, activation="relu"):
        _check_option("classifier_activation", activation, ("relu", None))
        layers = [nn.Dropout(dropout)]
        for i in range(n_layers):
            layers.append(nn.Linear(n_in if i == 0 else hidden, hidden))
            if activation == "relu":
                layers.append(nn.ReLU())
        layers.append(nn.Linear(hidden if n_layers else n_in, n_outputs))
        super().__init__(*layers)


def _ekd_classifier(n_in, n_outputs, hidden, dropout, activation):
    """The :class:`DenseClassifier` of the EmotionKD models, ``dropout`` checked as
    ``classifier_dropout``."""
    return DenseClassifier(
        n_in,
        n_outputs,
        hidden=hidden,
        dropout=_check_dropout("classifier_dropout", dropout),
        activation=activation,
    )


