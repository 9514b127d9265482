"""Registry of the synthetic writers ``emopipe synth`` runs (``@register_writer("deap", ...)``).

Each writer module of :data:`WRITER_MODULES` registers one function per
dataset, with the ``emopipe synth`` options it takes beyond subjects, seed
and scenario; :func:`load_writers` imports them all, so that the registry is
complete or fails naming the module that could not be imported.
"""

from dataclasses import dataclass

from ...utils._registry import Registry

__all__ = ["SYNTH_WRITERS", "SynthWriter", "load_writers", "register_writer"]

SYNTH_WRITERS = Registry("Synthetic writer", "synthetic writers")

#: modules of ``emopipe.io.synth`` that register a writer
WRITER_MODULES = ("amigos", "bids", "deap", "dreamer", "mahnob", "seed", "seed_iv", "seed_v")


@dataclass(frozen=True)
class SynthWriter:
    """A dataset's synthetic writer as ``emopipe synth`` calls it.

    Attributes
    ----------
    write : callable
        ``write(out, *, n_subjects, seed, scenario, **options)``.
    options : tuple of str
        The ``emopipe synth`` options it takes (``"trials"``,
        ``"raw_trials"``, ``"face"``, ``"no_raw"``); any other given is refused.
    note : str
        Why the other options do not apply (one sentence).
    """

    write: object
    options: tuple = ()
    note: str = ""


def register_writer(name, *, options=(), note=""):
    """Decorator registering ``fn`` as the synthetic writer of dataset ``name``.

    Parameters
    ----------
    name : str
        Dataset name, as in the dataset registry.
    options : tuple of str
        ``emopipe synth`` options the writer takes.
    note : str
        Why the other options do not apply.

    Returns
    -------
    decorator : callable
        Registers its argument and returns it unchanged.
    """
    def decorator(fn):
        SYNTH_WRITERS.register(name)(SynthWriter(fn, tuple(options), note))
        return fn

    return decorator


def load_writers():
    """Import every writer module, so that :data:`SYNTH_WRITERS` holds every writer.

    Returns
    -------
    writers : Registry
        :data:`SYNTH_WRITERS`, filled.
    """
    return SYNTH_WRITERS.fill(__package__, WRITER_MODULES, label="synthetic-writer registry",
                              fix="Reinstall emopipe, or fix that module.")
