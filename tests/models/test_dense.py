"""Dense blocks: the EmotionKD classifier with and without activation."""

import pytest
import torch

from emopipe.models._dense import DenseClassifier


def test_classifier_without_activation_is_affine():
    torch.manual_seed(0)
    x, y = torch.randn(4, 10), torch.randn(4, 10)
    lin = DenseClassifier(10, 2, hidden=8, activation=None).eval()
    zero = torch.zeros(1, 10)
    with torch.no_grad():
        assert torch.allclose(lin(x + y) - lin(y), lin(x) - lin(zero), atol=1e-5)
        relu = DenseClassifier(10, 2, hidden=8, activation="relu").eval()
        assert not torch.allclose(relu(x + y) - relu(y), relu(x) - relu(zero), atol=1e-3)
    with pytest.raises(ValueError, match=r"'classifier_activation'.*'relu', None, but got 'gelu'"):
        DenseClassifier(10, 2, activation="gelu")
