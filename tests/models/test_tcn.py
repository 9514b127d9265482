"""TCN: chomp, causality and receptive field, one output per level."""

import pytest
import torch

from emopipe.models._tcn import Chomp1d, TemporalConvNet


def test_chomp_removes_trailing_steps():
    x = torch.arange(10.0).view(1, 1, 10)
    assert Chomp1d(3)(x).flatten().tolist() == list(range(7))
    assert Chomp1d(0)(x).shape == x.shape


def _influence(tcn, n_steps, t, n_in=3):
    """Output steps whose value changes when input step ``t`` is perturbed."""
    # float64: with the TCN's N(0, 0.01) initial weights, paths through several
    # convolutions carry ~1e-9 of the perturbation, below float32 resolution
    x = torch.randn(2, n_in, n_steps, dtype=torch.float64)
    x2 = x.clone()
    x2[:, :, t] += 1.0
    with torch.no_grad():
        diff = (tcn(x2)[-1] - tcn(x)[-1]).abs().amax(dim=(0, 1))  # (n_steps,)
    return torch.nonzero(diff > 0).flatten().tolist()


@pytest.mark.parametrize(
    "channels, kernel, expected_rf",
    [((128, 128), 3, 13), ((8, 8, 8), 2, 15), ((8,), 5, 9)],
)
def test_tcn_is_causal_with_the_stated_receptive_field(channels, kernel, expected_rf):
    torch.manual_seed(0)
    tcn = TemporalConvNet(3, channels, kernel_size=kernel, dropout=0.1).double().eval()
    # 1 + 2 * (k - 1) * sum(2**i)
    assert tcn.receptive_field == 1 + 2 * (kernel - 1) * sum(2**i for i in range(len(channels)))
    assert tcn.receptive_field == expected_rf
    n_steps, t = 40, 7
    affected = _influence(tcn, n_steps, t)
    # nothing before t changes (causal), and exactly the receptive field after it does
    assert affected == list(range(t, t + expected_rf))


def test_tcn_output_is_length_preserving_and_has_one_output_per_level():
    torch.manual_seed(0)
    tcn = TemporalConvNet(5, (6, 7), kernel_size=3).eval()
    outs = tcn(torch.randn(2, 5, 11))
    assert [tuple(o.shape) for o in outs] == [(2, 6, 11), (2, 7, 11)]
    with pytest.raises(ValueError, match=r"channels must list at least one"):
        TemporalConvNet(5, ())
