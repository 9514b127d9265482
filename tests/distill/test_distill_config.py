"""DistillConfig at load time: numeric fields, loss keys and parameters, YAML shape."""

import re

import pytest

from emopipe.distill.config import DistillConfig, load_distill_config
from emopipe.utils._errors import ConfigError, ConfigTypeError


def _load(tmp_path, text):
    path = tmp_path / "distill.yaml"
    path.write_text(text)
    return load_distill_config(path)


@pytest.mark.parametrize("line, msg", [
    ("lr: .inf", "lr must be a finite number > 0, got inf."),
    ("lr: .nan", "lr must be a finite number > 0, got nan."),
    ("lr: 0", "lr must be > 0, got 0."),
    ("epochs: -1", "epochs must be >= 1, got -1."),
    ("seed: -5", "seed must be >= 0, got -5."),
    ("teacher_lr: -1e-3", "teacher_lr must be > 0, got -0.001."),
    ("weight_decay: -1", "weight_decay must be >= 0, got -1."),
    ("patience: -1", "patience must be >= 0, got -1. 0 never stops early."),
    ("batch_size: 1", "batch_size must be >= 2, got 1. BatchNorm needs two windows per batch."),
    ("n_folds: 1", "n_folds must be >= 2, got 1."),
    ("val_fraction: 1", "val_fraction must be in [0, 1), got 1."),
    ("feedback_every: 0", "feedback_every must be >= 1, got 0."),
    ("feedback_lr: .inf", "feedback_lr must be a finite number > 0, got inf."),
    ("max_folds: 0", "max_folds must be >= 1, got 0."),
    ("teacher_epochs: 0", "teacher_epochs must be >= 1, got 0."),
    ("n_threads: 0", "n_threads must be in [1, 1024], got 0. It is fixed per run (not the "
                     "machine's core count) so that results do not depend on the machine."),
])
def test_numeric_range_errors_from_yaml(tmp_path, line, msg):
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, f"distill:\n  method: hinton_kd\n  {line}\n")
    assert str(info.value) == f"distill.yaml: {msg}"  # the file, then the field


@pytest.mark.parametrize("line, msg", [
    ("epochs: five", "epochs must be an int, got str ('five') instead. Write a number such as 5 "
                     "or 1e-3, without quotes."),
    ("lr: '1e-3'", "lr must be a number, got str ('1e-3') instead. Write a number such as 5 or "
                   "1e-3, without quotes."),
    ("seed: 1.5", "seed must be an int, got float (1.5) instead. Give a whole number, e.g. 1."),
    ("lr: true", "lr must be a number, got bool (True) instead."),
    ("n_threads: null", "n_threads must be an int, got NoneType (None) instead."),
])
def test_numeric_type_errors_from_yaml(tmp_path, line, msg):
    with pytest.raises(ConfigTypeError) as info:
        _load(tmp_path, f"distill:\n  {line}\n")
    assert str(info.value) == f"distill.yaml: {msg}"


def test_exponent_floats_and_defaults(tmp_path):
    cfg = _load(tmp_path, "distill:\n  lr: 1e-9\n  feedback_lr: 5E-5\n")
    assert cfg.lr == 1e-9 and isinstance(cfg.lr, float) and cfg.feedback_lr == 5e-5
    assert cfg.n_threads == 1


@pytest.mark.parametrize("text, cls, msg", [
    ("", ConfigError, "distill.yaml: the config file is empty."),
    ("distill:\n", ConfigError, "distill.yaml: the 'distill:' section is empty. Indent the "
                                "fields under it"),
    ("- method: cmcrd\n", ConfigTypeError, "distill.yaml: a config must be a mapping of "
                                           "field -> value (optionally under a top-level "
                                           "'distill:' key), got a YAML list."),
    ("distill: [1, 2]\n", ConfigTypeError, "distill.yaml: the 'distill:' section must be a "
                                           "mapping of field -> value, got a YAML list."),
    ("distill: cmcrd\n", ConfigTypeError, "distill.yaml: the 'distill:' section must be a "
                                          "mapping of field -> value, got a YAML str."),
])
def test_yaml_that_is_not_a_mapping(tmp_path, text, cls, msg):
    with pytest.raises(cls, match="^" + re.escape(msg)):
        _load(tmp_path, text)


