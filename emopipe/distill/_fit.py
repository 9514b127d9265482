"""The fit loop: mini-batch training with validation selection, prediction, device, seeds.

On CPU a run is deterministic: per-fold seeds derive from the config's
``seed`` and the fold number (:func:`_fold_seed`); the driver seeds
initialisation and batch order from them.
"""

import logging

import numpy as np
import torch

from ..utils._logging import progress
from ..utils._errors import ConfigError
from . import metrics as _metrics

logger = logging.getLogger("emopipe.distill.train")


def _fold_seed(seed, k):
    return int(np.random.SeedSequence([int(seed), int(k)]).generate_state(1)[0])


def _device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device='cuda' but torch sees no CUDA device. Use device='cpu' or 'auto'.")
    return torch.device(name)


@torch.no_grad()
def _predict(model, X, *, chunk=8192):
    """Outputs and features of ``model`` (eval mode) for all rows of ``X``."""
    was = model.training
    model.eval()
    outs, feats = [], []
    n = X[0].shape[0]
    for start in range(0, n, chunk):
        o, f = model(*(x[start:start + chunk] for x in X))
        outs.append(o)
        feats.append(f.reshape(f.shape[0], -1))
    model.train(was)
    if not outs:
        return torch.zeros(0), torch.zeros(0)
    return torch.cat(outs), torch.cat(feats)


def _score(kind, out, y):
    """Validation score (higher is better): accuracy or CCC."""
    if kind == "class":
        return float((out.argmax(1) == y).float().mean())
    return _metrics.ccc(y.cpu().numpy(), out.reshape(-1).cpu().numpy())


def _state(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _train_model(model, objective, X, y, *, config, epochs, lr, kind, gen, desc, val=None,
                 teacher_out=None, live_teacher=None, feedback=None, unlabelled=None):
    """Mini-batch training on in-memory tensors with validation selection.

    Parameters
    ----------
    model : EmoModule
        Model being trained (``z_s``, ``f_s`` of the objective).
    objective : Objective
        Loss; its own parameters (projectors, embeddings) train too.
    X : list of Tensor, shape (n_train, ...)
        Inputs of the training windows.
    y : Tensor, shape (n_train,)
        Targets.
    val : tuple (list of Tensor, Tensor) | None
        Validation inputs and targets.
    teacher_out : tuple (Tensor, Tensor) | None
        Cached teacher logits and features of the training windows.
    live_teacher : tuple (model, list of Tensor) | None
        Teacher and its training inputs (feedback methods).
    feedback : dict | None
        ``{"kind": "ekd"|"dynamic", "optimizer": ..., "weight": DynamicKDWeight|None,
        "teacher_val": float|None}``.
    unlabelled : list of Tensor, shape (n_unlabelled, ...) | None
        Unlabelled inputs (the test windows of a transductive run,
        ``DistillConfig.mcc_on_test``): each step draws a batch of them and
        hands its logits to the objective as ``z_unlabelled``. ``None``
        (default): the model never sees a window outside ``X`` and ``val``.

    Returns
    -------
    info : dict
        ``best_epoch``, ``best_score``, ``epochs_run``, ``history``.
    """
    params = [p for p in list(model.parameters()) + list(objective.parameters())
              if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=config.weight_decay)
    n = y.shape[0]
    bs = min(config.batch_size, n)
    best = (-np.inf, None, -1)
    history = []
    stalled = 0
    step = 0
    n_feedback = 0
    epoch = -1
    for epoch in progress(range(epochs), desc=desc):
        model.train()
        objective.train()
        perm = torch.randperm(n, generator=gen).to(y.device)
        total = 0.0
        for start in range(0, n, bs):
            idx = perm[start:start + bs]
            if idx.numel() < 2:
                continue
            xb = [x[idx] for x in X]
            z_s, f_s = model(*xb)
            batch = {"z_s": z_s, "f_s": f_s, "y": y[idx], "idx": idx}
            if unlabelled is not None and unlabelled[0].shape[0] >= 2:
                u = torch.randint(unlabelled[0].shape[0], (min(bs, unlabelled[0].shape[0]),),
                                  generator=gen).to(y.device)
                batch["z_unlabelled"] = model(*(x[u] for x in unlabelled))[0]
            if teacher_out is not None:
                batch["z_t"] = teacher_out[0][idx]
                batch["f_t"] = teacher_out[1][idx]
            elif live_teacher is not None:
                t_model, t_X = live_teacher
                with torch.no_grad():
                    t_model.eval()
                    z_t, f_t = t_model(*(x[idx] for x in t_X))
                batch["z_t"], batch["f_t"] = z_t, f_t.reshape(f_t.shape[0], -1)
            loss, _ = objective(batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * idx.numel()
            step += 1
            if feedback is not None and step % config.feedback_every == 0:
                from .feedback import ekd_feedback_step

                t_model, t_X = live_teacher
                t_model.train()

                def student_loss(z_s, z_t, f_s, f_t, yb, _idx=idx):
                    return objective({"z_s": z_s, "f_s": f_s, "z_t": z_t,
                                      "f_t": f_t.reshape(f_t.shape[0], -1), "y": yb,
                                      "idx": _idx})[0]

                ekd_feedback_step(t_model, model, tuple(x[idx] for x in t_X), tuple(xb), y[idx],
                                  student_loss_fn=student_loss, student_lr=lr,
                                  teacher_optimizer=feedback["optimizer"],
                                  first_order=config.feedback_first_order)
                n_feedback += 1
        record = {"epoch": epoch, "loss": total / max(n, 1)}
        if val is not None and val[1].shape[0] > 0:
            out, _ = _predict(model, val[0])
            score = _score(kind, out, val[1])
            record["val_score"] = score
            if feedback is not None and feedback.get("weight") is not None:
                objective.kd_scale = feedback["weight"].update(score, feedback.get("teacher_val"))
                record["kd_scale"] = objective.kd_scale
            if score > best[0]:
                best = (score, _state(model) if config.selection == "best_val" else None, epoch)
                stalled = 0
            else:
                stalled += 1
        history.append(record)
        if config.patience and val is not None and stalled >= config.patience:
            logger.debug("%s: early stop at epoch %d (best %d)", desc, epoch, best[2])
            break
    if config.selection == "best_val" and best[1] is not None:
        model.load_state_dict(best[1])
    return {"best_epoch": best[2], "best_score": best[0], "epochs_run": epoch + 1,
            "steps": step, "feedback_steps": n_feedback, "history": history}
