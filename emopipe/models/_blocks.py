"""Building blocks shared by the teachers and students.

The base class :class:`EmoModule` fixes the contract every model follows:
``forward(*inputs) -> (out, feat)``, ``features(*inputs) -> list``, the
attributes ``feat_dim`` and ``n_inputs`` and the ``input_shapes`` property
used by :func:`output_shape` for a dry forward pass (braindecode's
``EEGModuleMixin``). The blocks are the TCN of V2E (§3 of methods.md), the
transformer encoder, score block and fusions of EmotionKD (§4) and the
convolutional token head of EmotionKD.
"""

import logging
import math

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import weight_norm

from ..utils._checks import _check_option, _check_positive, _check_shape, _check_type

logger = logging.getLogger("emopipe.models")

# Keras BatchNormalization defaults (EmotionKD is a Keras model): eps 1e-3,
# moving-average momentum 0.99, i.e. PyTorch momentum 0.01.
_KERAS_BN = dict(eps=1e-3, momentum=0.01)


def _check_size(parameter, value, *, minimum=1):
    """Check that ``value`` is an int >= ``minimum`` and return it as int."""
    _check_type(parameter, value, ("int",))
    if value < minimum:
        raise ValueError(f"{parameter} must be an int >= {minimum}, got {value!r}.")
    return int(value)


def _check_dropout(parameter, value):
    _check_type(parameter, value, ("numeric",))
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{parameter} must be in [0, 1), got {value!r}.")
    return float(value)


def _check_sfreq(sfreq):
    """``None``, or ``sfreq`` checked > 0 and returned as float (Hz)."""
    return None if sfreq is None else float(_check_positive("sfreq", sfreq))


def n_conv_tokens(n_times, kernel_size, stride=1):
    """Number of output positions of a valid (unpadded) strided convolution.

    ``n_tokens = (n_times - kernel_size) // stride + 1``; e.g. 512 samples
    (4 s at 128 Hz) with kernel 32 and stride 8 give 61 tokens.

    Parameters
    ----------
    n_times : int
        Input length in samples.
    kernel_size : int
        Kernel length in samples.
    stride : int
        Hop between kernel positions in samples.

    Returns
    -------
    n_tokens : int
        Number of output positions.
    """
    n_times = _check_size("n_times", n_times)
    kernel_size = _check_size("kernel_size", kernel_size)
    stride = _check_size("stride", stride)
    if n_times < kernel_size:
        raise ValueError(
            f"n_times = {n_times} samples is shorter than the convolution kernel "
            f"({kernel_size} samples). Use longer windows or a smaller kernel_size."
        )
    return (n_times - kernel_size) // stride + 1


class EmoModule(nn.Module):
    """Base class of emopipe models: input checks and the shared contract.

    Subclasses set ``input_names`` (tuple of str), ``input_axes`` (one tuple
    of axis names per input, batch excluded), ``_input_sizes`` (one tuple of
    ints per input, used for the dry run), ``_variable_axes`` (axis names
    whose size is free, e.g. ``n_steps``), ``feat_dim`` and implement
    ``_run(*inputs) -> (out, feats)``; :meth:`forward` and :meth:`features`
    check the inputs against the built sizes before calling it.
    """

    input_names = ("x",)
    _variable_axes = frozenset()

    def __init__(self):
        super().__init__()
        self.input_axes = [()]
        self._input_sizes = [()]
        self.feat_dim = 0

    @property
    def n_inputs(self):
        """Number of input tensors (one per modality)."""
        return len(self.input_names)

    @property
    def input_shapes(self):
        """Per-sample input shapes, batch excluded: list of tuples of int."""
        return [tuple(s) for s in self._input_sizes]

    def _check_inputs(self, inputs):
        """Raise a clear error if ``inputs`` do not match the built sizes."""
        name = type(self).__name__
        if len(inputs) != self.n_inputs:
            raise ValueError(
                f"{name} takes {self.n_inputs} input tensor(s) "
                f"({', '.join(self.input_names)}), got {len(inputs)}."
            )
        for x, in_name, axes, sizes in zip(
            inputs, self.input_names, self.input_axes, self._input_sizes
        ):
            _check_type(f"{name} input {in_name!r}", x, (torch.Tensor,), type_name="Tensor")
            expected = ("batch",) + tuple(
                ax if ax in self._variable_axes else size for ax, size in zip(axes, sizes)
            )
            fixed = ", ".join(
                f"{ax}={size}" for ax, size in zip(axes, sizes) if ax not in self._variable_axes
            )
            hint = (
                f"Expected (batch, {', '.join(axes)}) with {fixed} as the model was "
                f"built; build it with the sizes of your data."
            )
            _check_shape(f"{name} input {in_name!r}", x, expected, hint=hint)

    def _run(self, *inputs):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, *inputs):
        """Predict from one tensor per modality.

        Parameters
        ----------
        *inputs : Tensor
            One tensor per modality, in the order of ``input_names``, each of
            shape ``(batch, *input_shapes[i])``.

        Returns
        -------
        out : Tensor, shape (batch, n_classes) or (batch, n_steps, n_outputs)
            Logits (classifiers) or predictions (sequence regressors).
        feat : Tensor, shape (batch, feat_dim) or (batch, n_steps, feat_dim)
            The embedding used for feature distillation.
        """
        self._check_inputs(inputs)
        out, feats = self._run(*inputs)
        return out, feats[-1]

    def features(self, *inputs):
        """Intermediate representations for multi-layer distillation.

        Parameters
        ----------
        *inputs : Tensor
            As in :meth:`forward`.

        Returns
        -------
        feats : list of Tensor
            Representations from shallow to deep, each with the batch axis
            first; the last one is ``feat`` of :meth:`forward`.
        """
        self._check_inputs(inputs)
        return self._run(*inputs)[1]


