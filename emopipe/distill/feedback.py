"""Student-to-teacher feedback: EmotionKD look-ahead step and BS25 dynamic KD weight.

Both mechanisms are only sketched by their papers (methods.md sections 4 and 6);
the defaults here are tagged **[unknown -> default]** and every knob is an
argument recorded by the caller in the run config.
"""

import logging

import torch
import torch.nn.functional as F
from torch.func import functional_call

from ..utils._checks import _check_option, _check_type
from ..utils._errors import ConfigError, ConfigTypeError

logger = logging.getLogger("emopipe.distill.feedback")


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _call(model, inputs, params=None):
    """Run ``model`` (optionally with substituted parameters) and check ``(out, feat)``."""
    if params is None:
        res = model(*inputs)
    else:
        res = functional_call(model, params, inputs)
    if not (isinstance(res, tuple) and len(res) == 2):
        raise ConfigTypeError(
            f"{type(model).__name__}.forward must return a tuple (out, feat) with out of shape "
            f"(batch, n_classes) and feat of shape (batch, feat_dim), got "
            f"{type(res).__name__}."
        )
    return res


def ekd_feedback_step(teacher, student, x_teacher_inputs, x_student_inputs, y, *,
                      student_loss_fn, student_lr, teacher_optimizer, first_order=False,
                      e1=1.0, e2=1.0):
    r"""One EmotionKD feedback update of the teacher through a look-ahead student.

    **[unknown -> default]** (methods.md section 4; Liu, Jia, Wang,
    "EmotionKD", ACM MM 2023, mechanics not released). As in Meta Pseudo
    Labels (Pham et al., CVPR 2021):

    1. ``L_S = student_loss_fn(z_S, z_T, f_S, f_T, y)`` with the teacher's
       graph kept;
    2. a temporary student ``theta_S' = theta_S - student_lr * grad_{theta_S} L_S``
       (``torch.func.functional_call``; the real student is never modified);
    3. ``L_fb = e1 * CE(y, p_T) + e2 * CE(y, p_S'(x))``, with ``p_S'`` the
       temporary student's prediction on the same batch;
    4. ``grad_{theta_T} L_fb`` is written into the teacher's ``.grad`` and
       ``teacher_optimizer.step()`` is called.

    The ``e2`` term reaches the teacher only through ``grad_{theta_S} L_S``
    (a mixed second derivative). ``first_order=True`` drops that path (the
    look-ahead gradient is detached), leaving ``e1 * CE(y, p_T)`` as the only
    teacher signal. Student buffers (e.g. BatchNorm running statistics) are
    cloned, so the student is left exactly as it was; the student's
    ``.grad`` fields are not touched.

    Parameters
    ----------
    teacher : torch.nn.Module
        Teacher; ``forward(*x_teacher_inputs)`` returns ``(out, feat)``.
    student : torch.nn.Module
        Student; ``forward(*x_student_inputs)`` returns ``(out, feat)``.
    x_teacher_inputs : Tensor | tuple of Tensor
        Teacher inputs of the batch (e.g. ``(eeg, gsr)``).
    x_student_inputs : Tensor | tuple of Tensor
        Student inputs of the batch.
    y : Tensor, shape (batch,)
        Class indices.
    student_loss_fn : callable
        ``(z_s, z_t, f_s, f_t, y) -> Tensor, shape ()``, e.g. a ``MLKDLoss``
        (its own parameters, such as a projector, stay fixed here).
    student_lr : float
        Look-ahead step size ``eta_S`` (> 0).
    teacher_optimizer : torch.optim.Optimizer
        Optimizer over the teacher parameters (lr 5e-5 by default in emopipe).
    first_order : bool
        Drop the second-order path through the look-ahead.
    e1 : float
        Weight of the teacher's own cross-entropy.
    e2 : float
        Weight of the look-ahead student's cross-entropy.

    Returns
    -------
    stats : dict
        Floats ``loss_student`` (``L_S``), ``loss_teacher_ce``,
        ``loss_lookahead_ce`` and ``loss_feedback`` (``L_fb``).
    """
    _check_type("first_order", first_order, (bool,))
    _check_type("student_lr", student_lr, ("numeric",))
    if not student_lr > 0:
        raise ConfigError(f"student_lr must be > 0, got {student_lr!r}.")
    for name, val in (("e1", e1), ("e2", e2)):
        _check_type(name, val, ("numeric",))
        if not val >= 0:
            raise ConfigError(f"{name} must be >= 0, got {val!r}.")
    if not isinstance(teacher_optimizer, torch.optim.Optimizer):
        raise ConfigTypeError(
            f"teacher_optimizer must be a torch.optim.Optimizer over the teacher parameters, "
            f"got {type(teacher_optimizer).__name__}."
        )
    x_t = _as_tuple(x_teacher_inputs)
    x_s = _as_tuple(x_student_inputs)

    z_t, f_t = _call(teacher, x_t)
    names = [n for n, p in student.named_parameters() if p.requires_grad]
    params = {n: p for n, p in student.named_parameters() if p.requires_grad}
    frozen = {n: p for n, p in student.named_parameters() if not p.requires_grad}
    buffers = {n: b.clone() for n, b in student.named_buffers()}

    z_s, f_s = _call(student, x_s, {**params, **frozen, **buffers})
    loss_s = student_loss_fn(z_s, z_t, f_s, f_t, y)
    grads = torch.autograd.grad(
        loss_s, [params[n] for n in names], create_graph=not first_order, allow_unused=True
    )
    look = {}
    for n, g in zip(names, grads):
        if g is None:
            look[n] = params[n].detach()
        else:
            g = g.detach() if first_order else g
            # first-order: theta_S' is a constant; second-order: differentiable in theta_T
            look[n] = params[n].detach() - student_lr * g
    z_s2, _ = _call(student, x_s, {**look, **frozen, **buffers})
    ce_t = F.cross_entropy(z_t, y)
    ce_s2 = F.cross_entropy(z_s2, y)
    loss_fb = e1 * ce_t + e2 * ce_s2

    t_params = [p for group in teacher_optimizer.param_groups for p in group["params"]
                if p.requires_grad]
    t_grads = torch.autograd.grad(loss_fb, t_params, allow_unused=True)
    teacher_optimizer.zero_grad(set_to_none=True)
    for p, g in zip(t_params, t_grads):
        p.grad = None if g is None else g.detach()
    teacher_optimizer.step()
    stats = {
        "loss_student": float(loss_s.detach()),
        "loss_teacher_ce": float(ce_t.detach()),
        "loss_lookahead_ce": float(ce_s2.detach()),
        "loss_feedback": float(loss_fb.detach()),
    }
    logger.debug("EKD feedback: %s", stats)
    return stats


