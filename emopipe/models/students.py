"""Single-modality models: CMCRD backbones, V2E students, EmotionKD/BS25 student, 1-D CNN.

The CMCRD backbones (:class:`MLP`, :class:`EEGNetMini`, :class:`DGCNN`)
serve as both the unimodal teacher and the student of CMCRD (docs/methods.md §5.2).
"""

import torch
from torch import nn
from torch.nn import functional as F

from ..utils._checks import _check_type
from ..utils.docs import fill_doc
from ._base import EmoModule, _check_dropout, _check_sfreq, _check_size
from ._cnn import CNN1dEncoder
from ._dense import DNNBlock, _ekd_classifier
from ._fusion import MultiDepthFusion
from ._tcn import TemporalConvNet
from ._transformer import ConvTokenHead, TransformerEncoder
from ._registry import register_model


@register_model("mlp")
class MLP(EmoModule):
    """CMCRD ``DNN_Net``: two dense blocks and a linear classifier.

    Each block is ``Linear -> BN -> ReLU -> Linear(hidden, hidden) -> BN ->
    ReLU``; the classifier is ``Linear(hidden, n_outputs)``.

    Parameters
    ----------
    n_features : int
        Input features (310 for SEED DE, 33 for SEED eye features).
    n_outputs : int
        Number of outputs: classes (logits), or 1 for a continuous target.
    hidden : int
        Block width (128 in CMCRD).
    dropout : float
        Dropout between the blocks and before the classifier (0 in CMCRD).

    Notes
    -----
    Input: ``x`` of shape ``(batch, n_features)``. ``features`` returns both
    block outputs ``(batch, hidden)``; ``feat`` is the second.

    Sizes on the CMCRD inputs (``K`` classes): layers ``n_features -> 128 ->
    128 -> K``, ``128 n_features + 50688 + 129 K`` parameters: 90,884 on the
    310 = 62 x 5 SEED DE with K = 4 (91,013 with K = 5), 55,172 on the 31
    SEED-IV eye features (K = 4), 55,557 on the 33 SEED-V ones (K = 5).
    """

    input_names = ("x",)
    input_dims = (("feature",),)

    def __init__(self, *, n_features, n_outputs, hidden=128, dropout=0.0):
        super().__init__()
        n_features = _check_size("n_features", n_features)
        n_outputs = _check_size("n_outputs", n_outputs)
        hidden = _check_size("hidden", hidden)
        self.input_axes = [("n_features",)]
        self._input_sizes = [(n_features,)]
        self.block1 = DNNBlock(n_features, hidden)
        self.block2 = DNNBlock(hidden, hidden)
        self.dropout = nn.Dropout(_check_dropout("dropout", dropout))
        self.classifier = nn.Linear(hidden, n_outputs)
        self.feat_dim = hidden
        self.n_outputs = n_outputs

    def _run(self, x):
        h1 = self.block1(x)
        h2 = self.block2(self.dropout(h1))
        return self.classifier(self.dropout(h2)), [h1, h2]


@register_model("linear")
class Linear(EmoModule):
    """One dense layer: logistic regression (or linear regression) on a feature vector.

    Parameters
    ----------
    n_features : int
        Input features.
    n_outputs : int
        Number of outputs: classes (logits), or 1 for a continuous target.

    Notes
    -----
    Input: ``x`` of shape ``(batch, n_features)``; output ``x W^T + b``,
    ``(n_features + 1) n_outputs`` parameters. ``features`` returns the input
    itself (there is no hidden layer), so ``feat_dim`` is ``n_features``.
    """

    input_names = ("x",)
    input_dims = (("feature",),)

    def __init__(self, *, n_features, n_outputs):
        super().__init__()
        n_features = _check_size("n_features", n_features)
        n_outputs = _check_size("n_outputs", n_outputs)
        self.input_axes = [("n_features",)]
        self._input_sizes = [(n_features,)]
        self.classifier = nn.Linear(n_features, n_outputs)
        self.feat_dim = n_features
        self.n_outputs = n_outputs

    def _run(self, x):
        return self.classifier(x), [x]


