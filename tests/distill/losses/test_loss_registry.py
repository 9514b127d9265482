"""The loss registry and what each loss declares: batch fields read, fold sizes taken."""

import inspect

import pytest
import torch

from emopipe.distill.losses import (
    BATCH_FIELDS,
    FOLD_ARGUMENTS,
    LOSSES,
    CRDLoss,
    DistillLoss,
    HintLoss,
    register_loss,
)
from emopipe.distill.methods import Objective, Term, make_objective


# --------------------------------------------------------------------- registry
def test_registry_holds_the_catalogue():
    expected = {"ce", "hinton_kd", "hint", "l1_feature", "ccc", "crd", "cmcrd", "mcc", "mlkd",
                "sp", "rkd", "pkt", "nst", "attention"}
    assert expected <= set(LOSSES.names())
    assert LOSSES.get("crd") is CRDLoss
    with pytest.raises(KeyError, match=r"Loss 'crd_v2' not found\. Available losses: "
                                        r"'attention', .*Did you mean 'crd'\?"):
        LOSSES.get("crd_v2")
    with pytest.raises(ValueError, match="already registered"):
        register_loss("crd")(HintLoss)


def test_register_loss_checks_the_declarations():
    class NoInputs(DistillLoss):
        pass

    class Typo(DistillLoss):
        inputs = ("zs",)

    class BadNeeds(DistillLoss):
        inputs = ("z_s",)
        needs = ("n_class",)

    with pytest.raises(ValueError, match=r"Loss 'no_inputs' \(NoInputs\) must declare the batch "
                                         r"fields it reads.*got inputs = \(\)"):
        register_loss("no_inputs")(NoInputs)
    with pytest.raises(ValueError, match=r"Typo\.inputs holds 'zs', which is none of the batch "
                                         r"fields .*Did you mean 'z_s'\?"):
        register_loss("typo")(Typo)
    with pytest.raises(ValueError, match=r"BadNeeds\.needs holds 'n_class'.*Did you mean "
                                         r"'n_classes'\?"):
        register_loss("bad_needs")(BadNeeds)
    with pytest.raises(TypeError, match=r"Loss 'plain' must be a subclass of "
                                        r"emopipe\.distill\.losses\.DistillLoss"):
        register_loss("plain")(torch.nn.MSELoss)
    assert not {"no_inputs", "typo", "bad_needs", "plain"} & set(LOSSES.names())


# --------------------------------------------------------------------- declarations
def test_fold_arguments_are_make_objectives():
    sig = inspect.signature(make_objective).parameters
    keyword_only = [k for k, p in sig.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert list(FOLD_ARGUMENTS) == keyword_only


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_declares_inputs_and_needs_its_constructor_takes(name):
    cls = LOSSES.get(name)
    assert issubclass(cls, DistillLoss)
    assert cls.inputs and set(cls.inputs) <= set(BATCH_FIELDS)
    assert len(set(cls.inputs)) == len(cls.inputs)
    # needs are exactly the constructor's arguments that the fold can supply
    sig = inspect.signature(cls).parameters
    assert list(cls.needs) == [k for k in sig if k in FOLD_ARGUMENTS]


B, N_DATA = 8, 20


def _full_batch(name):
    """Every batch field, shaped so that any registered loss accepts it."""
    gen = torch.Generator().manual_seed(0)
    y = torch.tensor([0, 1] * (B // 2))
    batch = {"z_s": torch.randn(B, 2, generator=gen), "z_t": torch.randn(B, 2, generator=gen),
             "f_s": torch.randn(B, 3, 4, generator=gen),  # a map: NST and attention need one
             "f_t": torch.randn(B, 3, 4, generator=gen), "y": y,
             "idx": torch.randperm(N_DATA, generator=gen)[:B]}
    if name == "ccc":  # one rating per sample
        batch["z_s"], batch["y"] = batch["z_s"][:, :1], torch.randn(B, generator=gen)
    return batch


def _objective(name):
    params = {"crd": {"nce_k": 4}, "cmcrd": {"nce_k": 4}}.get(name, {})
    return make_objective([Term(name, 1.0, params)], s_dim=12, t_dim=12, n_data=N_DATA,
                          n_classes=2, bank_labels=torch.arange(N_DATA) % 2,
                          generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("name", LOSSES.names())
def test_objective_calls_each_loss_on_its_declared_fields_only(name):
    obj = _objective(name)
    loss_cls = LOSSES.get(name)
    full = _full_batch(name)
    # the declared fields are enough (any other read would raise a KeyError naming the loss)
    loss, parts = obj({k: full[k] for k in loss_cls.inputs})
    assert torch.isfinite(loss) and set(parts) == {name}
    assert obj.uses_teacher == bool({"z_t", "f_t"} & set(loss_cls.inputs))
    # each declared field is needed: without it, the error names the loss and the field
    for missing in loss_cls.inputs:
        batch = {k: full[k] for k in loss_cls.inputs if k != missing}
        with pytest.raises(ValueError, match=rf"Loss '{name}' \({loss_cls.__name__}\) reads "
                                             rf"batch field '{missing}' .*but the batch has "
                                             rf"none.*Put '{missing}' in the batch or drop the "
                                             rf"'{name}' term"):
            obj(batch)
        with pytest.raises(ValueError, match=rf"batch field '{missing}'"):
            obj({**batch, missing: None})


def test_only_terms_reading_the_teacher_are_scaled():
    z_s, z_t = torch.randn(6, 3), torch.randn(6, 3)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    obj = make_objective([Term("ce"), Term("hinton_kd", 0.5)])
    _, parts = obj({"z_s": z_s, "z_t": z_t, "y": y})
    obj.kd_scale = 3.0
    loss, _ = obj({"z_s": z_s, "z_t": z_t, "y": y})
    assert float(loss) == pytest.approx(float(parts["ce"] + 1.5 * parts["hinton_kd"]), rel=1e-6)
    assert not make_objective([Term("ce"), Term("mcc")], n_classes=3).uses_teacher


def test_reading_an_undeclared_field_is_an_error_naming_the_loss():
    class Sneaky(DistillLoss):
        inputs = ("z_s",)

        def forward_batch(self, batch):
            return (batch["z_s"] - batch["z_t"]).pow(2).mean()

    obj = Objective([Term("sneaky")], {"sneaky": Sneaky()})
    with pytest.raises(KeyError, match=r"Loss 'sneaky' \(Sneaky\) read batch field 'z_t', which "
                                       r"it does not declare: Sneaky\.inputs = \('z_s',\)\. Add "
                                       r"'z_t' to Sneaky\.inputs"):
        obj({"z_s": torch.zeros(2, 2), "z_t": torch.zeros(2, 2)})
