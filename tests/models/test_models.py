"""Registered models: the (out, feat) contract, shapes, causality, no band shift, errors."""

import copy

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from emopipe.utils._errors import DataFileError
from emopipe.models import (
    DGCNN,
    MODELS,
    EEGNetMini,
    EKDStudent,
    EKDTeacher,
    FaceTCN,
    TCNRegressor,
    build_model,
    feature_shape,
    output_shape,
)

BATCH = 3
# name -> (kwargs, expected out shape without batch, expected features shapes without batch)
CASES = {
    "linear": (dict(n_features=31, n_outputs=3), (3,), [(31,)]),
    "mlp": (dict(n_features=31, n_outputs=3, hidden=16), (3,), [(16,), (16,)]),
    "fusion_mlp": (
        dict(n_features_a=31, n_features_b=7, n_outputs=3, hidden=16),
        (3,),
        [(16,), (16,)],
    ),
    "eegnet_mini": (dict(n_channels=6, n_features=5, n_outputs=4), (4,), [(16, 1, 5), (80,)]),
    "dgcnn": (dict(n_channels=6, n_features=5, n_outputs=4), (4,), [(96,)]),
    "cnn1d": (dict(n_channels=2, n_times=64, n_outputs=2, sfreq=128.0), (2,), [(16, 32), (32, 16), (64,)]),
    "concat_teacher": (
        dict(n_outputs=2, n_features_a=31, n_features_b=7, hidden=16),
        (2,),
        [(32,), (16,)],
    ),
    "tcn_regressor": (
        dict(n_features=12, channels=(16, 16), n_steps=10),
        (10, 1),
        [(10, 16), (10, 16)],
    ),
    "tcn_window_regressor": (
        dict(n_channels=4, n_features=3, channels=(16, 16), n_steps=13),
        (1,),
        [(16,), (16,)],
    ),
    "bilstm_regressor": (dict(n_features=12, hidden=8, n_steps=10), (10, 1), [(10, 16)]),
    "face_tcn": (
        dict(frame_size=16, embed_dim=32, channels=(16, 16), n_times=4),
        (4, 1),
        [(4, 32), (4, 16), (4, 16)],
    ),
    "face_window_tcn": (
        dict(frame_size=16, embed_dim=32, channels=(16, 16), n_times=4),
        (1,),
        [(32,), (16,), (16,)],
    ),
    # 64 samples, kernel 32, stride 8 -> 5 tokens per modality
    "ekd_teacher": (
        dict(n_channels_a=4, n_channels_b=2, n_times=64, dim=16, key_dim=8, ffn_dim=16, score_hidden=8),
        (2,),
        [(10, 16), (10, 16), (10, 16), (160,)],
    ),
    "ekd_student": (
        dict(n_channels=1, n_times=64, sfreq=128.0, dim=16, key_dim=8, ffn_dim=16, score_hidden=8),
        (2,),
        [(5, 16), (5, 16), (5, 16), (80,)],
    ),
}


def test_every_registered_model_is_tested():
    assert sorted(CASES) == MODELS.names()


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_contract(name):
    torch.manual_seed(0)
    kwargs, out_shape, feat_shapes = CASES[name]
    model = build_model(name, **kwargs)
    assert isinstance(model, MODELS.get(name))
    inputs = [torch.randn(BATCH, *shape) for shape in model.input_shapes]
    assert model.n_inputs == len(inputs) == len(model.input_names)
    out, feat = model(*inputs)
    assert out.shape == (BATCH,) + out_shape
    feats = model.features(*inputs)
    assert [tuple(f.shape[1:]) for f in feats] == feat_shapes
    assert feat.shape[1:] == feats[-1].shape[1:]
    assert feat.shape[-1] == model.feat_dim
    model.eval()  # deterministic: feat equals the last features() entry
    with torch.no_grad():
        assert torch.equal(model(*inputs)[1], model.features(*inputs)[-1])
    # every parameter is used (an unused branch would point to a wiring error)
    model.train()
    model.zero_grad()
    out, feat = model(*inputs)
    (out.square().mean() + feat.square().mean()).backward()
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    assert unused == []


@pytest.mark.parametrize("name", ["mlp", "ekd_teacher", "tcn_regressor"])
def test_output_shape_dry_run_leaves_the_model_untouched(name):
    torch.manual_seed(0)
    kwargs, out_shape, feat_shapes = CASES[name]
    model = build_model(name, **kwargs).train()
    before = copy.deepcopy(model.state_dict())
    assert output_shape(model, batch=2) == (2,) + out_shape
    assert feature_shape(model, batch=5) == (5,) + feat_shapes[-1]
    assert model.training
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # no BN statistics update


def test_mlp_matches_cmcrd_sizes():
    model = build_model("mlp", n_features=310, n_outputs=5)
    assert output_shape(model) == (2, 5) and model.feat_dim == 128
    assert [m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear)] == [
        128, 128, 128, 128, 5,
    ]


