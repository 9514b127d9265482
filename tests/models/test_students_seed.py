"""The CMCRD backbones on SEED inputs: (62 channels x 5 bands) DE and 31/33-d eye vectors.

Parameter counts are the closed forms of the docstrings, summed layer by layer.
"""

import numpy as np
import pytest
import torch

from emopipe.distill._build import cohort_inputs, plan_model
from emopipe.distill.data import CohortData

INPUTS = {"eeg:official_de": ((62, 5), ("window", "channel", "band")),
          "eye:seed_iv": ((31,), ("window", "feature")),
          "eye:seed_v": ((33,), ("window", "feature"))}


def _cohort(n=6):
    feats = {k: np.random.default_rng(1).normal(size=(n,) + shape)
             for k, (shape, _) in INPUTS.items()}
    return CohortData.from_arrays(feats, subject=["1"] * n, trial=np.arange(n),
                                  labels={"emotion": np.zeros(n)},
                                  dims={k: d for k, (_, d) in INPUTS.items()})


def _mlp(n_in, k):  # two blocks Linear-BN-ReLU-Linear-BN-ReLU of 128, then Linear(128, K)
    block = lambda a: a * 128 + 128 + 256 + 128 * 128 + 128 + 256  # noqa: E731
    return block(n_in) + block(128) + 128 * k + k


def _eegnet(c, f, k):  # conv 1x1 (8), BN, depthwise (C x 1, 16), BN, sep 1x1 + point 16x16, BN
    return 8 + 16 + 16 * c + 32 + 16 + 256 + 32 + 16 * f * k + k


def _dgcnn(n_nodes, p, k):  # BN(p), adjacency, 2 Chebyshev weights, 16N -> 64 -> K
    return 2 * p + n_nodes ** 2 + 2 * p * 16 + 16 * n_nodes * 64 + 64 + 64 * k + k


@pytest.mark.parametrize("model, key, k, kwargs, n_params, feat_dim", [
    ("mlp", "eeg:official_de", 4, {"n_features": 310}, _mlp(310, 4), 128),
    ("mlp", "eye:seed_iv", 4, {"n_features": 31}, _mlp(31, 4), 128),
    ("mlp", "eye:seed_v", 5, {"n_features": 33}, _mlp(33, 5), 128),
    ("eegnet_mini", "eeg:official_de", 4, {"n_channels": 62, "n_features": 5},
     _eegnet(62, 5, 4), 80),
    ("eegnet_mini", "eye:seed_iv", 4, {"n_channels": 1, "n_features": 31}, _eegnet(1, 31, 4),
     496),
    ("eegnet_mini", "eye:seed_v", 5, {"n_channels": 1, "n_features": 33}, _eegnet(1, 33, 5),
     528),
    ("dgcnn", "eeg:official_de", 4, {"n_channels": 62, "n_features": 5}, _dgcnn(62, 5, 4), 992),
    ("dgcnn", "eye:seed_iv", 4, {"n_channels": 1, "n_features": 31}, _dgcnn(31, 1, 4), 496),
    ("dgcnn", "eye:seed_v", 5, {"n_channels": 1, "n_features": 33}, _dgcnn(33, 1, 5), 528),
])
def test_backbone_sizes_on_seed_inputs(model, key, k, kwargs, n_params, feat_dim):
    cohort = _cohort()
    plan = plan_model(model, cohort_inputs(cohort, [key]), k)
    assert plan.kwargs == {**kwargs, "n_outputs": k}
    net = plan.build().eval()
    assert sum(p.numel() for p in net.parameters()) == n_params
    assert net.feat_dim == feat_dim
    (x,) = plan.arrange([torch.from_numpy(cohort.features[key])])
    z, feat = net(x)
    assert z.shape == (6, k) and feat.shape == (6, feat_dim)


def test_dgcnn_takes_an_eye_vector_as_a_graph_of_its_features():
    from emopipe.models.students import DGCNN

    net = DGCNN(n_channels=1, n_features=33, n_outputs=5).eval()
    assert net.adjacency.shape == (33, 33) and net.weights.shape == (2, 1, 16)
    x = torch.randn(4, 1, 33)
    ref = DGCNN(n_channels=33, n_features=1, n_outputs=5).eval()
    ref.load_state_dict(net.state_dict())
    z, _ = net(x)
    assert torch.allclose(z, ref(x.transpose(1, 2))[0])  # the same graph on (33 nodes x 1)
