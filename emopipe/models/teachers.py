"""Teachers: V2E face-video TCN, EmotionKD/BS25 two-modality transformer, fusion baselines."""

import logging
import os

import torch
from torch import nn

from ..utils._checks import _check_option, _check_type
from ..utils._errors import ConfigError, DataFileError
from ..utils.docs import fill_doc
from ._checkpoint import read_state_dict
from ._base import EmoModule, _check_dropout, _check_sfreq, _check_size
from ._cnn import CNN1dEncoder, FrameCNN
from ._dense import DNNBlock, _ekd_classifier
from ._fusion import IMF
from ._tcn import TemporalConvNet
from ._transformer import ConvTokenHead, TransformerEncoder
from ._registry import register_model

logger = logging.getLogger("emopipe.models")


@register_model("face_tcn")
@fill_doc
class FaceTCN(EmoModule):
    """V2E teacher: per-frame CNN -> 512-d -> causal TCN -> ``Linear(channels[-1], n_outputs)``.

    Parameters
    ----------
    frame_size : int | tuple of int
        Frame height and width in pixels (40 after V2E's crop, or 48).
    n_outputs : int
        Outputs per step (1: valence).
    embed_dim : int
        Frame embedding size (512).
    %(tcn)s
    backbone_weights : path-like | None
        A user-supplied state dict for the frame CNN, loaded with
        :meth:`load_backbone`; nothing is downloaded.
    n_times : int
        Frames in the sequence of the dry run; ``forward`` accepts any.
    sfreq : float | None
        Frame rate in Hz, recorded as ``sfreq`` (the layers do not depend
        on it).

    Notes
    -----
    Input ``(batch, n_times, 1, height, width)`` (one frame per 4-Hz step).
    ``out`` ``(batch, n_times, n_outputs)``; ``feat`` the 128-d TCN output
    sequence ``(batch, n_times, channels[-1])`` that V2E caches for the
    student; ``features`` the frame embeddings ``(batch, n_times,
    embed_dim)`` then every TCN level. ``backbone.stages`` lists the CNN
    stages shallow to deep, for staged unfreezing.
    """

    input_names = ("frames",)
    input_dims = (("time", "plane", "height", "width"),)
    _variable_axes = frozenset({"n_times"})

    def __init__(
        self,
        *,
        frame_size=40,
        n_outputs=1,
        embed_dim=512,
        channels=(128, 128),
        kernel_size=3,
        dropout=0.1,
        backbone_weights=None,
        n_times=96,
        sfreq=None,
    ):
        super().__init__()
        self.sfreq = _check_sfreq(sfreq)
        if isinstance(frame_size, (tuple, list)):
            if len(frame_size) != 2:
                raise ConfigError(
                    f"frame_size must be an int or a (height, width) pair, got {frame_size!r}."
                )
            height, width = (_check_size("frame_size", s, minimum=8) for s in frame_size)
        else:
            height = width = _check_size("frame_size", frame_size, minimum=8)
        n_outputs = _check_size("n_outputs", n_outputs)
        embed_dim = _check_size("embed_dim", embed_dim)
        self.input_axes = [("n_times", "n_planes", "height", "width")]
        self._input_sizes = [(_check_size("n_times", n_times), 1, height, width)]
        self.backbone = FrameCNN(embed_dim)
        self.tcn = TemporalConvNet(
            embed_dim, channels, kernel_size=kernel_size, dropout=_check_dropout("dropout", dropout)
        )
        self.receptive_field = self.tcn.receptive_field
        self.feat_dim = self.tcn.out_dim
        self.regressor = nn.Linear(self.feat_dim, n_outputs)
        self.n_outputs = n_outputs
        if backbone_weights is not None:
            self.load_backbone(backbone_weights)

    def load_backbone(self, path):
        """Load a state dict for the frame CNN from a local file.

        Parameters
        ----------
        path : path-like
            A file written by ``torch.save(state_dict)`` (a dict holding a
            ``"state_dict"`` key is accepted too); read with
            ``weights_only=True``.
        """
        _check_type("backbone_weights", path, ("path-like",))
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"backbone_weights: {path} does not exist. Give the path of a local "
                f"state dict for the frame CNN; emopipe downloads nothing."
            )
        state = read_state_dict(
            path, map_location="cpu", unwrap=("state_dict",),
            fix="Give a file written by torch.save(model.backbone.state_dict()).")
        result = self.backbone.load_state_dict(state, strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise DataFileError(
                f"{path}: state dict does not match the FaceTCN frame CNN: missing keys "
                f"{result.missing_keys[:5]}, unexpected keys {result.unexpected_keys[:5]}"
                f" ({len(result.missing_keys)} missing, {len(result.unexpected_keys)} "
                f"unexpected). Save `model.backbone.state_dict()` of a FaceTCN built "
                f"with the same embed_dim."
            )
        logger.info("FaceTCN: loaded %d backbone tensors from %s", len(state), path)

    def _run(self, frames):
        b, n = frames.shape[:2]
        emb = self.backbone(frames.flatten(0, 1)).view(b, n, -1)  # (batch, n_times, embed_dim)
        levels = [h.transpose(1, 2) for h in self.tcn(emb.transpose(1, 2))]
        return self.regressor(levels[-1]), [emb] + levels


@register_model("face_window_tcn")
class FaceWindowTCN(FaceTCN):
    """:class:`FaceTCN` over the frames sampled in one window; one output per window.

    The cache's ``face/frames`` holds ``frames_per_window`` frames per window
    (V2E samples one frame per 16-frame block). The TCN runs over them as
    steps and the window's prediction and feature are the means over its
    steps, so the model has the driver's window-level contract (``out``
    ``(batch, n_outputs)``, ``feat`` ``(batch, channels[-1])``) and its
    feature can be matched by a window-level student (V2E's L1 feature
    loss).

    Parameters
    ----------
    frame_size : int | tuple of int
        Frame height and width in pixels (48 in the cache).
    n_times : int
        Frames per window (``frames_per_window`` of the extraction, 4).
    n_outputs : int
        Outputs per window.
    embed_dim : int
        Frame embedding size.
    channels : sequence of int
        TCN level widths.
    kernel_size : int
        TCN kernel.
    dropout : float
        TCN dropout.
    backbone_weights : path-like | None
        A user-supplied state dict for the frame CNN (nothing is downloaded).
    sfreq : float | None
        Frame rate in Hz, recorded as ``sfreq``.

    Notes
    -----
    Input ``(batch, n_times, 1, height, width)``; the driver gives the
    cache's ``(window, time, height, width)`` frames their one plane.
    """

    _variable_axes = frozenset()

    def __init__(self, *, frame_size=48, n_times=4, n_outputs=1, embed_dim=512,
                 channels=(128, 128), kernel_size=3, dropout=0.1, backbone_weights=None,
                 sfreq=None):
        super().__init__(frame_size=frame_size, n_times=n_times, n_outputs=n_outputs,
                         embed_dim=embed_dim, channels=channels, kernel_size=kernel_size,
                         dropout=dropout, backbone_weights=backbone_weights, sfreq=sfreq)

    def _run(self, frames):
        out, feats = super()._run(frames)
        return out.mean(dim=1), [f.mean(dim=1) for f in feats]  # means over the window's steps


@register_model("ekd_teacher")
class EKDTeacher(EmoModule):
    """EmotionKD two-modality teacher (EEG+GSR; EEG+EOG for BS25).

    Per modality: :class:`ConvTokenHead` -> :class:`TransformerEncoder`
    keeping ``x^1 .. x^n_blocks``. Fusion: ``sum_d IMF_d(x^d, x^{d+1})``
    (``IMF(x^1, x^2) + IMF(x^2, x^3)`` for 3 blocks), each IMF concatenating
    the tokens of both modalities -> flatten -> :class:`DenseClassifier`.

    Parameters
    ----------
    n_channels_a : int
        Channels of modality A (EEG: 32 in DEAP).
    n_channels_b : int
        Channels of modality B (GSR: 1; EOG: 2).
    n_times : int
        Samples per window, both modalities (512 = 4 s at 128 Hz).
    n_outputs : int
        Number of outputs: classes (logits), or 1 for a continuous target.
    dim : int
        Token dimension (64).
    n_blocks : int
        Transformer blocks per modality (3; at least 2).
    n_heads : int
        Attention heads (8).
    key_dim : int
        Size of each head (64, Keras semantics).
    ffn_dim : int
        FFN width (64).
    dropout : float
        Transformer dropout (0.1).
    head_kernel : int
        Temporal kernel of the heads in samples (32).
    head_stride : int
        Temporal stride of the heads in samples (8).
    head_dropout : float
        Token dropout (0.3).
    score_hidden : int
        Hidden width of the score blocks (64).
    classifier_hidden : int
        Hidden width of the classifier (128).
    classifier_dropout : float
        Classifier input dropout (0.5).
    classifier_activation : str | None
        ``"relu"`` (default) or ``None`` (the reference code: no activation).

    sfreq : float | None
        Sampling frequency in Hz, recorded as ``sfreq`` (the layers depend
        on ``n_times`` only).

    Notes
    -----
    Inputs ``x_a`` ``(batch, n_channels_a, n_times)`` and ``x_b`` ``(batch,
    n_channels_b, n_times)``. ``n_tokens = (n_times - head_kernel) //
    head_stride + 1`` per modality; the fused feature has ``2 * n_tokens``
    tokens, modality A first, so ``feat_dim = 2 * n_tokens * dim`` (7808
    for 512 samples). :meth:`split_modalities` cuts ``feat`` into the two
    halves (the B half is the "modality_tokens" alignment target of MLKD).
    ``features`` returns, per depth, both modalities' tokens concatenated
    ``(batch, 2 * n_tokens, dim)``, then ``feat``.
    """

    input_names = ("x_a", "x_b")
    input_dims = (("channel", "time"), ("channel", "time"))

    def __init__(
        self,
        *,
        n_channels_a,
        n_channels_b,
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
        self.sfreq = _check_sfreq(sfreq)
        n_channels_a = _check_size("n_channels_a", n_channels_a)
        n_channels_b = _check_size("n_channels_b", n_channels_b)
        n_times = _check_size("n_times", n_times)
        n_outputs = _check_size("n_outputs", n_outputs)
        n_blocks = _check_size("n_blocks", n_blocks, minimum=2)
        head_dropout = _check_dropout("head_dropout", head_dropout)
        dropout = _check_dropout("dropout", dropout)
        self.input_axes = [("n_channels_a", "n_times"), ("n_channels_b", "n_times")]
        self._input_sizes = [(n_channels_a, n_times), (n_channels_b, n_times)]
        head_kw = dict(dim=dim, kernel_size=head_kernel, stride=head_stride, dropout=head_dropout)
        enc_kw = dict(n_blocks=n_blocks, n_heads=n_heads, key_dim=key_dim, ffn_dim=ffn_dim, dropout=dropout)
        self.head_a = ConvTokenHead(n_channels_a, n_times, **head_kw)
        self.head_b = ConvTokenHead(n_channels_b, n_times, **head_kw)
        self.n_tokens = self.head_a.n_tokens
        self.encoder_a = TransformerEncoder(self.n_tokens, dim, **enc_kw)
        self.encoder_b = TransformerEncoder(self.n_tokens, dim, **enc_kw)
        self.fusions = nn.ModuleList(IMF(dim, score_hidden) for _ in range(n_blocks - 1))
        self.dim = dim
        self.feat_dim = 2 * self.n_tokens * dim
        self.classifier = _ekd_classifier(
            self.feat_dim, n_outputs, classifier_hidden, classifier_dropout, classifier_activation
        )
        self.n_outputs = n_outputs

    def split_modalities(self, feat):
        """Cut the fused feature into its modality-A and modality-B halves.

        Parameters
        ----------
        feat : Tensor, shape (batch, 2 * n_tokens * dim)
            ``feat`` from :meth:`forward`.

        Returns
        -------
        feat_a : Tensor, shape (batch, n_tokens * dim)
            Fused tokens in modality A's positions.
        feat_b : Tensor, shape (batch, n_tokens * dim)
            Fused tokens in modality B's positions (3904-d for 512 samples).
        """
        half = self.n_tokens * self.dim
        if feat.ndim != 2 or feat.shape[1] != 2 * half:
            raise ConfigError(
                f"feat must have shape (batch, {2 * half}) (2 * n_tokens * dim), got shape "
                f"{tuple(feat.shape)}. Pass the feat returned by this model's forward."
            )
        return feat[:, :half], feat[:, half:]

    def _run(self, x_a, x_b):
        xa = self.encoder_a(self.head_a(x_a))  # n_blocks x (batch, n_tokens, dim)
        xb = self.encoder_b(self.head_b(x_b))
        fused = sum(
            imf(xa[d], xb[d], xa[d + 1], xb[d + 1]) for d, imf in enumerate(self.fusions)
        )  # (batch, 2 * n_tokens, dim)
        feat = fused.flatten(1)
        depths = [torch.cat([a, b], dim=1) for a, b in zip(xa, xb)]
        return self.classifier(feat), depths + [feat]


@register_model("concat_teacher")
class ConcatTeacher(EmoModule):
    """Late-fusion baseline: one encoder per modality, embeddings concatenated, MLP classifier.

    ``encoder="mlp"``: each modality is a feature vector encoded by a
    :class:`~emopipe.models._dense.DNNBlock`; ``encoder="cnn1d"``: each is a
    raw window encoded by a small 1-D CNN. Classifier: ``Linear(e_a + e_b,
    hidden) -> BN -> ReLU -> Dropout -> Linear(hidden, n_outputs)``.

    Parameters
    ----------
    n_outputs : int
        Number of outputs: classes (logits), or 1 for a continuous target.
    encoder : str
        ``"mlp"`` (needs ``n_features_a``, ``n_features_b``) or ``"cnn1d"``
        (needs ``n_channels_a``, ``n_channels_b``, ``n_times``).
    n_features_a, n_features_b : int | None
        Feature sizes of the two modalities (``encoder="mlp"``).
    n_channels_a, n_channels_b : int | None
        Channels of the two modalities (``encoder="cnn1d"``).
    n_times : int | None
        Samples per window (``encoder="cnn1d"``).
    hidden : int
        Encoder (mlp) and classifier width.
    dropout : float
        Dropout before the last layer.

    sfreq : float | None
        Sampling frequency in Hz, recorded as ``sfreq`` (the layers depend
        on ``n_times`` only).

    Notes
    -----
    Inputs ``x_a``, ``x_b``: ``(batch, n_features_*)`` or ``(batch,
    n_channels_*, n_times)``. ``features`` returns the concatenated
    embeddings then ``feat``, the classifier's hidden layer ``(batch,
    hidden)``.
    """

    input_names = ("x_a", "x_b")
    input_dims = (("feature",), ("feature",))
    input_dims_options = ("encoder", {"cnn1d": (("channel", "time"), ("channel", "time")),
                                      "mlp": (("feature",), ("feature",))})

    def __init__(
        self,
        *,
        n_outputs,
        encoder="mlp",
        n_features_a=None,
        n_features_b=None,
        n_channels_a=None,
        n_channels_b=None,
        n_times=None,
        hidden=128,
        dropout=0.5,
        sfreq=None,
    ):
        super().__init__()
        self.sfreq = _check_sfreq(sfreq)
        n_outputs = _check_size("n_outputs", n_outputs)
        hidden = _check_size("hidden", hidden)
        _check_option("encoder", encoder, ("mlp", "cnn1d"))
        needed = (
            {"n_features_a": n_features_a, "n_features_b": n_features_b}
            if encoder == "mlp"
            else {"n_channels_a": n_channels_a, "n_channels_b": n_channels_b, "n_times": n_times}
        )
        missing = [k for k, v in needed.items() if v is None]
        if missing:
            raise ConfigError(
                f"encoder={encoder!r} needs {', '.join(needed)}; got "
                f"{', '.join(f'{k}={v!r}' for k, v in needed.items())}. Give the sizes of "
                f"your inputs."
            )
        sizes = {k: _check_size(k, v) for k, v in needed.items()}
        if encoder == "mlp":
            self.input_axes = [("n_features_a",), ("n_features_b",)]
            self._input_sizes = [(sizes["n_features_a"],), (sizes["n_features_b"],)]
            self.encoder_a = DNNBlock(sizes["n_features_a"], hidden)
            self.encoder_b = DNNBlock(sizes["n_features_b"], hidden)
            emb_dim = 2 * hidden
        else:
            n_t = sizes["n_times"]
            self.input_axes = [("n_channels_a", "n_times"), ("n_channels_b", "n_times")]
            self._input_sizes = [(sizes["n_channels_a"], n_t), (sizes["n_channels_b"], n_t)]
            self.encoder_a = CNN1dEncoder(sizes["n_channels_a"], n_t)
            self.encoder_b = CNN1dEncoder(sizes["n_channels_b"], n_t)
            emb_dim = self.encoder_a.out_dim + self.encoder_b.out_dim
        self.encoder = encoder
        self.fuse = nn.Sequential(nn.Linear(emb_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU())
        self.dropout = nn.Dropout(_check_dropout("dropout", dropout))
        self.classifier = nn.Linear(hidden, n_outputs)
        self.feat_dim = hidden
        self.n_outputs = n_outputs

    def _encode(self, enc, x):
        return enc(x) if self.encoder == "mlp" else enc(x)[-1]

    def _run(self, x_a, x_b):
        emb = torch.cat([self._encode(self.encoder_a, x_a), self._encode(self.encoder_b, x_b)], 1)
        feat = self.fuse(emb)
        return self.classifier(self.dropout(feat)), [emb, feat]


@register_model("fusion_mlp")
class FusionMLP(EmoModule):
    """Early-fusion teacher over two feature vectors: concatenate, then ``DNN_Net``.

    Parameters
    ----------
    n_features_a : int
        Features of modality A.
    n_features_b : int
        Features of modality B.
    n_outputs : int
        Number of outputs: classes (logits), or 1 for a continuous target.
    hidden : int
        Block width.
    dropout : float
        Dropout between the blocks and before the classifier.

    Notes
    -----
    Inputs ``x_a`` ``(batch, n_features_a)``, ``x_b`` ``(batch,
    n_features_b)``. ``features`` returns both block outputs ``(batch,
    hidden)``; ``feat`` is the second.
    """

    input_names = ("x_a", "x_b")
    input_dims = (("feature",), ("feature",))

    def __init__(self, *, n_features_a, n_features_b, n_outputs, hidden=128, dropout=0.0):
        super().__init__()
        n_features_a = _check_size("n_features_a", n_features_a)
        n_features_b = _check_size("n_features_b", n_features_b)
        n_outputs = _check_size("n_outputs", n_outputs)
        hidden = _check_size("hidden", hidden)
        self.input_axes = [("n_features_a",), ("n_features_b",)]
        self._input_sizes = [(n_features_a,), (n_features_b,)]
        self.block1 = DNNBlock(n_features_a + n_features_b, hidden)
        self.block2 = DNNBlock(hidden, hidden)
        self.dropout = nn.Dropout(_check_dropout("dropout", dropout))
        self.classifier = nn.Linear(hidden, n_outputs)
        self.feat_dim = hidden
        self.n_outputs = n_outputs

    def _run(self, x_a, x_b):
        h1 = self.block1(torch.cat([x_a, x_b], dim=1))
        h2 = self.block2(self.dropout(h1))
        return self.classifier(self.dropout(h2)), [h1, h2]