def _dry_run(model, batch):
    _check_type("model", model, (EmoModule,), type_name="emopipe model (EmoModule)")
    batch = _check_size("batch", batch)
    param = next(model.parameters(), None)
    kw = {} if param is None else dict(dtype=param.dtype, device=param.device)
    inputs = [torch.zeros((batch,) + tuple(shape), **kw) for shape in model.input_shapes]
    was_training = model.training
    model.eval()  # no BatchNorm statistics update, no dropout
    try:
        with torch.no_grad():
            out, feat = model(*inputs)
    finally:
        model.train(was_training)
    return out, feat


def output_shape(model, batch=2):
    """Shape of ``out`` from a dry forward pass with zeros.

    Parameters
    ----------
    model : EmoModule
        An emopipe model; its ``input_shapes`` give the zero inputs.
    batch : int
        Batch size of the dry run.

    Returns
    -------
    shape : tuple of int
        ``(batch, n_classes)`` or ``(batch, n_steps, n_outputs)``.
    """
    return tuple(_dry_run(model, batch)[0].shape)


def feature_shape(model, batch=2):
    """Shape of ``feat`` from a dry forward pass with zeros.

    Parameters
    ----------
    model : EmoModule
        An emopipe model; its ``input_shapes`` give the zero inputs.
    batch : int
        Batch size of the dry run.

    Returns
    -------
    shape : tuple of int
        ``(batch, feat_dim)`` or ``(batch, n_steps, feat_dim)``.
    """
    return tuple(_dry_run(model, batch)[1].shape)


# --------------------------------------------------------------------------- #
# Dense blocks (CMCRD DNN_Net)
# --------------------------------------------------------------------------- #
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


# --------------------------------------------------------------------------- #
# Temporal convolutional network (V2E, after Bai et al. 2018)
# --------------------------------------------------------------------------- #
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
            raise ValueError("channels must list at least one TCN level width, got [].")
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


# --------------------------------------------------------------------------- #
# EmotionKD blocks
# --------------------------------------------------------------------------- #
class ConvTokenHead(nn.Module):
    """EmotionKD head: temporal strided conv, BN, ReLU, spatial conv -> tokens.

    ``Conv2d(dim, (1, kernel_size), stride (1, stride)) -> BN -> ReLU ->
    Conv2d(dim, (n_channels, 1)) -> squeeze -> Dropout``, valid padding.

    Parameters
    ----------
    n_channels : int
        Signal channels (spatial kernel height).
    n_times : int
        Samples per window.
    dim : int
        Filters, i.e. the token dimension.
    kernel_size : int
        Temporal kernel in samples.
    stride : int
        Temporal stride in samples.
    dropout : float
        Dropout on the tokens.

    Attributes
    ----------
    n_tokens : int
        ``(n_times - kernel_size) // stride + 1``.
    """

    def __init__(self, n_channels, n_times, *, dim=64, kernel_size=32, stride=8, dropout=0.3):
        super().__init__()
        self.n_tokens = n_conv_tokens(n_times, kernel_size, stride)
        self.temporal = nn.Conv2d(1, dim, (1, kernel_size), stride=(1, stride))
        self.bn = nn.BatchNorm2d(dim, **_KERAS_BN)
        self.spatial = nn.Conv2d(dim, dim, (n_channels, 1))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        """Turn a window into tokens.

        Parameters
        ----------
        x : Tensor, shape (batch, n_channels, n_times)
            Signal window.

        Returns
        -------
        tokens : Tensor, shape (batch, n_tokens, dim)
            One token per temporal kernel position.
        """
        x = self.temporal(x.unsqueeze(1))  # (batch, dim, n_channels, n_tokens)
        x = F.relu(self.bn(x))
        x = self.spatial(x).squeeze(2)  # (batch, dim, n_tokens)
        return self.dropout(x.transpose(1, 2))  # (batch, n_tokens, dim)


