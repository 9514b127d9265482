"""EmotionKD look-ahead feedback (finite differences) and the BS25 dynamic KD weight."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose
from torch import nn
from torch.func import functional_call

from emopipe.distill.feedback import DynamicKDWeight, ekd_feedback_step
from emopipe.distill.losses import MLKDLoss


class _Net(nn.Module):
    """Tiny model with the models-layer contract: forward -> (out, feat)."""

    def __init__(self, n_in, feat_dim, n_classes=2, *, bn=False):
        super().__init__()
        self.feat_dim = feat_dim
        self.body = nn.Linear(n_in, feat_dim)
        self.bn = nn.BatchNorm1d(feat_dim) if bn else nn.Identity()
        self.head = nn.Linear(feat_dim, n_classes)

    def forward(self, *xs):
        f = torch.tanh(self.bn(self.body(torch.cat(xs, dim=1))))
        return self.head(f), f


def _setup(bn=False):
    torch.manual_seed(0)
    teacher = _Net(5, 4).double()          # EEG (3) + GSR (2) inputs
    student = _Net(2, 3, bn=bn).double()   # GSR only
    loss_fn = MLKDLoss(3, 4, e1=1.0, e2=0.5, e3=1.0).double()
    g = torch.Generator().manual_seed(1)
    x_eeg = torch.randn(6, 3, generator=g, dtype=torch.float64)
    x_gsr = torch.randn(6, 2, generator=g, dtype=torch.float64)
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    return teacher, student, loss_fn, (x_eeg, x_gsr), x_gsr, y


def _teacher_grad(teacher, student, loss_fn, x_t, x_s, y, **kw):
    """Teacher gradient written by the step (SGD with lr 0 leaves the parameters)."""
    opt = torch.optim.SGD(teacher.parameters(), lr=0.0)
    stats = ekd_feedback_step(teacher, student, x_t, x_s, y, student_loss_fn=loss_fn,
                              student_lr=0.5, teacher_optimizer=opt, **kw)
    return torch.cat([p.grad.reshape(-1) for p in teacher.parameters()]).numpy(), stats


def _reference_loss(theta, teacher, student, loss_fn, x_t, x_s, y, *, lr=0.5, e1=1.0, e2=1.0):
    """L_fb as a function of a flat teacher parameter vector, written out independently."""
    names = [n for n, _ in teacher.named_parameters()]
    shapes = [p.shape for _, p in teacher.named_parameters()]
    params, start = {}, 0
    for n, s in zip(names, shapes):
        size = int(np.prod(s))
        params[n] = torch.as_tensor(theta[start:start + size]).reshape(s)
        start += size
    z_t, f_t = functional_call(teacher, params, x_t)
    s_params = dict(student.named_parameters())
    z_s, f_s = student(x_s)
    grads = torch.autograd.grad(loss_fn(z_s, z_t, f_s, f_t, y), list(s_params.values()))
    new = {n: p.detach() - lr * g for (n, p), g in zip(s_params.items(), grads)}
    z_s2, _ = functional_call(student, new, (x_s,))
    return float(e1 * F.cross_entropy(z_t, y) + e2 * F.cross_entropy(z_s2, y))


def test_second_order_teacher_gradient_matches_finite_differences():
    teacher, student, loss_fn, x_t, x_s, y = _setup()
    theta = torch.cat([p.detach().reshape(-1) for p in teacher.parameters()]).numpy()
    grad, stats = _teacher_grad(teacher, student, loss_fn, x_t, x_s, y)
    h = 1e-6
    fd = np.zeros_like(theta)
    for i in range(theta.size):
        up, dn = theta.copy(), theta.copy()
        up[i] += h
        dn[i] -= h
        fd[i] = (_reference_loss(up, teacher, student, loss_fn, x_t, x_s, y)
                 - _reference_loss(dn, teacher, student, loss_fn, x_t, x_s, y)) / (2 * h)
    assert_allclose(grad, fd, rtol=1e-5, atol=1e-8)
    assert_allclose(stats["loss_feedback"],
                    _reference_loss(theta, teacher, student, loss_fn, x_t, x_s, y), rtol=1e-12)
    assert_allclose(stats["loss_feedback"],
                    stats["loss_teacher_ce"] + stats["loss_lookahead_ce"], rtol=1e-12)


def test_first_order_drops_the_lookahead_path():
    teacher, student, loss_fn, x_t, x_s, y = _setup()
    full, _ = _teacher_grad(teacher, student, loss_fn, x_t, x_s, y)
    first, _ = _teacher_grad(teacher, student, loss_fn, x_t, x_s, y, first_order=True)
    # first order: exactly the gradient of e1 * CE(y, p_T)
    teacher.zero_grad()
    F.cross_entropy(teacher(*x_t)[0], y).backward()
    ce_grad = torch.cat([p.grad.reshape(-1) for p in teacher.parameters()]).numpy()
    assert_allclose(first, ce_grad, rtol=1e-12)
    assert np.abs(full - first).max() > 1e-4
    # e1 = 0: the second-order path is the only teacher signal
    only_fb, _ = _teacher_grad(teacher, student, loss_fn, x_t, x_s, y, e1=0.0)
    assert np.abs(only_fb).max() > 1e-4
    assert_allclose(only_fb, full - ce_grad, rtol=1e-10, atol=1e-14)
    zero, _ = _teacher_grad(teacher, student, loss_fn, x_t, x_s, y, e1=0.0, first_order=True)
    assert np.all(zero == 0)


def test_student_untouched_and_teacher_stepped():
    teacher, student, loss_fn, x_t, x_s, y = _setup(bn=True)
    s_before = copy.deepcopy(student.state_dict())
    ref = copy.deepcopy(teacher)
    grad, _ = _teacher_grad(ref, copy.deepcopy(student), loss_fn, x_t, x_s, y)
    t_before = torch.cat([p.detach().reshape(-1) for p in teacher.parameters()]).numpy()
    opt = torch.optim.SGD(teacher.parameters(), lr=0.1)
    ekd_feedback_step(teacher, student, x_t, x_s, y, student_loss_fn=loss_fn, student_lr=0.5,
                      teacher_optimizer=opt)
    for k, v in student.state_dict().items():  # parameters and BN running statistics
        assert torch.equal(v, s_before[k]), k
    assert all(p.grad is None for p in student.parameters())
    assert all(p.grad is None for p in loss_fn.parameters())
    t_after = torch.cat([p.detach().reshape(-1) for p in teacher.parameters()]).numpy()
    assert_allclose(t_after, t_before - 0.1 * grad, rtol=1e-12)


def test_feedback_argument_errors():
    teacher, student, loss_fn, x_t, x_s, y = _setup()
    opt = torch.optim.SGD(teacher.parameters(), lr=0.1)
    kw = dict(student_loss_fn=loss_fn, teacher_optimizer=opt)
    with pytest.raises(ValueError, match=r"student_lr must be > 0, got 0"):
        ekd_feedback_step(teacher, student, x_t, x_s, y, student_lr=0, **kw)
    with pytest.raises(TypeError, match=r"teacher_optimizer must be a torch.optim.Optimizer"):
        ekd_feedback_step(teacher, student, x_t, x_s, y, student_lr=0.1,
                          student_loss_fn=loss_fn, teacher_optimizer=None)
    bad = nn.Linear(5, 2).double()
    with pytest.raises(TypeError, match=r"Linear.forward must return a tuple \(out, feat\)"):
        ekd_feedback_step(bad, student, (torch.cat(x_t, 1),), x_s, y, student_lr=0.1, **kw)


# ------------------------------------------------------------------ dynamic KD weight
def test_dynamic_kd_weight_rule_max():
    dyn = DynamicKDWeight(1.0, step=0.25, min=0.5, max=1.5, patience=2)
    steps = [
        ((0.50, None), "keep", 1.0),       # first score is the best so far
        ((0.50, None), "wait", 1.0),       # no strict improvement: stalled 1
        ((0.49, None), "increase", 1.25),  # stalled 2 = patience
        ((0.55, None), "keep", 1.25),
        ((0.54, None), "wait", 1.25),
        ((0.54, None), "increase", 1.5),
        ((0.53, None), "wait", 1.5),
        ((0.53, None), "increase", 1.5),   # clipped at max
        ((0.60, 0.58), "decrease", 1.25),  # student beats teacher
        ((0.59, 0.58), "decrease", 1.0),   # still above the teacher, though not a new best
        ((0.70, 0.58), "decrease", 0.75),
        ((0.71, 0.58), "decrease", 0.5),
        ((0.72, 0.58), "decrease", 0.5),   # clipped at min
        ((0.50, 0.58), "wait", 0.5),       # below teacher and below best
    ]
    for (s, t), action, w in steps:
        assert dyn.update(s, t) == w
        assert dyn.history_[-1]["action"] == action
    assert dyn.best_ == 0.72 and dyn.n_stalled_ == 1
    state = dyn.state_dict()
    other = DynamicKDWeight(1.0, step=0.25, min=0.5, max=1.5, patience=2)
    other.load_state_dict(state)
    assert other.update(0.50) == dyn.update(0.50) == 0.75  # stalled 2 -> increase


def test_dynamic_kd_weight_rule_min_and_delta():
    dyn = DynamicKDWeight(0.5, step=0.1, min=0.0, max=1.0, patience=1, mode="min",
                          min_delta=0.05)
    assert dyn.update(1.0) == 0.5                 # keep
    assert dyn.update(0.97) == pytest.approx(0.6)  # not better by > 0.05: increase at once
    assert dyn.update(0.90) == pytest.approx(0.6)  # better by 0.10: keep
    assert dyn.update(0.80, 0.90) == pytest.approx(0.5)  # lower loss than teacher: decrease
    assert [h["action"] for h in dyn.history_] == ["keep", "increase", "keep", "decrease"]


def test_dynamic_kd_weight_errors():
    with pytest.raises(ValueError, match=r"initial must lie in \[min, max\] = \[0.0, 2.0\], "
                                         r"got 3.0"):
        DynamicKDWeight(3.0)
    with pytest.raises(ValueError, match=r"'mode' parameter.*but got 'maximum' instead"):
        DynamicKDWeight(mode="maximum")
    with pytest.raises(ValueError, match=r"patience must be >= 1 epoch, got 0"):
        DynamicKDWeight(patience=0)