@pytest.mark.parametrize("kw, msg", [
    (dict(method="hinton_kd", loss_weights={"hinton": 1.0}),
     "loss_weights has unknown key 'hinton' ('hinton' is not a loss). Its keys must be terms of "
     "method 'hinton_kd': 'ce', 'hinton_kd'. Did you mean 'hinton_kd'?"),
    (dict(method="hinton_kd", loss_weights={"crd": 1.0}),
     "loss_weights has unknown key 'crd' ('crd' is a loss, but method 'hinton_kd' has no 'crd' "
     "term). Its keys must be terms of method 'hinton_kd': 'ce', 'hinton_kd'."),
    (dict(method="cmcrd", loss_params={"cmcrdd": {"nce_k": 8}}),
     "loss_params has unknown key 'cmcrdd' ('cmcrdd' is not a loss). Its keys must be terms of "
     "method 'cmcrd': 'ce', 'mcc', 'cmcrd', 'hinton_kd'. Did you mean 'cmcrd'?"),
    (dict(method="cmcrd", loss_params={"cmcrd": {"nce_kk": 8}}),
     "loss_params['cmcrd'] has unknown parameter 'nce_kk'; CMCRDLoss takes 'embed_dim', "
     "'nce_k', 'nce_t', 'momentum', 'negatives', 'share_negatives'. Did you mean 'nce_k'?"),
    (dict(method="cmcrd", loss_params={"cmcrd": {"n_data": 8}}),
     "loss_params['cmcrd']['n_data'] is filled from each fold (training samples of the fold) "
     "and cannot be set. Remove it; CMCRDLoss takes 'embed_dim', 'nce_k', 'nce_t', 'momentum', "
     "'negatives', 'share_negatives'."),
    (dict(method="cmcrd", loss_params={"cmcrd": {"nce_k": -5}}),
     "loss_params['cmcrd']: nce_k must be a positive int, got -5."),
    (dict(method="hinton_kd", loss_params={"hinton_kd": {"tau": 0}}),
     "loss_params['hinton_kd']: tau must be > 0, got 0."),
    (dict(method="cmcrd", loss_params={"cmcrd": {"negatives": "exactly"}}),
     "loss_params['cmcrd']: Invalid value for the 'negatives' parameter. Allowed values are "
     "'uniform', 'exact', but got 'exactly' instead. Did you mean 'exact'?"),
    (dict(method="hinton_kd", loss_weights={"hinton_kd": -1}),
     "loss_weights['hinton_kd'] must be >= 0, got -1. 0 drops the term."),
    (dict(method="hinton_kd", loss_weights={"hinton_kd": float("inf")}),
     "loss_weights['hinton_kd'] must be a finite number >= 0, got inf. 0 drops the term."),
])
def test_loss_keys_and_parameters_refused_when_the_config_is_built(kw, msg):
    with pytest.raises(ConfigError) as info:
        DistillConfig(**kw)
    assert str(info.value) == msg


def test_loss_parameter_types():
    with pytest.raises(ConfigTypeError, match=r"^loss_params\['hinton_kd'\]: tau must be an "
                                              r"instance of numeric, got str \('four'\)"):
        DistillConfig(method="hinton_kd", loss_params={"hinton_kd": {"tau": "four"}})
    with pytest.raises(ConfigTypeError, match=r"^loss_params\['ce'\] must be a mapping of "
                                              r"parameter -> value, e.g. \{'tau': 4.0\}, got "
                                              r"float \(1.0\)\."):
        DistillConfig(method="hinton_kd", loss_params={"ce": 1.0})


def test_good_loss_settings_pass_and_leave_the_global_rng_alone():
    import torch

    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    cfg = DistillConfig(method="cmcrd", loss_weights={"hinton_kd": 1.0, "mcc": 0.5},
                        loss_params={"cmcrd": {"nce_k": 4096, "share_negatives": True},
                                     "mcc": {"tau": 2.0}, "hinton_kd": {"tau": 2.0}})
    assert torch.equal(torch.rand(3), expected)  # the trial build drew nothing
    assert cfg.loss_params["cmcrd"]["nce_k"] == 4096
    # the baseline's supervised term takes parameters too (v2e: CCC)
    DistillConfig(method="v2e", loss_params={"ccc": {"estimator": "v2e"}})


def test_bad_loss_parameter_caught_when_the_yaml_is_read(tmp_path):
    # before this check, nce_k: 0 was refused only when fold 1's student objective was built,
    # after its teacher had trained
    path = tmp_path / "distill.yaml"
    path.write_text("distill:\n  method: cmcrd\n  loss_params:\n    cmcrd: {nce_k: 0}\n")
    with pytest.raises(ConfigError, match=r"^distill\.yaml: loss_params\['cmcrd'\]: nce_k must be a positive "
                                          r"int, got 0\.$"):
        load_distill_config(path)