def _delta_response(model, n_channels, n_bands, c, b):
    """|feat(delta at (c, b)) - feat(0)| as (f2, n_bands)."""
    x = torch.zeros(1, n_channels, n_bands, dtype=torch.float64)
    x2 = x.clone()
    x2[0, c, b] = 1.0
    with torch.no_grad():
        d = model(x2)[1] - model(x)[1]
    return d.view(-1, n_bands).abs()


@pytest.mark.parametrize("b", [0, 2, 4])
def test_eegnet_mini_has_no_band_shift(b):
    # CMCRD pads kernel 1 by (-1, +1): band b would appear at position b - 1.
    # Here a delta at band b reaches feature position b only, for every filter.
    torch.manual_seed(0)
    model = EEGNetMini(n_channels=3, n_features=5, n_outputs=2).double().eval()
    resp = _delta_response(model, 3, 5, c=1, b=b)
    assert resp.shape == (16, 5)
    assert torch.nonzero(resp.amax(dim=0) > 0).flatten().tolist() == [b]
    # also before the spatial mixing: block 1's map keeps band b at position b
    x = torch.zeros(1, 3, 5, dtype=torch.float64)
    x[0, 1, b] = 1.0
    with torch.no_grad():
        h1 = model.features(x)[0] - model.features(torch.zeros_like(x))[0]
    assert torch.nonzero(h1.abs().amax(dim=(0, 1, 2)) > 0).flatten().tolist() == [b]


def test_eegnet_mini_odd_kernels_are_centred():
    torch.manual_seed(0)
    model = EEGNetMini(n_channels=2, n_features=9, n_outputs=2, kernel_size=3).double().eval()
    resp = _delta_response(model, 2, 9, c=0, b=4)
    assert torch.nonzero(resp.amax(dim=0) > 0).flatten().tolist() == [3, 4, 5]
    assert model.feat_dim == 16 * 9


def test_eegnet_mini_cmcrd_feature_sizes():
    assert EEGNetMini(n_channels=62, n_features=5, n_outputs=5).feat_dim == 80
    assert EEGNetMini(n_channels=1, n_features=33, n_outputs=5).feat_dim == 528
    assert DGCNN(n_channels=62, n_features=5, n_outputs=5).feat_dim == 992
    assert DGCNN(n_channels=33, n_features=1, n_outputs=5).feat_dim == 528


@pytest.mark.parametrize("k_adj", [1, 2, 3])
def test_dgcnn_equals_chebyshev_graph_convolution(rng, k_adj):
    n_ch, n_bands, n_filt = 4, 3, 2
    model = DGCNN(n_channels=n_ch, n_features=n_bands, n_outputs=2, k_adj=k_adj, n_filters=n_filt)
    model = model.double().eval()
    a = rng.standard_normal((n_ch, n_ch))
    w = rng.standard_normal((k_adj, n_bands, n_filt))
    with torch.no_grad():
        model.adjacency.copy_(torch.from_numpy(a))
        model.weights.copy_(torch.from_numpy(w))
    x = rng.standard_normal((2, n_ch, n_bands))
    feat = model(torch.from_numpy(x))[1].detach().numpy()
    a = np.maximum(a, 0)
    dinv = 1 / np.sqrt(a.sum(1) + 1e-10)
    lap = dinv[:, None] * a * dinv[None, :]
    xn = x / np.sqrt(1 + model.bn.eps)  # eval BN with fresh statistics
    cheb = [np.eye(n_ch), lap, 2 * lap @ lap - np.eye(n_ch)]
    expected = np.maximum(sum(cheb[k] @ xn @ w[k] for k in range(k_adj)), 0)
    assert_allclose(feat, expected.reshape(2, -1), rtol=1e-10, atol=1e-12)


def _steps_changed(model, inputs, t):
    x2 = inputs.clone()
    x2[:, t] += 1.0
    with torch.no_grad():
        diff = (model(x2)[0] - model(inputs)[0]).abs().amax(dim=(0, 2))
    return torch.nonzero(diff > 0).flatten().tolist()


def test_tcn_regressor_is_causal_with_receptive_field_13():
    torch.manual_seed(0)
    model = TCNRegressor(n_features=6, n_steps=30).double().eval()
    assert model.receptive_field == 13
    x = torch.randn(2, 30, 6, dtype=torch.float64)
    for t in (0, 10):
        assert _steps_changed(model, x, t) == list(range(t, t + 13))
    # any sequence length is accepted
    assert model(x[:, :17])[0].shape == (2, 17, 1)


def test_face_tcn_is_causal_over_frames():
    torch.manual_seed(0)
    model = FaceTCN(frame_size=(16, 12), embed_dim=16, channels=(8, 8), n_times=20)
    model = model.double().eval()
    x = torch.randn(1, 20, 1, 16, 12, dtype=torch.float64)
    assert _steps_changed(model, x, 3) == list(range(3, 16))


