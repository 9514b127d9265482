"""Temporal convolutional network of V2E (docs/methods.md §3, after Bai et al. 2018)."""

from torch import nn
from torch.nn.utils.parametrizations import weight_norm

from ..utils._errors import ConfigError
from ._base import _check_size


class Chomp1d(nn.Module):
    """Drop the last ``chomp`` time steps, making a padded convolution causal.

    Parameters
    ----------
    chomp : int
        Number of trailing steps removed, ``(kernel_size - 1) * dilation``.
    """

    def __init__(self, chomp):
        super().__init__()
        self.chomp = int(chomp)

    def forward(self, x):
        """Crop the time axis.

        Parameters
        ----------
        x : Tensor, shape (batch, n_channels, n_steps + chomp)
            Output of a convolution padded by ``chomp`` on both sides.

        Returns
        -------
        x : Tensor, shape (batch, n_channels, n_steps)
            Causal part.
        """
        return x[..., : x.shape[-1] - self.chomp] if self.chomp else x


def _wn_conv(n_in, n_out, kernel_size, dilation):
    conv = nn.Conv1d(
        n_in, n_out, kernel_size, padding=(kernel_size - 1) * dilation, dilation=dilation
    )
    nn.init.normal_(conv.weight, 0.0, 0.01)  # as the reference TCN, before weight norm
    return weight_norm(conv)


class TemporalBlock(nn.Module):
    """One TCN level: ``[weight-normed Conv1d -> chomp -> PReLU -> Dropout] x 2`` + residual.

    Parameters
    ----------
    n_in : int
        Input width.
    n_out : int
        Output width; a 1x1 convolution matches the residual when it differs
        from ``n_in``.
    kernel_size : int
        Kernel length in steps.
    dilation : int
        Dilation of both convolutions.
    dropout : float
        Dropout probability after each activation.
    """

    def __init__(self, n_in, n_out, kernel_size, dilation, dropout):
        super().__init__()
        chomp = (kernel_size - 1) * dilation
        self.net = nn.Sequential(
            _wn_conv(n_in, n_out, kernel_size, dilation),
            Chomp1d(chomp),
            nn.PReLU(),
            nn.Dropout(dropout),
            _wn_conv(n_out, n_out, kernel_size, dilation),
            Chomp1d(chomp),
            nn.PReLU(),
            nn.Dropout(dropout),
        )
        self.downsample = nn.Conv1d(n_in, n_out, 1) if n_in != n_out else None
        if self.downsample is not None:
            nn.init.normal_(self.downsample.weight, 0.0, 0.01)
        self.activation = nn.PReLU()

    def forward(self, x):
        """Apply the level.

        Parameters
        ----------
        x : Tensor, shape (batch, n_in, n_steps)
            Input sequence.

        Returns
        -------
        y : Tensor, shape (batch, n_out, n_steps)
            Output; ``y[..., t]`` depends on ``x[..., :t + 1]`` only.
        """
        res = x if self.downsample is None else self.downsample(x)
        return self.activation(self.net(x) + res)


class TemporalConvNet(nn.Module):
    """Stack of causal :class:`TemporalBlock` levels with dilation ``2**i``.

    Parameters
    ----------
    n_in : int
        Input width (features per step).
    channels : sequence of int
        Width of each level; V2E uses ``(128, 128)``.
    kernel_size : int
        Kernel length in steps.
    dropout : float
        Dropout probability.

    Attributes
    ----------
    receptive_field : int
        ``1 + 2 * (kernel_size - 1) * sum(dilations)`` steps (13 for V2E).
    """

    def __init__(self, n_in, channels=(128, 128), *, kernel_size=3, dropout=0.1):
        super().__init__()
        channels = [_check_size("channels[i]", c) for c in channels]
        if not channels:
            raise ConfigError("channels must list at least one TCN level width, got [].")
        kernel_size = _check_size("kernel_size", kernel_size)
        dilations = [2**i for i in range(len(channels))]
        widths = [n_in] + channels
        self.levels = nn.ModuleList(
            TemporalBlock(widths[i], widths[i + 1], kernel_size, d, dropout)
            for i, d in enumerate(dilations)
        )
        self.receptive_field = 1 + 2 * (kernel_size - 1) * sum(dilations)
        self.out_dim = channels[-1]

    def forward(self, x):
        """Run all levels and return each level's output.

        Parameters
        ----------
        x : Tensor, shape (batch, n_in, n_steps)
            Input sequence, features on the channel axis.

        Returns
        -------
        outs : list of Tensor, shape (batch, channels[i], n_steps)
            Output of every level; the last is the TCN output.
        """
        outs = []
        for level in self.levels:
            x = level(x)
            outs.append(x)
        return outs


