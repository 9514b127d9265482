"""Distillation recipes: what ``--method NAME`` trains, with which losses and models.

A :class:`Recipe` names the teacher's objective, the student's objective
(weighted terms of the ``LOSSES`` registry), the target kind (classes or a
continuous rating), an optional feedback loop that updates the teacher
during student training, and the default teacher and student models for
the given inputs. Every weight and loss parameter can be overridden from the
config (``loss_weights``, ``loss_params``); the resolved values are written
to the run folder.

=============  ===========================================================
method         student objective (teacher objective)
=============  ===========================================================
``none``       CE (no teacher)
``hinton_kd``  0.1 CE + 0.9 KD, tau = 4 (RepDistiller plain KD)  (CE)
``fitnet``     CE + 1 hint, learned linear regressor  (CE)
``crd``        CE + 0.8 CRD, 4096 uniform negatives  (CE)
``cmcrd``      CE + 0.02 CMCRD [+ 1 KD tau = 4] [+ 100 MCC]  (CE + MCC on
               training batches: CMCRD's defect 1 fixed)
``sp``         CE + 100 SP  (CE)
``rkd``        CE + 1 RKD  (CE)
``pkt``        CE + 1000 PKT  (CE)
``nst``        CE + 10 NST  (CE)
``ekd``        MLKD (e1 = 1, e2 = 0.1, e3 = 1) + feedback to the teacher
               (EmotionKD, docs/methods.md section 4)  (CE)
``bs25``       CE + MLKD's KD terms scaled by a ``DynamicKDWeight``
               (updated per epoch on validation accuracy) + feedback (BS25
               default = EKD recipe with EOG for GSR, section 6)  (CE)
``v2e``        CCC + 1 L1 feature, continuous target (CCC)
=============  ===========================================================

Baseline weights of the feature methods follow CMCRD's ``distill.py``
(crd 0.02 for CMCRD itself, hint 1, nst 10, similarity 100, rkd 1, pkt 1000).

Default models: feature vectors give ``"mlp"`` (one input) or
``"fusion_mlp"`` (several); raw windows give ``"cnn1d"`` (``"ekd_teacher"``
/ ``"ekd_student"`` for ``ekd`` and ``bs25``); ``v2e`` uses ``"face_window_tcn"``
when the teacher input is face frames, otherwise the teacher modality must
be given explicitly (any feature modality then gets an MLP regressor).
"""

import inspect
from dataclasses import dataclass, field

import torch

from ..utils._registry import Registry
from ..utils._errors import ConfigError
from .losses import LOSSES
from .losses._base import _DeclaredFields

#: method name -> :class:`Recipe`
METHODS = Registry("Method", "methods")


@dataclass(frozen=True)
class Term:
    """One weighted loss term: ``weight * LOSSES[loss](**params)(...)``.

    Parameters
    ----------
    loss : str
        Key of ``emopipe.distill.losses.LOSSES``.
    weight : float
        Multiplier; a term of weight 0 is optional and skipped (enable it
        with ``loss_weights``).
    params : dict
        Constructor keyword arguments.
    """

    loss: str
    weight: float = 1.0
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Recipe:
    """What one ``--method`` trains.

    Parameters
    ----------
    name : str
        Registry key.
    summary : str
        One line for logs and the run record.
    student : tuple of Term
        Student objective.
    teacher : tuple of Term
        Teacher objective (empty for ``"none"``: no teacher is trained).
    target_kind : str
        ``"class"`` or ``"continuous"``.
    feedback : str | None
        ``None``, ``"ekd"`` (one-step look-ahead feedback updating the
        teacher) or ``"dynamic"`` (feedback plus a ``DynamicKDWeight`` on the
        KD term).
    raw_models : tuple of str | None
        ``(teacher, student)`` defaults for raw-window inputs.
    """

    name: str
    summary: str
    student: tuple
    teacher: tuple = (Term("ce"),)
    target_kind: str = "class"
    feedback: str | None = None
    raw_models: tuple | None = None

    @property
    def needs_teacher(self):
        """Whether the recipe trains a teacher (it has teacher terms)."""
        return len(self.teacher) > 0


def _add(recipe):
    METHODS.register(recipe.name)(recipe)
    return recipe


