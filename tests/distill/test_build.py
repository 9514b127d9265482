"""Models sized from the cached dims through the models' declared input layouts."""

import numpy as np
import pytest

from emopipe.distill._build import InputMeta, cohort_inputs, plan_model
from emopipe.distill.data import CohortData


def test_band_features_size_a_flat_or_a_channel_model():
    de = InputMeta("eeg:de", (32, 5), ("window", "channel", "band"))
    flat = plan_model("mlp", [de], 2)
    assert flat.kwargs == {"n_features": 160, "n_outputs": 2} and flat.shapes == ((160,),)
    per_channel = plan_model("eegnet_mini", [de], 3)
    assert per_channel.kwargs == {"n_channels": 32, "n_features": 5, "n_outputs": 3}
    model = per_channel.build()
    assert model.input_shapes == [(32, 5)]
    x = np.zeros((7, 32, 5), np.float32)
    assert per_channel.arrange([x])[0].shape == (7, 32, 5)
    assert flat.arrange([x])[0].shape == (7, 160)


def test_raw_windows_give_channels_times_and_sfreq():
    raw = InputMeta("eeg:raw", (4, 64), ("window", "channel", "time"), 128.0)
    gsr = InputMeta("gsr:raw", (1, 64), ("window", "channel", "time"), 128.0)
    assert plan_model("ekd_student", [gsr], 2).kwargs == {
        "n_channels": 1, "n_times": 64, "sfreq": 128.0, "n_outputs": 2}
    assert plan_model("ekd_teacher", [raw, gsr], 2).kwargs == {
        "n_channels_a": 4, "n_times": 64, "n_channels_b": 1, "sfreq": 128.0, "n_outputs": 2}
    # the concat teacher's encoder follows the layout of its inputs; params override
    assert plan_model("concat_teacher", [raw, gsr], 2).kwargs["encoder"] == "cnn1d"
    vec = InputMeta("eog:features", (6,), ("window", "feature"))
    assert plan_model("concat_teacher", [vec, vec], 2).kwargs == {
        "n_features_a": 6, "n_features_b": 6, "n_outputs": 2, "encoder": "mlp"}
    assert plan_model("cnn1d", [gsr], 2, {"n_outputs": 5}).kwargs["n_outputs"] == 5
    with pytest.raises(ValueError, match=r"one n_times for all its inputs.*give 64 and 32"):
        plan_model("ekd_teacher", [raw, InputMeta("gsr:raw", (1, 32), gsr.dims)], 2)


def test_face_frames_get_their_plane():
    frames = InputMeta("face:frames", (4, 16, 16), ("window", "time", "height", "width"), 4.0)
    plan = plan_model("face_window_tcn", [frames], 1)
    assert plan.kwargs == {"n_times": 4, "frame_size": (16, 16), "sfreq": 4.0, "n_outputs": 1}
    assert plan.shapes == ((4, 1, 16, 16),)


def test_layout_mismatch_names_the_input_and_the_fix():
    de = InputMeta("eeg:de", (32, 5), ("window", "channel", "band"))
    with pytest.raises(ValueError, match=r"'cnn1d' \(CNN1d\) input 'x' takes axes \('channel', "
                                         r"'time'\), but eeg:de has dims \('window', 'channel', "
                                         r"'band'\).*'eeg:raw'"):
        plan_model("cnn1d", [de], 2)
    with pytest.raises(ValueError, match=r"takes 2 input\(s\) \(x_a, x_b\), got 1 \(eeg:de\)"):
        plan_model("fusion_mlp", [de], 2)


def test_cohort_inputs_carry_dims_and_sfreq():
    n = 6
    c = CohortData.from_arrays({"eeg:raw": np.zeros((n, 2, 8))}, subject=["s1"] * n,
                               trial=np.arange(n), labels={},
                               dims={"eeg:raw": ("window", "channel", "time")},
                               sfreq={"eeg:raw": 128})
    (meta,) = cohort_inputs(c, ["eeg:raw"])
    assert meta == InputMeta("eeg:raw", (2, 8), ("window", "channel", "time"), 128.0)
