"""Convolutional trunks: the 1-D CNN of raw windows and the per-frame face CNN."""

from torch import nn
from ..utils._errors import ConfigError


class CNN1dEncoder(nn.Module):
    """Small 1-D CNN trunk: ``[Conv1d -> BN -> ReLU (-> MaxPool 2)] x len(widths)`` -> global mean.

    Convolutions are "same"-padded; all but the last stage halve the length.

    Parameters
    ----------
    n_channels : int
        Input channels.
    n_times : int
        Samples per window.
    widths : sequence of int
        Filters per stage.
    kernel_sizes : sequence of int
        Kernel length per stage (odd).
    """

    def __init__(self, n_channels, n_times, *, widths=(16, 32, 64), kernel_sizes=(7, 5, 3)):
        super().__init__()
        if len(widths) != len(kernel_sizes) or not widths:
            raise ConfigError(
                f"widths and kernel_sizes must have the same non-zero length, got "
                f"{len(widths)} and {len(kernel_sizes)}."
            )
        min_times = 2 ** (len(widths) - 1)
        if n_times < min_times:
            raise ConfigError(
                f"n_times must be >= {min_times} samples for {len(widths)} stages "
                f"(each but the last halves the length), got {n_times}."
            )
        stages = []
        n_in = n_channels
        for i, (w, k) in enumerate(zip(widths, kernel_sizes)):
            layers = [nn.Conv1d(n_in, w, k, padding=k // 2), nn.BatchNorm1d(w), nn.ReLU()]
            if i < len(widths) - 1:
                layers.append(nn.MaxPool1d(2))
            stages.append(nn.Sequential(*layers))
            n_in = w
        self.stages = nn.ModuleList(stages)
        self.out_dim = widths[-1]

    def forward(self, x):
        """Encode a window.

        Parameters
        ----------
        x : Tensor, shape (batch, n_channels, n_times)
            Signal window.

        Returns
        -------
        outs : list of Tensor
            Stage maps ``(batch, widths[i], n_times_i)`` for all but the last
            stage, then the pooled embedding ``(batch, widths[-1])``.
        """
        outs = []
        for stage in self.stages:
            x = stage(x)
            outs.append(x)
        outs[-1] = x.mean(dim=-1)
        return outs


class FrameCNN(nn.Module):
    """Small per-frame face CNN: 4 conv stages -> global mean -> ``Linear(256, embed_dim)`` -> BN.

    Stands in for V2E's IR-ResNet-50 (which needs a face-recognition
    checkpoint); weights of a compatible network can be loaded with
    :meth:`FaceTCN.load_backbone`.

    Parameters
    ----------
    embed_dim : int
        Frame embedding size (512).
    widths : sequence of int
        Filters per stage; each stage is ``Conv3x3 -> BN -> ReLU`` and all
        but the last halve the resolution.
    dropout : float
        Dropout before the embedding layer (0.4 as V2E's head).
    """

    def __init__(self, embed_dim=512, widths=(32, 64, 128, 256), dropout=0.4):
        super().__init__()
        stages, n_in = [], 1
        for i, w in enumerate(widths):
            layers = [nn.Conv2d(n_in, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
            if i < len(widths) - 1:
                layers.append(nn.MaxPool2d(2))
            stages.append(nn.Sequential(*layers))
            n_in = w
        self.stages = nn.ModuleList(stages)
        self.head = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(n_in, embed_dim), nn.BatchNorm1d(embed_dim)
        )

    def forward(self, x):
        """Embed frames.

        Parameters
        ----------
        x : Tensor, shape (n_frames, 1, height, width)
            Grey frames.

        Returns
        -------
        emb : Tensor, shape (n_frames, embed_dim)
            Frame embeddings.
        """
        for stage in self.stages:
            x = stage(x)
        return self.head(x.mean(dim=(2, 3)))