_CE = Term("ce")
_add(Recipe("none", "student alone, cross-entropy", (_CE,), teacher=()))
_add(Recipe("hinton_kd", "0.1 CE + 0.9 Hinton KD (tau 4)",
            (Term("ce", 0.1), Term("hinton_kd", 0.9, {"tau": 4.0}))))
_add(Recipe("fitnet", "CE + hint (FitNet) on the last feature",
            (_CE, Term("hint", 1.0, {"projector": True}))))
_add(Recipe("crd", "CE + 0.8 CRD", (_CE, Term("crd", 0.8, {"nce_k": 4096}))))
_add(Recipe("cmcrd", "CE + 0.02 CMCRD [+ KD] [+ MCC]; teacher CE + MCC",
            (_CE, Term("cmcrd", 0.02, {"nce_k": 1000}), Term("hinton_kd", 0.0, {"tau": 4.0}),
             Term("mcc", 0.0)),
            teacher=(_CE, Term("mcc", 1.0))))
_add(Recipe("sp", "CE + 100 SP", (_CE, Term("sp", 100.0))))
_add(Recipe("rkd", "CE + 1 RKD", (_CE, Term("rkd", 1.0))))
_add(Recipe("pkt", "CE + 1000 PKT", (_CE, Term("pkt", 1000.0))))
_add(Recipe("nst", "CE + 10 NST", (_CE, Term("nst", 10.0))))
_add(Recipe("ekd", "EmotionKD: MLKD + teacher feedback",
            (Term("mlkd", 1.0, {"e1": 1.0, "e2": 0.1, "e3": 1.0}),), feedback="ekd",
            raw_models=("ekd_teacher", "ekd_student")))
_add(Recipe("bs25", "multimodal KD with dynamic feedback (EKD recipe, EOG student)",
            (_CE, Term("mlkd", 1.0, {"e1": 0.0, "e2": 0.1, "e3": 1.0})), feedback="dynamic",
            raw_models=("ekd_teacher", "ekd_student")))
_add(Recipe("v2e", "CCC + L1 feature, continuous target; teacher CCC",
            (Term("ccc"), Term("l1_feature", 1.0)), teacher=(Term("ccc"),),
            target_kind="continuous"))


def get_recipe(method):
    """Recipe registered as ``method`` (KeyError listing the methods otherwise).

    Parameters
    ----------
    method : str
        A key of :data:`METHODS`.

    Returns
    -------
    recipe : Recipe
        The recipe.
    """
    return METHODS.get(method)


def default_models(recipe, teacher_raw, student_raw, *, teacher_face=False):
    """Default ``(teacher_model, student_model)`` names for the inputs.

    Parameters
    ----------
    recipe : Recipe
        The method.
    teacher_raw, student_raw : list of bool
        Per input, whether it holds raw windows (a ``"time"`` axis).
    teacher_face : bool
        Whether the teacher input is face frames.

    Returns
    -------
    teacher : str | None
        Model name (``None`` when the recipe has no teacher).
    student : str
        Model name.
    """
    def pick(raw, role):
        if recipe.raw_models is not None and all(raw):
            return recipe.raw_models[0 if role == "teacher" else 1]
        if any(raw):
            return "cnn1d" if len(raw) == 1 else "concat_teacher"
        return "mlp" if len(raw) == 1 else "fusion_mlp"

    student = pick(student_raw, "student")
    if not recipe.needs_teacher:
        return None, student
    if recipe.target_kind == "continuous" and teacher_face:
        return "face_window_tcn", student
    return pick(teacher_raw, "teacher"), student


def resolve_terms(terms, *, weights=None, params=None):
    """Apply config overrides to a recipe's terms, dropping zero weights.

    Parameters
    ----------
    terms : tuple of Term
        From a recipe.
    weights : dict of str -> float | None
        Weight overrides by loss name.
    params : dict of str -> dict | None
        Constructor parameter overrides by loss name.

    Returns
    -------
    terms : list of Term
        Terms with non-zero weight.
    """
    weights = weights or {}
    params = params or {}
    out = []
    for t in terms:
        w = float(weights.get(t.loss, t.weight))
        if w == 0:
            continue
        out.append(Term(t.loss, w, {**t.params, **params.get(t.loss, {})}))
    return out


