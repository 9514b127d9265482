"""The model contract: declared input layouts and the shared signal arguments."""

import pytest

from emopipe.models import MODELS, SIGNAL_ARGS, ConcatTeacher, build_model


@pytest.mark.parametrize("name", MODELS.names())
def test_every_model_takes_its_declared_signal_arguments(name):
    cls = MODELS.get(name)
    for layout in [cls.input_dims] + list((cls.input_dims_options or (None, {}))[1].values()):
        assert len(layout) == len(cls.input_names)
        assert all(ax in SIGNAL_ARGS for axes in layout for ax in axes)
        names = cls.signal_args(layout)
        assert names[-1] == "n_outputs"
        assert ("sfreq" in names) == any("time" in axes for axes in layout)


def test_signal_args_of_two_input_models_are_suffixed_per_input():
    assert MODELS.get("ekd_teacher").signal_args() == (
        "n_channels_a", "n_times", "n_channels_b", "sfreq", "n_outputs")
    assert MODELS.get("mlp").signal_args() == ("n_features", "n_outputs")
    assert ConcatTeacher.input_dims_for({"encoder": "cnn1d"}) == (("channel", "time"),) * 2
    assert ConcatTeacher.input_dims_for({}) == (("feature",),) * 2


def test_models_record_sfreq():
    model = build_model("cnn1d", n_channels=2, n_times=64, sfreq=128, n_outputs=2)
    assert model.sfreq == 128.0
    face = build_model("face_window_tcn", frame_size=16, embed_dim=8, channels=(8,), n_times=4,
                       sfreq=4.0)
    assert face.sfreq == 4.0 and face.input_shapes == [(4, 1, 16, 16)]
