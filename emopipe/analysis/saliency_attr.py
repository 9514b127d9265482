"""Attributions of a model's outputs to its inputs (captum), raw-window band split, randomisation check.

- :func:`attribute`: integrated gradients (default; captum
  ``IntegratedGradients``, Gauss-Legendre quadrature with ``steps`` points),
  ``saliency`` (the plain gradient, signed) or ``input_x_gradient``, of
  one output per window, with a zero baseline in the model's input space.
  emopipe's models see standardised inputs, so with the run's ``pooled``
  normalisation the zero baseline is the fold's training mean (with
  ``per_subject``, each subject's mean; with ``none``, a zero input). IG
  is complete: the attributions of a window sum to ``f(x) - f(baseline)``.
- :func:`band_components`: a raw window ``x`` (channels x time) split into
  band-limited components ``x_b`` (FFT masks over ``[l_freq, h_freq)``) and
  the remainder ``r = x - sum_b x_b``, so that ``x = sum_b x_b + r``
  exactly; a raw-window model is attributed with respect to the stacked
  components (the model sees their sum), which gives each (channel, band)
  its share of the attribution, and completeness still holds.
- :func:`cascading_randomisation`: Adebayo et al. (2018), "Sanity checks
  for saliency maps": the model's layers re-initialised one by one from
  the top (output layer first, cascading), the map recomputed after each
  step and compared with the trained map by Spearman rank correlation. A
  map still correlated (>= :data:`SURVIVES`) after every layer is
  randomised does not depend on what the model learned.
"""

import copy
import logging

import numpy as np
import torch
from torch import nn

from ..utils._checks import _check_option
from .saliency import spearman

logger = logging.getLogger("emopipe.analysis.saliency")

__all__ = ["METHODS", "SURVIVES", "attribute", "band_components", "cascade_layers",
           "cascading_randomisation"]

#: attribution methods, CLI value -> captum class name
METHODS = {"ig": "IntegratedGradients", "saliency": "Saliency",
           "input_x_gradient": "InputXGradient"}
#: rank correlation with the trained map at or above which a fully randomised map is flagged
SURVIVES = 0.3
#: floats held at once by one attribution call (windows x steps x window size)
_BUDGET = 2 ** 24


def band_components(X, sfreq, bands):
    """Split windows into band-limited components and the remainder.

    Parameters
    ----------
    X : ndarray, shape (n_windows, n_channels, n_times)
        Windows.
    sfreq : float
        Sampling rate in Hz.
    bands : dict of str -> (float, float)
        Band name -> ``(l_freq, h_freq)`` in Hz, each ``[l_freq, h_freq)``.

    Returns
    -------
    components : ndarray of float32, shape (n_windows, n_bands + 1, n_channels, n_times)
        ``components[:, b]`` is band ``b`` (FFT bins in its range), the last
        is ``X`` minus their sum; they add up to ``X``.
    """
    X = np.asarray(X, dtype=np.float64)
    n_times = X.shape[-1]
    freqs = np.fft.rfftfreq(n_times, 1.0 / sfreq)
    spec = np.fft.rfft(X, axis=-1)
    comps = []
    for lo, hi in bands.values():
        mask = (freqs >= lo) & (freqs < hi)
        comps.append(np.fft.irfft(spec * mask, n=n_times, axis=-1))
    comps.append(X - np.sum(comps, axis=0))
    return np.stack(comps, axis=1).astype(np.float32)


def _forward_of(model, shapes, split):
    """The model's outputs as one tensor, from inputs in their cached shape."""

    def forward(*xs):
        xs = [x.sum(1) if s else x for x, s in zip(xs, split)]  # band components -> window
        xs = [x.reshape((x.shape[0],) + tuple(s)) for x, s in zip(xs, shapes)]
        return model(*xs)[0]

    return forward