# --------------------------------------------------------------------------- objectives
def _build_loss(name, params, pool):
    """``LOSSES[name]`` built from its declared fold arguments and ``params``.

    ``pool`` holds what the fold supplies (``s_dim``, ``t_dim``, ...); the
    loss takes the entries its ``needs`` name, and ``params`` (the recipe's
    and the config's ``loss_params``) override them. Keys the constructor
    does not accept are an error listing those it does.
    """
    cls = LOSSES.get(name)
    kwargs = {k: pool[k] for k in cls.needs if k in pool and k not in params}
    kwargs.update(params)
    accepted = [k for k in inspect.signature(cls).parameters]
    unknown = [k for k in kwargs if k not in accepted]
    if unknown:
        raise ConfigError(
            f"loss_params[{name!r}] has unknown key(s) {', '.join(repr(k) for k in unknown)}; "
            f"{cls.__name__} accepts {', '.join(repr(k) for k in accepted)}."
        )
    return cls(**kwargs)


def make_objective(terms, *, s_dim=None, t_dim=None, n_data=None, n_classes=None,
                   bank_labels=None, generator=None):
    """Build the weighted sum of loss terms as a module (its parameters train too).

    Parameters
    ----------
    terms : list of Term
        From :func:`resolve_terms`.
    s_dim, t_dim : int | None
        Flattened student and teacher feature sizes.
    n_data : int | None
        Training windows of the fold (contrastive memory rows).
    n_classes : int | None
        Number of classes.
    bank_labels : ndarray of int, shape (n_data,) | None
        Class of every training window (class-conditional negatives).
    generator : torch.Generator | None
        Generator of memory initialisation and negative sampling.

    Returns
    -------
    objective : Objective
        ``objective(batch) -> (loss, parts)``.
    """
    pool = {"s_dim": s_dim, "t_dim": t_dim, "n_data": n_data, "n_classes": n_classes,
            "bank_labels": bank_labels, "generator": generator}
    pool = {k: v for k, v in pool.items() if v is not None}
    return Objective(terms, {t.loss: _build_loss(t.loss, t.params, pool) for t in terms},
                     generator=generator)


class Objective(torch.nn.Module):
    """Weighted sum of loss terms on a batch dict.

    Parameters
    ----------
    terms : list of Term
        Terms with their weights.
    modules : dict of str -> DistillLoss
        The built loss of each term, by loss name; each is called on the
        batch fields its ``inputs`` declare.
    generator : torch.Generator | None
        Passed to the contrastive losses for negative sampling.
    """

    def __init__(self, terms, modules, *, generator=None):
        super().__init__()
        self.terms = list(terms)
        self.losses = torch.nn.ModuleDict(modules)
        self.generator = generator
        self.kd_scale = 1.0  # multiplies every term that needs the teacher (BS25 dynamic weight)
        #: losses computed on the unlabelled batch's logits ``z_unlabelled`` when the batch
        #: holds one (transductive MCC, ``DistillConfig.mcc_on_test``); empty by default
        self.on_unlabelled = ()

    @property
    def uses_teacher(self):
        """True when a term reads teacher outputs (``z_t`` or ``f_t``)."""
        return any(self.losses[t.loss].uses_teacher for t in self.terms)

    def forward(self, batch):
        """Compute ``sum_j w_j L_j(batch)`` and the value of each term.

        Parameters
        ----------
        batch : dict
            ``z_s`` (batch, n_classes), ``f_s`` (batch, s_dim), ``y`` (batch,),
            ``idx`` (batch,) and, for KD terms, ``z_t`` and ``f_t``
            (:data:`~emopipe.distill.losses.BATCH_FIELDS`). A field a term
            declares but the batch lacks (or holds as ``None``) is a
            ValueError naming the loss and the field.

        Returns
        -------
        loss : Tensor, shape ()
            Weighted sum.
        parts : dict of str -> Tensor
            Unweighted value of each term (detached).
        """
        if self.generator is not None:
            batch = {**batch, "generator": self.generator}
        total = 0.0
        parts = {}
        for t in self.terms:
            loss = self.losses[t.loss]
            fields = batch
            if t.loss in self.on_unlabelled and batch.get("z_unlabelled") is not None:
                fields = {**batch, "z_s": batch["z_unlabelled"]}
            val = loss.forward_batch(_DeclaredFields(t.loss, loss, fields))
            parts[t.loss] = val.detach()
            scale = self.kd_scale if loss.uses_teacher else 1.0
            total = total + t.weight * scale * val
        return total, parts