class MultiHeadAttention(nn.Module):
    """Keras-style multi-head self-attention: ``key_dim`` per head.

    Queries, keys and values are projected to ``n_heads * key_dim`` and the
    concatenated heads back to ``dim`` (``keras.layers.MultiHeadAttention``
    semantics; EmotionKD uses 8 heads of 64 on 64-d tokens).

    Parameters
    ----------
    dim : int
        Token dimension.
    n_heads : int
        Number of heads.
    key_dim : int
        Size of each head.
    """

    def __init__(self, dim, n_heads=8, key_dim=64):
        super().__init__()
        self.n_heads = n_heads
        self.key_dim = key_dim
        inner = n_heads * key_dim
        self.query = nn.Linear(dim, inner)
        self.key = nn.Linear(dim, inner)
        self.value = nn.Linear(dim, inner)
        self.out = nn.Linear(inner, dim)

    def forward(self, x):
        """Self-attention over the tokens.

        Parameters
        ----------
        x : Tensor, shape (batch, n_tokens, dim)
            Tokens.

        Returns
        -------
        y : Tensor, shape (batch, n_tokens, dim)
            Attended tokens.
        """
        b, n, _ = x.shape

        def split(t):  # (batch, n_tokens, n_heads * key_dim) -> (batch, n_heads, n_tokens, key_dim)
            return t.view(b, n, self.n_heads, self.key_dim).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.key_dim), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, n, self.n_heads * self.key_dim)
        return self.out(y)


class TransformerBlock(nn.Module):
    """Post-LN transformer block (Keras example block used by EmotionKD).

    ``h = LN(x + Dropout(MHA(x)))``; ``y = LN(h + Dropout(FFN(h)))`` with
    ``FFN = Dense(ffn_dim, ReLU) -> Dense(dim)``.

    Parameters
    ----------
    dim : int
        Token dimension.
    n_heads : int
        Attention heads.
    key_dim : int
        Size of each head.
    ffn_dim : int
        Hidden width of the feed-forward network.
    dropout : float
        Dropout after attention and after the FFN.
    eps : float
        LayerNorm epsilon.
    """

    def __init__(self, dim=64, *, n_heads=8, key_dim=64, ffn_dim=64, dropout=0.1, eps=1e-6):
        super().__init__()
        self.attention = MultiHeadAttention(dim, n_heads, key_dim)
        self.ffn = nn.Sequential(nn.Linear(dim, ffn_dim), nn.ReLU(), nn.Linear(ffn_dim, dim))
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, x):
        """Apply the block.

        Parameters
        ----------
        x : Tensor, shape (batch, n_tokens, dim)
            Tokens.

        Returns
        -------
        y : Tensor, shape (batch, n_tokens, dim)
            Transformed tokens.
        """
        h = self.norm1(x + self.dropout1(self.attention(x)))
        return self.norm2(h + self.dropout2(self.ffn(h)))


class TransformerEncoder(nn.Module):
    """Learned positional embedding + ``n_blocks`` transformer blocks; keeps every block output.

    Parameters
    ----------
    n_tokens : int
        Number of tokens (length of the positional embedding).
    dim : int
        Token dimension.
    n_blocks : int
        Number of blocks (3 in EmotionKD).
    **block_kwargs
        Passed to :class:`TransformerBlock`.
    """

    def __init__(self, n_tokens, dim=64, *, n_blocks=3, **block_kwargs):
        super().__init__()
        self.position = nn.Parameter(torch.empty(n_tokens, dim))
        nn.init.uniform_(self.position, -0.05, 0.05)  # Keras Embedding default
        self.blocks = nn.ModuleList(TransformerBlock(dim, **block_kwargs) for _ in range(n_blocks))

    def forward(self, x):
        """Encode tokens.

        Parameters
        ----------
        x : Tensor, shape (batch, n_tokens, dim)
            Tokens from a :class:`ConvTokenHead`.

        Returns
        -------
        outs : list of Tensor, shape (batch, n_tokens, dim)
            Output of each block, shallow to deep (``x^1, x^2, x^3``).
        """
        x = x + self.position
        outs = []
        for block in self.blocks:
            x = block(x)
            outs.append(x)
        return outs