def attribute(model, inputs, target, *, shapes, split=None, method="ig", steps=32):
    """Attributions of output ``target[i]`` of window ``i`` to every input value.

    Parameters
    ----------
    model : EmoModule
        The model (put in eval mode); ``model(*xs)`` returns ``(out, feat)``.
    inputs : list of ndarray, shape (n_windows, ...)
        The model's (standardised) inputs in their cached window shape.
    target : ndarray of int, shape (n_windows,)
        Output attributed for each window.
    shapes : list of tuple of int
        Window shape of each input in the model's layout
        (:attr:`ModelPlan.shapes`).
    split : list of (float, dict) | None
        Per input ``None``, or ``(sfreq, bands)`` for a raw
        ``(n_windows, n_channels, n_times)`` input to attribute per band
        component (:func:`band_components`, made chunk by chunk; the model
        sees their sum).
    method : ``"ig"`` | ``"saliency"`` | ``"input_x_gradient"``
        Attribution method.
    steps : int
        Integration points of ``"ig"``.

    Returns
    -------
    attributions : list of ndarray of float32
        One per input: shape (n_windows, ...) as the input, or for a split
        input shape (n_windows, n_bands + 1, n_channels), each component's
        attribution summed over time.
    """
    import captum.attr as ca

    _check_option("method", method, tuple(METHODS))
    split = [None] * len(inputs) if split is None else list(split)
    model.eval()
    algo = getattr(ca, METHODS[method])(_forward_of(model, shapes, [s is not None
                                                                    for s in split]))
    n = inputs[0].shape[0]
    per_window = sum(int(np.prod(x.shape[1:])) * (1 if s is None else len(s[1]) + 1)
                     for x, s in zip(inputs, split))
    factor = steps if method == "ig" else 1
    chunk = max(1, _BUDGET // max(1, per_window * factor))
    target = torch.as_tensor(np.asarray(target, dtype=np.int64))
    outs = [[] for _ in inputs]
    for start in range(0, n, chunk):
        xs = tuple(torch.as_tensor(np.ascontiguousarray(
            x[start:start + chunk] if s is None else
            band_components(x[start:start + chunk], s[0], s[1])), dtype=torch.float32)
            for x, s in zip(inputs, split))
        tg = target[start:start + chunk]
        if method != "ig":  # gradient methods take the inputs' own gradients
            xs = tuple(x.requires_grad_() for x in xs)
        if method == "ig":
            a = algo.attribute(xs, baselines=tuple(torch.zeros_like(x) for x in xs), target=tg,
                               n_steps=steps, method="gausslegendre")
        elif method == "saliency":
            a = algo.attribute(xs, target=tg, abs=False)
        else:
            a = algo.attribute(xs, target=tg)
        for lst, t, s in zip(outs, a if isinstance(a, tuple) else (a,), split):
            t = t.detach()
            lst.append((t if s is None else t.sum(-1)).numpy().astype(np.float32))
    return [np.concatenate(lst) if lst else np.zeros((0,), np.float32) for lst in outs]


def cascade_layers(model):
    """The model's layers with their own parameters, top (output side) first.

    Parameters
    ----------
    model : nn.Module
        The model.

    Returns
    -------
    layers : list of (str, nn.Module)
        Qualified name and module, in reverse registration order (the
        output layer first for emopipe's models, which register their
        layers in forward order).
    """
    layers = [(name or type(m).__name__, m) for name, m in model.named_modules()
              if next(m.parameters(recurse=False), None) is not None]
    return layers[::-1]


def _randomise(module, seed):
    """Re-initialise one layer's own parameters (its ``reset_parameters`` if it has one)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if hasattr(module, "reset_parameters"):
            module.reset_parameters()
        else:
            with torch.no_grad():
                for p in module.parameters(recurse=False):
                    p.normal_(0.0, float(p.detach().std()) if p.numel() > 1 else 0.1)
    # a BatchNorm reset leaves weight 1, bias 0: draw them too, as a random layer would
    if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.affine:
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            module.weight.copy_(torch.rand(module.weight.shape, generator=gen) + 0.5)
            module.bias.copy_(0.5 * torch.randn(module.bias.shape, generator=gen))


def cascading_randomisation(models, map_of, *, seed=0, trained=None):
    """Cascading layer randomisation (Adebayo et al. 2018) of a map computed from ``models``.

    Parameters
    ----------
    models : list of nn.Module
        The trained models (one per fold, the same architecture); they are
        copied, never changed.
    map_of : callable
        ``map_of(models) -> ndarray``: the saliency map the models give.
    seed : int
        Seed of the re-initialisation (layer ``k`` of fold ``i`` uses
        ``seed + 1000 * i + k``).
    trained : ndarray | None
        ``map_of(models)``, if already computed.

    Returns
    -------
    trained : ndarray
        The trained models' map.
    steps : list of dict
        One per randomised layer, top first: ``step`` (layers randomised so
        far), ``layer`` (the one added), ``spearman`` (rank correlation of
        the map with the trained map).
    """
    if trained is None:
        trained = map_of(models)
    copies = [copy.deepcopy(m).eval() for m in models]
    layer_lists = [cascade_layers(m) for m in copies]
    steps = []
    for k, (name, _) in enumerate(layer_lists[0]):
        for i, layers in enumerate(layer_lists):
            _randomise(layers[k][1], seed + 1000 * i + k)
        rho = spearman(trained, map_of(copies))
        steps.append({"step": k + 1, "layer": name, "spearman": rho})
        logger.info("randomised %d layer(s) down to %s: Spearman %.3f", k + 1, name, rho)
    return trained, steps