def test_face_tcn_loads_a_local_backbone_state_dict(tmp_path):
    torch.manual_seed(0)
    src = FaceTCN(frame_size=16, embed_dim=32, n_times=2)
    path = tmp_path / "frame_cnn.pt"
    torch.save(src.backbone.state_dict(), path)
    torch.manual_seed(1)
    dst = FaceTCN(frame_size=16, embed_dim=32, n_times=2, backbone_weights=path)
    for k, v in src.backbone.state_dict().items():
        assert torch.equal(v, dst.backbone.state_dict()[k])
    torch.save({"state_dict": src.backbone.state_dict()}, tmp_path / "wrapped.pt")
    dst.load_backbone(tmp_path / "wrapped.pt")
    with pytest.raises(FileNotFoundError, match=r"backbone_weights: .*missing\.pt does not exist"):
        dst.load_backbone(tmp_path / "missing.pt")
    torch.save({"conv.weight": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match=r"other\.pt: state dict does not match the FaceTCN frame CNN"):
        dst.load_backbone(tmp_path / "other.pt")


@pytest.mark.parametrize("n_times, kernel, stride, n_tokens", [(512, 32, 8, 61), (256, 32, 8, 29), (128, 16, 4, 29)])
def test_ekd_token_counts_follow_n_times(n_times, kernel, stride, n_tokens):
    kw = dict(n_times=n_times, head_kernel=kernel, head_stride=stride, dim=8, key_dim=4, ffn_dim=8)
    teacher = EKDTeacher(n_channels_a=2, n_channels_b=1, **kw)
    student = EKDStudent(n_channels=1, **kw)
    assert teacher.n_tokens == student.n_tokens == n_tokens
    assert teacher.feat_dim == 2 * n_tokens * 8
    assert student.feat_dim == n_tokens * 8
    assert feature_shape(teacher) == (2, 2 * n_tokens * 8)
    assert feature_shape(student) == (2, n_tokens * 8)


def test_ekd_reference_sizes():
    # EmotionKD on DEAP: 4-s windows at 128 Hz, EEG+GSR -> 7808 / 3904 features
    teacher = EKDTeacher(n_channels_a=32, n_channels_b=1, n_times=512)
    student = EKDStudent(n_channels=1, n_times=512)
    assert (teacher.n_tokens, teacher.feat_dim, student.feat_dim) == (61, 7808, 3904)


def test_ekd_teacher_orders_tokens_modality_a_first():
    torch.manual_seed(0)
    kwargs = CASES["ekd_teacher"][0]
    model = EKDTeacher(**kwargs).eval()
    x_a, x_b = torch.randn(2, 4, 64), torch.randn(2, 2, 64)
    with torch.no_grad():
        depths = model.features(x_a, x_b)
        enc_a = model.encoder_a(model.head_a(x_a))
        enc_b = model.encoder_b(model.head_b(x_b))
        for d in range(3):
            assert torch.equal(depths[d], torch.cat([enc_a[d], enc_b[d]], dim=1))
        fused = model.fusions[0](enc_a[0], enc_b[0], enc_a[1], enc_b[1]) + model.fusions[1](
            enc_a[1], enc_b[1], enc_a[2], enc_b[2]
        )
        feat = model(x_a, x_b)[1]
        assert torch.allclose(feat, fused.flatten(1))
        feat_a, feat_b = model.split_modalities(feat)
        assert torch.equal(feat_b, fused[:, model.n_tokens :].flatten(1))
        assert feat_a.shape == feat_b.shape == (2, model.n_tokens * 16)
    with pytest.raises(ValueError, match=r"feat must have shape \(batch, 160\)"):
        model.split_modalities(feat[:, :80])


def test_ekd_student_head_matches_a_teacher_branch():
    teacher = EKDTeacher(**CASES["ekd_teacher"][0])
    student = EKDStudent(**CASES["ekd_student"][0] | {"n_channels": 2})
    # same layout: strict loading succeeds and the branch computes the same tokens
    student.head.load_state_dict(teacher.head_b.state_dict())
    student.encoder.load_state_dict(teacher.encoder_b.state_dict())
    teacher.eval(), student.eval()
    x = torch.randn(2, 2, 64)
    with torch.no_grad():
        assert torch.equal(student.features(x)[2], teacher.encoder_b(teacher.head_b(x))[2])


def test_models_survive_deepcopy():
    # the feedback step of EmotionKD distils into a temporary copy of the student
    torch.manual_seed(0)
    model = TCNRegressor(n_features=4, channels=(8,), n_steps=5).eval()
    clone = copy.deepcopy(model)
    x = torch.randn(2, 5, 4)
    with torch.no_grad():
        assert torch.equal(model(x)[0], clone(x)[0])
    with torch.no_grad():
        next(clone.parameters()).add_(1.0)
    assert not torch.equal(next(model.parameters()), next(clone.parameters()))


def test_registry_miss_lists_models():
    msg = (
        r"Model 'mpl' not found\. Available models: 'bilstm_regressor', 'cnn1d', "
        r"'concat_teacher', 'dgcnn', 'eegnet_mini', 'ekd_student', 'ekd_teacher', "
        r"'face_tcn', 'face_window_tcn', 'fusion_mlp', 'linear', 'mlp', 'tcn_regressor', "
        r"'tcn_window_regressor'\. "
        r"Did you mean 'mlp'\?"
    )
    with pytest.raises(KeyError, match=msg):
        build_model("mpl", n_features=3, n_outputs=2)


def test_build_model_argument_errors():
    with pytest.raises(TypeError, match=r"unknown argument\(s\) 'n_feature'.*Did you mean 'n_features'"):
        build_model("mlp", n_feature=3, n_outputs=2)
    with pytest.raises(TypeError, match=r"needs the argument\(s\) 'n_outputs'"):
        build_model("mlp", n_features=3)
    with pytest.raises(ValueError, match=r"n_features must be an int >= 1, got 0"):
        build_model("mlp", n_features=0, n_outputs=2)
    with pytest.raises(ValueError, match=r"encoder='cnn1d' needs n_channels_a, n_channels_b, n_times"):
        build_model("concat_teacher", n_outputs=2, encoder="cnn1d", n_channels_a=2)
    with pytest.raises(ValueError, match=r"sfreq must be > 0, got -128"):
        build_model("cnn1d", n_channels=1, n_times=64, n_outputs=2, sfreq=-128)
    with pytest.raises(ValueError, match=r"n_times = 16 samples is shorter than the convolution kernel"):
        build_model("ekd_student", n_channels=1, n_times=16)


def test_forward_names_expected_and_received_shapes():
    model = build_model("mlp", n_features=310, n_outputs=3)
    with pytest.raises(
        ValueError,
        match=r"MLP input 'x' must have shape \(batch, 310\), got shape \(4, 62, 5\)\. "
        r"Expected \(batch, n_features\) with n_features=310",
    ):
        model(torch.zeros(4, 62, 5))
    teacher = EKDTeacher(**CASES["ekd_teacher"][0])
    with pytest.raises(
        ValueError, match=r"EKDTeacher input 'x_b' must have shape \(batch, 2, 64\), got shape \(3, 1, 64\)"
    ):
        teacher(torch.zeros(3, 4, 64), torch.zeros(3, 1, 64))
    with pytest.raises(ValueError, match=r"EKDTeacher takes 2 input tensor\(s\) \(x_a, x_b\), got 1"):
        teacher(torch.zeros(3, 4, 64))
    tcn = TCNRegressor(n_features=6, n_steps=8)
    with pytest.raises(ValueError, match=r"must have shape \(batch, n_steps, 6\), got shape \(2, 8, 5\)"):
        tcn(torch.zeros(2, 8, 5))
    with pytest.raises(TypeError, match=r"MLP input 'x' must be an instance of Tensor, got ndarray"):
        model(np.zeros((2, 310), dtype=np.float32))


def test_face_tcn_backbone_refuses_unsafe_or_broken_files_by_name(tmp_path):
    import pickle

    dst = FaceTCN(frame_size=16, embed_dim=32, n_times=2)

    class Payload:
        def __reduce__(self):
            return (print, ("payload ran",))

    evil = tmp_path / "evil.pt"
    torch.save({"x": Payload()}, evil, pickle_module=pickle)
    with pytest.raises(DataFileError, match=r"evil\.pt: the checkpoint asks for the Python "
                                            r"object .*print") as err:
        dst.load_backbone(evil)
    assert "weights_only" not in str(err.value)
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(DataFileError, match=r"empty\.pt: the checkpoint is empty"):
        dst.load_backbone(tmp_path / "empty.pt")
    nan = {k: torch.full_like(v, float("nan")) if v.is_floating_point() else v
           for k, v in dst.backbone.state_dict().items()}
    torch.save(nan, tmp_path / "nan.pt")
    with pytest.raises(DataFileError, match=r"nan\.pt: the weights hold NaN"):
        dst.load_backbone(tmp_path / "nan.pt")


def test_linear_is_one_dense_layer():
    model = build_model("linear", n_features=5, n_outputs=2)
    assert sum(p.numel() for p in model.parameters()) == (5 + 1) * 2
    x = torch.randn(4, 5)
    w, b = model.classifier.weight, model.classifier.bias
    torch.testing.assert_close(model(x)[0], x @ w.T + b)
    torch.testing.assert_close(model.features(x)[-1], x)