class DynamicKDWeight:
    r"""BS25 dynamic feedback: the KD weight follows the student's validation score.

    **[unknown -> default]** Zhang & Lu, "Multimodal Knowledge Distillation for
    Emotion Recognition", Brain Sci. 15(7):707 (2025) describe a feedback phase
    that adjusts the guidance from the student's performance but give no
    mechanics (methods.md section 6). emopipe's rule, applied once per epoch
    by ``update(student_score, teacher_score)`` on **validation** scores:

    1. if ``teacher_score`` is given and the student beats it (by more than
       ``min_delta``), the weight drops by ``step`` (the student needs less
       guidance), and the stall counter resets;
    2. otherwise, if the student improves on its best score by more than
       ``min_delta``, the best is updated, the counter resets and the weight
       stays;
    3. otherwise the counter grows; when it reaches ``patience`` the weight
       rises by ``step`` (more guidance for a stalled student) and the
       counter resets.

    The weight is always clipped to ``[min, max]``. "Better" means larger
    when ``mode="max"`` (accuracy, F1) and smaller when ``mode="min"`` (loss).

    Parameters
    ----------
    initial : float
        Starting weight.
    step : float
        Additive change per adjustment (> 0).
    min : float
        Lower bound of the weight.
    max : float
        Upper bound of the weight.
    patience : int
        Epochs without improvement before the weight rises (>= 1).
    mode : str
        ``"max"`` or ``"min"``.
    min_delta : float
        Margin an improvement must exceed (>= 0).

    Attributes
    ----------
    weight : float
        Current weight (multiply the KD terms of the student loss by it).
    best_ : float | None
        Best student score so far.
    n_stalled_ : int
        Epochs since the last improvement or adjustment.
    history_ : list of dict
        One record per ``update`` call: scores, action, weight.
    """

    def __init__(self, initial=1.0, *, step=0.1, min=0.0, max=2.0, patience=3, mode="max",
                 min_delta=0.0):
        for name, val in (("initial", initial), ("step", step), ("min", min), ("max", max),
                          ("min_delta", min_delta)):
            _check_type(name, val, ("numeric",))
        _check_type("patience", patience, ("int",))
        if not step > 0:
            raise ConfigError(f"step must be > 0, got {step!r}.")
        if not min <= initial <= max:
            raise ConfigError(
                f"initial must lie in [min, max] = [{min!r}, {max!r}], got {initial!r}."
            )
        if patience < 1:
            raise ConfigError(f"patience must be >= 1 epoch, got {patience!r}.")
        if not min_delta >= 0:
            raise ConfigError(f"min_delta must be >= 0, got {min_delta!r}.")
        self.mode = _check_option("mode", mode, ("max", "min"))
        self.initial = float(initial)
        self.step = float(step)
        self.min = float(min)
        self.max = float(max)
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.weight = float(initial)
        self.best_ = None
        self.n_stalled_ = 0
        self.history_ = []

    def _better(self, a, b):
        """Whether score ``a`` beats ``b`` by more than ``min_delta``."""
        if self.mode == "max":
            return a > b + self.min_delta
        return a < b - self.min_delta

    def update(self, student_score, teacher_score=None):
        """Record one epoch's validation scores and adjust the weight.

        Parameters
        ----------
        student_score : float
            Student's validation metric of the epoch.
        teacher_score : float | None
            Teacher's validation metric on the same split, if known.

        Returns
        -------
        weight : float
            The weight to use for the next epoch.
        """
        _check_type("student_score", student_score, ("numeric",))
        _check_type("teacher_score", teacher_score, ("numeric", None))
        student_score = float(student_score)
        improved = self.best_ is None or self._better(student_score, self.best_)
        if improved:
            self.best_ = student_score
        if teacher_score is not None and self._better(student_score, float(teacher_score)):
            action = "decrease"
            self.weight = max(self.min, self.weight - self.step)
            self.n_stalled_ = 0
        elif improved:
            action = "keep"
            self.n_stalled_ = 0
        else:
            self.n_stalled_ += 1
            if self.n_stalled_ >= self.patience:
                action = "increase"
                self.weight = min(self.max, self.weight + self.step)
                self.n_stalled_ = 0
            else:
                action = "wait"
        self.history_.append({
            "student_score": student_score,
            "teacher_score": None if teacher_score is None else float(teacher_score),
            "action": action,
            "weight": self.weight,
        })
        logger.info("Dynamic KD weight: %s -> %.4g (student %.4g)", action, self.weight,
                    student_score)
        return self.weight

    def state_dict(self):
        """Return the state for a checkpoint.

        Returns
        -------
        state : dict
            ``weight``, ``best_``, ``n_stalled_`` and ``history_``.
        """
        return {
            "weight": self.weight,
            "best_": self.best_,
            "n_stalled_": self.n_stalled_,
            "history_": [dict(h) for h in self.history_],
        }

    def load_state_dict(self, state):
        """Restore a state produced by ``state_dict``.

        Parameters
        ----------
        state : dict
            As returned by ``state_dict``.
        """
        self.weight = float(state["weight"])
        self.best_ = state["best_"]
        self.n_stalled_ = int(state["n_stalled_"])
        self.history_ = [dict(h) for h in state["history_"]]

    def __repr__(self):
        return (
            f"DynamicKDWeight(weight={self.weight:g}, step={self.step:g}, "
            f"min={self.min:g}, max={self.max:g}, patience={self.patience}, mode={self.mode!r})"
        )