class ScoreBlock(nn.Module):
    """EmotionKD score block ``g``: ``Dense -> BN -> ReLU -> Dense -> BN -> softsign`` per token.

    BatchNorm statistics are taken over batch and tokens (Keras ``axis=-1``).

    Parameters
    ----------
    dim : int
        Token dimension (input and output).
    hidden : int
        Width of the first dense layer.
    """

    def __init__(self, dim=64, hidden=64):
        super().__init__()
        self.dense1 = nn.Linear(dim, hidden)
        self.bn1 = nn.BatchNorm1d(hidden, **_KERAS_BN)
        self.dense2 = nn.Linear(hidden, dim)
        self.bn2 = nn.BatchNorm1d(dim, **_KERAS_BN)

    @staticmethod
    def _bn(bn, x):  # BatchNorm1d wants (batch, C, L); tokens are (batch, L, C)
        return bn(x.transpose(1, 2)).transpose(1, 2)

    def forward(self, x):
        """Scores in (-1, 1) for every token and feature.

        Parameters
        ----------
        x : Tensor, shape (batch, n_tokens, dim)
            Tokens.

        Returns
        -------
        score : Tensor, shape (batch, n_tokens, dim)
            ``softsign`` scores.
        """
        x = F.relu(self._bn(self.bn1, self.dense1(x)))
        return F.softsign(self._bn(self.bn2, self.dense2(x)))


class IMF(nn.Module):
    """EmotionKD inter-modal fusion of two depths ("before" b and "after" a).

    ``F_b = [E_b; G_b]`` and ``F_a = [E_a; G_a]`` (token concatenation),
    ``IMF = g_b(F_b) * F_b + g_a(F_a) * F_a``. The reference code builds
    ``F_a`` from ``E_b`` (methods.md §7, EKD defect 2); here ``F_a`` uses the
    "after" tokens of both modalities.

    Parameters
    ----------
    dim : int
        Token dimension.
    hidden : int
        Hidden width of the score blocks.
    """

    def __init__(self, dim=64, hidden=64):
        super().__init__()
        self.score_before = ScoreBlock(dim, hidden)
        self.score_after = ScoreBlock(dim, hidden)

    def forward(self, e_before, g_before, e_after, g_after):
        """Fuse.

        Parameters
        ----------
        e_before, g_before : Tensor, shape (batch, n_tokens, dim)
            Tokens of modality A and B at the shallower depth.
        e_after, g_after : Tensor, shape (batch, n_tokens, dim)
            Tokens of modality A and B at the deeper depth.

        Returns
        -------
        fused : Tensor, shape (batch, 2 * n_tokens, dim)
            Modality-A tokens first, then modality-B tokens.
        """
        f_b = torch.cat([e_before, g_before], dim=1)
        f_a = torch.cat([e_after, g_after], dim=1)
        return self.score_before(f_b) * f_b + self.score_after(f_a) * f_a


class MultiDepthFusion(nn.Module):
    """EmotionKD student fusion ``sum_d g_d(x^d) * x^d`` over encoder depths.

    Parameters
    ----------
    n_depths : int
        Number of depths fused.
    dim : int
        Token dimension.
    hidden : int
        Hidden width of the score blocks.
    """

    def __init__(self, n_depths=3, dim=64, hidden=64):
        super().__init__()
        self.scores = nn.ModuleList(ScoreBlock(dim, hidden) for _ in range(n_depths))

    def forward(self, xs):
        """Fuse.

        Parameters
        ----------
        xs : list of Tensor, shape (batch, n_tokens, dim)
            One tensor per depth.

        Returns
        -------
        fused : Tensor, shape (batch, n_tokens, dim)
            Score-weighted sum.
        """
        return sum(g(x) * x for g, x in zip(self.scores, xs))


class DenseClassifier(nn.Sequential):
    """EmotionKD classifier: ``Dropout -> [Dense(hidden) (-> act)] x n_layers -> Dense(n_classes)``.

    Parameters
    ----------
    n_in : int
        Input size.
    n_classes : int
        Number of classes.
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

    def __init__(self, n_in, n_classes, *, hidden=128, n_layers=3, dropout=0.5, activation="relu"):
        _check_option("classifier_activation", activation, ("relu", None))
        layers = [nn.Dropout(dropout)]
        for i in range(n_layers):
            layers.append(nn.Linear(n_in if i == 0 else hidden, hidden))
            if activation == "relu":
                layers.append(nn.ReLU())
        layers.append(nn.Linear(hidden if n_layers else n_in, n_classes))
        super().__init__(*layers)


def _ekd_classifier(n_in, n_classes, hidden, dropout, activation):
    """The :class:`DenseClassifier` of the EmotionKD models, ``dropout`` checked as
    ``classifier_dropout``."""
    return DenseClassifier(
        n_in,
        n_classes,
        hidden=hidden,
        dropout=_check_dropout("classifier_dropout", dropout),
        activation=activation,
    )


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
            raise ValueError(
                f"widths and kernel_sizes must have the same non-zero length, got "
                f"{len(widths)} and {len(kernel_sizes)}."
            )
        min_times = 2 ** (len(widths) - 1)
        if n_times < min_times:
            raise ValueError(
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