def _window_input(model, n_channels, n_times, n_outputs, sfreq):
    """Check the sizes of a one-window ``(n_channels, n_times)`` classifier.

    Records ``sfreq``, ``input_axes`` and ``_input_sizes`` on ``model`` and
    returns the checked ``n_channels, n_times, n_outputs``.
    """
    model.sfreq = _check_sfreq(sfreq)
    n_channels = _check_size("n_channels", n_channels)
    n_times = _check_size("n_times", n_times)
    n_outputs = _check_size("n_outputs", n_outputs)
    model.input_axes = [("n_channels", "n_times")]
    model._input_sizes = [(n_channels, n_times)]
    return n_channels, n_times, n_outputs


def _same_pad(kernel_size):
    """(left, right) zero padding keeping the length, centred for odd kernels.

    The CMCRD ``EEGNet_mini`` pads a kernel of 1 by (-1, +1), shifting every
    band by one position (docs/methods.md §7, CMCRD defect 7); here a kernel of 1
    gets no padding and an odd kernel ``k`` gets ``k // 2`` on each side.
    """
    return ((kernel_size - 1) // 2, kernel_size // 2)


@register_model("eegnet_mini")
class EEGNetMini(EmoModule):
    """EEGNet over band features (CMCRD ``EEGNet_mini``): kernels of 1, no pooling.

    The input ``(batch, n_channels, n_features)`` is treated as a one-plane
    image ``(batch, 1, n_channels, n_features)``; bands play the role of time.
    Block 1: ``Conv2d(1, f1, (1, kernel_size)) -> BN -> depthwise
    Conv2d(f1, f1 * d, (n_channels, 1)) -> BN -> ELU -> Dropout``.
    Block 2: separable conv (depthwise ``(1, sep_kernel_size)`` then pointwise
    to ``f2``) ``-> BN -> ELU -> Dropout``. Classifier: ``Linear(f2 * n_features,
    n_outputs)``.

    Parameters
    ----------
    n_channels : int
        Electrodes (62 for SEED EEG; 1 for eye features).
    n_features : int
        Bands, or features per channel (5 for SEED DE; 33 for eye features).
    n_outputs : int
        Number of outputs: classes (logits), or 1 for a continuous target.
    f1 : int
        Temporal filters.
    d : int
        Depth multiplier of the spatial convolution.
    f2 : int
        Pointwise filters.
    kernel_size : int
        Kernel along the band axis in block 1 (1 in CMCRD).
    sep_kernel_size : int
        Kernel along the band axis of the separable convolution (1).
    dropout : float
        Dropout after each block (0.5).

    Notes
    -----
    With kernels of 1 nothing mixes band positions before the classifier:
    ``feat.view(batch, f2, n_features)[..., b]`` depends on input band ``b``
    only. ``feat_dim = f2 * n_features`` (80 for 62 x 5, 528 for 1 x 33, as in
    CMCRD). ``features`` returns the block-1 map ``(batch, f1 * d, 1,
    n_features)`` and ``feat``.

    Sizes at the defaults (``K`` classes): ``360 + 16 n_channels + (16
    n_features + 1) K`` parameters; block-1 map ``(16, 1, n_features)``. On
    (62 channels x 5 bands) DE: ``feat`` 80, 1,676 parameters (K = 4); on the
    eye features, one channel: ``feat`` 496 and 2,364 parameters (31, K = 4),
    ``feat`` 528 and 3,021 parameters (33, K = 5).
    """

    input_names = ("x",)
    input_dims = (("channel", "feature"),)

    def __init__(
        self,
        *,
        n_channels,
        n_features,
        n_outputs,
        f1=8,
        d=2,
        f2=16,
        kernel_size=1,
        sep_kernel_size=1,
        dropout=0.5,
    ):
        super().__init__()
        n_channels = _check_size("n_channels", n_channels)
        n_features = _check_size("n_features", n_features)
        n_outputs = _check_size("n_outputs", n_outputs)
        f1, d, f2 = _check_size("f1", f1), _check_size("d", d), _check_size("f2", f2)
        kernel_size = _check_size("kernel_size", kernel_size)
        sep_kernel_size = _check_size("sep_kernel_size", sep_kernel_size)
        dropout = _check_dropout("dropout", dropout)
        self.input_axes = [("n_channels", "n_features")]
        self._input_sizes = [(n_channels, n_features)]
        self.block1 = nn.Sequential(
            nn.ZeroPad2d(_same_pad(kernel_size) + (0, 0)),
            nn.Conv2d(1, f1, (1, kernel_size), bias=False),
            nn.BatchNorm2d(f1),
            nn.Conv2d(f1, f1 * d, (n_channels, 1), groups=f1, bias=False),
            nn.BatchNorm2d(f1 * d),
            nn.ELU(),
            nn.Dropout(dropout),
        )
        self.block2 = nn.Sequential(
            nn.ZeroPad2d(_same_pad(sep_kernel_size) + (0, 0)),
            nn.Conv2d(f1 * d, f1 * d, (1, sep_kernel_size), groups=f1 * d, bias=False),
            nn.Conv2d(f1 * d, f2, 1, bias=False),
            nn.BatchNorm2d(f2),
            nn.ELU(),
            nn.Dropout(dropout),
        )
        self.feat_dim = f2 * n_features
        self.classifier = nn.Linear(self.feat_dim, n_outputs)
        self.n_outputs = n_outputs

    def _run(self, x):
        h1 = self.block1(x.unsqueeze(1))  # (batch, f1 * d, 1, n_features)
        feat = self.block2(h1).flatten(1)  # (batch, f2 * n_features)
        return self.classifier(feat), [h1, feat]


@register_model("dgcnn")
class DGCNN(EmoModule):
    """Dynamical graph CNN (Song et al., IEEE TAFFC 2018) with a learnable adjacency.

    ``BN over bands -> sum_k T_k(L) x W_k -> ReLU -> flatten`` where ``L =
    D^-1/2 ReLU(A) D^-1/2`` and ``T_0 = I, T_1 = L, T_k = 2 L T_{k-1} -
    T_{k-2}`` (Chebyshev, ``k_adj`` terms); classifier ``Linear(n_channels *
    n_filters, hidden) -> ReLU -> Dropout -> Linear(hidden, n_outputs)``.

    Parameters
    ----------
    n_channels : int
        Graph nodes (electrodes; 33 eye features as 33 nodes x 1).
    n_features : int
        Features per node.
    n_outputs : int
        Number of outputs: classes (logits), or 1 for a continuous target.
    k_adj : int
        Number of Chebyshev terms (2).
    n_filters : int
        Output features per node (16).
    hidden : int | None
        Hidden width of the classifier; ``None`` uses a single linear layer.
    dropout : float
        Dropout in the classifier.

    Notes
    -----
    Input ``(batch, n_channels, n_features)``. A single channel holding a
    vector (``n_channels == 1 < n_features``: the 31 SEED-IV or 33 SEED-V eye
    features, which the model planner hands over as ``(1, n_features)``) is
    a graph of ``n_features`` nodes with one feature each, as CMCRD builds
    it. ``feat`` is the flattened graph embedding ``(batch, n_nodes *
    n_filters)`` (992 for 62 nodes, 528 for 33, the CRD sizes of CMCRD);
    with ``hidden`` set it is not the penultimate layer.

    Sizes at the defaults (``k_adj`` 2, 16 filters, ``hidden`` 64; ``N``
    nodes with ``p`` features each, ``K`` classes): ``N^2 + 1024 N + 34 p +
    64 + 65 K`` parameters (adjacency ``N^2``, Chebyshev weights ``2 p 16``,
    batch norm ``2 p``, classifier ``16 N -> 64 -> K``). On (62 x 5) DE:
    67,826 (K = 4); on the eye features, ``N`` = 31 or 33 nodes of one
    feature: 33,063 (31, K = 4), 35,304 (33, K = 5).
    """

    input_names = ("x",)
    input_dims = (("channel", "feature"),)

    def __init__(
        self, *, n_channels, n_features, n_outputs, k_adj=2, n_filters=16, hidden=64, dropout=0.0
    ):
        super().__init__()
        n_channels = _check_size("n_channels", n_channels)
        n_features = _check_size("n_features", n_features)
        n_outputs = _check_size("n_outputs", n_outputs)
        self.k_adj = _check_size("k_adj", k_adj)
        n_filters = _check_size("n_filters", n_filters)
        _check_type("hidden", hidden, ("int", None))
        self.input_axes = [("n_channels", "n_features")]
        self._input_sizes = [(n_channels, n_features)]
        # a vector (one channel) is a graph of its features, one value per node
        self.vector_nodes = n_channels == 1 < n_features
        n_nodes, per_node = (n_features, 1) if self.vector_nodes else (n_channels, n_features)
        self.bn = nn.BatchNorm1d(per_node)
        self.adjacency = nn.Parameter(torch.empty(n_nodes, n_nodes))
        nn.init.xavier_normal_(self.adjacency)
        self.weights = nn.Parameter(torch.empty(self.k_adj, per_node, n_filters))
        nn.init.xavier_normal_(self.weights)
        self.feat_dim = n_nodes * n_filters
        if hidden is None:
            self.classifier = nn.Linear(self.feat_dim, n_outputs)
        else:
            self.classifier = nn.Sequential(
                nn.Linear(self.feat_dim, hidden),
                nn.ReLU(),
                nn.Dropout(_check_dropout("dropout", dropout)),
                nn.Linear(hidden, n_outputs),
            )
        self.n_outputs = n_outputs

    def laplacian(self):
        """Normalised adjacency ``D^-1/2 ReLU(A) D^-1/2``.

        Returns
        -------
        lap : Tensor, shape (n_channels, n_channels)
            The graph operator.
        """
        a = F.relu(self.adjacency)
        d = (a.sum(dim=1) + 1e-10) ** -0.5
        return d[:, None] * a * d[None, :]

    def _run(self, x):
        if self.vector_nodes:
            x = x.transpose(1, 2)  # (batch, n_features, 1): one node per feature
        x = self.bn(x.transpose(1, 2)).transpose(1, 2)  # (batch, n_nodes, per_node)
        lap = self.laplacian()
        t_prev, t_cur = None, torch.eye(lap.shape[0], dtype=x.dtype, device=x.device)
        out = 0
        for k in range(self.k_adj):
            if k == 1:
                t_prev, t_cur = t_cur, lap
            elif k > 1:
                t_prev, t_cur = t_cur, 2 * lap @ t_cur - t_prev
            out = out + t_cur @ x @ self.weights[k]  # (batch, n_channels, n_filters)
        feat = F.relu(out).flatten(1)
        return self.classifier(feat), [feat]


@register_model("tcn_regressor")
@fill_doc
class TCNRegressor(EmoModule):
    """V2E student: causal TCN over feature sequences -> ``Linear(channels[-1], n_outputs)``.

    Parameters
    ----------
    n_features : int
        Features per step (192 EEG band powers in V2E).
    n_outputs : int
        Outputs per step (1: valence).
    %(tcn)s
    n_steps : int
        Sequence length of the dry run (96 in V2E); ``forward`` accepts any.

    Notes
    -----
    Input ``(batch, n_steps, n_features)``; ``out`` ``(batch, n_steps,
    n_outputs)``; ``feat`` the TCN output ``(batch, n_steps, channels[-1])``
    (the 128-d sequence V2E distils); ``features`` the output of every
    level. Output step ``t`` depends on input steps ``t - receptive_field +
    1 .. t`` (13 steps for the defaults).
    """

    input_names = ("x",)
    input_dims = (("step", "feature"),)
    _variable_axes = frozenset({"n_steps"})

    def __init__(
        self, *, n_features, n_outputs=1, channels=(128, 128), kernel_size=3, dropout=0.1, n_steps=96
    ):
        super().__init__()
        n_features = _check_size("n_features", n_features)
        n_outputs = _check_size("n_outputs", n_outputs)
        n_steps = _check_size("n_steps", n_steps)
        self.input_axes = [("n_steps", "n_features")]
        self._input_sizes = [(n_steps, n_features)]
        self.tcn = TemporalConvNet(
            n_features, channels, kernel_size=kernel_size, dropout=_check_dropout("dropout", dropout)
        )
        self.receptive_field = self.tcn.receptive_field
        self.feat_dim = self.tcn.out_dim
        self.regressor = nn.Linear(self.feat_dim, n_outputs)
        self.n_outputs = n_outputs

    def _run(self, x):
        feats = [h.transpose(1, 2) for h in self.tcn(x.transpose(1, 2))]  # (batch, n_steps, width)
        return self.regressor(feats[-1]), feats


@register_model("tcn_window_regressor")
@fill_doc
class TCNWindowRegressor(TCNRegressor):
    """V2E student on window-level samples: :class:`TCNRegressor` read at the window's step.

    Each sample is a window given as the sequence of the ``n_steps`` windows
    of its trial ending at it (the spec ``"eeg:band_power@13"``,
    :func:`emopipe.distill.data.step_sequences`). Each step's band powers
    are flattened to one vector, the causal TCN runs over the steps, and the
    output and feature of the last step (the window itself, which sees the
    preceding ``receptive_field - 1`` steps) are the window's. So the model
    has the driver's window-level contract (``out`` ``(batch, n_outputs)``,
    ``feat`` ``(batch, channels[-1])``, matched by V2E's L1 feature loss to the
    face teacher's 128-d feature) while its prediction is the per-step output
    of V2E's sequence TCN.

    Parameters
    ----------
    n_channels : int
        EEG channels (32 in MAHNOB-HCI).
    n_features : int
        Bands per channel (6 for ``v2e6``: 32 x 6 = the 192-d V2E input).
    n_outputs : int
        Outputs per window (1: valence).
    %(tcn)s
    n_steps : int
        Sequence length of the dry run (13 = the receptive field of the
        defaults); ``forward`` accepts any.

    Notes
    -----
    Input ``(batch, n_steps, n_channels, n_features)``, flattened per step
    channel-major to ``n_channels * n_features`` (V2E flattens band-major,
    a fixed permutation of the TCN's input channels).
    """

    input_names = ("x",)
    input_dims = (("step", "channel", "feature"),)
    _variable_axes = frozenset({"n_steps"})

    def __init__(self, *, n_channels, n_features, n_outputs=1, channels=(128, 128),
                 kernel_size=3, dropout=0.1, n_steps=13):
        n_channels = _check_size("n_channels", n_channels)
        n_features = _check_size("n_features", n_features)
        super().__init__(n_features=n_channels * n_features, n_outputs=n_outputs,
                         channels=channels, kernel_size=kernel_size, dropout=dropout,
                         n_steps=n_steps)
        self.input_axes = [("n_steps", "n_channels", "n_features")]
        self._input_sizes = [(int(n_steps), n_channels, n_features)]

    def _run(self, x):
        out, feats = super()._run(x.flatten(2))  # (batch, n_steps, n_channels * n_features)
        return out[:, -1], [f[:, -1] for f in feats]  # the window's own (last) step


@register_model("bilstm_regressor")
class BiLSTMRegressor(EmoModule):
    """V2E alternative student: 2-layer bidirectional LSTM -> ``Linear(2 * hidden, n_outputs)``.

    Parameters
    ----------
    n_features : int
        Features per step.
    n_outputs : int
        Outputs per step.
    hidden : int
        LSTM hidden size per direction (64; ``feat_dim = 2 * hidden``).
    n_layers : int
        LSTM layers (2).
    dropout : float
        Dropout between LSTM layers (0.4).
    n_steps : int
        Sequence length of the dry run; ``forward`` accepts any.

    Notes
    -----
    Not causal: every output step sees the whole sequence.
    """

    input_names = ("x",)
    input_dims = (("step", "feature"),)
    _variable_axes = frozenset({"n_steps"})

    def __init__(self, *, n_features, n_outputs=1, hidden=64, n_layers=2, dropout=0.4, n_steps=96):
        super().__init__()
        n_features = _check_size("n_features", n_features)
        n_outputs = _check_size("n_outputs", n_outputs)
        hidden = _check_size("hidden", hidden)
        n_layers = _check_size("n_layers", n_layers)
        self.input_axes = [("n_steps", "n_features")]
        self._input_sizes = [(_check_size("n_steps", n_steps), n_features)]
        self.lstm = nn.LSTM(
            n_features,
            hidden,
            num_layers=n_layers,
            batch_first=True,
            bidirectional=True,
            dropout=_check_dropout("dropout", dropout) if n_layers > 1 else 0.0,
        )
        self.feat_dim = 2 * hidden
        self.regressor = nn.Linear(self.feat_dim, n_outputs)
        self.n_outputs = n_outputs

    def _run(self, x):
        feat, _ = self.lstm(x)  # (batch, n_steps, 2 * hidden)
        return self.regressor(feat), [feat]


@register_model("ekd_student")
class EKDStudent(EmoModule):
    """EmotionKD / BS25 single-modality student.

    ``ConvTokenHead -> TransformerEncoder (x^1, x^2, x^3) -> sum_d g_d(x^d) *
    x^d -> flatten -> DenseClassifier``. Generic over the modality:
    ``n_channels=1`` for GSR (EmotionKD), 2 for hEOG/vEOG (BS25).

    Parameters
    ----------
    n_channels : int
        Channels of the modality.
    n_times : int
        Samples per window (512 = 4 s at 128 Hz).
    n_outputs : int
        Number of outputs: classes (logits), or 1 for a continuous target.
    dim : int
        Token dimension (64).
    n_blocks : int
        Transformer blocks (3).
    n_heads : int
        Attention heads (8).
    key_dim : int
        Size of each head (64, Keras semantics).
    ffn_dim : int
        FFN width (64).
    dropout : float
        Transformer dropout (0.1).
    head_kernel : int
        Temporal kernel of the head in samples (32).
    head_stride : int
        Temporal stride of the head in samples (8).
    head_dropout : float
        Token dropout (0.3).
    score_hidden : int
        Hidden width of the score blocks (64).
    classifier_hidden : int
        Hidden width of the classifier (128).
    classifier_dropout : float
        Classifier input dropout (0.5).
    classifier_activation : str | None
        ``"relu"`` or ``None`` (the reference: no activation).

    sfreq : float | None
        Sampling frequency in Hz, recorded as ``sfreq`` (the layers depend
        on ``n_times`` only).

    Notes
    -----
    Input ``(batch, n_channels, n_times)``. ``n_tokens = (n_times -
    head_kernel) // head_stride + 1`` (61 for 512 samples), ``feat_dim =
    n_tokens * dim`` (3904). ``features`` returns ``x^1 .. x^n_blocks`` as
    ``(batch, n_tokens, dim)`` and ``feat``. The submodules ``head`` and
    ``encoder`` have the same layout as a teacher's ``head_b`` and
    ``encoder_b``, so a structurally aligned student can start from the
    teacher's branch (``student.head.load_state_dict(teacher.head_b.state_dict())``).
    """

    input_names = ("x",)
    input_dims = (("channel", "time"),)

    def __init__(
        self,
        *,
        n_channels,
        n_times,
        n_outputs=2,
        dim=64,
        n_blocks=3,
        n_heads=8,
        key_dim=64,
        ffn_dim=64,
        dropout=0.1,
        head_kernel=32,
        head_stride=8,
        head_dropout=0.3,
        score_hidden=64,
        classifier_hidden=128,
        classifier_dropout=0.5,
        classifier_activation="relu",
        sfreq=None,
    ):
        super().__init__()
        n_channels, n_times, n_outputs = _window_input(self, n_channels, n_times, n_outputs, sfreq)
        n_blocks = _check_size("n_blocks", n_blocks)
        self.head = ConvTokenHead(
            n_channels,
            n_times,
            dim=dim,
            kernel_size=head_kernel,
            stride=head_stride,
            dropout=_check_dropout("head_dropout", head_dropout),
        )
        self.n_tokens = self.head.n_tokens
        self.encoder = TransformerEncoder(
            self.n_tokens,
            dim,
            n_blocks=n_blocks,
            n_heads=n_heads,
            key_dim=key_dim,
            ffn_dim=ffn_dim,
            dropout=_check_dropout("dropout", dropout),
        )
        self.fusion = MultiDepthFusion(n_blocks, dim, score_hidden)
        self.feat_dim = self.n_tokens * dim
        self.classifier = _ekd_classifier(
            self.feat_dim, n_outputs, classifier_hidden, classifier_dropout, classifier_activation
        )
        self.n_outputs = n_outputs

    def _run(self, x):
        xs = self.encoder(self.head(x))  # n_blocks x (batch, n_tokens, dim)
        feat = self.fusion(xs).flatten(1)  # (batch, n_tokens * dim)
        return self.classifier(feat), xs + [feat]


@register_model("cnn1d")
class CNN1d(EmoModule):
    """Small 1-D CNN for raw EOG/GSR windows.

    ``[Conv1d -> BN -> ReLU -> MaxPool 2] x 2 -> Conv1d -> BN -> ReLU ->
    global mean -> Dropout -> Linear(widths[-1], n_outputs)``.

    Parameters
    ----------
    n_channels : int
        Signal channels.
    n_times : int
        Samples per window.
    n_outputs : int
        Number of outputs: classes (logits), or 1 for a continuous target.
    widths : sequence of int
        Filters per stage.
    kernel_sizes : sequence of int
        Kernel length per stage (odd, "same" padding).
    dropout : float
        Dropout before the classifier.

    sfreq : float | None
        Sampling frequency in Hz, recorded as ``sfreq`` (the layers depend
        on ``n_times`` only).

    Notes
    -----
    Input ``(batch, n_channels, n_times)``; ``feat`` ``(batch,
    widths[-1])``; ``features`` the stage maps then ``feat``.
    """

    input_names = ("x",)
    input_dims = (("channel", "time"),)

    def __init__(
        self,
        *,
        n_channels,
        n_times,
        n_outputs,
        widths=(16, 32, 64),
        kernel_sizes=(7, 5, 3),
        dropout=0.5,
        sfreq=None,
    ):
        super().__init__()
        n_channels, n_times, n_outputs = _window_input(self, n_channels, n_times, n_outputs, sfreq)
        self.encoder = CNN1dEncoder(n_channels, n_times, widths=widths, kernel_sizes=kernel_sizes)
        self.dropout = nn.Dropout(_check_dropout("dropout", dropout))
        self.feat_dim = self.encoder.out_dim
        self.classifier = nn.Linear(self.feat_dim, n_outputs)
        self.n_outputs = n_outputs

    def _run(self, x):
        feats = self.encoder(x)
        return self.classifier(self.dropout(feats[-1])), feats
