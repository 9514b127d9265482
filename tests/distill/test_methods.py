"""Method recipes: registry, objectives computed independently, defaults, KD benefit."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from emopipe.distill.data import CohortData
from emopipe.distill.methods import (
    METHODS,
    Term,
    default_models,
    get_recipe,
    make_objective,
    resolve_terms,
)
from emopipe.distill.train import DistillConfig, run_distill


def test_registry_lists_every_method():
    assert METHODS.names() == sorted(["none", "hinton_kd", "fitnet", "crd", "cmcrd", "sp", "rkd",
                                      "pkt", "nst", "ekd", "bs25", "v2e"])
    with pytest.raises(KeyError, match=r"Method 'hinton' not found.*Did you mean 'hinton_kd'"):
        get_recipe("hinton")


def test_hinton_objective_equals_hand_formula(rng):
    z_s = torch.tensor(rng.standard_normal((6, 3)), dtype=torch.float32)
    z_t = torch.tensor(rng.standard_normal((6, 3)), dtype=torch.float32)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    obj = make_objective(resolve_terms(get_recipe("hinton_kd").student))
    loss, parts = obj({"z_s": z_s, "z_t": z_t, "y": y, "f_s": None, "f_t": None, "idx": None})
    tau = 4.0
    p_t = torch.softmax(z_t / tau, 1)
    kl = (p_t * (p_t.log() - torch.log_softmax(z_s / tau, 1))).sum(1).mean() * tau**2
    ce = -torch.log_softmax(z_s, 1)[torch.arange(6), y].mean()
    assert float(loss) == pytest.approx(float(0.1 * ce + 0.9 * kl), rel=1e-5)
    assert set(parts) == {"ce", "hinton_kd"}


def test_cmcrd_teacher_adds_mcc_and_student_options(rng):
    recipe = get_recipe("cmcrd")
    assert [(t.loss, t.weight) for t in resolve_terms(recipe.teacher)] == [("ce", 1.0),
                                                                           ("mcc", 1.0)]
    z = torch.tensor(rng.standard_normal((8, 2)), dtype=torch.float32)
    y = torch.tensor([0, 1] * 4)
    obj = make_objective(resolve_terms(recipe.teacher), n_classes=2)
    loss, parts = obj({"z_s": z, "y": y})
    # MCC is actually in the teacher loss (CMCRD defect 1 fixed)
    assert float(parts["mcc"]) > 0
    assert float(loss) == pytest.approx(float(F.cross_entropy(z, y) + parts["mcc"]), rel=1e-6)
    student = resolve_terms(recipe.student)
    assert [(t.loss, t.weight) for t in student] == [("ce", 1.0), ("cmcrd", 0.02)]
    with_kd = resolve_terms(recipe.student, weights={"hinton_kd": 1.0},
                            params={"cmcrd": {"nce_k": 16}})
    assert [t.loss for t in with_kd] == ["ce", "cmcrd", "hinton_kd"]
    assert with_kd[1].params == {"nce_k": 16}


def test_class_conditional_negatives_come_from_other_classes(rng):
    labels = torch.tensor([0] * 30 + [1] * 10)
    terms = [Term("cmcrd", 1.0, {"nce_k": 12})]
    obj = make_objective(terms, s_dim=4, t_dim=5, n_data=40, n_classes=2, bank_labels=labels,
                         generator=torch.Generator().manual_seed(0))
    from emopipe.distill.losses._contrastive import _negatives

    idx = torch.arange(40)
    neg = _negatives(obj.losses["cmcrd"], {"idx": idx, "generator": obj.generator})
    assert neg.shape == (40, 12)
    assert (labels[neg] != labels[idx][:, None]).all()
    batch = {"z_s": torch.randn(40, 2), "z_t": torch.randn(40, 2), "f_s": torch.randn(40, 4),
             "f_t": torch.randn(40, 5), "y": labels, "idx": idx}
    loss, _ = obj(batch)
    assert torch.isfinite(loss)


def test_default_models():
    assert default_models(get_recipe("cmcrd"), [False], [False]) == ("mlp", "mlp")
    assert default_models(get_recipe("hinton_kd"), [False, False], [False]) == ("fusion_mlp", "mlp")
    assert default_models(get_recipe("ekd"), [True, True], [True]) == ("ekd_teacher",
                                                                      "ekd_student")
    assert default_models(get_recipe("bs25"), [True, True], [True]) == ("ekd_teacher",
                                                                       "ekd_student")
    assert default_models(get_recipe("crd"), [True], [True]) == ("cnn1d", "cnn1d")
    assert default_models(get_recipe("v2e"), [True], [False], teacher_face=True) == (
        "face_window_tcn", "mlp")
    assert default_models(get_recipe("none"), [False], [False]) == (None, "mlp")


def _feature_cohort(seed=0):
    rng = np.random.default_rng(seed)
    n_sub, n_trials, n_win = 3, 6, 5
    n = n_sub * n_trials * n_win
    subject = np.repeat([f"s{i}" for i in range(n_sub)], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(n_trials), n_win), n_sub)
    v = np.repeat(rng.standard_normal(n_sub * n_trials), n_win)
    a, b, s = (rng.standard_normal((n, 4)) for _ in range(3))
    a[:, 0] += 2 * v
    s[:, 0] += 0.5 * v
    return CohortData.from_arrays({"eeg:de": a, "eog:features": b, "gsr:features": s},
                                  subject=subject, trial=trial,
                                  labels={"valence_class": (v > 0).astype(int)})


@pytest.mark.parametrize("method", ["ekd", "bs25"])
def test_feedback_methods_update_the_teacher(method):
    c = _feature_cohort()
    res = run_distill(DistillConfig(teacher="eeg+eog", student="gsr", method=method, epochs=2,
                                    batch_size=16, n_threads=1, max_folds=1), cohort=c)
    assert res.summary["teacher_model"] == "fusion_mlp"
    info = res.summary["training"][res.folds[0]]
    # one feedback update per student step; the live teacher moved, the baseline has none
    assert info["student"]["feedback_steps"] == info["student"]["steps"] > 0
    assert info["student"]["teacher_shift"] > 0
    assert info["baseline"]["feedback_steps"] == 0
    if method == "bs25":
        assert len(info["student"]["kd_scale"]) == 2


@pytest.mark.parametrize("method", ["fitnet", "crd", "sp", "rkd", "pkt", "nst"])
def test_feature_methods_train_with_their_term(method):
    c = _feature_cohort()
    res = run_distill(DistillConfig(teacher="eeg", student="gsr", method=method, epochs=1,
                                    batch_size=16, n_threads=1, max_folds=1,
                                    loss_params={"crd": {"nce_k": 8}} if method == "crd"
                                    else {}), cohort=c)
    terms = [t["loss"] for t in res.summary["loss_terms"]["student"]]
    assert terms == ["ce", {"fitnet": "hint"}.get(method, method)]
    assert res.summary["loss_terms"]["teacher"] == [{"loss": "ce", "weight": 1.0, "params": {}}]


def test_raw_window_methods_pick_the_ekd_models():
    rng = np.random.default_rng(0)
    n_sub, n_trials, n_win = 3, 4, 4
    n = n_sub * n_trials * n_win
    subject = np.repeat([f"s{i}" for i in range(n_sub)], n_trials * n_win)
    trial = np.tile(np.repeat(np.arange(n_trials), n_win), n_sub)
    y = np.tile(np.repeat([0, 1, 0, 1], n_win), n_sub)
    raw = ("window", "channel", "time")
    c = CohortData.from_arrays({"eeg:raw": rng.standard_normal((n, 4, 64)),
                                "gsr:raw": rng.standard_normal((n, 1, 64))},
                               subject=subject, trial=trial, labels={"valence_class": y},
                               dims={"eeg:raw": raw, "gsr:raw": raw})
    res = run_distill(DistillConfig(teacher="eeg:raw+gsr:raw", student="gsr:raw", method="ekd",
                                    epochs=1, batch_size=16, n_threads=1, max_folds=1), cohort=c)
    assert (res.summary["teacher_model"], res.summary["student_model"]) == ("ekd_teacher",
                                                                            "ekd_student")
    info = res.summary["training"][res.folds[0]]["student"]
    assert info["feedback_steps"] == info["steps"] == 2  # 32 training windows / 16
    res = run_distill(DistillConfig(teacher="eeg:raw+gsr:raw", student="gsr:raw",
                                    method="hinton_kd", epochs=1, batch_size=16, n_threads=1,
                                    max_folds=1), cohort=c)
    assert (res.summary["teacher_model"], res.summary["student_model"]) == ("concat_teacher",
                                                                            "cnn1d")


def test_shared_negatives_run_is_recorded_and_reproducible():
    c = _feature_cohort()
    cfg = DistillConfig(teacher="eeg", student="gsr", method="cmcrd", epochs=2, batch_size=16,
                        n_threads=1, max_folds=1,
                        loss_params={"cmcrd": {"nce_k": 8, "share_negatives": True}})
    a, b = run_distill(cfg, cohort=c), run_distill(cfg, cohort=c)
    term = [t for t in a.summary["loss_terms"]["student"] if t["loss"] == "cmcrd"][0]
    assert term["params"] == {"nce_k": 8, "share_negatives": True}
    fold = a.folds[0]
    np.testing.assert_array_equal(a.predictions[fold]["student"], b.predictions[fold]["student"])
