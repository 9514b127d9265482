"""Tensors and reference helpers shared by the loss tests."""

import numpy as np
import torch


def _t(a, dtype=torch.float64):
    return torch.tensor(np.asarray(a), dtype=dtype)


def _f(x):
    """Python float of a scalar tensor (detached) or number."""
    return float(x.detach()) if isinstance(x, torch.Tensor) else float(x)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


Z_S = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.0]])
Z_T = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
Y = np.array([0, 2])
