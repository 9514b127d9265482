"""The loss registry: ``@register_loss("crd")`` and ``LOSSES.get("crd")``."""

from ..utils._registry import Registry

LOSSES = Registry("Loss", "losses")


def register_loss(name):
    """Register a loss class under a snake_case ``name``.

    Parameters
    ----------
    name : str
        Registry key, equal to the YAML and CLI value (e.g. ``"hinton_kd"``).

    Returns
    -------
    decorator : callable
        Class decorator adding the class to ``LOSSES`` and returning it unchanged.

    Examples
    --------
    >>> @register_loss("my_loss")  # doctest: +SKIP
    ... class MyLoss(torch.nn.Module): ...
    """
    return LOSSES.register(name)
